//! The storage port and the in-memory store. A store keeps append-only
//! event streams with optimistic concurrency, the key vault, snapshots,
//! idempotency records and the mail outbox. One [`Commit`] is atomic.

use std::collections::BTreeMap;

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

pub use crate::memory_store::MemoryStore;
