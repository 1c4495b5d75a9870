//! The entry point: `BenefitCenter.open(target, clock)` (a SQLite file or a
//! PostgreSQL URL) or `BenefitCenter.inMemory(clock)`.

use std::sync::Arc;

use partner_benefits as core;
use partner_benefits::OrganizationId;

use super::clock::ManualClock;
use super::error::Result;
use super::id;
use super::mailer::{HostMailer, Mailer};
use super::program::Program;
use super::session::Session;
use crate::host::{self, HostOptions, Target};
use crate::views::long;
use crate::{
    AuditEntry, Change, DispatchReport, Organization, OutboxEntry, Resealed, Timestamp, VaultStatus, feed_page, keyring, reseal_batch,
};
use partner_benefits::sealing::Keyring;

/// The entry point: owns the store, the mailer and the clock; hands out
/// sessions (one user of one organization) and the program operator's
/// handle. Safe to share between threads; close it (`use { }`) when done.
#[derive(Debug, uniffi::Object)]
pub struct BenefitCenter {
    inner: core::BenefitCenter,
}

impl BenefitCenter {
    fn build(
        target: &Target,
        clock: Option<Arc<ManualClock>>,
        mailer: Option<Arc<dyn Mailer>>,
        stock_demo_keys: Option<bool>,
        catalog: Option<String>,
        vault: Keyring,
    ) -> Result<Arc<Self>> {
        let options = HostOptions {
            clock: clock.map(|manual| manual.inner.clone()),
            mailer: mailer.map(|host| Arc::new(HostMailer(host)) as Arc<dyn core::Mailer>),
            stock_demo_keys,
            catalog,
            vault,
        };
        Ok(Arc::new(Self { inner: host::open(target, options)? }))
    }
}

#[uniffi::export]
impl BenefitCenter {
    /// A center keeping its data in PostgreSQL when `target` is a URL
    /// starting with `postgres://` or `postgresql://` in any letter case (the database and role
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
    /// - `vaultKey`: 32 bytes from the host's secret manager; license keys
    ///   are then sealed at rest (XChaCha20-Poly1305) and `resealVault`
    ///   seals those kept in clear. Null keeps them in clear, as 0.1.0 did.
    ///   A store whose keys are sealed under a key not given is refused
    ///   with a `Storage` error, changing nothing.
    /// - `previousVaultKeys`: keys being rotated out; they open what they
    ///   sealed until `resealVault` has moved every entry to `vaultKey`.
    #[uniffi::constructor(default(
        clock = None,
        mailer = None,
        stock_demo_keys = None,
        catalog = None,
        vault_key = None,
        previous_vault_keys = []
    ))]
    pub fn open(
        target: String,
        clock: Option<Arc<ManualClock>>,
        mailer: Option<Arc<dyn Mailer>>,
        stock_demo_keys: Option<bool>,
        catalog: Option<String>,
        vault_key: Option<Vec<u8>>,
        previous_vault_keys: Vec<Vec<u8>>,
    ) -> Result<Arc<Self>> {
        let vault = keyring(vault_key.as_deref(), &previous_vault_keys)?;
        Self::build(&Target::from_text(&target), clock, mailer, stock_demo_keys, catalog, vault)
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
        Self::build(&Target::Memory, clock, mailer, stock_demo_keys, catalog, Keyring::none())
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
        Ok(long(self.inner.process_due()?))
    }

    /// Hands due mail to the mailer: accepted mail is marked sent and never
    /// sent again; refused mail stays queued with the reason.
    pub fn dispatch_mail(&self) -> Result<DispatchReport> {
        Ok(self.inner.dispatch_mail()?.into())
    }

    /// Queues a parked mail again (`InvalidTransition` unless it is parked):
    /// the next dispatch tries it as if new.
    pub fn requeue_mail(&self, mail_id: String) -> Result<()> {
        let mail: core::MailId = id(&mail_id)?;
        Ok(self.inner.requeue_mail(mail)?)
    }

    /// How the store keeps its key vault: entries in clear, sealed per
    /// vault key id, and the key new entries are sealed under.
    pub fn vault_status(&self) -> Result<VaultStatus> {
        Ok(self.inner.vault_status()?.into())
    }

    /// Seals up to `batch` (1 to 10 000) entries kept in clear or under a
    /// previous key under the vault key, in one transaction. Call until
    /// `remaining` is 0; a stopped run resumes, and every key stays readable.
    /// `PreconditionFailed` when the center was opened without a vault key.
    #[uniffi::method(default(batch = 1000))]
    pub fn reseal_vault(&self, batch: i64) -> Result<Resealed> {
        Ok(self.inner.reseal_vault(reseal_batch(batch))?.into())
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

    /// Up to `limit` (1 to 10 000) committed events of every stream after
    /// position `after` (0: from the start), in commit order. Keep the last
    /// change's position and ask for what follows it: nothing is missed or
    /// repeated, also while other processes commit.
    #[uniffi::method(default(after = 0, limit = 1000))]
    pub fn changes(&self, after: i64, limit: i64) -> Result<Vec<Change>> {
        let (after, limit) = feed_page(after, limit)?;
        Ok(self.inner.changes(after, limit)?.into_iter().map(Change::from).collect())
    }

    /// The current time of the center's clock.
    pub fn now(&self) -> Timestamp {
        self.inner.now()
    }
}
