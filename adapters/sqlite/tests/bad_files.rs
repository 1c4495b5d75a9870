//! Files that are not a usable store: each is refused with its own `storage`
//! error, and left byte-for-byte unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::fs;
use std::path::{Path, PathBuf};

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

/// Opens `path`, expects a `storage` error, checks the file did not change.
fn refused(path: &Path) -> String {
    let before = fs::read(path).ok();
    let err = match SqliteStore::open(path) {
        Ok(_) => panic!("`{}` was opened", path.display()),
        Err(err) => err,
    };
    assert!(matches!(err, Error::Storage { .. }), "expected a storage error, got {err:?}");
    assert_eq!(fs::read(path).ok(), before, "the file was modified");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "the message names the path: {message}");
    message
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
