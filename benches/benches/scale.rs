//! Scale: memory per assigned seat in one organization, and the time to open
//! a SQLite file holding many events (via snapshots, and by full replay).
//!
//! `cargo bench -p partner-benefits-benches --bench scale` measures 10⁶ seats
//! and a file of 10⁵ events; `SCALE_SEATS=10000000` and `SCALE_EVENTS=1000000`
//! ask for the big ones; `-- --quick` (or `BENCH_QUICK=1`) measures 10⁵ seats
//! and 2·10⁴ events. Each memory figure is taken in a fresh child process
//! (this program re-run), so one measurement's freed memory never hides another's.
//! Snapshots at the default cadence; `SCALE_SNAPSHOT_EVERY` and
//! `SCALE_SNAPSHOT_BYTES_PER_EVENT` override it (`SCALE_SNAPSHOT_EVERY=0`: off;
//! `SCALE_SNAPSHOT_BYTES_PER_EVENT=0`: every 500 events whatever the size, as before).

use std::sync::Arc;
use std::time::Instant;

use partner_benefits::{BenefitCenter, BenefitId, CenterOptions, Command, Error, ManualClock, MemoryStore, RecordingMailer, Store, UserId};
use partner_benefits_benches::scale::{DiscardStore, add_user, churn, seat_catalog};
use partner_benefits_benches::{START, quick_mode, rss_bytes};
use partner_benefits_sqlite::SqliteStore;

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn center(store: Arc<dyn Store>, seats: u32, options: CenterOptions) -> Result<BenefitCenter, Error> {
    let clock = Arc::new(ManualClock::new(START.parse().unwrap_or_default()));
    Ok(BenefitCenter::with_options(store, Arc::new(RecordingMailer::new()), clock, seat_catalog(seats)?, options))
}

/// In a child process: adds `seats` users, then assigns each a seat; prints
/// `bytes_per_user bytes_per_seat seconds_users seconds_seats`.
fn child(store_kind: &str, seats: u32) -> Result<(), Error> {
    let store: Arc<dyn Store> = match store_kind {
        "memory" => Arc::new(MemoryStore::new()),
        _ => Arc::new(DiscardStore::new()),
    };
    // The default snapshot cadence unless `SCALE_SNAPSHOT_EVERY` (0: off) or
    // `SCALE_SNAPSHOT_BYTES_PER_EVENT` (0: every `snapshot_every` events
    // whatever the state's size) say otherwise; see docs/PERFORMANCE.md.
    let center = center(store, seats, snapshot_options())?;
    let org = center.create_organization("Scale Ltd", "partners@scale.example", "Admin", "admin@scale.example")?;
    let admin = center.session(org.id, org.admin_id);
    admin.purchase_package("seats")?;
    let benefit = BenefitId::new(org.id, 1);
    let rss0 = rss_bytes();
    let started = Instant::now();
    for seq in 2..u64::from(seats) + 2 {
        admin.execute(add_user(org.id, seq))?;
    }
    let users_secs = started.elapsed().as_secs_f64();
    let rss1 = rss_bytes();
    let started = Instant::now();
    for seq in 2..seats + 2 {
        admin.execute(Command::AssignUser { benefit, user: UserId::new(org.id, seq) })?;
    }
    let seats_secs = started.elapsed().as_secs_f64();
    let rss2 = rss_bytes();
    let per = |a: u64, b: u64| b.saturating_sub(a) as f64 / f64::from(seats.max(1));
    println!("{} {} {users_secs} {seats_secs}", per(rss0, rss1), per(rss1, rss2));
    Ok(())
}

/// The default options, with the snapshot cadence from the environment if set.
fn snapshot_options() -> CenterOptions {
    let default = CenterOptions::default();
    CenterOptions {
        snapshot_every: env_number("SCALE_SNAPSHOT_EVERY").unwrap_or(default.snapshot_every),
        snapshot_bytes_per_event: env_number("SCALE_SNAPSHOT_BYTES_PER_EVENT").unwrap_or(default.snapshot_bytes_per_event),
        ..default
    }
}

