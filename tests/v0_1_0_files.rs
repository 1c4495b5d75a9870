//! Files written by release 0.1.0 keep opening, with the same data.
//!
//! `fixtures/v0_1_0/benefits.db` was written by 0.1.0 through its public API
//! and `fixtures/v0_1_0/expected.txt` is what 0.1.0 itself read back from it
//! (see `fixtures/v0_1_0/README.md`). The current code opens a copy the way a
//! user would and must render the same text with the same rendering code
//! (`fixtures/v0_1_0/render.rs`, shared with the generator), take new commands
//! on it, and keep the old data as it was. The committed file is never opened
//! in place: opening may migrate it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

#[path = "fixtures/v0_1_0/compare.rs"]
mod compare;
#[path = "fixtures/v0_1_0/render.rs"]
mod render;
use compare::assert_same_text;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use partner_benefits::{
    BenefitCenter, BenefitView, Catalog, Category, ManualClock, OrganizationId, PackageId, RecordingMailer, Status, Timestamp, UserId,
};
use partner_benefits_sqlite::{APPLICATION_ID, SCHEMA_VERSION, SqliteStore};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/v0_1_0");

/// The generator's `RENDER_AT`: an hour after its last command, nothing due.
fn render_at() -> Timestamp {
    Utc.with_ymd_and_hms(2027, 3, 19, 18, 0, 0).single().unwrap()
}

/// The generator's organizations and the users the checks act as.
const NORTHWIND: u64 = 1;
const FABRIKAM: u64 = 3;
/// The generator's one idempotency-keyed command: Blake (usr-1-3) bought pkg-1-1.
const IDEMPOTENCY_KEY: &str = "northwind-first-action-pack";

fn org(n: u64) -> OrganizationId {
    OrganizationId::new(n)
}

/// The committed fixture, read once per test and checked unchanged at its end.
struct Committed {
    db: Vec<u8>,
    expected: String,
}

fn fixture_path(name: &str) -> PathBuf {
    Path::new(FIXTURE).join(name)
}

impl Committed {
    fn read() -> Self {
        Self::no_sidecars();
        let db = std::fs::read(fixture_path("benefits.db")).unwrap();
        let expected = std::fs::read_to_string(fixture_path("expected.txt")).unwrap();
        Self { db, expected }
    }

    /// A `-wal` or `-shm` beside the committed file would mean something opened it.
    fn no_sidecars() {
        for side in ["benefits.db-wal", "benefits.db-shm", "benefits.db-journal"] {
            assert!(!fixture_path(side).exists(), "`{side}` appeared beside the committed fixture: something opened it in place");
        }
    }

    /// A fresh copy of the file in `dir`.
    fn copy_into(&self, dir: &Path) -> PathBuf {
        let path = dir.join("benefits.db");
        std::fs::write(&path, &self.db).unwrap();
        path
    }

    /// The committed files are byte for byte what they were when the test began.
    fn check_unchanged(&self) {
        Self::no_sidecars();
        assert!(std::fs::read(fixture_path("benefits.db")).unwrap() == self.db, "the committed benefits.db changed");
        assert_eq!(std::fs::read_to_string(fixture_path("expected.txt")).unwrap(), self.expected, "the committed expected.txt changed");
    }
}

/// A center over `path` exactly as a user builds one.
fn open(path: &Path, clock: Arc<ManualClock>, mailer: Arc<RecordingMailer>) -> BenefitCenter {
    let store = Arc::new(SqliteStore::open(path).unwrap());
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION, "opening brings the file to the current schema");
    BenefitCenter::new(store, mailer, clock, Catalog::builtin().unwrap())
}

fn blocks(text: &str) -> BTreeMap<String, String> {
    let list = render::blocks(text);
    let map: BTreeMap<String, String> = list.iter().cloned().collect();
    assert_eq!(map.len(), list.len(), "block keys are unique");
    map
}

fn benefit(center: &BenefitCenter, org: OrganizationId, package: PackageId, code: &str) -> BenefitView {
    center.session(org, render::reader(org)).benefits(package).unwrap().into_iter().find(|b| b.code == code).unwrap()
}

fn header_u32(db: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(db[at..at + 4].try_into().unwrap())
}

