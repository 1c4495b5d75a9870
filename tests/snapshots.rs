//! Snapshot cadence (docs/adr/0004-snapshot-cadence.md): a store that counts
//! the snapshots the center writes shows that a small organization gets one
//! every `snapshot_every` events, that a large one gets one only after a
//! history proportional to its size, and that opening from the newest
//! snapshot shows exactly what a full replay shows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::sync::{Arc, Mutex};

use partner_benefits::lifecycle::delivery::DeliveryState;
use partner_benefits::store::{Commit, IdempotencyRecord, Loaded, Snapshot};
use partner_benefits::values::Code;
use partner_benefits::{
    BenefitCenter, CenterOptions, Command, Error, LicenseKey, MailId, ManualClock, MemoryStore, OrganizationId, OutboxEntry, RecordedEvent,
    RecordingMailer, Role, Session, Store, StreamId, Timestamp, UserId,
};
use partner_benefits_scenarios::*;

/// Delegates to a [`MemoryStore`], noting the version and size of every
/// snapshot it is asked to save.
#[derive(Default)]
struct CountingStore {
    inner: MemoryStore,
    saved: Mutex<Vec<(u64, u64)>>,
}

impl CountingStore {
    fn saved(&self) -> Vec<(u64, u64)> {
        self.saved.lock().unwrap().clone()
    }
}

impl Store for CountingStore {
    fn allocate_organization_id(&self) -> Result<OrganizationId, Error> {
        self.inner.allocate_organization_id()
    }
    fn organizations(&self) -> Result<Vec<OrganizationId>, Error> {
        self.inner.organizations()
    }
    fn load(&self, stream: &StreamId, after_version: u64) -> Result<Loaded, Error> {
        self.inner.load(stream, after_version)
    }
    fn read_events(&self, stream: &StreamId, after_version: u64, limit: usize) -> Result<Vec<RecordedEvent>, Error> {
        self.inner.read_events(stream, after_version, limit)
    }
    fn commit(&self, commit: Commit) -> Result<(), Error> {
        self.inner.commit(commit)
    }
    fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), Error> {
        self.saved.lock().unwrap().push((snapshot.version, snapshot.state.len() as u64));
        self.inner.save_snapshot(snapshot)
    }
    fn vault_keys(&self, product: &Code, first: u64, count: u32) -> Result<Vec<LicenseKey>, Error> {
        self.inner.vault_keys(product, first, count)
    }
    fn free_keys(&self, product: &partner_benefits::values::Code, up_to: u64) -> Result<u64, Error> {
        self.inner.free_keys(product, up_to)
    }
    fn claimed_keys(
        &self,
        product: &partner_benefits::values::Code,
        claim: &partner_benefits::event::KeyClaim,
    ) -> Result<Vec<(u64, LicenseKey)>, Error> {
        self.inner.claimed_keys(product, claim)
    }
    fn idempotency(&self, organization: OrganizationId, key: &str) -> Result<Option<IdempotencyRecord>, Error> {
        self.inner.idempotency(organization, key)
    }
    fn claim_mail(&self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<OutboxEntry>, Error> {
        self.inner.claim_mail(now, lease_until, limit)
    }
    fn settle_mail(&self, id: MailId, delivery: &DeliveryState) -> Result<(), Error> {
        self.inner.settle_mail(id, delivery)
    }
    fn outbox(&self) -> Result<Vec<OutboxEntry>, Error> {
        self.inner.outbox()
    }

    fn changes(&self, after: u64, limit: usize) -> Result<Vec<partner_benefits::Positioned>, Error> {
        self.inner.changes(after, limit)
    }

    fn vault_status(&self) -> Result<partner_benefits::store::VaultStatus, Error> {
        self.inner.vault_status()
    }

    fn reseal_vault(&self, batch: u32) -> Result<partner_benefits::store::Resealed, Error> {
        self.inner.reseal_vault(batch)
    }

    fn requeue_mail(
        &self,
        id: partner_benefits::MailId,
        delivery: &partner_benefits::lifecycle::delivery::DeliveryState,
    ) -> Result<(), Error> {
        self.inner.requeue_mail(id, delivery)
    }
}

