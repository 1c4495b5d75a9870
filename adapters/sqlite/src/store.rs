//! [`SqliteStore`]: the core's `Store` over one SQLite file.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use partner_benefits::event::KeyClaim;
use partner_benefits::lifecycle::delivery::DeliveryState;
use partner_benefits::sealing::Keyring;
use partner_benefits::store::{Commit, IdempotencyRecord, Loaded, Positioned, Resealed, Snapshot, VaultStatus};
use partner_benefits::values::Code;
use partner_benefits::{Error, LicenseKey, MailId, OrganizationId, OutboxEntry, RecordedEvent, Store, StreamId, Timestamp};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::error::{int, is_constraint, json, sql, uint};
use crate::{busy, claims, open, schema, vault};

/// How hard SQLite works to make a commit survive a power cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// `synchronous=FULL`: a commit returns only after the write-ahead log is
    /// flushed to disk, so it survives a crash of the process and of the machine.
    #[default]
    Full,
    /// `synchronous=NORMAL`: commits survive a crash of the process, but the
    /// last ones may be lost if the machine loses power. Faster.
    Normal,
}

/// How a [`SqliteStore`] opens its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteOptions {
    /// Durability of each commit; [`Synchronous::Full`] unless relaxed.
    pub synchronous: Synchronous,
    /// How long a writer waits for another writer's lock before giving up
    /// with `conflict` (5 seconds by default).
    pub busy_timeout: Duration,
    /// The vault keys: with a current key, license keys are sealed at rest
    /// and [`Store::reseal_vault`] seals those kept in clear or under a
    /// previous key. A file holding keys sealed under a key not given here
    /// is refused at open. None by default (keys kept in clear, as 0.1.0 did).
    pub vault: Keyring,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self { synchronous: Synchronous::Full, busy_timeout: Duration::from_secs(5), vault: Keyring::none() }
    }
}

/// The core's [`Store`] on one SQLite file: events, snapshots, key vault,
/// idempotency records and the mail outbox, each commit one transaction.
///
/// Several stores (threads or processes) may open the same file; they are
/// kept apart by the version check inside each write transaction. One store
/// holds one connection, so calls through the same store take turns.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: PathBuf,
    keyring: Keyring,
    busy_timeout: Duration,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the store at `path` with [`SqliteOptions::default`], creating it
    /// if the file does not exist. A file that is not a partner-benefits
    /// store (or is newer, damaged, read-only, empty or a directory) is
    /// refused with a `storage` error and left unchanged.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// Opens the store at `path` with `options`.
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        let _waiting = busy::waiting(options.busy_timeout);
        let conn = open::open(&path, &options, schema::SCHEMA_VERSION)?;
        // Refused before any call: a vault opened without its key would fail
        // only at the first reveal, after the host believed it open.
        options.vault.admit(&vault::sealed_under(&conn, &path.display().to_string())?)?;
        Ok(Self { conn: Mutex::new(conn), path, keyring: options.vault, busy_timeout: options.busy_timeout })
    }

    /// Creates a store file holding an older schema version, to test
    /// migrations. Not for applications.
    #[doc(hidden)]
    pub fn create_at_schema_version(path: impl AsRef<Path>, version: u32) -> Result<(), Error> {
        let version = version.clamp(1, schema::SCHEMA_VERSION);
        open::open(path.as_ref(), &SqliteOptions::default(), version).map(drop)
    }

    /// The file this store uses.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<u32, Error> {
        let conn = self.lock()?;
        let _waiting = busy::waiting(self.busy_timeout);
        Ok(schema::header(&conn, &self.path.display().to_string())?.user_version)
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, Error> {
        self.conn.lock().map_err(|_| Error::storage("the SQLite connection was poisoned by a panic in another thread"))
    }

    /// Runs `f` in a write transaction, taken at once (`BEGIN IMMEDIATE`), so
    /// whatever `f` reads cannot change before it commits.
    fn write<T>(&self, context: &str, f: impl FnOnce(&Transaction<'_>) -> Result<T, Error>) -> Result<T, Error> {
        let mut conn = self.lock()?;
        let _waiting = busy::waiting(self.busy_timeout);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql(context))?;
        let value = f(&tx)?;
        tx.commit().map_err(sql(context))?;
        Ok(value)
    }

    /// Runs `f` in a read transaction: one consistent view of the file.
    fn read<T>(&self, context: &str, f: impl FnOnce(&Transaction<'_>) -> Result<T, Error>) -> Result<T, Error> {
        let mut conn = self.lock()?;
        let _waiting = busy::waiting(self.busy_timeout);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred).map_err(sql(context))?;
        let value = f(&tx)?;
        tx.finish().map_err(sql(context))?;
        Ok(value)
    }
}

