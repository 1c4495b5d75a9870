//! SQLite store: commands per second with one durable transaction per command
//! and with `execute_batch` of 1 000 commands per transaction, against raw
//! rusqlite inserts of the same event rows, grouped the same way, with the
//! same pragmas (WAL, `synchronous=FULL`).
//!
//! `cargo bench -p partner-benefits-benches --bench sqlite` (`-- --quick` or
//! `BENCH_QUICK=1` for the CI smoke run). The files go to a temporary
//! directory under `BENCH_DIR` (default: the system temporary directory).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use partner_benefits::{BenefitCenter, BenefitId, CenterOptions, Command, Error, ManualClock, RecordingMailer, Store};
use partner_benefits_benches::scale::{add_user, churn, seat_catalog};
use partner_benefits_benches::{START, quick_mode};
use partner_benefits_sqlite::SqliteStore;
use rusqlite::Connection;

const USERS: u32 = 1_000;

/// A center on a new SQLite file with one organization of `USERS` users and
/// a purchased `seats` package; returns the admin session and the benefit.
fn prepared(path: &Path) -> Result<(partner_benefits::Session, BenefitId), Error> {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(path)?);
    let clock = Arc::new(ManualClock::new(START.parse().unwrap_or_default()));
    let center =
        BenefitCenter::with_options(store, Arc::new(RecordingMailer::new()), clock, seat_catalog(USERS)?, CenterOptions::default());
    let org = center.create_organization("Bench Ltd", "partners@bench.example", "Admin", "admin@bench.example")?;
    let admin = center.session(org.id, org.admin_id);
    let adds: Vec<Command> = (2..u64::from(USERS) + 2).map(|seq| add_user(org.id, seq)).collect();
    admin.execute_batch(&adds)?;
    admin.purchase_package("seats")?;
    Ok((admin, BenefitId::new(org.id, 1)))
}

/// Commands per second through the core: `batch` commands per transaction.
fn core(path: &Path, commands: usize, batch: usize) -> Result<f64, Error> {
    let (admin, benefit) = prepared(path)?;
    let all: Vec<Command> = churn(benefit, USERS, 0..commands).collect();
    let started = Instant::now();
    if batch == 1 {
        for command in all {
            admin.execute(command)?;
        }
    } else {
        for chunk in all.chunks(batch) {
            admin.execute_batch(chunk)?;
        }
    }
    Ok(commands as f64 / started.elapsed().as_secs_f64())
}

