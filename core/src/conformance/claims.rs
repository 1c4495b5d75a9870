//! Keys claimed in the vault (ADR 9), the same on every store: a claim takes
//! free keys only, all of a commit or none of it, each key once; a range
//! claim (an import restoring who holds what) takes exactly its slots.

use super::{created, product};
use crate::LicenseKey;
use crate::error::Error;
use crate::event::{KeyClaim, StreamId};
use crate::ids::PackageId;
use crate::store::{Append, Claim, ClaimSlots, Commit, KeyHolder, Store, VaultKey, keys_ran_out};
use crate::values::Code;

fn claim(package: PackageId, benefit_index: u32) -> KeyClaim {
    KeyClaim { package, benefit_index }
}

fn free(claim: KeyClaim, count: u32) -> Claim {
    Claim { product: product(), holder: KeyHolder::Benefit(claim), slots: ClaimSlots::Free(count) }
}

#[allow(clippy::unwrap_used)]
fn stock(store: &dyn Store, product: &Code, slots: std::ops::Range<u64>) {
    let keys =
        slots.map(|slot| VaultKey { product: product.clone(), slot, key: LicenseKey::new(format!("CLAIM-{product}-{slot}")).unwrap() });
    store.commit(Commit { keys: keys.collect(), ..Commit::default() }).unwrap();
}

#[allow(clippy::unwrap_used)]
fn texts(store: &dyn Store, claim: &KeyClaim) -> Vec<(u64, String)> {
    store.claimed_keys(&product(), claim).unwrap().into_iter().map(|(slot, key)| (slot, key.reveal().to_owned())).collect()
}

