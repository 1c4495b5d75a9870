//! Keys a commit claims from a product's vault (ADR 9). A purchase names how
//! many keys each keyed benefit needs; the store takes that many free
//! entries in the purchase's own commit and marks them with the benefit's
//! [`KeyClaim`]. No pool version is read or written, so purchases of
//! distinct organizations do not wait for each other, and an entry marked
//! once is never marked again: a key is issued once (B7).

use crate::error::Error;
use crate::event::KeyClaim;
use crate::ids::PackageId;
use crate::values::Code;

/// What marks a vault entry as handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyHolder {
    /// A keyed benefit of a purchase from 0.2 on; shown as `pkg-7-2/0`.
    Benefit(KeyClaim),
    /// A package that took a range of slots by number (before 0.2); shown as
    /// `pkg-7-2`. Such entries were found by slot, never by holder.
    Package(PackageId),
}

impl std::fmt::Display for KeyHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Benefit(claim) => claim.fmt(f),
            Self::Package(package) => package.fmt(f),
        }
    }
}

/// Which entries a [`Claim`] takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimSlots {
    /// That many free entries, whichever the store finds first (lowest slots
    /// where writers are serialized). Fewer free than asked refuses the
    /// whole commit with [`keys_ran_out`].
    Free(u32),
    /// Exactly these slots (an import restoring who holds what); each must
    /// be stocked and free, or the commit fails with [`slots_not_free`].
    Range {
        /// First slot.
        first: u64,
        /// Number of slots.
        count: u32,
    },
}

/// Entries of one product's vault a commit marks with a holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The product (pool).
    pub product: Code,
    /// The mark the entries get.
    pub holder: KeyHolder,
    /// Which entries.
    pub slots: ClaimSlots,
}

/// The refusal of a commit that claims more free keys than `product`'s pool
/// has (`left` of them; `needed` asked). The center decides the command
/// again on what is left: another writer took the keys after it looked.
pub fn keys_ran_out(product: &Code, left: u64, needed: u32) -> Error {
    Error::CapacityExhausted { what: format!("key pool `{product}` has {left} keys left, {needed} needed") }
}

/// The refusal of a [`ClaimSlots::Range`] claim whose slot is missing or
/// already held: the records being imported contradict each other.
pub fn slots_not_free(product: &Code, slot: u64) -> Error {
    Error::storage(format!("vault slot {slot} of `{product}` is not a free stocked key, so it cannot be claimed"))
}

/// [`slots_not_free`] for the first slot of `first..first + count` that a
/// range claim could not mark (`marked`: the slots it did).
pub fn range_not_free(product: &Code, first: u64, count: u32, marked: &[u64]) -> Error {
    let marked: std::collections::BTreeSet<u64> = marked.iter().copied().collect();
    let slot = (first..first.saturating_add(u64::from(count))).find(|slot| !marked.contains(slot));
    slots_not_free(product, slot.unwrap_or(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_show_as_the_vault_keeps_them() {
        let package = PackageId::new(crate::ids::OrganizationId::new(7), 2);
        assert_eq!(KeyHolder::Benefit(KeyClaim { package, benefit_index: 0 }).to_string(), "pkg-7-2/0");
        assert_eq!(KeyHolder::Package(package).to_string(), "pkg-7-2");
    }
}
