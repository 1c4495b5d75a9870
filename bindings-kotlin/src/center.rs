//! The entry point: `BenefitCenter.open(target, clock)` (a SQLite file or a
//! PostgreSQL URL) or `BenefitCenter.inMemory(clock)`.

use std::str::FromStr;
use std::sync::Arc;

use partner_benefits as core;
use partner_benefits::catalog::BenefitKind;
use partner_benefits::{Catalog, LicenseKey, MemoryStore, OrganizationId, Store};
use partner_benefits_postgres::PostgresStore;
use partner_benefits_sqlite::{SqliteStore, SystemClock};

use crate::Timestamp;
use crate::clock::ManualClock;
use crate::error::Result;
use crate::mailer::{HostMailer, Mailer, NoMailer};
use crate::program::Program;
use crate::session::Session;
use crate::types::{AuditEntry, DispatchReport, Organization, OutboxEntry};

/// Demo keys stocked into each never-stocked key pool (as the Python binding does).
pub const DEMO_KEYS_PER_PRODUCT: u32 = 500;

/// Parses an id given as text; a malformed id is `invalid_input`.
pub(crate) fn id<T: FromStr<Err = core::Error>>(text: &str) -> Result<T> {
    Ok(text.parse::<T>()?)
}

/// When `open`'s target names a PostgreSQL database rather than a SQLite
/// file, the URL with its scheme in lower case (as the driver wants it).
fn postgres_url(target: &str) -> Option<String> {
    ["postgres://", "postgresql://"].iter().find_map(|scheme| {
        let head = target.get(..scheme.len())?;
        head.eq_ignore_ascii_case(scheme).then(|| format!("{scheme}{}", &target[scheme.len()..]))
    })
}

/// Stocks generated demo keys (`DEMO-WINDOWS-SERVER-00001`, ...) into every
/// key pool of the catalog that has never been stocked.
fn stock_demo_keys(center: &core::BenefitCenter) -> Result<()> {
    let mut products: Vec<String> = Vec::new();
    for template in &center.catalog().packages {
        for benefit in &template.benefits {
            if let BenefitKind::Software { product, .. } | BenefitKind::CloudLicense { product, .. } = &benefit.kind {
                let product = product.to_string();
                if !products.contains(&product) {
                    products.push(product);
                }
            }
        }
    }
    let program = center.program();
    for product in products {
        if program.key_pool(&product)?.stocked > 0 {
            continue;
        }
        let prefix = product.to_uppercase();
        let keys = (1..=DEMO_KEYS_PER_PRODUCT).map(|n| LicenseKey::new(format!("DEMO-{prefix}-{n:05}"))).collect::<Result<Vec<_>, _>>()?;
        program.stock_keys(&product, keys)?;
    }
    Ok(())
}

/// The entry point: owns the store, the mailer and the clock; hands out
/// sessions (one user of one organization) and the program operator's
/// handle. Safe to share between threads; close it (`use { }`) when done.
#[derive(Debug, uniffi::Object)]
pub struct BenefitCenter {
    inner: core::BenefitCenter,
}

impl BenefitCenter {
    fn build(
        store: Arc<dyn Store>,
        clock: Option<Arc<ManualClock>>,
        mailer: Option<Arc<dyn Mailer>>,
        stock_demo_keys_into_empty_pools: bool,
        catalog: Option<String>,
    ) -> Result<Arc<Self>> {
        let catalog = match catalog {
            Some(json) => Catalog::from_json(&json)?,
            None => Catalog::builtin()?,
        };
        let mailer: Arc<dyn core::Mailer> = match mailer {
            Some(host) => Arc::new(HostMailer(host)),
            None => Arc::new(NoMailer),
        };
        let clock: Arc<dyn core::Clock> = match clock {
            Some(manual) => manual.inner.clone(),
            None => Arc::new(SystemClock),
        };
        let inner = core::BenefitCenter::new(store, mailer, clock, catalog);
        if stock_demo_keys_into_empty_pools {
            stock_demo_keys(&inner)?;
        }
        Ok(Arc::new(Self { inner }))
    }
}

