//! Shared fixtures for the scenario tests: a center on a manual clock at
//! 2026-03-02T09:00:00Z, key pools stocked with sentinel keys, and an
//! organization with a Global admin and one user of every other role.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use chrono::{Duration, TimeZone, Utc};
use partner_benefits::lifecycle::delivery::DeliveryState;
use partner_benefits::store::{Commit, IdempotencyRecord, Loaded, Snapshot};
use partner_benefits::values::Code;
use partner_benefits::{
    BenefitCenter, BenefitView, Catalog, CenterOptions, Error, LicenseKey, MailId, Mailer, ManualClock, MemoryStore, OrganizationId,
    OutboxEntry, PackageId, RecordedEvent, RecordingMailer, Role, Session, Store, StreamId, Timestamp, UserId,
};

/// Every product whose keys the program stocks (the built-in catalog's pools).
pub const PRODUCTS: [&str; 4] = ["windows-server", "office-professional-plus", "sql-server", "microsoft-365-e3"];

/// Every sentinel key starts with this, so a search for it finds any leak (B3).
pub const SENTINEL: &str = "SENTINEL-KEY-";

/// The company's Partner Center account email.
pub const ACCOUNT_EMAIL: &str = "partners@contoso.com";

/// The built-in catalog, parsed once per test process.
pub fn catalog() -> Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::builtin().unwrap()).clone()
}

/// 2026-03-02T09:00:00Z, where every fixture clock starts.
pub fn start() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().unwrap()
}

/// One second, minute, day, for edge tests (B8).
pub fn seconds(n: i64) -> Duration {
    Duration::seconds(n)
}

/// `n` days.
pub fn days(n: i64) -> Duration {
    Duration::days(n)
}

static STOCKED: AtomicU64 = AtomicU64::new(0);

/// `count` fresh sentinel keys for `product`, never seen before in this process.
pub fn sentinel_keys(product: &str, count: usize) -> Vec<LicenseKey> {
    (0..count)
        .map(|_| {
            let n = STOCKED.fetch_add(1, Ordering::Relaxed);
            LicenseKey::new(format!("{SENTINEL}{product}-{n}")).unwrap()
        })
        .collect()
}

/// Stocks every product pool of `center` with `per_product` sentinel keys.
pub fn stock_all(center: &BenefitCenter, per_product: usize) {
    for product in PRODUCTS {
        center.program().stock_keys(product, sentinel_keys(product, per_product)).unwrap();
    }
}

/// A center with its parts kept at hand, and one organization.
pub struct Fixture {
    /// The clock, at [`start`] until moved.
    pub clock: Arc<ManualClock>,
    /// The mailer.
    pub mailer: Arc<RecordingMailer>,
    /// The store the center writes to.
    pub store: Arc<dyn Store>,
    /// The center.
    pub center: BenefitCenter,
    /// Organization "Contoso", account email [`ACCOUNT_EMAIL`].
    pub org: OrganizationId,
    /// Its first Global admin.
    pub admin: UserId,
    /// A User admin.
    pub user_admin: UserId,
    /// An Admin agent.
    pub agent: UserId,
    /// An MPN partner admin.
    pub mpn_admin: UserId,
    /// An employee with no role.
    pub dev: UserId,
    /// A second employee with no role.
    pub dev2: UserId,
}

impl Fixture {
    /// A fixture over a fresh in-memory store, pools stocked with 100 keys each.
    pub fn new() -> Self {
        Self::over(Arc::new(MemoryStore::new()), 100)
    }

    /// A fixture with empty key pools.
    pub fn unstocked() -> Self {
        Self::over(Arc::new(MemoryStore::new()), 0)
    }

    /// A fixture over `store`, pools stocked with `per_product` keys each.
    pub fn over(store: Arc<dyn Store>, per_product: usize) -> Self {
        Self::over_with(store, per_product, CenterOptions::default())
    }

    /// A fixture in memory (pools stocked with 100 keys each) whose center has `options`.
    pub fn with_options(options: CenterOptions) -> Self {
        Self::over_with(Arc::new(MemoryStore::new()), 100, options)
    }

    fn over_with(store: Arc<dyn Store>, per_product: usize, options: CenterOptions) -> Self {
        let clock = Arc::new(ManualClock::new(start()));
        let mailer = Arc::new(RecordingMailer::new());
        let center = BenefitCenter::with_options(store.clone(), mailer.clone(), clock.clone(), catalog(), options);
        if per_product > 0 {
            stock_all(&center, per_product);
        }
        let (org, admin, user_admin, agent, mpn_admin, dev, dev2) = populate(&center, "Contoso", ACCOUNT_EMAIL, "contoso.com");
        Self { clock, mailer, store, center, org, admin, user_admin, agent, mpn_admin, dev, dev2 }
    }

    /// A session acting as `user` of the fixture's organization.
    pub fn as_user(&self, user: UserId) -> Session {
        self.center.session(self.org, user)
    }

    /// A session acting as the Global admin.
    pub fn admin(&self) -> Session {
        self.as_user(self.admin)
    }

    /// A second center over the same store and clock, with nothing cached:
    /// what a process that just started would see. It ignores snapshots, so
    /// it replays every event (B2).
    pub fn reloaded(&self) -> BenefitCenter {
        replaying(self.store.clone(), self.mailer.clone(), self.clock.clone())
    }

    /// Moves the clock by `by`.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Buys an Action Pack as the Global admin.
    pub fn action_pack(&self) -> PackageId {
        self.admin().purchase_package("action-pack").unwrap()
    }

