#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod blocking;
mod claims;
mod migrate;
mod pool;
mod statements;
mod tls;
mod vault;

use std::path::PathBuf;
use std::time::Duration;

use partner_benefits::event::{KeyClaim, RecordedEvent, StreamId};
use partner_benefits::lifecycle::delivery::DeliveryState;
use partner_benefits::sealing::Keyring;
use partner_benefits::store::{Commit, IdempotencyRecord, Loaded, Positioned, Resealed, Snapshot, Store, VaultStatus};
use partner_benefits::values::Code;
use partner_benefits::{Error, LicenseKey, MailId, OrganizationId, OutboxEntry, Timestamp};
use postgres::IsolationLevel;
use postgres::error::SqlState;

pub use migrate::SCHEMA_VERSION;
use pool::Pool;
pub use tls::SslMode;

/// How [`PostgresStore::connect_with`] connects. [`PostgresOptions::default`]
/// is what [`PostgresStore::connect`] uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresOptions {
    /// Most connections this store keeps open at once (default 4).
    pub pool_size: usize,
    /// Bound on opening one connection, socket and handshake together
    /// (default 5 s). A `connect_timeout` in the URL bounds the socket part too.
    pub connect_timeout: Duration,
    /// How long a call waits for a free connection when all are busy (default 30 s).
    pub acquire_timeout: Duration,
    /// Keep the tables in this schema (created if missing) instead of the
    /// connection's default (`public`). Lowercase letters, digits and `_`, at most 63.
    pub schema: Option<String>,
    /// TLS mode when the URL names no `sslmode` (default: none given, so
    /// [`SslMode::Prefer`], libpq's default). Naming a different one in the
    /// URL too is `invalid_input`.
    pub ssl_mode: Option<SslMode>,
    /// PEM file of the CA(s) to check the server's certificate against, when
    /// the URL names no `sslrootcert`; `system` means the platform's CAs.
    /// Needed by `verify-ca` and `verify-full`; with `prefer` or `require`
    /// it makes the chain checked too, as in libpq.
    pub ssl_root_cert: Option<PathBuf>,
    /// The vault keys: with a current key, license keys are sealed at rest
    /// and [`Store::reseal_vault`] seals those kept in clear or under a
    /// previous key. A database holding keys sealed under a key not given
    /// here is refused at connect. None by default (keys kept in clear).
    pub vault: Keyring,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            pool_size: 4,
            connect_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(30),
            schema: None,
            ssl_mode: None,
            ssl_root_cert: None,
            vault: Keyring::none(),
        }
    }
}

/// A [`Store`] on PostgreSQL: many host instances may share one database.
///
/// Stream versions are compared and bumped inside the committing transaction
/// (`UPDATE ... WHERE version = expected`, and a unique `(stream, version)` key
/// on events), so two writers never both win; the loser gets `conflict`.
pub struct PostgresStore {
    pool: Pool,
    target: String,
    keyring: Keyring,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Host, database and schema only: never the password.
        f.debug_struct("PostgresStore").field("target", &self.target).finish_non_exhaustive()
    }
}

/// A PostgreSQL error as text fit for an operator: the server's message and
/// SQLSTATE, never the row data a DETAIL line may carry.
pub(crate) fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

/// A failed statement: `conflict` when another writer got there first
/// (unique key, serialization failure, deadlock), else `storage`.
fn fail(what: &str) -> impl Fn(postgres::Error) -> Error + '_ {
    move |e| {
        let code = e.code();
        let racing = [&SqlState::UNIQUE_VIOLATION, &SqlState::T_R_SERIALIZATION_FAILURE, &SqlState::T_R_DEADLOCK_DETECTED];
        if code.is_some_and(|c| racing.contains(&c)) {
            Error::Conflict { reason: format!("another writer changed the same data first while {what}; reload and retry") }
        } else {
            Error::storage(format!("PostgreSQL failed while {what}: {}", describe(&e)))
        }
    }
}

fn to_i64(value: u64, what: &str) -> Result<i64, Error> {
    i64::try_from(value).map_err(|_| Error::storage(format!("{what} {value} is out of range for PostgreSQL")))
}

fn to_u64(value: i64, what: &str) -> Result<u64, Error> {
    u64::try_from(value).map_err(|_| Error::storage(format!("stored {what} {value} is negative")))
}

fn json<T: serde::Serialize>(value: &T, what: &str) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::storage(format!("cannot encode {what}: {e}")))
}

fn parse<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|e| Error::storage(format!("stored {what} does not load: {e}")))
}

