//! Opening the store `--db` names, with the target parsed as the bindings
//! parse it (`partner_benefits_host::Target`).
//!
//! A SQLite path that does not exist is refused with `not_found` rather than
//! created: every subcommand here reads or changes what a store already
//! holds, so a new empty file would only hide a mistyped path. A subcommand
//! that fills a new store (a coming `import`) passes `create_missing`.

use std::path::Path;
use std::sync::Arc;

use partner_benefits::{BenefitCenter, Catalog, Error, Mailer, OrganizationId, Store, StreamId, SystemClock};
use partner_benefits_host::{NoMailer, Target};
use partner_benefits_postgres::{PostgresOptions, PostgresStore};
use partner_benefits_sqlite::{SqliteOptions, SqliteStore};

use crate::failure::Failure;
use crate::vault_keys;

/// The store behind a center, by kind, for what only one kind can tell.
pub enum Backend {
    /// A SQLite file.
    Sqlite(Arc<SqliteStore>),
    /// A PostgreSQL database.
    Postgres(Arc<PostgresStore>),
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// The schema version of the open store.
    pub fn schema_version(&self) -> Result<u32, Error> {
        match self {
            Self::Sqlite(store) => store.schema_version(),
            Self::Postgres(store) => store.schema_version(),
        }
    }
}

/// A center over the store `--db` names.
pub struct Opened {
    /// The center (system clock, built-in catalog).
    pub center: BenefitCenter,
    /// Its store, by kind.
    pub backend: Backend,
}

/// The target `--db` (or `PARTNER_BENEFITS_DB`) names.
pub fn target(db: Option<&str>) -> Result<Target, Failure> {
    match db {
        Some(text) if !text.trim().is_empty() => Ok(Target::from_text(text)),
        _ => Err(Failure::Usage(
            "no store given: pass `--db PATH` (a SQLite file) or `--db postgres://...`, or set PARTNER_BENEFITS_DB".into(),
        )),
    }
}

/// Opens the store `target` names. With `create_missing` false a SQLite
/// path that does not exist is `not_found` (a missing parent directory, or a
/// directory given as the file, is the store's own `storage` error).
pub fn open(target: &Target, create_missing: bool, mailer: Option<Arc<dyn Mailer>>) -> Result<Opened, Failure> {
    let catalog = Catalog::builtin()?;
    let backend = match target {
        Target::Sqlite(path) => {
            if !create_missing && missing_file(path) {
                return Err(Error::NotFound { kind: "store file", id: path.display().to_string() }.into());
            }
            let options = SqliteOptions { vault: vault_keys::keyring(), ..SqliteOptions::default() };
            Backend::Sqlite(Arc::new(SqliteStore::open_with(path, options)?))
        }
        Target::Postgres(url) => {
            let options = PostgresOptions { vault: vault_keys::keyring(), ..PostgresOptions::default() };
            Backend::Postgres(Arc::new(PostgresStore::connect_with(url, options)?))
        }
        // `Target::from_text` never names memory: a command line has nothing to keep there.
        other => return Err(Failure::Usage(format!("`{}` is not a store the command line opens", other.shown()))),
    };
    let store: Arc<dyn Store> = match &backend {
        Backend::Sqlite(store) => store.clone(),
        Backend::Postgres(store) => store.clone(),
    };
    let mailer = mailer.unwrap_or_else(|| Arc::new(NoMailer));
    Ok(Opened { center: BenefitCenter::new(store, mailer, Arc::new(SystemClock), catalog), backend })
}

/// True when nothing is at `path` but its directory exists (a missing
/// directory is left to the store, which says so).
fn missing_file(path: &Path) -> bool {
    let parent_exists = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.is_dir(),
        _ => true,
    };
    parent_exists && std::fs::symlink_metadata(path).is_err()
}

/// The version of an organization's stream: how many events it holds
/// (read from its newest snapshot and the events after it).
pub fn stream_version(store: &dyn Store, organization: OrganizationId) -> Result<u64, Error> {
    let loaded = store.load(&StreamId::Organization(organization), 0)?;
    let snapshot = loaded.snapshot.map_or(0, |s| s.version);
    Ok(loaded.events.last().map_or(snapshot, |e| e.version))
}
