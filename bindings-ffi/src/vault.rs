//! The key vault at rest, as both bindings show it: ids and counts only.

use partner_benefits as core;
use partner_benefits::sealing::Keyring;

use crate::record::record;

record! {
    /// Sealed entries under one vault key.
    pub struct SealedUnder {
        /// The vault key's id (16 hex digits, derived one way from the key).
        pub key_id: String,
        /// How many entries it seals.
        pub entries: i64,
    }
}

record! {
    /// How the store keeps its key vault.
    pub struct VaultStatus {
        /// Entries kept in clear (stocked without a vault key, as 0.1.0 did).
        pub clear: i64,
        /// Sealed entries per vault key id, ids in ascending order.
        pub sealed: Vec<SealedUnder>,
        /// The id of the key new entries are sealed under; none without a vault key.
        pub sealing_key: Option<String>,
        /// Entries a reseal would still seal: in clear or under another key.
        pub to_reseal: i64,
    }
}

record! {
    /// What one reseal call did.
    pub struct Resealed {
        /// Entries sealed under the current vault key by this call.
        pub resealed: i64,
        /// Entries still in clear or under another key: call again until 0.
        pub remaining: i64,
    }
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl From<core::VaultStatus> for VaultStatus {
    fn from(v: core::VaultStatus) -> Self {
        let to_reseal = count(v.to_reseal());
        let sealed = v.sealed.into_iter().map(|(key_id, n)| SealedUnder { key_id, entries: count(n) }).collect();
        Self { clear: count(v.clear), sealed, sealing_key: v.sealing_key, to_reseal }
    }
}

impl From<core::Resealed> for Resealed {
    fn from(v: core::Resealed) -> Self {
        Self { resealed: count(v.resealed), remaining: count(v.remaining) }
    }
}

/// The keyring from the bytes a host passed (`vault_key`, `previous_vault_keys`).
pub fn keyring(vault_key: Option<&[u8]>, previous: &[Vec<u8>]) -> Result<Keyring, core::Error> {
    let previous: Vec<&[u8]> = previous.iter().map(Vec::as_slice).collect();
    Keyring::from_bytes(vault_key, &previous)
}

/// A reseal batch as the bindings take it (`i64`); out of range stays out
/// of range, so the core refuses it with its own message.
pub fn batch(batch: i64) -> u32 {
    u32::try_from(batch.max(0)).unwrap_or(u32::MAX)
}
