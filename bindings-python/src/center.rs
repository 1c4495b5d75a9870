//! The façade classes: `ManualClock`, `BenefitCenter`, `Session`, `Program`,
//! and the adapter that lets a Python object act as the core's `Mailer`.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use partner_benefits::catalog::BenefitKind;
use partner_benefits::{
    BenefitCenter, BenefitId, Catalog, Clock, Error, LicenseKey, Mail, Mailer, ManualClock, MemoryStore, OfferId, OrganizationId,
    PackageId, PartnerLevel, Phase, RequestId, Role, Session, Store, UserId,
};
use partner_benefits_postgres::PostgresStore;
use partner_benefits_sqlite::{SqliteStore, SystemClock};
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::commands::{PyCommand, PyOutcome};
use crate::convert::{aware_utc, decimal, id, parse_category, parse_enum, repr_fields, run};
use crate::errors::{invalid, to_py};
use crate::values::{
    PyAuditEntry, PyBenefit, PyCancellation, PyDispatchReport, PyKeyPool, PyKeys, PyMail, PyMarketingContact, PyMoney, PyOffer,
    PyOrganization, PyOutboxEntry, PyPackage, PyRequest, PyUser,
};

/// How many demo keys go into each never-stocked pool.
const DEMO_KEYS_PER_POOL: u32 = 500;

// ------------------------------------------------------------------ clock

/// A clock that moves only when told; for tests, demos and replays.
#[pyclass(name = "ManualClock", module = "partner_benefits", frozen)]
pub struct PyManualClock {
    clock: Arc<ManualClock>,
}

#[pymethods]
impl PyManualClock {
    #[new]
    fn new(start: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self { clock: Arc::new(ManualClock::new(aware_utc("start", start)?)) })
    }

    /// The time it shows, in UTC.
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Moves the clock to `to` (an aware datetime).
    fn set(&self, to: &Bound<'_, PyAny>) -> PyResult<()> {
        self.clock.set(aware_utc("to", to)?);
        Ok(())
    }

    /// Moves the clock forward (or back, for a negative timedelta); it stays
    /// inside the years 1 to 9999 that `datetime` can show.
    fn advance(&self, py: Python<'_>, by: TimeDelta) -> PyResult<()> {
        // The GIL is held throughout, so no other Python call moves the clock in between.
        let next = self
            .clock
            .now()
            .checked_add_signed(by)
            .filter(|t| (1..=9999).contains(&t.year()))
            .ok_or_else(|| invalid(py, "by", "the clock would leave the years 1 to 9999"))?;
        self.clock.set(next);
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!("ManualClock({})", self.clock.now().to_rfc3339())
    }
}

// ------------------------------------------------------------------ mailer

/// A Python object with `send(mail)` used as the core's mailer. An `Exception`
/// from it is a refusal: the mail stays queued for the next dispatch. A
/// `BaseException` that is not an `Exception` (e.g. `KeyboardInterrupt`) stops
/// the dispatch: the rest stays queued and `dispatch_mail` raises it.
struct HostMailer {
    target: Py<PyAny>,
    interrupted: Mutex<Option<PyErr>>,
}

impl HostMailer {
    /// The interruption seen by the last dispatch, if any, taken.
    fn take_interruption(&self) -> Option<PyErr> {
        self.interrupted.lock().ok().and_then(|mut slot| slot.take())
    }
}

impl Mailer for HostMailer {
    fn send(&self, mail: &Mail) -> Result<(), Error> {
        let stopped = || Error::Mail { message: "the dispatch was interrupted".into() };
        if self.interrupted.lock().map(|slot| slot.is_some()).unwrap_or(true) {
            return Err(stopped());
        }
        Python::attach(|py| {
            let sent = Py::new(py, PyMail::from(mail)).and_then(|value| self.target.bind(py).call_method1("send", (value,)));
            match sent {
                Ok(_) => Ok(()),
                Err(err) if err.is_instance_of::<PyException>(py) => {
                    let kind = err.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".into());
                    Err(Error::Mail { message: format!("the host mailer raised {kind}: {}", err.value(py)) })
                }
                Err(err) => {
                    if let Ok(mut slot) = self.interrupted.lock() {
                        *slot = Some(err);
                    }
                    Err(stopped())
                }
            }
        })
    }
}

