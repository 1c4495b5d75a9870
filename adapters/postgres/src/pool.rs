//! A small, bounded connection pool with prepared statements per connection,
//! and a connect that never hangs.

use std::sync::mpsc;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use partner_benefits::Error;
use postgres::{Client, Config, Statement};

use crate::blocking::off_runtime;
use crate::describe;
use crate::tls::Tls;

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
    fn prepare(client: &mut Client) -> Result<Self, postgres::Error> {
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
            // The first key already in the vault, or given earlier in the same commit.
            first_stocked: p("SELECT n FROM ( \
                   SELECT t.k, t.n, row_number() OVER (PARTITION BY t.k ORDER BY t.n) AS seen \
                   FROM unnest($1::text[]) WITH ORDINALITY AS t(k, n)) given \
                 WHERE seen > 1 OR EXISTS (SELECT 1 FROM pb_vault v WHERE v.key = given.k) \
                 ORDER BY n LIMIT 1")?,
            insert_keys: p("INSERT INTO pb_vault (product, slot, key) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[])")?,
            vault_keys: p("SELECT slot, key FROM pb_vault WHERE product = $1 AND slot >= $2 AND slot < $3 ORDER BY slot")?,
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

/// One open connection and its prepared statements.
pub(crate) struct Conn {
    pub client: Client,
    pub st: Statements,
}

struct Slots {
    idle: Vec<Conn>,
    open: usize,
}

/// At most `size` connections; a caller waits up to `wait` for a free one.
pub(crate) struct Pool {
    config: Config,
    tls: Tls,
    schema: Option<String>,
    connect_timeout: Duration,
    size: usize,
    wait: Duration,
    slots: Mutex<Slots>,
    freed: Condvar,
}

/// A connection borrowed from the pool; goes back (or is dropped when broken) on drop.
pub(crate) struct Lease<'p> {
    pool: &'p Pool,
    conn: Option<Conn>,
    /// A call failed with a storage error: check the connection before reuse.
    suspect: bool,
}

impl std::ops::Deref for Lease<'_> {
    type Target = Conn;
    #[allow(clippy::expect_used)] // INVARIANT: `conn` is Some until drop
    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("a lease holds a connection until dropped")
    }
}

impl std::ops::DerefMut for Lease<'_> {
    #[allow(clippy::expect_used)] // INVARIANT: `conn` is Some until drop
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("a lease holds a connection until dropped")
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else { return };
        // A dropped server connection may not show as closed until used:
        // after a failure, ask the server before giving it to the next caller.
        let broken = conn.client.is_closed() || (self.suspect && conn.client.is_valid(Duration::from_secs(1)).is_err());
        if let Ok(mut slots) = self.pool.slots.lock() {
            if broken {
                slots.open = slots.open.saturating_sub(1);
            } else {
                slots.idle.push(conn);
            }
        }
        self.pool.freed.notify_one();
    }
}

/// Opens a client, bounding the whole connect (socket and handshake) by `timeout`.
pub(crate) fn open_client(config: &Config, tls: &Tls, schema: Option<&str>, timeout: Duration) -> Result<Client, Error> {
    let (tx, rx) = mpsc::channel();
    let config = config.clone();
    let connector = tls.clone();
    std::thread::Builder::new()
        .name("pb-postgres-connect".into())
        .spawn(move || {
            let _ = tx.send(connector.connect(&config));
        })
        .map_err(|e| Error::storage(format!("cannot start a PostgreSQL connect: {e}")))?;
    let mut client = match rx.recv_timeout(timeout) {
        Ok(Ok(client)) => client,
        Ok(Err(e)) => return Err(Error::storage(format!("cannot connect to PostgreSQL: {}", tls.explain(&e)))),
        Err(_) => {
            return Err(Error::storage(format!("PostgreSQL did not answer within {} s (connect timeout)", timeout.as_secs_f32())));
        }
    };
    // Our transactions never wait on the host: one left open (a client cut
    // off by the network) is ended by the server, releasing its row locks.
    let mut setup = String::from("SET idle_in_transaction_session_timeout = '60s';");
    if let Some(schema) = schema {
        setup.push_str(&format!("SET search_path TO {};", quote_ident(schema)));
    }
    client.batch_execute(&setup).map_err(|e| Error::storage(format!("cannot set up the session: {}", describe(&e))))?;
    Ok(client)
}

