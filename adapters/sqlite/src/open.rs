//! Opening a file: inspect without writing, refuse what is not ours, create
//! new files atomically, then open read-write with the durable pragmas.

use std::fs;
use std::io::{BufReader, ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use partner_benefits::Error;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

use crate::error::sql;
use crate::schema;
use crate::{SqliteOptions, Synchronous};

/// Opens (creating if missing) the store file at `path`, at schema `target`.
pub(crate) fn open(path: &Path, options: &SqliteOptions, target: u32) -> Result<Connection, Error> {
    let shown = path.display().to_string();
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match fs::metadata(&parent) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(Error::storage(format!("cannot open `{shown}`: `{}` is not a directory", parent.display()))),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(Error::storage(format!("cannot open `{shown}`: the directory `{}` does not exist", parent.display())));
        }
        Err(e) => return Err(Error::storage(format!("cannot open `{shown}`: the directory `{}` is not readable: {e}", parent.display()))),
    }
    match fs::metadata(path) {
        Err(e) if e.kind() == ErrorKind::NotFound => create(path, &parent, &shown, options, target)?,
        Err(e) => return Err(Error::storage(format!("cannot open `{shown}`: {e}"))),
        Ok(meta) if meta.is_dir() => return Err(Error::storage(format!("`{shown}` is a directory, not a database file"))),
        Ok(meta) if meta.len() == 0 => {
            return Err(Error::storage(format!(
                "`{shown}` is an empty file (0 bytes), not a partner-benefits store; remove it or choose a new path to start a new store"
            )));
        }
        Ok(meta) if meta.permissions().readonly() => {
            return Err(Error::storage(format!("`{shown}` is read-only; the store needs to write to it (it was left unchanged)")));
        }
        Ok(_) => {}
    }
    inspect(path, &shown)?;
    let mut conn = open_read_write(path, &shown, options)?;
    schema::migrate(&mut conn, &shown, target, false)?;
    // The trigger on `events` is for processes of an older release writing
    // to the same file (ADR 9); this release claims keys in the vault
    // itself. The one place it writes what the trigger watches for is an
    // import of an older export (its pools' `keys_allocated` events), which
    // goes into an empty store and marks those ranges with explicit claims
    // (`tests/transfer.rs` imports one into a file). On this connection the
    // trigger would run for nothing on every event row: a trigger
    // sub-program per row, about a tenth of a batched commit (callgrind,
    // `sqlite_churn`).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)
        .map_err(|e| Error::storage(format!("cannot configure `{shown}`: {e}")))?;
    Ok(conn)
}

/// Refuses what is not a partner-benefits store this library can read, by
/// its bytes, before any SQLite connection exists: even a read-only one
/// creates `-wal` and `-shm` beside a WAL-mode file and cannot remove them
/// when it closes; only a read-write connection cleans up after itself.
pub(crate) fn inspect(path: &Path, shown: &str) -> Result<(), Error> {
    let header = match check_file_header(path, shown)? {
        FileHeader::Current(bytes) => bytes,
        FileHeader::WalPending(bytes) => newest_header_in_wal(path, bytes, shown)?,
    };
    schema::check_file_header(&header, shown)
}

/// Builds a new store beside `path` and links it into place, so a store file
/// either does not exist or is complete: a crash never leaves a half-made
/// (or zero-length) file behind, and two processes creating it at once agree.
fn create(path: &Path, parent: &Path, shown: &str, options: &SqliteOptions, target: u32) -> Result<(), Error> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "store".into());
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let temp = parent.join(format!(".{name}.{}.{nanos}.creating", std::process::id()));
    let result = build(&temp, shown, options, target).and_then(|()| publish(&temp, path, shown));
    let _ = fs::remove_file(&temp);
    for side in ["-wal", "-shm", "-journal"] {
        let mut side_path = temp.clone().into_os_string();
        side_path.push(side);
        let _ = fs::remove_file(side_path);
    }
    result?;
    // Make the new directory entry durable too.
    if let Ok(dir) = fs::File::open(parent) {
        let _ = dir.sync_all();
    }
    Ok(())
}

fn build(temp: &Path, shown: &str, options: &SqliteOptions, target: u32) -> Result<(), Error> {
    let context = format!("creating `{shown}`");
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(temp, flags).map_err(sql(&context))?;
    configure(&mut conn, shown, options)?;
    schema::migrate(&mut conn, shown, target, true)?;
    // Closing checkpoints the WAL into the file and removes it.
    conn.close().map_err(|(_, e)| crate::error::map(&context, &e))?;
    fs::File::open(temp).and_then(|f| f.sync_all()).map_err(|e| Error::storage(format!("{context}: {e}")))
}

