//! The store in memory: the reference implementation of [`Store`], and
//! what tests, demos and hosts without persistence use.
//!
//! Every command loads its organization's stream first, so the streams are
//! kept in [`SHARDS`] maps, each under its own lock, by the stream's hash:
//! threads working on distinct organizations take distinct locks and do not
//! queue behind each other's loads, nor behind a commit of another
//! organization. What a commit changes beyond its streams (the feed, the
//! vault, the outbox, idempotency records) is under one lock, taken first
//! by every commit, so commits are atomic and numbered in the feed in the
//! order they happen. Lock order: `shared`, then shards in index order;
//! `snapshots` is never held with another.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::error::Error;
use crate::event::{KeyClaim, RecordedEvent, StreamId};
use crate::ids::{MailId, OrganizationId};
use crate::lifecycle::Timestamp;
use crate::lifecycle::delivery::DeliveryState;
use crate::mail::OutboxEntry;
use crate::secret::LicenseKey;
use crate::store::{
    Claim, ClaimSlots, Commit, IdempotencyRecord, KeyHolder, Loaded, Positioned, Resealed, Snapshot, Store, VaultKey, VaultStatus,
    key_already_stocked, keys_ran_out, no_vault_key, slots_not_free,
};
use crate::values::Code;

/// How many maps the streams are spread over.
const SHARDS: usize = 16;

type Streams = BTreeMap<StreamId, Vec<RecordedEvent>>;

/// Everything but the streams' events and the snapshots.
#[derive(Default)]
struct Shared {
    next_org: u64,
    /// The feed: entry `n` (position `n + 1`) names a stream and version.
    feed: Vec<(StreamId, u64)>,
    vault: BTreeMap<(Code, u64), LicenseKey>,
    /// Each product's free slots.
    free: BTreeMap<Code, BTreeSet<u64>>,
    /// The slots each holder holds, per product.
    held: BTreeMap<(Code, KeyHolder), Vec<u64>>,
    idempotency: BTreeMap<(OrganizationId, String), IdempotencyRecord>,
    outbox: Vec<(OutboxEntry, Option<Timestamp>)>,
}

/// A store in memory: the reference implementation, and what tests use.
pub struct MemoryStore {
    shared: RwLock<Shared>,
    shards: Vec<RwLock<Streams>>,
    snapshots: RwLock<BTreeMap<StreamId, Snapshot>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self { shared: RwLock::default(), shards: (0..SHARDS).map(|_| RwLock::default()).collect(), snapshots: RwLock::default() }
    }
}

fn poisoned<T>(_: T) -> Error {
    Error::storage("the in-memory store was poisoned by a panic")
}

/// The shard holding `stream`.
fn shard_of(stream: &StreamId) -> usize {
    match stream {
        // Consecutive organizations land in distinct shards.
        StreamId::Organization(id) => (id.number() % SHARDS as u64) as usize,
        StreamId::KeyPool(_) => {
            let mut hasher = DefaultHasher::new();
            stream.hash(&mut hasher);
            (hasher.finish() % SHARDS as u64) as usize
        }
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn shared(&self) -> Result<RwLockReadGuard<'_, Shared>, Error> {
        self.shared.read().map_err(poisoned)
    }

    fn shared_mut(&self) -> Result<RwLockWriteGuard<'_, Shared>, Error> {
        self.shared.write().map_err(poisoned)
    }

    fn shard(&self, stream: &StreamId) -> Result<RwLockReadGuard<'_, Streams>, Error> {
        self.shards.get(shard_of(stream)).ok_or_else(|| Error::storage("no shard for a stream"))?.read().map_err(poisoned)
    }
}

/// The events of a stream after `version`, found by binary search (a
/// stream's versions ascend), so loading never scans the whole history.
fn after(events: &[RecordedEvent], version: u64) -> &[RecordedEvent] {
    let start = events.partition_point(|e| e.version <= version);
    events.get(start..).unwrap_or_default()
}

fn version_of(events: Option<&Vec<RecordedEvent>>) -> u64 {
    events.and_then(|e| e.last()).map_or(0, |e| e.version)
}