/// Used when no mailer is given: refuses, so mail stays queued and is never lost.
struct NoMailer;

impl Mailer for NoMailer {
    fn send(&self, _: &Mail) -> Result<(), Error> {
        Err(Error::Mail { message: "no mailer is configured; pass `mailer=` to the BenefitCenter".into() })
    }
}

fn host_mailer(mailer: Option<Bound<'_, PyAny>>) -> PyResult<Option<Arc<HostMailer>>> {
    match mailer {
        None => Ok(None),
        Some(target) if target.hasattr("send")? => {
            Ok(Some(Arc::new(HostMailer { target: target.unbind(), interrupted: Mutex::new(None) })))
        }
        Some(_) => Err(PyTypeError::new_err("a mailer needs a `send(mail)` method")),
    }
}

// ------------------------------------------------------------------ center

/// True for a target that names a PostgreSQL database rather than a SQLite file.
fn is_postgres_url(target: &str) -> bool {
    target.starts_with("postgres://") || target.starts_with("postgresql://")
}

/// A PostgreSQL URL fit for `repr`: the password (in the user info or a
/// `password=` option) replaced by `***`. Splits the way the `postgres` crate
/// parses: the user info is everything before the first `@`.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let rest = match rest.split_once('@') {
        Some((credentials, after)) => match credentials.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{after}"),
            None => rest.to_owned(),
        },
        None => rest.to_owned(),
    };
    let rest = match rest.split_once('?') {
        Some((base, query)) => {
            let options: Vec<String> = query
                .split('&')
                .map(|option| match option.split_once('=') {
                    Some((key, _)) if key == "password" => format!("{key}=***"),
                    _ => option.to_owned(),
                })
                .collect();
            format!("{base}?{}", options.join("&"))
        }
        None => rest,
    };
    format!("{scheme}://{rest}")
}

/// Every product with a key pool in the catalog.
fn keyed_products(catalog: &Catalog) -> Vec<String> {
    let mut products: Vec<String> = Vec::new();
    for template in &catalog.packages {
        for benefit in &template.benefits {
            if let BenefitKind::Software { product, .. } | BenefitKind::CloudLicense { product, .. } = &benefit.kind {
                let product = product.as_str().to_string();
                if !products.contains(&product) {
                    products.push(product);
                }
            }
        }
    }
    products
}

/// Stocks generated `DEMO-…` keys into every pool that was never stocked.
fn stock_demo_keys(center: &BenefitCenter) -> Result<(), Error> {
    let program = center.program();
    for product in keyed_products(center.catalog()) {
        if program.key_pool(&product)?.stocked > 0 {
            continue;
        }
        let prefix = product.to_uppercase();
        let keys = (1..=DEMO_KEYS_PER_POOL).map(|n| LicenseKey::new(format!("DEMO-{prefix}-{n:05}"))).collect::<Result<Vec<_>, _>>()?;
        program.stock_keys(&product, keys)?;
    }
    Ok(())
}

/// The entry point: owns the store, the mailer and the clock. Safe to share
/// between threads; the GIL is released while it works.
#[pyclass(name = "BenefitCenter", module = "partner_benefits", frozen)]
pub struct PyBenefitCenter {
    center: BenefitCenter,
    host_mailer: Option<Arc<HostMailer>>,
    description: String,
}

