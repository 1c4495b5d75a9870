//! Commands as values, for `Session.execute` and the atomic `Session.execute_batch`.
//! The constructors turn Python arguments into the shared [`Command`] the
//! Kotlin binding builds too; it becomes the core's (ids checked) at once.

use partner_benefits::Error;
use partner_benefits_bindings::python::convert::{decimal, parse_enum};
use partner_benefits_bindings::python::errors::to_py;
use partner_benefits_bindings::{Command, Phase, Role};
use pyo3::prelude::*;

/// One command, built with a constructor named after the session method it
/// mirrors (`Command.purchase_package("action-pack")`). Ids and enums are
/// checked when it is built; everything else when it runs.
#[pyclass(name = "Command", module = "partner_benefits", frozen, eq)]
#[derive(Debug, Clone, PartialEq)]
pub struct PyCommand {
    pub(crate) command: partner_benefits::Command,
}

/// Role arguments: members of `Role` or their values, checked by the core's parser.
fn roles(values: &[Bound<'_, PyAny>]) -> PyResult<Vec<Role>> {
    values.iter().map(|value| parse_enum::<partner_benefits::Role>(value).map(Role::from)).collect()
}

/// The command, checked now so a malformed id fails where it was written.
fn of(py: Python<'_>, command: Command) -> PyResult<PyCommand> {
    let command = command.try_into().map_err(|err: Error| to_py(py, &err))?;
    Ok(PyCommand { command })
}

#[pymethods]
impl PyCommand {
    /// The command's snake_case name (`purchase_package`, ...).
    #[getter]
    fn kind(&self) -> &'static str {
        self.command.kind()
    }

    /// Adds an employee with `roles` and a mail `language` (`Session.add_user`).
    #[staticmethod]
    #[pyo3(signature = (name, email, roles = Vec::new(), language = None))]
    fn add_user(py: Python<'_>, name: String, email: String, roles: Vec<Bound<'_, PyAny>>, language: Option<String>) -> PyResult<Self> {
        of(py, Command::AddUser { name, email, roles: self::roles(&roles)?, language })
    }

    /// Replaces a user's roles (`Session.set_user_roles`).
    #[staticmethod]
    fn set_user_roles(py: Python<'_>, user_id: String, roles: Vec<Bound<'_, PyAny>>) -> PyResult<Self> {
        of(py, Command::SetUserRoles { user_id, roles: self::roles(&roles)? })
    }

    /// Removes a user, releasing what they hold (`Session.remove_user`).
    #[staticmethod]
    fn remove_user(py: Python<'_>, user_id: String) -> PyResult<Self> {
        of(py, Command::RemoveUser { user_id })
    }

    /// Buys a package of the catalog by its code (`Session.purchase_package`).
    #[staticmethod]
    fn purchase_package(py: Python<'_>, template: String) -> PyResult<Self> {
        of(py, Command::PurchasePackage { template })
    }

    /// Renews a package inside its window (`Session.renew_package`).
    #[staticmethod]
    fn renew_package(py: Python<'_>, package_id: String) -> PyResult<Self> {
        of(py, Command::RenewPackage { package_id })
    }

    /// Requests cancellation of a package for a refund (`Session.cancel_package`).
    #[staticmethod]
    fn cancel_package(py: Python<'_>, package_id: String) -> PyResult<Self> {
        of(py, Command::CancelPackage { package_id })
    }

    /// Requests cancellation of a Go-To-Market offer (`Session.cancel_offer`).
    #[staticmethod]
    fn cancel_offer(py: Python<'_>, offer_id: String) -> PyResult<Self> {
        of(py, Command::CancelOffer { offer_id })
    }

    /// Reveals keys. Through `execute` the outcome names the benefit but holds
    /// no key; `Session.get_keys` returns the keys themselves.
    #[staticmethod]
    #[pyo3(signature = (benefit_id, language = None, os = None))]
    fn get_keys(py: Python<'_>, benefit_id: String, language: Option<String>, os: Option<String>) -> PyResult<Self> {
        of(py, Command::GetKeys { benefit_id, language, os })
    }

    /// Assigns a Visual Studio subscription, or yourself to Azure (`Session.assign_user`).
    #[staticmethod]
    fn assign_user(py: Python<'_>, benefit_id: String, user_id: String) -> PyResult<Self> {
        of(py, Command::AssignUser { benefit_id, user_id })
    }

    /// Removes an assigned user (`Session.unassign_user`).
    #[staticmethod]
    fn unassign_user(py: Python<'_>, benefit_id: String, user_id: String) -> PyResult<Self> {
        of(py, Command::UnassignUser { benefit_id, user_id })
    }

    /// Removes `from_user` and assigns `to_user` in one step (`Session.reassign_user`).
    #[staticmethod]
    fn reassign_user(py: Python<'_>, benefit_id: String, from_user: String, to_user: String) -> PyResult<Self> {
        of(py, Command::ReassignUser { benefit_id, from_user, to_user })
    }

    /// Activates a technical benefit for a user with an alternate email (`Session.activate_technical`).
    #[staticmethod]
    fn activate_technical(py: Python<'_>, benefit_id: String, user_id: String, alternate_email: String) -> PyResult<Self> {
        of(py, Command::ActivateTechnical { benefit_id, user_id, alternate_email })
    }

    /// Requests assistance, drawing `amount` hours or incidents (`Session.request_assistance`).
    #[staticmethod]
    fn request_assistance(
        py: Python<'_>,
        benefit_id: String,
        phase: &Bound<'_, PyAny>,
        amount: &Bound<'_, PyAny>,
        description: String,
    ) -> PyResult<Self> {
        let phase = Phase::from(parse_enum::<partner_benefits::Phase>(phase)?);
        let amount = decimal("amount", amount)?;
        of(py, Command::RequestAssistance { benefit_id, phase, amount, description })
    }

    /// Withdraws a submitted request; its hours return (`Session.withdraw_request`).
    #[staticmethod]
    fn withdraw_request(py: Python<'_>, request_id: String) -> PyResult<Self> {
        of(py, Command::WithdrawRequest { request_id })
    }

    /// Adds, updates or changes the marketing contact (`Session.set_marketing_contact`).
    #[staticmethod]
    fn set_marketing_contact(py: Python<'_>, user_id: String, email: String, phone: String, language: String) -> PyResult<Self> {
        of(py, Command::SetMarketingContact { user_id, email, phone, language })
    }

    /// Activates a Go-To-Market offer (`Session.activate_offer`).
    #[staticmethod]
    fn activate_offer(py: Python<'_>, offer_id: String) -> PyResult<Self> {
        of(py, Command::ActivateOffer { offer_id })
    }

    fn __repr__(&self) -> String {
        format!("Command(kind='{}')", self.command.kind())
    }
}
