//! Scale-out: 1, 2, 4 and 8 processes on one store, each its own center (as
//! instances of a host would be), with default settings. For each store
//! (one SQLite file; PostgreSQL when `PGURL` is set), each organization
//! layout (every process its own organization, or all on one) and each mix
//! (purchase-heavy: buy an Action Pack; seat-heavy: assign a Visual Studio
//! seat, then release it), every process runs the same fixed number of
//! commands after a common start. Reported: commands per second over all
//! processes (first start to last finish), conflicts decided again inside
//! the library, conflicts that reached the caller, and p50/p99 latency per
//! command. Nothing is asserted: the figures go to docs/PERFORMANCE.md.
//!
//! `cargo bench -p partner-benefits-benches --bench scale_out` (full: 1, 2, 4,
//! 8 processes, 200 commands each); `BENCH_QUICK=1` runs 1 and 2 processes
//! of 20 commands. `PGURL=postgres://...` adds the PostgreSQL rows
//! (scripts/pg.sh starts a throwaway server); each run uses a new schema.
// A benchmark aborts on any failure; that is what unwrap says here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdout, Command as Process, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use partner_benefits::{BenefitCenter, BenefitId, Catalog, Category, Error, LicenseKey, ManualClock, RecordingMailer, Store, UserId};
use partner_benefits_postgres::{PostgresOptions, PostgresStore};
use partner_benefits_sqlite::SqliteStore;

const CHILD: &str = "SCALE_OUT_CHILD";
/// Keys one Action Pack takes, per product.
const PRODUCTS: [(&str, usize); 3] = [("windows-server", 1), ("office-professional-plus", 5), ("microsoft-365-e3", 5)];

#[derive(Clone, Copy, PartialEq)]
enum Mix {
    Purchases,
    Seats,
}

#[derive(Clone, Copy, PartialEq)]
enum Layout {
    Distinct,
    Shared,
}

/// Where a run's store is.
#[derive(Clone)]
enum Target {
    Sqlite(std::path::PathBuf),
    Postgres { url: String, schema: String },
}

impl Target {
    fn open(&self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite(path) => Arc::new(SqliteStore::open(path).unwrap()),
            Self::Postgres { url, schema } => Arc::new(
                PostgresStore::connect_with(
                    url,
                    PostgresOptions { schema: Some(schema.clone()), pool_size: 1, ..PostgresOptions::default() },
                )
                .unwrap(),
            ),
        }
    }

    fn env(&self, child: &mut Process) {
        match self {
            Self::Sqlite(path) => child.env("SCALE_OUT_SQLITE", path),
            Self::Postgres { url, schema } => child.env("SCALE_OUT_PGURL", url).env("SCALE_OUT_SCHEMA", schema),
        };
    }

    fn from_env() -> Self {
        match std::env::var_os("SCALE_OUT_SQLITE") {
            Some(path) => Self::Sqlite(path.into()),
            None => Self::Postgres { url: var("SCALE_OUT_PGURL"), schema: var("SCALE_OUT_SCHEMA") },
        }
    }
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

fn center(store: Arc<dyn Store>) -> BenefitCenter {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().unwrap()));
    BenefitCenter::new(store, Arc::new(RecordingMailer::new()), clock, Catalog::builtin().unwrap())
}

/// What one process was given: its session and, for seats, its benefit and users.
struct Part {
    admin: UserId,
    seat: BenefitId,
    users: Vec<UserId>,
}

/// What one process measured.
#[derive(Default)]
struct Measured {
    latencies: Vec<Duration>,
    surfaced_conflicts: u64,
    other_errors: u64,
    retried: u64,
}

