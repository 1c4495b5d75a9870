//! The storage port and the in-memory store. A store keeps append-only
//! event streams with optimistic concurrency, the key vault, snapshots,
//! idempotency records and the mail outbox. One [`Commit`] is atomic.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use crate::claims::{Claim, ClaimSlots, KeyHolder, keys_ran_out, range_not_free, slots_not_free};
use crate::error::Error;
use crate::event::{KeyClaim, RecordedEvent, StreamId};
use crate::ids::{MailId, OrganizationId};
use crate::lifecycle::Timestamp;
use crate::lifecycle::delivery::DeliveryState;
use crate::mail::{Mail, OutboxEntry};
use crate::secret::LicenseKey;
use crate::values::Code;

/// Events appended to one stream, expecting it to be at `expected_version`.
#[derive(Debug, Clone)]
pub struct Append {
    /// The stream.
    pub stream: StreamId,
    /// The version the writer saw; anything else is a `conflict`.
    pub expected_version: u64,
    /// New events, numbered from `expected_version + 1`.
    pub events: Vec<RecordedEvent>,
}

/// A key put into a product's vault at a slot.
#[derive(Debug, Clone)]
pub struct VaultKey {
    /// The product (pool).
    pub product: Code,
    /// Its slot.
    pub slot: u64,
    /// The key.
    pub key: LicenseKey,
}

/// The refusal every store gives when the key at `position` (0-based) of a
/// commit's `keys` is already in the vault. It names the position, never the key (B3).
pub fn key_already_stocked(position: usize) -> Error {
    Error::InvalidInput {
        field: "keys".into(),
        reason: format!("key {} given is already in a key pool (or given twice); a license key is stocked and issued once", position + 1),
    }
}

/// How a store's key vault keeps its entries (see [`crate::sealing`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VaultStatus {
    /// Entries kept in clear: stocked without a vault key (every entry of a
    /// 0.1.0 file until it is sealed).
    pub clear: u64,
    /// Sealed entries per vault key id, ids in ascending order.
    pub sealed: BTreeMap<String, u64>,
    /// The id of the key this store seals new entries under, if it was given one.
    pub sealing_key: Option<String>,
}

impl VaultStatus {
    /// Entries [`Store::reseal_vault`] would still seal: those in clear and
    /// those under a key other than the current one.
    pub fn to_reseal(&self) -> u64 {
        let current = self.sealing_key.as_deref();
        self.clear + self.sealed.iter().filter(|(id, _)| Some(id.as_str()) != current).map(|(_, n)| n).sum::<u64>()
    }
}

/// What one [`Store::reseal_vault`] call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Entries sealed under the current key by this call.
    pub resealed: u64,
    /// Entries still in clear or under another key: call again until 0.
    pub remaining: u64,
}

/// The refusal of a reseal by a store given no vault key to seal under.
pub fn no_vault_key() -> Error {
    Error::PreconditionFailed { reason: "no vault key was given to this store: open it with a vault key to seal its key vault".into() }
}

/// A serialized state of a stream at a version, to open without full replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The stream.
    pub stream: StreamId,
    /// The version of the last event folded in.
    pub version: u64,
    /// The state as JSON.
    pub state: String,
}

/// A command applied under an idempotency key (B4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// The organization.
    pub organization: OrganizationId,
    /// The caller's key.
    pub key: String,
    /// The command as JSON, to tell a repeat from a different request.
    pub request: String,
    /// The outcome as JSON, returned to repeats.
    pub outcome: String,
}

/// Everything one command (or batch) writes; all of it or nothing.
#[derive(Debug, Clone, Default)]
pub struct Commit {
    /// Stream appends.
    pub appends: Vec<Append>,
    /// Mail to queue (B6).
    pub mail: Vec<Mail>,
    /// Keys to put in the vault. A key already in the vault, under any
    /// product, or given twice here, refuses the whole commit with
    /// [`key_already_stocked`]: a key is issued once (B7).
    pub keys: Vec<VaultKey>,
    /// Vault entries to mark as handed out, after `keys` are stocked: a
    /// purchase's keys (ADR 9). Too few free keys refuses the whole commit
    /// with [`keys_ran_out`]; a store whose writers run concurrently answers
    /// `conflict` instead while other commits hold locks on free entries
    /// (they may yet roll back). The center decides again on either.
    pub claims: Vec<Claim>,
    /// Idempotency record to keep; a second record with the same key is a `conflict`.
    pub idempotency: Option<IdempotencyRecord>,
}

