//! Commands as values, for `Session.execute` and the atomic `Session.execute_batch`.

use chrono::{DateTime, Utc};
use partner_benefits::{BenefitId, Command, OfferId, Outcome, PackageId, Phase, RequestId, UserId};
use pyo3::prelude::*;

use crate::convert::{id, parse_enum, repr_fields};
use crate::values::PyMoney;

/// One command, built with a constructor named after the session method it
/// mirrors (`Command.purchase_package("action-pack")`). Ids and enums are
/// checked when it is built; everything else when it runs.
#[pyclass(name = "Command", module = "partner_benefits", frozen, eq)]
#[derive(Debug, Clone, PartialEq)]
pub struct PyCommand {
    pub(crate) command: Command,
}

fn roles(values: &[Bound<'_, PyAny>]) -> PyResult<Vec<partner_benefits::Role>> {
    values.iter().map(parse_enum).collect()
}

fn of(command: Command) -> PyCommand {
    PyCommand { command }
}

#[pymethods]
impl PyCommand {
    /// The command's snake_case name (`purchase_package`, ...).
    #[getter]
    fn kind(&self) -> &'static str {
        self.command.kind()
    }

    #[staticmethod]
    #[pyo3(signature = (name, email, roles = Vec::new(), language = None))]
    fn add_user(name: String, email: String, roles: Vec<Bound<'_, PyAny>>, language: Option<String>) -> PyResult<Self> {
        Ok(of(Command::AddUser { name, email, roles: self::roles(&roles)?, language }))
    }

    #[staticmethod]
    fn set_user_roles(py: Python<'_>, user_id: &str, roles: Vec<Bound<'_, PyAny>>) -> PyResult<Self> {
        Ok(of(Command::SetUserRoles { user: id::<UserId>(py, user_id)?, roles: self::roles(&roles)? }))
    }

    #[staticmethod]
    fn purchase_package(template: String) -> Self {
        of(Command::PurchasePackage { template })
    }

    #[staticmethod]
    fn renew_package(py: Python<'_>, package_id: &str) -> PyResult<Self> {
        Ok(of(Command::RenewPackage { package: id::<PackageId>(py, package_id)? }))
    }

    #[staticmethod]
    fn cancel_package(py: Python<'_>, package_id: &str) -> PyResult<Self> {
        Ok(of(Command::CancelPackage { package: id::<PackageId>(py, package_id)? }))
    }

    #[staticmethod]
    fn cancel_offer(py: Python<'_>, offer_id: &str) -> PyResult<Self> {
        Ok(of(Command::CancelOffer { offer: id::<OfferId>(py, offer_id)? }))
    }

    /// Reveals keys. Through `execute` the outcome names the benefit but holds
    /// no key; `Session.get_keys` returns the keys themselves.
    #[staticmethod]
    #[pyo3(signature = (benefit_id, language = None, os = None))]
    fn get_keys(py: Python<'_>, benefit_id: &str, language: Option<String>, os: Option<String>) -> PyResult<Self> {
        Ok(of(Command::GetKeys { benefit: id::<BenefitId>(py, benefit_id)?, language, os }))
    }

    #[staticmethod]
    fn assign_user(py: Python<'_>, benefit_id: &str, user_id: &str) -> PyResult<Self> {
        Ok(of(Command::AssignUser { benefit: id::<BenefitId>(py, benefit_id)?, user: id::<UserId>(py, user_id)? }))
    }

    #[staticmethod]
    fn unassign_user(py: Python<'_>, benefit_id: &str, user_id: &str) -> PyResult<Self> {
        Ok(of(Command::UnassignUser { benefit: id::<BenefitId>(py, benefit_id)?, user: id::<UserId>(py, user_id)? }))
    }

    #[staticmethod]
    fn reassign_user(py: Python<'_>, benefit_id: &str, from_user: &str, to_user: &str) -> PyResult<Self> {
        Ok(of(Command::ReassignUser {
            benefit: id::<BenefitId>(py, benefit_id)?,
            from: id::<UserId>(py, from_user)?,
            to: id::<UserId>(py, to_user)?,
        }))
    }

    #[staticmethod]
    fn activate_technical(py: Python<'_>, benefit_id: &str, user_id: &str, alternate_email: String) -> PyResult<Self> {
        Ok(of(Command::ActivateTechnical { benefit: id::<BenefitId>(py, benefit_id)?, user: id::<UserId>(py, user_id)?, alternate_email }))
    }

    #[staticmethod]
    fn request_assistance(
        py: Python<'_>,
        benefit_id: &str,
        phase: &Bound<'_, PyAny>,
        amount: &Bound<'_, PyAny>,
        description: String,
    ) -> PyResult<Self> {
        let phase: Phase = parse_enum(phase)?;
        let amount = crate::convert::decimal("amount", amount)?;
        Ok(of(Command::RequestAssistance { benefit: id::<BenefitId>(py, benefit_id)?, phase, amount, description }))
    }

    #[staticmethod]
    fn withdraw_request(py: Python<'_>, request_id: &str) -> PyResult<Self> {
        Ok(of(Command::WithdrawRequest { request: id::<RequestId>(py, request_id)? }))
    }

    #[staticmethod]
    fn set_marketing_contact(py: Python<'_>, user_id: &str, email: String, phone: String, language: String) -> PyResult<Self> {
        Ok(of(Command::SetMarketingContact { user: id::<UserId>(py, user_id)?, email, phone, language }))
    }

    #[staticmethod]
    fn activate_offer(py: Python<'_>, offer_id: &str) -> PyResult<Self> {
        Ok(of(Command::ActivateOffer { offer: id::<OfferId>(py, offer_id)? }))
    }

    fn __repr__(&self) -> String {
        format!("Command(kind='{}')", self.command.kind())
    }
}