/// Why an update of mail `id` changed no row: `conflict` (it is there, but
/// `not_now` says why it could not change) or `not_found`.
fn unchanged_mail(conn: &mut pool::Conn, id: MailId, not_now: &str, what: &str) -> Result<Error, Error> {
    let key = id.to_string();
    Ok(match conn.client.query_opt(&conn.st.mail_exists, &[&key]).map_err(fail(what))? {
        Some(_) => Error::Conflict { reason: format!("mail `{id}` {not_now}") },
        None => Error::NotFound { kind: "mail", id: key },
    })
}

fn micros(at: Timestamp) -> i64 {
    at.timestamp_micros()
}

fn organization_of(stream: &StreamId) -> Result<Option<i64>, Error> {
    match stream {
        StreamId::Organization(id) => to_i64(id.number(), "organization").map(Some),
        _ => Ok(None),
    }
}

fn valid_schema(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl PostgresStore {
    /// Connects with default [`PostgresOptions`] to a URL such as
    /// `postgres://user:password@127.0.0.1:5432/benefits` (or the key=value
    /// form `host=... dbname=...`), migrating the schema if it is older.
    ///
    /// TLS follows the URL's `sslmode` and `sslrootcert` as libpq does
    /// (default `prefer`); see [`SslMode`].
    ///
    /// A malformed URL, an unreachable or silent server, a failed login, a
    /// refused TLS check or a database of a newer schema is a `storage`
    /// error, returned within the connect timeout.
    pub fn connect(url: &str) -> Result<Self, Error> {
        Self::connect_with(url, PostgresOptions::default())
    }

    /// Connects with the given options.
    pub fn connect_with(url: &str, options: PostgresOptions) -> Result<Self, Error> {
        let split = tls::split(url);
        let mut config: postgres::Config =
            split.rest.parse().map_err(|e| Error::storage(format!("the PostgreSQL URL does not parse: {e}")))?;
        if let Some(schema) = &options.schema
            && !valid_schema(schema)
        {
            return Err(Error::InvalidInput {
                field: "schema".into(),
                reason: "use 1 to 63 lowercase letters, digits and `_`, not starting with a digit".into(),
            });
        }
        let tls = tls::Tls::new(&mut config, &split, options.ssl_mode, options.ssl_root_cert.as_deref())?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("partner-benefits");
        }
        let target = format!(
            "{}/{}{}",
            config
                .get_hosts()
                .first()
                .map(|h| match h {
                    postgres::config::Host::Tcp(name) => name.clone(),
                    postgres::config::Host::Unix(path) => path.display().to_string(),
                })
                .unwrap_or_default(),
            config.get_dbname().unwrap_or(""),
            options.schema.as_deref().map(|s| format!(" schema {s}")).unwrap_or_default(),
        );
        let keyring = options.vault.clone();
        let pool = blocking::off_runtime(move || {
            let mut first = pool::open_client(&config, &tls, options.schema.as_deref(), options.connect_timeout)?;
            migrate::migrate(&mut first, options.schema.as_deref())?;
            Pool::new(config, tls, options.schema, options.connect_timeout, options.pool_size, options.acquire_timeout, first)
        })?;
        let store = Self { pool, target, keyring };
        // Refused before any call: a vault opened without its key would fail
        // only at the first reveal, after the host believed it open.
        let sealed_under = store.pool.with(vault::sealed_under)?;
        store.keyring.admit(&sealed_under)?;
        Ok(store)
    }

    /// The schema version of the database (equal to [`SCHEMA_VERSION`] once open).
    pub fn schema_version(&self) -> Result<u32, Error> {
        self.pool.with(|conn| migrate::current_version(&mut conn.client))
    }
}

impl Store for PostgresStore {
    fn allocate_organization_id(&self) -> Result<OrganizationId, Error> {
        self.pool.with(|conn| {
            let st = conn.st.next_organization.clone();
            let row = conn.client.query_one(&st, &[]).map_err(fail("allocating an organization id"))?;
            Ok(OrganizationId::new(to_u64(row.get(0), "organization id")?))
        })
    }

    fn organizations(&self) -> Result<Vec<OrganizationId>, Error> {
        self.pool.with(|conn| {
            let st = conn.st.organizations.clone();
            let rows = conn.client.query(&st, &[]).map_err(fail("listing organizations"))?;
            rows.iter().map(|r| to_u64(r.get(0), "organization id").map(OrganizationId::new)).collect()
        })
    }

