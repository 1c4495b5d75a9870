//! The SQL the store runs, prepared once per connection.

use postgres::{Client, Statement};

/// The statements the store runs, prepared once per connection.
#[derive(Clone)]
pub(crate) struct Statements {
    pub next_organization: Statement,
    pub organizations: Statement,
    pub create_stream: Statement,
    pub advance_stream: Statement,
    pub stream_version: Statement,
    pub insert_events: Statement,
    pub events_after: Statement,
    pub snapshot: Statement,
    pub save_snapshot: Statement,
    pub lock_vault: Statement,
    pub first_stocked: Statement,
    pub insert_keys: Statement,
    pub vault_keys: Statement,
    pub claim_free: Statement,
    pub claim_range: Statement,
    pub marked_by: Statement,
    pub free_keys: Statement,
    pub claimed_keys: Statement,
    pub sealed_under: Statement,
    pub vault_status: Statement,
    pub reseal_due: Statement,
    pub reseal: Statement,
    pub reseal_remaining: Statement,
    pub insert_idempotency: Statement,
    pub idempotency: Statement,
    pub insert_mail: Statement,
    pub claim_mail: Statement,
    pub settle_mail: Statement,
    pub requeue_mail: Statement,
    pub mail_exists: Statement,
    pub outbox: Statement,
    pub lock_feed: Statement,
    pub position_feed: Statement,
    pub changes: Statement,
}