/// What one command did: `kind` names the outcome; the fields of other kinds are `None`.
#[pyclass(name = "Outcome", module = "partner_benefits", frozen, eq, hash, get_all)]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PyOutcome {
    kind: &'static str,
    user_id: Option<String>,
    package_id: Option<String>,
    benefit_id: Option<String>,
    offer_id: Option<String>,
    request_id: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    active_at: Option<DateTime<Utc>>,
    refund: Option<PyMoney>,
    refusal: Option<String>,
}

#[pymethods]
impl PyOutcome {
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let this = slf.get();
        let mut fields = vec!["kind"];
        for (name, set) in [
            ("user_id", this.user_id.is_some()),
            ("package_id", this.package_id.is_some()),
            ("benefit_id", this.benefit_id.is_some()),
            ("offer_id", this.offer_id.is_some()),
            ("request_id", this.request_id.is_some()),
            ("expires_at", this.expires_at.is_some()),
            ("active_at", this.active_at.is_some()),
            ("refund", this.refund.is_some()),
            ("refusal", this.refusal.is_some()),
        ] {
            if set {
                fields.push(name);
            }
        }
        repr_fields(slf.as_any(), "Outcome", &fields)
    }
}

impl From<Outcome> for PyOutcome {
    fn from(outcome: Outcome) -> Self {
        let text = |id: &dyn ToString| Some(id.to_string());
        match outcome {
            Outcome::UserAdded { user } => Self { kind: "user_added", user_id: text(&user), ..Self::default() },
            Outcome::PackagePurchased { package } => Self { kind: "package_purchased", package_id: text(&package), ..Self::default() },
            Outcome::PackageRenewed { package, expires_at } => {
                Self { kind: "package_renewed", package_id: text(&package), expires_at: Some(expires_at), ..Self::default() }
            }
            Outcome::CancellationGranted { request, refund } => {
                Self { kind: "cancellation_granted", request_id: text(&request), refund: Some(refund.into()), ..Self::default() }
            }
            Outcome::CancellationRefused { request, reason } => Self {
                kind: "cancellation_refused",
                request_id: text(&request),
                refusal: Some(reason.code().to_string()),
                ..Self::default()
            },
            Outcome::KeysRevealed { reveal } => Self { kind: "keys_revealed", benefit_id: text(&reveal.benefit), ..Self::default() },
            Outcome::RequestSubmitted { request } => Self { kind: "request_submitted", request_id: text(&request), ..Self::default() },
            Outcome::OfferActivated { offer, active_at } => {
                Self { kind: "offer_activated", offer_id: text(&offer), active_at: Some(active_at), ..Self::default() }
            }
            Outcome::Done => Self { kind: "done", ..Self::default() },
        }
    }
}
