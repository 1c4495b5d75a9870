//! The connection pool: [r2d2](https://docs.rs/r2d2), with a manager that
//! opens a connection the way this store needs (a connect that never hangs,
//! the session set up, the statements prepared) and drops a broken one.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use partner_benefits::Error;
use postgres::{Client, Config};
use scheduled_thread_pool::{OnPoolDropBehavior, ScheduledThreadPool};

use crate::blocking::off_runtime;
use crate::describe;
use crate::statements::Statements;
use crate::tls::Tls;

/// How long a connection may take to answer the check after a failed call.
const CHECK: Duration = Duration::from_secs(1);
/// r2d2 tries a failed connect again with a growing delay of at most half
/// its `connection_timeout` (a caller's own wait is `acquire_timeout`): a
/// pool whose server is back opens a connection within a second.
const RETRY_CEILING: Duration = Duration::from_secs(2);
/// Larger pools are capped (r2d2 reserves room for all of them up front).
const MOST_CONNECTIONS: usize = 1000;

/// One open connection and its prepared statements.
pub(crate) struct Conn {
    pub client: Client,
    pub st: Statements,
    /// A call failed and the server did not answer the check after: not to be reused.
    broken: bool,
}

/// Why the last connect failed, kept until one succeeds.
type Failure = Arc<Mutex<Option<String>>>;

/// Opens connections for r2d2 and tells it which ones broke.
struct Manager {
    config: Config,
    tls: Tls,
    schema: Option<String>,
    connect_timeout: Duration,
    /// The connection `PostgresStore::connect` opened (and migrated on), handed out first.
    first: Mutex<Option<Conn>>,
    failure: Failure,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = Error;

    fn connect(&self) -> Result<Conn, Error> {
        if let Some(conn) = self.first.lock().ok().and_then(|mut first| first.take()) {
            return Ok(conn);
        }
        let opened = open_client(&self.config, &self.tls, self.schema.as_deref(), self.connect_timeout).and_then(wrap);
        if let Ok(mut failure) = self.failure.lock() {
            *failure = opened.as_ref().err().map(message);
        }
        opened
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), Error> {
        conn.client.is_valid(CHECK).map_err(|e| Error::storage(format!("the PostgreSQL connection does not answer: {}", describe(&e))))
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.broken || conn.client.is_closed()
    }
}

/// Sends r2d2's reports (a connect that failed, tried again in the
/// background) to `tracing`. They carry the store's own message, which
/// never holds the password, never the configuration.
#[derive(Debug)]
struct Report;

impl r2d2::HandleError<Error> for Report {
    fn handle_error(&self, error: Error) {
        tracing::warn!(code = error.code(), "{}; the pool tries again", message(&error));
    }
}

/// A storage error's message, without the "storage error:" in front.
fn message(error: &Error) -> String {
    match error {
        Error::Storage { message } => message.clone(),
        other => other.to_string(),
    }
}

fn wrap(mut client: Client) -> Result<Conn, Error> {
    let st = Statements::prepare(&mut client).map_err(|e| Error::storage(format!("cannot prepare statements: {}", describe(&e))))?;
    Ok(Conn { client, st, broken: false })
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

/// The threads that open connections; a store dropped drops the connects it
/// still meant to try again.
fn workers(threads: usize) -> ScheduledThreadPool {
    ScheduledThreadPool::builder()
        .num_threads(threads)
        .thread_name_pattern("pb-postgres-pool-{}")
        .on_drop_behavior(OnPoolDropBehavior::DiscardPendingScheduled)
        .build()
}

/// At most `size` connections, opened when a call needs one and kept until
/// they break; a caller waits up to `wait` for a free one.
pub(crate) struct Pool {
    /// `None` only once dropped.
    inner: Option<r2d2::Pool<Manager>>,
    failure: Failure,
    size: usize,
    wait: Duration,
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Closing a client blocks on its runtime: not on an async thread.
        let inner = self.inner.take();
        off_runtime(move || drop(inner));
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
        let size = size.clamp(1, MOST_CONNECTIONS);
        let failure = Failure::default();
        let first = Mutex::new(Some(wrap(first)?));
        let manager = Manager { config, tls, schema, connect_timeout, first, failure: failure.clone() };
        let inner = r2d2::Pool::builder()
            .max_size(u32::try_from(size).unwrap_or(1))
            // No connection opened ahead of a call, none closed while it works.
            .min_idle(Some(0))
            .idle_timeout(None)
            .max_lifetime(None)
            // A failed call checks its connection (`with`); a good one is not asked again.
            .test_on_check_out(false)
            .connection_timeout(RETRY_CEILING)
            .error_handler(Box::new(Report))
            .thread_pool(Arc::new(workers(size.min(3))))
            .build_unchecked(manager);
        Ok(Self { inner: Some(inner), failure, size, wait })
    }

    /// Runs `f` on a free connection; a connection on which `f` failed with
    /// a `storage` error is checked, and dropped when it does not answer.
    pub(crate) fn with<T: Send>(&self, f: impl FnOnce(&mut Conn) -> Result<T, Error> + Send) -> Result<T, Error> {
        off_runtime(|| {
            let mut conn = self.get()?;
            let result = f(&mut conn);
            // A dropped server connection may not show as closed until used:
            // after a failure, ask the server before the next caller gets it.
            if matches!(result, Err(Error::Storage { .. })) && conn.client.is_valid(CHECK).is_err() {
                conn.broken = true;
            }
            result
        })
    }

    /// A free connection within `wait`, or why there is none.
    fn get(&self) -> Result<r2d2::PooledConnection<Manager>, Error> {
        let Some(pool) = &self.inner else { return Err(Error::storage("the PostgreSQL connection pool is closed")) };
        pool.get_timeout(self.wait).map_err(|_| {
            let mut text = format!("no PostgreSQL connection was free within {} s (pool of {})", self.wait.as_secs_f32(), self.size);
            if let Some(failure) = self.failure.lock().ok().and_then(|f| f.clone()) {
                text.push_str(&format!("; opening one failed: {failure}"));
            }
            Error::storage(text)
        })
    }
}
