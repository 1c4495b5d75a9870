//! The PostgreSQL store against a real server: the shared conformance suite,
//! migrations, and connection failures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use partner_benefits::{Error, Store};
use partner_benefits_postgres::{PostgresOptions, PostgresStore, SCHEMA_VERSION};

#[test]
fn conformance_suite_passes_on_postgres() {
    let Some(url) = common::pg_url("conformance_suite_passes_on_postgres") else { return };
    // Every call of `fresh` gets a new, empty schema.
    partner_benefits::conformance::run_all(&|| common::fresh(&url, "conf") as Arc<dyn Store>);
}

#[test]
fn two_instances_starting_together_migrate_once() {
    let Some(url) = common::pg_url("two_instances_starting_together_migrate_once") else { return };
    let schema = common::unique_schema("mig");
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let (url, schema) = (url.clone(), schema.clone());
            std::thread::spawn(move || common::store_in(&url, &schema, 1))
        })
        .collect();
    let stores: Vec<PostgresStore> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(stores[0].schema_version().unwrap(), SCHEMA_VERSION);
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rows = client.query(&format!("SELECT version FROM {schema}.pb_migrations ORDER BY version"), &[]).unwrap();
    let versions: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, (1..=SCHEMA_VERSION as i32).collect::<Vec<_>>(), "each migration ran exactly once");
}

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let Some(url) = common::pg_url("a_newer_schema_is_refused_and_left_untouched") else { return };
    let schema = common::unique_schema("newer");
    let store = common::store_in(&url, &schema, 1);
    let org = store.allocate_organization_id().unwrap();
    drop(store);
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client.batch_execute(&format!("INSERT INTO {schema}.pb_migrations (version) VALUES (999)")).unwrap();
    let tables = |client: &mut postgres::Client| -> i64 {
        client.query_one("SELECT count(*) FROM information_schema.tables WHERE table_schema = $1", &[&schema]).unwrap().get(0)
    };
    let before = tables(&mut client);

    let err = PostgresStore::connect_with(&url, PostgresOptions { schema: Some(schema.clone()), ..PostgresOptions::default() })
        .expect_err("a newer schema must be refused");
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");
    assert!(err.to_string().contains("999"), "the message names the version: {err}");

    assert_eq!(tables(&mut client), before, "no table was added or dropped");
    let max: i32 = client.query_one(&format!("SELECT max(version) FROM {schema}.pb_migrations"), &[]).unwrap().get(0);
    assert_eq!(max, 999, "the version record is unchanged");
    let next: i64 = client.query_one(&format!("SELECT last_value FROM {schema}.pb_organization_ids"), &[]).unwrap().get(0);
    assert_eq!(next as u64, org.number(), "the data is unchanged");
}

#[test]
fn a_malformed_url_is_a_storage_error() {
    for url in ["postgres://host:notaport/db", "not a url at all =", "postgres://u@h/db?sslmode=bogus"] {
        match PostgresStore::connect(url) {
            Err(Error::Storage { message }) => assert!(message.contains("URL"), "{message}"),
            other => panic!("`{url}` gave {other:?}"),
        }
    }
}