    /// The benefit with catalog code `code` of `package`.
    pub fn benefit(&self, package: PackageId, code: &str) -> BenefitView {
        benefit(&self.admin(), package, code)
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

/// A center over `store` that never reads or writes snapshots: every state
/// it shows is the fold of the whole event log.
pub fn replaying(store: Arc<dyn Store>, mailer: Arc<dyn Mailer>, clock: Arc<ManualClock>) -> BenefitCenter {
    let options = CenterOptions { snapshot_every: 0, ..CenterOptions::default() };
    BenefitCenter::with_options(Arc::new(ReplayOnly(store)), mailer, clock, catalog(), options)
}

/// A store that hides its snapshots (and keeps none), so loading replays every event.
pub struct ReplayOnly(pub Arc<dyn Store>);

impl Store for ReplayOnly {
    fn allocate_organization_id(&self) -> Result<OrganizationId, Error> {
        self.0.allocate_organization_id()
    }
    fn organizations(&self) -> Result<Vec<OrganizationId>, Error> {
        self.0.organizations()
    }
    fn load(&self, stream: &StreamId, after_version: u64) -> Result<Loaded, Error> {
        Ok(Loaded { snapshot: None, events: self.0.read_events(stream, after_version, usize::MAX)? })
    }
    fn read_events(&self, stream: &StreamId, after_version: u64, limit: usize) -> Result<Vec<RecordedEvent>, Error> {
        self.0.read_events(stream, after_version, limit)
    }
    fn commit(&self, commit: Commit) -> Result<(), Error> {
        self.0.commit(commit)
    }
    fn save_snapshot(&self, _snapshot: Snapshot) -> Result<(), Error> {
        Ok(())
    }
    fn vault_keys(&self, product: &Code, first: u64, count: u32) -> Result<Vec<LicenseKey>, Error> {
        self.0.vault_keys(product, first, count)
    }
    fn free_keys(&self, product: &partner_benefits::values::Code, up_to: u64) -> Result<u64, Error> {
        self.0.free_keys(product, up_to)
    }
    fn claimed_keys(
        &self,
        product: &partner_benefits::values::Code,
        claim: &partner_benefits::event::KeyClaim,
    ) -> Result<Vec<(u64, LicenseKey)>, Error> {
        self.0.claimed_keys(product, claim)
    }
    fn idempotency(&self, organization: OrganizationId, key: &str) -> Result<Option<IdempotencyRecord>, Error> {
        self.0.idempotency(organization, key)
    }
    fn claim_mail(&self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<OutboxEntry>, Error> {
        self.0.claim_mail(now, lease_until, limit)
    }
    fn settle_mail(&self, id: MailId, delivery: &DeliveryState) -> Result<(), Error> {
        self.0.settle_mail(id, delivery)
    }
    fn outbox(&self) -> Result<Vec<OutboxEntry>, Error> {
        self.0.outbox()
    }

    fn changes(&self, after: u64, limit: usize) -> Result<Vec<partner_benefits::Positioned>, Error> {
        self.0.changes(after, limit)
    }

    fn vault_status(&self) -> Result<partner_benefits::store::VaultStatus, Error> {
        self.0.vault_status()
    }

    fn reseal_vault(&self, batch: u32) -> Result<partner_benefits::store::Resealed, Error> {
        self.0.reseal_vault(batch)
    }

    fn requeue_mail(
        &self,
        id: partner_benefits::MailId,
        delivery: &partner_benefits::lifecycle::delivery::DeliveryState,
    ) -> Result<(), Error> {
        self.0.requeue_mail(id, delivery)
    }
}

/// The benefit with catalog code `code` of `package`, as `session` sees it.
pub fn benefit(session: &Session, package: PackageId, code: &str) -> BenefitView {
    session
        .benefits(package)
        .unwrap()
        .into_iter()
        .find(|b| b.code == code)
        .unwrap_or_else(|| panic!("package {package} has no benefit `{code}`"))
}

/// Creates an organization with a Global admin and one user of every other
/// role plus two employees with no role; returns
/// `(org, admin, user_admin, agent, mpn_admin, dev, dev2)`.
pub fn populate(
    center: &BenefitCenter,
    name: &str,
    account_email: &str,
    domain: &str,
) -> (OrganizationId, UserId, UserId, UserId, UserId, UserId, UserId) {
    let org = center.create_organization(name, account_email, "Avery Admin", &format!("avery@{domain}")).unwrap();
    let admin = center.session(org.id, org.admin_id);
    let user_admin = admin.add_user("Uma User-admin", &format!("uma@{domain}"), &[Role::UserAdmin]).unwrap();
    let agent = admin.add_user("Aki Agent", &format!("aki@{domain}"), &[Role::AdminAgent]).unwrap();
    let mpn_admin = admin.add_user("Mia MPN", &format!("mia@{domain}"), &[Role::MpnPartnerAdmin]).unwrap();
    let dev = admin.add_user("Dev One", &format!("dev1@{domain}"), &[]).unwrap();
    let dev2 = admin.add_user("Dev Two", &format!("dev2@{domain}"), &[]).unwrap();
    (org.id, org.admin_id, user_admin, agent, mpn_admin, dev, dev2)
}

/// Everything a session can read of its organization, as text, to compare
/// two centers' views of the same store.
pub fn picture(session: &Session) -> String {
    let mut out = String::new();
    out.push_str(&format!("{:?}\n", session.organization()));
    out.push_str(&format!("{:?}\n", session.users()));
    out.push_str(&format!("{:?}\n", session.packages()));
    out.push_str(&format!("{:?}\n", session.all_benefits()));
    out.push_str(&format!("{:?}\n", session.marketing_contact()));
    out.push_str(&format!("{:?}\n", session.requests()));
    out.push_str(&format!("{:?}\n", session.cancellations()));
    out
}