/// The event rows the churn's commands wrote (after the setup), in order.
fn churn_rows(path: &Path, skip: i64) -> rusqlite::Result<Vec<Row>> {
    let conn = Connection::open(path)?;
    let mut statement =
        conn.prepare("SELECT stream, version, body FROM events WHERE stream LIKE 'org-%' AND version > ?1 ORDER BY version")?;
    let rows = statement.query_map([skip], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

type Row = (String, i64, String);

/// The outbox rows (id, mail, delivery) the churn's commands queued, in order.
fn churn_mails(path: &Path, skip: i64) -> rusqlite::Result<Vec<Row>> {
    let conn = Connection::open(path)?;
    let mut statement = conn.prepare("SELECT id, seq, mail FROM outbox WHERE seq > ?1 ORDER BY seq")?;
    let rows = statement.query_map([skip], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

/// Commands per second of raw inserts of `rows` (and `mails`, when given),
/// grouped as the churn's commands (an assignment: 2 event rows and 1 mail;
/// a removal: 1 event row), `batch` commands per transaction.
fn raw(path: &Path, rows: &[Row], mails: Option<&[Row]>, batch: usize) -> rusqlite::Result<f64> {
    let mut conn = Connection::open(path)?;
    let _: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    conn.execute_batch(
        "PRAGMA synchronous=FULL;
         CREATE TABLE events (stream TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (stream, version)) STRICT, WITHOUT ROWID;
         CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, mail TEXT NOT NULL, delivery TEXT NOT NULL, due INTEGER NOT NULL, claimed_until INTEGER) STRICT;",
    )?;
    let mut groups: Vec<(&[Row], &[Row])> = Vec::new();
    let (mut at, mut mail_at, mut command) = (0, 0, 0);
    while at < rows.len() {
        let assign = command % 2 == 0;
        let size = if assign { 2 } else { 1 };
        let event_rows = rows.get(at..(at + size).min(rows.len())).unwrap_or_default();
        let mail_rows = match mails {
            Some(mails) if assign => mails.get(mail_at..(mail_at + 1).min(mails.len())).unwrap_or_default(),
            _ => &[],
        };
        groups.push((event_rows, mail_rows));
        at += size;
        mail_at += mail_rows.len();
        command += 1;
    }
    let started = Instant::now();
    for chunk in groups.chunks(batch) {
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached("INSERT INTO events (stream, version, body) VALUES (?1, ?2, ?3)")?;
            let mut mail =
                tx.prepare_cached("INSERT INTO outbox (id, mail, delivery, due) VALUES (?1, ?2, '{\"state\":\"pending\"}', 1)")?;
            for (events, mails) in chunk {
                for (stream, version, body) in events.iter() {
                    insert.execute(rusqlite::params![stream, version, body])?;
                }
                for (id, _, body) in mails.iter() {
                    mail.execute(rusqlite::params![id, body])?;
                }
            }
        }
        tx.commit()?;
    }
    Ok(groups.len() as f64 / started.elapsed().as_secs_f64())
}

/// One round of the six measurements in `dir`: core single, core batched,
/// raw single, raw batched, raw single + outbox, raw batched + outbox.
fn round(dir: &Path, single_n: usize, batch_n: usize, describe: bool) -> Result<[f64; 6], Error> {
    let sql = |e: rusqlite::Error| Error::storage(e.to_string());
    let single = core(&dir.join("single.db"), single_n, 1)?;
    let batched = core(&dir.join("batched.db"), batch_n, 1_000)?;
    // The setup (users, purchase) wrote versions and mails up to these.
    let (setup, setup_mails) = {
        let (_, _) = prepared(&dir.join("setup.db"))?;
        let conn = Connection::open(dir.join("setup.db")).map_err(sql)?;
        let version =
            conn.query_row("SELECT max(version) FROM events WHERE stream LIKE 'org-%'", [], |r| r.get::<_, i64>(0)).map_err(sql)?;
        let mails = conn.query_row("SELECT count(*) FROM outbox", [], |r| r.get::<_, i64>(0)).map_err(sql)?;
        (version, mails)
    };
    let single_rows = churn_rows(&dir.join("single.db"), setup).map_err(sql)?;
    let batched_rows = churn_rows(&dir.join("batched.db"), setup).map_err(sql)?;
    let single_mails = churn_mails(&dir.join("single.db"), setup_mails).map_err(sql)?;
    let batched_mails = churn_mails(&dir.join("batched.db"), setup_mails).map_err(sql)?;
    let raw_single = raw(&dir.join("raw-single.db"), &single_rows, None, 1).map_err(sql)?;
    let raw_batched = raw(&dir.join("raw-batched.db"), &batched_rows, None, 1_000).map_err(sql)?;
    let raw_single_mail = raw(&dir.join("raw-single-mail.db"), &single_rows, Some(&single_mails), 1).map_err(sql)?;
    let raw_batched_mail = raw(&dir.join("raw-batched-mail.db"), &batched_rows, Some(&batched_mails), 1_000).map_err(sql)?;
    if describe {
        let avg = |rows: &[Row]| rows.iter().map(|r| r.2.len()).sum::<usize>() as f64 / rows.len().max(1) as f64;
        println!(
            "event rows: {} (single) / {} (batched), {:.0} bytes of JSON each; outbox rows: {} / {}, {:.0} bytes each",
            single_rows.len(),
            batched_rows.len(),
            avg(&batched_rows),
            single_mails.len(),
            batched_mails.len(),
            avg(&batched_mails)
        );
    }
    Ok([single, batched, raw_single, raw_batched, raw_single_mail, raw_batched_mail])
}

fn main() {
    let quick = quick_mode();
    let base = std::env::var_os("BENCH_DIR").map_or_else(std::env::temp_dir, std::path::PathBuf::from);
    let Ok(dir) = tempfile::tempdir_in(&base) else {
        eprintln!("cannot make a temporary directory under {}", base.display());
        std::process::exit(1);
    };
    let (single_n, batch_n, rounds) = if quick { (200, 4_000, 1) } else { (2_000, 50_000, 3) };
    // fsync times vary with what else the machine does: the best of a few
    // interleaved rounds, so core and raw see the same conditions.
    let mut best = [0.0_f64; 6];
    for n in 0..rounds {
        let sub = dir.path().join(format!("round-{n}"));
        let result =
            std::fs::create_dir_all(&sub).map_err(|e| Error::storage(e.to_string())).and_then(|()| round(&sub, single_n, batch_n, n == 0));
        match result {
            Ok(figures) => {
                for (b, f) in best.iter_mut().zip(figures) {
                    *b = b.max(f);
                }
            }
            Err(err) => {
                eprintln!("sqlite bench failed: {err}");
                std::process::exit(1);
            }
        }
    }
    let [single, batched, raw_single, raw_batched, raw_single_mail, raw_batched_mail] = best;
    println!("best of {rounds} round(s):");
    println!(
        "| mode | commands | core cmd/s | raw events cmd/s | core / raw events | raw events + outbox cmd/s | core / raw events + outbox |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| one durable transaction per command | {single_n} | {single:.0} | {raw_single:.0} | {:.3} | {raw_single_mail:.0} | {:.3} |",
        single / raw_single,
        single / raw_single_mail
    );
    println!(
        "| `execute_batch` of 1000 per transaction | {batch_n} | {batched:.0} | {raw_batched:.0} | {:.3} | {raw_batched_mail:.0} | {:.3} |",
        batched / raw_batched,
        batched / raw_batched_mail
    );
}
