//! License keys: secrets that only a deliberate reveal shows (B3).

use secrecy::{ExposeSecret, SecretString};

use crate::error::Error;

/// One product license key. `Debug` and `Display` print `[redacted]`; the
/// key itself is reachable only through [`LicenseKey::reveal`].
#[derive(Clone)]
pub struct LicenseKey(SecretString);

impl LicenseKey {
    /// Wraps a key; empty, overlong or control-character keys are refused
    /// without echoing the input.
    pub fn new(key: impl Into<String>) -> Result<Self, Error> {
        let key: String = key.into();
        let trimmed = key.trim();
        if trimmed.is_empty() || trimmed.len() > 256 || trimmed.chars().any(char::is_control) {
            return Err(Error::invalid("key", "a license key has 1 to 256 printable characters"));
        }
        Ok(Self(SecretString::from(trimmed.to_string())))
    }

    /// The key in clear. Call it only to show the key to the person who asked
    /// for it, or to store it in the key vault.
    pub fn reveal(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for LicenseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LicenseKey([redacted])")
    }
}

impl std::fmt::Display for LicenseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl PartialEq for LicenseKey {
    fn eq(&self, other: &Self) -> bool {
        self.reveal() == other.reveal()
    }
}

impl Eq for LicenseKey {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b3_debug_and_display_never_show_the_key() {
        let key = LicenseKey::new("SENTINEL-12345").unwrap();
        assert!(!format!("{key:?}").contains("SENTINEL"));
        assert!(!format!("{key}").contains("SENTINEL"));
        assert_eq!(key.reveal(), "SENTINEL-12345");
    }

    #[test]
    fn b3_a_refused_key_is_not_echoed() {
        let err = LicenseKey::new("BAD\u{7}SECRET").unwrap_err();
        assert!(!err.to_string().contains("SECRET"));
    }
}