fn publish(temp: &Path, path: &Path, shown: &str) -> Result<(), Error> {
    match fs::hard_link(temp, path) {
        Ok(()) => Ok(()),
        // Someone else created it first: use theirs.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        // No hard links on this file system: a plain rename, if still free.
        Err(_) if !path.exists() => fs::rename(temp, path).map_err(|e| Error::storage(format!("creating `{shown}`: {e}"))),
        Err(_) => Ok(()),
    }
}

/// What the file's first 100 bytes can tell.
enum FileHeader {
    /// Nothing newer waits in a WAL: these bytes are the file's header.
    Current([u8; 100]),
    /// A non-empty WAL lies beside the file and may hold a newer header.
    WalPending([u8; 100]),
}

/// Side file `suffix` (`-wal`, `-shm`) of the database at `path`.
pub(crate) fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut side = path.as_os_str().to_owned();
    side.push(suffix);
    PathBuf::from(side)
}

/// Reads the 100-byte SQLite header and refuses what is clearly not a
/// complete SQLite file, without asking SQLite (which might try to repair).
fn check_file_header(path: &Path, shown: &str) -> Result<FileHeader, Error> {
    let mut file = fs::File::open(path).map_err(|e| Error::storage(format!("cannot read `{shown}`: {e}")))?;
    let len = file.metadata().map_err(|e| Error::storage(format!("cannot read `{shown}`: {e}")))?.len();
    let mut header = [0u8; 100];
    let mut read = 0;
    while read < header.len() {
        let rest = header.get_mut(read..).unwrap_or_default();
        match file.read(rest) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::storage(format!("cannot read `{shown}`: {e}"))),
        }
    }
    let magic_ok = header.starts_with(b"SQLite format 3\0");
    if read < header.len() {
        return Err(if magic_ok || b"SQLite format 3\0".starts_with(header.get(..read).unwrap_or_default()) {
            Error::storage(format!("`{shown}` is truncated: {len} bytes, shorter than a SQLite header; it was left unchanged"))
        } else {
            Error::storage(format!("`{shown}` is not a SQLite database (it may be corrupt or another kind of file); it was left unchanged"))
        });
    }
    if !magic_ok {
        return Err(Error::storage(format!(
            "`{shown}` is not a SQLite database: its header is damaged or it is another kind of file; it was left unchanged"
        )));
    }
    let be16 = |at: usize| header.get(at..at + 2).and_then(|b| <[u8; 2]>::try_from(b).ok()).map_or(0, u16::from_be_bytes);
    let page_size = match be16(16) {
        1 => 65_536u64,
        n if n >= 512 && n.is_power_of_two() => u64::from(n),
        _ => return Err(Error::storage(format!("`{shown}` is corrupt: its header names an impossible page size; it was left unchanged"))),
    };
    // With a non-empty WAL beside it the file may legitimately lag behind
    // (a checkpoint was cut short); SQLite recovers that from the WAL.
    let wal_pending = fs::metadata(side_file(path, "-wal")).map(|m| m.len() > 0).unwrap_or(false);
    if wal_pending {
        return Ok(FileHeader::WalPending(header));
    }
    let pages = u64::from(be32(&header, 28));
    let pages_valid = pages > 0 && be32(&header, 24) == be32(&header, 92);
    if len % page_size != 0 || (pages_valid && len < pages * page_size) {
        let expected = if pages_valid { format!("{}", pages * page_size) } else { format!("a multiple of {page_size}") };
        return Err(Error::storage(format!("`{shown}` is truncated: {len} bytes where its header says {expected}; it was left unchanged")));
    }
    Ok(FileHeader::Current(header))
}