#[test]
fn the_fixture_is_a_0_1_0_store_with_snapshots_and_events_after_them() {
    let committed = Committed::read();
    // Read from the bytes, not through SQLite: even a read-only connection
    // leaves `-wal`/`-shm` files beside a WAL-mode database.
    assert!(committed.db.starts_with(b"SQLite format 3\0"));
    assert_eq!(header_u32(&committed.db, 68), APPLICATION_ID as u32, "application id");
    assert_eq!(header_u32(&committed.db, 60), 2, "0.1.0 wrote schema version 2");
    let dir = tempfile::tempdir().unwrap();
    let copy = committed.copy_into(dir.path());
    let conn = rusqlite::Connection::open(&copy).unwrap();
    let with_tail: i64 = conn
        .query_row(
            "SELECT count(*) FROM snapshots s JOIN streams t ON t.stream = s.stream WHERE t.version > s.version AND s.stream LIKE 'org-%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(with_tail >= 1, "an organization has events after its snapshot");
    drop(conn);
    committed.check_unchanged();
}

#[test]
fn a_0_1_0_file_opens_with_the_same_data() {
    let committed = Committed::read();
    let dir = tempfile::tempdir().unwrap();
    let path = committed.copy_into(dir.path());
    let center = open(&path, Arc::new(ManualClock::new(render_at())), Arc::new(RecordingMailer::new()));
    let rendered = render::render(&center).unwrap();
    assert_same_text(&committed.expected, &rendered, "rendering of the 0.1.0 file");
    committed.check_unchanged();
}

#[test]
fn a_0_1_0_file_renders_the_same_without_its_snapshots() {
    let committed = Committed::read();
    let dir = tempfile::tempdir().unwrap();
    let path = committed.copy_into(dir.path());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let deleted = conn.execute("DELETE FROM snapshots", []).unwrap();
        assert!(deleted > 0, "the fixture has snapshots to delete");
    }
    // A snapshot is only a cache: the full replay of 0.1.0's events must agree.
    let center = open(&path, Arc::new(ManualClock::new(render_at())), Arc::new(RecordingMailer::new()));
    let rendered = render::render(&center).unwrap();
    assert_same_text(&committed.expected, &rendered, "rendering of the 0.1.0 file without snapshots");
    committed.check_unchanged();
}