fn measure_in_child(store_kind: &str, seats: u32) -> Option<(f64, f64, f64, f64)> {
    let exe = std::env::current_exe().ok()?;
    let output = std::process::Command::new(exe).env("SCALE_CHILD", format!("{store_kind}:{seats}")).output().ok()?;
    if !output.status.success() {
        eprintln!("child {store_kind}:{seats} failed: {}", String::from_utf8_lossy(&output.stderr));
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let numbers: Vec<f64> = text.lines().last()?.split_whitespace().filter_map(|n| n.parse().ok()).collect();
    match numbers.as_slice() {
        [a, b, c, d] => Some((*a, *b, *c, *d)),
        _ => None,
    }
}

/// Builds a SQLite file holding at least `events` events of one organization
/// (seat churn, batches of 1 000 commands); returns (events, seconds).
fn build_file(path: &std::path::Path, events: u64) -> Result<(u64, f64), Error> {
    let users = 1_000;
    let store = Arc::new(SqliteStore::open(path)?);
    let center = center(store.clone(), users, CenterOptions::default())?;
    let org = center.create_organization("Open Ltd", "partners@open.example", "Admin", "admin@open.example")?;
    let admin = center.session(org.id, org.admin_id);
    let started = Instant::now();
    let adds: Vec<Command> = (2..u64::from(users) + 2).map(|seq| add_user(org.id, seq)).collect();
    admin.execute_batch(&adds)?;
    admin.purchase_package("seats")?;
    let benefit = BenefitId::new(org.id, 1);
    let stream = partner_benefits::StreamId::Organization(org.id);
    let mut version = store.read_events(&stream, 0, usize::MAX)?.len() as u64;
    let mut next = 0;
    while version < events {
        let batch: Vec<Command> = churn(benefit, users, next..next + 1_000).collect();
        admin.execute_batch(&batch)?;
        next += 1_000;
        // Only the new events are read back, to count them.
        version += store.read_events(&stream, version, usize::MAX)?.len() as u64;
    }
    Ok((version, started.elapsed().as_secs_f64()))
}

/// Opens the file and answers one query; returns seconds.
fn open_and_query(path: &std::path::Path) -> Result<f64, Error> {
    let started = Instant::now();
    let store = Arc::new(SqliteStore::open(path)?);
    let center = center(store, 1_000, CenterOptions::default())?;
    let org = partner_benefits::OrganizationId::new(1);
    center.session(org, UserId::new(org, 1)).organization()?;
    Ok(started.elapsed().as_secs_f64())
}

fn main() {
    if let Ok(spec) = std::env::var("SCALE_CHILD") {
        let (kind, seats) = spec.split_once(':').unwrap_or(("discard", "1000"));
        if let Err(err) = child(kind, seats.parse().unwrap_or(1_000)) {
            eprintln!("{err}");
            std::process::exit(1);
        }
        return;
    }
    let quick = quick_mode();
    let seats = env_number("SCALE_SEATS").map_or(if quick { 100_000 } else { 1_000_000 }, |n| u32::try_from(n).unwrap_or(u32::MAX));
    let options = snapshot_options();
    println!(
        "snapshots: every {} events, and at least the last one's size / {} bytes",
        options.snapshot_every, options.snapshot_bytes_per_event
    );
    println!("| store | seats | bytes per user | bytes per assigned seat | add users/s | assign seats/s |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for kind in ["discard", "memory"] {
        if kind == "memory" && seats > 2_000_000 {
            // History and mail in RAM take about 2.4 KB a seat: 10⁷ would not fit.
            println!("| MemoryStore (history + mail in RAM) | {seats} | skipped: would not fit in memory | | | |");
            continue;
        }
        if let Some((per_user, per_seat, users_secs, seats_secs)) = measure_in_child(kind, seats) {
            let name = if kind == "discard" { "history on disk (state only)" } else { "MemoryStore (history + mail in RAM)" };
            let n = f64::from(seats);
            println!("| {name} | {seats} | {per_user:.0} | {per_seat:.0} | {:.0} | {:.0} |", n / users_secs, n / seats_secs);
        }
    }

    let events = env_number("SCALE_EVENTS").unwrap_or(if quick { 20_000 } else { 100_000 });
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("open.db");
    match build_file(&path, events) {
        Ok((held, secs)) => {
            println!();
            println!(
                "SQLite file of {held} events (one organization) written in {secs:.1} s ({:.0} events/s, batches of 1000)",
                held as f64 / secs
            );
            println!("| open + first query | seconds |");
            println!("| --- | ---: |");
            match open_and_query(&path) {
                Ok(secs) => println!("| via the newest snapshot (default cadence) | {secs:.3} |"),
                Err(err) => eprintln!("open failed: {err}"),
            }
            let cleared = rusqlite::Connection::open(&path).and_then(|c| c.execute("DELETE FROM snapshots", []));
            match cleared.map_err(|e| Error::storage(e.to_string())).and_then(|_| open_and_query(&path)) {
                Ok(secs) => println!("| by replaying every event (snapshots deleted) | {secs:.3} |"),
                Err(err) => eprintln!("open without snapshots failed: {err}"),
            }
        }
        Err(err) => eprintln!("building the SQLite file failed: {err}"),
    }
}
