//! `BenefitCenter`: the entry point, owning the store, the mailer and the clock.

use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, Utc};
use partner_benefits::sealing::Keyring;
use partner_benefits::{BenefitCenter, Error, MailId, Mailer, OrganizationId, Program, Session, UserId};
use partner_benefits_bindings::host::{self, HostOptions, Target, postgres_url};
use partner_benefits_bindings::python::convert::{id, run};
use partner_benefits_bindings::python::errors::to_py;
use partner_benefits_bindings::{
    AuditEntry, Change, DispatchReport, Organization, OutboxEntry, Resealed, VaultStatus, feed_page, keyring, reseal_batch,
};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::clock::PyManualClock;
use crate::mailer::{HostMailer, host_mailer};
use crate::program::PyProgram;
use crate::session::PySession;

/// The core's center while the Python center is open. The Python center,
/// its sessions and its programs share one handle and reach the core through
/// it, so `close()` drops the core's center, and with it the store, however
/// many sessions are still alive. A call holds the lock only to clone the
/// center (an `Arc`), never while it works: closing waits for no call, and a
/// call in flight on another thread finishes on its clone, which releases
/// the store when it returns.
pub(crate) struct Handle {
    center: RwLock<Option<BenefitCenter>>,
    /// Whether a call can wait on I/O (a file, a server): then the GIL is
    /// released for it. A call on a center in memory takes about a
    /// microsecond; handing the GIL off and taking it back would cost it
    /// more than it lets other threads do meanwhile, so it keeps the GIL,
    /// unless the library's log goes to Python's `logging`: a call then
    /// logs while holding an organization's lock, and Python may hand the
    /// GIL to a thread that waits for that lock.
    waits: bool,
}

impl Handle {
    fn new(center: BenefitCenter, waits: bool) -> Arc<Self> {
        Arc::new(Self { center: RwLock::new(Some(center)), waits })
    }

    /// Runs core work, with the GIL released when it can wait on I/O,
    /// mapping its error to an exception.
    pub(crate) fn run<T, F>(&self, py: Python<'_>, work: F) -> PyResult<T>
    where
        F: FnOnce() -> Result<T, partner_benefits::Error> + Send,
        T: Send,
    {
        if self.waits || partner_benefits_bindings::logging::forwarding() { run(py, work) } else { work().map_err(|err| to_py(py, &err)) }
    }

    /// Runs `f` on the open center; once closed, `StorageError`. Nothing
    /// panics under the lock, so a poisoned lock still holds a sound value.
    fn with<T>(&self, py: Python<'_>, f: impl FnOnce(&BenefitCenter) -> T) -> PyResult<T> {
        let center = self.center.read().unwrap_or_else(PoisonError::into_inner);
        center.as_ref().map(f).ok_or_else(|| closed(py))
    }

    /// `StorageError` once closed.
    pub(crate) fn check(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, |_| ())
    }

    /// A clone of the open center, for work done with the GIL released.
    pub(crate) fn center(&self, py: Python<'_>) -> PyResult<BenefitCenter> {
        self.with(py, BenefitCenter::clone)
    }

    /// A core session on the open center.
    pub(crate) fn session(&self, py: Python<'_>, organization: OrganizationId, user: UserId) -> PyResult<Session> {
        self.with(py, |center| center.session(organization, user))
    }

    /// The program operator's handle on the open center.
    pub(crate) fn program(&self, py: Python<'_>) -> PyResult<Program> {
        self.with(py, BenefitCenter::program)
    }

    /// Takes the center out: every later call sees it closed.
    fn take(&self) -> Option<BenefitCenter> {
        self.center.write().unwrap_or_else(PoisonError::into_inner).take()
    }

    fn is_closed(&self) -> bool {
        self.center.read().unwrap_or_else(PoisonError::into_inner).is_none()
    }
}

/// The error of any call after `close()`.
fn closed(py: Python<'_>) -> PyErr {
    to_py(py, &Error::storage("the center was closed; open the store again for a new center"))
}

/// The entry point: owns the store, the mailer and the clock. Safe to share
/// between threads; the GIL is released while it works.
///
/// `close()` releases the store (a SQLite file is checkpointed and closed,
/// PostgreSQL connections are ended); `with BenefitCenter.open(...) as center:`
/// closes it on leaving the block, also on an exception. After closing,
/// every method of the center and of the sessions and programs made from it
/// raises `StorageError`; `close()` again does nothing.
#[pyclass(name = "BenefitCenter", module = "partner_benefits", frozen)]
pub struct PyBenefitCenter {
    handle: Arc<Handle>,
    host_mailer: Option<Arc<HostMailer>>,
    description: String,
}

