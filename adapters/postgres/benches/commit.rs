//! Commit throughput on PostgreSQL beside SQLite, same workload: commands per
//! second with one command per transaction, and with `Session::execute_batch`
//! of 1000 commands (one transaction).
//!
//! Needs a server: `PGURL=postgres://... cargo bench -p partner-benefits-postgres
//! --bench commit -- --quick` (scripts/pg.sh starts a throwaway one). Without
//! `PGURL` only the SQLite rows run. Each run uses a new schema.
// A benchmark aborts on any failure; that is what unwrap says here.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use partner_benefits::{BenefitCenter, Catalog, Command, ManualClock, RecordingMailer, Session, Store};
use partner_benefits_postgres::{PostgresOptions, PostgresStore};
use partner_benefits_sqlite::SqliteStore;

const BATCH: usize = 1000;

fn center(store: Arc<dyn Store>) -> BenefitCenter {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().unwrap()));
    BenefitCenter::new(store, Arc::new(RecordingMailer::new()), clock, Catalog::builtin().unwrap())
}

/// A store on a new schema; `without_feed`: with what the changes feed adds
/// to every commit taken away (the `txid` each event records, and the
/// indexes readers number events by), to measure what the feed costs writers.
fn postgres(without_feed: bool) -> Option<Arc<dyn Store>> {
    let Ok(url) = std::env::var("PGURL") else {
        eprintln!("note: PGURL is not set; skipping the PostgreSQL rows");
        return None;
    };
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    let schema = format!("bench_{}_{secs}_{}", std::process::id(), u8::from(without_feed));
    let options = PostgresOptions { schema: Some(schema.clone()), ..PostgresOptions::default() };
    let store = PostgresStore::connect_with(&url, options).unwrap();
    if without_feed {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        client
            .batch_execute(&format!(
                "SET search_path TO {schema};
                 ALTER TABLE pb_events ALTER COLUMN txid DROP DEFAULT, ALTER COLUMN txid DROP NOT NULL;
                 DROP INDEX pb_events_unpositioned; DROP INDEX pb_events_position;"
            ))
            .unwrap();
    }
    Some(Arc::new(store))
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
fn single(c: &mut Criterion, name: &str, store: Arc<dyn Store>) {
    let center = center(store);
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

/// `execute_batch` of 1000 `AddUser`s: one transaction, 1000 commands.
fn batch(c: &mut Criterion, name: &str, store: Arc<dyn Store>) {
    let center = center(store);
    let mut group = c.benchmark_group("commit");
    group.throughput(Throughput::Elements(BATCH as u64));
    let mut n = 0u64;
    group.bench_function(name, |b| {
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

fn on_postgres(c: &mut Criterion) {
    if let Some(store) = postgres(false) {
        single(c, "postgres_single_command", Arc::clone(&store));
        batch(c, "postgres_execute_batch_1000", store);
    }
    if let Some(store) = postgres(true) {
        single(c, "postgres_single_command_without_feed", Arc::clone(&store));
        batch(c, "postgres_execute_batch_1000_without_feed", store);
    }
}

fn on_sqlite(c: &mut Criterion) {
    // Under the target directory: a real disk, not a RAM-backed /tmp.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    single(c, "sqlite_single_command", Arc::new(SqliteStore::open(dir.path().join("single.db")).unwrap()));
    batch(c, "sqlite_execute_batch_1000", Arc::new(SqliteStore::open(dir.path().join("batch.db")).unwrap()));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = on_postgres, on_sqlite
}
criterion_main!(benches);
