//! A consistent copy of a store while others write to it: SQLite's online
//! backup, page by page, inside one read transaction of the source.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use partner_benefits::Error;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::error::sql;
use crate::open::{inspect, open_read_write, side_file};
use crate::{SqliteOptions, SqliteStore};

/// Pages copied per step: 1 MiB at the default page size, so progress moves
/// often enough to show.
const PAGES_PER_STEP: i32 = 256;

/// How far a backup has come, given after each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackupProgress {
    /// Pages copied so far.
    pub copied: u64,
    /// Pages of the source in all.
    pub total: u64,
}

/// What a finished backup copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackupReport {
    /// Pages copied.
    pub pages: u64,
    /// Size of the copy in bytes.
    pub bytes: u64,
}

impl SqliteStore {
    /// Copies the store file at `source` to a new file at `dest`, a
    /// consistent copy however many stores (threads or processes) write to
    /// the source meanwhile: SQLite's online backup runs inside one read
    /// transaction of the source, so the copy holds exactly the commits made
    /// before it started, and writers are never blocked (WAL). `progress` is
    /// called after each step.
    ///
    /// The source is inspected as [`SqliteStore::open`] does and never
    /// migrated; a missing source is `not_found`, one that is not a store
    /// this library reads is `storage`. `dest` must not exist
    /// (`invalid_input`: a backup never overwrites) and its directory must
    /// (`storage`). The copy is built beside `dest`, checked
    /// (`PRAGMA quick_check`), flushed to disk and only then linked into
    /// place, so `dest` is either absent or complete.
    pub fn backup(
        source: impl AsRef<Path>,
        dest: impl AsRef<Path>,
        mut progress: impl FnMut(BackupProgress),
    ) -> Result<BackupReport, Error> {
        let (source, dest) = (source.as_ref(), dest.as_ref());
        let shown = source.display().to_string();
        let shown_dest = dest.display().to_string();
        match fs::metadata(source) {
            Err(e) if e.kind() == ErrorKind::NotFound => return Err(Error::NotFound { kind: "store file", id: shown }),
            Err(e) => return Err(Error::storage(format!("cannot read `{shown}`: {e}"))),
            Ok(meta) if meta.is_dir() => return Err(Error::storage(format!("`{shown}` is a directory, not a database file"))),
            Ok(meta) if meta.len() == 0 => {
                return Err(Error::storage(format!("`{shown}` is an empty file (0 bytes), not a partner-benefits store")));
            }
            Ok(_) => {}
        }
        if fs::symlink_metadata(dest).is_ok() {
            return Err(Error::InvalidInput {
                field: "dest".into(),
                reason: format!("`{shown_dest}` already exists; a backup never overwrites: remove it or choose a new path"),
            });
        }
        let parent = match dest.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !parent.is_dir() {
            return Err(Error::storage(format!("cannot write `{shown_dest}`: the directory `{}` does not exist", parent.display())));
        }
        inspect(source, &shown)?;
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "backup".into());
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let temp = parent.join(format!(".{name}.{}.{nanos}.backup", std::process::id()));
        let result = copy(source, &shown, &temp, &mut progress).and_then(|report| {
            publish(&temp, dest, &shown_dest)?;
            Ok(report)
        });
        for path in [temp.clone(), side_file(&temp, "-journal"), side_file(&temp, "-wal"), side_file(&temp, "-shm")] {
            let _ = fs::remove_file(path);
        }
        if let Ok(dir) = fs::File::open(&parent) {
            let _ = dir.sync_all();
        }
        result
    }
}

/// Copies `source` into the new file `temp` and flushes it.
fn copy(source: &Path, shown: &str, temp: &Path, progress: &mut impl FnMut(BackupProgress)) -> Result<BackupReport, Error> {
    let context = format!("backing up `{shown}`");
    let options = SqliteOptions::default();
    let _waiting = crate::busy::waiting(options.busy_timeout);
    let src = open_read_write(source, shown, &options)?;
    // One read transaction for the whole copy: every step reads the same
    // snapshot, so commits of other connections neither restart the backup
    // nor end up half in the copy.
    src.execute_batch("BEGIN DEFERRED").map_err(sql(&context))?;
    src.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0)).map_err(sql(&context))?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut dst = Connection::open_with_flags(temp, flags).map_err(sql(&context))?;
    let pages = {
        let backup = Backup::new(&src, &mut dst).map_err(sql(&context))?;
        loop {
            let step = backup.step(PAGES_PER_STEP).map_err(sql(&context))?;
            let at = backup.progress();
            let total = u64::try_from(at.pagecount).unwrap_or(0);
            let copied = total.saturating_sub(u64::try_from(at.remaining).unwrap_or(0));
            progress(BackupProgress { copied, total });
            match step {
                StepResult::Done => break total,
                StepResult::More => {}
                // Busy or locked: only the destination could be, and nobody else knows of it.
                _ => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    };
    src.execute_batch("COMMIT").map_err(sql(&context))?;
    drop(src);
    let check: String = dst.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(sql(&context))?;
    if check != "ok" {
        return Err(Error::storage(format!("{context}: the copy does not pass SQLite's check ({check}); nothing was written")));
    }
    dst.close().map_err(|(_, e)| crate::error::map(&context, &e))?;
    let file = fs::File::open(temp).map_err(|e| Error::storage(format!("{context}: {e}")))?;
    file.sync_all().map_err(|e| Error::storage(format!("{context}: {e}")))?;
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok(BackupReport { pages, bytes })
}

/// Links the finished copy into place, never over an existing file.
fn publish(temp: &Path, dest: &Path, shown: &str) -> Result<(), Error> {
    let exists = || Error::InvalidInput {
        field: "dest".into(),
        reason: format!("`{shown}` was created by someone else during the backup; it was left alone"),
    };
    match fs::hard_link(temp, dest) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(exists()),
        // No hard links on this file system: a rename, if still free.
        Err(_) if !dest.exists() => fs::rename(temp, dest).map_err(|e| Error::storage(format!("cannot write `{shown}`: {e}"))),
        Err(_) => Err(exists()),
    }
}