#[test]
fn an_unreachable_server_is_a_storage_error_without_a_hang() {
    // A port nobody listens on: connection refused.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = Instant::now();
    let err = PostgresStore::connect(&format!("postgres://user:hunter2@127.0.0.1:{port}/db")).unwrap_err();
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");
    assert!(!err.to_string().contains("hunter2"), "the password leaked: {err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_silent_server_times_out() {
    // Accepts TCP but never answers the startup message.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = Instant::now();
    let options = PostgresOptions { connect_timeout: Duration::from_millis(700), ..PostgresOptions::default() };
    let err = PostgresStore::connect_with(&format!("postgres://u@127.0.0.1:{port}/db"), options).unwrap_err();
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");
    assert!(err.to_string().contains("timeout"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    drop(listener);
}

#[test]
fn snapshots_open_a_long_stream_to_the_same_state_as_replay() {
    let Some(url) = common::pg_url("snapshots_open_a_long_stream_to_the_same_state_as_replay") else { return };
    let store: Arc<dyn Store> = common::fresh(&url, "snap");
    let clock = Arc::new(partner_benefits::ManualClock::new(chrono::DateTime::<chrono::Utc>::from(std::time::UNIX_EPOCH)));
    let make = |every: u64| {
        partner_benefits::BenefitCenter::with_options(
            Arc::clone(&store),
            Arc::new(partner_benefits::RecordingMailer::new()),
            clock.clone(),
            partner_benefits::Catalog::builtin().unwrap(),
            // A fixed cadence (no size rule), so the snapshot's version is known.
            partner_benefits::CenterOptions {
                snapshot_every: every,
                snapshot_bytes_per_event: 0,
                ..partner_benefits::CenterOptions::default()
            },
        )
    };
    let center = make(7);
    let org = center.create_organization("Contoso", "p@snap.example", "Avery Admin", "avery@snap.example").unwrap();
    let admin = center.session(org.id, org.admin_id);
    for i in 0..40 {
        admin.add_user(&format!("User {i}"), &format!("u{i}@snap.example"), &[]).unwrap();
    }
    let loaded = store.load(&partner_benefits::StreamId::Organization(org.id), 0).unwrap();
    let snapshot = loaded.snapshot.expect("a snapshot was kept");
    assert!(snapshot.version >= 35, "snapshot at {}", snapshot.version);
    assert!(loaded.events.len() < 7);
    // A center that opens from the snapshot and one that replays everything agree.
    let from_snapshot = make(7).session(org.id, org.admin_id).users().unwrap();
    let replayed = partner_benefits::BenefitCenter::new(
        Arc::new(ReplayOnly(Arc::clone(&store))),
        Arc::new(partner_benefits::RecordingMailer::new()),
        clock.clone(),
        partner_benefits::Catalog::builtin().unwrap(),
    )
    .session(org.id, org.admin_id)
    .users()
    .unwrap();
    assert_eq!(from_snapshot, replayed);
    assert_eq!(replayed.len(), 41);
}

/// A store view that hides snapshots, to compare with a full replay.
struct ReplayOnly(Arc<dyn Store>);

impl Store for ReplayOnly {
    fn allocate_organization_id(&self) -> Result<partner_benefits::OrganizationId, Error> {
        self.0.allocate_organization_id()
    }
    fn organizations(&self) -> Result<Vec<partner_benefits::OrganizationId>, Error> {
        self.0.organizations()
    }
    fn load(&self, stream: &partner_benefits::StreamId, after: u64) -> Result<partner_benefits::store::Loaded, Error> {
        Ok(partner_benefits::store::Loaded { snapshot: None, events: self.0.read_events(stream, after, usize::MAX)? })
    }
    fn read_events(
        &self,
        stream: &partner_benefits::StreamId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<partner_benefits::RecordedEvent>, Error> {
        self.0.read_events(stream, after, limit)
    }
    fn commit(&self, commit: partner_benefits::store::Commit) -> Result<(), Error> {
        self.0.commit(commit)
    }
    fn save_snapshot(&self, _: partner_benefits::store::Snapshot) -> Result<(), Error> {
        Ok(())
    }
    fn vault_keys(
        &self,
        product: &partner_benefits::values::Code,
        first: u64,
        count: u32,
    ) -> Result<Vec<partner_benefits::LicenseKey>, Error> {
        self.0.vault_keys(product, first, count)
    }
    fn free_keys(&self, product: &partner_benefits::values::Code, up_to: u64) -> Result<u64, Error> {
        self.0.free_keys(product, up_to)
    }
    fn claimed_keys(
        &self,
        product: &partner_benefits::values::Code,
        claim: &partner_benefits::event::KeyClaim,
    ) -> Result<Vec<(u64, partner_benefits::LicenseKey)>, Error> {
        self.0.claimed_keys(product, claim)
    }
    fn idempotency(
        &self,
        org: partner_benefits::OrganizationId,
        key: &str,
    ) -> Result<Option<partner_benefits::store::IdempotencyRecord>, Error> {
        self.0.idempotency(org, key)
    }
    fn claim_mail(
        &self,
        now: partner_benefits::Timestamp,
        until: partner_benefits::Timestamp,
        limit: usize,
    ) -> Result<Vec<partner_benefits::OutboxEntry>, Error> {
        self.0.claim_mail(now, until, limit)
    }
    fn settle_mail(
        &self,
        id: partner_benefits::MailId,
        delivery: &partner_benefits::lifecycle::delivery::DeliveryState,
    ) -> Result<(), Error> {
        self.0.settle_mail(id, delivery)
    }
    fn outbox(&self) -> Result<Vec<partner_benefits::OutboxEntry>, Error> {
        self.0.outbox()
    }

    fn changes(&self, after: u64, limit: usize) -> Result<Vec<partner_benefits::Positioned>, Error> {
        self.0.changes(after, limit)
    }

    fn vault_status(&self) -> Result<partner_benefits::store::VaultStatus, Error> {
        self.0.vault_status()
    }

    fn reseal_vault(&self, batch: u32) -> Result<partner_benefits::store::Resealed, Error> {
        self.0.reseal_vault(batch)
    }

    fn requeue_mail(
        &self,
        id: partner_benefits::MailId,
        delivery: &partner_benefits::lifecycle::delivery::DeliveryState,
    ) -> Result<(), Error> {
        self.0.requeue_mail(id, delivery)
    }
}

#[test]
fn sixteen_stores_appending_the_same_version_have_exactly_one_winner() {
    use partner_benefits::event::{Actor, Event, RecordedEvent};
    use partner_benefits::store::{Append, Commit};
    let Some(url) = common::pg_url("sixteen_stores_appending_the_same_version_have_exactly_one_winner") else { return };
    let schema = common::unique_schema("cas");
    let first = common::store_in(&url, &schema, 1);
    let center = partner_benefits::BenefitCenter::new(
        Arc::new(common::store_in(&url, &schema, 1)),
        Arc::new(partner_benefits::RecordingMailer::new()),
        Arc::new(partner_benefits::ManualClock::new(chrono::DateTime::<chrono::Utc>::from(std::time::UNIX_EPOCH))),
        partner_benefits::Catalog::builtin().unwrap(),
    );
    let org = center.create_organization("Contoso", "p@cas.example", "Avery Admin", "avery@cas.example").unwrap();
    let stream = partner_benefits::StreamId::Organization(org.id);
    for round in 1..=5u64 {
        let barrier = Arc::new(std::sync::Barrier::new(16));
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let (url, schema, stream, barrier) = (url.clone(), schema.clone(), stream.clone(), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    let store = common::store_in(&url, &schema, 1);
                    let event = RecordedEvent {
                        stream: stream.clone(),
                        version: round + 1,
                        at: chrono::DateTime::<chrono::Utc>::from(std::time::UNIX_EPOCH),
                        actor: Actor::Program,
                        event: Event::PartnerLevelSet { level: partner_benefits::PartnerLevel::Silver },
                    };
                    barrier.wait();
                    store.commit(Commit {
                        appends: vec![Append { stream, expected_version: round, events: vec![event] }],
                        ..Commit::default()
                    })
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "round {round}: {results:?}");
        assert!(results.iter().all(|r| matches!(r, Ok(()) | Err(Error::Conflict { .. }))), "{results:?}");
    }
    let versions: Vec<u64> = first.read_events(&stream, 0, usize::MAX).unwrap().iter().map(|e| e.version).collect();
    assert_eq!(versions, (1..=6).collect::<Vec<_>>());
}

#[test]
fn sslmode_require_fails_rather_than_going_plain() {
    let Some(url) = common::pg_url("sslmode_require_fails_rather_than_going_plain") else { return };
    let url = format!("{url}{}sslmode=require", if url.contains('?') { '&' } else { '?' });
    assert!(matches!(PostgresStore::connect(&url), Err(Error::Storage { .. })));
}

#[test]
fn debug_output_never_shows_the_password() {
    let Some(url) = common::pg_url("debug_output_never_shows_the_password") else { return };
    let store = common::fresh(&url, "dbg");
    let shown = format!("{store:?}");
    assert!(shown.contains("PostgresStore"), "{shown}");
    assert!(!shown.contains("password"), "{shown}");
}

#[test]
fn a_bad_schema_name_is_invalid_input() {
    let options = PostgresOptions { schema: Some("Robert'); DROP TABLE".into()), ..PostgresOptions::default() };
    assert!(matches!(PostgresStore::connect_with("postgres://u@127.0.0.1:1/db", options), Err(Error::InvalidInput { .. })));
}