impl Shared {
    /// The slots each claim of a commit takes, checked before anything is
    /// changed: free slots (or slots `keys` stocks in the same commit), none
    /// taken twice.
    fn claimed_slots(&self, keys: &[VaultKey], claims: &[Claim]) -> Result<Vec<Vec<u64>>, Error> {
        // Slots already claimed in this commit, kept only for a product that
        // a later claim of the commit takes from too: a purchase claims each
        // product once, and keeping every slot it took in a set cost more
        // than finding the slots.
        let mut taken: Vec<(&Code, BTreeSet<u64>)> = Vec::new();
        let stocked_now: BTreeSet<(&Code, u64)> =
            if keys.is_empty() { BTreeSet::new() } else { keys.iter().map(|key| (&key.product, key.slot)).collect() };
        let mut result = Vec::with_capacity(claims.len());
        for (index, claim) in claims.iter().enumerate() {
            let product = &claim.product;
            let free = self.free.get(product);
            let earlier = taken.iter().find(|(p, _)| *p == product).map(|(_, slots)| slots);
            let is_taken = |slot: &u64| earlier.is_some_and(|slots| slots.contains(slot));
            let slots: Vec<u64> = match claim.slots {
                ClaimSlots::Free(count) => {
                    let stocked = keys.iter().filter(|key| &key.product == product).map(|key| key.slot);
                    let candidates = free.into_iter().flatten().copied().chain(stocked);
                    let slots: Vec<u64> = candidates.filter(|slot| !is_taken(slot)).take(count as usize).collect();
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
                        if !is_free || is_taken(&slot) {
                            return Err(slots_not_free(product, slot));
                        }
                        slots.push(slot);
                    }
                    slots
                }
            };
            if claims.get(index + 1..).unwrap_or_default().iter().any(|later| &later.product == product) {
                match taken.iter_mut().find(|(p, _)| *p == product) {
                    Some((_, set)) => set.extend(slots.iter().copied()),
                    None => taken.push((product, slots.iter().copied().collect())),
                }
            }
            result.push(slots);
        }
        Ok(result)
    }

    /// Refuses a key already in the vault (or twice in `keys`), before anything is written.
    fn check_keys(&self, keys: &[VaultKey]) -> Result<(), Error> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut stocked: HashSet<&str> = self.vault.values().map(LicenseKey::reveal).collect();
        for (position, key) in keys.iter().enumerate() {
            if self.vault.contains_key(&(key.product.clone(), key.slot)) {
                return Err(Error::conflict(format!("vault slot {} of `{}` is taken", key.slot, key.product)));
            }
            // Inserted as checked, so a key twice in this commit is found too.
            if !stocked.insert(key.key.reveal()) {
                return Err(key_already_stocked(position));
            }
        }
        Ok(())
    }
}

impl Store for MemoryStore {
    fn allocate_organization_id(&self) -> Result<OrganizationId, Error> {
        let mut shared = self.shared_mut()?;
        shared.next_org += 1;
        Ok(OrganizationId::new(shared.next_org))
    }

    fn organizations(&self) -> Result<Vec<OrganizationId>, Error> {
        let mut all = Vec::new();
        for shard in &self.shards {
            let streams = shard.read().map_err(poisoned)?;
            all.extend(streams.keys().filter_map(|s| if let StreamId::Organization(id) = s { Some(*id) } else { None }));
        }
        all.sort_unstable();
        Ok(all)
    }

    fn load(&self, stream: &StreamId, after_version: u64) -> Result<Loaded, Error> {
        let snapshot = if after_version == 0 { self.snapshots.read().map_err(poisoned)?.get(stream).cloned() } else { None };
        let from = snapshot.as_ref().map_or(after_version, |s| s.version);
        let events = self.shard(stream)?.get(stream).map(|all| after(all, from).to_vec()).unwrap_or_default();
        Ok(Loaded { snapshot, events })
    }

    fn read_events(&self, stream: &StreamId, after_version: u64, limit: usize) -> Result<Vec<RecordedEvent>, Error> {
        let streams = self.shard(stream)?;
        Ok(streams.get(stream).map(|all| after(all, after_version).iter().take(limit).cloned().collect()).unwrap_or_default())
    }

    fn commit(&self, commit: Commit) -> Result<(), Error> {
        for append in &commit.appends {
            for (offset, event) in append.events.iter().enumerate() {
                if event.version != append.expected_version + offset as u64 + 1 || event.stream != append.stream {
                    return Err(Error::storage("events are not numbered from the expected version"));
                }
            }
        }
        let mut shared = self.shared_mut()?;
        let mut touched: Vec<usize> = commit.appends.iter().map(|a| shard_of(&a.stream)).collect();
        touched.sort_unstable();
        touched.dedup();
        let mut shards = Vec::with_capacity(touched.len());
        for index in &touched {
            let shard = self.shards.get(*index).ok_or_else(|| Error::storage("no shard for a stream"))?;
            shards.push((*index, shard.write().map_err(poisoned)?));
        }
        let shard_for = |stream: &StreamId| touched.binary_search(&shard_of(stream)).ok();
        // Check everything before changing anything: all or nothing.
        for append in &commit.appends {
            let streams = shard_for(&append.stream).and_then(|i| shards.get(i)).ok_or_else(|| Error::storage("a shard was not locked"))?;
            let current = version_of(streams.1.get(&append.stream));
            if current != append.expected_version {
                return Err(Error::conflict(format!("`{}` is at version {current}, not {}", append.stream, append.expected_version)));
            }
        }
        if let Some(record) = &commit.idempotency
            && shared.idempotency.contains_key(&(record.organization, record.key.clone()))
        {
            return Err(Error::conflict("the idempotency key was used concurrently"));
        }
        shared.check_keys(&commit.keys)?;
        let claimed = shared.claimed_slots(&commit.keys, &commit.claims)?;
        for append in commit.appends {
            let versions = append.events.iter().map(|e| (append.stream.clone(), e.version));
            shared.feed.extend(versions);
            let streams =
                shard_for(&append.stream).and_then(|i| shards.get_mut(i)).ok_or_else(|| Error::storage("a shard was not locked"))?;
            streams.1.entry(append.stream).or_default().extend(append.events);
        }
        for key in commit.keys {
            shared.free.entry(key.product.clone()).or_default().insert(key.slot);
            shared.vault.insert((key.product, key.slot), key.key);
        }
        for (claim, slots) in commit.claims.iter().zip(claimed) {
            let free = shared.free.entry(claim.product.clone()).or_default();
            for slot in &slots {
                free.remove(slot);
            }
            shared.held.entry((claim.product.clone(), claim.holder)).or_default().extend(slots);
        }
        if let Some(record) = commit.idempotency {
            shared.idempotency.insert((record.organization, record.key.clone()), record);
        }
        for mail in commit.mail {
            shared.outbox.push((OutboxEntry { mail, delivery: DeliveryState::Pending }, None));
        }
        Ok(())
    }

    fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), Error> {
        let mut snapshots = self.snapshots.write().map_err(poisoned)?;
        let newer = snapshots.get(&snapshot.stream).is_none_or(|s| s.version <= snapshot.version);
        if newer {
            snapshots.insert(snapshot.stream.clone(), snapshot);
        }
        Ok(())
    }

    fn vault_keys(&self, product: &Code, first: u64, count: u32) -> Result<Vec<LicenseKey>, Error> {
        let shared = self.shared()?;
        (first..first + u64::from(count))
            .map(|slot| {
                shared
                    .vault
                    .get(&(product.clone(), slot))
                    .cloned()
                    .ok_or_else(|| Error::storage(format!("vault slot {slot} of `{product}` is empty")))
            })
            .collect()
    }

    fn free_keys(&self, product: &Code, up_to: u64) -> Result<u64, Error> {
        Ok(self.shared()?.free.get(product).map_or(0, |free| free.len() as u64).min(up_to))
    }

    fn claimed_keys(&self, product: &Code, claim: &KeyClaim) -> Result<Vec<(u64, LicenseKey)>, Error> {
        let shared = self.shared()?;
        let Some(slots) = shared.held.get(&(product.clone(), KeyHolder::Benefit(*claim))) else { return Ok(Vec::new()) };
        let mut slots = slots.clone();
        slots.sort_unstable();
        slots
            .into_iter()
            .map(|slot| {
                let key = shared.vault.get(&(product.clone(), slot)).cloned();
                key.map(|key| (slot, key)).ok_or_else(|| Error::storage(format!("vault slot {slot} of `{product}` is empty")))
            })
            .collect()
    }

    fn idempotency(&self, organization: OrganizationId, key: &str) -> Result<Option<IdempotencyRecord>, Error> {
        Ok(self.shared()?.idempotency.get(&(organization, key.to_string())).cloned())
    }

    fn claim_mail(&self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<OutboxEntry>, Error> {
        let mut shared = self.shared_mut()?;
        let mut claimed = Vec::new();
        for (entry, lease) in shared.outbox.iter_mut() {
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
        let mut shared = self.shared_mut()?;
        let (entry, lease) = shared.outbox.iter_mut().find(|(e, _)| e.mail.id == id).ok_or_else(|| Error::not_found("mail", id))?;
        if !entry.delivery.is_due() {
            return Err(Error::conflict(format!("mail `{id}` was already sent")));
        }
        entry.delivery = delivery.clone();
        *lease = delivery.retry_at();
        Ok(())
    }

    fn requeue_mail(&self, id: MailId, delivery: &DeliveryState) -> Result<(), Error> {
        let mut shared = self.shared_mut()?;
        let (entry, lease) = shared.outbox.iter_mut().find(|(e, _)| e.mail.id == id).ok_or_else(|| Error::not_found("mail", id))?;
        if !matches!(entry.delivery, DeliveryState::Parked { .. }) {
            return Err(Error::conflict(format!("mail `{id}` is not parked")));
        }
        entry.delivery = delivery.clone();
        *lease = None;
        Ok(())
    }

    fn outbox(&self) -> Result<Vec<OutboxEntry>, Error> {
        Ok(self.shared()?.outbox.iter().map(|(e, _)| e.clone()).collect())
    }

    fn changes(&self, after: u64, limit: usize) -> Result<Vec<Positioned>, Error> {
        // Under the shared lock no commit runs, so every stream the feed names
        // holds the event named.
        let shared = self.shared()?;
        let start = usize::try_from(after).unwrap_or(usize::MAX);
        shared
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
                    .map(|index| self.shard(stream).map(|streams| streams.get(stream).and_then(|all| all.get(index)).cloned()))
                    .transpose()?
                    .flatten()
                    .ok_or_else(|| Error::storage(format!("the feed names `{stream}` version {version}, which is not stored")))?;
                Ok(Positioned { position, event })
            })
            .collect()
    }

    /// Memory keeps nothing at rest: its keys count as in clear.
    fn vault_status(&self) -> Result<VaultStatus, Error> {
        Ok(VaultStatus { clear: self.shared()?.vault.len() as u64, ..VaultStatus::default() })
    }

    fn reseal_vault(&self, _batch: u32) -> Result<Resealed, Error> {
        Err(no_vault_key())
    }
}
