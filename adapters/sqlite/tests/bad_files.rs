//! Files that are not a usable store: each is refused with its own `storage`
//! error, the file is left byte-for-byte unchanged, and its directory holds the
//! same files as before (a refused open creates no `-wal` or `-shm` beside it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use partner_benefits::{Error, Store};
use partner_benefits_sqlite::SqliteStore;

/// A valid store with some data, closed (so the WAL is folded into the file).
fn valid_store(dir: &Path) -> PathBuf {
    let path = dir.join("valid.db");
    let options =
        partner_benefits_sqlite::SqliteOptions { synchronous: partner_benefits_sqlite::Synchronous::Normal, ..Default::default() };
    let store = SqliteStore::open_with(&path, options).unwrap();
    for _ in 0..300 {
        store.allocate_organization_id().unwrap();
    }
    let keys: Vec<_> = (0..400)
        .map(|slot| partner_benefits::store::VaultKey {
            product: partner_benefits::values::Code::parse("product", "windows-server").unwrap(),
            slot,
            key: partner_benefits::LicenseKey::new(format!("KEY-{slot:04}-{}", "X".repeat(100))).unwrap(),
        })
        .collect();
    store.commit(partner_benefits::store::Commit { keys, ..Default::default() }).unwrap();
    drop(store);
    assert!(!dir.join("valid.db-wal").exists(), "closing folds the WAL into the file");
    path
}

/// Every entry of `dir` by name, with the bytes of each file. A `-shm` file
/// counts by name only: it is shared memory that any reader of a live store
/// may mark, so its bytes are not the file's content.
fn snapshot(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let bytes =
                if entry.file_type().unwrap().is_file() && !name.ends_with("-shm") { Some(fs::read(entry.path()).unwrap()) } else { None };
            (name, bytes)
        })
        .collect()
}

/// The directory a refused open must leave as it was: the nearest existing
/// ancestor of `path`'s directory (which may itself be missing).
fn home(path: &Path) -> PathBuf {
    path.ancestors().skip(1).find(|dir| dir.is_dir()).unwrap().to_path_buf()
}

/// Asserts that `dir` holds exactly the files of `before`, with their bytes.
fn assert_unchanged(dir: &Path, before: &BTreeMap<String, Option<Vec<u8>>>) {
    let after = snapshot(dir);
    let added: Vec<_> = after.keys().filter(|name| !before.contains_key(*name)).collect();
    let removed: Vec<_> = before.keys().filter(|name| !after.contains_key(*name)).collect();
    assert!(added.is_empty() && removed.is_empty(), "the refused open changed the directory: added {added:?}, removed {removed:?}");
    for (name, bytes) in before {
        assert!(after.get(name) == Some(bytes), "the refused open changed the bytes of `{name}`");
    }
}

/// Opens `path`, expects a `storage` error, checks that neither the file nor
/// its directory changed.
fn refused(path: &Path) -> String {
    let dir = home(path);
    let before_dir = snapshot(&dir);
    let before = fs::read(path).ok();
    let err = match SqliteStore::open(path) {
        Ok(_) => panic!("`{}` was opened", path.display()),
        Err(err) => err,
    };
    assert!(matches!(err, Error::Storage { .. }), "expected a storage error, got {err:?}");
    assert_eq!(fs::read(path).ok(), before, "the file was modified");
    assert_unchanged(&dir, &before_dir);
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "the message names the path: {message}");
    message
}

/// Side files of `path` that exist now.
fn side_files(path: &Path) -> Vec<String> {
    ["-wal", "-shm", "-journal"]
        .iter()
        .map(|suffix| format!("{}{suffix}", path.display()))
        .filter(|side| Path::new(side).exists())
        .collect()
}

fn corrupt(dir: &Path) -> String {
    let path = valid_store(dir);
    let mut bytes = fs::read(&path).unwrap();
    for (i, byte) in bytes.iter_mut().take(100).enumerate() {
        *byte = (i as u8).wrapping_mul(37) ^ 0xA5;
    }
    fs::write(&path, bytes).unwrap();
    refused(&path)
}

