//! Runs the SQLite seat churn once, for profiling the store path:
//! `valgrind --tool=callgrind target/release/examples/sqlite_churn 20000 1000`
//! (commands, commands per transaction; the file goes to a temporary directory).

use std::sync::Arc;

use partner_benefits::{BenefitCenter, BenefitId, CenterOptions, Command, ManualClock, RecordingMailer, Store};
use partner_benefits_benches::START;
use partner_benefits_benches::scale::{add_user, churn, seat_catalog};
use partner_benefits_sqlite::SqliteStore;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let commands = args.first().copied().unwrap_or(20_000);
    let batch = args.get(1).copied().unwrap_or(1_000).max(1);
    let dir = tempfile::tempdir()?;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("churn.db"))?);
    let clock = Arc::new(ManualClock::new(START.parse()?));
    let center =
        BenefitCenter::with_options(store, Arc::new(RecordingMailer::new()), clock, seat_catalog(1_000)?, CenterOptions::default());
    let org = center.create_organization("Bench Ltd", "partners@bench.example", "Admin", "admin@bench.example")?;
    let admin = center.session(org.id, org.admin_id);
    let adds: Vec<Command> = (2..1_002).map(|seq| add_user(org.id, seq)).collect();
    admin.execute_batch(&adds)?;
    admin.purchase_package("seats")?;
    let all: Vec<Command> = churn(BenefitId::new(org.id, 1), 1_000, 0..commands).collect();
    let started = std::time::Instant::now();
    for chunk in all.chunks(batch) {
        admin.execute_batch(chunk)?;
    }
    println!("{commands} commands, {batch} per transaction: {:.0}/s", commands as f64 / started.elapsed().as_secs_f64());
    Ok(())
}
