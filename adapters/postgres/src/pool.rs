//! A small, bounded connection pool with prepared statements per connection,
//! and a connect that never hangs.

use std::sync::mpsc;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use partner_benefits::Error;
use postgres::{Client, Config};

use crate::blocking::off_runtime;
use crate::describe;
use crate::statements::Statements;
use crate::tls::Tls;

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