fn truncated(dir: &Path) -> String {
    let path = valid_store(dir);
    let len = fs::metadata(&path).unwrap().len();
    // Cut at a page boundary: only the header's page count tells.
    let file = fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(len / 2 / 4096 * 4096).unwrap();
    drop(file);
    refused(&path)
}

fn truncated_mid_header(dir: &Path) -> String {
    let path = valid_store(dir);
    let file = fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(50).unwrap();
    drop(file);
    refused(&path)
}

fn foreign(dir: &Path) -> String {
    let path = dir.join("foreign.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('hello');").unwrap();
    drop(conn);
    refused(&path)
}

fn newer(dir: &Path) -> String {
    let path = valid_store(dir);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    refused(&path)
}

fn read_only(dir: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = valid_store(dir);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
    refused(&path)
}

fn missing_directory(dir: &Path) -> String {
    let path = dir.join("no-such-dir").join("benefits.db");
    let message = refused(&path);
    assert!(!dir.join("no-such-dir").exists(), "the directory was created");
    message
}

fn zero_length(dir: &Path) -> String {
    let path = dir.join("empty.db");
    fs::File::create(&path).unwrap();
    refused(&path)
}

fn directory(dir: &Path) -> String {
    let path = dir.join("a-directory.db");
    fs::create_dir(&path).unwrap();
    let message = refused(&path);
    assert!(path.is_dir());
    message
}

type Case = (&'static str, fn(&Path) -> String, &'static str);

const CASES: [Case; 10] = [
    ("corrupt", corrupt, "header is damaged"),
    ("truncated", truncated, "is truncated"),
    ("truncated mid header", truncated_mid_header, "shorter than a SQLite header"),
    ("foreign", foreign, "another application"),
    ("newer", newer, "schema version 99"),
    ("read-only", read_only, "read-only"),
    ("missing directory", missing_directory, "does not exist"),
    ("zero-length", zero_length, "empty file"),
    ("directory", directory, "is a directory"),
    ("text file", text_file, "not a SQLite database"),
];

fn text_file(dir: &Path) -> String {
    let path = dir.join("notes.txt");
    fs::write(&path, "these are not the benefits you are looking for\n".repeat(20)).unwrap();
    refused(&path)
}

fn run(name: &str) {
    let (_, case, expected) = CASES.iter().find(|(n, _, _)| *n == name).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let message = case(dir.path());
    assert!(message.contains(expected), "{name}: `{message}` should say `{expected}`");
}

#[test]
fn refuses_a_corrupt_file() {
    run("corrupt");
}

#[test]
fn refuses_a_truncated_file() {
    run("truncated");
    run("truncated mid header");
}

#[test]
fn refuses_a_foreign_sqlite_file() {
    run("foreign");
}

#[test]
fn refuses_a_newer_schema() {
    run("newer");
}

#[test]
fn refuses_a_read_only_file() {
    run("read-only");
}

#[test]
fn refuses_a_missing_directory() {
    run("missing directory");
}

#[test]
fn refuses_a_zero_length_file() {
    run("zero-length");
}

#[test]
fn refuses_a_directory() {
    run("directory");
}

#[test]
fn refuses_a_file_that_is_not_sqlite() {
    run("text file");
}

#[test]
fn every_bad_file_gets_its_own_message() {
    let mut kinds: Vec<String> = CASES
        .iter()
        .map(|(_, case, _)| {
            let dir = tempfile::tempdir().unwrap();
            let message = case(dir.path());
            // Compare the messages without the paths.
            message.replace(&dir.path().display().to_string(), "")
        })
        .collect();
    let total = kinds.len();
    kinds.sort();
    kinds.dedup();
    assert_eq!(kinds.len(), total, "two cases share a message: {kinds:#?}");
}

#[test]
fn a_valid_store_still_opens_after_a_refusal_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let path = valid_store(dir.path());
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.allocate_organization_id().unwrap().number(), 301);
}

