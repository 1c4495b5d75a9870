//! A process of an older release still writing to a migrated file hands
//! keys out by slot range, under the pool's version only (ADR 9). The file
//! marks such a range with its package as it is recorded, and refuses one
//! that takes a key a claim already holds: no key is issued twice while
//! instances are upgraded one by one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use partner_benefits::event::KeyClaim;
use partner_benefits::store::{Claim, ClaimSlots, Commit, KeyHolder, VaultKey};
use partner_benefits::values::Code;
use partner_benefits::{LicenseKey, OrganizationId, PackageId, Store};
use partner_benefits_sqlite::SqliteStore;
use rusqlite::{Connection, params};

/// What a 0.1.0 process writes for a purchase's draw from the pool: the
/// pool's `keys_allocated` event and its stream's new version.
fn older_release_draws(path: &std::path::Path, version: i64, first: u64, count: u32) -> rusqlite::Result<()> {
    let mut conn = Connection::open(path)?;
    let tx = conn.transaction()?;
    let body = format!(
        r#"{{"stream":{{"key_pool":"windows-server"}},"version":{version},"at":"2026-03-02T09:00:00Z","actor":{{"kind":"program"}},"event":{{"type":"keys_allocated","first":{first},"count":{count},"package":"pkg-1-7"}}}}"#
    );
    tx.execute("UPDATE streams SET version = ?1 WHERE stream = 'pool:windows-server'", params![version])?;
    tx.execute(
        "INSERT INTO events (stream, version, body, position) VALUES ('pool:windows-server', ?1, ?2, (SELECT max(position) + 1 FROM events))",
        params![version, body],
    )?;
    tx.commit()
}

#[test]
fn b7_a_range_an_older_release_hands_out_is_marked_and_refused_where_a_claim_holds_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let store = SqliteStore::open(&path).unwrap();
    let product = Code::parse("product", "windows-server").unwrap();
    let keys = (0..5).map(|slot| VaultKey { product: product.clone(), slot, key: LicenseKey::new(format!("KEY-{slot}")).unwrap() });
    let stocked = partner_benefits::RecordedEvent {
        stream: partner_benefits::StreamId::KeyPool(product.clone()),
        version: 1,
        at: chrono::Utc::now(),
        actor: partner_benefits::event::Actor::Program,
        event: partner_benefits::event::Event::KeysStocked { first: 0, count: 5 },
    };
    let append = partner_benefits::store::Append { stream: stocked.stream.clone(), expected_version: 0, events: vec![stocked] };
    store.commit(Commit { appends: vec![append], keys: keys.collect(), ..Commit::default() }).unwrap();
    // This release claims the two lowest keys for a purchase.
    let claim = KeyClaim { package: PackageId::new(OrganizationId::new(1), 1), benefit_index: 0 };
    let take = Claim { product: product.clone(), holder: KeyHolder::Benefit(claim), slots: ClaimSlots::Free(2) };
    store.commit(Commit { claims: vec![take], ..Commit::default() }).unwrap();
    assert_eq!(store.free_keys(&product, u64::MAX).unwrap(), 3);

    // An older process, whose pool stream still says slots from 0 are free, draws them: refused.
    let err = older_release_draws(&path, 2, 0, 2).unwrap_err();
    assert!(err.to_string().contains("already handed out"), "{err}");
    assert_eq!(store.read_events(&partner_benefits::StreamId::KeyPool(product.clone()), 0, 10).unwrap().len(), 1, "nothing was written");
    assert_eq!(store.claimed_keys(&product, &claim).unwrap().len(), 2, "the claim keeps its keys");

    // A range of free keys is recorded, and marked: this release's claims pass over it.
    older_release_draws(&path, 2, 2, 2).unwrap();
    assert_eq!(store.read_events(&partner_benefits::StreamId::KeyPool(product.clone()), 0, 10).unwrap().len(), 2, "it reads back");
    assert_eq!(store.free_keys(&product, u64::MAX).unwrap(), 1);
    let next = KeyClaim { package: PackageId::new(OrganizationId::new(2), 1), benefit_index: 0 };
    let take = Claim { product: product.clone(), holder: KeyHolder::Benefit(next), slots: ClaimSlots::Free(1) };
    store.commit(Commit { claims: vec![take], ..Commit::default() }).unwrap();
    let got: Vec<(u64, String)> =
        store.claimed_keys(&product, &next).unwrap().into_iter().map(|(s, k)| (s, k.reveal().to_owned())).collect();
    assert_eq!(got, [(4, "KEY-4".to_owned())]);
}