/// Every key of the vault in the copy at `path` (never the committed file:
/// even a read-only connection leaves side files beside it).
fn vault_keys_in(path: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut statement = conn.prepare("SELECT key FROM vault ORDER BY product, slot").unwrap();
    statement.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

#[test]
fn b3_a_0_1_0_vault_is_sealed_in_place_and_reads_the_same() {
    let committed = Committed::read();
    let dir = tempfile::tempdir().unwrap();
    let path = committed.copy_into(dir.path());
    let keys = vault_keys_in(&path);
    assert_eq!(keys.len(), 280, "the fixture's vault");
    let in_clear = |path: &Path| {
        let bytes = std::fs::read(path).unwrap();
        keys.iter().filter(|k| bytes.windows(k.len()).any(|w| w == k.as_bytes())).count()
    };
    assert_eq!(in_clear(&path), keys.len(), "0.1.0 kept every key in clear");
    let vault = partner_benefits::sealing::Keyring::new(partner_benefits::sealing::SealingKey::from_bytes(&[7; 32]).unwrap());
    let options = partner_benefits_sqlite::SqliteOptions { vault, ..Default::default() };
    let store = Arc::new(SqliteStore::open_with(&path, options).unwrap());
    let center =
        BenefitCenter::new(store, Arc::new(RecordingMailer::new()), Arc::new(ManualClock::new(render_at())), Catalog::builtin().unwrap());
    assert_eq!(center.vault_status().unwrap().clear, 280);
    while center.reseal_vault(100).unwrap().remaining > 0 {}
    let status = center.vault_status().unwrap();
    assert_eq!((status.clear, status.sealed.values().sum::<u64>()), (0, 280));
    // Reveals (in the rendering) give the same keys from the sealed vault.
    assert_same_text(&committed.expected, &render::render(&center).unwrap(), "rendering of the sealed 0.1.0 file");
    drop(center);
    assert_eq!(in_clear(&path), 0, "a key is still in clear in the sealed file");
    committed.check_unchanged();
}

#[test]
fn a_0_1_0_idempotency_record_still_answers() {
    let committed = Committed::read();
    let dir = tempfile::tempdir().unwrap();
    let path = committed.copy_into(dir.path());
    let center = open(&path, Arc::new(ManualClock::new(render_at())), Arc::new(RecordingMailer::new()));
    let blake = center.session(org(NORTHWIND), UserId::new(org(NORTHWIND), 3)).with_idempotency_key(IDEMPOTENCY_KEY);
    let packages = blake.packages().unwrap().len();
    assert_eq!(blake.purchase_package("action-pack").unwrap(), PackageId::new(org(NORTHWIND), 1), "the stored outcome");
    assert_eq!(blake.packages().unwrap().len(), packages, "a repeat buys nothing");
    assert_eq!(blake.purchase_package("silver-core").unwrap_err().code(), "conflict", "the key with another command");
    committed.check_unchanged();
}

#[test]
fn a_0_1_0_file_takes_new_commands_and_keeps_its_old_data() {
    let committed = Committed::read();
    let dir = tempfile::tempdir().unwrap();
    let path = committed.copy_into(dir.path());
    let clock = Arc::new(ManualClock::new(render_at()));
    let mailer = Arc::new(RecordingMailer::new());
    let fabrikam = org(FABRIKAM);
    let (fay, dana) = (UserId::new(fabrikam, 1), UserId::new(fabrikam, 2));

    let (package, seat, keys) = {
        let center = open(&path, clock.clone(), mailer.clone());
        let admin = center.session(fabrikam, fay);
        let package = admin.purchase_package("action-pack").unwrap();
        let seat = benefit(&center, fabrikam, package, "visual-studio").id;
        admin.assign_user(seat, dana).unwrap();
        let windows = benefit(&center, fabrikam, package, "windows-server");
        let keys = admin.get_keys(windows.id, "ja", "x64").unwrap();
        let keys: Vec<String> = keys.keys.iter().map(|k| k.reveal().to_string()).collect();
        // The pools 0.1.0 stocked hand out the next of its keys.
        assert_eq!(keys, ["V010-FAKE-WINDOWS-SERVER-0010"]);
        // 0.1.0's file says what falls due when: nothing before its render time.
        assert_eq!(center.process_due().unwrap(), 0, "nothing was due at the fixture's render time");
        let report = center.dispatch_mail().unwrap();
        assert_eq!(report.failed, 0);
        assert_eq!(report.sent, 7 + 2 + 1, "0.1.0's 7 queued and 2 refused mails, and the new seat's");
        assert!(center.outbox().unwrap().iter().all(|m| !m.delivery.is_due()));
        (package, seat, keys)
    };

    // Reopened: the new commands persisted.
    let center = open(&path, clock.clone(), mailer.clone());
    let admin = center.session(fabrikam, fay);
    let bought = admin.package(package).unwrap();
    assert_eq!((bought.template.as_str(), bought.status, bought.software_activated), ("action-pack", Status::Active, true));
    assert_eq!(admin.benefit(seat).unwrap().assigned_users, vec![dana]);
    let windows = benefit(&center, fabrikam, package, "windows-server");
    let again: Vec<String> = admin.get_keys(windows.id, "ja", "x64").unwrap().keys.iter().map(|k| k.reveal().to_string()).collect();
    assert_eq!(again, keys, "the same keys after reopening");
    assert!(center.outbox().unwrap().iter().all(|m| !m.delivery.is_due()), "sent stays sent");

    // And every old block is as 0.1.0 rendered it, but for what the new commands changed.
    let old = blocks(&committed.expected);
    let new = blocks(&render::render_state(&center).unwrap());
    for (key, before) in &old {
        if key.contains(" keys ") {
            continue; // rendered by the reveal pass, checked below
        }
        let after = new.get(key).unwrap_or_else(|| panic!("block `{key}` of the 0.1.0 file is gone"));
        if before == after {
            continue;
        }
        match key.as_str() {
            // The new purchase drew keys from these pools; the stock is as it was.
            "pool windows-server" | "pool office-professional-plus" | "pool microsoft-365-e3" => {
                assert_eq!(before.lines().take(2).collect::<Vec<_>>(), after.lines().take(2).collect::<Vec<_>>(), "{key}");
            }
            // New benefits are listed, new events logged.
            k if k.starts_with("org-3 category ") || k == "org-3 audit" => {}
            // A mail 0.1.0 left queued or refused was sent; what it says is unchanged.
            k if k.starts_with("outbox ") => {
                let head = |text: &str| text.lines().take_while(|l| !l.starts_with("delivery:")).collect::<Vec<_>>().join("\n");
                assert_eq!(head(before), head(after), "{key}");
                assert!(after.contains("delivery: sent\n"), "{key} was sent:\n{after}");
            }
            _ => assert_same_text(before, after, &format!("block `{key}` after new commands")),
        }
    }
    for key in new.keys().filter(|k| !old.contains_key(*k)) {
        let known = ["org-3 package ", "org-3 benefit ", "org-3 offer ", "org-3 audit ", "outbox mail-3-"];
        assert!(known.iter().any(|p| key.starts_with(p)), "unexpected new block `{key}`");
    }
    // Revealing 0.1.0's keys again shows what 0.1.0 showed.
    let old_keys: BTreeMap<_, _> = old.iter().filter(|(k, _)| k.contains(" keys ")).collect();
    let new_keys = blocks(&render::render_keys(&center).unwrap());
    for (key, before) in old_keys {
        assert_same_text(before, &new_keys[key], &format!("block `{key}`"));
    }

    // What 0.1.0 left pending carries on when its time comes.
    clock.set(render_at() + Duration::days(6));
    assert!(center.process_due().unwrap() > 0);
    let presales = admin.benefits_in(Category::Technical).unwrap().into_iter().find(|b| b.code == "presales-deployment").unwrap();
    assert_eq!(presales.status, Status::Active, "the technical benefit 0.1.0 left pending");
    let gold = admin.offers().unwrap().into_iter().find(|o| o.code == "gold-core").unwrap();
    assert_eq!(gold.status, Status::Active, "the offer 0.1.0 left pending");
    drop((admin, center));
    let center = open(&path, clock, mailer);
    let reopened = center.session(fabrikam, fay).offer(gold.id).unwrap();
    assert_eq!(reopened, gold, "the due steps persisted");
    committed.check_unchanged();
}

#[test]
fn a_0_1_0_file_gets_a_changes_feed_of_all_its_events_and_new_ones_follow() {
    let committed = Committed::read();
    let dir = tempfile::tempdir().unwrap();
    let path = committed.copy_into(dir.path());
    let stored: i64 = {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0)).unwrap()
    };
    let center = open(&path, Arc::new(ManualClock::new(render_at())), Arc::new(RecordingMailer::new()));
    let old = center.changes(0, partner_benefits::MAX_CHANGES_PAGE).unwrap();
    assert_eq!(old.len() as i64, stored, "every event 0.1.0 wrote is in the feed once");
    assert_eq!(old.first().map(|c| c.position), Some(1));
    let mut versions: BTreeMap<String, u64> = BTreeMap::new();
    assert!(old.windows(2).all(|pair| pair[0].position < pair[1].position), "positions strictly increase");
    for change in &old {
        let last = versions.entry(change.stream.clone()).or_insert(0);
        assert_eq!(change.version, *last + 1, "`{}` in version order", change.stream);
        *last = change.version;
    }
    // Each organization's events are all there, as its audit log has them.
    for id in center.store().organizations().unwrap() {
        let audit = center.audit_log(id).unwrap();
        let fed: Vec<(u64, String)> = old.iter().filter(|c| c.organization_id == Some(id)).map(|c| (c.version, c.kind.clone())).collect();
        assert_eq!(fed, audit.iter().map(|e| (e.version, e.kind.clone())).collect::<Vec<_>>(), "{id}");
    }
    let last = old.last().unwrap().position;
    let fabrikam = org(FABRIKAM);
    center.session(fabrikam, UserId::new(fabrikam, 1)).add_user("Noor New", "noor@fabrikam.com", &[]).unwrap();
    let new = center.changes(last, 10).unwrap();
    assert_eq!(new.iter().map(|c| (c.position, c.kind.as_str())).collect::<Vec<_>>(), [(last + 1, "user_added")]);
    committed.check_unchanged();
}

#[test]
fn every_stored_event_kind_is_its_serialized_type() {
    // `Event::kind` is a plain match (the feed and the audit log call it for
    // every event); it must name each kind exactly as the stored JSON does.
    let committed = Committed::read();
    let dir = tempfile::tempdir().unwrap();
    let path = committed.copy_into(dir.path());
    let center = open(&path, Arc::new(ManualClock::new(render_at())), Arc::new(RecordingMailer::new()));
    let mut seen = std::collections::BTreeSet::new();
    let mut after = 0;
    loop {
        let page = center.store().changes(after, 500).unwrap();
        let Some(last) = page.last() else { break };
        after = last.position;
        for change in &page {
            let json = serde_json::to_value(&change.event.event).unwrap();
            assert_eq!(Some(change.event.event.kind()), json["type"].as_str(), "{json}");
            seen.insert(change.event.event.kind());
        }
    }
    assert_eq!(seen.len(), 30, "the fixture holds 30 of the kinds: {seen:?}");
    committed.check_unchanged();
}