fn micros(at: Timestamp) -> i64 {
    at.timestamp_micros()
}

fn organization_of(stream: &StreamId) -> Option<i64> {
    match stream {
        StreamId::Organization(id) => i64::try_from(id.number()).ok(),
        StreamId::KeyPool(_) => None,
    }
}

fn events_after(tx: &Transaction<'_>, stream: &StreamId, after: u64, limit: usize) -> Result<Vec<RecordedEvent>, Error> {
    let context = format!("reading events of `{stream}`");
    let mut statement =
        tx.prepare_cached("SELECT body FROM events WHERE stream = ?1 AND version > ?2 ORDER BY version LIMIT ?3").map_err(sql(&context))?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = statement
        .query_map(params![stream.to_string(), int(after, "version")?, limit], |r| r.get::<_, String>(0))
        .map_err(sql(&context))?;
    let what = format!("an event of `{stream}`");
    rows.map(|body| serde_json::from_str(&body.map_err(sql(&context))?).map_err(json(&what))).collect()
}

/// Why an update of mail `id` changed no row: `conflict` (it is there, but
/// `not_now` says why it could not change) or `not_found`.
fn unchanged_mail(tx: &Transaction<'_>, id: MailId, not_now: &str, context: &str) -> Result<Error, Error> {
    let exists =
        tx.prepare_cached("SELECT 1 FROM outbox WHERE id = ?1").and_then(|mut s| s.exists([id.to_string()])).map_err(sql(context))?;
    Ok(if exists {
        Error::Conflict { reason: format!("mail `{id}` {not_now}") }
    } else {
        Error::NotFound { kind: "mail", id: id.to_string() }
    })
}

fn outbox_entry(mail: &str, delivery: &str) -> Result<OutboxEntry, Error> {
    Ok(OutboxEntry {
        mail: serde_json::from_str(mail).map_err(json("a queued mail"))?,
        delivery: serde_json::from_str(delivery).map_err(json("a mail's delivery state"))?,
    })
}

impl Store for SqliteStore {
    fn allocate_organization_id(&self) -> Result<OrganizationId, Error> {
        let context = "allocating an organization id";
        self.write(context, |tx| {
            let next: i64 = tx
                .query_row("UPDATE counters SET value = value + 1 WHERE name = 'organization' RETURNING value", [], |r| r.get(0))
                .map_err(sql(context))?;
            Ok(OrganizationId::new(uint(next, "organization counter")?))
        })
    }

    fn organizations(&self) -> Result<Vec<OrganizationId>, Error> {
        let context = "listing organizations";
        self.read(context, |tx| {
            let mut statement = tx
                .prepare_cached("SELECT organization FROM streams WHERE organization IS NOT NULL AND version > 0 ORDER BY organization")
                .map_err(sql(context))?;
            let rows = statement.query_map([], |r| r.get::<_, i64>(0)).map_err(sql(context))?;
            rows.map(|n| Ok(OrganizationId::new(uint(n.map_err(sql(context))?, "organization")?))).collect()
        })
    }

