//! What TLS costs per connection: opening a store (connect, handshake,
//! session set-up, the schema check) on the plain cluster and on the
//! TLS-only one with `sslmode=require` and `verify-full`, and one query on
//! an open connection of each.
//!
//! Needs the servers `scripts/test-adapters` starts: `PGURL` (plain),
//! `PGURL_TLS` and `TLS_DIR` (its CA). Without them it says so and stops.
//! `cargo bench -p partner-benefits-postgres --bench connect -- --quick`.
// A benchmark aborts on any failure; that is what unwrap says here.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use partner_benefits::Store;
use partner_benefits_postgres::{PostgresOptions, PostgresStore};

fn options() -> PostgresOptions {
    // One schema for the whole run, migrated by the first open: each later
    // open measures the connect and the schema check only.
    let schema = format!("bench_connect_{}", std::process::id());
    PostgresOptions { schema: Some(schema), pool_size: 1, ..PostgresOptions::default() }
}

fn connect(c: &mut Criterion) {
    let (Ok(plain), Ok(tls), Ok(dir)) = (std::env::var("PGURL"), std::env::var("PGURL_TLS"), std::env::var("TLS_DIR")) else {
        eprintln!("note: PGURL, PGURL_TLS and TLS_DIR are not all set (scripts/test-adapters sets them); nothing to measure");
        return;
    };
    let ca = format!("{dir}/ca.crt");
    // The certificate names `localhost`: verify-full must reach it by that name.
    let named = tls.replacen("@127.0.0.1:", "@localhost:", 1);
    let sep = |url: &str| if url.contains('?') { '&' } else { '?' };
    let targets = [
        ("plain", plain.clone()),
        ("tls require", format!("{tls}{}sslmode=require", sep(&tls))),
        ("tls verify-full", format!("{named}{}sslmode=verify-full&sslrootcert={ca}", sep(&named))),
    ];
    let mut group = c.benchmark_group("open a store");
    for (name, url) in &targets {
        drop(PostgresStore::connect_with(url, options()).unwrap());
        group.bench_function(*name, |b| b.iter(|| PostgresStore::connect_with(url, options()).unwrap()));
    }
    group.finish();
    let mut group = c.benchmark_group("one query on an open connection");
    for (name, url) in &targets {
        let store = PostgresStore::connect_with(url, options()).unwrap();
        group.bench_function(*name, |b| b.iter(|| store.idempotency(partner_benefits::OrganizationId::new(1), "none").unwrap()));
    }
    group.finish();
}

criterion_group! { name = benches; config = Criterion::default().sample_size(20); targets = connect }
criterion_main!(benches);
