//! The store conformance suite: every [`Store`] implementation runs these
//! same checks (in memory here; SQLite and PostgreSQL in their crates).
//! `fresh` must return an empty store each call.
#![allow(clippy::indexing_slicing)] // test code: a bad index is a failed check

use std::sync::Arc;

pub mod changes;
pub mod claims;
pub mod vault;

use chrono::{Duration, TimeZone, Utc};

use crate::event::{Actor, Event, RecordedEvent, StreamId};
use crate::ids::{MailId, OrganizationId, UserId};
use crate::lifecycle::Timestamp;
use crate::lifecycle::delivery::DeliveryState;
use crate::mail::{Mail, MailTopic, RecordingMailer};
use crate::store::{Append, Commit, IdempotencyRecord, Snapshot, Store, VaultKey};
use crate::values::{Code, Email, Language};
use crate::{BenefitCenter, Catalog, Error, LicenseKey, ManualClock};

fn at() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().unwrap_or_default()
}

#[allow(clippy::expect_used)]
fn email(text: &str) -> Email {
    Email::parse("email", text).expect("a valid address")
}

fn created(org: OrganizationId) -> Vec<RecordedEvent> {
    let event = Event::OrganizationCreated {
        name: "Contoso".into(),
        account_email: email("partners@contoso.com"),
        admin: UserId::new(org, 1),
        admin_name: "Avery".into(),
        admin_email: email("avery@contoso.com"),
    };
    vec![RecordedEvent { stream: StreamId::Organization(org), version: 1, at: at(), actor: Actor::Program, event }]
}

fn level_event(org: OrganizationId, version: u64) -> RecordedEvent {
    RecordedEvent {
        stream: StreamId::Organization(org),
        version,
        at: at(),
        actor: Actor::Program,
        event: Event::PartnerLevelSet { level: crate::PartnerLevel::Silver },
    }
}

fn mail(org: OrganizationId, seq: u32) -> Mail {
    Mail {
        id: MailId::new(org, seq),
        organization: org,
        to: vec![email("avery@contoso.com")],
        language: Language::english(),
        topic: MailTopic::TechnicalActivated { benefit: "Support".into() },
        subject: "subject".into(),
        body: "body".into(),
        created_at: at(),
    }
}

#[allow(clippy::expect_used)]
fn product() -> Code {
    Code::parse("product", "windows-server").expect("a valid code")
}

/// Runs every check against stores made by `fresh`; panics on the first failure.
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
pub fn run_all(fresh: &dyn Fn() -> Arc<dyn Store>) {
    organization_ids_are_unique(fresh().as_ref());
    appends_load_back_in_order(fresh().as_ref());
    stale_writer_gets_conflict_and_nothing_is_written(fresh().as_ref());
    idempotency_key_is_kept_once(fresh().as_ref());
    vault_keeps_keys_by_slot(fresh().as_ref());
    vault_refuses_a_key_already_stocked(fresh().as_ref());
    claims::claims(fresh().as_ref());
    snapshot_then_later_events(fresh().as_ref());
    outbox_claims_settles_and_never_resends(fresh().as_ref());
    center_state_survives_a_new_center(fresh);
    changes::feed_lists_commits_in_order(fresh().as_ref());
    changes::readers_racing_writers_miss_nothing(fresh());
}

#[allow(clippy::unwrap_used)]
fn organization_ids_are_unique(store: &dyn Store) {
    let a = store.allocate_organization_id().unwrap();
    let b = store.allocate_organization_id().unwrap();
    assert_ne!(a, b, "organization ids repeat");
}

