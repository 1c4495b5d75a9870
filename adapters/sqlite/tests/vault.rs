//! License keys sealed at rest in a real file: the conformance life of a
//! vault, and the file's own bytes (database, write-ahead log, a backup)
//! searched for every key after sealing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use partner_benefits::conformance::vault::{key_text, ring, sealing};
use partner_benefits::store::{Commit, VaultKey};
use partner_benefits::values::Code;
use partner_benefits::{LicenseKey, Store};
use partner_benefits_sqlite::{SqliteOptions, SqliteStore};

fn with_vault(ring: partner_benefits::sealing::Keyring) -> SqliteOptions {
    SqliteOptions { vault: ring, ..SqliteOptions::default() }
}

fn tag() -> String {
    format!("{:08x}", fastrand::u32(..))
}

#[test]
fn b3_a_sqlite_vault_is_sealed_in_place_refused_without_its_key_and_rotated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    sealing(&tag(), &|ring| SqliteStore::open_with(&path, with_vault(ring)));
}

#[test]
fn sqlite_store_conforms_with_a_sealed_vault() {
    let dir = tempfile::tempdir().unwrap();
    let count = AtomicUsize::new(0);
    partner_benefits::conformance::run_all(&|| {
        let n = count.fetch_add(1, Ordering::SeqCst);
        Arc::new(SqliteStore::open_with(dir.path().join(format!("store-{n}.db")), with_vault(ring(9, &[]))).unwrap())
    });
}

/// How many of the keys `texts` appear in the files at `paths` (missing files count as empty).
fn found_in(paths: &[PathBuf], texts: &[String]) -> usize {
    let bytes: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap_or_default()).collect();
    texts.iter().filter(|text| bytes.iter().any(|b| b.windows(text.len()).any(|w| w == text.as_bytes()))).count()
}

fn files_of(path: &Path) -> Vec<PathBuf> {
    let side = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    vec![path.to_path_buf(), side("-wal"), side("-shm")]
}

fn stock(store: &SqliteStore, tag: &str, product: &Code, slots: std::ops::Range<u64>) {
    let keys = slots.map(|slot| VaultKey { product: product.clone(), slot, key: LicenseKey::new(key_text(tag, slot)).unwrap() }).collect();
    store.commit(Commit { keys, ..Commit::default() }).unwrap();
}

#[test]
fn b3_after_sealing_the_file_its_wal_and_a_backup_hold_no_key_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let (tag, product) = (tag(), Code::parse("product", "windows-server").unwrap());
    let texts: Vec<String> = (0..300).map(|n| key_text(&tag, n)).collect();
    {
        // Kept in clear, as 0.1.0 did: the search finds them, so it can fail.
        let plain = SqliteStore::open(&path).unwrap();
        stock(&plain, &tag, &product, 0..150);
        stock(&plain, &tag, &product, 150..300);
        assert_eq!(found_in(&files_of(&path), &texts), 300, "keys in clear are visible to the byte search");
    }
    let sealed = SqliteStore::open_with(&path, with_vault(ring(1, &[]))).unwrap();
    let mut calls = 0;
    while sealed.reseal_vault(64).unwrap().remaining > 0 {
        calls += 1;
    }
    assert_eq!(calls, 4, "300 entries in batches of 64");
    let read: Vec<String> = sealed.vault_keys(&product, 0, 300).unwrap().iter().map(|k| k.reveal().to_owned()).collect();
    assert_eq!(read, texts);
    // The store is still open: the file and its write-ahead log as they are now.
    assert_eq!(found_in(&files_of(&path), &texts), 0, "a key is in clear in the file or its WAL");
    let backup = dir.path().join("backup.db");
    SqliteStore::backup(&path, &backup, |_| {}).unwrap();
    assert_eq!(found_in(&files_of(&backup), &texts), 0, "a key is in clear in the backup");
    drop(sealed);
    assert_eq!(found_in(&files_of(&path), &texts), 0, "a key is in clear in the closed file");
    // The backup is a sealed vault too: it opens with the key, not without.
    assert_eq!(SqliteStore::open(&backup).unwrap_err().code(), "storage");
    let restored = SqliteStore::open_with(&backup, with_vault(ring(1, &[]))).unwrap();
    assert_eq!(restored.vault_keys(&product, 299, 1).unwrap()[0].reveal(), texts[299]);
}

#[test]
fn b3_keys_stocked_under_a_vault_key_never_reach_the_file_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let (tag, product) = (tag(), Code::parse("product", "sql-server").unwrap());
    let texts: Vec<String> = (0..100).map(|n| key_text(&tag, n)).collect();
    let store = SqliteStore::open_with(&path, with_vault(ring(3, &[]))).unwrap();
    stock(&store, &tag, &product, 0..100);
    // Not even in the WAL before a checkpoint: nothing in clear was written.
    assert!(files_of(&path)[1].exists(), "the commit is in the write-ahead log");
    assert_eq!(found_in(&files_of(&path), &texts), 0);
    assert_eq!(store.vault_keys(&product, 42, 1).unwrap()[0].reveal(), texts[42]);
    let status = store.vault_status().unwrap();
    assert_eq!((status.clear, status.to_reseal()), (0, 0));
}

#[test]
fn b3_a_wrong_vault_key_is_refused_and_the_file_is_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let (tag, product) = (tag(), Code::parse("product", "sql-server").unwrap());
    drop({
        let store = SqliteStore::open_with(&path, with_vault(ring(3, &[]))).unwrap();
        stock(&store, &tag, &product, 0..10);
        store
    });
    let before = std::fs::read(&path).unwrap();
    for wrong in [ring(4, &[]), ring(4, &[5]), partner_benefits::sealing::Keyring::none()] {
        assert_eq!(SqliteStore::open_with(&path, with_vault(wrong)).unwrap_err().code(), "storage");
    }
    assert!(std::fs::read(&path).unwrap() == before, "a refused open changed the file");
}

#[test]
fn b3_a_reader_holding_the_wal_makes_the_last_reseal_say_so_and_a_later_one_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let (tag, product) = (tag(), Code::parse("product", "sql-server").unwrap());
    drop({
        let plain = SqliteStore::open(&path).unwrap();
        stock(&plain, &tag, &product, 0..20);
        plain
    });
    let sealed = SqliteStore::open_with(&path, with_vault(ring(1, &[]))).unwrap();
    // Another connection in a read transaction keeps the WAL's frames in use.
    let reader = rusqlite::Connection::open(&path).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader.query_row("SELECT count(*) FROM vault", [], |r| r.get(0)).unwrap();
    let err = sealed.reseal_vault(100).unwrap_err();
    assert_eq!(err.code(), "storage");
    assert!(err.to_string().contains("another connection is reading"), "{err}");
    // The sealing itself was committed; only the scrub waits.
    assert_eq!(sealed.vault_status().unwrap().to_reseal(), 0);
    reader.execute_batch("COMMIT").unwrap();
    drop(reader);
    let done = sealed.reseal_vault(100).unwrap();
    assert_eq!((done.resealed, done.remaining), (0, 0));
    let texts: Vec<String> = (0..20).map(|n| key_text(&tag, n)).collect();
    assert_eq!(found_in(&files_of(&path), &texts), 0);
}