/// A double-quoted identifier (names are validated before, this is belt and braces).
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Closing a client blocks on its runtime: not on an async thread.
        let idle = self.slots.get_mut().map(|slots| std::mem::take(&mut slots.idle)).unwrap_or_default();
        off_runtime(move || drop(idle));
    }
}

impl Pool {
    pub(crate) fn new(
        config: Config,
        tls: Tls,
        schema: Option<String>,
        connect_timeout: Duration,
        size: usize,
        wait: Duration,
        first: Client,
    ) -> Result<Self, Error> {
        let pool = Self {
            config,
            tls,
            schema,
            connect_timeout,
            size: size.max(1),
            wait,
            slots: Mutex::new(Slots { idle: Vec::new(), open: 0 }),
            freed: Condvar::new(),
        };
        let conn = pool.wrap(first)?;
        let mut slots = pool.lock()?;
        slots.open = 1;
        slots.idle.push(conn);
        drop(slots);
        Ok(pool)
    }

    fn lock(&self) -> Result<MutexGuard<'_, Slots>, Error> {
        self.slots.lock().map_err(|_| Error::storage("the PostgreSQL connection pool was poisoned by a panic"))
    }

    fn wrap(&self, mut client: Client) -> Result<Conn, Error> {
        let st = Statements::prepare(&mut client).map_err(|e| Error::storage(format!("cannot prepare statements: {}", describe(&e))))?;
        Ok(Conn { client, st })
    }

    /// Runs `f` on a free connection; a connection on which `f` failed with
    /// a `storage` error is checked before reuse and dropped when broken.
    pub(crate) fn with<T: Send>(&self, f: impl FnOnce(&mut Conn) -> Result<T, Error> + Send) -> Result<T, Error> {
        off_runtime(|| {
            let mut lease = self.get()?;
            let result = f(&mut lease);
            if matches!(result, Err(Error::Storage { .. })) {
                lease.suspect = true;
            }
            result
        })
    }

    /// A free connection: an idle one, a new one while under `size`, or
    /// the next one given back within `wait`.
    pub(crate) fn get(&self) -> Result<Lease<'_>, Error> {
        let deadline = Instant::now() + self.wait;
        let mut slots = self.lock()?;
        loop {
            while let Some(conn) = slots.idle.pop() {
                if conn.client.is_closed() {
                    slots.open = slots.open.saturating_sub(1);
                    continue;
                }
                return Ok(Lease { pool: self, conn: Some(conn), suspect: false });
            }
            if slots.open < self.size {
                slots.open += 1;
                drop(slots);
                let opened = open_client(&self.config, &self.tls, self.schema.as_deref(), self.connect_timeout).and_then(|c| self.wrap(c));
                return match opened {
                    Ok(conn) => Ok(Lease { pool: self, conn: Some(conn), suspect: false }),
                    Err(err) => {
                        let mut slots = self.lock()?;
                        slots.open = slots.open.saturating_sub(1);
                        drop(slots);
                        self.freed.notify_one();
                        Err(err)
                    }
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::storage(format!(
                    "no PostgreSQL connection was free within {} s (pool of {})",
                    self.wait.as_secs_f32(),
                    self.size
                )));
            }
            slots = self
                .freed
                .wait_timeout(slots, left)
                .map_err(|_| Error::storage("the PostgreSQL connection pool was poisoned by a panic"))?
                .0;
        }
    }
}
