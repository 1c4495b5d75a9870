//! What sealing license keys at rest costs: one key sealed and opened, and a
//! reveal of 5 keys from a SQLite vault kept in clear against one sealed.
//!
//! `cargo bench -p partner-benefits-benches --bench sealing` (`BENCH_QUICK=1`
//! for the CI smoke run). A bench aborts on any failure; that is what
//! `unwrap` says here.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use partner_benefits::sealing::{Keyring, SealingKey};
use partner_benefits::store::{Commit, VaultKey};
use partner_benefits::values::Code;
use partner_benefits::{LicenseKey, Store};
use partner_benefits_benches::quick_mode;
use partner_benefits_sqlite::{SqliteOptions, SqliteStore};

const STOCKED: u64 = 1_000;

fn ring() -> Keyring {
    Keyring::new(SealingKey::from_bytes(&[7; 32]).unwrap())
}

/// A store file under `dir` with `STOCKED` keys of one product.
fn stocked(dir: &std::path::Path, name: &str, vault: Keyring) -> (SqliteStore, Code) {
    let product = Code::parse("product", "windows-server").unwrap();
    let store = SqliteStore::open_with(dir.join(name), SqliteOptions { vault, ..SqliteOptions::default() }).unwrap();
    let keys = (0..STOCKED)
        .map(|slot| VaultKey { product: product.clone(), slot, key: LicenseKey::new(format!("BENCH-KEY-{slot:06}-XXXXX-XXXXX")).unwrap() })
        .collect();
    store.commit(Commit { keys, ..Commit::default() }).unwrap();
    (store, product)
}

fn sealing(c: &mut Criterion) {
    let ring = ring();
    let key = LicenseKey::new("BENCH-KEY-000001-XXXXX-XXXXX").unwrap();
    let entry = ring.seal("windows-server", 1, &key).unwrap().unwrap();
    c.bench_function("seal one key", |b| b.iter(|| ring.seal("windows-server", 1, black_box(&key)).unwrap()));
    c.bench_function("open one key", |b| b.iter(|| ring.open("windows-server", 1, &entry.key_id, black_box(&entry.sealed)).unwrap()));

    let dir = tempfile::tempdir().unwrap();
    let (clear, product) = stocked(dir.path(), "clear.db", Keyring::none());
    let (sealed, _) = stocked(dir.path(), "sealed.db", ring.clone());
    let mut slot = 0;
    let mut reveal = |store: &SqliteStore| {
        slot = (slot + 5) % (STOCKED - 5);
        store.vault_keys(&product, slot, 5).unwrap()
    };
    c.bench_function("reveal 5 keys, SQLite vault in clear", |b| b.iter(|| reveal(&clear)));
    c.bench_function("reveal 5 keys, SQLite vault sealed", |b| b.iter(|| reveal(&sealed)));
}

fn config() -> Criterion {
    let c = Criterion::default();
    if quick_mode() { c.sample_size(10).warm_up_time(Duration::from_millis(100)).measurement_time(Duration::from_millis(300)) } else { c }
}

criterion_group! { name = benches; config = config(); targets = sealing }
criterion_main!(benches);