impl PyBenefitCenter {
    /// Opens a center on `target` with the GIL released (connecting may
    /// take seconds), through the set-up the Kotlin binding uses too.
    #[allow(clippy::too_many_arguments)] // one per keyword argument of `open`, in its order
    fn build(
        py: Python<'_>,
        target: Target,
        clock: Option<Bound<'_, PyManualClock>>,
        mailer: Option<Bound<'_, PyAny>>,
        stock_demo_keys: Option<bool>,
        catalog: Option<String>,
        vault: Keyring,
        description: String,
    ) -> PyResult<Self> {
        let host_mailer = host_mailer(mailer)?;
        let options = HostOptions {
            clock: clock.map(|manual| manual.get().clock.clone()),
            mailer: host_mailer.clone().map(|host| host as Arc<dyn Mailer>),
            stock_demo_keys,
            catalog,
            vault,
        };
        let waits = !matches!(target, Target::Memory);
        let center = run(py, move || host::open(&target, options))?;
        Ok(Self { handle: Handle::new(center, waits), host_mailer, description })
    }
}

#[pymethods]
impl PyBenefitCenter {
    /// A center on a persistent store, chosen by `target`.
    ///
    /// A `str` starting with `postgres://` or `postgresql://` (in any letter
    /// case) is a PostgreSQL URL in the libpq form
    /// (`postgres://user:password@host:port/dbname?options`): the center
    /// keeps its data in that database, creating or migrating its `pb_`
    /// tables at open. The database and the role must exist. Many processes
    /// may share one database. Connecting gives up after 5 s.
    ///
    /// Anything else is a SQLite file (a `str` or `os.PathLike`, created if
    /// missing).
    ///
    /// Demo keys go into key pools never stocked when `stock_demo_keys` is
    /// true; by default only under a `ManualClock`. `catalog` is a catalog
    /// document as JSON (default: the built-in one).
    ///
    /// `vault_key` (32 `bytes` from the host's secret manager) seals license
    /// keys at rest (XChaCha20-Poly1305); `reseal_vault()` seals those kept
    /// in clear. Without it keys are kept in clear, as 0.1.0 did. A store
    /// whose keys are sealed under a key not given raises `StorageError` and
    /// is left unchanged. `previous_vault_keys` are keys being rotated out:
    /// they open what they sealed until `reseal_vault()` has moved every
    /// entry under `vault_key`. A key of another length raises `InvalidInput`.
    ///
    /// A malformed URL, an unreachable server, a failed login, a database of
    /// a newer schema, or an unusable file raises `StorageError`. The GIL is
    /// released while connecting. `repr(center)` shows the target with any
    /// password replaced by `***`. Use it in a `with` block, or call
    /// `close()`, to release the store when done.
    #[staticmethod]
    #[pyo3(signature = (target, clock = None, mailer = None, stock_demo_keys = None, catalog = None, vault_key = None, previous_vault_keys = Vec::new()))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments
    fn open(
        py: Python<'_>,
        target: &Bound<'_, PyAny>,
        clock: Option<Bound<'_, PyManualClock>>,
        mailer: Option<Bound<'_, PyAny>>,
        stock_demo_keys: Option<bool>,
        catalog: Option<String>,
        vault_key: Option<Vec<u8>>,
        previous_vault_keys: Vec<Vec<u8>>,
    ) -> PyResult<Self> {
        let vault = keyring(vault_key.as_deref(), &previous_vault_keys).map_err(|e| to_py(py, &e))?;
        // Only a `str` is a URL: a `pathlib.Path` folds `//` and is always a file.
        let url = target.cast::<PyString>().ok().and_then(|s| s.to_cow().ok().and_then(|text| postgres_url(&text)));
        let target = match url {
            Some(url) => Target::Postgres(url),
            None => Target::Sqlite(target.extract::<PathBuf>()?),
        };
        let description = format!("BenefitCenter.open({})", PyString::new(py, &target.shown()).repr()?);
        Self::build(py, target, clock, mailer, stock_demo_keys, catalog, vault, description)
    }

    /// A center keeping its data in memory, for tests and demos. Demo keys
    /// are stocked unless `stock_demo_keys=False`.
    #[staticmethod]
    #[pyo3(signature = (clock = None, mailer = None, stock_demo_keys = None, catalog = None))]
    fn in_memory(
        py: Python<'_>,
        clock: Option<Bound<'_, PyManualClock>>,
        mailer: Option<Bound<'_, PyAny>>,
        stock_demo_keys: Option<bool>,
        catalog: Option<String>,
    ) -> PyResult<Self> {
        Self::build(py, Target::Memory, clock, mailer, stock_demo_keys, catalog, Keyring::none(), "BenefitCenter.in_memory()".into())
    }

    /// The catalog in use, as JSON (a starting point for a host's own catalog).
    fn catalog_json(&self, py: Python<'_>) -> PyResult<String> {
        self.handle.with(py, |center| center.catalog().to_json())
    }

    /// The center's current time.
    fn now(&self, py: Python<'_>) -> PyResult<DateTime<Utc>> {
        self.handle.with(py, BenefitCenter::now)
    }

    /// Registers a partner company with its first Global admin.
    #[pyo3(signature = (*, name, account_email, admin_name, admin_email))]
    fn create_organization(
        &self,
        py: Python<'_>,
        name: &str,
        account_email: &str,
        admin_name: &str,
        admin_email: &str,
    ) -> PyResult<Organization> {
        let center = self.handle.center(py)?;
        self.handle.run(py, || center.create_organization(name, account_email, admin_name, admin_email)).map(Into::into)
    }