/// What [`Store::load`] returns.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The newest snapshot, when loading from scratch and one exists.
    pub snapshot: Option<Snapshot>,
    /// Events after the snapshot (or after the given version).
    pub events: Vec<RecordedEvent>,
}

/// A committed event with its place in the changes feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Positioned {
    /// Where it is in the feed of every stream: strictly increasing in commit order.
    pub position: u64,
    /// The event.
    pub event: RecordedEvent,
}

/// Storage for the center. Implementations: in memory (here), SQLite and
/// PostgreSQL (adapter crates). All pass the same conformance suite.
pub trait Store: Send + Sync {
    /// A new, never used organization number.
    fn allocate_organization_id(&self) -> Result<OrganizationId, Error>;
    /// Every organization that has events.
    fn organizations(&self) -> Result<Vec<OrganizationId>, Error>;
    /// Events of `stream` after `after_version`; when `after_version` is 0
    /// the store may start from its newest snapshot instead.
    fn load(&self, stream: &StreamId, after_version: u64) -> Result<Loaded, Error>;
    /// Up to `limit` events of `stream` after `after_version`, never from a snapshot.
    fn read_events(&self, stream: &StreamId, after_version: u64, limit: usize) -> Result<Vec<RecordedEvent>, Error>;
    /// Writes `commit` atomically; `conflict` if any stream moved.
    fn commit(&self, commit: Commit) -> Result<(), Error>;
    /// Keeps a snapshot unless one of a later version is kept (one of the same
    /// version replaces it: it may be one this release could not read). A
    /// cache only, so a failure loses nothing.
    fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), Error>;
    /// The keys in `count` slots from `first` of `product`'s vault.
    fn vault_keys(&self, product: &Code, first: u64, count: u32) -> Result<Vec<LicenseKey>, Error>;
    /// How many entries of `product`'s vault are free (stocked, held by no
    /// one), counted up to `up_to`: a purchase needs to know only whether
    /// enough are left, so the count stops there.
    fn free_keys(&self, product: &Code, up_to: u64) -> Result<u64, Error>;
    /// The entries of `product`'s vault marked with `claim`, with their
    /// slots, in slot order.
    fn claimed_keys(&self, product: &Code, claim: &KeyClaim) -> Result<Vec<(u64, LicenseKey)>, Error>;
    /// The record kept for an idempotency key.
    fn idempotency(&self, organization: OrganizationId, key: &str) -> Result<Option<IdempotencyRecord>, Error>;
    /// Claims up to `limit` due mails not claimed by anyone else until `lease_until`.
    fn claim_mail(&self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<OutboxEntry>, Error>;
    /// Records a delivery attempt and releases the claim; `Sent` and
    /// `Parked` are final (not claimed again). A failed mail is not claimed
    /// before its [`DeliveryState::retry_at`].
    fn settle_mail(&self, id: MailId, delivery: &DeliveryState) -> Result<(), Error>;
    /// Makes a parked mail due again with `delivery` (pending); `conflict`
    /// when it is not parked (any more), `not_found` when there is no such mail.
    fn requeue_mail(&self, id: MailId, delivery: &DeliveryState) -> Result<(), Error>;
    /// Every mail of the outbox, oldest first.
    fn outbox(&self) -> Result<Vec<OutboxEntry>, Error>;
    /// Up to `limit` committed events of every stream with a position after
    /// `after`, in position order. Positions strictly increase in commit
    /// order and a stream's events come in version order; a position, once
    /// returned, has every lower position already readable, so a reader
    /// paging with the last position it saw never misses nor repeats an
    /// event, whoever commits meanwhile.
    fn changes(&self, after: u64, limit: usize) -> Result<Vec<Positioned>, Error>;
    /// How the vault keeps its entries: in clear, or sealed under which keys.
    fn vault_status(&self) -> Result<VaultStatus, Error>;
    /// Seals up to `batch` entries that are in clear or under a key other
    /// than the current one, in one transaction, and says how many remain:
    /// a rotation is resumable, a call at a time, and readers see every key
    /// throughout. [`no_vault_key`] when the store was given no vault key;
    /// a store that keeps nothing at rest (memory) has nothing to seal.
    fn reseal_vault(&self, batch: u32) -> Result<Resealed, Error>;
}