    fn load(&self, stream: &StreamId, after_version: u64) -> Result<Loaded, Error> {
        let key = stream.to_string();
        self.pool.with(|conn| {
            let st = conn.st.clone();
            let snapshot = if after_version == 0 {
                let row = conn.client.query_opt(&st.snapshot, &[&key]).map_err(fail("loading a snapshot"))?;
                match row {
                    Some(row) => {
                        Some(Snapshot { stream: stream.clone(), version: to_u64(row.get(0), "snapshot version")?, state: row.get(1) })
                    }
                    None => None,
                }
            } else {
                None
            };
            let from = snapshot.as_ref().map_or(after_version, |s| s.version);
            let rows =
                conn.client.query(&st.events_after, &[&key, &to_i64(from, "version")?, &i64::MAX]).map_err(fail("loading events"))?;
            let events = rows.iter().map(|r| parse::<RecordedEvent>(r.get(0), "event")).collect::<Result<Vec<_>, _>>()?;
            Ok(Loaded { snapshot, events })
        })
    }

    fn read_events(&self, stream: &StreamId, after_version: u64, limit: usize) -> Result<Vec<RecordedEvent>, Error> {
        let key = stream.to_string();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.pool.with(|conn| {
            let st = conn.st.events_after.clone();
            let rows = conn.client.query(&st, &[&key, &to_i64(after_version, "version")?, &limit]).map_err(fail("reading events"))?;
            rows.iter().map(|r| parse::<RecordedEvent>(r.get(0), "event")).collect()
        })
    }

    fn commit(&self, commit: Commit) -> Result<(), Error> {
        let Commit { mut appends, mail, keys, claims, idempotency } = commit;
        for append in &appends {
            for (offset, event) in append.events.iter().enumerate() {
                if event.version != append.expected_version + offset as u64 + 1 || event.stream != append.stream {
                    return Err(Error::storage("events are not numbered from the expected version"));
                }
            }
        }
        // One lock order for every writer (streams sorted by name): two
        // commits touching the same streams queue up instead of deadlocking.
        appends.sort_by_cached_key(|a| a.stream.to_string());

        self.pool.with(|conn| {
            let st = conn.st.clone();
            // READ COMMITTED whatever the server's default: the vault check
            // below must see keys committed while this commit waited for the
            // vault lock, which a REPEATABLE READ snapshot taken earlier would hide.
            let mut tx = conn
                .client
                .build_transaction()
                .isolation_level(IsolationLevel::ReadCommitted)
                .start()
                .map_err(fail("starting a commit"))?;
            for append in &appends {
                let stream = append.stream.to_string();
                let expected = to_i64(append.expected_version, "version")?;
                let stale = || Error::Conflict { reason: format!("`{stream}` is no longer at version {expected}; reload and retry") };
                if append.events.is_empty() {
                    let row = tx.query_opt(&st.stream_version, &[&stream]).map_err(fail("checking a stream version"))?;
                    if row.map_or(0, |r| r.get::<_, i64>(0)) != expected {
                        return Err(stale());
                    }
                    continue;
                }
                let new_version = to_i64(append.expected_version + append.events.len() as u64, "version")?;
                let moved = if expected == 0 {
                    tx.execute(&st.create_stream, &[&stream, &organization_of(&append.stream)?, &new_version])
                } else {
                    tx.execute(&st.advance_stream, &[&stream, &expected, &new_version])
                }
                .map_err(fail("advancing a stream"))?;
                if moved != 1 {
                    return Err(stale());
                }
                let versions = append.events.iter().map(|e| to_i64(e.version, "version")).collect::<Result<Vec<_>, _>>()?;
                let bodies = append.events.iter().map(|e| json(e, "event")).collect::<Result<Vec<_>, _>>()?;
                tx.execute(&st.insert_events, &[&stream, &versions, &bodies]).map_err(fail("appending events"))?;
            }
            if let Some(record) = &idempotency {
                let organization = to_i64(record.organization.number(), "organization")?;
                let inserted = tx
                    .execute(&st.insert_idempotency, &[&organization, &record.key, &record.request, &record.outcome])
                    .map_err(fail("keeping an idempotency record"))?;
                if inserted != 1 {
                    return Err(Error::Conflict { reason: "the idempotency key was used concurrently".into() });
                }
            }
            if !keys.is_empty() {
                vault::stock(&mut tx, &st, &self.keyring, &keys)?;
            }
            if !claims.is_empty() {
                claims::claim(&mut tx, &st, &claims)?;
            }
            if !mail.is_empty() {
                let ids: Vec<String> = mail.iter().map(|m| m.id.to_string()).collect();
                let bodies = mail.iter().map(|m| json(m, "mail")).collect::<Result<Vec<_>, _>>()?;
                let pending = json(&DeliveryState::Pending, "delivery")?;
                tx.execute(&st.insert_mail, &[&ids, &bodies, &pending]).map_err(fail("queueing mail"))?;
            }
            tx.commit().map_err(fail("committing"))
        })
    }

    fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), Error> {
        self.pool.with(|conn| {
            let st = conn.st.save_snapshot.clone();
            conn.client
                .execute(&st, &[&snapshot.stream.to_string(), &to_i64(snapshot.version, "version")?, &snapshot.state])
                .map_err(fail("saving a snapshot"))?;
            Ok(())
        })
    }

    fn vault_keys(&self, product: &Code, first: u64, count: u32) -> Result<Vec<LicenseKey>, Error> {
        self.pool.with(|conn| vault::read(conn, &self.keyring, product.as_str(), first, count))
    }

    fn free_keys(&self, product: &Code, up_to: u64) -> Result<u64, Error> {
        self.pool.with(|conn| claims::free(conn, product, up_to))
    }

    fn claimed_keys(&self, product: &Code, claim: &KeyClaim) -> Result<Vec<(u64, LicenseKey)>, Error> {
        self.pool.with(|conn| claims::claimed(conn, &self.keyring, product, claim))
    }

    fn idempotency(&self, organization: OrganizationId, key: &str) -> Result<Option<IdempotencyRecord>, Error> {
        self.pool.with(|conn| {
            let st = conn.st.idempotency.clone();
            let row = conn
                .client
                .query_opt(&st, &[&to_i64(organization.number(), "organization")?, &key])
                .map_err(fail("reading an idempotency record"))?;
            Ok(row.map(|r| IdempotencyRecord { organization, key: key.to_string(), request: r.get(0), outcome: r.get(1) }))
        })
    }

    fn claim_mail(&self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<OutboxEntry>, Error> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.pool.with(|conn| {
            let st = conn.st.claim_mail.clone();
            let mut rows = conn.client.query(&st, &[&micros(now), &micros(lease_until), &limit]).map_err(fail("claiming mail"))?;
            rows.sort_by_key(|r| r.get::<_, i64>(0));
            rows.iter().map(|r| Ok(OutboxEntry { mail: parse(r.get(1), "mail")?, delivery: parse(r.get(2), "delivery state")? })).collect()
        })
    }

    fn settle_mail(&self, id: MailId, delivery: &DeliveryState) -> Result<(), Error> {
        let key = id.to_string();
        self.pool.with(|conn| {
            let st = conn.st.clone();
            let changed = conn
                .client
                .execute(&st.settle_mail, &[&key, &json(delivery, "delivery")?, &delivery.is_due(), &delivery.retry_at().map(micros)])
                .map_err(fail("settling mail"))?;
            if changed == 1 {
                return Ok(());
            }
            Err(unchanged_mail(conn, id, "was already sent", "settling mail")?)
        })
    }

    fn requeue_mail(&self, id: MailId, delivery: &DeliveryState) -> Result<(), Error> {
        let key = id.to_string();
        self.pool.with(|conn| {
            let st = conn.st.clone();
            let changed = conn.client.execute(&st.requeue_mail, &[&key, &json(delivery, "delivery")?]).map_err(fail("requeueing mail"))?;
            if changed == 1 {
                return Ok(());
            }
            Err(unchanged_mail(conn, id, "is not parked", "requeueing mail")?)
        })
    }

    fn outbox(&self) -> Result<Vec<OutboxEntry>, Error> {
        self.pool.with(|conn| {
            let st = conn.st.outbox.clone();
            let rows = conn.client.query(&st, &[]).map_err(fail("reading the outbox"))?;
            rows.iter().map(|r| Ok(OutboxEntry { mail: parse(r.get(0), "mail")?, delivery: parse(r.get(1), "delivery state")? })).collect()
        })
    }

    fn changes(&self, after: u64, limit: usize) -> Result<Vec<Positioned>, Error> {
        // Past the largest position a database can hold: nothing follows it.
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.pool.with(|conn| {
            let st = conn.st.clone();
            // READ COMMITTED: the numbering statement's snapshot is taken
            // after the lock is held, so it sees every position given before.
            let mut tx = conn
                .client
                .build_transaction()
                .isolation_level(IsolationLevel::ReadCommitted)
                .start()
                .map_err(fail("starting to read the changes feed"))?;
            tx.execute(&st.lock_feed, &[]).map_err(fail("locking the changes feed"))?;
            tx.execute(&st.position_feed, &[&limit]).map_err(fail("numbering the changes feed"))?;
            let rows = tx.query(&st.changes, &[&after, &limit]).map_err(fail("reading the changes feed"))?;
            tx.commit().map_err(fail("committing the changes feed's numbers"))?;
            rows.iter().map(|r| Ok(Positioned { position: to_u64(r.get(0), "position")?, event: parse(r.get(1), "event")? })).collect()
        })
    }
    fn vault_status(&self) -> Result<VaultStatus, Error> {
        self.pool.with(|conn| vault::status(conn, &self.keyring))
    }

    fn reseal_vault(&self, batch: u32) -> Result<Resealed, Error> {
        self.pool.with(|conn| vault::reseal(conn, &self.keyring, batch))
    }
}
