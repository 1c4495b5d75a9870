//! The SQLite store against the core's conformance suite, plus what only a
//! real file shows: migrations, snapshots on disk and the outbox across reopen.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::sync::Arc;
use std::thread;

use chrono::Duration;
use common::{at, center_at, center_on, from_snapshot, replayed, setup};
use partner_benefits::lifecycle::delivery::DeliveryState;
use partner_benefits::store::{Append, Commit};
use partner_benefits::{BenefitCenter, Catalog, CenterOptions, Clock, MailTopic, ManualClock, RecordingMailer, Role, Store, StreamId};
use partner_benefits_sqlite::{SCHEMA_VERSION, SqliteOptions, SqliteStore, Synchronous, SystemClock};

#[test]
fn sqlite_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let count = std::sync::atomic::AtomicUsize::new(0);
    partner_benefits::conformance::run_all(&|| {
        let n = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Arc::new(SqliteStore::open(dir.path().join(format!("store-{n}.db"))).unwrap())
    });
}

#[test]
fn sqlite_store_conforms_with_synchronous_normal() {
    let dir = tempfile::tempdir().unwrap();
    let count = std::sync::atomic::AtomicUsize::new(0);
    partner_benefits::conformance::run_all(&|| {
        let n = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let options = SqliteOptions { synchronous: Synchronous::Normal, ..SqliteOptions::default() };
        Arc::new(SqliteStore::open_with(dir.path().join(format!("store-{n}.db")), options).unwrap())
    });
}

#[test]
fn state_persists_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let (org, admin, before) = {
        let center = center_at(&path, 0);
        let s = setup(&center, 2);
        let session = center.session(s.org, s.admin);
        session.assign_user(s.visual_studio, s.users[0]).unwrap();
        (s.org, s.admin, session.all_benefits().unwrap())
    };
    let center = center_at(&path, 0);
    assert_eq!(center.session(org, admin).all_benefits().unwrap(), before);
    assert_eq!(center.session(org, admin).users().unwrap().len(), 3);
    assert_eq!(center.program().organizations().unwrap(), vec![org]);
}

#[test]
fn an_older_schema_is_migrated_in_place_keeping_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    SqliteStore::create_at_schema_version(&path, 1).unwrap();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, 1);
        let snapshots: u32 = conn.query_row("SELECT count(*) FROM sqlite_schema WHERE name = 'snapshots'", [], |r| r.get(0)).unwrap();
        assert_eq!(snapshots, 0, "version 1 has no snapshots table");
        conn.execute("UPDATE counters SET value = 41 WHERE name = 'organization'", []).unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.allocate_organization_id().unwrap().number(), 42, "data written at version 1 was kept");
    let center = center_on(Arc::new(store), 2);
    let s = setup(&center, 3);
    let (state, snapshot) = from_snapshot(center.store().as_ref(), s.org);
    assert!(snapshot.is_some(), "the migrated file keeps snapshots");
    common::assert_same_state(&state, &replayed(center.store().as_ref(), s.org), "snapshot vs full replay after migration");
}

/// Replaying from the newest snapshot gives the same state as replaying
/// every event, and a new center opening from the snapshot sees the same.
#[test]
fn replay_from_the_last_snapshot_equals_full_replay() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let center = center_at(&path, 4);
    let s = setup(&center, 6);
    let admin = center.session(s.org, s.admin);
    for (i, user) in s.users.iter().enumerate() {
        if i < 3 {
            admin.assign_user(s.visual_studio, *user).unwrap();
        }
        admin.set_user_roles(*user, &[Role::UserAdmin]).unwrap();
    }
    admin.unassign_user(s.visual_studio, s.users[0]).unwrap();
    admin.purchase_package("action-pack").unwrap();
    let expected = admin.all_benefits().unwrap();
    drop(admin);
    drop(center);

    let store = SqliteStore::open(&path).unwrap();
    let full = replayed(&store, s.org);
    let (fast, snapshot_at) = from_snapshot(&store, s.org);
    let snapshot_at = snapshot_at.expect("a snapshot was written");
    assert!(snapshot_at > 1 && snapshot_at <= full.version, "snapshot at {snapshot_at} of {}", full.version);
    common::assert_same_state(&fast, &full, "replay from the snapshot vs full replay");
    // One snapshot per stream: the newest.
    let rows: u32 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT count(*) FROM snapshots WHERE stream = ?1", [StreamId::Organization(s.org).to_string()], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1);
    let reopened = center_on(Arc::new(store), 4);
    assert_eq!(reopened.session(s.org, s.admin).all_benefits().unwrap(), expected);
}