#[derive(Default)]
struct Memory {
    next_org: u64,
    streams: BTreeMap<StreamId, Vec<RecordedEvent>>,
    /// The feed: entry `n` (position `n + 1`) names a stream and version.
    feed: Vec<(StreamId, u64)>,
    snapshots: BTreeMap<StreamId, Snapshot>,
    vault: BTreeMap<(Code, u64), LicenseKey>,
    /// Each product's free slots.
    free: BTreeMap<Code, BTreeSet<u64>>,
    /// The slots each holder holds, per product.
    held: BTreeMap<(Code, KeyHolder), Vec<u64>>,
    idempotency: BTreeMap<(OrganizationId, String), IdempotencyRecord>,
    outbox: Vec<(OutboxEntry, Option<Timestamp>)>,
}

/// A store in memory: the reference implementation, and what tests use.
#[derive(Default)]
pub struct MemoryStore {
    // Readers of distinct streams share it; only commits and the outbox's
    // changes take it alone.
    inner: RwLock<Memory>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> Result<RwLockReadGuard<'_, Memory>, Error> {
        self.inner.read().map_err(|_| Error::storage("the in-memory store was poisoned by a panic"))
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, Memory>, Error> {
        self.inner.write().map_err(|_| Error::storage("the in-memory store was poisoned by a panic"))
    }
}

/// The events of a stream after `version`, found by binary search (a
/// stream's versions ascend), so loading never scans the whole history.
fn after(events: &[RecordedEvent], version: u64) -> &[RecordedEvent] {
    let start = events.partition_point(|e| e.version <= version);
    events.get(start..).unwrap_or_default()
}

impl Memory {
    /// The slots each claim of a commit takes, checked before anything is
    /// changed: free slots (or slots `keys` stocks in the same commit), none
    /// taken twice.
    fn claimed_slots(&self, keys: &[VaultKey], claims: &[Claim]) -> Result<Vec<Vec<u64>>, Error> {
        let mut taken: HashSet<(&Code, u64)> = HashSet::new();
        let stocked_now: HashSet<(&Code, u64)> = keys.iter().map(|key| (&key.product, key.slot)).collect();
        let mut result = Vec::with_capacity(claims.len());
        for claim in claims {
            let product = &claim.product;
            let free = self.free.get(product);
            let slots: Vec<u64> = match claim.slots {
                ClaimSlots::Free(count) => {
                    let stocked = keys.iter().filter(|key| &key.product == product).map(|key| key.slot);
                    let candidates = free.into_iter().flatten().copied().chain(stocked);
                    let slots: Vec<u64> = candidates.filter(|slot| !taken.contains(&(product, *slot))).take(count as usize).collect();
                    if slots.len() < count as usize {
                        return Err(keys_ran_out(product, slots.len() as u64, count));
                    }
                    slots
                }
                ClaimSlots::Range { first, count } => {
                    // Slot by slot, stopping at the first that is not free: a
                    // range is never longer than the slots there are to check.
                    let end = first.checked_add(u64::from(count)).ok_or_else(|| slots_not_free(product, first))?;
                    let mut slots = Vec::new();
                    for slot in first..end {
                        let is_free = free.is_some_and(|f| f.contains(&slot)) || stocked_now.contains(&(product, slot));
                        if !is_free || taken.contains(&(product, slot)) {
                            return Err(slots_not_free(product, slot));
                        }
                        slots.push(slot);
                    }
                    slots
                }
            };
            taken.extend(slots.iter().map(|slot| (product, *slot)));
            result.push(slots);
        }
        Ok(result)
    }
}

fn version_of(events: Option<&Vec<RecordedEvent>>) -> u64 {
    events.and_then(|e| e.last()).map_or(0, |e| e.version)
}

impl Store for MemoryStore {
    fn allocate_organization_id(&self) -> Result<OrganizationId, Error> {
        let mut memory = self.write()?;
        memory.next_org += 1;
        Ok(OrganizationId::new(memory.next_org))
    }

