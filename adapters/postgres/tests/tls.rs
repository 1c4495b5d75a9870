//! TLS against real servers: a TLS-only cluster (`PGURL_TLS`: ssl=on, a
//! pg_hba.conf with hostssl lines only) serving a certificate for `localhost`
//! signed by a CA made for this run (`TLS_DIR/ca.crt`), and the plain
//! cluster (`PGURL`, ssl=off). Each sslmode, a wrong CA and a wrong name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use partner_benefits::{Error, Store};
use partner_benefits_postgres::{PostgresOptions, PostgresStore, SslMode};

/// The TLS-only cluster's URL (host `127.0.0.1`, not in its certificate) and the certificates.
fn tls_server(test: &str) -> Option<(String, PathBuf)> {
    let url = common::env_or_skip("PGURL_TLS", test)?;
    let dir = common::env_or_skip("TLS_DIR", test)?;
    Some((url, PathBuf::from(dir)))
}

/// `url` with more query parameters.
fn with(url: &str, params: &str) -> String {
    format!("{url}{}{params}", if url.contains('?') { '&' } else { '?' })
}

/// The same server by the name its certificate carries.
fn by_name(url: &str) -> String {
    url.replacen("@127.0.0.1:", "@localhost:", 1)
}

fn cert(dir: &std::path::Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_string()
}

/// Opens a store on a fresh schema, named `app` on the server.
fn open(url: &str, app: &str, options: PostgresOptions) -> Result<PostgresStore, Error> {
    let url = with(url, &format!("application_name={app}"));
    PostgresStore::connect_with(&url, PostgresOptions { schema: Some(common::unique_schema("tls")), pool_size: 2, ..options })
}

fn connect(url: &str, app: &str) -> Result<PostgresStore, Error> {
    open(url, app, PostgresOptions::default())
}

/// A storage error's message (anything else fails the test).
fn storage_error(result: Result<PostgresStore, Error>) -> String {
    match result {
        Err(Error::Storage { message }) => message,
        Err(other) => panic!("expected a storage error, got {other:?}"),
        Ok(store) => panic!("expected a refused connection, got {store:?}"),
    }
}

