//! Operating the key vault at rest: how its entries are kept, and resealing
//! them under the current vault key (encrypting a 0.1.0 vault in place, or
//! finishing a rotation).

use crate::center::BenefitCenter;
use crate::error::Error;
use crate::event::KeySlots;
use crate::secret::LicenseKey;
use crate::store::{Resealed, Store, VaultStatus};

/// The most entries one [`BenefitCenter::reseal_vault`] call seals: each
/// call is one transaction, kept short so writers are not held up long.
pub const MAX_RESEAL_BATCH: u32 = 10_000;

impl BenefitCenter {
    /// How the store keeps the vault: entries in clear, sealed per key id,
    /// and the key new entries are sealed under. Ids and counts only.
    pub fn vault_status(&self) -> Result<VaultStatus, Error> {
        self.store().vault_status()
    }

    /// Seals up to `batch` (1 to [`MAX_RESEAL_BATCH`]) entries kept in clear
    /// or under a previous key, under the store's current vault key, in one
    /// transaction. Call until [`Resealed::remaining`] is 0; an interrupted
    /// run resumes where it stopped, and every key stays readable meanwhile.
    /// `precondition_failed` when the store was given no vault key.
    pub fn reseal_vault(&self, batch: u32) -> Result<Resealed, Error> {
        if !(1..=MAX_RESEAL_BATCH).contains(&batch) {
            return Err(Error::invalid("batch", format!("a reseal batch is 1 to {MAX_RESEAL_BATCH} entries, not {batch}")));
        }
        let done = self.store().reseal_vault(batch)?;
        // Counts only: never a key, nor a key id's key.
        tracing::info!(resealed = done.resealed, remaining = done.remaining, "key vault resealed");
        Ok(done)
    }
}

/// The keys of a keyed benefit, wherever its purchase put them: a range of
/// slots (before 0.2) or the entries claimed for it (ADR 9). Exactly as
/// many as the benefit holds, or a `storage` error: a vault that lost
/// entries must not show a partial set as the benefit's keys.
pub(crate) fn benefit_keys(store: &dyn Store, slots: &KeySlots) -> Result<Vec<LicenseKey>, Error> {
    match slots {
        KeySlots::Range { product, first, count } => store.vault_keys(product, *first, *count),
        KeySlots::Claimed { product, claim, count } => {
            let keys: Vec<LicenseKey> = store.claimed_keys(product, claim)?.into_iter().map(|(_, key)| key).collect();
            if keys.len() != *count as usize {
                return Err(Error::storage(format!("the vault of `{product}` holds {} keys claimed for {claim}, not {count}", keys.len())));
            }
            Ok(keys)
        }
    }
}