impl Statements {
    pub(crate) fn prepare(client: &mut Client) -> Result<Self, postgres::Error> {
        let mut p = |sql: &str| client.prepare(sql);
        Ok(Self {
            next_organization: p("SELECT nextval('pb_organization_ids')")?,
            organizations: p("SELECT organization FROM pb_streams WHERE organization IS NOT NULL ORDER BY organization")?,
            create_stream: p("INSERT INTO pb_streams (stream, organization, version) VALUES ($1, $2, $3) ON CONFLICT (stream) DO NOTHING")?,
            advance_stream: p("UPDATE pb_streams SET version = $3 WHERE stream = $1 AND version = $2")?,
            stream_version: p("SELECT version FROM pb_streams WHERE stream = $1 FOR SHARE")?,
            insert_events: p(
                "INSERT INTO pb_events (stream, version, body) SELECT $1, v, b FROM unnest($2::bigint[], $3::text[]) AS t(v, b)",
            )?,
            events_after: p("SELECT body FROM pb_events WHERE stream = $1 AND version > $2 ORDER BY version LIMIT $3")?,
            snapshot: p("SELECT version, state FROM pb_snapshots WHERE stream = $1")?,
            save_snapshot: p("INSERT INTO pb_snapshots (stream, version, state) VALUES ($1, $2, $3) \
                 ON CONFLICT (stream) DO UPDATE SET version = EXCLUDED.version, state = EXCLUDED.state \
                 WHERE pb_snapshots.version <= EXCLUDED.version")?,
            // Stocking commits queue on this lock, so two of them cannot both
            // find a key absent and both insert it (under any product).
            lock_vault: p("SELECT pg_advisory_xact_lock(hashtext('partner-benefits vault ' || current_schema()))")?,
            // The first key already in the vault (in clear, or sealed under
            // any key of the ring: $2 holds each key's fingerprints, $3 the
            // key each belongs to), or given earlier in the same commit.
            first_stocked: p("SELECT n FROM ( \
                   SELECT t.k, t.n, row_number() OVER (PARTITION BY t.k ORDER BY t.n) AS seen \
                   FROM unnest($1::text[]) WITH ORDINALITY AS t(k, n)) given \
                 WHERE seen > 1 OR EXISTS (SELECT 1 FROM pb_vault v WHERE v.key = given.k) \
                    OR EXISTS (SELECT 1 FROM unnest($2::bytea[], $3::bigint[]) AS f(fp, n) \
                               JOIN pb_vault v ON v.fingerprint = f.fp WHERE f.n = given.n) \
                 ORDER BY n LIMIT 1")?,
            insert_keys: p("INSERT INTO pb_vault (product, slot, key, key_id, sealed, fingerprint) \
                 SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bytea[], $6::bytea[])")?,
            vault_keys: p("SELECT slot, key, key_id, sealed FROM pb_vault WHERE product = $1 AND slot >= $2 AND slot < $3 ORDER BY slot")?,
            // The lowest free entries no other commit is claiming: purchases of
            // distinct organizations pass each other here instead of queueing.
            claim_free: p("WITH free AS ( \
                   SELECT slot FROM pb_vault WHERE product = $2 AND holder IS NULL \
                   ORDER BY slot LIMIT $3 FOR UPDATE SKIP LOCKED) \
                 UPDATE pb_vault v SET holder = $1 FROM free WHERE v.product = $2 AND v.slot = free.slot")?,
            // Entries marked with the holder already count: a range an older
            // release recorded was marked by the trigger of migration 5.
            claim_range: p("UPDATE pb_vault SET holder = $1 WHERE product = $2 AND slot >= $3 AND slot < $4 \
                 AND (holder IS NULL OR holder = $1)")?,
            marked_by: p("SELECT slot FROM pb_vault WHERE product = $1 AND slot >= $2 AND slot < $3 AND holder = $4 ORDER BY slot")?,
            free_keys: p("SELECT count(*) FROM (SELECT 1 FROM pb_vault WHERE product = $1 AND holder IS NULL LIMIT $2) f")?,
            claimed_keys: p("SELECT slot, key, key_id, sealed FROM pb_vault WHERE product = $1 AND holder = $2 ORDER BY slot")?,
            sealed_under: p("SELECT DISTINCT key_id FROM pb_vault WHERE key_id IS NOT NULL ORDER BY key_id")?,
            vault_status: p("SELECT key_id, count(*) FROM pb_vault GROUP BY key_id")?,
            // Entries not under the current key ($1); read under the vault
            // lock, so no other reseal or stocking changes them meanwhile.
            reseal_due: p("SELECT product, slot, key, key_id, sealed FROM pb_vault WHERE key_id IS DISTINCT FROM $1 \
                 ORDER BY product, slot LIMIT $2")?,
            reseal: p("UPDATE pb_vault v SET key = NULL, key_id = $3, sealed = s.sealed, fingerprint = s.fingerprint \
                 FROM unnest($1::text[], $2::bigint[], $4::bytea[], $5::bytea[]) AS s(product, slot, sealed, fingerprint) \
                 WHERE v.product = s.product AND v.slot = s.slot")?,
            reseal_remaining: p("SELECT count(*) FROM pb_vault WHERE key_id IS DISTINCT FROM $1")?,
            insert_idempotency: p("INSERT INTO pb_idempotency (organization, key, request, outcome) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (organization, key) DO NOTHING")?,
            idempotency: p("SELECT request, outcome FROM pb_idempotency WHERE organization = $1 AND key = $2")?,
            insert_mail: p("INSERT INTO pb_outbox (id, mail, delivery, due) \
                 SELECT i, m, $3, true FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(i, m, n) ORDER BY n")?,
            claim_mail: p("WITH claimed AS ( \
                   SELECT seq FROM pb_outbox \
                   WHERE due AND (lease_until IS NULL OR lease_until <= $1) \
                   ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED) \
                 UPDATE pb_outbox o SET lease_until = $2 FROM claimed WHERE o.seq = claimed.seq \
                 RETURNING o.seq, o.mail, o.delivery")?,
            // A failed mail's retry time is its lease: no one claims it before.
            settle_mail: p("UPDATE pb_outbox SET delivery = $2, due = $3, lease_until = $4 WHERE id = $1 AND due")?,
            requeue_mail: p("UPDATE pb_outbox SET delivery = $2, due = true, lease_until = NULL \
                 WHERE id = $1 AND NOT due AND delivery::jsonb ->> 'state' = 'parked'")?,
            mail_exists: p("SELECT 1 FROM pb_outbox WHERE id = $1")?,
            outbox: p("SELECT mail, delivery FROM pb_outbox ORDER BY seq")?,
            // Only feed readers take this lock (never a writer): one of them at
            // a time numbers the events that became final.
            lock_feed: p("SELECT pg_advisory_xact_lock(hashtext('partner-benefits feed ' || current_schema()))")?,
            // Numbers up to $1 events of transactions older than any still in
            // flight (their set is final), after the highest position given,
            // in transaction order (a stream's writers commit one after
            // another, so its versions follow), then stream and version.
            position_feed: p("UPDATE pb_events e SET position = given.top + final.n \
                 FROM (SELECT stream, version, row_number() OVER (ORDER BY txid, stream, version) AS n \
                       FROM pb_events \
                       WHERE position IS NULL AND txid < pg_snapshot_xmin(pg_current_snapshot()) \
                       ORDER BY txid, stream, version LIMIT $1) final, \
                      (SELECT coalesce(max(position), 0) AS top FROM pb_events) given \
                 WHERE e.stream = final.stream AND e.version = final.version AND e.position IS NULL")?,
            changes: p("SELECT position, body FROM pb_events WHERE position > $1 ORDER BY position LIMIT $2")?,
        })
    }
}