/// The child: opens its own center, waits for the start, runs its commands.
fn child() {
    let target = Target::from_env();
    let mix = if var("SCALE_OUT_MIX") == "purchases" { Mix::Purchases } else { Mix::Seats };
    let count: usize = var("SCALE_OUT_COUNT").parse().unwrap();
    let admin: UserId = var("SCALE_OUT_ADMIN").parse().unwrap();
    let seat: BenefitId = var("SCALE_OUT_SEAT").parse().unwrap();
    let users: Vec<UserId> = var("SCALE_OUT_USERS").split(',').map(|u| u.parse().unwrap()).collect();
    let center = center(target.open());
    let session = center.session(admin.organization(), admin);
    session.organization().unwrap();
    println!("ready");
    std::io::stdout().flush().unwrap();
    // Anything but the start (the parent gone: end of input) ends the child.
    let mut go = String::new();
    if std::io::stdin().read_line(&mut go).is_err() || go.trim() != "go" {
        return;
    }
    let mut latencies = Vec::with_capacity(count);
    let (mut surfaced, mut other) = (0u64, 0u64);
    for i in 0..count {
        let started = Instant::now();
        let result = match mix {
            Mix::Purchases => session.purchase_package("action-pack").map(drop),
            // Each user's seat is taken on one pass and released on the next.
            Mix::Seats => {
                let user = users[(i / 2) % users.len()];
                if i % 2 == 0 { session.assign_user(seat, user) } else { session.unassign_user(seat, user) }
            }
        };
        latencies.push(started.elapsed());
        match result {
            Ok(()) => {}
            Err(Error::Conflict { .. }) => surfaced += 1,
            Err(_) => other += 1,
        }
    }
    let retried = center.metrics().unwrap().retries;
    let micros: Vec<String> = latencies.iter().map(|d| d.as_micros().to_string()).collect();
    println!("result {surfaced} {other} {retried} {}", micros.join(","));
}

/// Stocks the keys and makes the organizations each process works on.
fn prepare(store: Arc<dyn Store>, processes: usize, layout: Layout, mix: Mix, count: usize) -> Vec<Part> {
    let center = center(store);
    let purchases = processes * if mix == Mix::Purchases { count } else { 1 } + processes;
    for (product, per_package) in PRODUCTS {
        let keys = (0..purchases * per_package).map(|i| LicenseKey::new(format!("{product}-{i}")).unwrap()).collect();
        center.program().stock_keys(product, keys).unwrap();
    }
    let shared = center.create_organization("Shared", "partners@shared.example", "Admin", "admin@shared.example").unwrap();
    (0..processes)
        .map(|p| {
            let org = match layout {
                Layout::Shared => shared.clone(),
                Layout::Distinct => center
                    .create_organization(&format!("Org {p}"), &format!("partners@o{p}.example"), "Admin", &format!("admin@o{p}.example"))
                    .unwrap(),
            };
            let admin = center.session(org.id, org.admin_id);
            // Every process its own package, so its own Visual Studio seats.
            let package = admin.purchase_package("action-pack").unwrap();
            let seat = admin.benefits(package).unwrap().into_iter().find(|b| b.category == Category::VisualStudio).unwrap().id;
            let users =
                (0..3).map(|u| admin.add_user(&format!("Dev {p} {u}"), &format!("dev{p}-{u}@o{p}.example"), &[]).unwrap()).collect();
            Part { admin: org.admin_id, seat, users }
        })
        .collect()
}

fn spawn(target: &Target, mix: Mix, count: usize, part: &Part) -> (Child, BufReader<ChildStdout>) {
    let mut command = Process::new(std::env::current_exe().unwrap());
    target.env(&mut command);
    let users: Vec<String> = part.users.iter().map(ToString::to_string).collect();
    command
        .env(CHILD, "1")
        .env("SCALE_OUT_MIX", if mix == Mix::Purchases { "purchases" } else { "seats" })
        .env("SCALE_OUT_COUNT", count.to_string())
        .env("SCALE_OUT_ADMIN", part.admin.to_string())
        .env("SCALE_OUT_SEAT", part.seat.to_string())
        .env("SCALE_OUT_USERS", users.join(","))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready", "a child did not start");
    (child, out)
}

