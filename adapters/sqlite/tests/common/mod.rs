//! Shared setup for the SQLite store tests.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use partner_benefits::testing::OrganizationState;
use partner_benefits::{
    BenefitCenter, BenefitId, Catalog, Category, CenterOptions, LicenseKey, ManualClock, OrganizationId, RecordingMailer, Store, StreamId,
    Timestamp, UserId,
};
use partner_benefits_sqlite::SqliteStore;

pub fn at() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().unwrap()
}

pub fn center_on(store: Arc<dyn Store>, snapshot_every: u64) -> BenefitCenter {
    let options = CenterOptions { snapshot_every, ..CenterOptions::default() };
    BenefitCenter::with_options(
        store,
        Arc::new(RecordingMailer::new()),
        Arc::new(ManualClock::new(at())),
        Catalog::builtin().unwrap(),
        options,
    )
}

pub fn center_at(path: &Path, snapshot_every: u64) -> BenefitCenter {
    center_on(Arc::new(SqliteStore::open(path).unwrap()), snapshot_every)
}

/// An organization that bought the Action Pack, with `users` extra users.
pub struct Setup {
    pub org: OrganizationId,
    pub admin: UserId,
    pub visual_studio: BenefitId,
    pub users: Vec<UserId>,
}

pub fn stock(center: &BenefitCenter, per_product: usize) {
    for product in ["windows-server", "office-professional-plus", "microsoft-365-e3"] {
        let keys = (0..per_product).map(|i| LicenseKey::new(format!("{product}-{i}")).unwrap()).collect();
        center.program().stock_keys(product, keys).unwrap();
    }
}

pub fn setup(center: &BenefitCenter, users: usize) -> Setup {
    stock(center, 10);
    let org = center.create_organization("Contoso Ltd", "partners@contoso.com", "Avery Admin", "avery@contoso.com").unwrap();
    let admin = center.session(org.id, org.admin_id);
    admin.purchase_package("action-pack").unwrap();
    let visual_studio = admin.benefits_in(Category::VisualStudio).unwrap().remove(0).id;
    let users = (0..users).map(|i| admin.add_user(&format!("User {i}"), &format!("user{i}@contoso.com"), &[]).unwrap()).collect();
    Setup { org: org.id, admin: org.admin_id, visual_studio, users }
}

/// The state by full replay of the event log.
pub fn replayed(store: &dyn Store, org: OrganizationId) -> OrganizationState {
    let events = store.read_events(&StreamId::Organization(org), 0, usize::MAX).unwrap();
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event.version, i as u64 + 1, "event versions have a gap");
    }
    OrganizationState::replay(org, &events).unwrap()
}

/// The state from the newest snapshot plus later events (what opening does).
pub fn from_snapshot(store: &dyn Store, org: OrganizationId) -> (OrganizationState, Option<u64>) {
    let loaded = store.load(&StreamId::Organization(org), 0).unwrap();
    let at = loaded.snapshot.as_ref().map(|s| s.version);
    let mut state = match loaded.snapshot {
        Some(snapshot) => OrganizationState::from_snapshot(&snapshot.state).unwrap(),
        None => return (OrganizationState::replay(org, &loaded.events).unwrap(), None),
    };
    for event in &loaded.events {
        state.apply(event).unwrap();
    }
    (state, at)
}

/// Asserts two states hold the same data. Compared as their persisted JSON:
/// in-memory indexes the core rebuilds on load are not part of the state.
pub fn assert_same_state(left: &OrganizationState, right: &OrganizationState, what: &str) {
    let (l, r) = (serde_json::to_value(left).unwrap(), serde_json::to_value(right).unwrap());
    assert!(l == r, "{what}: states differ\nleft:  {l}\nright: {r}");
}
