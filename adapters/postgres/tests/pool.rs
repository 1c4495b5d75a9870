//! The connection pool, as the server sees it: connections opened only
//! when a call needs one and never more than `pool_size`; a call that finds
//! every connection busy gives up after `acquire_timeout` with an error
//! naming the pool; a refused login is reported (to the caller and to
//! `tracing`, never with the password) while the pool keeps trying, and
//! the store works again once the server lets it in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use partner_benefits::store::Store;
use partner_benefits::{BenefitCenter, Catalog, Error, LicenseKey, ManualClock, RecordingMailer};
use partner_benefits_postgres::{PostgresOptions, PostgresStore};

/// `url` with more query parameters.
fn with(url: &str, params: &str) -> String {
    format!("{url}{}{params}", if url.contains('?') { '&' } else { '?' })
}

/// The connections named `app` the server has open.
fn connections(admin: &mut postgres::Client, app: &str) -> i64 {
    admin.query_one("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", &[&app]).unwrap().get(0)
}

/// Waits (up to 10 s) until `test` holds; false if it never did.
fn eventually(mut test: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if test() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn storage_message(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::Storage { message }) => message,
        other => panic!("expected a storage error, got {other:?}"),
    }
}

#[test]
fn connections_are_opened_when_calls_need_them_and_kept() {
    let Some(url) = common::pg_url("connections_are_opened_when_calls_need_them_and_kept") else { return };
    let app = common::unique_schema("pb_pool_open");
    let store = Arc::new(
        PostgresStore::connect_with(
            &with(&url, &format!("application_name={app}")),
            PostgresOptions { schema: Some(app.clone()), pool_size: 3, ..PostgresOptions::default() },
        )
        .unwrap(),
    );
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    // The one connect opened, none ahead of need.
    assert_eq!(connections(&mut admin, &app), 1);
    for _ in 0..20 {
        store.allocate_organization_id().unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(connections(&mut admin, &app), 1, "calls one after another share one connection");
    // Many calls at once: more connections, never more than the pool's size.
    let callers: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || {
                for _ in 0..25 {
                    store.allocate_organization_id().unwrap();
                }
            })
        })
        .collect();
    let mut most = 0;
    while callers.iter().any(|c| !c.is_finished()) {
        most = most.max(connections(&mut admin, &app));
    }
    for caller in callers {
        caller.join().unwrap();
    }
    let after = connections(&mut admin, &app);
    assert!((1..=3).contains(&most) && (1..=3).contains(&after), "pool of 3, the server saw {most} at most, {after} after");
    drop(store);
    assert!(eventually(|| connections(&mut admin, &app) == 0), "dropping the store closes its connections");
}

#[test]
fn a_call_finding_every_connection_busy_gives_up_naming_the_pool() {
    let Some(url) = common::pg_url("a_call_finding_every_connection_busy_gives_up_naming_the_pool") else { return };
    let app = common::unique_schema("pb_pool_busy");
    let wait = Duration::from_millis(500);
    let options = PostgresOptions { schema: Some(app.clone()), pool_size: 1, acquire_timeout: wait, ..PostgresOptions::default() };
    let store = Arc::new(PostgresStore::connect_with(&with(&url, &format!("application_name={app}")), options).unwrap());
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().unwrap();
    let center =
        BenefitCenter::new(store.clone(), Arc::new(RecordingMailer::new()), Arc::new(ManualClock::new(at)), Catalog::builtin().unwrap());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    // Hold the vault's lock, so a stocking commit waits on it with the only connection.
    admin.execute("SELECT pg_advisory_lock(hashtext('partner-benefits vault ' || $1))", &[&app]).unwrap();
    let stocking = std::thread::spawn(move || center.program().stock_keys("windows-server", vec![LicenseKey::new("POOL-1").unwrap()]));
    let waiting = "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'";
    assert!(eventually(|| admin.query_one(waiting, &[&app]).unwrap().get::<_, i64>(0) == 1), "the commit never waited on the lock");

    let started = Instant::now();
    let message = storage_message(store.allocate_organization_id());
    let waited = started.elapsed();
    assert_eq!(message, "no PostgreSQL connection was free within 0.5 s (pool of 1)");
    assert!(waited >= wait && waited < Duration::from_secs(5), "waited {waited:?}");
    assert_eq!(connections(&mut admin, &app), 1, "the pool opened no second connection");

    admin.execute("SELECT pg_advisory_unlock(hashtext('partner-benefits vault ' || $1))", &[&app]).unwrap();
    stocking.join().unwrap().unwrap();
    store.allocate_organization_id().unwrap();
}

/// Everything `tracing` wrote in this test binary (one global subscriber:
/// the pool reports from its own threads).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        captured
    })
}

#[test]
fn a_refused_login_is_reported_without_the_password_and_ridden_out() {
    let Some(url) = common::pg_url("a_refused_login_is_reported_without_the_password_and_ridden_out") else { return };
    let log = captured();
    let role = common::unique_schema("pb_pool_login");
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin.batch_execute(&format!("CREATE ROLE {role} LOGIN SUPERUSER; CREATE SCHEMA {role}")).unwrap();
    // The same server as that role, with a password (the test server trusts
    // loopback and ignores it) that must never be shown.
    let config: postgres::Config = url.parse().unwrap();
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(host)) => host.clone(),
        other => panic!("PGURL must name a TCP host, not {other:?}"),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let dbname = config.get_dbname().unwrap();
    let role_url = format!("host={host} port={port} dbname={dbname} user={role} password=hunter2 application_name={role}");
    let wait = Duration::from_secs(1);
    let options = PostgresOptions { schema: Some(role.clone()), pool_size: 1, acquire_timeout: wait, ..PostgresOptions::default() };
    let store = PostgresStore::connect_with(&role_url, options).unwrap();
    store.allocate_organization_id().unwrap();

    // The server stops letting the role in, and ends its session.
    admin.batch_execute(&format!("ALTER ROLE {role} NOLOGIN")).unwrap();
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", &[&role]).unwrap();
    // The broken connection fails one call at most; then no new one can be opened.
    let mut message = storage_message(store.allocate_organization_id());
    if !message.starts_with("no PostgreSQL connection") {
        message = storage_message(store.allocate_organization_id());
    }
    let expected = "no PostgreSQL connection was free within 1 s (pool of 1); opening one failed: cannot connect to PostgreSQL: ";
    assert!(message.starts_with(expected), "{message}");
    assert!(message.contains("not permitted to log in"), "{message}");
    let logged = log.text();
    assert!(logged.contains("WARN") && logged.contains("not permitted to log in"), "the pool's retry was not logged: {logged}");
    assert!(!message.contains("hunter2") && !logged.contains("hunter2"), "the password leaked: {message}\n{logged}");

    // Let in again: the pool, still trying, connects and calls work.
    admin.batch_execute(&format!("ALTER ROLE {role} LOGIN")).unwrap();
    assert!(eventually(|| store.allocate_organization_id().is_ok()), "the store did not recover");
    drop(store);
    assert!(eventually(|| connections(&mut admin, &role) == 0));
    admin.batch_execute(&format!("DROP SCHEMA {role} CASCADE; DROP ROLE {role}")).unwrap();
}
