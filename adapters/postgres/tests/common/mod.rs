//! Shared test helpers: the server from the environment, a fresh schema per
//! store, a wall clock, and child-process plumbing.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use partner_benefits::{Clock, Timestamp};
use partner_benefits_postgres::{PostgresOptions, PostgresStore};

/// The variable's value; `None` (with a printed note) when it is missing
/// outside CI. In CI (`CI` set) a missing variable fails the test.
pub fn env_or_skip(name: &str, test: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Some(value),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{test}: env {name} is not set; run the adapter tests through scripts/test-adapters, which starts the servers")
        }
        _ => {
            eprintln!("note: {test} skipped: env {name} is not set (scripts/test-adapters sets it)");
            None
        }
    }
}

/// `PGURL`, or skip (fail in CI).
pub fn pg_url(test: &str) -> Option<String> {
    env_or_skip("PGURL", test)
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A schema name no other test or run uses.
pub fn unique_schema(tag: &str) -> String {
    format!("t_{tag}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A store on its own schema.
pub fn store_in(url: &str, schema: &str, pool_size: usize) -> PostgresStore {
    PostgresStore::connect_with(url, PostgresOptions { schema: Some(schema.to_string()), pool_size, ..PostgresOptions::default() })
        .unwrap_or_else(|e| panic!("connecting to the test server: {e}"))
}

/// A fresh store on a new schema.
pub fn fresh(url: &str, tag: &str) -> Arc<PostgresStore> {
    Arc::new(store_in(url, &unique_schema(tag), 4))
}

/// The wall clock (leases in these tests expire in real time).
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
    }
}

/// Runs `f` only in a child process started with `PB_CHILD=<role>`.
pub fn child_role() -> Option<String> {
    std::env::var("PB_CHILD").ok()
}

/// A command re-running this test binary's `test` alone, as a child.
pub fn child_command(test: &str, role: &str) -> std::process::Command {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = std::process::Command::new(exe);
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1", "-q"]).env("PB_CHILD", role);
    cmd
}

/// Prints one protocol line for the parent and flushes it.
pub fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "PB {line}");
    let _ = out.flush();
}
