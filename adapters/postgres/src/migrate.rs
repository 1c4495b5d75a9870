//! Versioned migrations, run at open in one transaction under an advisory lock.

use partner_benefits::Error;
use postgres::Client;

use crate::describe;
use crate::pool::quote_ident;

/// Each migration: the schema version it brings the database to, and its SQL.
const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_vault_key_index.sql")),
    (3, include_str!("../migrations/0003_changes_feed.sql")),
    (4, include_str!("../migrations/0004_sealed_vault.sql")),
    (5, include_str!("../migrations/0005_key_claims.sql")),
];

/// The schema version this library writes and reads.
pub const SCHEMA_VERSION: u32 = 5;

fn failed(what: &'static str) -> impl Fn(postgres::Error) -> Error {
    move |e| Error::storage(format!("schema migration failed while {what}: {}", describe(&e)))
}

/// The highest migration applied, 0 for an empty database.
pub(crate) fn current_version(client: &mut Client) -> Result<u32, Error> {
    let exists: bool =
        client.query_one("SELECT to_regclass('pb_migrations') IS NOT NULL", &[]).map_err(failed("reading the schema version"))?.get(0);
    if !exists {
        return Ok(0);
    }
    let version: i32 =
        client.query_one("SELECT coalesce(max(version), 0) FROM pb_migrations", &[]).map_err(failed("reading the schema version"))?.get(0);
    u32::try_from(version).map_err(|_| Error::storage(format!("the database reports schema version {version}")))
}

/// Brings the schema to [`SCHEMA_VERSION`]. Instances starting together
/// queue on the advisory lock, so each migration runs once; a database of a
/// newer schema is refused and left untouched (the transaction rolls back).
pub(crate) fn migrate(client: &mut Client, schema: Option<&str>) -> Result<(), Error> {
    let mut tx = client.transaction().map_err(failed("starting"))?;
    let lock = format!("partner-benefits migrate {}", schema.unwrap_or(""));
    tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&lock]).map_err(failed("taking the migration lock"))?;
    if let Some(schema) = schema {
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(schema))).map_err(failed("creating the schema"))?;
    }
    let exists: bool =
        tx.query_one("SELECT to_regclass('pb_migrations') IS NOT NULL", &[]).map_err(failed("reading the schema version"))?.get(0);
    let current = if exists {
        let version: i32 =
            tx.query_one("SELECT coalesce(max(version), 0) FROM pb_migrations", &[]).map_err(failed("reading the schema version"))?.get(0);
        u32::try_from(version).map_err(|_| Error::storage(format!("the database reports schema version {version}")))?
    } else {
        0
    };
    if current > SCHEMA_VERSION {
        // Dropping `tx` rolls back: nothing was changed.
        return Err(Error::storage(format!(
            "the database has schema version {current}, newer than {SCHEMA_VERSION} which this library knows; \
             upgrade partner-benefits-postgres (the database was left untouched)"
        )));
    }
    if current == SCHEMA_VERSION {
        return tx.commit().map_err(failed("committing"));
    }
    if !exists {
        tx.batch_execute("CREATE TABLE pb_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
            .map_err(failed("creating the migrations table"))?;
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).map_err(failed("applying a migration"))?;
        let number = i32::try_from(*version).map_err(|_| Error::storage("migration number out of range"))?;
        tx.execute("INSERT INTO pb_migrations (version) VALUES ($1)", &[&number]).map_err(failed("recording a migration"))?;
    }
    tx.commit().map_err(failed("committing"))
}