#[test]
fn a_stale_writer_on_another_connection_gets_conflict_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let a = SqliteStore::open(&path).unwrap();
    let b = SqliteStore::open(&path).unwrap();
    let center = center_on(Arc::new(SqliteStore::open(&path).unwrap()), 0);
    let s = setup(&center, 0);
    let stream = StreamId::Organization(s.org);
    let version = a.read_events(&stream, 0, usize::MAX).unwrap().len() as u64;
    let event = |v: u64| partner_benefits::RecordedEvent {
        stream: stream.clone(),
        version: v,
        at: at(),
        actor: partner_benefits::Actor::Program,
        event: partner_benefits::event::Event::PartnerLevelSet { level: partner_benefits::PartnerLevel::Gold },
    };
    let commit = || Commit {
        appends: vec![Append { stream: stream.clone(), expected_version: version, events: vec![event(version + 1)] }],
        ..Commit::default()
    };
    a.commit(commit()).unwrap();
    let err = b.commit(commit()).unwrap_err();
    assert_eq!(err.code(), "conflict", "{err}");
    assert_eq!(b.read_events(&stream, 0, usize::MAX).unwrap().len() as u64, version + 1);
}

fn assignment_mails(store: &dyn Store) -> Vec<partner_benefits::OutboxEntry> {
    store.outbox().unwrap().into_iter().filter(|e| matches!(e.mail.topic, MailTopic::SubscriptionAssigned { .. })).collect()
}

/// B6: mail commits with its change; after a crash between commit and
/// dispatch it is still queued, and it is sent exactly once.
#[test]
fn b6_mail_queued_before_a_crash_is_sent_exactly_once_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let (org, admin, user) = {
        let center = center_at(&path, 0);
        let s = setup(&center, 1);
        center.session(s.org, s.admin).assign_user(s.visual_studio, s.users[0]).unwrap();
        // "Crash": the process ends without dispatching.
        (s.org, s.admin, s.users[0])
    };
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    let pending = assignment_mails(store.as_ref());
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].delivery, DeliveryState::Pending);

    let mailer = Arc::new(RecordingMailer::new());
    let clock = Arc::new(ManualClock::new(at()));
    let center = BenefitCenter::new(Arc::clone(&store), mailer.clone(), clock.clone(), Catalog::builtin().unwrap());
    assert_eq!(center.dispatch_mail().unwrap().sent, 1);
    assert_eq!(center.dispatch_mail().unwrap().sent, 0);
    clock.advance(Duration::hours(1));
    assert_eq!(center.dispatch_mail().unwrap().sent, 0, "a sent mail was sent again after its lease");
    drop(center);
    drop(store);

    // Reopened elsewhere: still sent, never again.
    let again = Arc::new(RecordingMailer::new());
    let center = BenefitCenter::new(
        Arc::new(SqliteStore::open(&path).unwrap()),
        again.clone(),
        Arc::new(ManualClock::new(at() + Duration::days(1))),
        Catalog::builtin().unwrap(),
    );
    assert_eq!(center.dispatch_mail().unwrap().sent, 0);
    assert!(again.sent().is_empty());
    let sent = mailer.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0], pending[0].mail);
    let entry = assignment_mails(center.store().as_ref()).remove(0);
    assert!(matches!(entry.delivery, DeliveryState::Sent { attempts: 1, .. }));
    let _ = (org, admin, user);
}