    fn load(&self, stream: &StreamId, after_version: u64) -> Result<Loaded, Error> {
        let context = format!("loading `{stream}`");
        self.read(&context, |tx| {
            let snapshot = if after_version == 0 {
                tx.prepare_cached("SELECT version, state FROM snapshots WHERE stream = ?1")
                    .and_then(|mut s| s.query_row([stream.to_string()], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))).optional())
                    .map_err(sql(&context))?
                    .map(|(version, state)| Ok::<_, Error>(Snapshot { stream: stream.clone(), version: uint(version, "version")?, state }))
                    .transpose()?
            } else {
                None
            };
            let from = snapshot.as_ref().map_or(after_version, |s| s.version);
            let events = events_after(tx, stream, from, usize::MAX)?;
            Ok(Loaded { snapshot, events })
        })
    }

    fn read_events(&self, stream: &StreamId, after_version: u64, limit: usize) -> Result<Vec<RecordedEvent>, Error> {
        self.read(&format!("reading `{stream}`"), |tx| events_after(tx, stream, after_version, limit))
    }

    fn commit(&self, commit: Commit) -> Result<(), Error> {
        // Check and serialize everything before taking the write lock.
        let mut appends = Vec::with_capacity(commit.appends.len());
        for append in &commit.appends {
            let mut events = Vec::with_capacity(append.events.len());
            for (offset, event) in append.events.iter().enumerate() {
                if event.version != append.expected_version + offset as u64 + 1 || event.stream != append.stream {
                    return Err(Error::storage("events are not numbered from the expected version"));
                }
                let body = serde_json::to_string(event).map_err(|e| Error::storage(format!("an event does not serialize: {e}")))?;
                events.push((int(event.version, "version")?, body));
            }
            let last = append.expected_version + append.events.len() as u64;
            appends.push((&append.stream, int(append.expected_version, "version")?, int(last, "version")?, events));
        }
        let mut mails = Vec::with_capacity(commit.mail.len());
        for mail in &commit.mail {
            let body = serde_json::to_string(mail).map_err(|e| Error::storage(format!("a mail does not serialize: {e}")))?;
            let delivery = serde_json::to_string(&DeliveryState::Pending).map_err(|e| Error::storage(e.to_string()))?;
            mails.push((mail.id.to_string(), body, delivery));
        }
        let keys = vault::prepare(&self.keyring, &commit.keys)?;

        let context = "committing";
        self.write(context, |tx| {
            // The expected-version check, under the write lock: no one can move a stream until we commit.
            for (stream, expected, _, _) in &appends {
                let current: i64 = tx
                    .prepare_cached("SELECT version FROM streams WHERE stream = ?1")
                    .and_then(|mut s| s.query_row([stream.to_string()], |r| r.get(0)).optional())
                    .map_err(sql(context))?
                    .unwrap_or(0);
                if current != *expected {
                    return Err(Error::Conflict { reason: format!("`{stream}` is at version {current}, not {expected}") });
                }
            }
            // Writers are serialized by the write lock, so positions follow commit order.
            let mut position: i64 = tx
                .prepare_cached("SELECT coalesce(max(position), 0) FROM events")
                .and_then(|mut s| s.query_row([], |r| r.get(0)))
                .map_err(sql(context))?;
            for (stream, _, last, events) in &appends {
                if events.is_empty() {
                    continue;
                }
                let key = stream.to_string();
                tx.prepare_cached(
                    "INSERT INTO streams (stream, organization, version) VALUES (?1, ?2, ?3)
                     ON CONFLICT (stream) DO UPDATE SET version = excluded.version",
                )
                .and_then(|mut s| s.execute(params![key, organization_of(stream), last]))
                .map_err(sql(context))?;
                let mut insert = tx
                    .prepare_cached("INSERT INTO events (stream, version, body, position) VALUES (?1, ?2, ?3, ?4)")
                    .map_err(sql(context))?;
                for (version, body) in events {
                    position += 1;
                    insert.execute(params![key, version, body, position]).map_err(|e| {
                        if is_constraint(&e) {
                            Error::Conflict { reason: format!("version {version} of `{stream}` was written twice in one commit") }
                        } else {
                            sql(context)(e)
                        }
                    })?;
                }
            }
            if let Some(IdempotencyRecord { organization, key, request, outcome }) = &commit.idempotency {
                let organization = int(organization.number(), "organization")?;
                tx.prepare_cached("INSERT INTO idempotency (organization, key, request, outcome) VALUES (?1, ?2, ?3, ?4)")
                    .and_then(|mut s| s.execute(params![organization, key, request, outcome]))
                    .map_err(|e| {
                        if is_constraint(&e) {
                            Error::Conflict { reason: "the idempotency key was used concurrently".into() }
                        } else {
                            sql(context)(e)
                        }
                    })?;
            }
            if !keys.is_empty() {
                vault::stock(tx, &keys, context)?;
            }
            if !commit.claims.is_empty() {
                claims::claim(tx, &commit.claims, context)?;
            }
            if !mails.is_empty() {
                let mut insert =
                    tx.prepare_cached("INSERT INTO outbox (id, mail, delivery, due) VALUES (?1, ?2, ?3, 1)").map_err(sql(context))?;
                for (id, body, delivery) in &mails {
                    insert.execute(params![id, body, delivery]).map_err(|e| {
                        if is_constraint(&e) {
                            Error::Conflict { reason: format!("mail `{id}` is already queued") }
                        } else {
                            sql(context)(e)
                        }
                    })?;
                }
            }
            Ok(())
        })
    }

    fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), Error> {
        let context = format!("saving a snapshot of `{}`", snapshot.stream);
        let version = int(snapshot.version, "version")?;
        self.write(&context, |tx| {
            // Only the newest snapshot of a stream is kept; an older one never replaces it.
            tx.prepare_cached(
                "INSERT INTO snapshots (stream, version, state) VALUES (?1, ?2, ?3)
                 ON CONFLICT (stream) DO UPDATE SET version = excluded.version, state = excluded.state
                 WHERE excluded.version >= snapshots.version",
            )
            .and_then(|mut s| s.execute(params![snapshot.stream.to_string(), version, snapshot.state]))
            .map_err(sql(&context))?;
            Ok(())
        })
    }

    fn vault_keys(&self, product: &Code, first: u64, count: u32) -> Result<Vec<LicenseKey>, Error> {
        let end = first.checked_add(u64::from(count)).ok_or_else(|| Error::storage("vault slot range overflows"))?;
        self.read(&format!("reading the vault of `{product}`"), |tx| vault::read(tx, &self.keyring, product.as_str(), first, end))
    }

    fn free_keys(&self, product: &Code, up_to: u64) -> Result<u64, Error> {
        self.read(&format!("counting the free keys of `{product}`"), |tx| claims::free(tx, product, up_to))
    }

    fn claimed_keys(&self, product: &Code, claim: &KeyClaim) -> Result<Vec<(u64, LicenseKey)>, Error> {
        self.read(&format!("reading the keys claimed for {claim}"), |tx| claims::claimed(tx, &self.keyring, product, claim))
    }

    fn idempotency(&self, organization: OrganizationId, key: &str) -> Result<Option<IdempotencyRecord>, Error> {
        let context = "reading an idempotency record";
        let number = int(organization.number(), "organization")?;
        self.read(context, |tx| {
            tx.prepare_cached("SELECT request, outcome FROM idempotency WHERE organization = ?1 AND key = ?2")
                .and_then(|mut s| s.query_row(params![number, key], |r| Ok((r.get(0)?, r.get(1)?))).optional())
                .map_err(sql(context))
                .map(|found| found.map(|(request, outcome)| IdempotencyRecord { organization, key: key.to_string(), request, outcome }))
        })
    }

    fn claim_mail(&self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<OutboxEntry>, Error> {
        let context = "claiming mail";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut claimed: Vec<(i64, String, String)> = self.write(context, |tx| {
            // One statement under the write lock: two dispatchers (threads or
            // processes) can never claim the same mail while its lease runs.
            let mut statement = tx
                .prepare_cached(
                    "UPDATE outbox SET claimed_until = ?1
                     WHERE seq IN (SELECT seq FROM outbox
                                   WHERE due = 1 AND (claimed_until IS NULL OR claimed_until <= ?2)
                                   ORDER BY seq LIMIT ?3)
                     RETURNING seq, mail, delivery",
                )
                .map_err(sql(context))?;
            let rows = statement
                .query_map(params![micros(lease_until), micros(now), limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(sql(context))?;
            rows.collect::<Result<_, _>>().map_err(sql(context))
        })?;
        claimed.sort_by_key(|(seq, _, _)| *seq);
        claimed.iter().map(|(_, mail, delivery)| outbox_entry(mail, delivery)).collect()
    }

    fn settle_mail(&self, id: MailId, delivery: &DeliveryState) -> Result<(), Error> {
        let context = format!("settling mail `{id}`");
        let state = serde_json::to_string(delivery).map_err(|e| Error::storage(format!("{context}: {e}")))?;
        let due = i64::from(delivery.is_due());
        // A failed mail's retry time is its claim: no one takes it before.
        let claimed_until = delivery.retry_at().map(micros);
        self.write(&context, |tx| {
            let changed = tx
                .prepare_cached("UPDATE outbox SET delivery = ?1, due = ?2, claimed_until = ?4 WHERE id = ?3 AND due = 1")
                .and_then(|mut s| s.execute(params![state, due, id.to_string(), claimed_until]))
                .map_err(sql(&context))?;
            if changed == 1 {
                return Ok(());
            }
            Err(unchanged_mail(tx, id, "was already sent", &context)?)
        })
    }

    fn requeue_mail(&self, id: MailId, delivery: &DeliveryState) -> Result<(), Error> {
        let context = format!("requeueing mail `{id}`");
        let state = serde_json::to_string(delivery).map_err(|e| Error::storage(format!("{context}: {e}")))?;
        self.write(&context, |tx| {
            let changed = tx
                .prepare_cached(
                    "UPDATE outbox SET delivery = ?1, due = 1, claimed_until = NULL
                     WHERE id = ?2 AND due = 0 AND json_extract(delivery, '$.state') = 'parked'",
                )
                .and_then(|mut s| s.execute(params![state, id.to_string()]))
                .map_err(sql(&context))?;
            if changed == 1 {
                return Ok(());
            }
            Err(unchanged_mail(tx, id, "is not parked", &context)?)
        })
    }

    fn outbox(&self) -> Result<Vec<OutboxEntry>, Error> {
        let context = "reading the outbox";
        let rows: Vec<(String, String)> = self.read(context, |tx| {
            let mut statement = tx.prepare_cached("SELECT mail, delivery FROM outbox ORDER BY seq").map_err(sql(context))?;
            let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(sql(context))?;
            rows.collect::<Result<_, _>>().map_err(sql(context))
        })?;
        rows.iter().map(|(mail, delivery)| outbox_entry(mail, delivery)).collect()
    }

    fn changes(&self, after: u64, limit: usize) -> Result<Vec<Positioned>, Error> {
        let context = "reading the changes feed";
        // Past the largest position a file can hold: nothing follows it.
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<(i64, String)> = self.read(context, |tx| {
            let mut statement = tx
                .prepare_cached("SELECT position, body FROM events WHERE position > ?1 ORDER BY position LIMIT ?2")
                .map_err(sql(context))?;
            let rows = statement.query_map(params![after, limit], |r| Ok((r.get(0)?, r.get(1)?))).map_err(sql(context))?;
            rows.collect::<Result<_, _>>().map_err(sql(context))
        })?;
        rows.iter()
            .map(|(position, body)| {
                Ok(Positioned { position: uint(*position, "position")?, event: serde_json::from_str(body).map_err(json("an event"))? })
            })
            .collect()
    }

    fn vault_status(&self) -> Result<VaultStatus, Error> {
        self.read("reading the vault's status", |tx| vault::status(tx, &self.keyring))
    }

    fn reseal_vault(&self, batch: u32) -> Result<Resealed, Error> {
        let done = self.write("resealing the vault", |tx| vault::reseal(tx, &self.keyring, batch))?;
        if done.remaining == 0 {
            self.scrub_log()?;
        }
        Ok(done)
    }
}

impl SqliteStore {
    /// Empties the write-ahead log once the vault is sealed: its older
    /// frames still hold pages from before (secure_delete has zeroed the
    /// file's own copies). Another connection reading keeps them; the
    /// sealing stays done and a later reseal call scrubs again.
    fn scrub_log(&self) -> Result<(), Error> {
        let conn = self.lock()?;
        let _waiting = busy::waiting(self.busy_timeout);
        let context = format!("truncating the write-ahead log of `{}`", self.path.display());
        let (busy, _, _): (i64, i64, i64) =
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(sql(&context))?;
        if busy != 0 {
            return Err(Error::storage(format!(
                "the key vault of `{}` is sealed, but its write-ahead log still holds pages from before because another \
                 connection is reading; reseal again when it is done",
                self.path.display()
            )));
        }
        Ok(())
    }
}
