//! Frozen value objects returned to Python: each mirrors one core view.

use chrono::{DateTime, Utc};
use partner_benefits::lifecycle::delivery::DeliveryState;
use partner_benefits::values::Currency;
use partner_benefits::{
    AuditEntry, BenefitView, CancellationView, DispatchReport, KeyPoolView, Mail, MarketingContactView, Money, OfferView, OrganizationView,
    OutboxEntry, PackageView, RequestView, RevealedKeys, UserView,
};
use pyo3::prelude::*;
use rust_decimal::Decimal;

use crate::convert::{EnumValue, category_name, repr_fields, status_name};
use crate::errors::to_py;

/// Implements `__repr__` from a list of attribute names.
macro_rules! repr {
    ($ty:ty, $name:literal, [$($field:literal),* $(,)?]) => {
        #[pymethods]
        impl $ty {
            fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
                repr_fields(slf.as_any(), $name, &[$($field),*])
            }
        }
    };
}

fn status(value: partner_benefits::Status) -> EnumValue {
    EnumValue::new("Status", status_name(value))
}

/// An amount of money in one currency.
#[pyclass(name = "Money", module = "partner_benefits", frozen, eq, hash, get_all)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyMoney {
    amount: Decimal,
    currency: String,
}

#[pymethods]
impl PyMoney {
    #[new]
    fn new(py: Python<'_>, amount: &Bound<'_, PyAny>, currency: &str) -> PyResult<Self> {
        let amount = crate::convert::decimal("amount", amount)?;
        let currency = Currency::parse(currency).map_err(|err| to_py(py, &err))?;
        Ok(Self { amount, currency: currency.as_str().to_string() })
    }

    fn __repr__(&self) -> String {
        format!("Money(amount=Decimal('{}'), currency='{}')", self.amount, self.currency)
    }

    fn __str__(&self) -> String {
        format!("{} {}", self.amount, self.currency)
    }
}

impl From<Money> for PyMoney {
    fn from(money: Money) -> Self {
        Self { amount: money.amount, currency: money.currency.as_str().to_string() }
    }
}

/// A partner company.
#[pyclass(name = "Organization", module = "partner_benefits", frozen, eq, hash, get_all)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyOrganization {
    id: String,
    name: String,
    account_email: String,
    level: EnumValue,
    competencies: Vec<String>,
    admin_id: String,
}
repr!(PyOrganization, "Organization", ["id", "name", "account_email", "level", "competencies", "admin_id"]);

impl From<OrganizationView> for PyOrganization {
    fn from(view: OrganizationView) -> Self {
        Self {
            id: view.id.to_string(),
            name: view.name,
            account_email: view.account_email.to_string(),
            level: EnumValue::new("PartnerLevel", view.level.as_str()),
            competencies: view.competencies,
            admin_id: view.admin_id.to_string(),
        }
    }
}

/// An employee with roles.
#[pyclass(name = "User", module = "partner_benefits", frozen, eq, hash, get_all)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyUser {
    id: String,
    name: String,
    email: String,
    roles: Vec<EnumValue>,
    language: String,
}
repr!(PyUser, "User", ["id", "name", "email", "roles", "language"]);

impl From<UserView> for PyUser {
    fn from(view: UserView) -> Self {
        Self {
            id: view.id.to_string(),
            name: view.name,
            email: view.email.to_string(),
            roles: view.roles.into_iter().map(|r| EnumValue::new("Role", r.as_str())).collect(),
            language: view.language.as_str().to_string(),
        }
    }
}

/// A purchased package.
#[pyclass(name = "Package", module = "partner_benefits", frozen, eq, hash, get_all)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyPackage {
    id: String,
    template: String,
    name: String,
    status: EnumValue,
    price: PyMoney,
    purchased_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    refundable_until: DateTime<Utc>,
    software_activated: bool,
    benefit_ids: Vec<String>,
}
repr!(
    PyPackage,
    "Package",
    ["id", "template", "name", "status", "price", "purchased_at", "expires_at", "refundable_until", "software_activated", "benefit_ids"]
);

impl From<PackageView> for PyPackage {
    fn from(view: PackageView) -> Self {
        Self {
            id: view.id.to_string(),
            template: view.template,
            name: view.name,
            status: status(view.status),
            price: view.price.into(),
            purchased_at: view.purchased_at,
            expires_at: view.expires_at,
            refundable_until: view.refundable_until,
            software_activated: view.software_activated,
            benefit_ids: view.benefit_ids.iter().map(ToString::to_string).collect(),
        }
    }
}

/// A Go-To-Market offer.
#[pyclass(name = "Offer", module = "partner_benefits", frozen, eq, hash, get_all)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyOffer {
    id: String,
    benefit_id: String,
    code: String,
    name: String,
    status: EnumValue,
    unavailable_reason: Option<String>,
    active_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
}
repr!(PyOffer, "Offer", ["id", "benefit_id", "code", "name", "status", "unavailable_reason", "active_at", "expires_at"]);