#[uniffi::export]
impl BenefitCenter {
    /// A center keeping its data in PostgreSQL when `target` is a URL
    /// starting with `postgres://` or `postgresql://` (the database and role
    /// must exist; the tables are created or upgraded), otherwise in the
    /// SQLite file at path `target` (created if missing, its schema upgraded
    /// if older). A bad URL or an unreachable server is a `Storage` error
    /// (after at most the connect timeout, 5 s), never a hang.
    ///
    /// - `clock`: the time source; none means the system clock (UTC).
    /// - `mailer`: delivers mail on `dispatchMail`; none means mail stays
    ///   queued in the outbox until a center with a mailer dispatches it.
    /// - `stockDemoKeys`: stock 500 generated keys (`DEMO-WINDOWS-SERVER-00001`,
    ///   ...) into every key pool of the catalog that was never stocked, so
    ///   purchases work at once. Default (null): yes with a `ManualClock`
    ///   (tests, demos), no with the system clock (production, where the
    ///   program stocks real keys with `program().stockKeys(...)`).
    /// - `catalog`: the host's own program as catalog JSON; none means the
    ///   built-in catalog (see `catalogJson()`).
    #[uniffi::constructor(default(clock = None, mailer = None, stock_demo_keys = None, catalog = None))]
    pub fn open(
        target: String,
        clock: Option<Arc<ManualClock>>,
        mailer: Option<Arc<dyn Mailer>>,
        stock_demo_keys: Option<bool>,
        catalog: Option<String>,
    ) -> Result<Arc<Self>> {
        let demo = stock_demo_keys.unwrap_or(clock.is_some());
        let store: Arc<dyn Store> = if let Some(url) = postgres_url(&target) {
            Arc::new(PostgresStore::connect(&url)?)
        } else {
            Arc::new(SqliteStore::open(&target)?)
        };
        Self::build(store, clock, mailer, demo, catalog)
    }

    /// A center keeping its data in memory, for tests and demos. Arguments
    /// as for `open`, except that `stockDemoKeys` defaults to yes.
    #[uniffi::constructor(default(clock = None, mailer = None, stock_demo_keys = None, catalog = None))]
    pub fn in_memory(
        clock: Option<Arc<ManualClock>>,
        mailer: Option<Arc<dyn Mailer>>,
        stock_demo_keys: Option<bool>,
        catalog: Option<String>,
    ) -> Result<Arc<Self>> {
        Self::build(Arc::new(MemoryStore::new()), clock, mailer, stock_demo_keys.unwrap_or(true), catalog)
    }

    /// The catalog in use, as JSON (a starting point for a host's own catalog).
    pub fn catalog_json(&self) -> String {
        self.inner.catalog().to_json()
    }

    /// Registers a partner company with its first Global admin (R04).
    pub fn create_organization(
        &self,
        name: String,
        account_email: String,
        admin_name: String,
        admin_email: String,
    ) -> Result<Organization> {
        Ok(self.inner.create_organization(&name, &account_email, &admin_name, &admin_email)?.into())
    }

    /// A session acting as `userId` of `organizationId`. Nothing is checked
    /// until its first call, except that both ids are well formed.
    pub fn session(&self, organization_id: String, user_id: String) -> Result<Arc<Session>> {
        Ok(Arc::new(Session::new(self.inner.session(id(&organization_id)?, id(&user_id)?))))
    }

    /// The program operator's side: key pools, levels, competencies, requests.
    pub fn program(&self) -> Arc<Program> {
        Arc::new(Program::new(self.inner.program()))
    }

    /// Records everything that fell due (activations, expiries, reminders)
    /// in every organization, queueing its mail. Returns the number of events.
    pub fn process_due(&self) -> Result<i64> {
        Ok(crate::types::long(self.inner.process_due()?))
    }

    /// Hands due mail to the mailer: accepted mail is marked sent and never
    /// sent again; refused mail stays queued with the reason.
    pub fn dispatch_mail(&self) -> Result<DispatchReport> {
        Ok(self.inner.dispatch_mail()?.into())
    }

    /// Every mail of the outbox with its delivery state.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>> {
        Ok(self.inner.outbox()?.into_iter().map(OutboxEntry::from).collect())
    }

    /// The whole audit log of an organization, oldest first (program side).
    pub fn audit_log(&self, organization_id: String) -> Result<Vec<AuditEntry>> {
        let organization: OrganizationId = id(&organization_id)?;
        Ok(self.inner.audit_log(organization)?.into_iter().map(AuditEntry::from).collect())
    }

    /// The current time of the center's clock.
    pub fn now(&self) -> Timestamp {
        self.inner.now()
    }
}

#[cfg(test)]
mod tests {
    use super::postgres_url;

    #[test]
    fn only_postgres_urls_go_to_postgres() {
        assert_eq!(postgres_url("postgres://u@h/db").as_deref(), Some("postgres://u@h/db"));
        assert_eq!(postgres_url("postgresql://h:5432/DB").as_deref(), Some("postgresql://h:5432/DB"));
        assert_eq!(postgres_url("POSTGRES://h/Db").as_deref(), Some("postgres://h/Db"));
        assert_eq!(postgres_url("PostgreSQL://h/db").as_deref(), Some("postgresql://h/db"));
        for path in ["benefits.db", "/var/lib/postgres/benefits.db", "postgres", "postgres:/x", "host=h dbname=db", "", "é", "postgresé"]
        {
            assert_eq!(postgres_url(path), None, "{path}");
        }
    }
}
