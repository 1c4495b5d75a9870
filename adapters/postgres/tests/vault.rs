//! License keys sealed at rest on a real server: the conformance life of a
//! vault, the rows as PostgreSQL holds them, and the vault of a 0.1.0-shaped
//! database sealed in place.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use std::sync::Arc;

use partner_benefits::conformance::vault::{key_text, ring, sealing};
use partner_benefits::sealing::Keyring;
use partner_benefits::store::{Commit, VaultKey};
use partner_benefits::values::Code;
use partner_benefits::{LicenseKey, Store};
use partner_benefits_postgres::{PostgresOptions, PostgresStore};

fn open(url: &str, schema: &str, vault: Keyring) -> Result<PostgresStore, partner_benefits::Error> {
    PostgresStore::connect_with(url, PostgresOptions { schema: Some(schema.to_owned()), pool_size: 2, vault, ..PostgresOptions::default() })
}

#[test]
fn b3_a_postgres_vault_is_sealed_in_place_refused_without_its_key_and_rotated() {
    let Some(url) = common::pg_url("b3_a_postgres_vault_is_sealed_in_place_refused_without_its_key_and_rotated") else { return };
    let schema = common::unique_schema("vault");
    sealing(&schema, &|ring| open(&url, &schema, ring));
}

#[test]
fn postgres_store_conforms_with_a_sealed_vault() {
    let Some(url) = common::pg_url("postgres_store_conforms_with_a_sealed_vault") else { return };
    partner_benefits::conformance::run_all(&|| {
        Arc::new(open(&url, &common::unique_schema("sealconf"), ring(9, &[])).unwrap()) as Arc<dyn Store>
    });
}

#[test]
fn b3_sealed_rows_hold_no_key_in_clear() {
    let Some(url) = common::pg_url("b3_sealed_rows_hold_no_key_in_clear") else { return };
    let schema = common::unique_schema("vaultrows");
    let (tag, product) = (schema.clone(), Code::parse("product", "windows-server").unwrap());
    let plain = open(&url, &schema, Keyring::none()).unwrap();
    let keys =
        (0..40).map(|slot| VaultKey { product: product.clone(), slot, key: LicenseKey::new(key_text(&tag, slot)).unwrap() }).collect();
    plain.commit(Commit { keys, ..Commit::default() }).unwrap();
    drop(plain);
    let sealed = open(&url, &schema, ring(1, &[])).unwrap();
    while sealed.reseal_vault(16).unwrap().remaining > 0 {}
    // Every row, every column, as text: no key appears.
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rows = client.query(&format!("SELECT v::text FROM {schema}.pb_vault v"), &[]).unwrap();
    assert_eq!(rows.len(), 40);
    let marker = format!("SEALTEST-{tag}");
    assert!(rows.iter().all(|r| !r.get::<_, String>(0).contains(&marker)), "a row holds a key in clear");
    assert_eq!(sealed.vault_keys(&product, 39, 1).unwrap()[0].reveal(), key_text(&tag, 39));
}
