//! A process of an older release still writing to a migrated database hands
//! keys out by slot range, under the pool's version only (ADR 9). The
//! database marks such a range with its package as it is recorded, and
//! refuses one that takes a key a claim already holds: no key is issued
//! twice while instances are upgraded one by one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

/// What an older release writes for a purchase's draw from the pool: the
/// pool's `keys_allocated` event and its stream's new version, in one transaction.
fn older_release_draws(url: &str, schema: &str, version: i64, first: u64, count: u32) -> Result<(), postgres::Error> {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client.batch_execute(&format!("SET search_path TO {schema}")).unwrap();
    let body = format!(
        r#"{{"stream":{{"key_pool":"windows-server"}},"version":{version},"at":"2026-03-02T09:00:00Z","actor":{{"kind":"program"}},"event":{{"type":"keys_allocated","first":{first},"count":{count},"package":"pkg-1-7"}}}}"#
    );
    let mut tx = client.transaction()?;
    tx.execute("UPDATE pb_streams SET version = $1 WHERE stream = 'pool:windows-server'", &[&version])?;
    tx.execute("INSERT INTO pb_events (stream, version, body) VALUES ('pool:windows-server', $1, $2)", &[&version, &body])?;
    tx.commit()
}

#[test]
fn b7_a_range_an_older_release_hands_out_is_marked_and_refused_where_a_claim_holds_a_key() {
    let Some(url) = common::pg_url("b7_a_range_an_older_release_hands_out_is_marked_and_refused_where_a_claim_holds_a_key") else { return };
    let schema = common::unique_schema("older");
    let store = common::store_in(&url, &schema, 2);
    partner_benefits::conformance::claims::older_writer(&store, &|version, first, count| {
        older_release_draws(&url, &schema, i64::try_from(version).unwrap(), first, count)
            .map_err(|e| e.as_db_error().map_or_else(|| e.to_string(), |db| db.message().to_owned()))
    });
}