#[allow(clippy::unwrap_used)]
fn appends_load_back_in_order(store: &dyn Store) {
    let org = store.allocate_organization_id().unwrap();
    let stream = StreamId::Organization(org);
    store
        .commit(Commit { appends: vec![Append { stream: stream.clone(), expected_version: 0, events: created(org) }], ..Commit::default() })
        .unwrap();
    store
        .commit(Commit {
            appends: vec![Append { stream: stream.clone(), expected_version: 1, events: vec![level_event(org, 2), level_event(org, 3)] }],
            ..Commit::default()
        })
        .unwrap();
    let loaded = store.load(&stream, 0).unwrap();
    assert_eq!(loaded.events.iter().map(|e| e.version).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(loaded.events[0], created(org)[0], "events must round-trip unchanged");
    assert_eq!(store.load(&stream, 2).unwrap().events.len(), 1);
    assert_eq!(store.read_events(&stream, 0, 2).unwrap().len(), 2);
    assert!(store.organizations().unwrap().contains(&org));
    assert!(store.load(&StreamId::Organization(OrganizationId::new(999_999)), 0).unwrap().events.is_empty());
}

#[allow(clippy::unwrap_used, clippy::panic)]
fn stale_writer_gets_conflict_and_nothing_is_written(store: &dyn Store) {
    let org = store.allocate_organization_id().unwrap();
    let stream = StreamId::Organization(org);
    store
        .commit(Commit { appends: vec![Append { stream: stream.clone(), expected_version: 0, events: created(org) }], ..Commit::default() })
        .unwrap();
    let pool = StreamId::KeyPool(product());
    let pool_event = RecordedEvent {
        stream: pool.clone(),
        version: 1,
        at: at(),
        actor: Actor::Program,
        event: Event::KeysStocked { first: 0, count: 1 },
    };
    // Second append is stale: the whole commit, pool and mail included, must be refused.
    let stale = Commit {
        appends: vec![
            Append { stream: pool.clone(), expected_version: 0, events: vec![pool_event] },
            Append { stream: stream.clone(), expected_version: 0, events: created(org) },
        ],
        mail: vec![mail(org, 1)],
        ..Commit::default()
    };
    match store.commit(stale) {
        Err(Error::Conflict { .. }) => {}
        other => panic!("a stale writer must get conflict, got {other:?}"),
    }
    assert!(store.load(&pool, 0).unwrap().events.is_empty(), "a refused commit wrote to another stream");
    assert!(store.outbox().unwrap().is_empty(), "a refused commit queued mail");
    assert_eq!(store.load(&stream, 0).unwrap().events.len(), 1);
}

#[allow(clippy::unwrap_used, clippy::panic)]
fn idempotency_key_is_kept_once(store: &dyn Store) {
    let org = store.allocate_organization_id().unwrap();
    let stream = StreamId::Organization(org);
    let record =
        IdempotencyRecord { organization: org, key: "k1".into(), request: "{\"a\":1}".into(), outcome: "{\"outcome\":\"done\"}".into() };
    store
        .commit(Commit {
            appends: vec![Append { stream: stream.clone(), expected_version: 0, events: created(org) }],
            idempotency: Some(record.clone()),
            ..Commit::default()
        })
        .unwrap();
    assert_eq!(store.idempotency(org, "k1").unwrap(), Some(record.clone()));
    assert_eq!(store.idempotency(org, "k2").unwrap(), None);
    let again = Commit {
        appends: vec![Append { stream: stream.clone(), expected_version: 1, events: vec![level_event(org, 2)] }],
        idempotency: Some(record),
        ..Commit::default()
    };
    match store.commit(again) {
        Err(Error::Conflict { .. }) => {}
        other => panic!("a reused idempotency key must conflict, got {other:?}"),
    }
    assert_eq!(store.load(&stream, 0).unwrap().events.len(), 1);
}

#[allow(clippy::unwrap_used, clippy::panic)]
fn vault_keeps_keys_by_slot(store: &dyn Store) {
    let keys: Vec<VaultKey> =
        (0..3).map(|slot| VaultKey { product: product(), slot, key: LicenseKey::new(format!("KEY-{slot}")).unwrap() }).collect();
    store.commit(Commit { keys, ..Commit::default() }).unwrap();
    let got = store.vault_keys(&product(), 1, 2).unwrap();
    assert_eq!(got.iter().map(|k| k.reveal().to_string()).collect::<Vec<_>>(), vec!["KEY-1", "KEY-2"]);
    match store.vault_keys(&product(), 2, 5) {
        Err(Error::Storage { .. }) => {}
        other => panic!("missing slots must be a storage error, got {other:?}"),
    }
}

/// B7: a key already in the vault, under this or another product, refuses
/// the whole commit (nothing of it is written) without naming the key.
#[allow(clippy::unwrap_used, clippy::panic)]
fn vault_refuses_a_key_already_stocked(store: &dyn Store) {
    let key = |product: &str, slot, text: &str| VaultKey {
        product: Code::parse("product", product).unwrap(),
        slot,
        key: LicenseKey::new(text).unwrap(),
    };
    store.commit(Commit { keys: vec![key("windows-server", 0, "DUP-KEY-1")], ..Commit::default() }).unwrap();
    let org = store.allocate_organization_id().unwrap();
    for (product, slot) in [("windows-server", 1), ("sql-server", 0)] {
        let commit = Commit {
            appends: vec![Append { stream: StreamId::Organization(org), expected_version: 0, events: created(org) }],
            keys: vec![key(product, slot, "FRESH-KEY-9"), key(product, slot + 1, "DUP-KEY-1")],
            ..Commit::default()
        };
        match store.commit(commit) {
            Err(err @ Error::InvalidInput { .. }) => {
                assert_eq!(err, crate::store::key_already_stocked(1));
                assert!(!err.to_string().contains("DUP-KEY"), "{err}");
            }
            other => panic!("a key stocked twice must be invalid_input, got {other:?}"),
        }
        // Nothing of the refused commit was written.
        assert!(store.load(&StreamId::Organization(org), 0).unwrap().events.is_empty());
        assert!(store.vault_keys(&Code::parse("product", product).unwrap(), slot, 1).is_err());
    }
    // The same key twice in one commit, even at two slots.
    let twice = Commit { keys: vec![key("sql-server", 0, "TWICE-KEY"), key("sql-server", 1, "TWICE-KEY")], ..Commit::default() };
    assert_eq!(store.commit(twice).unwrap_err(), crate::store::key_already_stocked(1));
    assert!(store.vault_keys(&Code::parse("product", "sql-server").unwrap(), 0, 1).is_err(), "nothing of it was written");
    // The same text differs from a key that only looks alike.
    store.commit(Commit { keys: vec![key("windows-server", 1, "dup-key-1")], ..Commit::default() }).unwrap();
}

#[allow(clippy::unwrap_used)]
fn snapshot_then_later_events(store: &dyn Store) {
    let org = store.allocate_organization_id().unwrap();
    let stream = StreamId::Organization(org);
    store
        .commit(Commit { appends: vec![Append { stream: stream.clone(), expected_version: 0, events: created(org) }], ..Commit::default() })
        .unwrap();
    store
        .commit(Commit {
            appends: vec![Append { stream: stream.clone(), expected_version: 1, events: vec![level_event(org, 2)] }],
            ..Commit::default()
        })
        .unwrap();
    store.save_snapshot(Snapshot { stream: stream.clone(), version: 2, state: "{\"s\":2}".into() }).unwrap();
    store
        .commit(Commit {
            appends: vec![Append { stream: stream.clone(), expected_version: 2, events: vec![level_event(org, 3)] }],
            ..Commit::default()
        })
        .unwrap();
    let loaded = store.load(&stream, 0).unwrap();
    assert_eq!(loaded.snapshot.as_ref().map(|s| s.version), Some(2));
    assert_eq!(loaded.events.iter().map(|e| e.version).collect::<Vec<_>>(), vec![3]);
    // An older snapshot never replaces a newer one.
    store.save_snapshot(Snapshot { stream: stream.clone(), version: 1, state: "{}".into() }).unwrap();
    assert_eq!(store.load(&stream, 0).unwrap().snapshot.map(|s| s.version), Some(2));
    // One of the same version replaces it (it may be one a release could not read).
    store.save_snapshot(Snapshot { stream: stream.clone(), version: 2, state: "{\"s\":3}".into() }).unwrap();
    assert_eq!(store.load(&stream, 0).unwrap().snapshot.map(|s| s.state), Some("{\"s\":3}".to_string()));
    // Loading after a version ignores snapshots.
    assert!(store.load(&stream, 1).unwrap().snapshot.is_none());
}

#[allow(clippy::unwrap_used)]
fn outbox_claims_settles_and_never_resends(store: &dyn Store) {
    let org = store.allocate_organization_id().unwrap();
    store.commit(Commit { mail: vec![mail(org, 1), mail(org, 2)], ..Commit::default() }).unwrap();
    let now = at();
    let first = store.claim_mail(now, now + Duration::minutes(5), 10).unwrap();
    assert_eq!(first.len(), 2);
    assert!(store.claim_mail(now, now + Duration::minutes(5), 10).unwrap().is_empty(), "a leased mail was claimed twice");
    store.settle_mail(MailId::new(org, 1), &DeliveryState::Sent { sent_at: now, attempts: 1 }).unwrap();
    // Failed as 0.1.0 recorded it (no retry time): due again at once.
    store.settle_mail(MailId::new(org, 2), &DeliveryState::Failed { attempts: 1, last_error: "refused".into(), retry_at: None }).unwrap();
    let again = store.claim_mail(now, now + Duration::minutes(5), 10).unwrap();
    assert_eq!(again.iter().map(|e| e.mail.id).collect::<Vec<_>>(), vec![MailId::new(org, 2)], "only the failed mail is due again");
    assert!(matches!(again[0].delivery, DeliveryState::Failed { attempts: 1, .. }));
    // An expired lease frees the mail for another dispatcher.
    let later = now + Duration::minutes(6);
    assert_eq!(store.claim_mail(later, later + Duration::minutes(5), 10).unwrap().len(), 1);
    assert!(
        store.settle_mail(MailId::new(org, 1), &DeliveryState::Sent { sent_at: now, attempts: 2 }).is_err(),
        "a sent mail was settled again"
    );
    let outbox = store.outbox().unwrap();
    assert_eq!(outbox.len(), 2);
    assert_eq!(outbox[0].mail, mail(org, 1), "mail must round-trip unchanged");
    failed_mail_waits_for_its_retry_time_and_parked_mail_for_a_requeue(store, org, later);
}

#[allow(clippy::unwrap_used)]
fn failed_mail_waits_for_its_retry_time_and_parked_mail_for_a_requeue(store: &dyn Store, org: OrganizationId, now: Timestamp) {
    let lease = |at: Timestamp| at + Duration::minutes(5);
    let id = MailId::new(org, 2);
    let retry_at = now + Duration::minutes(30);
    store.settle_mail(id, &DeliveryState::Failed { attempts: 2, last_error: "refused".into(), retry_at: Some(retry_at) }).unwrap();
    assert!(store.claim_mail(now, lease(now), 10).unwrap().is_empty(), "claimed before its retry time");
    let early = retry_at - Duration::seconds(1);
    assert!(store.claim_mail(early, lease(early), 10).unwrap().is_empty(), "claimed a second early");
    let claimed = store.claim_mail(retry_at, lease(retry_at), 10).unwrap();
    assert!(matches!(claimed[0].delivery, DeliveryState::Failed { attempts: 2, retry_at: Some(t), .. } if t == retry_at));
    // Parked: never claimed again, however late, until requeued.
    store.settle_mail(id, &DeliveryState::Parked { attempts: 3, last_error: "refused".into(), parked_at: retry_at }).unwrap();
    let much_later = retry_at + Duration::days(30);
    assert!(store.claim_mail(much_later, lease(much_later), 10).unwrap().is_empty(), "a parked mail was claimed");
    assert!(matches!(store.outbox().unwrap()[1].delivery, DeliveryState::Parked { attempts: 3, .. }), "parked mail stays in the outbox");
    assert_eq!(
        store.requeue_mail(MailId::new(org, 1), &DeliveryState::Pending).unwrap_err().code(),
        "conflict",
        "a sent mail is not requeued"
    );
    assert_eq!(store.requeue_mail(MailId::new(org, 99), &DeliveryState::Pending).unwrap_err().code(), "not_found");
    store.requeue_mail(id, &DeliveryState::Pending).unwrap();
    assert_eq!(store.requeue_mail(id, &DeliveryState::Pending).unwrap_err().code(), "conflict", "requeued twice");
    let claimed = store.claim_mail(much_later, lease(much_later), 10).unwrap();
    assert_eq!((claimed.len(), &claimed[0].delivery), (1, &DeliveryState::Pending), "a requeued mail is due at once");
}

#[allow(clippy::unwrap_used)]
fn center_state_survives_a_new_center(fresh: &dyn Fn() -> Arc<dyn Store>) {
    let store = fresh();
    let clock = Arc::new(ManualClock::new(at()));
    let make = || BenefitCenter::new(Arc::clone(&store), Arc::new(RecordingMailer::new()), clock.clone(), Catalog::builtin().unwrap());
    let center = make();
    let org = center.create_organization("Contoso Ltd", "partners@contoso.com", "Avery Admin", "avery@contoso.com").unwrap();
    let product_keys = |p: &str, n: usize| (0..n).map(|i| LicenseKey::new(format!("{p}-{i}")).unwrap()).collect();
    for p in ["windows-server", "office-professional-plus", "microsoft-365-e3"] {
        center.program().stock_keys(p, product_keys(p, 10)).unwrap();
    }
    let admin = center.session(org.id, org.admin_id);
    let dev = admin.add_user("Devon Dev", "devon@contoso.com", &[]).unwrap();
    let package = admin.purchase_package("action-pack").unwrap();
    let vs = admin.benefits_in(crate::Category::VisualStudio).unwrap().remove(0);
    admin.assign_user(vs.id, dev).unwrap();
    let before = admin.all_benefits().unwrap();
    let reopened = make();
    let again = reopened.session(org.id, org.admin_id);
    assert_eq!(again.all_benefits().unwrap(), before);
    assert_eq!(again.package(package).unwrap().benefit_ids.len(), before.len());
    assert_eq!(reopened.program().key_pool("windows-server").unwrap().allocated, 1);
    assert_eq!(reopened.outbox().unwrap().len(), 1, "one assignment mail");
}

#[cfg(test)]
mod tests {
    #[test]
    fn memory_store_conforms() {
        super::run_all(&|| std::sync::Arc::new(crate::MemoryStore::new()));
    }
}
