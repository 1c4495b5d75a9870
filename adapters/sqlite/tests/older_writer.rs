//! A process of an older release still writing to a migrated file hands
//! keys out by slot range, under the pool's version only (ADR 9). The file
//! marks such a range with its package as it is recorded, and refuses one
//! that takes a key a claim already holds: no key is issued twice while
//! instances are upgraded one by one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

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
    partner_benefits::conformance::claims::older_writer(&store, &|version, first, count| {
        older_release_draws(&path, i64::try_from(version).unwrap(), first, count).map_err(|e| e.to_string())
    });
}