/// Damage past the header shows when the damaged pages are read: a `storage`
/// error, never a panic or wrong data.
#[test]
fn damage_inside_the_file_is_a_storage_error_when_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = valid_store(dir.path());
    let mut bytes = fs::read(&path).unwrap();
    let len = bytes.len();
    for byte in bytes.iter_mut().skip(4096).take(len - 8192) {
        *byte = 0xFF;
    }
    fs::write(&path, bytes).unwrap();
    let product = partner_benefits::values::Code::parse("product", "windows-server").unwrap();
    let result = SqliteStore::open(&path).and_then(|store| store.vault_keys(&product, 0, 400));
    match result {
        Err(Error::Storage { message }) => assert!(message.contains("corrupt") || message.contains("malformed"), "{message}"),
        other => panic!("damage went unnoticed: {:?}", other.map(|keys| keys.len())),
    }
}

/// Processes (here threads) opening a missing file at once all get the same,
/// complete store: it is built aside and linked into place.
#[test]
fn stores_created_concurrently_agree_on_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || SqliteStore::open(&path).unwrap().allocate_organization_id().unwrap().number())
        })
        .collect();
    let mut ids: Vec<u64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=6).collect::<Vec<_>>(), "every opener used the same file");
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("creating"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files were left: {leftovers:?}");
}

#[test]
fn a_refused_open_leaves_no_side_files() {
    // `refused` compares the whole directory in every case; this says so by name.
    for (name, case, _) in CASES {
        let dir = tempfile::tempdir().unwrap();
        case(dir.path());
        let sides: Vec<_> = snapshot(dir.path()).into_keys().filter(|n| n.ends_with("-wal") || n.ends_with("-shm")).collect();
        assert!(sides.is_empty(), "{name}: side files were left: {sides:?}");
    }
}

#[test]
fn a_newer_schema_is_refused_without_creating_side_files() {
    let dir = tempfile::tempdir().unwrap();
    let message = newer(dir.path());
    assert!(message.contains("schema version 99"), "{message}");
    assert_eq!(side_files(&dir.path().join("valid.db")), Vec::<String>::new());
}

#[test]
fn a_read_only_file_is_refused_without_creating_side_files() {
    let dir = tempfile::tempdir().unwrap();
    let message = read_only(dir.path());
    assert!(message.contains("read-only"), "{message}");
    assert_eq!(side_files(&dir.path().join("valid.db")), Vec::<String>::new());
}

/// Sets the immutable attribute on `path` for as long as it lives, and clears
/// it on drop (also when a test fails) so the temporary directory can go.
struct Immutable(PathBuf);

impl Immutable {
    /// `None` when `chattr` is missing or not permitted here.
    fn set(path: &Path) -> Option<Self> {
        let status = Command::new("chattr").arg("+i").arg(path).output().ok()?.status;
        status.success().then(|| Self(path.to_path_buf()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).output();
    }
}

#[test]
fn an_immutable_file_is_refused_without_creating_side_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = valid_store(dir.path());
    let Some(_immutable) = Immutable::set(&path) else {
        eprintln!("SKIPPED an_immutable_file_is_refused_without_creating_side_files: `chattr +i` is unavailable or not permitted here");
        return;
    };
    // The permission bits still say writable: only opening it for writing tells.
    assert!(!fs::metadata(&path).unwrap().permissions().readonly());
    let message = refused(&path);
    assert!(message.contains("read-only"), "{message}");
    assert_eq!(side_files(&path), Vec::<String>::new());
}

/// Makes `dir` unwritable for as long as it lives: by its permission bits
/// where they bind (not for root), else by the immutable attribute.
enum ReadOnlyDir {
    Bits(PathBuf),
    Immutable { _held: Immutable },
}

