//! The sealed vault, for stores that keep it at rest (SQLite, PostgreSQL).
//! `open(keyring)` must open the same underlying data each call (a file, a
//! database schema), empty at the first call. Panics on the first failed check.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::LicenseKey;
use crate::error::Error;
use crate::sealing::{Keyring, SealingKey};
use crate::store::{Commit, Store, VaultKey};
use crate::values::Code;

/// A keyring whose current key is `byte` repeated, with `previous` keys.
pub fn ring(byte: u8, previous: &[u8]) -> Keyring {
    previous.iter().fold(Keyring::new(SealingKey::from_bytes(&[byte; 32]).unwrap()), |ring, b| {
        ring.with_previous(SealingKey::from_bytes(&[*b; 32]).unwrap())
    })
}

/// The id of the key `byte` repeated.
pub fn id(byte: u8) -> String {
    SealingKey::from_bytes(&[byte; 32]).unwrap().id().to_owned()
}

/// The license key text stocked at slot `n` by [`sealing`]: unique per run
/// (`tag`), so a byte search of the store's files finds only these.
pub fn key_text(tag: &str, n: u64) -> String {
    format!("SEALTEST-{tag}-{n:04}")
}

fn stock(store: &impl Store, tag: &str, product: &Code, slots: std::ops::Range<u64>, texts: &[u64]) -> Result<(), Error> {
    let keys = slots
        .zip(texts)
        .map(|(slot, n)| VaultKey { product: product.clone(), slot, key: LicenseKey::new(key_text(tag, *n)).unwrap() })
        .collect();
    store.commit(Commit { keys, ..Commit::default() })
}

fn texts(store: &impl Store, product: &Code, count: u32) -> Vec<String> {
    store.vault_keys(product, 0, count).unwrap().iter().map(|k| k.reveal().to_owned()).collect()
}

/// Runs the whole life of a vault: kept in clear, sealed in place in
/// batches, refused without its key or with a wrong one, rotated to a new
/// key, and "stocked once" (B7) held across clear, sealed and rotated entries.
pub fn sealing<S: Store>(tag: &str, open: &dyn Fn(Keyring) -> Result<S, Error>) {
    let product = Code::parse("product", "office").unwrap();
    let expected = |count: u64| (0..count).map(|n| key_text(tag, n)).collect::<Vec<_>>();

    // 0.1.0's way: no vault key, entries in clear.
    let plain = open(Keyring::none()).unwrap();
    stock(&plain, tag, &product, 0..5, &[0, 1, 2, 3, 4]).unwrap();
    let status = plain.vault_status().unwrap();
    assert_eq!((status.clear, status.sealed.len(), status.sealing_key), (5, 0, None));
    assert_eq!(plain.reseal_vault(10).unwrap_err().code(), "precondition_failed");
    drop(plain);

    // A key given: new entries are sealed, old ones still read.
    let a = open(ring(1, &[])).unwrap();
    stock(&a, tag, &product, 5..6, &[5]).unwrap();
    let status = a.vault_status().unwrap();
    assert_eq!((status.clear, status.sealed.get(&id(1)).copied(), status.sealing_key.clone()), (5, Some(1), Some(id(1))));
    assert_eq!(status.to_reseal(), 5);
    assert_eq!(texts(&a, &product, 6), expected(6));
    // Stocked once: a key in clear, and a key sealed, are both found.
    for again in [2, 5] {
        let err = stock(&a, tag, &product, 6..7, &[again]).unwrap_err();
        assert_eq!(err.code(), "invalid_input", "key {again} stocked twice: {err}");
        assert!(!err.to_string().contains(&key_text(tag, again)), "the refusal echoes the key: {err}");
    }
    // ...and one given twice in the same commit, while sealing.
    assert_eq!(stock(&a, tag, &product, 6..8, &[90, 90]).unwrap_err().code(), "invalid_input");
    assert!(a.vault_keys(&product, 6, 1).is_err(), "a refused commit stocked nothing");

    // Sealed in place, a batch at a time, every key readable between batches.
    let mut left = Vec::new();
    loop {
        let done = a.reseal_vault(2).unwrap();
        assert!(done.resealed <= 2);
        left.push(done.remaining);
        assert_eq!(texts(&a, &product, 6), expected(6));
        if done.remaining == 0 {
            break;
        }
    }
    assert_eq!(left, vec![3, 1, 0]);
    let status = a.vault_status().unwrap();
    assert_eq!((status.clear, status.sealed.get(&id(1)).copied(), status.to_reseal()), (0, Some(6), 0));
    assert_eq!(a.reseal_vault(5).unwrap().resealed, 0, "nothing left to seal");
    drop(a);

    // Without the key, or with a wrong one: refused at open, naming the key id.
    for (ring, says) in [(Keyring::none(), "no vault key was given"), (ring(2, &[]), id(2).as_str())] {
        let err = open(ring).err().expect("opened a sealed vault without its key");
        assert_eq!(err.code(), "storage");
        assert!(err.to_string().contains(&id(1)) && err.to_string().contains(says), "{err}");
    }

    // Rotation: the new key current, the old one previous.
    let b = open(ring(2, &[1])).unwrap();
    assert_eq!(texts(&b, &product, 6), expected(6));
    assert_eq!(stock(&b, tag, &product, 6..7, &[3]).unwrap_err().code(), "invalid_input", "found under the previous key");
    stock(&b, tag, &product, 6..7, &[6]).unwrap();
    while b.reseal_vault(4).unwrap().remaining > 0 {}
    let status = b.vault_status().unwrap();
    assert_eq!((status.sealed.len(), status.sealed.get(&id(2)).copied()), (1, Some(7)));
    drop(b);
    // The old key is no longer needed, and alone it no longer opens the vault.
    let b = open(ring(2, &[])).unwrap();
    assert_eq!(texts(&b, &product, 7), expected(7));
    assert_eq!(stock(&b, tag, &product, 7..8, &[0]).unwrap_err().code(), "invalid_input", "found after rotation");
    drop(b);
    assert_eq!(open(ring(1, &[])).err().expect("opened with the rotated-out key").code(), "storage");
}
