//! The schema: tables, their version and the migrations between versions.
//!
//! The file's `PRAGMA application_id` says it is ours; `PRAGMA user_version`
//! says which schema it holds. Migration `n` (index `n - 1` of [`MIGRATIONS`])
//! takes a file from version `n - 1` to `n`; all pending ones run in one
//! transaction together with the new `user_version`, so a file is always at
//! exactly one version.

use partner_benefits::Error;
use rusqlite::{Connection, TransactionBehavior};

use crate::error::sql;

/// The `PRAGMA application_id` of every partner-benefits database ("PBEN").
pub const APPLICATION_ID: i32 = 0x5042_454E;

/// The schema version this library writes, and the newest it can open.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: [&str; 6] = [
    // 1: streams with their versions, events, the key vault, idempotency records, the outbox.
    "
    CREATE TABLE counters (
        name  TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    ) STRICT;
    INSERT INTO counters (name, value) VALUES ('organization', 0);

    -- One row per stream: its current version, checked inside every write transaction.
    CREATE TABLE streams (
        stream       TEXT PRIMARY KEY,
        organization INTEGER,
        version      INTEGER NOT NULL CHECK (version >= 0)
    ) STRICT;

    -- The append-only log; `body` is the recorded event as JSON.
    CREATE TABLE events (
        stream  TEXT NOT NULL REFERENCES streams (stream),
        version INTEGER NOT NULL CHECK (version > 0),
        body    TEXT NOT NULL,
        PRIMARY KEY (stream, version)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE vault (
        product TEXT NOT NULL,
        slot    INTEGER NOT NULL,
        key     TEXT NOT NULL,
        PRIMARY KEY (product, slot)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE idempotency (
        organization INTEGER NOT NULL,
        key          TEXT NOT NULL,
        request      TEXT NOT NULL,
        outcome      TEXT NOT NULL,
        PRIMARY KEY (organization, key)
    ) STRICT, WITHOUT ROWID;

    -- `due` is 0 once sent; `claimed_until` is a lease in microseconds since 1970 (UTC).
    CREATE TABLE outbox (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        id            TEXT NOT NULL UNIQUE,
        mail          TEXT NOT NULL,
        delivery      TEXT NOT NULL,
        due           INTEGER NOT NULL CHECK (due IN (0, 1)),
        claimed_until INTEGER
    ) STRICT;
    ",
    // 2: snapshots for fast opening, and an index for dispatchers' claims.
    "
    CREATE TABLE snapshots (
        stream  TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        state   TEXT NOT NULL
    ) STRICT;
    CREATE INDEX outbox_due ON outbox (due, seq);
    ",
    // 3: a license key is stocked once under any product, so each stocking
    // commit looks its keys up by text. Not UNIQUE: a file written by 0.1.0
    // may already hold a key twice and must keep opening.
    "
    CREATE INDEX vault_key ON vault (key);
    ",
    // 4: the changes feed. Each event gets its position in commit order
    // (writers are serialized, so the next position is the highest plus one).
    // A file's older events were not numbered when committed; they are
    // numbered by when they happened, each stream's events in version order
    // (the time is the highest so far in the stream, as a clock set back can
    // make a later event earlier), ties by stream then version.
    "
    ALTER TABLE events ADD COLUMN position INTEGER;
    WITH reached AS (
        SELECT stream, version,
               max(CASE WHEN json_valid(body) THEN unixepoch(json_extract(body, '$.at'), 'subsec') END)
                   OVER (PARTITION BY stream ORDER BY version) AS at
        FROM events
    ), numbered AS (
        SELECT stream, version, row_number() OVER (ORDER BY at, stream, version) AS position FROM reached
    )
    UPDATE events SET position = numbered.position
    FROM numbered WHERE events.stream = numbered.stream AND events.version = numbered.version;
    CREATE UNIQUE INDEX events_position ON events (position);
    ",
    // 5: license keys sealed at rest. An entry is either in clear (`key`, as
    // every 0.1.0 entry is until it is sealed) or sealed (`key_id`, `sealed`,
    // `fingerprint` together). The table is rebuilt because SQLite cannot
    // drop the NOT NULL of `key`; the connection's secure_delete zeroes the
    // old table's pages. The fingerprint is not UNIQUE for the reason
    // migration 3's index is not.
    "
    CREATE TABLE vault_sealed (
        product     TEXT NOT NULL,
        slot        INTEGER NOT NULL,
        key         TEXT,
        key_id      TEXT,
        sealed      BLOB,
        fingerprint BLOB,
        PRIMARY KEY (product, slot),
        CHECK ((key IS NULL) = (sealed IS NOT NULL)
               AND (sealed IS NULL) = (key_id IS NULL)
               AND (sealed IS NULL) = (fingerprint IS NULL))
    ) STRICT, WITHOUT ROWID;
    INSERT INTO vault_sealed (product, slot, key) SELECT product, slot, key FROM vault;
    DROP TABLE vault;
    ALTER TABLE vault_sealed RENAME TO vault;
    CREATE INDEX vault_key ON vault (key) WHERE key IS NOT NULL;
    CREATE INDEX vault_fingerprint ON vault (fingerprint) WHERE fingerprint IS NOT NULL;
    CREATE INDEX vault_key_id ON vault (key_id);
    ",
    // 6: keys are claimed in the vault (ADR 9). `holder` marks an entry handed
    // out: the benefit it was claimed for (`pkg-7-2/0`), or, for the ranges
    // purchases took by slot before, their package (`pkg-7-2`), as the
    // pools' `keys_allocated` events tell. A free entry has none.
    "
    ALTER TABLE vault ADD COLUMN holder TEXT;
    UPDATE vault SET holder = taken.package
    FROM (
        SELECT substr(stream, 6) AS product,
               json_extract(body, '$.event.first') AS first,
               json_extract(body, '$.event.count') AS count,
               json_extract(body, '$.event.package') AS package
        FROM events
        WHERE stream LIKE 'pool:%' AND json_extract(body, '$.event.type') = 'keys_allocated'
    ) AS taken
    WHERE vault.product = taken.product AND vault.slot >= taken.first AND vault.slot < taken.first + taken.count;
    CREATE INDEX vault_free ON vault (product, slot) WHERE holder IS NULL;
    CREATE INDEX vault_holder ON vault (product, holder) WHERE holder IS NOT NULL;
    -- A process of an older release still writing to this file hands keys out
    -- by slot range: its range is marked with its package as it is recorded,
    -- and refused when a claim took one of its slots, so no key is issued
    -- twice while instances are upgraded one by one.
    CREATE TRIGGER vault_range_handed_out AFTER INSERT ON events
    WHEN NEW.stream LIKE 'pool:%' AND json_extract(NEW.body, '$.event.type') = 'keys_allocated'
    BEGIN
        UPDATE vault SET holder = json_extract(NEW.body, '$.event.package')
        WHERE product = substr(NEW.stream, 6) AND holder IS NULL
          AND slot >= json_extract(NEW.body, '$.event.first')
          AND slot < json_extract(NEW.body, '$.event.first') + json_extract(NEW.body, '$.event.count');
        SELECT RAISE(ABORT, 'a key of this slot range was already handed out')
        WHERE EXISTS (
            SELECT 1 FROM vault
            WHERE product = substr(NEW.stream, 6) AND holder <> json_extract(NEW.body, '$.event.package')
              AND slot >= json_extract(NEW.body, '$.event.first')
              AND slot < json_extract(NEW.body, '$.event.first') + json_extract(NEW.body, '$.event.count'));
    END;
    ",
];

/// What the header pragmas of an open file say.
pub(crate) struct Header {
    pub application_id: i32,
    pub user_version: u32,
    pub tables: u32,
}

pub(crate) fn header(conn: &Connection, shown: &str) -> Result<Header, Error> {
    let context = format!("reading `{shown}`");
    let application_id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0)).map_err(sql(&context))?;
    let user_version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(sql(&context))?;
    let tables: u32 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)).map_err(sql(&context))?;
    Ok(Header { application_id, user_version: u32::try_from(user_version).unwrap_or(u32::MAX), tables })
}