struct World {
    store: Arc<CountingStore>,
    clock: Arc<ManualClock>,
    mailer: Arc<RecordingMailer>,
    center: BenefitCenter,
    org: OrganizationId,
    admin: UserId,
    dev: UserId,
}

impl World {
    fn new(options: CenterOptions) -> Self {
        let store = Arc::new(CountingStore::default());
        let clock = Arc::new(ManualClock::new(start()));
        let mailer = Arc::new(RecordingMailer::new());
        let center = BenefitCenter::with_options(store.clone(), mailer.clone(), clock.clone(), catalog(), options);
        stock_all(&center, 10);
        let (org, admin, _, _, _, dev, _) = populate(&center, "Contoso", ACCOUNT_EMAIL, "contoso.com");
        World { store, clock, mailer, center, org, admin, dev }
    }

    fn admin(&self) -> Session {
        self.center.session(self.org, self.admin)
    }

    fn version(&self) -> u64 {
        self.store.read_events(&StreamId::Organization(self.org), 0, usize::MAX).unwrap().len() as u64
    }

    /// `n` commands of one event each that leave the state's size as it was.
    fn toggle_roles(&self, n: u64) {
        let admin = self.admin();
        for i in 0..n {
            let roles = if i % 2 == 0 { vec![Role::UserAdmin] } else { Vec::new() };
            admin.execute(Command::SetUserRoles { user: self.dev, roles }).unwrap();
        }
    }

    /// Adds `n` users in batches of `batch` commands (one event each).
    fn add_users(&self, n: u64, batch: u64) {
        let admin = self.admin();
        let mut seq = 0;
        while seq < n {
            let commands: Vec<Command> = (seq..(seq + batch).min(n))
                .map(|i| Command::AddUser {
                    name: format!("Employee {i}"),
                    email: format!("employee{i}@contoso.com"),
                    roles: Vec::new(),
                    language: None,
                })
                .collect();
            admin.execute_batch(&commands).unwrap();
            seq += batch;
        }
    }
}

/// How many events must follow a snapshot of `bytes` bytes before the next.
fn gap(options: &CenterOptions, bytes: u64) -> u64 {
    options.snapshot_every.max(bytes.checked_div(options.snapshot_bytes_per_event).unwrap_or(0))
}

#[test]
fn a_small_organization_gets_a_snapshot_every_snapshot_every_events() {
    let options = CenterOptions::default();
    assert_eq!((options.snapshot_every, options.snapshot_bytes_per_event), (500, 256));
    let world = World::new(options.clone());
    world.toggle_roles(2_100);
    let saved = world.store.saved();
    let total = world.version();
    // Seven users and nothing bought: a few kilobytes, far below 500 × 256 bytes.
    assert!(saved.iter().all(|&(_, bytes)| bytes < 500 * 256 / 4), "{saved:?}");
    let versions: Vec<u64> = saved.iter().map(|&(v, _)| v).collect();
    assert_eq!(versions, vec![500, 1_000, 1_500, 2_000], "{total} events");
}