impl From<OfferView> for PyOffer {
    fn from(view: OfferView) -> Self {
        Self {
            id: view.id.to_string(),
            benefit_id: view.benefit_id.to_string(),
            code: view.code,
            name: view.name,
            status: status(view.status),
            unavailable_reason: view.unavailable_reason,
            active_at: view.active_at,
            expires_at: view.expires_at,
        }
    }
}

/// A benefit of a package with its details; fields not of its kind are empty.
#[pyclass(name = "Benefit", module = "partner_benefits", frozen, eq, hash, get_all)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyBenefit {
    id: String,
    package_id: String,
    code: String,
    name: String,
    category: EnumValue,
    status: EnumValue,
    languages: Vec<String>,
    os_types: Vec<String>,
    key_count: u32,
    special_instructions: String,
    seats: u32,
    assigned_users: Vec<String>,
    monthly_credit: Option<PyMoney>,
    technical_kind: Option<String>,
    allocated: Option<Decimal>,
    balance: Option<Decimal>,
    alternate_email: Option<String>,
    active_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    offers: Vec<PyOffer>,
}
repr!(
    PyBenefit,
    "Benefit",
    [
        "id",
        "package_id",
        "code",
        "name",
        "category",
        "status",
        "languages",
        "os_types",
        "key_count",
        "special_instructions",
        "seats",
        "assigned_users",
        "monthly_credit",
        "technical_kind",
        "allocated",
        "balance",
        "alternate_email",
        "active_at",
        "expires_at",
        "offers"
    ]
);

impl From<BenefitView> for PyBenefit {
    fn from(view: BenefitView) -> Self {
        Self {
            id: view.id.to_string(),
            package_id: view.package_id.to_string(),
            code: view.code,
            name: view.name,
            category: EnumValue::new("Category", category_name(view.category)),
            status: status(view.status),
            languages: view.languages,
            os_types: view.os_types,
            key_count: view.key_count,
            special_instructions: view.special_instructions,
            seats: view.seats,
            assigned_users: view.assigned_users.iter().map(ToString::to_string).collect(),
            monthly_credit: view.monthly_credit.map(PyMoney::from),
            technical_kind: view.technical_kind,
            allocated: view.allocated,
            balance: view.balance,
            alternate_email: view.alternate_email.map(|e| e.to_string()),
            active_at: view.active_at,
            expires_at: view.expires_at,
            offers: view.offers.into_iter().map(PyOffer::from).collect(),
        }
    }
}

/// An assistance request drawing hours or incidents.
#[pyclass(name = "Request", module = "partner_benefits", frozen, eq, hash, get_all)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyRequest {
    id: String,
    benefit_id: String,
    requested_by: String,
    requested_at: DateTime<Utc>,
    phase: EnumValue,
    amount: Decimal,
    description: String,
    status: EnumValue,
}
repr!(PyRequest, "Request", ["id", "benefit_id", "requested_by", "requested_at", "phase", "amount", "description", "status"]);

impl From<RequestView> for PyRequest {
    fn from(view: RequestView) -> Self {
        Self {
            id: view.id.to_string(),
            benefit_id: view.benefit_id.to_string(),
            requested_by: view.requested_by.to_string(),
            requested_at: view.requested_at,
            phase: EnumValue::new("Phase", view.phase.as_str()),
            amount: view.amount,
            description: view.description,
            status: status(view.status),
        }
    }
}

/// A cancellation service request and its answer.
#[pyclass(name = "Cancellation", module = "partner_benefits", frozen, eq, hash, get_all)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyCancellation {
    id: String,
    target: String,
    requested_by: String,
    requested_at: DateTime<Utc>,
    granted: bool,
    refund: Option<PyMoney>,
    refusal: Option<String>,
}
repr!(PyCancellation, "Cancellation", ["id", "target", "requested_by", "requested_at", "granted", "refund", "refusal"]);

impl From<CancellationView> for PyCancellation {
    fn from(view: CancellationView) -> Self {
        Self {
            id: view.id.to_string(),
            target: view.target,
            requested_by: view.requested_by.to_string(),
            requested_at: view.requested_at,
            granted: view.granted,
            refund: view.refund.map(PyMoney::from),
            refusal: view.refusal,
        }
    }
}

/// The organization's marketing contact.
#[pyclass(name = "MarketingContact", module = "partner_benefits", frozen, eq, hash, get_all)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyMarketingContact {
    user_id: String,
    email: String,
    phone: String,
    language: String,
}
repr!(PyMarketingContact, "MarketingContact", ["user_id", "email", "phone", "language"]);

impl From<MarketingContactView> for PyMarketingContact {
    fn from(view: MarketingContactView) -> Self {
        Self {
            user_id: view.user_id.to_string(),
            email: view.email.to_string(),
            phone: view.phone,
            language: view.language.as_str().to_string(),
        }
    }
}