/// B6: two dispatchers with their own connections never both send a mail.
#[test]
fn b6_two_dispatchers_on_one_file_send_each_mail_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    {
        let center = center_at(&path, 0);
        let s = setup(&center, 3);
        let admin = center.session(s.org, s.admin);
        for user in &s.users {
            admin.assign_user(s.visual_studio, *user).unwrap();
        }
    }
    let mailers: Vec<Arc<RecordingMailer>> = (0..4).map(|_| Arc::new(RecordingMailer::new())).collect();
    let handles: Vec<_> = mailers
        .iter()
        .map(|mailer| {
            let (path, mailer) = (path.clone(), Arc::clone(mailer));
            thread::spawn(move || {
                let options = CenterOptions { dispatch_batch: 1, ..CenterOptions::default() };
                let center = BenefitCenter::with_options(
                    Arc::new(SqliteStore::open(&path).unwrap()),
                    mailer,
                    Arc::new(ManualClock::new(at())),
                    Catalog::builtin().unwrap(),
                    options,
                );
                for _ in 0..5 {
                    center.dispatch_mail().unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let mut sent: Vec<String> = mailers.iter().flat_map(|m| m.sent()).map(|m| m.id.to_string()).collect();
    let total = sent.len();
    sent.sort();
    sent.dedup();
    assert_eq!(total, sent.len(), "a mail was sent twice");
    assert_eq!(total, 3);
}

#[test]
fn system_clock_reads_the_wall_clock() {
    let before = chrono::Utc::now();
    let now = SystemClock.now();
    assert!(now >= before && now <= chrono::Utc::now());
}

/// A writer waits for another writer's lock (busy timeout) instead of failing.
#[test]
fn a_writer_waits_for_another_writers_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let store = SqliteStore::open(&path).unwrap();
    let mut other = rusqlite::Connection::open(&path).unwrap();
    let (tx_locked, rx_locked) = std::sync::mpsc::channel::<()>();
    let holder = thread::spawn(move || {
        let tx = other.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
        tx_locked.send(()).unwrap();
        thread::sleep(std::time::Duration::from_millis(300));
        tx.commit().unwrap();
    });
    rx_locked.recv().unwrap();
    let started = std::time::Instant::now();
    store.allocate_organization_id().unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_millis(200), "the writer did not wait for the lock");
    holder.join().unwrap();
}

/// Past the busy timeout a writer gets `conflict` (retry later), and nothing is written.
#[test]
fn a_lock_held_past_the_busy_timeout_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let options = SqliteOptions { busy_timeout: std::time::Duration::from_millis(100), ..SqliteOptions::default() };
    let store = SqliteStore::open_with(&path, options).unwrap();
    let mut other = rusqlite::Connection::open(&path).unwrap();
    let tx = other.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
    let started = std::time::Instant::now();
    let err = store.allocate_organization_id().unwrap_err();
    assert!(started.elapsed() >= std::time::Duration::from_millis(100));
    assert_eq!(err.code(), "conflict", "{err}");
    assert!(err.to_string().contains("busy timeout"), "{err}");
    tx.rollback().unwrap();
    assert_eq!(store.allocate_organization_id().unwrap().number(), 1, "the refused call wrote nothing");
}

/// A command whose commit waited out the busy timeout is decided again only
/// while the retry time lasts: the host's busy timeout is not multiplied by
/// the retry budget (32 attempts of 100 ms each here would be 3.3 s).
#[test]
fn a_command_that_waited_out_the_busy_timeout_is_not_retried_past_the_retry_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let options = SqliteOptions { busy_timeout: std::time::Duration::from_millis(100), ..SqliteOptions::default() };
    let center = common::center_on(Arc::new(SqliteStore::open_with(&path, options).unwrap()), 0);
    let org = center.create_organization("Contoso", "p@contoso.example", "Avery", "a@contoso.example").unwrap();
    let admin = center.session(org.id, org.admin_id);
    admin.organization().unwrap();
    let mut other = rusqlite::Connection::open(&path).unwrap();
    let tx = other.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
    let err = admin.add_user("Dana", "dana@contoso.example", &[]).unwrap_err();
    assert_eq!(err.code(), "conflict", "{err}");
    let message = err.to_string();
    assert!(message.contains("busy timeout"), "{message}");
    // Each attempt waits at least the busy timeout, so at most 2 s / 100 ms
    // attempts (and one more) start within the retry time.
    let attempts: u32 = message.split(" attempts").next().and_then(|head| head.rsplit('(').next()).unwrap().parse().unwrap();
    assert!((2..=21).contains(&attempts), "{attempts} attempts: {message}");
    tx.rollback().unwrap();
    admin.add_user("Dana", "dana@contoso.example", &[]).unwrap();
}