/// As the server sees them: is each connection named `app` encrypted, and how.
fn sessions(monitor_url: &str, app: &str) -> Vec<(bool, Option<String>)> {
    let mut monitor = postgres::Client::connect(monitor_url, postgres::NoTls).unwrap();
    let rows = monitor
        .query("SELECT s.ssl, s.version FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = $1", &[&app])
        .unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

fn unique_app(tag: &str) -> String {
    common::unique_schema(tag).replacen("t_", "pbtls_", 1)
}

/// The store's connections as seen by the TLS-only server: all TLS 1.2+.
fn assert_encrypted(app: &str) {
    let socket = common::env_or_skip("PGSOCKET_TLS", app).unwrap();
    let seen = sessions(&socket, app);
    assert!(!seen.is_empty(), "the server sees no connection named {app}");
    for (ssl, version) in &seen {
        assert!(*ssl, "a connection of {app} is not encrypted: {seen:?}");
        assert!(matches!(version.as_deref(), Some("TLSv1.3" | "TLSv1.2")), "{seen:?}");
    }
}

#[test]
fn the_default_prefer_uses_tls_when_the_server_offers_it() {
    let Some((url, _)) = tls_server("the_default_prefer_uses_tls_when_the_server_offers_it") else { return };
    let app = unique_app("prefer");
    let store = connect(&url, &app).unwrap();
    store.allocate_organization_id().unwrap();
    assert_encrypted(&app);
}

#[test]
fn the_default_prefer_goes_plain_only_when_the_server_has_no_tls() {
    let Some(url) = common::pg_url("the_default_prefer_goes_plain_only_when_the_server_has_no_tls") else { return };
    let app = unique_app("plain");
    let store = connect(&url, &app).unwrap();
    store.allocate_organization_id().unwrap();
    let seen = sessions(&url, &app);
    assert!(!seen.is_empty() && seen.iter().all(|(ssl, _)| !ssl), "{seen:?}");
}

#[test]
fn disable_is_refused_by_a_tls_only_server() {
    let Some((url, _)) = tls_server("disable_is_refused_by_a_tls_only_server") else { return };
    let message = storage_error(connect(&with(&url, "sslmode=disable"), "pbtls_disable"));
    assert!(message.contains("no pg_hba.conf entry") && message.contains("no encryption"), "{message}");
    // The same mode is fine where plain is allowed.
    let Some(plain) = common::pg_url("disable_is_refused_by_a_tls_only_server") else { return };
    connect(&with(&plain, "sslmode=disable"), "pbtls_disable").unwrap();
}

#[test]
fn require_encrypts_without_a_ca_and_never_goes_plain() {
    let Some((url, _)) = tls_server("require_encrypts_without_a_ca_and_never_goes_plain") else { return };
    // No CA given: the certificate (of a CA nobody trusts) is not checked, as in libpq.
    let app = unique_app("require");
    let store = connect(&with(&url, "sslmode=require"), &app).unwrap();
    store.organizations().unwrap();
    assert_encrypted(&app);

    let Some(plain) = common::pg_url("require_encrypts_without_a_ca_and_never_goes_plain") else { return };
    let message = storage_error(connect(&with(&plain, "sslmode=require"), "pbtls_require"));
    assert!(message.contains("does not offer TLS") && message.contains("require"), "{message}");
}

#[test]
fn require_with_a_ca_checks_the_chain() {
    let Some((url, dir)) = tls_server("require_with_a_ca_checks_the_chain") else { return };
    let wrong = cert(&dir, "other-ca.crt");
    let message = storage_error(connect(&with(&url, &format!("sslmode=require&sslrootcert={wrong}")), "pbtls_require_ca"));
    assert!(message.contains("not signed by the CA in") && message.contains("other-ca.crt"), "{message}");
    connect(&with(&url, &format!("sslmode=require&sslrootcert={}", cert(&dir, "ca.crt"))), "pbtls_require_ca").unwrap();
}

#[test]
fn verify_ca_checks_the_chain_but_not_the_name() {
    let Some((url, dir)) = tls_server("verify_ca_checks_the_chain_but_not_the_name") else { return };
    // 127.0.0.1 is not in the certificate: verify-ca does not mind.
    let app = unique_app("verify_ca");
    let store = connect(&with(&url, &format!("sslmode=verify-ca&sslrootcert={}", cert(&dir, "ca.crt"))), &app).unwrap();
    store.organizations().unwrap();
    assert_encrypted(&app);

    let wrong = with(&by_name(&url), &format!("sslmode=verify-ca&sslrootcert={}", cert(&dir, "other-ca.crt")));
    let message = storage_error(connect(&wrong, "pbtls_verify_ca"));
    assert!(message.starts_with("cannot connect to PostgreSQL: TLS refused"), "{message}");
    assert!(message.contains("not signed by the CA in") && message.contains("verify-ca"), "{message}");
}

#[test]
fn verify_full_checks_the_name_too() {
    let Some((url, dir)) = tls_server("verify_full_checks_the_name_too") else { return };
    let ca = cert(&dir, "ca.crt");
    let message = storage_error(connect(&with(&url, &format!("sslmode=verify-full&sslrootcert={ca}")), "pbtls_full"));
    assert!(message.contains("does not name the host") && message.contains("verify-full"), "{message}");

    let app = unique_app("full");
    let store = connect(&with(&by_name(&url), &format!("sslmode=verify-full&sslrootcert={ca}")), &app).unwrap();
    store.organizations().unwrap();
    assert_encrypted(&app);

    let wrong = with(&by_name(&url), &format!("sslmode=verify-full&sslrootcert={}", cert(&dir, "other-ca.crt")));
    assert!(storage_error(connect(&wrong, "pbtls_full")).contains("not signed by"));
}

#[test]
fn verify_full_by_a_name_while_connecting_to_hostaddr() {
    let Some((url, dir)) = tls_server("verify_full_by_a_name_while_connecting_to_hostaddr") else { return };
    // The name checked is `host`; the socket goes to `hostaddr` (key=value form here).
    let config: postgres::Config = url.parse().unwrap();
    let port = config.get_ports()[0];
    let ca = cert(&dir, "ca.crt");
    let kv = |host: &str| {
        format!("host={host} hostaddr=127.0.0.1 port={port} user=postgres dbname=testdb sslmode=verify-full sslrootcert='{ca}'")
    };
    let app = unique_app("hostaddr");
    let store = PostgresStore::connect_with(
        &format!("{} application_name={app}", kv("localhost")),
        PostgresOptions { schema: Some(common::unique_schema("tls")), pool_size: 1, ..PostgresOptions::default() },
    )
    .unwrap();
    store.organizations().unwrap();
    assert_encrypted(&app);
    let message = storage_error(PostgresStore::connect(&kv("db.wrong.example")));
    assert!(message.contains("does not name the host"), "{message}");
}

#[test]
fn the_options_give_mode_and_ca_when_the_url_does_not() {
    let Some((url, dir)) = tls_server("the_options_give_mode_and_ca_when_the_url_does_not") else { return };
    let ca = dir.join("ca.crt");
    let options = || PostgresOptions { ssl_mode: Some(SslMode::VerifyFull), ssl_root_cert: Some(ca.clone()), ..PostgresOptions::default() };
    let app = unique_app("options");
    let _store = open(&by_name(&url), &app, options()).unwrap();
    assert_encrypted(&app);
    let message = storage_error(open(&url, "pbtls_options", options()));
    assert!(message.contains("does not name the host"), "{message}");

    // The URL and the options saying different things is a mistake, not a choice.
    let both = open(&with(&by_name(&url), "sslmode=require"), "pbtls_options", options());
    assert!(matches!(&both, Err(Error::InvalidInput { field, .. }) if field == "ssl_mode"), "{both:?}");
    let both = open(&with(&by_name(&url), "sslrootcert=/elsewhere/ca.crt"), "pbtls_options", options());
    assert!(matches!(&both, Err(Error::InvalidInput { field, .. }) if field == "ssl_root_cert"), "{both:?}");
    // Saying the same thing twice is fine.
    let same = with(&by_name(&url), &format!("sslmode=verify-full&sslrootcert={}", ca.display()));
    open(&same, "pbtls_options", options()).unwrap();
}

#[test]
fn the_system_roots_do_not_trust_a_private_ca() {
    let Some((url, _)) = tls_server("the_system_roots_do_not_trust_a_private_ca") else { return };
    let result = connect(&with(&by_name(&url), "sslmode=verify-full&sslrootcert=system"), "pbtls_system");
    match result {
        // A machine without any CA certificate installed says so instead.
        Err(Error::Storage { message }) => {
            assert!(message.contains("not signed by the system's CA") || message.contains("holds no certificate"), "{message}")
        }
        other => panic!("a private CA passed as a system one: {other:?}"),
    }
}

#[test]
fn verify_modes_need_a_ca_and_a_readable_one() {
    // Refused before any connection is tried: nothing listens on port 1.
    for mode in ["verify-ca", "verify-full"] {
        let message = storage_error(PostgresStore::connect(&format!("postgres://u@localhost:1/db?sslmode={mode}")));
        assert!(message.contains("needs the CA") && message.contains("sslrootcert"), "{message}");
    }
    let message = storage_error(PostgresStore::connect("postgres://u@localhost:1/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.crt"));
    assert!(message.contains("cannot read the CA file `/nonexistent/ca.crt`"), "{message}");
    let empty = tempfile::NamedTempFile::new().unwrap();
    let message = storage_error(PostgresStore::connect_with(
        "postgres://u@localhost:1/db",
        PostgresOptions { ssl_mode: Some(SslMode::VerifyCa), ssl_root_cert: Some(empty.path().into()), ..PostgresOptions::default() },
    ));
    assert!(message.contains("holds no certificate"), "{message}");
    let message = storage_error(PostgresStore::connect("postgres://u@localhost:1/db?sslmode=allow"));
    assert!(message.contains("URL") && message.contains("`allow`"), "{message}");
}

#[test]
fn the_conformance_suite_passes_over_verify_full() {
    let Some((url, dir)) = tls_server("the_conformance_suite_passes_over_verify_full") else { return };
    let url = with(&by_name(&url), &format!("sslmode=verify-full&sslrootcert={}", cert(&dir, "ca.crt")));
    partner_benefits::conformance::run_all(&|| common::fresh(&url, "tlsconf") as Arc<dyn Store>);
}
