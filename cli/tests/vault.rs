//! `vault status` and `vault reseal`: a store kept in clear sealed in place
//! with a key file, then rotated; every other subcommand opens it with the key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use common::{Fixture, PRODUCTS, failure, json, stdout};

/// How many of the fixture's keys (`WINDOWS-SERVER-00000`...) are in clear in the store's files.
fn in_clear(f: &Fixture) -> usize {
    let mut bytes = std::fs::read(&f.path).unwrap();
    bytes.extend(std::fs::read(f.path.with_extension("db-wal")).unwrap_or_default());
    let keys: Vec<String> = PRODUCTS.iter().flat_map(|p| (0..20).map(move |n| format!("{}-{n:05}", p.to_uppercase()))).collect();
    keys.iter().filter(|k| bytes.windows(k.len()).any(|w| w == k.as_bytes())).count()
}

#[test]
fn b3_vault_reseal_seals_a_store_in_place_and_a_rotation_moves_it_to_the_new_key() {
    let f = Fixture::new();
    assert_eq!(in_clear(&f), 60, "the fixture keeps its 60 keys in clear");
    let status = json(f.cli().args(["vault", "status", "--json"]));
    assert_eq!((status["clear"].as_u64(), status["to_reseal"].as_u64(), status["sealing_key"].is_null()), (Some(60), Some(60), true));
    // Without a key file there is nothing to seal under.
    failure(f.cli().args(["vault", "reseal"]), 1, "precondition_failed");

    let old = f.file("old.key", &"ab".repeat(32));
    let new = f.dir.path().join("new.key");
    std::fs::write(&new, [7u8; 32]).unwrap();
    let done = json(f.cli().arg("--vault-key-file").arg(&old).args(["vault", "reseal", "--batch", "25", "--json"]));
    assert_eq!((done["resealed"].as_u64(), done["batches"].as_u64()), (Some(60), Some(3)));
    let old_id = done["sealing_key"].as_str().unwrap().to_owned();
    assert_eq!(in_clear(&f), 0, "a key is still in clear after `vault reseal`");

    // Now every subcommand needs the key: without it, a clear refusal.
    let line = failure(f.cli().arg("status"), 1, "storage");
    assert!(line.contains(&old_id), "{line}");
    let shown = stdout(f.cli().arg("--vault-key-file").arg(&old).args(["show", &f.org.to_string()]));
    assert!(shown.contains("Contoso"), "{shown}");

    // Rotation: the new key, the old one as previous, then the new one alone.
    let rotate =
        json(f.cli().arg("--vault-key-file").arg(&new).arg("--previous-vault-key-file").arg(&old).args(["vault", "reseal", "--json"]));
    assert_eq!(rotate["resealed"].as_u64(), Some(60));
    let status = json(f.cli().arg("--vault-key-file").arg(&new).args(["vault", "status", "--json"]));
    let new_id = status["sealing_key"].as_str().unwrap().to_owned();
    assert_ne!(new_id, old_id);
    assert_eq!(status["sealed"][&new_id].as_u64(), Some(60));
    assert_eq!(status["to_reseal"].as_u64(), Some(0));
    failure(f.cli().arg("--vault-key-file").arg(&old).arg("status"), 1, "storage");
}

#[test]
fn a_vault_key_file_that_is_not_a_key_is_refused_without_showing_it() {
    let f = Fixture::new();
    for (name, content) in [("short.key", "0123"), ("text.key", "not a key at all, but long enough to be 64 characters long....!")] {
        let path = f.file(name, content);
        let line = failure(f.cli().arg("--vault-key-file").arg(&path).arg("status"), 1, "invalid_input");
        assert!(line.contains(name) && !line.contains(content), "{line}");
    }
    let missing = f.dir.path().join("missing.key");
    failure(f.cli().arg("--vault-key-file").arg(&missing).arg("status"), 1, "invalid_input");
    failure(f.cli().args(["vault", "reseal", "--batch", "0"]), 1, "invalid_input");
}

#[test]
fn b3_export_include_keys_with_a_vault_key_writes_them_sealed_and_import_needs_that_key() {
    let f = Fixture::new();
    let key = f.file("vault.key", &"cd".repeat(32));
    let moved = f.dir.path().join("moved.jsonl");
    let done = json(f.cli().arg("--vault-key-file").arg(&key).args(["export", "--include-keys", "--json"]).arg(&moved));
    assert_eq!(done["keys"].as_u64(), Some(60));
    let text = std::fs::read_to_string(&moved).unwrap();
    assert!(!text.contains("WINDOWS-SERVER-000") && text.contains("\"record\":\"sealed_key\""), "keys in clear in a sealed export");
    // Without the vault key the import is refused, and the new file is not left behind.
    let target = f.dir.path().join("target.db");
    common::failure(common::bare().arg("--db").arg(&target).arg("import").arg(&moved), 1, "invalid_input");
    assert!(!target.exists());
    let other = f.dir.path().join("other.key");
    std::fs::write(&other, [9u8; 32]).unwrap();
    let imported = common::bare()
        .arg("--db")
        .arg(&target)
        .arg("--vault-key-file")
        .arg(&other)
        .arg("--previous-vault-key-file")
        .arg(&key)
        .args(["import", "--json"])
        .arg(&moved)
        .output()
        .unwrap();
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    let status = json(common::bare().arg("--db").arg(&target).arg("--vault-key-file").arg(&other).args(["vault", "status", "--json"]));
    assert_eq!((status["clear"].as_u64(), status["to_reseal"].as_u64()), (Some(0), Some(0)));
}
