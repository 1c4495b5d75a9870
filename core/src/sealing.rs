//! License keys sealed at rest (B3): each vault entry is encrypted with
//! XChaCha20-Poly1305 under a host-supplied 256-bit key, bound to its
//! product and slot, and carries the id of the key that sealed it so the
//! host can rotate keys entry by entry.
//!
//! The stores use this module; it does no I/O beyond asking the operating
//! system for nonces.

use std::sync::Arc;

use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, ExposeSecretMut, SecretBox};
use sha2::Sha256;

use crate::error::Error;
use crate::secret::LicenseKey;

/// The length of a [`SealingKey`] in bytes.
pub const SEALING_KEY_LEN: usize = 32;

/// The first byte of every sealed entry: the format, so a later release can
/// change the cipher and still read these.
const FORMAT: u8 = 1;
const NONCE_LEN: usize = 24;

/// Distinct labels so the cipher key, the fingerprint key and the key id
/// derived from one host key tell nothing about each other.
const CIPHER_LABEL: &[u8] = b"partner-benefits vault v1: cipher";
const FINGERPRINT_LABEL: &[u8] = b"partner-benefits vault v1: fingerprint";
const ID_LABEL: &[u8] = b"partner-benefits vault v1: key id";

/// A host's 256-bit vault key. `Debug` shows only its [`SealingKey::id`];
/// the bytes are held in `secrecy` and wiped when dropped.
pub struct SealingKey {
    id: String,
    cipher: XChaCha20Poly1305,
    fingerprint: SecretBox<[u8; 32]>,
}

impl SealingKey {
    /// A key from exactly 32 bytes (from the host's secret manager); any
    /// other length is `invalid_input` on `vault_key`, never echoing the bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != SEALING_KEY_LEN {
            return Err(Error::invalid(
                "vault_key",
                format!("a vault key is {SEALING_KEY_LEN} bytes (256 bits), not {} bytes", bytes.len()),
            ));
        }
        let derive = Hkdf::<Sha256>::new(None, bytes);
        let mut cipher_key = SecretBox::new(Box::new([0u8; 32]));
        let mut fingerprint = SecretBox::new(Box::new([0u8; 32]));
        let mut id = [0u8; 8];
        // Expanding at most 255 × 32 bytes cannot fail; the errors are mapped anyway.
        let expanded = derive
            .expand(CIPHER_LABEL, cipher_key.expose_secret_mut())
            .and_then(|()| derive.expand(FINGERPRINT_LABEL, fingerprint.expose_secret_mut()))
            .and_then(|()| derive.expand(ID_LABEL, &mut id));
        expanded.map_err(|_| Error::invalid("vault_key", "the vault key could not be expanded"))?;
        let cipher = XChaCha20Poly1305::new_from_slice(cipher_key.expose_secret())
            .map_err(|_| Error::invalid("vault_key", "the vault key could not be expanded"))?;
        Ok(Self { id: id.iter().map(|b| format!("{b:02x}")).collect(), cipher, fingerprint })
    }

    /// The key's public id (16 hex digits), stored beside every entry it
    /// seals. Derived one way from the key: it names the key without telling it.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// A keyed digest of `key`, the same each time under this key: the vault
    /// looks a key up by it ("stocked once", B7) without holding the key in clear.
    fn fingerprint(&self, key: &LicenseKey) -> Result<Vec<u8>, Error> {
        // An HMAC takes a key of any length, so this does not fail in practice.
        let mut mac = <Hmac<Sha256>>::new_from_slice(self.fingerprint.expose_secret())
            .map_err(|_| Error::storage("the vault key's fingerprint key was refused"))?;
        mac.update(key.reveal().as_bytes());
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealingKey").field("id", &self.id).finish_non_exhaustive()
    }
}

/// A vault entry as a store keeps it when a vault key was given.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedEntry {
    /// The [`SealingKey::id`] of the key that sealed it.
    pub key_id: String,
    /// Format byte, nonce, then the ciphertext with its tag.
    pub sealed: Vec<u8>,
    /// The key's fingerprint under the same key, for the "stocked once" check.
    pub fingerprint: Vec<u8>,
}

impl std::fmt::Debug for SealedEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedEntry").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

/// The vault keys a store was opened with: the current one seals new
/// entries; previous ones still open entries sealed before a rotation.
/// Empty: entries are kept in clear, as 0.1.0 did.
///
/// Cloning shares the keys. Two keyrings are equal when they hold the same
/// key ids in the same roles (an id is derived from its key).
#[derive(Debug, Default, Clone)]
pub struct Keyring {
    current: Option<Arc<SealingKey>>,
    previous: Vec<Arc<SealingKey>>,
}

impl PartialEq for Keyring {
    fn eq(&self, other: &Self) -> bool {
        let ids = |ring: &Self| (ring.current_id().map(str::to_owned), ring.previous.iter().map(|k| k.id().to_owned()).collect::<Vec<_>>());
        ids(self) == ids(other)
    }
}

impl Eq for Keyring {}

impl Keyring {
    /// No vault key: new entries are kept in clear, sealed ones cannot be opened.
    pub fn none() -> Self {
        Self::default()
    }

    /// Seals new entries under `current`.
    pub fn new(current: SealingKey) -> Self {
        Self { current: Some(Arc::new(current)), previous: Vec::new() }
    }