    fn organizations(&self) -> Result<Vec<OrganizationId>, Error> {
        let memory = self.read()?;
        Ok(memory.streams.keys().filter_map(|s| if let StreamId::Organization(id) = s { Some(*id) } else { None }).collect())
    }

    fn load(&self, stream: &StreamId, after_version: u64) -> Result<Loaded, Error> {
        let memory = self.read()?;
        let snapshot = if after_version == 0 { memory.snapshots.get(stream).cloned() } else { None };
        let from = snapshot.as_ref().map_or(after_version, |s| s.version);
        let events = memory.streams.get(stream).map(|all| after(all, from).to_vec()).unwrap_or_default();
        Ok(Loaded { snapshot, events })
    }

    fn read_events(&self, stream: &StreamId, after_version: u64, limit: usize) -> Result<Vec<RecordedEvent>, Error> {
        let memory = self.read()?;
        Ok(memory.streams.get(stream).map(|all| after(all, after_version).iter().take(limit).cloned().collect()).unwrap_or_default())
    }

    fn commit(&self, commit: Commit) -> Result<(), Error> {
        let mut memory = self.write()?;
        // Check everything before changing anything: all or nothing.
        for append in &commit.appends {
            let current = version_of(memory.streams.get(&append.stream));
            if current != append.expected_version {
                return Err(Error::conflict(format!("`{}` is at version {current}, not {}", append.stream, append.expected_version)));
            }
            for (offset, event) in append.events.iter().enumerate() {
                if event.version != append.expected_version + offset as u64 + 1 || event.stream != append.stream {
                    return Err(Error::storage("events are not numbered from the expected version"));
                }
            }
        }
        if let Some(record) = &commit.idempotency
            && memory.idempotency.contains_key(&(record.organization, record.key.clone()))
        {
            return Err(Error::conflict("the idempotency key was used concurrently"));
        }
        if !commit.keys.is_empty() {
            let mut stocked: HashSet<&str> = memory.vault.values().map(LicenseKey::reveal).collect();
            for (position, key) in commit.keys.iter().enumerate() {
                if memory.vault.contains_key(&(key.product.clone(), key.slot)) {
                    return Err(Error::conflict(format!("vault slot {} of `{}` is taken", key.slot, key.product)));
                }
                // Inserted as checked, so a key twice in this commit is found too.
                if !stocked.insert(key.key.reveal()) {
                    return Err(key_already_stocked(position));
                }
            }
        }
        let claimed = memory.claimed_slots(&commit.keys, &commit.claims)?;
        for append in commit.appends {
            let versions = append.events.iter().map(|e| (append.stream.clone(), e.version)).collect::<Vec<_>>();
            memory.feed.extend(versions);
            memory.streams.entry(append.stream).or_default().extend(append.events);
        }
        for key in commit.keys {
            memory.free.entry(key.product.clone()).or_default().insert(key.slot);
            memory.vault.insert((key.product, key.slot), key.key);
        }
        for (claim, slots) in commit.claims.iter().zip(claimed) {
            let free = memory.free.entry(claim.product.clone()).or_default();
            for slot in &slots {
                free.remove(slot);
            }
            memory.held.entry((claim.product.clone(), claim.holder)).or_default().extend(slots);
        }
        if let Some(record) = commit.idempotency {
            memory.idempotency.insert((record.organization, record.key.clone()), record);
        }
        for mail in commit.mail {
            memory.outbox.push((OutboxEntry { mail, delivery: DeliveryState::Pending }, None));
        }
        Ok(())
    }

    fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), Error> {
        let mut memory = self.write()?;
        let newer = memory.snapshots.get(&snapshot.stream).is_none_or(|s| s.version <= snapshot.version);
        if newer {
            memory.snapshots.insert(snapshot.stream.clone(), snapshot);
        }
        Ok(())
    }

    fn vault_keys(&self, product: &Code, first: u64, count: u32) -> Result<Vec<LicenseKey>, Error> {
        let memory = self.read()?;
        (first..first + u64::from(count))
            .map(|slot| {
                memory
                    .vault
                    .get(&(product.clone(), slot))
                    .cloned()
                    .ok_or_else(|| Error::storage(format!("vault slot {slot} of `{product}` is empty")))
            })
            .collect()
    }

    fn free_keys(&self, product: &Code, up_to: u64) -> Result<u64, Error> {
        Ok(self.read()?.free.get(product).map_or(0, |free| free.len() as u64).min(up_to))
    }

    fn claimed_keys(&self, product: &Code, claim: &KeyClaim) -> Result<Vec<(u64, LicenseKey)>, Error> {
        let memory = self.read()?;
        let Some(slots) = memory.held.get(&(product.clone(), KeyHolder::Benefit(*claim))) else { return Ok(Vec::new()) };
        let mut slots = slots.clone();
        slots.sort_unstable();
        slots
            .into_iter()
            .map(|slot| {
                let key = memory.vault.get(&(product.clone(), slot)).cloned();
                key.map(|key| (slot, key)).ok_or_else(|| Error::storage(format!("vault slot {slot} of `{product}` is empty")))
            })
            .collect()
    }

    fn idempotency(&self, organization: OrganizationId, key: &str) -> Result<Option<IdempotencyRecord>, Error> {
        Ok(self.read()?.idempotency.get(&(organization, key.to_string())).cloned())
    }

    fn claim_mail(&self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<OutboxEntry>, Error> {
        let mut memory = self.write()?;
        let mut claimed = Vec::new();
        for (entry, lease) in memory.outbox.iter_mut() {
            if claimed.len() >= limit {
                break;
            }
            if entry.delivery.is_due() && lease.is_none_or(|until| until <= now) {
                *lease = Some(lease_until);
                claimed.push(entry.clone());
            }
        }
        Ok(claimed)
    }

    fn settle_mail(&self, id: MailId, delivery: &DeliveryState) -> Result<(), Error> {
        let mut memory = self.write()?;
        let (entry, lease) = memory.outbox.iter_mut().find(|(e, _)| e.mail.id == id).ok_or_else(|| Error::not_found("mail", id))?;
        if !entry.delivery.is_due() {
            return Err(Error::conflict(format!("mail `{id}` was already sent")));
        }
        entry.delivery = delivery.clone();
        *lease = delivery.retry_at();
        Ok(())
    }

    fn requeue_mail(&self, id: MailId, delivery: &DeliveryState) -> Result<(), Error> {
        let mut memory = self.write()?;
        let (entry, lease) = memory.outbox.iter_mut().find(|(e, _)| e.mail.id == id).ok_or_else(|| Error::not_found("mail", id))?;
        if !matches!(entry.delivery, DeliveryState::Parked { .. }) {
            return Err(Error::conflict(format!("mail `{id}` is not parked")));
        }
        entry.delivery = delivery.clone();
        *lease = None;
        Ok(())
    }

    fn outbox(&self) -> Result<Vec<OutboxEntry>, Error> {
        Ok(self.read()?.outbox.iter().map(|(e, _)| e.clone()).collect())
    }

    fn changes(&self, after: u64, limit: usize) -> Result<Vec<Positioned>, Error> {
        let memory = self.read()?;
        let start = usize::try_from(after).unwrap_or(usize::MAX);
        memory
            .feed
            .iter()
            .enumerate()
            .skip(start)
            .take(limit)
            .map(|(index, (stream, version))| {
                let position = index as u64 + 1;
                // Versions are numbered from 1 without gaps, so version `v` is at index `v - 1`.
                let event = version
                    .checked_sub(1)
                    .and_then(|index| usize::try_from(index).ok())
                    .and_then(|index| memory.streams.get(stream)?.get(index))
                    .ok_or_else(|| Error::storage(format!("the feed names `{stream}` version {version}, which is not stored")))?;
                Ok(Positioned { position, event: event.clone() })
            })
            .collect()
    }

    /// Memory keeps nothing at rest: its keys count as in clear.
    fn vault_status(&self) -> Result<VaultStatus, Error> {
        Ok(VaultStatus { clear: self.read()?.vault.len() as u64, ..VaultStatus::default() })
    }

    fn reseal_vault(&self, _batch: u32) -> Result<Resealed, Error> {
        Err(no_vault_key())
    }
}