#[test]
fn a_large_state_gets_proportionally_fewer_snapshots() {
    let options = CenterOptions { snapshot_every: 20, ..CenterOptions::default() };
    let world = World::new(options.clone());
    // 2 000 users, in batches of 10 commands: the state grows to some 160 KB.
    world.add_users(2_000, 10);
    let grown = world.store.saved();
    // Then 6 000 events that leave the state's size alone.
    world.toggle_roles(6_000);
    let saved = world.store.saved();
    let total = world.version();

    // The rule, gap by gap: at least `snapshot_every` events and at least the
    // last snapshot's size / `snapshot_bytes_per_event`, overshot by less
    // than a batch (one command at a time after the first phase).
    assert!(saved[0].0 >= 20 && saved[0].0 < 30, "{saved:?}");
    for pair in saved.windows(2) {
        let ((before, bytes), (after, _)) = (pair[0], pair[1]);
        let due = gap(&options, bytes);
        let batch = if after > grown.last().unwrap().0 { 1 } else { 10 };
        assert!(after - before >= due && after - before < due + batch, "{before} ({bytes} bytes) -> {after}, due after {due}");
    }
    // Growing, the state is rewritten at versions growing geometrically, not every 20 events.
    assert!(grown.len() < 20, "{} snapshots while adding 2 000 users: {grown:?}", grown.len());
    // Once large, every ~600 events (its size / 256 bytes) rather than every 20.
    let (_, big) = *grown.last().unwrap();
    assert!(big > 100_000, "the state is only {big} bytes");
    let later = saved.len() - grown.len();
    assert!(later <= 6_000 / (big / 256) as usize + 1 && later >= 2, "{later} snapshots in 6 000 events after a {big}-byte one");
    // With the proportional rule off, `snapshot_every` alone: every 20 events.
    let plain = World::new(CenterOptions { snapshot_every: 20, snapshot_bytes_per_event: 0, ..CenterOptions::default() });
    plain.add_users(2_000, 10);
    assert_eq!(plain.store.saved().len() as u64, plain.version() / 20, "{total}");
}

#[test]
fn opening_from_the_newest_snapshot_shows_what_a_full_replay_shows() {
    let options = CenterOptions { snapshot_every: 20, ..CenterOptions::default() };
    let world = World::new(options.clone());
    world.add_users(1_000, 7);
    world.toggle_roles(777);
    let admin = world.admin();
    admin.purchase_package("action-pack").unwrap();
    let live = picture(&admin);
    let total = world.version();
    let (version, bytes) = *world.store.saved().last().unwrap();

    // The store opens from the newest snapshot, with less than its gap to replay.
    let stream = StreamId::Organization(world.org);
    let loaded = world.store.load(&stream, 0).unwrap();
    assert_eq!(loaded.snapshot.as_ref().map(|s| s.version), Some(version));
    assert_eq!(loaded.events.len() as u64, total - version);
    assert!(total - version < gap(&options, bytes) + 7, "{} events after the snapshot", total - version);

    // A fresh center opens from it; another replays every event: same picture.
    let store: Arc<dyn Store> = world.store.clone();
    let reopened = BenefitCenter::with_options(store.clone(), world.mailer.clone(), world.clock.clone(), catalog(), options.clone());
    assert_eq!(picture(&reopened.session(world.org, world.admin)), live);
    let replayed = replaying(store, world.mailer.clone(), world.clock.clone());
    assert_eq!(picture(&replayed.session(world.org, world.admin)), live);

    // The reopened center counts from the snapshot it loaded, size included.
    let before = world.store.saved().len();
    let reopened_admin = reopened.session(world.org, world.admin);
    let due = gap(&options, bytes);
    let mut n = 0;
    while world.store.saved().len() == before {
        let roles = if n % 2 == 0 { vec![Role::UserAdmin] } else { Vec::new() };
        reopened_admin.execute(Command::SetUserRoles { user: world.dev, roles }).unwrap();
        n += 1;
        assert!(n <= due, "no snapshot {n} events after the one loaded");
    }
    assert_eq!(world.store.saved().last().unwrap().0, version + due);
    let again = BenefitCenter::new(world.store.clone(), world.mailer.clone(), world.clock.clone(), catalog());
    assert_eq!(picture(&again.session(world.org, world.admin)), picture(&reopened_admin));
}

#[test]
fn snapshot_every_zero_writes_none() {
    let world = World::new(CenterOptions { snapshot_every: 0, ..CenterOptions::default() });
    world.add_users(300, 10);
    world.toggle_roles(600);
    assert!(world.store.saved().is_empty());
}