impl ReadOnlyDir {
    fn set(dir: &Path) -> Option<Self> {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o555)).unwrap();
        let guard = Self::Bits(dir.to_path_buf());
        let probe = dir.join("probe");
        if fs::File::create(&probe).is_err() {
            return Some(guard);
        }
        // Permission bits do not stop this user (root): try the attribute.
        fs::remove_file(&probe).unwrap();
        drop(guard);
        Immutable::set(dir).map(|held| Self::Immutable { _held: held })
    }
}

impl Drop for ReadOnlyDir {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        if let Self::Bits(dir) = self {
            let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o755));
        }
    }
}

#[test]
fn a_store_in_a_read_only_directory_is_refused_without_creating_side_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = valid_store(dir.path());
    let Some(_read_only) = ReadOnlyDir::set(dir.path()) else {
        eprintln!(
            "SKIPPED a_store_in_a_read_only_directory_is_refused_without_creating_side_files: permission bits do not bind \
             for this user and `chattr +i` is unavailable or not permitted here"
        );
        return;
    };
    refused(&path);
    assert_eq!(side_files(&path), Vec::<String>::new());
}

/// A raw connection that leaves its WAL beside the file when closed, as a
/// process that died would, and never checkpoints on its own.
fn keeping_the_wal(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true).unwrap();
    conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    conn
}

#[test]
fn a_newer_schema_in_a_live_wal_is_refused_leaving_its_side_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = valid_store(dir.path());
    let live = keeping_the_wal(&path);
    live.pragma_update(None, "user_version", 99).unwrap();
    assert!(!side_files(&path).is_empty(), "the live connection has its WAL");
    // The file's own header still says version 2: only the WAL says 99.
    let message = refused(&path);
    assert!(message.contains("schema version 99"), "{message}");
    drop(live);
}

#[test]
fn a_newer_schema_in_a_leftover_wal_is_refused_without_creating_a_shm_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = valid_store(dir.path());
    let conn = keeping_the_wal(&path);
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let shm = format!("{}-shm", path.display());
    fs::remove_file(&shm).unwrap();
    assert_eq!(side_files(&path), vec![format!("{}-wal", path.display())]);
    let message = refused(&path);
    assert!(message.contains("schema version 99"), "{message}");
}

#[test]
fn a_store_with_a_leftover_wal_and_no_shm_opens_with_what_the_wal_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = valid_store(dir.path());
    let conn = keeping_the_wal(&path);
    conn.execute("UPDATE counters SET value = value + 1000 WHERE name = 'organization'", []).unwrap();
    // Rewrites page 1 in the WAL: the open reads the header from there.
    conn.pragma_update(None, "user_version", partner_benefits_sqlite::SCHEMA_VERSION).unwrap();
    drop(conn);
    fs::remove_file(format!("{}-shm", path.display())).unwrap();
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.allocate_organization_id().unwrap().number(), 1301);
}

/// A transaction whose last frame did not reach the disk whole is not part of
/// the WAL, for SQLite's recovery and for the open's check alike.
#[test]
fn a_newer_schema_in_a_torn_wal_transaction_is_not_believed() {
    let dir = tempfile::tempdir().unwrap();
    let path = valid_store(dir.path());
    let conn = keeping_the_wal(&path);
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    // Without a `-shm`, SQLite too recovers from the WAL's checksums alone.
    fs::remove_file(format!("{}-shm", path.display())).unwrap();
    let wal = format!("{}-wal", path.display());
    let mut bytes = fs::read(&wal).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xFF;
    fs::write(&wal, bytes).unwrap();
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.allocate_organization_id().unwrap().number(), 301);
}

/// Damage to page 1 past the header is found only by SQLite, on the
/// read-write connection; closing that connection removes what it made.
#[test]
fn a_damaged_schema_table_is_refused_without_leaving_side_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = valid_store(dir.path());
    let mut bytes = fs::read(&path).unwrap();
    for byte in bytes.iter_mut().take(4096).skip(100) {
        *byte = 0xEE;
    }
    fs::write(&path, bytes).unwrap();
    let message = refused(&path);
    assert!(message.contains("corrupt") || message.contains("malformed"), "{message}");
    assert_eq!(side_files(&path), Vec::<String>::new());
}