fn read_result(out: &mut BufReader<ChildStdout>) -> Measured {
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let mut words = line.trim().strip_prefix("result ").expect("a child's result").split(' ');
    let mut number = || words.next().unwrap().parse::<u64>().unwrap();
    let (surfaced_conflicts, other_errors, retried) = (number(), number(), number());
    let latencies = words.next().unwrap_or_default().split(',').filter(|w| !w.is_empty());
    Measured {
        latencies: latencies.map(|w| Duration::from_micros(w.parse().unwrap())).collect(),
        surfaced_conflicts,
        other_errors,
        retried,
    }
}

/// The children of a row, killed if the row fails before they end, so no
/// child keeps writing to the store after the parent is gone.
struct Children(Vec<(Child, BufReader<ChildStdout>)>);

impl Drop for Children {
    fn drop(&mut self) {
        for (child, _) in &mut self.0 {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// One row: `processes` children started together on a fresh store.
fn run(target: &Target, processes: usize, layout: Layout, mix: Mix, count: usize) -> String {
    let parts = prepare(target.open(), processes, layout, mix, count);
    let mut children = Children(Vec::with_capacity(parts.len()));
    for part in &parts {
        children.0.push(spawn(target, mix, count, part));
    }
    let started = Instant::now();
    for (child, _) in &mut children.0 {
        child.stdin.as_mut().unwrap().write_all(b"go\n").unwrap();
    }
    let mut all = Measured::default();
    for (child, out) in &mut children.0 {
        let measured = read_result(out);
        all.latencies.extend(measured.latencies);
        all.surfaced_conflicts += measured.surfaced_conflicts;
        all.other_errors += measured.other_errors;
        all.retried += measured.retried;
        assert!(child.wait().unwrap().success());
    }
    let wall = started.elapsed();
    all.latencies.sort_unstable();
    let at = |q: f64| all.latencies[((all.latencies.len() as f64 * q) as usize).min(all.latencies.len() - 1)];
    let commands = all.latencies.len();
    format!(
        "| {} | {} | {} | {processes} | {commands} | {:.0} | {} | {} | {} | {:.2} | {:.2} |",
        match target {
            Target::Sqlite(_) => "SQLite file",
            Target::Postgres { .. } => "PostgreSQL",
        },
        if layout == Layout::Distinct { "own organization" } else { "one shared" },
        if mix == Mix::Purchases { "purchase" } else { "seat" },
        commands as f64 / wall.as_secs_f64(),
        all.retried,
        all.surfaced_conflicts,
        all.other_errors,
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
    )
}

fn main() {
    if std::env::var_os(CHILD).is_some() {
        child();
        return;
    }
    let quick = std::env::var_os("BENCH_QUICK").is_some() || std::env::args().any(|a| a == "--quick");
    let (counts, per_process): (&[usize], usize) = if quick { (&[1, 2], 20) } else { (&[1, 2, 4, 8], 200) };
    let dir = tempfile::tempdir().unwrap();
    let mut targets: Vec<Box<dyn Fn(usize) -> Target>> = vec![Box::new(|n| Target::Sqlite(dir.path().join(format!("scale-out-{n}.db"))))];
    match std::env::var("PGURL") {
        Ok(url) => {
            targets.push(Box::new(move |n| Target::Postgres { url: url.clone(), schema: format!("scale_out_{}_{n}", std::process::id()) }))
        }
        Err(_) => eprintln!("note: PGURL is not set; skipping the PostgreSQL rows"),
    }
    println!(
        "| store | organizations | mix | processes | commands | commands/s | conflicts retried inside | conflicts surfaced | other errors | p50 ms | p99 ms |"
    );
    println!("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut n = 0;
    for target in &targets {
        for layout in [Layout::Distinct, Layout::Shared] {
            for mix in [Mix::Purchases, Mix::Seats] {
                for &processes in counts {
                    n += 1;
                    println!("{}", run(&target(n), processes, layout, mix, per_process));
                }
            }
        }
    }
}