/// The header a reader would see: page 1 as the last transaction committed
/// in the WAL left it, or `file_header` if no committed transaction wrote it.
/// Read by the WAL's documented format (sqlite.org/fileformat2.html, "WAL
/// file format") rather than through SQLite, which would create a `-shm`.
/// A frame counts only as SQLite's recovery counts it: its salts match the
/// WAL header and the running checksum holds up to a commit frame.
fn newest_header_in_wal(path: &Path, file_header: [u8; 100], shown: &str) -> Result<[u8; 100], Error> {
    let unreadable = |e: std::io::Error| Error::storage(format!("cannot read the write-ahead log of `{shown}`: {e}"));
    let mut wal = match fs::File::open(side_file(path, "-wal")) {
        Ok(file) => BufReader::new(file),
        // Folded into the file and removed since we looked: the open's own
        // check, under the write lock, sees whatever that wrote.
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(file_header),
        Err(e) => return Err(unreadable(e)),
    };
    let mut head = [0u8; 32];
    if !read_whole(&mut wal, &mut head).map_err(unreadable)? {
        return Ok(file_header);
    }
    // The magic's low bit says in which byte order the checksums read words.
    let big_endian = match be32(&head, 0) {
        0x377F_0683 => true,
        0x377F_0682 => false,
        _ => return Ok(file_header),
    };
    let page_size = be32(&head, 8);
    if be32(&head, 4) != 3_007_000 || !(512..=65_536).contains(&page_size) || !page_size.is_power_of_two() {
        return Ok(file_header);
    }
    let mut sum = checksum(big_endian, (0, 0), head.get(..24).unwrap_or_default());
    if sum != (be32(&head, 24), be32(&head, 28)) {
        return Ok(file_header);
    }
    let salts = head.get(16..24).unwrap_or_default();
    let mut frame = vec![0u8; 24 + page_size as usize];
    let (mut newest, mut committed) = (None, file_header);
    while read_whole(&mut wal, &mut frame).map_err(unreadable)? {
        let (frame_head, page) = frame.split_at(24);
        let page_number = be32(frame_head, 0);
        if page_number == 0 || frame_head.get(8..16) != Some(salts) {
            break;
        }
        sum = checksum(big_endian, sum, frame_head.get(..8).unwrap_or_default());
        sum = checksum(big_endian, sum, page);
        if sum != (be32(frame_head, 16), be32(frame_head, 20)) {
            break;
        }
        if page_number == 1 {
            newest = page.get(..100).and_then(|b| <[u8; 100]>::try_from(b).ok());
        }
        // A non-zero database size marks the frame that commits a transaction.
        if be32(frame_head, 4) != 0 {
            committed = newest.unwrap_or(committed);
        }
    }
    Ok(committed)
}

/// Fills `buf`; false if the file ends first (a torn last frame ends the log).
fn read_whole(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<bool> {
    match reader.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

fn be32(bytes: &[u8], at: usize) -> u32 {
    bytes.get(at..at + 4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map_or(0, u32::from_be_bytes)
}

/// The WAL's running checksum over `data` (a multiple of 8 bytes), from `sum`.
fn checksum(big_endian: bool, (mut s1, mut s2): (u32, u32), data: &[u8]) -> (u32, u32) {
    let word = |b: &[u8]| {
        let b = <[u8; 4]>::try_from(b).unwrap_or_default();
        if big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) }
    };
    for pair in data.chunks_exact(8) {
        let (x, y) = pair.split_at(4);
        s1 = s1.wrapping_add(word(x)).wrapping_add(s2);
        s2 = s2.wrapping_add(word(y)).wrapping_add(s1);
    }
    (s1, s2)
}

pub(crate) fn open_read_write(path: &Path, shown: &str, options: &SqliteOptions) -> Result<Connection, Error> {
    let context = format!("opening `{shown}`");
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(sql(&context))?;
    // Asked before anything is read, so an immutable file is refused before
    // SQLite creates side files it could not remove.
    if conn.is_readonly(rusqlite::MAIN_DB).map_err(sql(&context))? {
        return Err(Error::storage(format!("`{shown}` can only be opened read-only; the store needs to write to it")));
    }
    configure(&mut conn, shown, options)?;
    Ok(conn)
}

/// The pragmas every connection runs with.
fn configure(conn: &mut Connection, shown: &str, options: &SqliteOptions) -> Result<(), Error> {
    let context = format!("configuring `{shown}`");
    conn.busy_handler(Some(crate::busy::wait)).map_err(sql(&context))?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0)).map_err(sql(&context))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::storage(format!("`{shown}` cannot use write-ahead logging here (journal mode stays `{mode}`)")));
    }
    let synchronous = match options.synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", synchronous).map_err(sql(&context))?;
    conn.pragma_update(None, "foreign_keys", "ON").map_err(sql(&context))?;
    // Deleted and replaced content is overwritten with zeros, so a key
    // sealed in place (or rows of a rebuilt table) leaves no copy in clear
    // in the file's free space, nor in a backup copied from it.
    conn.pragma_update(None, "secure_delete", "ON").map_err(sql(&context))?;
    Ok(())
}
