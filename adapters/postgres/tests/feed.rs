//! The changes feed on PostgreSQL, where a transaction that started first
//! can commit last: an event is numbered only once every older transaction
//! has ended, so a reader paging past it can never miss one that commits
//! later. Checked by holding a transaction open by hand, and with two writer
//! processes and a paging reader.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use partner_benefits::conformance::changes::{assert_read_is_the_feed, follow, read_all};
use partner_benefits::event::{Actor, Event, RecordedEvent};
use partner_benefits::store::Store;
use partner_benefits::{BenefitCenter, ManualClock, OrganizationId, PartnerLevel, StreamId};

const CHILD_ENTRY: &str = "feed_child";

/// A transaction open anywhere on the server holds the feed back (its xmin
/// is the server's), so these tests take turns: one holding a transaction
/// open would stall another's reader.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
/// Users each writer process adds, one commit each, to its own organization.
const USERS: usize = 40;

fn center_on(store: Arc<dyn Store>) -> BenefitCenter {
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().unwrap();
    BenefitCenter::new(
        store,
        Arc::new(partner_benefits::RecordingMailer::new()),
        Arc::new(ManualClock::new(at)),
        partner_benefits::Catalog::builtin().unwrap(),
    )
}

/// A plain client on the store's schema, to hold a transaction open by hand.
fn raw_client(url: &str, schema: &str) -> postgres::Client {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client.batch_execute(&format!("SET search_path TO {schema}")).unwrap();
    client
}

#[test]
fn an_event_waits_for_an_older_transaction_still_in_flight_and_comes_after_it() {
    let Some(url) = common::pg_url("an_event_waits_for_an_older_transaction_still_in_flight_and_comes_after_it") else { return };
    let _turn = one_at_a_time();
    let schema = common::unique_schema("feed_gap");
    let store: Arc<dyn Store> = Arc::new(common::store_in(&url, &schema, 2));
    let center = center_on(Arc::clone(&store));
    let org = center.create_organization("Contoso Ltd", "partners@contoso.com", "Avery Admin", "avery@contoso.com").unwrap();
    let seen = center.changes(0, 100).unwrap();
    assert_eq!(seen.len(), 1, "the organization's creation");
    let cursor = seen[0].position;

    // An older transaction: it writes an event of another organization and stays open.
    let mut slow = raw_client(&url, &schema);
    let mut open = slow.transaction().unwrap();
    let other = OrganizationId::new(store.allocate_organization_id().unwrap().number());
    let event = RecordedEvent {
        stream: StreamId::Organization(other),
        version: 1,
        at: seen[0].at,
        actor: Actor::Program,
        event: Event::PartnerLevelSet { level: PartnerLevel::Gold },
    };
    let stream = event.stream.to_string();
    let organization = i64::try_from(other.number()).unwrap();
    open.execute("INSERT INTO pb_streams (stream, organization, version) VALUES ($1, $2, 1)", &[&stream, &organization]).unwrap();
    open.execute("INSERT INTO pb_events (stream, version, body) VALUES ($1, 1, $2)", &[&stream, &serde_json::to_string(&event).unwrap()])
        .unwrap();

    // A younger one commits meanwhile, through the library.
    center.session(org.id, org.admin_id).add_user("Devon Dev", "devon@contoso.com", &[]).unwrap();
    assert!(center.changes(cursor, 100).unwrap().is_empty(), "nothing is numbered while an older transaction may still commit");

    open.commit().unwrap();
    let next = center.changes(cursor, 100).unwrap();
    let order: Vec<(Option<OrganizationId>, &str)> = next.iter().map(|c| (c.organization_id, c.kind.as_str())).collect();
    assert_eq!(order, [(Some(other), "partner_level_set"), (Some(org.id), "user_added")], "in transaction order");
    assert!(next[0].position > cursor && next[1].position == next[0].position + 1);
    assert_eq!(read_all(store.as_ref(), 0, 1).len(), 3, "no event twice");
}

#[test]
fn an_aborted_older_transaction_holds_nothing_back_once_it_ends() {
    let Some(url) = common::pg_url("an_aborted_older_transaction_holds_nothing_back_once_it_ends") else { return };
    let _turn = one_at_a_time();
    let schema = common::unique_schema("feed_abort");
    let store: Arc<dyn Store> = Arc::new(common::store_in(&url, &schema, 2));
    let center = center_on(Arc::clone(&store));
    let mut slow = raw_client(&url, &schema);
    let mut open = slow.transaction().unwrap();
    // Taking a transaction id is enough to be "in flight".
    open.query_one("SELECT pg_current_xact_id()", &[]).unwrap();
    center.create_organization("Contoso Ltd", "partners@contoso.com", "Avery Admin", "avery@contoso.com").unwrap();
    assert!(center.changes(0, 100).unwrap().is_empty());
    open.rollback().unwrap();
    assert_eq!(center.changes(0, 100).unwrap().len(), 1);
}

/// A writer process: its own organization, then one commit per user.
#[test]
fn feed_child() {
    if common::child_role().as_deref() != Some("feed") {
        return;
    }
    let (url, schema, tag) = (std::env::var("PGURL").unwrap(), std::env::var("PB_SCHEMA").unwrap(), std::env::var("PB_TAG").unwrap());
    let center = center_on(Arc::new(common::store_in(&url, &schema, 1)));
    let org = center.create_organization(&format!("Writer {tag}"), "partners@w.example", "Avery Admin", "avery@w.example").unwrap();
    let admin = center.session(org.id, org.admin_id);
    for i in 0..USERS {
        admin.add_user(&format!("User {i}"), &format!("user{i}@{tag}.example"), &[]).unwrap();
    }
}

#[test]
fn two_writer_processes_and_a_paging_reader_see_every_event_once_in_order() {
    let Some(url) = common::pg_url("two_writer_processes_and_a_paging_reader_see_every_event_once_in_order") else { return };
    let _turn = one_at_a_time();
    let schema = common::unique_schema("feed_procs");
    let reader = common::store_in(&url, &schema, 1);
    let mut writers: Vec<_> = ["a", "b"]
        .iter()
        .map(|tag| {
            common::child_command(CHILD_ENTRY, "feed")
                .env("PGURL", &url)
                .env("PB_SCHEMA", &schema)
                .env("PB_TAG", tag)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let read = follow(&reader, 5, 2 * (1 + USERS));
    for writer in &mut writers {
        assert!(writer.wait().unwrap().success(), "a writer failed");
    }
    assert_read_is_the_feed(&reader, &read);
    assert_eq!(read.len(), 2 * (1 + USERS), "each writer's creation and users, once each");
    for org in reader.organizations().unwrap() {
        let versions: Vec<u64> = read.iter().filter(|c| c.event.stream == StreamId::Organization(org)).map(|c| c.event.version).collect();
        assert_eq!(versions, (1..=1 + USERS as u64).collect::<Vec<_>>(), "{org} in version order");
    }
}