/// Refuses a file that is not ours or is newer than this library.
/// `fresh` allows an empty database with no application id (one we are creating).
pub(crate) fn check(header: &Header, shown: &str, fresh: bool) -> Result<(), Error> {
    let blank = header.application_id == 0 && header.user_version == 0 && header.tables == 0;
    if blank && fresh {
        return Ok(());
    }
    check_marks(header.application_id, header.user_version, shown)
}

/// The same check on a database header read as bytes (the file's own first
/// 100 bytes, or page 1's newest committed copy in its WAL). It needs no SQLite
/// connection: even a read-only one creates `-wal` and `-shm` beside a
/// WAL-mode file, and being read-only cannot remove them when it closes.
pub(crate) fn check_file_header(bytes: &[u8; 100], shown: &str) -> Result<(), Error> {
    // Where SQLite keeps these pragmas in the database header.
    let be32 = |at: usize| bytes.get(at..at + 4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map_or(0, i32::from_be_bytes);
    let user_version = u32::try_from(be32(60)).unwrap_or(u32::MAX);
    check_marks(be32(68), user_version, shown)
}

fn check_marks(application_id: i32, user_version: u32, shown: &str) -> Result<(), Error> {
    if application_id != APPLICATION_ID {
        return Err(Error::storage(format!(
            "`{shown}` is a SQLite database of another application (application id {application_id:#010x}), not a partner-benefits \
             store; it was left unchanged"
        )));
    }
    if user_version > SCHEMA_VERSION {
        return Err(Error::storage(format!(
            "`{shown}` has schema version {user_version} but this library reads up to version {SCHEMA_VERSION}; \
             open it with a newer partner-benefits (it was left unchanged)"
        )));
    }
    if user_version == 0 {
        return Err(Error::storage(format!("`{shown}` is marked as a partner-benefits store but has no schema; it was left unchanged")));
    }
    Ok(())
}

/// Brings the schema of `conn` to `target` inside one write transaction.
pub(crate) fn migrate(conn: &mut Connection, shown: &str, target: u32, fresh: bool) -> Result<(), Error> {
    let current = header(conn, shown)?;
    if !fresh && current.user_version == target && current.application_id == APPLICATION_ID {
        return Ok(());
    }
    let context = format!("migrating `{shown}`");
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(&context))?;
    // Another process may have migrated it meanwhile: decide on what the lock holder sees.
    let current = header(&tx, shown)?;
    check(&current, shown, fresh)?;
    if current.user_version > target {
        return Err(Error::storage(format!("`{shown}` is already past schema version {target}")));
    }
    for (from, migration) in
        MIGRATIONS.iter().enumerate().skip(current.user_version as usize).take((target - current.user_version) as usize)
    {
        tx.execute_batch(migration).map_err(|e| Error::storage(format!("migrating `{shown}` from schema version {from}: {e}")))?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID).map_err(sql(&context))?;
    tx.pragma_update(None, "user_version", target).map_err(sql(&context))?;
    tx.commit().map_err(sql(&context))
}
