//! Moving a whole store to another: every stream's events, snapshot-free,
//! the mail still to send, and the key vault only when asked for. Export
//! from SQLite and import into PostgreSQL is how a host outgrows one
//! machine. The records are plain serde values; the caller writes them
//! (one JSON object per line, for the command line) and reads them back.
//!
//! Keys leave the store only when asked for ([`ExportKeys`]): an export
//! without them carries the pools' history but not their keys, and a store
//! imported from it cannot hand out or reveal the keys stocked before. Keys
//! exported [`ExportKeys::Sealed`] travel as the vault seals them (ADR 8):
//! the file holds none in clear, and only a keyring with that vault key
//! imports them.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;
use crate::event::{Event, KeyClaim, KeySlots, RecordedEvent, StreamId};
use crate::mail::Mail;
use crate::sealing::Keyring;
use crate::secret::LicenseKey;
use crate::store::{Append, Claim, ClaimSlots, Commit, KeyHolder, Store, VaultKey, no_vault_key};
use crate::values::Code;

/// The layout of the records this release writes. 2: keys name the claim
/// that holds them (ADR 9); format 1 (0.1.0's, without claims) still reads.
pub const TRANSFER_FORMAT: u32 = 2;

/// The oldest layout this release reads.
const OLDEST_FORMAT: u32 = 1;

/// How many changes export reads at a time.
const PAGE: usize = 10_000;

/// One record of an export, in the order written: the header, the events in
/// commit order, the keys (if included), the mail still due, the end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record {
    /// First: what wrote it.
    Header {
        /// [`TRANSFER_FORMAT`] of the writer.
        format: u32,
        /// The partner-benefits version that wrote it.
        library: String,
    },
    /// A committed event.
    Event(RecordedEvent),
    /// A key of a pool's vault, at its slot (only with `include_keys`).
    Key {
        /// The product (pool).
        product: Code,
        /// Its slot.
        slot: u64,
        /// The key; shown in clear only in the exported text.
        #[serde(serialize_with = "key_out", deserialize_with = "key_in")]
        key: LicenseKey,
        /// The benefit it was claimed for, if it is handed out (ADR 9); keys
        /// handed out by slot range are told by the pools' events instead.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        claim: Option<KeyClaim>,
    },
    /// A key of a pool's vault, sealed under a vault key (ADR 8): only a
    /// keyring holding that key opens it on import.
    SealedKey {
        /// The product (pool).
        product: Code,
        /// Its slot (bound into the seal: the entry opens only here).
        slot: u64,
        /// The id of the vault key that sealed it.
        key_id: String,
        /// The sealed entry, in hexadecimal.
        sealed: String,
        /// The benefit it was claimed for, as in [`Record::Key`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        claim: Option<KeyClaim>,
    },
    /// A mail not yet sent; queued again as pending on import.
    Mail(Mail),
    /// Last: the counts, so a truncated file is refused.
    End {
        /// Events written.
        events: u64,
        /// Keys written.
        keys: u64,
        /// Mails written.
        mails: u64,
    },
}

fn key_out<S: Serializer>(key: &LicenseKey, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(key.reveal())
}

fn key_in<'de, D: Deserializer<'de>>(deserializer: D) -> Result<LicenseKey, D::Error> {
    let text = String::deserialize(deserializer)?;
    LicenseKey::new(text).map_err(|_| serde::de::Error::custom("a key record holds no valid license key"))
}

/// Which keys an export carries, and how.
#[derive(Debug, Clone, Copy)]
pub enum ExportKeys<'k> {
    /// None: the pools' history only.
    Omit,
    /// In clear: for a store that keeps them in clear itself.
    Clear,
    /// Sealed under the keyring's current vault key (`precondition_failed`
    /// without one); import needs a keyring holding that key.
    Sealed(&'k Keyring),
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| text.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok())).collect()
}

/// What an export or import moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransferCounts {
    /// Events.
    pub events: u64,
    /// Keys of the vault.
    pub keys: u64,
    /// Mails still to send.
    pub mails: u64,
}

