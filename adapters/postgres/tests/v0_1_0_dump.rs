//! A PostgreSQL database written by release 0.1.0 keeps opening, with the
//! same data.
//!
//! `tests/fixtures/v0_1_0/postgres.sql` is `pg_dump` of the schema 0.1.0's
//! store wrote the fixture scenario into (see the README beside it). Loaded
//! into a fresh schema, the current code must render exactly what 0.1.0
//! rendered from its SQLite file (`expected.txt`: 0.1.0 rendered the restored
//! dump to the same text), take new commands, and carry on its ids.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

#[path = "../../../tests/fixtures/v0_1_0/compare.rs"]
mod compare;
#[path = "../../../tests/fixtures/v0_1_0/render.rs"]
mod render;
use compare::assert_same_text;

use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use partner_benefits::{BenefitCenter, Catalog, ManualClock, OrganizationId, RecordingMailer, Status, Timestamp, UserId};
use partner_benefits_postgres::SCHEMA_VERSION;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/v0_1_0");

/// The schema name the dump was taken from.
const DUMPED_SCHEMA: &str = "pb_fixture_v0_1_0";

/// The generator's render time: an hour after its last command, nothing due.
fn render_at() -> Timestamp {
    Utc.with_ymd_and_hms(2027, 3, 19, 18, 0, 0).single().unwrap()
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(Path::new(FIXTURE).join(name)).unwrap()
}

/// Loads the dump into the new schema `schema`, with or without its snapshots.
fn load(url: &str, schema: &str, snapshots: bool) {
    let dump = fixture("postgres.sql");
    assert!(dump.contains(&format!("CREATE SCHEMA {DUMPED_SCHEMA};")), "the dump names its schema");
    // psql meta-commands (`\restrict`, which newer pg_dump writes) are for
    // psql, not the server; the rest is plain SQL. Each test gets its own schema.
    let sql: String = dump.lines().filter(|l| !l.starts_with('\\')).map(|l| l.replace(DUMPED_SCHEMA, schema) + "\n").collect();
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client.batch_execute(&sql).unwrap();
    if !snapshots {
        let deleted = client.execute(&format!("DELETE FROM {schema}.pb_snapshots"), &[]).unwrap();
        assert!(deleted > 0, "the dump has snapshots to delete");
    }
}

fn drop_schema(url: &str, schema: &str) {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client.batch_execute(&format!("DROP SCHEMA {schema} CASCADE")).unwrap();
}

/// A center on the loaded schema exactly as a user builds one.
fn open(url: &str, schema: &str, clock: Arc<ManualClock>) -> BenefitCenter {
    let store = Arc::new(common::store_in(url, schema, 2));
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION, "opening brings the database to the current schema");
    BenefitCenter::new(store, Arc::new(RecordingMailer::new()), clock, Catalog::builtin().unwrap())
}

#[test]
fn a_0_1_0_database_opens_with_the_same_data() {
    let Some(url) = common::pg_url("a_0_1_0_database_opens_with_the_same_data") else { return };
    let schema = common::unique_schema("v010");
    load(&url, &schema, true);
    let center = open(&url, &schema, Arc::new(ManualClock::new(render_at())));
    assert_same_text(&fixture("expected.txt"), &render::render(&center).unwrap(), "rendering of the 0.1.0 database");
    drop(center);
    drop_schema(&url, &schema);
}

#[test]
fn a_0_1_0_database_renders_the_same_without_its_snapshots() {
    let Some(url) = common::pg_url("a_0_1_0_database_renders_the_same_without_its_snapshots") else { return };
    let schema = common::unique_schema("v010s");
    load(&url, &schema, false);
    let center = open(&url, &schema, Arc::new(ManualClock::new(render_at())));
    assert_same_text(&fixture("expected.txt"), &render::render(&center).unwrap(), "rendering without snapshots");
    drop(center);
    drop_schema(&url, &schema);
}

#[test]
fn a_0_1_0_database_takes_new_commands() {
    let Some(url) = common::pg_url("a_0_1_0_database_takes_new_commands") else { return };
    let schema = common::unique_schema("v010n");
    load(&url, &schema, true);
    let clock = Arc::new(ManualClock::new(render_at()));
    let fabrikam = OrganizationId::new(3);
    let fay = UserId::new(fabrikam, 1);
    let (package, keys, created) = {
        let center = open(&url, &schema, clock.clone());
        let admin = center.session(fabrikam, fay);
        let package = admin.purchase_package("action-pack").unwrap();
        let windows = admin.benefits(package).unwrap().into_iter().find(|b| b.code == "windows-server").unwrap();
        let keys: Vec<String> = admin.get_keys(windows.id, "en", "x64").unwrap().keys.iter().map(|k| k.reveal().to_string()).collect();
        // The pool and the organization sequence carry on from 0.1.0's.
        assert_eq!(keys, ["V010-FAKE-WINDOWS-SERVER-0010"]);
        let created = center.create_organization("Litware Inc", "partners@litware.example", "Lou Admin", "lou@litware.example").unwrap();
        assert_eq!(created.id, OrganizationId::new(5));
        assert_eq!(center.process_due().unwrap(), 0, "nothing was due at the fixture's render time");
        let report = center.dispatch_mail().unwrap();
        assert_eq!((report.sent, report.failed), (7 + 2, 0), "0.1.0's 7 queued and 2 refused mails were sent");
        (package, keys, created.id)
    };
    let center = open(&url, &schema, clock);
    let admin = center.session(fabrikam, fay);
    assert_eq!(admin.package(package).unwrap().status, Status::Active);
    let windows = admin.benefits(package).unwrap().into_iter().find(|b| b.code == "windows-server").unwrap();
    let again: Vec<String> = admin.get_keys(windows.id, "en", "x64").unwrap().keys.iter().map(|k| k.reveal().to_string()).collect();
    assert_eq!(again, keys);
    assert_eq!(center.program().organizations().unwrap().last(), Some(&created));
    assert!(center.outbox().unwrap().iter().all(|m| !m.delivery.is_due()), "sent stays sent");
    drop((admin, center));
    drop_schema(&url, &schema);
}

/// The dump's events get the same feed as the SQLite file 0.1.0 wrote from
/// the same scenario: both stores number old events the same way.
#[test]
fn a_0_1_0_database_gets_the_same_changes_feed_as_the_0_1_0_file() {
    let Some(url) = common::pg_url("a_0_1_0_database_gets_the_same_changes_feed_as_the_0_1_0_file") else { return };
    let schema = common::unique_schema("v010_feed");
    load(&url, &schema, true);
    let center = open(&url, &schema, Arc::new(ManualClock::new(render_at())));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("benefits.db");
    std::fs::copy(Path::new(FIXTURE).join("benefits.db"), &file).unwrap();
    let sqlite = BenefitCenter::new(
        Arc::new(partner_benefits_sqlite::SqliteStore::open(&file).unwrap()),
        Arc::new(RecordingMailer::new()),
        Arc::new(ManualClock::new(render_at())),
        Catalog::builtin().unwrap(),
    );
    let page = partner_benefits::MAX_CHANGES_PAGE;
    let from_postgres = center.changes(0, page).unwrap();
    assert!(from_postgres.len() > 300, "the dump's events are in the feed: {}", from_postgres.len());
    assert_eq!(from_postgres, sqlite.changes(0, page).unwrap());
    drop(center);
    drop_schema(&url, &schema);
}
