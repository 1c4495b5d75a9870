//! Scale measurements: a catalog with one huge Visual Studio pool, a store
//! that keeps no history in memory, and a seat-churn stream for one organization.

use std::collections::HashMap;
use std::sync::Mutex;

use partner_benefits::catalog::BenefitKind;
use partner_benefits::lifecycle::Timestamp;
use partner_benefits::lifecycle::delivery::DeliveryState;
use partner_benefits::mail::OutboxEntry;
use partner_benefits::store::{Commit, IdempotencyRecord, Loaded, Snapshot};
use partner_benefits::values::Code;
use partner_benefits::{Catalog, Command, Error, LicenseKey, MailId, OrganizationId, RecordedEvent, Store, StreamId, UserId};

/// The built-in catalog reduced to one package, `seats`, holding one Visual
/// Studio benefit of `seats` subscriptions (and nothing that needs keys).
pub fn seat_catalog(seats: u32) -> Result<Catalog, Error> {
    let mut catalog = Catalog::builtin()?;
    let mut package = catalog.packages.first().cloned().ok_or_else(|| Error::storage("the built-in catalog has no package"))?;
    package.benefits.retain(|b| matches!(b.kind, BenefitKind::VisualStudio { .. }));
    for benefit in &mut package.benefits {
        if let BenefitKind::VisualStudio { seats: allocation, .. } = &mut benefit.kind {
            *allocation = seats;
        }
    }
    package.code = Code::parse("code", "seats")?;
    catalog.packages = vec![package];
    // Through the parser, so the catalog is validated like a host's own.
    Catalog::from_json(&catalog.to_json())
}

/// A store that writes history away, as a store on disk would: it keeps each
/// stream's version and only the events its reader has not loaded yet, and
/// drops mail and snapshots. What stays resident is the core's own state, so
/// RSS measures the memory a process holds per seat when its store is on disk.
/// Single process, single center only.
#[derive(Default)]
pub struct DiscardStore {
    inner: Mutex<Discard>,
}

#[derive(Default)]
struct Discard {
    next_org: u64,
    streams: HashMap<StreamId, (u64, Vec<RecordedEvent>)>,
}

impl DiscardStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Discard>, Error> {
        self.inner.lock().map_err(|_| Error::storage("poisoned"))
    }
}

impl Store for DiscardStore {
    fn allocate_organization_id(&self) -> Result<OrganizationId, Error> {
        let mut inner = self.lock()?;
        inner.next_org += 1;
        Ok(OrganizationId::new(inner.next_org))
    }

    fn organizations(&self) -> Result<Vec<OrganizationId>, Error> {
        let inner = self.lock()?;
        Ok(inner.streams.keys().filter_map(|s| if let StreamId::Organization(id) = s { Some(*id) } else { None }).collect())
    }

    fn load(&self, stream: &StreamId, after_version: u64) -> Result<Loaded, Error> {
        let mut inner = self.lock()?;
        let Some((_, pending)) = inner.streams.get_mut(stream) else { return Ok(Loaded::default()) };
        let events: Vec<RecordedEvent> = pending.iter().filter(|e| e.version > after_version).cloned().collect();
        // The reader holds everything up to what it asked from plus what it gets now.
        pending.clear();
        Ok(Loaded { snapshot: None, events })
    }

    fn read_events(&self, _stream: &StreamId, _after_version: u64, _limit: usize) -> Result<Vec<RecordedEvent>, Error> {
        Ok(Vec::new())
    }

    fn commit(&self, commit: Commit) -> Result<(), Error> {
        let mut inner = self.lock()?;
        for append in &commit.appends {
            let current = inner.streams.get(&append.stream).map_or(0, |(v, _)| *v);
            if current != append.expected_version {
                return Err(Error::storage("conflict in the discarding store"));
            }
        }
        for append in commit.appends {
            let entry = inner.streams.entry(append.stream).or_default();
            entry.0 = append.events.last().map_or(entry.0, |e| e.version);
            entry.1.extend(append.events);
        }
        Ok(())
    }

    fn save_snapshot(&self, _snapshot: Snapshot) -> Result<(), Error> {
        Ok(())
    }

    fn vault_keys(&self, _product: &Code, _first: u64, _count: u32) -> Result<Vec<LicenseKey>, Error> {
        Ok(Vec::new())
    }

    fn free_keys(&self, _product: &Code, _up_to: u64) -> Result<u64, Error> {
        Ok(0)
    }

    fn claimed_keys(&self, _product: &Code, _claim: &partner_benefits::event::KeyClaim) -> Result<Vec<(u64, LicenseKey)>, Error> {
        Ok(Vec::new())
    }

    fn idempotency(&self, _organization: OrganizationId, _key: &str) -> Result<Option<IdempotencyRecord>, Error> {
        Ok(None)
    }

    fn claim_mail(&self, _now: Timestamp, _lease_until: Timestamp, _limit: usize) -> Result<Vec<OutboxEntry>, Error> {
        Ok(Vec::new())
    }

    fn settle_mail(&self, _id: MailId, _delivery: &DeliveryState) -> Result<(), Error> {
        Ok(())
    }

    fn outbox(&self) -> Result<Vec<OutboxEntry>, Error> {
        Ok(Vec::new())
    }

    fn changes(&self, _after: u64, _limit: usize) -> Result<Vec<partner_benefits::Positioned>, Error> {
        Ok(Vec::new())
    }

    fn vault_status(&self) -> Result<partner_benefits::store::VaultStatus, Error> {
        Ok(partner_benefits::store::VaultStatus::default())
    }

    fn reseal_vault(&self, _batch: u32) -> Result<partner_benefits::store::Resealed, Error> {
        Err(partner_benefits::store::no_vault_key())
    }

    fn requeue_mail(
        &self,
        id: partner_benefits::MailId,
        _delivery: &partner_benefits::lifecycle::delivery::DeliveryState,
    ) -> Result<(), Error> {
        Err(Error::NotFound { kind: "mail", id: id.to_string() })
    }
}

/// `AddUser` for user number `seq` (2 and up) of organization `org`.
pub fn add_user(org: OrganizationId, seq: u64) -> Command {
    Command::AddUser {
        name: format!("Employee {seq}"),
        email: format!("employee{seq}@org{}.example", org.number()),
        roles: Vec::new(),
        language: None,
    }
}

/// Commands `range` of the seat-churn stream of one organization over a
/// `seats` benefit: command `i` assigns user `2 + i/2 % users` on even `i`
/// and removes them on odd `i` (1.5 events a command on average: an
/// assignment also queues a mail).
pub fn churn(benefit: partner_benefits::BenefitId, users: u32, range: std::ops::Range<usize>) -> impl Iterator<Item = Command> {
    let org = benefit.organization();
    range.map(move |i| {
        let user = UserId::new(org, 2 + u32::try_from(i / 2).unwrap_or(0) % users.max(1));
        if i % 2 == 0 { Command::AssignUser { benefit, user } } else { Command::UnassignUser { benefit, user } }
    })
}