/// What export has written so far.
struct Exported<'s> {
    sink: &'s mut dyn FnMut(Record) -> Result<(), Error>,
    counts: TransferCounts,
    /// Where each pool's keys are: (product, first slot, count).
    stocked: Vec<(Code, u64, u32)>,
    /// The claims purchases made, per product.
    claims: Vec<(Code, KeyClaim)>,
    /// The last version written of each stream.
    written: BTreeMap<StreamId, u64>,
}

impl Exported<'_> {
    fn event(&mut self, event: RecordedEvent) -> Result<(), Error> {
        if let (StreamId::KeyPool(product), Event::KeysStocked { first, count }) = (&event.stream, &event.event) {
            self.stocked.push((product.clone(), *first, *count));
        }
        if let Event::PackagePurchased { keys, .. } = &event.event {
            for allocation in keys {
                if let KeySlots::Claimed { product, claim, .. } = &allocation.slots {
                    self.claims.push((product.clone(), *claim));
                }
            }
        }
        self.written.insert(event.stream.clone(), event.version);
        self.counts.events += 1;
        (self.sink)(Record::Event(event))
    }
}

/// Writes every record of `store` to `sink`, in order. `progress` is told
/// the events written so far after each page of the feed.
pub fn export(
    store: &dyn Store,
    keys: ExportKeys<'_>,
    sink: &mut dyn FnMut(Record) -> Result<(), Error>,
    progress: &mut dyn FnMut(u64),
) -> Result<TransferCounts, Error> {
    if let ExportKeys::Sealed(ring) = keys
        && !ring.seals()
    {
        return Err(no_vault_key());
    }
    sink(Record::Header { format: TRANSFER_FORMAT, library: env!("CARGO_PKG_VERSION").to_string() })?;
    let mut out = Exported { sink, counts: TransferCounts::default(), stocked: Vec::new(), claims: Vec::new(), written: BTreeMap::new() };
    let mut after = 0;
    loop {
        let page = store.changes(after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.position;
        for positioned in page {
            out.event(positioned.event)?;
        }
        progress(out.counts.events);
    }
    // The feed may not show yet what the newest transactions committed (on
    // PostgreSQL it waits for older transactions still open): each stream's
    // tail is read from the stream itself.
    let mut streams: Vec<StreamId> = store.organizations()?.into_iter().map(StreamId::Organization).collect();
    streams.extend(out.written.keys().filter(|s| matches!(s, StreamId::KeyPool(_))).cloned());
    for stream in streams {
        let from = out.written.get(&stream).copied().unwrap_or(0);
        for event in store.read_events(&stream, from, usize::MAX)? {
            out.event(event)?;
        }
    }
    progress(out.counts.events);
    if !matches!(keys, ExportKeys::Omit) {
        let mut claimed: BTreeMap<(Code, u64), KeyClaim> = BTreeMap::new();
        for (product, claim) in std::mem::take(&mut out.claims) {
            for (slot, _) in store.claimed_keys(&product, &claim)? {
                claimed.insert((product.clone(), slot), claim);
            }
        }
        for (product, first, count) in std::mem::take(&mut out.stocked) {
            for (key, slot) in store.vault_keys(&product, first, count)?.into_iter().zip(first..) {
                let claim = claimed.get(&(product.clone(), slot)).copied();
                let record = match keys {
                    ExportKeys::Sealed(ring) => {
                        let entry = ring.seal(product.as_str(), slot, &key)?.ok_or_else(no_vault_key)?;
                        Record::SealedKey { product: product.clone(), slot, key_id: entry.key_id, sealed: hex(&entry.sealed), claim }
                    }
                    _ => Record::Key { product: product.clone(), slot, key, claim },
                };
                (out.sink)(record)?;
                out.counts.keys += 1;
            }
        }
    }
    for entry in store.outbox()?.into_iter().filter(|entry| entry.delivery.is_due()) {
        (out.sink)(Record::Mail(entry.mail))?;
        out.counts.mails += 1;
    }
    let counts = out.counts;
    (out.sink)(Record::End { events: counts.events, keys: counts.keys, mails: counts.mails })?;
    Ok(counts)
}

/// Refuses a key at a slot no stocking event of the file made.
fn stocked_at(slots: &BTreeMap<Code, Vec<(u64, u32)>>, product: &Code, slot: u64) -> Result<(), Error> {
    let stocked =
        slots.get(product).is_some_and(|ranges| ranges.iter().any(|(first, count)| (*first..first + u64::from(*count)).contains(&slot)));
    if stocked { Ok(()) } else { Err(refused(format!("a key at slot {slot} of `{product}`, which the pool never stocked"))) }
}

/// The slot after the last one `product`'s pool stocked so far.
fn stocked_end(slots: &BTreeMap<Code, Vec<(u64, u32)>>, product: &Code) -> u64 {
    slots.get(product).into_iter().flatten().map(|(first, count)| first.saturating_add(u64::from(*count))).max().unwrap_or(0)
}

/// Restores who holds the key at `slot`: a claim of a purchase the file
/// recorded (else the records contradict each other), counted against it,
/// and joined to the previous key's range claim when it follows it.
fn held_by(
    claimed: &mut BTreeMap<(Code, KeyClaim), (u32, u32)>,
    claims: &mut Vec<Claim>,
    product: &Code,
    slot: u64,
    claim: Option<KeyClaim>,
) -> Result<(), Error> {
    let Some(claim) = claim else { return Ok(()) };
    let counted = claimed
        .get_mut(&(product.clone(), claim))
        .ok_or_else(|| refused(format!("the key at slot {slot} of `{product}` names {claim}, which no purchase recorded")))?;
    counted.1 = counted.1.saturating_add(1);
    let holder = KeyHolder::Benefit(claim);
    if let Some(Claim { product: last, holder: by, slots: ClaimSlots::Range { first, count } }) = claims.last_mut()
        && last == product
        && *by == holder
        && first.checked_add(u64::from(*count)) == Some(slot)
    {
        *count += 1;
        return Ok(());
    }
    claims.push(Claim { product: product.clone(), holder, slots: ClaimSlots::Range { first: slot, count: 1 } });
    Ok(())
}

fn refused(reason: impl Into<String>) -> Error {
    Error::InvalidInput { field: "records".into(), reason: reason.into() }
}

/// Writes `records` (an export) into `store`, which must be empty, in one
/// commit: all of it or, on any error, nothing (the organization numbers
/// are moved past the imported ones first; a failure after that only skips
/// numbers). The records are checked before anything is written: a header
/// of a known format first, each stream's events numbered from 1 without a
/// gap, keys only at slots the pools stocked, and an end whose counts match.
/// Sealed keys are opened with `keyring` (the vault key they were exported
/// under, as current or previous key); the target seals them anew under its own.
pub fn import(store: &dyn Store, records: Vec<Record>, keyring: &Keyring) -> Result<TransferCounts, Error> {
    let mut records = records.into_iter();
    match records.next() {
        Some(Record::Header { format, .. }) if (OLDEST_FORMAT..=TRANSFER_FORMAT).contains(&format) => {}
        Some(Record::Header { format, .. }) => {
            return Err(refused(format!("format {format}; this release reads formats {OLDEST_FORMAT} to {TRANSFER_FORMAT}")));
        }
        _ => return Err(refused("it does not start with a header record: not an export")),
    }
    let mut streams: BTreeMap<StreamId, Vec<RecordedEvent>> = BTreeMap::new();
    let mut order: Vec<StreamId> = Vec::new();
    let mut slots: BTreeMap<Code, Vec<(u64, u32)>> = BTreeMap::new();
    let mut keys: Vec<VaultKey> = Vec::new();
    let mut claims: Vec<Claim> = Vec::new();
    // Keys handed out by slot range, as the pools' events tell (before 0.2).
    let mut ranges: Vec<Claim> = Vec::new();
    // How many keys each purchase's claim holds, as its event says, and as the key records say.
    let mut claimed: BTreeMap<(Code, KeyClaim), (u32, u32)> = BTreeMap::new();
    let mut mail: Vec<Mail> = Vec::new();
    let mut end = None;
    for record in records.by_ref() {
        match record {
            Record::Event(event) => {
                let events = streams.entry(event.stream.clone()).or_default();
                if event.version != events.len() as u64 + 1 {
                    return Err(refused(format!("`{}` jumps to version {} after {}", event.stream, event.version, events.len())));
                }
                if events.is_empty() {
                    order.push(event.stream.clone());
                }
                match (&event.stream, &event.event) {
                    (StreamId::KeyPool(product), Event::KeysStocked { first, count }) => {
                        slots.entry(product.clone()).or_default().push((*first, *count));
                    }
                    (StreamId::KeyPool(product), Event::KeysAllocated { first, count, package }) => {
                        let end = first.checked_add(u64::from(*count));
                        if end.is_none_or(|end| end > stocked_end(&slots, product)) {
                            return Err(refused(format!("`{product}` hands out slots from {first} it never stocked")));
                        }
                        ranges.push(Claim {
                            product: product.clone(),
                            holder: KeyHolder::Package(*package),
                            slots: ClaimSlots::Range { first: *first, count: *count },
                        });
                    }
                    (_, Event::PackagePurchased { keys, .. }) => {
                        for allocation in keys {
                            if let KeySlots::Claimed { product, claim, count } = &allocation.slots {
                                claimed.entry((product.clone(), *claim)).or_default().0 = *count;
                            }
                        }
                    }
                    _ => {}
                }
                events.push(event);
            }
            Record::Key { product, slot, key, claim } => {
                stocked_at(&slots, &product, slot)?;
                held_by(&mut claimed, &mut claims, &product, slot, claim)?;
                keys.push(VaultKey { product, slot, key });
            }
            Record::SealedKey { product, slot, key_id, sealed, claim } => {
                stocked_at(&slots, &product, slot)?;
                held_by(&mut claimed, &mut claims, &product, slot, claim)?;
                let bytes =
                    unhex(&sealed).ok_or_else(|| refused(format!("the sealed key at slot {slot} of `{product}` is not hexadecimal")))?;
                let key = keyring.open(product.as_str(), slot, &key_id, &bytes).map_err(|e| refused(e.to_string()))?;
                keys.push(VaultKey { product, slot, key });
            }
            Record::Mail(queued) => mail.push(queued),
            Record::End { events, keys, mails } => {
                end = Some(TransferCounts { events, keys, mails });
                break;
            }
            Record::Header { .. } => return Err(refused("a second header: two exports joined together")),
        }
    }
    if records.next().is_some() {
        return Err(refused("records after the end record"));
    }
    let counts = TransferCounts {
        events: streams.values().map(|events| events.len() as u64).sum(),
        keys: keys.len() as u64,
        mails: mail.len() as u64,
    };
    match end {
        None => return Err(refused("no end record: the file was cut short")),
        Some(expected) if expected != counts => {
            return Err(refused(format!("the end record counts {expected:?} but the file holds {counts:?}")));
        }
        Some(_) => {}
    }
    if !store.organizations()?.is_empty() || !store.changes(0, 1)?.is_empty() {
        return Err(Error::PreconditionFailed { reason: "the target store is not empty; import only into a new store".into() });
    }
    // New organizations must not reuse an imported number.
    if let Some(highest) = streams.keys().filter_map(|s| if let StreamId::Organization(id) = s { Some(id.number()) } else { None }).max() {
        while store.allocate_organization_id()?.number() < highest {}
    }
    let appends = order
        .into_iter()
        .map(|stream| {
            let events = streams.remove(&stream).unwrap_or_default();
            Append { stream, expected_version: 0, events }
        })
        .collect();
    // Without its keys a pool has nothing to mark as handed out.
    if !keys.is_empty() {
        if let Some(((product, claim), (expected, found))) = claimed.iter().find(|(_, (expected, found))| expected != found) {
            return Err(refused(format!("{claim} holds {expected} keys of `{product}` by its purchase, but {found} by the key records")));
        }
        claims.extend(ranges);
    }
    store.commit(Commit { appends, mail, keys, claims, idempotency: None })?;
    Ok(counts)
}
