//! Operating the key vault at rest: how its entries are kept, and resealing
//! them under the current vault key (encrypting a 0.1.0 vault in place, or
//! finishing a rotation).

use crate::center::BenefitCenter;
use crate::error::Error;
use crate::store::{Resealed, VaultStatus};

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
