//! `BenefitCenter`: the entry point, owning the store, the mailer and the clock.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use partner_benefits::{BenefitCenter, MailId, Mailer, OrganizationId, UserId};
use partner_benefits_bindings::host::{self, HostOptions, Target, postgres_url};
use partner_benefits_bindings::python::convert::{id, run};
use partner_benefits_bindings::{AuditEntry, Change, DispatchReport, Organization, OutboxEntry, feed_page};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::clock::PyManualClock;
use crate::mailer::{HostMailer, host_mailer};
use crate::program::PyProgram;
use crate::session::PySession;

/// The entry point: owns the store, the mailer and the clock. Safe to share
/// between threads; the GIL is released while it works.
#[pyclass(name = "BenefitCenter", module = "partner_benefits", frozen)]
pub struct PyBenefitCenter {
    center: BenefitCenter,
    host_mailer: Option<Arc<HostMailer>>,
    description: String,
}

impl PyBenefitCenter {
    /// Opens a center on `target` with the GIL released (connecting may
    /// take seconds), through the set-up the Kotlin binding uses too.
    fn build(
        py: Python<'_>,
        target: Target,
        clock: Option<Bound<'_, PyManualClock>>,
        mailer: Option<Bound<'_, PyAny>>,
        stock_demo_keys: Option<bool>,
        catalog: Option<String>,
        description: String,
    ) -> PyResult<Self> {
        let host_mailer = host_mailer(mailer)?;
        let options = HostOptions {
            clock: clock.map(|manual| manual.get().clock.clone()),
            mailer: host_mailer.clone().map(|host| host as Arc<dyn Mailer>),
            stock_demo_keys,
            catalog,
        };
        let center = run(py, move || host::open(&target, options))?;
        Ok(Self { center, host_mailer, description })
    }
}

#[pymethods]
impl PyBenefitCenter {
    /// A center keeping its data in PostgreSQL when `target` is a string
    /// starting with `postgres://` or `postgresql://` in any letter case (the libpq URL form;
    /// tables are created or migrated at open), otherwise in the SQLite file
    /// at `target` (a `str` or `os.PathLike`, created if missing).
    #[staticmethod]
    #[pyo3(signature = (target, clock = None, mailer = None, stock_demo_keys = None, catalog = None))]
    fn open(
        py: Python<'_>,
        target: &Bound<'_, PyAny>,
        clock: Option<Bound<'_, PyManualClock>>,
        mailer: Option<Bound<'_, PyAny>>,
        stock_demo_keys: Option<bool>,
        catalog: Option<String>,
    ) -> PyResult<Self> {
        // Only a `str` is a URL: a `pathlib.Path` folds `//` and is always a file.
        let url = target.cast::<PyString>().ok().and_then(|s| s.to_cow().ok().and_then(|text| postgres_url(&text)));
        let target = match url {
            Some(url) => Target::Postgres(url),
            None => Target::Sqlite(target.extract::<PathBuf>()?),
        };
        let description = format!("BenefitCenter.open({})", PyString::new(py, &target.shown()).repr()?);
        Self::build(py, target, clock, mailer, stock_demo_keys, catalog, description)
    }

    /// A center keeping its data in memory, for tests and demos.
    #[staticmethod]
    #[pyo3(signature = (clock = None, mailer = None, stock_demo_keys = None, catalog = None))]
    fn in_memory(
        py: Python<'_>,
        clock: Option<Bound<'_, PyManualClock>>,
        mailer: Option<Bound<'_, PyAny>>,
        stock_demo_keys: Option<bool>,
        catalog: Option<String>,
    ) -> PyResult<Self> {
        Self::build(py, Target::Memory, clock, mailer, stock_demo_keys, catalog, "BenefitCenter.in_memory()".into())
    }

    /// The catalog in use, as JSON (a starting point for a host's own catalog).
    fn catalog_json(&self) -> String {
        self.center.catalog().to_json()
    }

    /// The center's current time.
    fn now(&self) -> DateTime<Utc> {
        self.center.now()
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
        run(py, || self.center.create_organization(name, account_email, admin_name, admin_email)).map(Into::into)
    }

    /// A session acting as `user_id` of `organization_id`.
    fn session(&self, py: Python<'_>, organization_id: &str, user_id: &str) -> PyResult<PySession> {
        let organization: OrganizationId = id(py, organization_id)?;
        let user: UserId = id(py, user_id)?;
        Ok(PySession { session: self.center.session(organization, user) })
    }

    /// The program operator's side: key pools, levels, competencies, requests.
    fn program(&self) -> PyProgram {
        PyProgram { program: self.center.program() }
    }

    /// Records everything that fell due; returns the number of events.
    fn process_due(&self, py: Python<'_>) -> PyResult<u64> {
        run(py, || self.center.process_due())
    }

    /// Sends due mail through the mailer; refused mail stays queued.
    fn dispatch_mail(&self, py: Python<'_>) -> PyResult<DispatchReport> {
        let report = run(py, || self.center.dispatch_mail());
        if let Some(interruption) = self.host_mailer.as_ref().and_then(|host| host.take_interruption()) {
            return Err(interruption);
        }
        report.map(Into::into)
    }

    /// Every mail of the outbox with its delivery state.
    fn outbox(&self, py: Python<'_>) -> PyResult<Vec<OutboxEntry>> {
        run(py, || self.center.outbox()).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// The whole audit log of an organization, oldest first.
    fn audit_log(&self, py: Python<'_>, organization_id: &str) -> PyResult<Vec<AuditEntry>> {
        let organization: OrganizationId = id(py, organization_id)?;
        run(py, || self.center.audit_log(organization)).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// Queues a parked mail again (`InvalidTransition` unless it is parked):
    /// the next dispatch tries it as if new.
    fn requeue_mail(&self, py: Python<'_>, mail_id: &str) -> PyResult<()> {
        let mail: MailId = id(py, mail_id)?;
        run(py, || self.center.requeue_mail(mail))
    }

    /// Up to `limit` (1 to 10 000) committed events of every stream after
    /// position `after`, in commit order. Keep the last change's position
    /// and ask for what follows it: nothing is missed or repeated, also
    /// while other processes commit.
    #[pyo3(signature = (after = 0, limit = 1000))]
    fn changes(&self, py: Python<'_>, after: i64, limit: i64) -> PyResult<Vec<Change>> {
        let center = &self.center;
        run(py, || {
            let (after, limit) = feed_page(after, limit)?;
            center.changes(after, limit)
        })
        .map(|all| all.into_iter().map(Into::into).collect())
    }

    fn __repr__(&self) -> String {
        self.description.clone()
    }
}
