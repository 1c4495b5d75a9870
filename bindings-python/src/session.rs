//! `Session`: one user of one organization, one method per command and query.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use partner_benefits::{BenefitId, OfferId, OrganizationId, PackageId, Phase, RequestId, Role, Session, UserId};
use partner_benefits_bindings::python::convert::{decimal, id, parse_category, parse_enum, repr_fields};
use partner_benefits_bindings::{
    AssignmentResult, AuditEntry, Benefit, Cancellation, Keys, MarketingContact, Money, Offer, Organization, Outcome, Package, Request,
    Usage, User,
};
use pyo3::prelude::*;

use crate::center::Handle;
use crate::commands::PyCommand;

fn roles_of(roles: &[Bound<'_, PyAny>]) -> PyResult<Vec<Role>> {
    roles.iter().map(parse_enum).collect()
}

/// Acts as one user of one organization; one method per command and query.
/// Made by `BenefitCenter.session`; after the center's `close()` every
/// method raises `StorageError`.
#[pyclass(name = "Session", module = "partner_benefits", frozen)]
pub struct PySession {
    // Not a core session, which would keep the center (and the store) alive
    // after `close()`: each call asks the handle for one.
    handle: Arc<Handle>,
    organization: OrganizationId,
    user: UserId,
    idempotency_key: Option<String>,
    retries: Option<u32>,
}

impl PySession {
    pub(crate) fn new(handle: Arc<Handle>, organization: OrganizationId, user: UserId) -> Self {
        Self { handle, organization, user, idempotency_key: None, retries: None }
    }

    /// The core session for one call, or `StorageError` once the center is closed.
    fn session(&self, py: Python<'_>) -> PyResult<Session> {
        let mut session = self.handle.session(py, self.organization, self.user)?;
        if let Some(key) = &self.idempotency_key {
            session = session.with_idempotency_key(key.clone());
        }
        if let Some(retries) = self.retries {
            session = session.with_retries(retries);
        }
        Ok(session)
    }

    /// This session with other options, if the center is still open.
    fn with_options(&self, py: Python<'_>, idempotency_key: Option<String>, retries: Option<u32>) -> PyResult<Self> {
        self.handle.check(py)?;
        Ok(Self { handle: self.handle.clone(), organization: self.organization, user: self.user, idempotency_key, retries })
    }
}

#[pymethods]
impl PySession {
    /// The organization acted on.
    #[getter]
    fn organization_id(&self) -> String {
        self.organization.to_string()
    }

    /// The acting user.
    #[getter]
    fn user_id(&self) -> String {
        self.user.to_string()
    }

    /// This session, applying its next command at most once under `key`.
    fn with_idempotency_key(&self, py: Python<'_>, key: String) -> PyResult<Self> {
        self.with_options(py, Some(key), self.retries)
    }

    /// This session, retrying a command up to `retries` times on `Conflict`.
    fn with_retries(&self, py: Python<'_>, retries: u32) -> PyResult<Self> {
        self.with_options(py, self.idempotency_key.clone(), Some(retries))
    }

    /// Applies one command.
    fn execute(&self, py: Python<'_>, command: PyRef<'_, PyCommand>) -> PyResult<Outcome> {
        let session = self.session(py)?;
        let command = command.command.clone();
        self.handle.run(py, || session.execute(command)).map(Into::into)
    }

    /// Applies many commands in one atomic commit: all of them or none.
    fn execute_batch(&self, py: Python<'_>, commands: Vec<PyRef<'_, PyCommand>>) -> PyResult<Vec<Outcome>> {
        let session = self.session(py)?;
        let commands: Vec<_> = commands.iter().map(|c| c.command.clone()).collect();
        self.handle.run(py, || session.execute_batch(&commands)).map(|all| all.into_iter().map(Into::into).collect())
    }

    // ----- account settings -----

    /// Adds an employee; returns the new user's id.
    #[pyo3(signature = (name, email, roles = Vec::new(), language = None))]
    fn add_user(&self, py: Python<'_>, name: &str, email: &str, roles: Vec<Bound<'_, PyAny>>, language: Option<&str>) -> PyResult<String> {
        let session = self.session(py)?;
        let roles = roles_of(&roles)?;
        self.handle.run(py, || session.add_user_with_language(name, email, &roles, language)).map(|user| user.to_string())
    }

    /// Replaces a user's roles.
    fn set_user_roles(&self, py: Python<'_>, user_id: &str, roles: Vec<Bound<'_, PyAny>>) -> PyResult<()> {
        let session = self.session(py)?;
        let user: UserId = id(py, user_id)?;
        let roles = roles_of(&roles)?;
        self.handle.run(py, || session.set_user_roles(user, &roles))
    }

    /// Removes a user (offboarding), releasing what they hold in one commit.
    fn remove_user(&self, py: Python<'_>, user_id: &str) -> PyResult<()> {
        let session = self.session(py)?;
        let user: UserId = id(py, user_id)?;
        self.handle.run(py, || session.remove_user(user))
    }

    // ----- packages -----

    /// Buys a package of the catalog; returns it.
    fn purchase_package(&self, py: Python<'_>, template: &str) -> PyResult<Package> {
        let session = self.session(py)?;
        self.handle
            .run(py, || {
                let package = session.purchase_package(template)?;
                session.package(package)
            })
            .map(Into::into)
    }

    /// Renews a package inside its window; returns the new expiry.
    fn renew_package(&self, py: Python<'_>, package_id: &str) -> PyResult<DateTime<Utc>> {
        let session = self.session(py)?;
        let package: PackageId = id(py, package_id)?;
        self.handle.run(py, || session.renew_package(package))
    }

    /// Requests cancellation of a package; returns the refund or raises `RefundNotAllowed`.
    fn cancel_package(&self, py: Python<'_>, package_id: &str) -> PyResult<Money> {
        let session = self.session(py)?;
        let package: PackageId = id(py, package_id)?;
        self.handle.run(py, || session.cancel_package(package)).map(Into::into)
    }

    /// Requests cancellation of a Go-To-Market offer under the same rule.
    fn cancel_offer(&self, py: Python<'_>, offer_id: &str) -> PyResult<Money> {
        let session = self.session(py)?;
        let offer: OfferId = id(py, offer_id)?;
        self.handle.run(py, || session.cancel_offer(offer)).map(Into::into)
    }

    // ----- software and cloud -----

    /// "Get keys" for software in a language and OS; activates it.
    #[pyo3(signature = (benefit_id, language, os))]
    fn get_keys(&self, py: Python<'_>, benefit_id: &str, language: &str, os: &str) -> PyResult<Keys> {
        let session = self.session(py)?;
        let benefit: BenefitId = id(py, benefit_id)?;
        self.handle.run(py, || session.get_keys(benefit, language, os)).map(Into::into)
    }

    /// "Get keys" for a license-based cloud subscription.
    fn get_license_keys(&self, py: Python<'_>, benefit_id: &str) -> PyResult<Keys> {
        let session = self.session(py)?;
        let benefit: BenefitId = id(py, benefit_id)?;
        self.handle.run(py, || session.get_license_keys(benefit)).map(Into::into)
    }

    /// Assigns a Visual Studio subscription, or yourself to Azure.
    fn assign_user(&self, py: Python<'_>, benefit_id: &str, user_id: &str) -> PyResult<()> {
        let session = self.session(py)?;
        let benefit: BenefitId = id(py, benefit_id)?;
        let user: UserId = id(py, user_id)?;
        self.handle.run(py, || session.assign_user(benefit, user))
    }

    /// Removes an assigned user.
    fn unassign_user(&self, py: Python<'_>, benefit_id: &str, user_id: &str) -> PyResult<()> {
        let session = self.session(py)?;
        let benefit: BenefitId = id(py, benefit_id)?;
        let user: UserId = id(py, user_id)?;
        self.handle.run(py, || session.unassign_user(benefit, user))
    }

    /// Removes `from_user` and assigns `to_user` in one step.
    fn reassign_user(&self, py: Python<'_>, benefit_id: &str, from_user: &str, to_user: &str) -> PyResult<()> {
        let session = self.session(py)?;
        let benefit: BenefitId = id(py, benefit_id)?;
        let from: UserId = id(py, from_user)?;
        let to: UserId = id(py, to_user)?;
        self.handle.run(py, || session.reassign_user(benefit, from, to))
    }

    /// Assigns many users to one benefit: one result per row, in order; with
    /// `dry_run` the same is decided and nothing is committed.
    #[pyo3(signature = (benefit_id, user_ids, dry_run = false))]
    fn assign_users(&self, py: Python<'_>, benefit_id: &str, user_ids: Vec<String>, dry_run: bool) -> PyResult<Vec<AssignmentResult>> {
        let session = self.session(py)?;
        let benefit: BenefitId = id(py, benefit_id)?;
        let users = user_ids.iter().map(|user| id::<UserId>(py, user)).collect::<PyResult<Vec<_>>>()?;
        self.handle.run(py, || session.assign_users(benefit, &users, dry_run)).map(|all| all.into_iter().map(Into::into).collect())
    }

    // ----- technical -----

    /// Activates a technical benefit for a user with an alternate email.
    fn activate_technical(&self, py: Python<'_>, benefit_id: &str, user_id: &str, alternate_email: &str) -> PyResult<()> {
        let session = self.session(py)?;
        let benefit: BenefitId = id(py, benefit_id)?;
        let user: UserId = id(py, user_id)?;
        self.handle.run(py, || session.activate_technical(benefit, user, alternate_email))
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
        let session = self.session(py)?;
        let benefit: BenefitId = id(py, benefit_id)?;
        let phase: Phase = parse_enum(phase)?;
        let amount = decimal("amount", amount)?;
        self.handle.run(py, || session.request_assistance(benefit, phase, amount, description)).map(|r| r.to_string())
    }

    /// Withdraws a submitted request; its hours return.
    fn withdraw_request(&self, py: Python<'_>, request_id: &str) -> PyResult<()> {
        let session = self.session(py)?;
        let request: RequestId = id(py, request_id)?;
        self.handle.run(py, || session.withdraw_request(request))
    }

    // ----- Go-To-Market -----

    /// Adds, updates or changes the marketing contact.
    fn set_marketing_contact(&self, py: Python<'_>, user_id: &str, email: &str, phone: &str, language: &str) -> PyResult<()> {
        let session = self.session(py)?;
        let user: UserId = id(py, user_id)?;
        self.handle.run(py, || session.set_marketing_contact(user, email, phone, language))
    }

    /// Activates an offer; returns when it becomes active.
    fn activate_offer(&self, py: Python<'_>, offer_id: &str) -> PyResult<DateTime<Utc>> {
        let session = self.session(py)?;
        let offer: OfferId = id(py, offer_id)?;
        self.handle.run(py, || session.activate_offer(offer))
    }

    // ----- queries -----

    /// The organization.
    fn organization(&self, py: Python<'_>) -> PyResult<Organization> {
        let session = self.session(py)?;
        self.handle.run(py, || session.organization()).map(Into::into)
    }

    /// Its users.
    fn users(&self, py: Python<'_>) -> PyResult<Vec<User>> {
        let session = self.session(py)?;
        self.handle.run(py, || session.users()).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// What is used of every benefit assigned to users: seats, assigned, peak, hours.
    fn usage(&self, py: Python<'_>) -> PyResult<Vec<Usage>> {
        let session = self.session(py)?;
        self.handle.run(py, || session.usage()).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// Its packages.
    fn packages(&self, py: Python<'_>) -> PyResult<Vec<Package>> {
        let session = self.session(py)?;
        self.handle.run(py, || session.packages()).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// One package.
    fn package(&self, py: Python<'_>, package_id: &str) -> PyResult<Package> {
        let session = self.session(py)?;
        let package: PackageId = id(py, package_id)?;
        self.handle.run(py, || session.package(package)).map(Into::into)
    }

    /// The benefits of one package.
    fn benefits(&self, py: Python<'_>, package_id: &str) -> PyResult<Vec<Benefit>> {
        let session = self.session(py)?;
        let package: PackageId = id(py, package_id)?;
        self.handle.run(py, || session.benefits(package)).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// Every benefit of every package.
    fn all_benefits(&self, py: Python<'_>) -> PyResult<Vec<Benefit>> {
        let session = self.session(py)?;
        self.handle.run(py, || session.all_benefits()).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// Every benefit of one category.
    fn benefits_in(&self, py: Python<'_>, category: &Bound<'_, PyAny>) -> PyResult<Vec<Benefit>> {
        let session = self.session(py)?;
        let category = parse_category(category)?;
        self.handle.run(py, || session.benefits_in(category)).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// One benefit.
    fn benefit(&self, py: Python<'_>, benefit_id: &str) -> PyResult<Benefit> {
        let session = self.session(py)?;
        let benefit: BenefitId = id(py, benefit_id)?;
        self.handle.run(py, || session.benefit(benefit)).map(Into::into)
    }

    /// Every Go-To-Market offer.
    fn offers(&self, py: Python<'_>) -> PyResult<Vec<Offer>> {
        let session = self.session(py)?;
        self.handle.run(py, || session.offers()).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// One offer.
    fn offer(&self, py: Python<'_>, offer_id: &str) -> PyResult<Offer> {
        let session = self.session(py)?;
        let offer: OfferId = id(py, offer_id)?;
        self.handle.run(py, || session.offer(offer)).map(Into::into)
    }

    /// The marketing contact, if set.
    fn marketing_contact(&self, py: Python<'_>) -> PyResult<Option<MarketingContact>> {
        let session = self.session(py)?;
        self.handle.run(py, || session.marketing_contact()).map(|c| c.map(Into::into))
    }

    /// Assistance requests.
    fn requests(&self, py: Python<'_>) -> PyResult<Vec<Request>> {
        let session = self.session(py)?;
        self.handle.run(py, || session.requests()).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// Cancellation service requests and their answers.
    fn cancellations(&self, py: Python<'_>) -> PyResult<Vec<Cancellation>> {
        let session = self.session(py)?;
        self.handle.run(py, || session.cancellations()).map(|all| all.into_iter().map(Into::into).collect())
    }

    /// The organization's audit log; needs the Global admin role.
    fn audit_log(&self, py: Python<'_>) -> PyResult<Vec<AuditEntry>> {
        let session = self.session(py)?;
        self.handle.run(py, || session.audit_log()).map(|all| all.into_iter().map(Into::into).collect())
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        repr_fields(slf.as_any(), "Session", &["organization_id", "user_id"])
    }
}
