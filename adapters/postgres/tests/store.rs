//! The PostgreSQL store against a real server: the shared conformance suite,
//! migrations, and connection failures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use partner_benefits::{Error, Store};
use partner_benefits_postgres::{PostgresOptions, PostgresStore, SCHEMA_VERSION};

#[test]
fn conformance_suite_passes_on_postgres() {
    let Some(url) = common::pg_url("conformance_suite_passes_on_postgres") else { return };
    // Every call of `fresh` gets a new, empty schema.
    partner_benefits::conformance::run_all(&|| common::fresh(&url, "conf") as Arc<dyn Store>);
}

#[test]
fn two_instances_starting_together_migrate_once() {
    let Some(url) = common::pg_url("two_instances_starting_together_migrate_once") else { return };
    let schema = common::unique_schema("mig");
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let (url, schema) = (url.clone(), schema.clone());
            std::thread::spawn(move || common::store_in(&url, &schema, 1))
        })
        .collect();
    let stores: Vec<PostgresStore> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(stores[0].schema_version().unwrap(), SCHEMA_VERSION);
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rows = client.query(&format!("SELECT version FROM {schema}.pb_migrations ORDER BY version"), &[]).unwrap();
    let versions: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, (1..=SCHEMA_VERSION as i32).collect::<Vec<_>>(), "each migration ran exactly once");
}

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let Some(url) = common::pg_url("a_newer_schema_is_refused_and_left_untouched") else { return };
    let schema = common::unique_schema("newer");
    let store = common::store_in(&url, &schema, 1);
    let org = store.allocate_organization_id().unwrap();
    drop(store);
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client.batch_execute(&format!("INSERT INTO {schema}.pb_migrations (version) VALUES (999)")).unwrap();
    let tables = |client: &mut postgres::Client| -> i64 {
        client.query_one("SELECT count(*) FROM information_schema.tables WHERE table_schema = $1", &[&schema]).unwrap().get(0)
    };
    let before = tables(&mut client);

    let err = PostgresStore::connect_with(&url, PostgresOptions { schema: Some(schema.clone()), ..PostgresOptions::default() })
        .expect_err("a newer schema must be refused");
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");
    assert!(err.to_string().contains("999"), "the message names the version: {err}");

    assert_eq!(tables(&mut client), before, "no table was added or dropped");
    let max: i32 = client.query_one(&format!("SELECT max(version) FROM {schema}.pb_migrations"), &[]).unwrap().get(0);
    assert_eq!(max, 999, "the version record is unchanged");
    let next: i64 = client.query_one(&format!("SELECT last_value FROM {schema}.pb_organization_ids"), &[]).unwrap().get(0);
    assert_eq!(next as u64, org.number(), "the data is unchanged");
}

#[test]
fn a_malformed_url_is_a_storage_error() {
    for url in ["postgres://host:notaport/db", "not a url at all =", "postgres://u@h/db?sslmode=bogus"] {
        match PostgresStore::connect(url) {
            Err(Error::Storage { message }) => assert!(message.contains("URL"), "{message}"),
            other => panic!("`{url}` gave {other:?}"),
        }
    }
}

#[test]
fn an_unreachable_server_is_a_storage_error_without_a_hang() {
    // A port nobody listens on: connection refused.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = Instant::now();
    let err = PostgresStore::connect(&format!("postgres://user:hunter2@127.0.0.1:{port}/db")).unwrap_err();
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");
    assert!(!err.to_string().contains("hunter2"), "the password leaked: {err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_silent_server_times_out() {
    // Accepts TCP but never answers the startup message.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = Instant::now();
    let options = PostgresOptions { connect_timeout: Duration::from_millis(700), ..PostgresOptions::default() };
    let err = PostgresStore::connect_with(&format!("postgres://u@127.0.0.1:{port}/db"), options).unwrap_err();
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");
    assert!(err.to_string().contains("timeout"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    drop(listener);
}

#[test]
fn sslmode_require_fails_rather_than_going_plain() {
    let Some(url) = common::pg_url("sslmode_require_fails_rather_than_going_plain") else { return };
    let url = format!("{url}{}sslmode=require", if url.contains('?') { '&' } else { '?' });
    assert!(matches!(PostgresStore::connect(&url), Err(Error::Storage { .. })));
}

#[test]
fn debug_output_never_shows_the_password() {
    let Some(url) = common::pg_url("debug_output_never_shows_the_password") else { return };
    let store = common::fresh(&url, "dbg");
    let shown = format!("{store:?}");
    assert!(shown.contains("PostgresStore"), "{shown}");
    assert!(!shown.contains("password"), "{shown}");
}

#[test]
fn a_bad_schema_name_is_invalid_input() {
    let options = PostgresOptions { schema: Some("Robert'); DROP TABLE".into()), ..PostgresOptions::default() };
    assert!(matches!(PostgresStore::connect_with("postgres://u@127.0.0.1:1/db", options), Err(Error::InvalidInput { .. })));
}
