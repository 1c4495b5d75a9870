//! The host set-up both bindings use: a center opened by target, with the
//! host's clock, mailer and catalog, and demo keys where a first script
//! needs them. One function, so the bindings cannot drift apart on it.

mod demo_keys;

use std::sync::Arc;

use partner_benefits::sealing::Keyring;
use partner_benefits::{BenefitCenter, Catalog, Clock, Error, Mailer, ManualClock, MemoryStore, Store, SystemClock};
use partner_benefits_postgres::{PostgresOptions, PostgresStore};
use partner_benefits_sqlite::{SqliteOptions, SqliteStore};

pub use demo_keys::{DEMO_KEYS_PER_POOL, stock_demo_keys};
// Shared with the command line, so they live in their own crate.
pub use partner_benefits_host::{NoMailer, Target, postgres_url};

/// What a host may give besides the target; every field may be left out.
#[derive(Default)]
pub struct HostOptions {
    /// The time source; none means the system clock.
    pub clock: Option<Arc<ManualClock>>,
    /// Delivers mail on dispatch; none means [`NoMailer`]: mail stays queued.
    pub mailer: Option<Arc<dyn Mailer>>,
    /// Stock demo keys into never-stocked pools; none means
    /// [`Target::stocks_demo_keys_by_default`].
    pub stock_demo_keys: Option<bool>,
    /// The host's own catalog as JSON; none means the built-in catalog.
    pub catalog: Option<String>,
    /// The vault key (32 bytes) that seals license keys at rest, and keys
    /// being rotated out; none keeps keys in clear, as 0.1.0 did. Memory
    /// keeps nothing at rest and does not use it.
    pub vault: Keyring,
}

/// Opens a center on `target`: connects or creates the store (migrating
/// its schema), then stocks demo keys if asked or by default. A bad URL, an
/// unreachable server or an unusable file is a `storage` error.
pub fn open(target: &Target, options: HostOptions) -> Result<BenefitCenter, Error> {
    // The catalog is checked before the store is touched: a bad catalog
    // should not leave a new file or migrated tables behind.
    let catalog = match &options.catalog {
        Some(json) => Catalog::from_json(json)?,
        None => Catalog::builtin()?,
    };
    let store: Arc<dyn Store> = match target {
        Target::Memory => Arc::new(MemoryStore::new()),
        Target::Sqlite(path) => Arc::new(SqliteStore::open_with(path, SqliteOptions { vault: options.vault, ..SqliteOptions::default() })?),
        Target::Postgres(url) => {
            Arc::new(PostgresStore::connect_with(url, PostgresOptions { vault: options.vault, ..PostgresOptions::default() })?)
        }
    };
    let demo = options.stock_demo_keys.unwrap_or_else(|| target.stocks_demo_keys_by_default(options.clock.is_some()));
    let clock: Arc<dyn Clock> = match options.clock {
        Some(manual) => manual,
        None => Arc::new(SystemClock),
    };
    let mailer = options.mailer.unwrap_or_else(|| Arc::new(NoMailer));
    let center = BenefitCenter::new(store, mailer, clock, catalog);
    if demo {
        stock_demo_keys(&center)?;
    }
    Ok(center)
}

#[cfg(test)]
mod tests;
