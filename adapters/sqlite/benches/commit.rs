//! Commit throughput of the SQLite store: commands per second with one
//! command per transaction, with `execute_batch` of 1000 commands, and raw
//! rusqlite inserts with the same pragmas as a floor for comparison.
//!
//! `cargo bench -p partner-benefits-sqlite --bench commit` (append `-- --quick`
//! for a short run). Files live under the cargo target directory (a real disk,
//! so `synchronous=FULL` pays for its flushes), not in a RAM-backed /tmp.
// A benchmark aborts on any failure; that is what unwrap says here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use partner_benefits::{BenefitCenter, Catalog, Command, ManualClock, RecordingMailer, Session};
use partner_benefits_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use rusqlite::{Connection, TransactionBehavior, params};

const BATCH: usize = 1000;

fn workdir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

fn center(path: &Path, synchronous: Synchronous) -> BenefitCenter {
    let options = SqliteOptions { synchronous, ..SqliteOptions::default() };
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().unwrap()));
    BenefitCenter::new(
        Arc::new(SqliteStore::open_with(path, options).unwrap()),
        Arc::new(RecordingMailer::new()),
        clock,
        Catalog::builtin().unwrap(),
    )
}

fn new_org(center: &BenefitCenter, n: u64) -> Session {
    let org = center.create_organization(&format!("Org {n}"), &format!("partners{n}@example.com"), "Admin", "admin@example.com").unwrap();
    center.session(org.id, org.admin_id)
}

fn add_user(n: u64) -> Command {
    Command::AddUser { name: format!("User {n}"), email: format!("user{n}@example.com"), roles: Vec::new(), language: None }
}

/// One `AddUser` per transaction; a fresh organization every 500 commands
/// keeps the state the same size however long criterion runs.
fn single(c: &mut Criterion, name: &str, synchronous: Synchronous) {
    let dir = workdir();
    let center = center(&dir.path().join("single.db"), synchronous);
    let mut group = c.benchmark_group("commit");
    group.throughput(Throughput::Elements(1));
    let mut n = 0u64;
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut session = new_org(&center, n);
            for i in 0..iters {
                if i > 0 && i % 500 == 0 {
                    session = new_org(&center, n);
                }
                n += 1;
                let started = Instant::now();
                black_box(session.execute(add_user(n)).unwrap());
                total += started.elapsed();
            }
            total
        });
    });
    group.finish();
}

fn single_full(c: &mut Criterion) {
    single(c, "single_command_full", Synchronous::Full);
}

fn single_normal(c: &mut Criterion) {
    single(c, "single_command_normal", Synchronous::Normal);
}

/// `execute_batch` of 1000 `AddUser`s: one transaction, 1000 commands.
fn batch(c: &mut Criterion) {
    let dir = workdir();
    let center = center(&dir.path().join("batch.db"), Synchronous::Full);
    let mut group = c.benchmark_group("commit");
    group.throughput(Throughput::Elements(BATCH as u64));
    let mut n = 0u64;
    group.bench_function("execute_batch_1000_full", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let session = new_org(&center, n);
                let commands: Vec<Command> = (0..BATCH)
                    .map(|_| {
                        n += 1;
                        add_user(n)
                    })
                    .collect();
                let started = Instant::now();
                black_box(session.execute_batch(&commands).unwrap());
                total += started.elapsed();
            }
            total
        });
    });
    group.finish();
}

/// The floor: rusqlite alone, same pragmas, an event-sized row per insert.
fn raw(c: &mut Criterion) {
    let dir = workdir();
    let conn = Connection::open(dir.path().join("raw.db")).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    let _: String = conn.pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0)).unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    conn.execute_batch(
        "CREATE TABLE events (stream TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (stream, version)) STRICT, WITHOUT ROWID;",
    )
    .unwrap();
    let body = format!("{{\"event\":{{\"user_added\":{{\"name\":\"{}\"}}}}}}", "x".repeat(200));
    let mut conn = conn;
    let mut version = 0i64;
    let mut group = c.benchmark_group("commit");
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw_rusqlite_single_insert_full", |b| {
        b.iter(|| {
            version += 1;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).unwrap();
            tx.execute("INSERT INTO events (stream, version, body) VALUES ('raw', ?1, ?2)", params![version, body]).unwrap();
            tx.commit().unwrap();
        });
    });
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("raw_rusqlite_1000_inserts_full", |b| {
        b.iter(|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).unwrap();
            {
                let mut insert = tx.prepare_cached("INSERT INTO events (stream, version, body) VALUES ('raw', ?1, ?2)").unwrap();
                for _ in 0..BATCH {
                    version += 1;
                    insert.execute(params![version, body]).unwrap();
                }
            }
            tx.commit().unwrap();
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    targets = single_full, single_normal, batch, raw
}
criterion_main!(benches);
