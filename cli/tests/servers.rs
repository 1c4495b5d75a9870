//! Against real servers, which `scripts/test-adapters` starts and names in
//! the environment (it sets `PB_CLI_SERVERS=1`): `dispatch --smtp` delivers
//! to the recording SMTP server, and `status` reads a PostgreSQL store.
//! Without `PB_CLI_SERVERS` these tests skip; with it, a missing server fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use std::path::Path;

use common::{Fixture, bare, json};
use partner_benefits::lifecycle::delivery::DeliveryState;

fn server_env(name: &str, test: &str) -> Option<String> {
    let wanted = std::env::var_os("PB_CLI_SERVERS").is_some();
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Some(value),
        _ if wanted => panic!("{test}: PB_CLI_SERVERS is set but {name} is not; scripts/test-adapters sets both"),
        _ => {
            eprintln!("note: {test} skipped: run through scripts/test-adapters, which starts the servers");
            None
        }
    }
}

/// Recipients of every message the recorder wrote to `dir`.
fn recipients(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let record: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            found.extend(record["rcpt_tos"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()));
        }
    }
    found
}

#[test]
fn dispatch_delivers_the_outbox_through_the_smtp_server_once() {
    let test = "dispatch_delivers_the_outbox_through_the_smtp_server_once";
    let (Some(host), Some(port), Some(dir)) =
        (server_env("SMTP_HOST", test), server_env("SMTP_PORT", test), server_env("SMTP_MAIL_DIR", test))
    else {
        return;
    };
    let f = Fixture::new();
    let queued = f.center().outbox().unwrap();
    let url = format!("smtp://{host}:{port}");
    let report = json(f.cli().args(["dispatch", "--json", "--smtp", &url, "--from", "Partner Benefits <benefits@partner.example>"]));
    assert_eq!(
        (report["sent"].as_u64(), report["failed"].as_u64(), report["outbox_depth"].as_u64()),
        (Some(queued.len() as u64), Some(0), Some(0))
    );
    assert!(f.center().outbox().unwrap().iter().all(|e| matches!(e.delivery, DeliveryState::Sent { .. })));
    let got = recipients(Path::new(&dir));
    for mail in &queued {
        for to in &mail.mail.to {
            assert!(got.contains(&to.to_string()), "{to} got no mail");
        }
    }
    // A second dispatch sends nothing again.
    let again = json(f.cli().args(["dispatch", "--json", "--smtp", &url, "--from", "benefits@partner.example"]));
    assert_eq!((again["sent"].as_u64(), again["failed"].as_u64()), (Some(0), Some(0)));
}

#[test]
fn status_reads_a_postgres_store() {
    let Some(url) = server_env("PGURL", "status_reads_a_postgres_store") else { return };
    let status = json(bare().args(["--db", &url, "status", "--json"]));
    assert_eq!(status["store"], "postgres");
    assert_eq!(status["schema_version"], partner_benefits_postgres::SCHEMA_VERSION);
    assert!(status["target"].as_str().unwrap().starts_with("postgres"), "{status}");
    assert!(status["organizations"].as_u64().is_some() && status["outbox_depth"].as_u64().is_some(), "{status}");
}

/// The migration path: a SQLite store exported and imported into a new
/// PostgreSQL database, then exported from there into a new SQLite file;
/// each organization reads the same all the way.
#[test]
fn export_from_sqlite_import_into_postgres_and_back() {
    let Some(url) = server_env("PGURL", "export_from_sqlite_import_into_postgres_and_back") else { return };
    let database = format!("cli_transfer_{}", std::process::id());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    // One statement each: a multi-statement string runs as one transaction block.
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {database}")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {database}")).unwrap();
    let (base, _) = url.rsplit_once('/').unwrap();
    let target = format!("{base}/{database}");

    let f = Fixture::new();
    let from_sqlite = f.dir.path().join("from-sqlite.jsonl");
    bare().arg("--db").arg(&f.path).arg("export").arg(&from_sqlite).arg("--include-keys").assert().success();
    bare().args(["--db", &target, "import"]).arg(&from_sqlite).assert().success();
    let from_postgres = f.dir.path().join("from-postgres.jsonl");
    bare().args(["--db", &target, "export"]).arg(&from_postgres).arg("--include-keys").assert().success();
    let back = f.dir.path().join("back.db");
    bare().arg("--db").arg(&back).arg("import").arg(&from_postgres).assert().success();

    for org in [f.org.to_string(), f.other.to_string()] {
        let show = |db: &str| json(bare().args(["--db", db, "show", &org, "--json"]));
        let usage = |db: &str| json(bare().args(["--db", db, "usage", &org, "--format", "json"]));
        let original = f.path.display().to_string();
        assert_eq!(show(&target), show(&original), "{org} on PostgreSQL");
        assert_eq!(usage(&target), usage(&original), "{org} on PostgreSQL");
        assert_eq!(show(&back.display().to_string()), show(&original), "{org} back on SQLite");
    }
    drop(admin);
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")).unwrap();
}