/// One audit-log line: who did what when. Holds no key.
#[pyclass(name = "AuditEntry", module = "partner_benefits", frozen, eq, hash, get_all)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyAuditEntry {
    stream: String,
    version: u64,
    at: DateTime<Utc>,
    actor: String,
    kind: String,
    details: String,
}
repr!(PyAuditEntry, "AuditEntry", ["stream", "version", "at", "actor", "kind", "details"]);

impl From<AuditEntry> for PyAuditEntry {
    fn from(entry: AuditEntry) -> Self {
        Self { stream: entry.stream, version: entry.version, at: entry.at, actor: entry.actor, kind: entry.kind, details: entry.details }
    }
}

/// Revealed license keys with what goes with them. `repr` never shows a key.
#[pyclass(name = "Keys", module = "partner_benefits", frozen, eq, get_all)]
#[derive(Clone, PartialEq, Eq)]
pub struct PyKeys {
    benefit_id: String,
    product: String,
    keys: Vec<String>,
    download_links: Vec<String>,
    special_instructions: String,
}

#[pymethods]
impl PyKeys {
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let field = |name: &str| -> PyResult<String> { Ok(slf.getattr(name)?.repr()?.to_string()) };
        Ok(format!(
            "Keys(benefit_id={}, product={}, keys=<{} hidden>, download_links={}, special_instructions={})",
            field("benefit_id")?,
            field("product")?,
            slf.get().keys.len(),
            field("download_links")?,
            field("special_instructions")?
        ))
    }
}

impl From<RevealedKeys> for PyKeys {
    fn from(revealed: RevealedKeys) -> Self {
        Self {
            benefit_id: revealed.benefit.to_string(),
            product: revealed.product,
            keys: revealed.keys.iter().map(|k| k.reveal().to_string()).collect(),
            download_links: revealed.download_links,
            special_instructions: revealed.special_instructions,
        }
    }
}

/// A mail as queued: recipients, language and rendered text. Never holds a key.
#[pyclass(name = "Mail", module = "partner_benefits", frozen, eq, hash, get_all)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyMail {
    id: String,
    organization_id: String,
    to: Vec<String>,
    language: String,
    topic: String,
    subject: String,
    body: String,
    created_at: DateTime<Utc>,
}
repr!(PyMail, "Mail", ["id", "organization_id", "to", "language", "topic", "subject", "created_at"]);

impl From<&Mail> for PyMail {
    fn from(mail: &Mail) -> Self {
        Self {
            id: mail.id.to_string(),
            organization_id: mail.organization.to_string(),
            to: mail.to.iter().map(ToString::to_string).collect(),
            language: mail.language.as_str().to_string(),
            topic: mail.topic.name().to_string(),
            subject: mail.subject.clone(),
            body: mail.body.clone(),
            created_at: mail.created_at,
        }
    }
}

/// A mail of the outbox with where its delivery is.
#[pyclass(name = "OutboxEntry", module = "partner_benefits", frozen, eq, hash, get_all)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyOutboxEntry {
    mail: PyMail,
    delivery: EnumValue,
    attempts: u32,
    last_error: Option<String>,
    sent_at: Option<DateTime<Utc>>,
}
repr!(PyOutboxEntry, "OutboxEntry", ["mail", "delivery", "attempts", "last_error", "sent_at"]);

impl From<OutboxEntry> for PyOutboxEntry {
    fn from(entry: OutboxEntry) -> Self {
        let (delivery, attempts, last_error, sent_at) = match entry.delivery {
            DeliveryState::Pending => ("pending", 0, None, None),
            DeliveryState::Failed { attempts, last_error } => ("failed", attempts, Some(last_error), None),
            DeliveryState::Sent { sent_at, attempts } => ("sent", attempts, None, Some(sent_at)),
        };
        Self { mail: PyMail::from(&entry.mail), delivery: EnumValue::new("Delivery", delivery), attempts, last_error, sent_at }
    }
}

/// What one mail dispatch did.
#[pyclass(name = "DispatchReport", module = "partner_benefits", frozen, eq, hash, get_all)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyDispatchReport {
    sent: u32,
    failed: u32,
}
repr!(PyDispatchReport, "DispatchReport", ["sent", "failed"]);

impl From<DispatchReport> for PyDispatchReport {
    fn from(report: DispatchReport) -> Self {
        Self { sent: report.sent, failed: report.failed }
    }
}

/// A product's key pool counts.
#[pyclass(name = "KeyPool", module = "partner_benefits", frozen, eq, hash, get_all)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyKeyPool {
    product: String,
    stocked: u64,
    allocated: u64,
    available: u64,
}
repr!(PyKeyPool, "KeyPool", ["product", "stocked", "allocated", "available"]);

impl From<KeyPoolView> for PyKeyPool {
    fn from(view: KeyPoolView) -> Self {
        Self { product: view.product, stocked: view.stocked, allocated: view.allocated, available: view.available }
    }
}