impl PyBenefitCenter {
    fn build(
        py: Python<'_>,
        store: Arc<dyn Store>,
        clock: Option<Bound<'_, PyManualClock>>,
        mailer: Option<Bound<'_, PyAny>>,
        catalog: Option<String>,
        demo_keys: bool,
        description: String,
    ) -> PyResult<Self> {
        let clock: Arc<dyn Clock> = match clock {
            Some(manual) => manual.get().clock.clone(),
            None => Arc::new(SystemClock),
        };
        let host_mailer = host_mailer(mailer)?;
        let mailer: Arc<dyn Mailer> = match &host_mailer {
            Some(host) => host.clone(),
            None => Arc::new(NoMailer),
        };
        let center = run(py, move || {
            let catalog = match catalog {
                Some(json) => Catalog::from_json(&json)?,
                None => Catalog::builtin()?,
            };
            let center = BenefitCenter::new(store, mailer, clock, catalog);
            if demo_keys {
                stock_demo_keys(&center)?;
            }
            Ok(center)
        })?;
        Ok(Self { center, host_mailer, description })
    }
}

#[pymethods]
impl PyBenefitCenter {
    /// A center keeping its data in PostgreSQL when `target` is a string
    /// starting with `postgres://` or `postgresql://` (the libpq URL form;
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
        let demo = stock_demo_keys.unwrap_or(clock.is_some());
        let url = target.cast::<PyString>().ok().and_then(|s| s.to_cow().ok().map(Cow::into_owned)).filter(|s| is_postgres_url(s));
        let (store, shown): (Arc<dyn Store>, String) = match url {
            Some(url) => {
                let store = run(py, || PostgresStore::connect(&url))?;
                (Arc::new(store), redact_url(&url))
            }
            None => {
                let path: PathBuf = target.extract()?;
                let store = run(py, || SqliteStore::open(&path))?;
                (Arc::new(store), path.to_string_lossy().into_owned())
            }
        };
        let description = format!("BenefitCenter.open({})", PyString::new(py, &shown).repr()?);
        Self::build(py, store, clock, mailer, catalog, demo, description)
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
        let demo = stock_demo_keys.unwrap_or(true);
        Self::build(py, Arc::new(MemoryStore::new()), clock, mailer, catalog, demo, "BenefitCenter.in_memory()".into())
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
    ) -> PyResult<PyOrganization> {
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
    fn dispatch_mail(&self, py: Python<'_>) -> PyResult<PyDispatchReport> {
        let report = run(py, || self.center.dispatch_mail());
        if let Some(interruption) = self.host_mailer.as_ref().and_then(|host| host.take_interruption()) {
            return Err(interruption);
        }
        report.map(Into::into)
    }

    /// Every mail of the outbox with its delivery state.
    fn outbox(&self, py: Python<'_>) -> PyResult<Vec<PyOutboxEntry>> {
        run(py, || self.center.outbox()).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// The whole audit log of an organization, oldest first.
    fn audit_log(&self, py: Python<'_>, organization_id: &str) -> PyResult<Vec<PyAuditEntry>> {
        let organization: OrganizationId = id(py, organization_id)?;
        run(py, || self.center.audit_log(organization)).map(|all| all.into_iter().map(Into::into).collect())
    }

    fn __repr__(&self) -> String {
        self.description.clone()
    }
}

// ------------------------------------------------------------------ program

/// The program operator: stocks key pools, sets levels and competencies,
/// completes requests. Not one of the partner's roles.
#[pyclass(name = "Program", module = "partner_benefits", frozen)]
pub struct PyProgram {
    program: partner_benefits::Program,
}

#[pymethods]
impl PyProgram {
    /// Adds keys to a product's pool; returns the keys now available.
    fn stock_keys(&self, py: Python<'_>, product: &str, keys: Vec<String>) -> PyResult<u64> {
        let keys = keys.into_iter().map(LicenseKey::new).collect::<Result<Vec<_>, _>>().map_err(|err| to_py(py, &err))?;
        run(py, || self.program.stock_keys(product, keys))
    }

    /// A product's pool counts.
    fn key_pool(&self, py: Python<'_>, product: &str) -> PyResult<PyKeyPool> {
        run(py, || self.program.key_pool(product)).map(Into::into)
    }

    /// Sets an organization's partner level.
    fn set_partner_level(&self, py: Python<'_>, organization_id: &str, level: &Bound<'_, PyAny>) -> PyResult<()> {
        let organization: OrganizationId = id(py, organization_id)?;
        let level: PartnerLevel = parse_enum(level)?;
        run(py, || self.program.set_partner_level(organization, level))
    }

    /// Grants a competency.
    fn grant_competency(&self, py: Python<'_>, organization_id: &str, competency: &str) -> PyResult<()> {
        let organization: OrganizationId = id(py, organization_id)?;
        run(py, || self.program.grant_competency(organization, competency))
    }

    /// Revokes a competency.
    fn revoke_competency(&self, py: Python<'_>, organization_id: &str, competency: &str) -> PyResult<()> {
        let organization: OrganizationId = id(py, organization_id)?;
        run(py, || self.program.revoke_competency(organization, competency))
    }

    /// Marks an assistance request delivered.
    fn complete_request(&self, py: Python<'_>, organization_id: &str, request_id: &str) -> PyResult<()> {
        let organization: OrganizationId = id(py, organization_id)?;
        let request: RequestId = id(py, request_id)?;
        run(py, || self.program.complete_request(organization, request))
    }

    /// Every organization in the store.
    fn organizations(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        run(py, || self.program.organizations()).map(|all| all.iter().map(ToString::to_string).collect())
    }

    fn __repr__(&self) -> String {
        "Program()".into()
    }
}

// ------------------------------------------------------------------ session

fn roles_of(roles: &[Bound<'_, PyAny>]) -> PyResult<Vec<Role>> {
    roles.iter().map(parse_enum).collect()
}

/// Acts as one user of one organization; one method per command and query.
#[pyclass(name = "Session", module = "partner_benefits", frozen)]
pub struct PySession {
    session: Session,
}

#[pymethods]
impl PySession {
    /// The organization acted on.
    #[getter]
    fn organization_id(&self) -> String {
        self.session.organization_id().to_string()
    }

    /// The acting user.
    #[getter]
    fn user_id(&self) -> String {
        self.session.user_id().to_string()
    }

    /// This session, applying its next command at most once under `key`.
    fn with_idempotency_key(&self, key: String) -> Self {
        Self { session: self.session.with_idempotency_key(key) }
    }

    /// This session, retrying a command up to `retries` times on `Conflict`.
    fn with_retries(&self, retries: u32) -> Self {
        Self { session: self.session.with_retries(retries) }
    }

    /// Applies one command.
    fn execute(&self, py: Python<'_>, command: PyRef<'_, PyCommand>) -> PyResult<PyOutcome> {
        let command = command.command.clone();
        run(py, || self.session.execute(command)).map(Into::into)
    }

    /// Applies many commands in one atomic commit: all of them or none.
    fn execute_batch(&self, py: Python<'_>, commands: Vec<PyRef<'_, PyCommand>>) -> PyResult<Vec<PyOutcome>> {
        let commands: Vec<_> = commands.iter().map(|c| c.command.clone()).collect();
        run(py, || self.session.execute_batch(&commands)).map(|all| all.into_iter().map(Into::into).collect())
    }

    // ----- account settings -----

    /// Adds an employee; returns the new user's id.
    #[pyo3(signature = (name, email, roles = Vec::new(), language = None))]
    fn add_user(&self, py: Python<'_>, name: &str, email: &str, roles: Vec<Bound<'_, PyAny>>, language: Option<&str>) -> PyResult<String> {
        let roles = roles_of(&roles)?;
        run(py, || self.session.add_user_with_language(name, email, &roles, language)).map(|user| user.to_string())
    }

    /// Replaces a user's roles.
    fn set_user_roles(&self, py: Python<'_>, user_id: &str, roles: Vec<Bound<'_, PyAny>>) -> PyResult<()> {
        let user: UserId = id(py, user_id)?;
        let roles = roles_of(&roles)?;
        run(py, || self.session.set_user_roles(user, &roles))
    }

    // ----- packages -----

    /// Buys a package of the catalog; returns it.
    fn purchase_package(&self, py: Python<'_>, template: &str) -> PyResult<PyPackage> {
        run(py, || {
            let package = self.session.purchase_package(template)?;
            self.session.package(package)
        })
        .map(Into::into)
    }

    /// Renews a package inside its window; returns the new expiry.
    fn renew_package(&self, py: Python<'_>, package_id: &str) -> PyResult<DateTime<Utc>> {
        let package: PackageId = id(py, package_id)?;
        run(py, || self.session.renew_package(package))
    }

    /// Requests cancellation of a package; returns the refund or raises `RefundNotAllowed`.
    fn cancel_package(&self, py: Python<'_>, package_id: &str) -> PyResult<PyMoney> {
        let package: PackageId = id(py, package_id)?;
        run(py, || self.session.cancel_package(package)).map(Into::into)
    }

    /// Requests cancellation of a Go-To-Market offer under the same rule.
    fn cancel_offer(&self, py: Python<'_>, offer_id: &str) -> PyResult<PyMoney> {
        let offer: OfferId = id(py, offer_id)?;
        run(py, || self.session.cancel_offer(offer)).map(Into::into)
    }

    // ----- software and cloud -----

    /// "Get keys" for software in a language and OS; activates it.
    #[pyo3(signature = (benefit_id, language, os))]
    fn get_keys(&self, py: Python<'_>, benefit_id: &str, language: &str, os: &str) -> PyResult<PyKeys> {
        let benefit: BenefitId = id(py, benefit_id)?;
        run(py, || self.session.get_keys(benefit, language, os)).map(Into::into)
    }

    /// "Get keys" for a license-based cloud subscription.
    fn get_license_keys(&self, py: Python<'_>, benefit_id: &str) -> PyResult<PyKeys> {
        let benefit: BenefitId = id(py, benefit_id)?;
        run(py, || self.session.get_license_keys(benefit)).map(Into::into)
    }

    /// Assigns a Visual Studio subscription, or yourself to Azure.
    fn assign_user(&self, py: Python<'_>, benefit_id: &str, user_id: &str) -> PyResult<()> {
        let benefit: BenefitId = id(py, benefit_id)?;
        let user: UserId = id(py, user_id)?;
        run(py, || self.session.assign_user(benefit, user))
    }

    /// Removes an assigned user.
    fn unassign_user(&self, py: Python<'_>, benefit_id: &str, user_id: &str) -> PyResult<()> {
        let benefit: BenefitId = id(py, benefit_id)?;
        let user: UserId = id(py, user_id)?;
        run(py, || self.session.unassign_user(benefit, user))
    }

    /// Removes `from_user` and assigns `to_user` in one step.
    fn reassign_user(&self, py: Python<'_>, benefit_id: &str, from_user: &str, to_user: &str) -> PyResult<()> {
        let benefit: BenefitId = id(py, benefit_id)?;
        let from: UserId = id(py, from_user)?;
        let to: UserId = id(py, to_user)?;
        run(py, || self.session.reassign_user(benefit, from, to))
    }

    // ----- technical -----

    /// Activates a technical benefit for a user with an alternate email.
    fn activate_technical(&self, py: Python<'_>, benefit_id: &str, user_id: &str, alternate_email: &str) -> PyResult<()> {
        let benefit: BenefitId = id(py, benefit_id)?;
        let user: UserId = id(py, user_id)?;
        run(py, || self.session.activate_technical(benefit, user, alternate_email))
    }

    /// Requests assistance, drawing `amount` hours (or incidents); returns the request id.
    fn request_assistance(
        &self,
        py: Python<'_>,
        benefit_id: &str,
        phase: &Bound<'_, PyAny>,
        amount: &Bound<'_, PyAny>,
        description: &str,
    ) -> PyResult<String> {
        let benefit: BenefitId = id(py, benefit_id)?;
        let phase: Phase = parse_enum(phase)?;
        let amount = decimal("amount", amount)?;
        run(py, || self.session.request_assistance(benefit, phase, amount, description)).map(|r| r.to_string())
    }

    /// Withdraws a submitted request; its hours return.
    fn withdraw_request(&self, py: Python<'_>, request_id: &str) -> PyResult<()> {
        let request: RequestId = id(py, request_id)?;
        run(py, || self.session.withdraw_request(request))
    }

    // ----- Go-To-Market -----

    /// Adds, updates or changes the marketing contact.
    fn set_marketing_contact(&self, py: Python<'_>, user_id: &str, email: &str, phone: &str, language: &str) -> PyResult<()> {
        let user: UserId = id(py, user_id)?;
        run(py, || self.session.set_marketing_contact(user, email, phone, language))
    }

    /// Activates an offer; returns when it becomes active.
    fn activate_offer(&self, py: Python<'_>, offer_id: &str) -> PyResult<DateTime<Utc>> {
        let offer: OfferId = id(py, offer_id)?;
        run(py, || self.session.activate_offer(offer))
    }

    // ----- queries -----

    /// The organization.
    fn organization(&self, py: Python<'_>) -> PyResult<PyOrganization> {
        run(py, || self.session.organization()).map(Into::into)
    }

    /// Its users.
    fn users(&self, py: Python<'_>) -> PyResult<Vec<PyUser>> {
        run(py, || self.session.users()).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// Its packages.
    fn packages(&self, py: Python<'_>) -> PyResult<Vec<PyPackage>> {
        run(py, || self.session.packages()).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// One package.
    fn package(&self, py: Python<'_>, package_id: &str) -> PyResult<PyPackage> {
        let package: PackageId = id(py, package_id)?;
        run(py, || self.session.package(package)).map(Into::into)
    }

    /// The benefits of one package.
    fn benefits(&self, py: Python<'_>, package_id: &str) -> PyResult<Vec<PyBenefit>> {
        let package: PackageId = id(py, package_id)?;
        run(py, || self.session.benefits(package)).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// Every benefit of every package.
    fn all_benefits(&self, py: Python<'_>) -> PyResult<Vec<PyBenefit>> {
        run(py, || self.session.all_benefits()).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// Every benefit of one category.
    fn benefits_in(&self, py: Python<'_>, category: &Bound<'_, PyAny>) -> PyResult<Vec<PyBenefit>> {
        let category = parse_category(category)?;
        run(py, || self.session.benefits_in(category)).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// One benefit.
    fn benefit(&self, py: Python<'_>, benefit_id: &str) -> PyResult<PyBenefit> {
        let benefit: BenefitId = id(py, benefit_id)?;
        run(py, || self.session.benefit(benefit)).map(Into::into)
    }

    /// Every Go-To-Market offer.
    fn offers(&self, py: Python<'_>) -> PyResult<Vec<PyOffer>> {
        run(py, || self.session.offers()).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// One offer.
    fn offer(&self, py: Python<'_>, offer_id: &str) -> PyResult<PyOffer> {
        let offer: OfferId = id(py, offer_id)?;
        run(py, || self.session.offer(offer)).map(Into::into)
    }

    /// The marketing contact, if set.
    fn marketing_contact(&self, py: Python<'_>) -> PyResult<Option<PyMarketingContact>> {
        run(py, || self.session.marketing_contact()).map(|c| c.map(Into::into))
    }

    /// Assistance requests.
    fn requests(&self, py: Python<'_>) -> PyResult<Vec<PyRequest>> {
        run(py, || self.session.requests()).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// Cancellation service requests and their answers.
    fn cancellations(&self, py: Python<'_>) -> PyResult<Vec<PyCancellation>> {
        run(py, || self.session.cancellations()).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// The organization's audit log; needs the Global admin role.
    fn audit_log(&self, py: Python<'_>) -> PyResult<Vec<PyAuditEntry>> {
        run(py, || self.session.audit_log()).map(|all| all.into_iter().map(Into::into).collect())
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(slf.as_any(), "Session", &["organization_id", "user_id"])
    }
}
