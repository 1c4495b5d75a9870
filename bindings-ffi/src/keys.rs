//! Revealed license keys. They are secrets: each host reads them through
//! one accessor, and no text form (Kotlin `toString`, Python `repr`) shows
//! them, so logging a `Keys` leaks nothing.

use partner_benefits as core;

/// Keys revealed by "get keys", with what goes with them. No text form
/// shows a key (Python `repr`, Kotlin `toString`): read them from `keys`.
/// In Kotlin an object, not a data class, whose `toString` would print them.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "python", pyo3::pyclass(module = "partner_benefits", frozen, eq))]
#[cfg_attr(feature = "kotlin", derive(uniffi::Object), uniffi::export(Display, Eq))]
pub struct Keys {
    revealed: core::RevealedKeys,
}

impl From<core::RevealedKeys> for Keys {
    fn from(revealed: core::RevealedKeys) -> Self {
        Self { revealed }
    }
}

impl Keys {
    /// How many keys there are; what the text forms show instead of them.
    pub fn count(&self) -> usize {
        self.revealed.keys.len()
    }
}

#[cfg_attr(feature = "kotlin", uniffi::export)]
impl Keys {
    /// The benefit the keys belong to.
    pub fn benefit_id(&self) -> String {
        self.revealed.benefit.to_string()
    }

    /// Product name.
    pub fn product(&self) -> String {
        self.revealed.product.clone()
    }

    /// The keys in clear. Show them only to the person who asked.
    pub fn keys(&self) -> Vec<String> {
        self.revealed.keys.iter().map(|key| key.reveal().to_owned()).collect()
    }

    /// Download links for the chosen language and OS (R11).
    pub fn download_links(&self) -> Vec<String> {
        self.revealed.download_links.clone()
    }

    /// Instructions to follow (R08, R13).
    pub fn special_instructions(&self) -> String {
        self.revealed.special_instructions.clone()
    }
}

/// The Kotlin `toString`: how many keys, never which.
impl std::fmt::Display for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keys(benefit={}, product={}, keys=[{} redacted])", self.revealed.benefit, self.revealed.product, self.count())
    }
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}