/// Runs every claim check on one empty store.
#[allow(clippy::unwrap_used, clippy::panic)]
pub fn claims(store: &dyn Store) {
    let org = store.allocate_organization_id().unwrap();
    let package = PackageId::new(org, 1);
    stock(store, &product(), 0..5);
    assert_eq!(store.free_keys(&product(), u64::MAX).unwrap(), 5);
    assert_eq!(store.free_keys(&product(), 3).unwrap(), 3, "the count stops at what was asked");

    // Two claims in one commit, with the organization's append: distinct keys, lowest first.
    let append = Append { stream: StreamId::Organization(org), expected_version: 0, events: created(org) };
    store
        .commit(Commit { appends: vec![append], claims: vec![free(claim(package, 0), 2), free(claim(package, 2), 1)], ..Commit::default() })
        .unwrap();
    let first = texts(store, &claim(package, 0));
    let second = texts(store, &claim(package, 2));
    assert_eq!(first.iter().map(|(s, _)| *s).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(second, [(2, format!("CLAIM-{}-2", product()))]);
    assert_eq!(store.free_keys(&product(), u64::MAX).unwrap(), 2);
    assert!(texts(store, &claim(package, 1)).is_empty(), "an unknown claim holds nothing");
    assert!(store.claimed_keys(&Code::parse("product", "sql-server").unwrap(), &claim(package, 0)).unwrap().is_empty());

    // More than is free: the whole commit is refused, its append included.
    let later = PackageId::new(org, 2);
    let append = Append { stream: StreamId::Organization(org), expected_version: 1, events: vec![super::level_event(org, 2)] };
    let refused = Commit { appends: vec![append], claims: vec![free(claim(later, 0), 1), free(claim(later, 1), 2)], ..Commit::default() };
    assert_eq!(store.commit(refused).unwrap_err(), keys_ran_out(&product(), 1, 2));
    assert_eq!(store.load(&StreamId::Organization(org), 0).unwrap().events.len(), 1, "the refused commit's append was written");
    assert!(texts(store, &claim(later, 0)).is_empty(), "the refused commit's first claim was kept");
    assert_eq!(store.free_keys(&product(), u64::MAX).unwrap(), 2);

    // A range claim takes exactly its slots, and only free ones.
    let old = KeyHolder::Package(PackageId::new(org, 9));
    let range = |first, count| Claim { product: product(), holder: old, slots: ClaimSlots::Range { first, count } };
    match store.commit(Commit { claims: vec![range(1, 3)], ..Commit::default() }) {
        Err(Error::Storage { message }) => assert!(message.contains("vault slot 1 of"), "{message}"),
        other => panic!("a range over a held slot must be refused, got {other:?}"),
    }
    match store.commit(Commit { claims: vec![range(4, 2)], ..Commit::default() }) {
        Err(Error::Storage { message }) => assert!(message.contains("vault slot 5 of"), "{message}"),
        other => panic!("a range past the stocked slots must be refused, got {other:?}"),
    }
    assert_eq!(store.free_keys(&product(), u64::MAX).unwrap(), 2, "a refused range claim marked nothing");
    store.commit(Commit { claims: vec![range(3, 2)], ..Commit::default() }).unwrap();
    assert_eq!(store.free_keys(&product(), u64::MAX).unwrap(), 0);
    assert_eq!(
        store.commit(Commit { claims: vec![free(claim(later, 0), 1)], ..Commit::default() }).unwrap_err(),
        keys_ran_out(&product(), 0, 1)
    );

    // Keys stocked and claimed by range in one commit (how an import restores them).
    let other = Code::parse("product", "sql-server").unwrap();
    let keys = (0..2).map(|slot| VaultKey { product: other.clone(), slot, key: LicenseKey::new(format!("IMPORTED-{slot}")).unwrap() });
    let held =
        Claim { product: other.clone(), holder: KeyHolder::Benefit(claim(later, 0)), slots: ClaimSlots::Range { first: 1, count: 1 } };
    store.commit(Commit { keys: keys.collect(), claims: vec![held], ..Commit::default() }).unwrap();
    let got: Vec<(u64, String)> =
        store.claimed_keys(&other, &claim(later, 0)).unwrap().into_iter().map(|(slot, key)| (slot, key.reveal().to_owned())).collect();
    assert_eq!(got, [(1, "IMPORTED-1".to_owned())]);
    assert_eq!(store.free_keys(&other, u64::MAX).unwrap(), 1);
}

/// A store migrated while a process of an older release still writes to it
/// (ADR 9): `older_release_draws(version, first, count)` writes, as that
/// release does, the `windows-server` pool's `keys_allocated` event at
/// `version` for slots `first..first + count` with its stream's version, and
/// returns the database's refusal as text. The store must refuse a range
/// holding a key a claim took, and mark a free one so claims pass over it.
#[allow(clippy::unwrap_used, clippy::panic)]
pub fn older_writer(store: &dyn Store, older_release_draws: &dyn Fn(u64, u64, u32) -> Result<(), String>) {
    let product = product();
    let pool = StreamId::KeyPool(product.clone());
    let stocked = crate::event::RecordedEvent {
        stream: pool.clone(),
        version: 1,
        at: super::at(),
        actor: crate::event::Actor::Program,
        event: crate::event::Event::KeysStocked { first: 0, count: 5 },
    };
    let keys = (0..5).map(|slot| VaultKey { product: product.clone(), slot, key: LicenseKey::new(format!("KEY-{slot}")).unwrap() });
    let append = Append { stream: pool.clone(), expected_version: 0, events: vec![stocked] };
    store.commit(Commit { appends: vec![append], keys: keys.collect(), ..Commit::default() }).unwrap();
    // This release claims the two lowest keys for a purchase.
    let first = claim(PackageId::new(crate::ids::OrganizationId::new(1), 1), 0);
    store.commit(Commit { claims: vec![free(first, 2)], ..Commit::default() }).unwrap();
    assert_eq!(store.free_keys(&product, u64::MAX).unwrap(), 3);

    // The older process, whose pool stream still says slots from 0 are free, draws them: refused.
    match older_release_draws(2, 0, 2) {
        Err(refusal) => assert!(refusal.contains("already handed out"), "{refusal}"),
        Ok(()) => panic!("a range over claimed keys was recorded"),
    }
    assert_eq!(store.read_events(&pool, 0, 10).unwrap().len(), 1, "nothing was written");
    assert_eq!(store.claimed_keys(&product, &first).unwrap().len(), 2, "the claim keeps its keys");

    // A range of free keys is recorded, and marked: this release's claims pass over it.
    older_release_draws(2, 2, 2).unwrap();
    assert_eq!(store.read_events(&pool, 0, 10).unwrap().len(), 2, "it reads back");
    assert_eq!(store.free_keys(&product, u64::MAX).unwrap(), 1);
    let next = claim(PackageId::new(crate::ids::OrganizationId::new(2), 1), 0);
    store.commit(Commit { claims: vec![free(next, 1)], ..Commit::default() }).unwrap();
    assert_eq!(texts(store, &next), [(4, "KEY-4".to_owned())]);
}