    /// A session acting as `user_id` of `organization_id`.
    fn session(&self, py: Python<'_>, organization_id: &str, user_id: &str) -> PyResult<PySession> {
        self.handle.check(py)?;
        let organization: OrganizationId = id(py, organization_id)?;
        let user: UserId = id(py, user_id)?;
        Ok(PySession::new(self.handle.clone(), organization, user))
    }

    /// The program operator's side: key pools, levels, competencies, requests.
    fn program(&self, py: Python<'_>) -> PyResult<PyProgram> {
        self.handle.check(py)?;
        Ok(PyProgram { handle: self.handle.clone() })
    }

    /// Records everything that fell due; returns the number of events.
    fn process_due(&self, py: Python<'_>) -> PyResult<u64> {
        let center = self.handle.center(py)?;
        self.handle.run(py, || center.process_due())
    }

    /// Sends due mail through the mailer; refused mail stays queued.
    fn dispatch_mail(&self, py: Python<'_>) -> PyResult<DispatchReport> {
        let center = self.handle.center(py)?;
        let report = run(py, || center.dispatch_mail());
        if let Some(interruption) = self.host_mailer.as_ref().and_then(|host| host.take_interruption()) {
            return Err(interruption);
        }
        report.map(Into::into)
    }

    /// Every mail of the outbox with its delivery state.
    fn outbox(&self, py: Python<'_>) -> PyResult<Vec<OutboxEntry>> {
        let center = self.handle.center(py)?;
        self.handle.run(py, || center.outbox()).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// The whole audit log of an organization, oldest first.
    fn audit_log(&self, py: Python<'_>, organization_id: &str) -> PyResult<Vec<AuditEntry>> {
        let center = self.handle.center(py)?;
        let organization: OrganizationId = id(py, organization_id)?;
        self.handle.run(py, || center.audit_log(organization)).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// Queues a parked mail again (`InvalidTransition` unless it is parked):
    /// the next dispatch tries it as if new.
    fn requeue_mail(&self, py: Python<'_>, mail_id: &str) -> PyResult<()> {
        let center = self.handle.center(py)?;
        let mail: MailId = id(py, mail_id)?;
        self.handle.run(py, || center.requeue_mail(mail))
    }

    /// How the store keeps its key vault: entries in clear, sealed per
    /// vault key id, and the key new entries are sealed under.
    fn vault_status(&self, py: Python<'_>) -> PyResult<VaultStatus> {
        let center = self.handle.center(py)?;
        self.handle.run(py, || center.vault_status()).map(Into::into)
    }

    /// Seals up to `batch` (1 to 10 000) entries kept in clear or under a
    /// previous key under the vault key, in one transaction. Call until
    /// `remaining` is 0; a stopped run resumes, and every key stays
    /// readable. `PreconditionFailed` when opened without a vault key.
    #[pyo3(signature = (batch = 1000))]
    fn reseal_vault(&self, py: Python<'_>, batch: i64) -> PyResult<Resealed> {
        let center = self.handle.center(py)?;
        self.handle.run(py, || center.reseal_vault(reseal_batch(batch))).map(Into::into)
    }

    /// Up to `limit` (1 to 10 000) committed events of every stream after
    /// position `after`, in commit order. Keep the last change's position
    /// and ask for what follows it: nothing is missed or repeated, also
    /// while other processes commit.
    #[pyo3(signature = (after = 0, limit = 1000))]
    fn changes(&self, py: Python<'_>, after: i64, limit: i64) -> PyResult<Vec<Change>> {
        let center = self.handle.center(py)?;
        self.handle
            .run(py, || {
                let (after, limit) = feed_page(after, limit)?;
                center.changes(after, limit)
            })
            .map(|all| all.into_iter().map(Into::into).collect())
    }

    /// Releases the store: a SQLite file is checkpointed (its `-wal` folded
    /// in and removed) and closed, PostgreSQL connections are ended. From
    /// then on every method of the center, and of the sessions and programs
    /// made from it, raises `StorageError`. Closing again does nothing. A
    /// call in flight on another thread finishes first, and the store is
    /// released when it returns.
    fn close(&self, py: Python<'_>) {
        if let Some(center) = self.handle.take() {
            // Closing a store may write (a checkpoint) or talk to a server.
            py.detach(move || drop(center));
        }
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.handle.is_closed()
    }

    /// `with BenefitCenter.open(...) as center:` gives the center itself;
    /// a closed one raises `StorageError`.
    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        slf.get().handle.check(slf.py())?;
        Ok(slf)
    }

    /// Closes the center on leaving the `with` block, also on an exception
    /// (which goes on).
    #[pyo3(signature = (exc_type, exc_value, traceback, /))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<Bound<'_, PyAny>>,
        exc_value: Option<Bound<'_, PyAny>>,
        traceback: Option<Bound<'_, PyAny>>,
    ) {
        let _ = (exc_type, exc_value, traceback);
        self.close(py);
    }

    fn __repr__(&self) -> String {
        if self.handle.is_closed() {
            return format!("<closed {}>", self.description);
        }
        self.description.clone()
    }
}