    /// Also opens entries sealed under `key` (a key being rotated out).
    /// A key equal to the current one, or given twice, is kept once.
    pub fn with_previous(mut self, key: SealingKey) -> Self {
        if self.find(key.id()).is_none() {
            self.previous.push(Arc::new(key));
        }
        self
    }

    /// A keyring from raw bytes as the bindings and the command line take
    /// them: an optional current key and any previous ones.
    pub fn from_bytes(current: Option<&[u8]>, previous: &[&[u8]]) -> Result<Self, Error> {
        let mut ring = match current {
            Some(bytes) => Self::new(SealingKey::from_bytes(bytes)?),
            None if previous.is_empty() => return Ok(Self::none()),
            None => return Err(Error::invalid("previous_vault_keys", "previous vault keys need a current vault key to reseal under")),
        };
        for bytes in previous {
            ring = ring.with_previous(SealingKey::from_bytes(bytes)?);
        }
        Ok(ring)
    }

    /// The id of the key new entries are sealed under, if any.
    pub fn current_id(&self) -> Option<&str> {
        self.current.as_deref().map(SealingKey::id)
    }

    /// Whether a current key is given (new entries are sealed).
    pub fn seals(&self) -> bool {
        self.current.is_some()
    }

    fn keys(&self) -> impl Iterator<Item = &SealingKey> {
        self.current.iter().chain(&self.previous).map(|k| &**k)
    }

    fn find(&self, id: &str) -> Option<&SealingKey> {
        self.keys().find(|k| k.id() == id)
    }

    /// Refuses a vault holding entries sealed under keys this ring lacks, so
    /// a store opened without its key (or with a wrong one) fails at once
    /// and changes nothing, instead of failing at the first reveal.
    pub fn admit(&self, sealed_under: &[String]) -> Result<(), Error> {
        let missing: Vec<&str> = sealed_under.iter().map(String::as_str).filter(|id| self.find(id).is_none()).collect();
        if missing.is_empty() {
            return Ok(());
        }
        let given = match self.current_id() {
            None => "no vault key was given".to_owned(),
            Some(_) => {
                let ids: Vec<&str> = self.keys().map(SealingKey::id).collect();
                format!("the vault keys given have ids {}", ids.join(", "))
            }
        };
        Err(Error::storage(format!(
            "the key vault holds license keys sealed under vault key id {} but {given}; open the store with that key \
             (as the vault key, or as a previous one while resealing); nothing was changed",
            missing.join(", ")
        )))
    }

    /// `key` sealed under the current key for `product`'s `slot`, or `None`
    /// when there is no current key (the entry is kept in clear).
    pub fn seal(&self, product: &str, slot: u64, key: &LicenseKey) -> Result<Option<SealedEntry>, Error> {
        let Some(current) = &self.current else { return Ok(None) };
        let nonce = XNonce::try_generate().map_err(|e| Error::storage(format!("no random nonce for sealing a key: {e}")))?;
        let aad = associated_data(product, slot);
        let ciphertext = current
            .cipher
            .encrypt(&nonce, Payload { msg: key.reveal().as_bytes(), aad: &aad })
            .map_err(|_| Error::storage(format!("sealing vault slot {slot} of `{product}` failed")))?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(FORMAT);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(Some(SealedEntry { key_id: current.id().to_owned(), sealed, fingerprint: current.fingerprint(key)? }))
    }

    /// The key sealed in `sealed` under key `key_id` at `product`'s `slot`.
    /// A missing key, a damaged entry or one moved to another slot is a
    /// `storage` error that names the slot, never the key.
    pub fn open(&self, product: &str, slot: u64, key_id: &str, sealed: &[u8]) -> Result<LicenseKey, Error> {
        let key = self.find(key_id).ok_or_else(|| {
            Error::storage(format!("vault slot {slot} of `{product}` is sealed under vault key id {key_id}, which was not given"))
        })?;
        let damaged =
            || Error::storage(format!("vault slot {slot} of `{product}` does not open under vault key id {key_id} (damaged or moved)"));
        let (format, rest) = sealed.split_first().ok_or_else(damaged)?;
        if *format != FORMAT || rest.len() < NONCE_LEN {
            return Err(damaged());
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| damaged())?;
        let aad = associated_data(product, slot);
        let clear = key.cipher.decrypt(&nonce, Payload { msg: ciphertext, aad: &aad }).map_err(|_| damaged())?;
        let text = String::from_utf8(clear).map_err(|_| damaged())?;
        LicenseKey::new(text).map_err(|_| damaged())
    }

    /// `key`'s fingerprint under every key of the ring: an entry holding the
    /// same key, sealed under any of them, has one of these.
    pub fn fingerprints(&self, key: &LicenseKey) -> Result<Vec<Vec<u8>>, Error> {
        self.keys().map(|k| k.fingerprint(key)).collect()
    }
}

/// Binds a sealed entry to where it lies: one copied to another slot or
/// product does not open.
fn associated_data(product: &str, slot: u64) -> Vec<u8> {
    let mut aad = Vec::with_capacity(product.len() + 9);
    aad.extend_from_slice(product.as_bytes());
    aad.push(0);
    aad.extend_from_slice(&slot.to_be_bytes());
    aad
}

#[cfg(test)]
mod tests;
