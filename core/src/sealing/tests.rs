//! Sealing: round trips, binding to the slot, key ids, refusals without the key.

use super::*;

fn key(byte: u8) -> SealingKey {
    SealingKey::from_bytes(&[byte; 32]).unwrap()
}

fn license(text: &str) -> LicenseKey {
    LicenseKey::new(text).unwrap()
}

#[test]
fn b3_a_sealed_entry_opens_to_its_key_and_holds_no_clear_text() {
    let ring = Keyring::new(key(7));
    let entry = ring.seal("windows-server", 3, &license("SENTINEL-KEY-0001")).unwrap().unwrap();
    assert!(!entry.sealed.windows(8).any(|w| w == b"SENTINEL"), "the key is in clear in the entry");
    assert_eq!(entry.key_id, key(7).id());
    assert_eq!(ring.open("windows-server", 3, &entry.key_id, &entry.sealed).unwrap().reveal(), "SENTINEL-KEY-0001");
    // A fresh nonce each time: the same key sealed twice differs.
    let again = ring.seal("windows-server", 3, &license("SENTINEL-KEY-0001")).unwrap().unwrap();
    assert_ne!(entry.sealed, again.sealed);
    assert_eq!(entry.fingerprint, again.fingerprint, "the fingerprint is stable under one key");
}

#[test]
fn b3_an_entry_moved_to_another_slot_or_product_or_altered_does_not_open() {
    let ring = Keyring::new(key(7));
    let entry = ring.seal("windows-server", 3, &license("K-1")).unwrap().unwrap();
    for (product, slot) in [("windows-server", 4), ("office", 3)] {
        let err = ring.open(product, slot, &entry.key_id, &entry.sealed).unwrap_err();
        assert_eq!(err.code(), "storage");
        assert!(err.to_string().contains("damaged or moved"), "{err}");
    }
    let mut altered = entry.sealed.clone();
    if let Some(last) = altered.last_mut() {
        *last ^= 1;
    }
    assert!(ring.open("windows-server", 3, &entry.key_id, &altered).is_err());
    assert!(ring.open("windows-server", 3, &entry.key_id, &[]).is_err());
    assert!(ring.open("windows-server", 3, &entry.key_id, &entry.sealed[..10]).is_err());
}

#[test]
fn b3_the_key_id_names_the_key_without_telling_it_and_debug_shows_only_the_id() {
    let (a, b) = (key(1), key(2));
    assert_eq!(a.id().len(), 16);
    assert_ne!(a.id(), b.id());
    assert_eq!(a.id(), key(1).id(), "the id is derived from the key alone");
    let shown = format!("{a:?} {:?}", Keyring::new(key(1)));
    assert!(shown.contains(a.id()) && !shown.contains("[1, 1"), "{shown}");
}

#[test]
fn b3_a_vault_key_of_the_wrong_length_is_refused_without_echo() {
    for len in [0, 16, 31, 33, 64] {
        let err = SealingKey::from_bytes(&vec![0xAB; len]).unwrap_err();
        assert_eq!(err.code(), "invalid_input");
        assert!(err.to_string().contains("32 bytes") && !err.to_string().contains("171"), "{err}");
    }
}

#[test]
fn b3_a_previous_key_opens_what_it_sealed_and_admit_names_missing_ids() {
    let old = Keyring::new(key(1));
    let entry = old.seal("office", 0, &license("K-OLD")).unwrap().unwrap();
    let rotated = Keyring::new(key(2)).with_previous(key(1));
    assert_eq!(rotated.open("office", 0, &entry.key_id, &entry.sealed).unwrap().reveal(), "K-OLD");
    assert_eq!(rotated.fingerprints(&license("K-OLD")).unwrap().len(), 2);
    assert!(rotated.fingerprints(&license("K-OLD")).unwrap().contains(&entry.fingerprint));
    assert!(rotated.admit(&[key(1).id().to_owned(), key(2).id().to_owned()]).is_ok());

    let wrong = Keyring::new(key(3));
    let err = wrong.admit(std::slice::from_ref(&entry.key_id)).unwrap_err();
    assert_eq!(err.code(), "storage");
    assert!(err.to_string().contains(&entry.key_id) && err.to_string().contains(key(3).id()), "{err}");
    let err = Keyring::none().admit(std::slice::from_ref(&entry.key_id)).unwrap_err();
    assert!(err.to_string().contains("no vault key was given"), "{err}");
    assert!(wrong.open("office", 0, &entry.key_id, &entry.sealed).unwrap_err().to_string().contains("was not given"));
    assert!(Keyring::none().admit(&[]).is_ok());
}

#[test]
fn without_a_current_key_nothing_is_sealed_and_previous_keys_alone_are_refused() {
    assert!(Keyring::none().seal("office", 0, &license("K")).unwrap().is_none());
    assert!(!Keyring::none().seals());
    let err = Keyring::from_bytes(None, &[&[1u8; 32]]).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    let ring = Keyring::from_bytes(Some(&[2u8; 32]), &[&[1u8; 32], &[2u8; 32], &[1u8; 32]]).unwrap();
    assert_eq!(ring.fingerprints(&license("K")).unwrap().len(), 2, "duplicates and the current key are kept once");
}
