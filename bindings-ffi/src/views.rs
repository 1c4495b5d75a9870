//! What queries return, as both bindings show it: ids, emails and
//! languages as text, counts as `i64` (a Kotlin `Long`, a Python `int`),
//! times as UTC instants, amounts as exact decimals. Each converts from
//! its core view once, here.

use partner_benefits as core;
use rust_decimal::Decimal;

use crate::Timestamp;
use crate::enums::{Category, PartnerLevel, Phase, Role, Status};
use crate::record::record;

/// A count as a Kotlin `Long` (counts never come near the limit).
pub(crate) fn long(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// Texts of anything displayable (ids, emails, languages).
pub(crate) fn texts<T: ToString>(items: &[T]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

/// An amount of money: an exact amount and a three-letter currency code.
/// In Python `Money(Decimal("12.50"), "EUR")` (an `int` amount too, never a float).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "python", pyo3::pyclass(module = "partner_benefits", frozen, eq, hash, get_all))]
#[cfg_attr(feature = "kotlin", derive(uniffi::Record))]
pub struct Money {
    /// The amount, exact.
    pub amount: Decimal,
    /// The currency, e.g. `USD`.
    pub currency: String,
}

impl From<core::Money> for Money {
    fn from(money: core::Money) -> Self {
        Self { amount: money.amount, currency: money.currency.as_str().to_owned() }
    }
}

record! {
    /// An organization (a partner company).
    pub struct Organization {
        /// Id, e.g. `org-1`.
        pub id: String,
        /// Company name.
        pub name: String,
        /// Partner Center account email.
        pub account_email: String,
        /// Partner level.
        pub level: PartnerLevel,
        /// Competencies.
        pub competencies: Vec<String>,
        /// The first Global admin.
        pub admin_id: String,
    }
}

impl From<core::OrganizationView> for Organization {
    fn from(v: core::OrganizationView) -> Self {
        Self {
            id: v.id.to_string(),
            name: v.name,
            account_email: v.account_email.to_string(),
            level: v.level.into(),
            competencies: v.competencies,
            admin_id: v.admin_id.to_string(),
        }
    }
}

record! {
    /// A user.
    pub struct User {
        /// Id, e.g. `usr-1-2`.
        pub id: String,
        /// Name.
        pub name: String,
        /// Account email.
        pub email: String,
        /// Roles.
        pub roles: Vec<Role>,
        /// Mail language, e.g. `en`.
        pub language: String,
    }
}

impl From<core::UserView> for User {
    fn from(v: core::UserView) -> Self {
        Self {
            id: v.id.to_string(),
            name: v.name,
            email: v.email.to_string(),
            roles: v.roles.into_iter().map(Role::from).collect(),
            language: v.language.to_string(),
        }
    }
}

record! {
    /// A purchased package.
    pub struct Package {
        /// Id, e.g. `pkg-1-1`.
        pub id: String,
        /// Catalog code, e.g. `action-pack`.
        pub template: String,
        /// Name.
        pub name: String,
        /// Active, expired or cancelled.
        pub status: Status,
        /// Price paid.
        pub price: Money,
        /// When bought.
        pub purchased_at: Timestamp,
        /// End of the current term.
        pub expires_at: Timestamp,
        /// Last moment a cancellation can be refunded, if no software gets activated (R29).
        pub refundable_until: Timestamp,
        /// Whether any key was revealed (P1).
        pub software_activated: bool,
        /// Its benefits.
        pub benefit_ids: Vec<String>,
    }
}

impl From<core::PackageView> for Package {
    fn from(v: core::PackageView) -> Self {
        Self {
            id: v.id.to_string(),
            template: v.template,
            name: v.name,
            status: v.status.into(),
            price: v.price.into(),
            purchased_at: v.purchased_at,
            expires_at: v.expires_at,
            refundable_until: v.refundable_until,
            software_activated: v.software_activated,
            benefit_ids: texts(&v.benefit_ids),
        }
    }
}

record! {
    /// A Go-To-Market offer (R27, R28).
    pub struct Offer {
        /// Id, e.g. `ofr-1-1`.
        pub id: String,
        /// The benefit listing it.
        pub benefit_id: String,
        /// Catalog code.
        pub code: String,
        /// Offer type, e.g. `Silver Core`.
        pub name: String,
        /// Status column.
        pub status: Status,
        /// Why it cannot be activated, if so (R23).
        pub unavailable_reason: Option<String>,
        /// When it becomes active (pending) or became active.
        pub active_at: Option<Timestamp>,
        /// Expires column.
        pub expires_at: Option<Timestamp>,
    }
}

impl From<core::OfferView> for Offer {
    fn from(v: core::OfferView) -> Self {
        Self {
            id: v.id.to_string(),
            benefit_id: v.benefit_id.to_string(),
            code: v.code,
            name: v.name,
            status: v.status.into(),
            unavailable_reason: v.unavailable_reason,
            active_at: v.active_at,
            expires_at: v.expires_at,
        }
    }
}

record! {
    /// A benefit with its details (R07). Fields not of its kind are empty.
    pub struct Benefit {
        /// Id, e.g. `ben-1-4`.
        pub id: String,
        /// Package.
        pub package_id: String,
        /// Catalog code.
        pub code: String,
        /// Name.
        pub name: String,
        /// Where it is listed.
        pub category: Category,
        /// Its state.
        pub status: Status,
        /// Software: languages offered (R09).
        pub languages: Vec<String>,
        /// Software: OS types offered (R10).
        pub os_types: Vec<String>,
        /// Keyed benefits: keys allocated.
        pub key_count: i64,
        /// Keyed benefits: shown with the keys.
        pub special_instructions: String,
        /// Seats: how many.
        pub seats: i64,
        /// Seats (and usage-based cloud, technical): who holds them.
        pub assigned_users: Vec<String>,
        /// Usage-based cloud: monthly credit (P6).
        pub monthly_credit: Option<Money>,
        /// Technical: `support_incidents`, `advisory_hours` or `presales_deployment`.
        pub technical_kind: Option<String>,
        /// Technical: allocated hours or incidents.
        pub allocated: Option<Decimal>,
        /// Technical: what is left.
        pub balance: Option<Decimal>,
        /// Technical: the alternate email (R18).
        pub alternate_email: Option<String>,
        /// When it became (or becomes) active.
        pub active_at: Option<Timestamp>,
        /// When it expires, if it runs for a term.
        pub expires_at: Option<Timestamp>,
        /// Go-To-Market: its offers (R27).
        pub offers: Vec<Offer>,
    }
}

impl From<core::BenefitView> for Benefit {
    fn from(v: core::BenefitView) -> Self {
        Self {
            id: v.id.to_string(),
            package_id: v.package_id.to_string(),
            code: v.code,
            name: v.name,
            category: v.category.into(),
            status: v.status.into(),
            languages: v.languages,
            os_types: v.os_types,
            key_count: i64::from(v.key_count),
            special_instructions: v.special_instructions,
            seats: i64::from(v.seats),
            assigned_users: texts(&v.assigned_users),
            monthly_credit: v.monthly_credit.map(Money::from),
            technical_kind: v.technical_kind,
            allocated: v.allocated,
            balance: v.balance,
            alternate_email: v.alternate_email.map(|e| e.to_string()),
            active_at: v.active_at,
            expires_at: v.expires_at,
            offers: v.offers.into_iter().map(Offer::from).collect(),
        }
    }
}

record! {
    /// What is used of one benefit assigned to users (a Visual Studio
    /// subscription, an Azure usage-based subscription, a technical benefit).
    pub struct Usage {
        /// The benefit.
        pub benefit_id: String,
        /// Its package.
        pub package_id: String,
        /// Its name.
        pub name: String,
        /// Where it is listed.
        pub category: Category,
        /// Seats in all (1 for an Azure usage-based subscription or a technical benefit).
        pub seats: i64,
        /// Users assigned now.
        pub assigned: i64,
        /// The most users ever assigned at once during the package's life.
        pub peak: i64,
        /// Hours (or incidents) benefits: allocated.
        pub allocated: Option<Decimal>,
        /// Hours benefits: drawn by requests not withdrawn.
        pub used: Option<Decimal>,
        /// Hours benefits: what is left.
        pub balance: Option<Decimal>,
    }
}

impl From<core::Usage> for Usage {
    fn from(v: core::Usage) -> Self {
        Self {
            benefit_id: v.benefit_id.to_string(),
            package_id: v.package_id.to_string(),
            name: v.name,
            category: v.category.into(),
            seats: i64::from(v.seats),
            assigned: i64::from(v.assigned),
            peak: i64::from(v.peak),
            allocated: v.allocated,
            used: v.used,
            balance: v.balance,
        }
    }
}

record! {
    /// An assistance request drawing hours or incidents (R21).
    pub struct Request {
        /// Id, e.g. `req-1-3`.
        pub id: String,
        /// Benefit drawn from.
        pub benefit_id: String,
        /// Requester.
        pub requested_by: String,
        /// When.
        pub requested_at: Timestamp,
        /// Phase.
        pub phase: Phase,
        /// Hours or incidents.
        pub amount: Decimal,
        /// Description.
        pub description: String,
        /// Submitted, completed or withdrawn.
        pub status: Status,
    }
}

impl From<core::RequestView> for Request {
    fn from(v: core::RequestView) -> Self {
        Self {
            id: v.id.to_string(),
            benefit_id: v.benefit_id.to_string(),
            requested_by: v.requested_by.to_string(),
            requested_at: v.requested_at,
            phase: v.phase.into(),
            amount: v.amount,
            description: v.description,
            status: v.status.into(),
        }
    }
}

record! {
    /// A cancellation service request and its answer (R30).
    pub struct Cancellation {
        /// Id.
        pub id: String,
        /// Package or offer id.
        pub target: String,
        /// Requester.
        pub requested_by: String,
        /// When.
        pub requested_at: Timestamp,
        /// Whether it was granted.
        pub granted: bool,
        /// The refund, when granted.
        pub refund: Option<Money>,
        /// The refusal code, when refused (`window_closed`, `software_activated`, `already_cancelled`).
        pub refusal: Option<String>,
    }
}

impl From<core::CancellationView> for Cancellation {
    fn from(v: core::CancellationView) -> Self {
        Self {
            id: v.id.to_string(),
            target: v.target,
            requested_by: v.requested_by.to_string(),
            requested_at: v.requested_at,
            granted: v.granted,
            refund: v.refund.map(Money::from),
            refusal: v.refusal,
        }
    }
}

record! {
    /// The organization's marketing contact (R25).
    pub struct MarketingContact {
        /// The user.
        pub user_id: String,
        /// Contact email.
        pub email: String,
        /// Phone.
        pub phone: String,
        /// Preferred language.
        pub language: String,
    }
}

impl From<core::MarketingContactView> for MarketingContact {
    fn from(v: core::MarketingContactView) -> Self {
        Self { user_id: v.user_id.to_string(), email: v.email.to_string(), phone: v.phone, language: v.language.to_string() }
    }
}

record! {
    /// One audit-log line (B2): who did what when. Holds no key (B3).
    pub struct AuditEntry {
        /// Stream (`org-1`, `pool:windows-server`).
        pub stream: String,
        /// Version in the stream.
        pub version: i64,
        /// When.
        pub at: Timestamp,
        /// Who: a user id, `program` or `clock`.
        pub actor: String,
        /// Event kind.
        pub kind: String,
        /// The event as JSON.
        pub details: String,
    }
}

impl From<core::AuditEntry> for AuditEntry {
    fn from(v: core::AuditEntry) -> Self {
        Self { stream: v.stream, version: long(v.version), at: v.at, actor: v.actor, kind: v.kind, details: v.details }
    }
}

record! {
    /// One committed event in the changes feed: what happened where, never
    /// its details (so never a key).
    pub struct Change {
        /// Its place in the feed, strictly increasing in commit order; ask
        /// for changes `after` the last one read.
        pub position: i64,
        /// Stream (`org-1`, `pool:windows-server`).
        pub stream: String,
        /// The organization of the stream; none for key pools.
        pub organization_id: Option<String>,
        /// Version in the stream.
        pub version: i64,
        /// When.
        pub at: Timestamp,
        /// Who: a user id, `program` or `clock`.
        pub actor: String,
        /// Event kind.
        pub kind: String,
    }
}

/// A page of the changes feed asked for with host integers (a Python
/// `int`, a Kotlin `Long`): a negative position is `invalid_input`; a limit
/// outside what the core takes is passed on as out of range, so the core
/// refuses it with its own message.
pub fn feed_page(after: i64, limit: i64) -> Result<(u64, u32), core::Error> {
    let after = u64::try_from(after)
        .map_err(|_| core::Error::InvalidInput { field: "after".into(), reason: format!("{after} is negative; positions start at 0") })?;
    let limit = u32::try_from(limit).unwrap_or(if limit < 0 { 0 } else { u32::MAX });
    Ok((after, limit))
}

impl From<core::Change> for Change {
    fn from(v: core::Change) -> Self {
        Self {
            position: long(v.position),
            stream: v.stream,
            organization_id: v.organization_id.map(|id| id.to_string()),
            version: long(v.version),
            at: v.at,
            actor: v.actor,
            kind: v.kind,
        }
    }
}

record! {
    /// A key pool's counts (program side).
    pub struct KeyPool {
        /// The product.
        pub product: String,
        /// Keys stocked in all.
        pub stocked: i64,
        /// Keys handed to packages.
        pub allocated: i64,
        /// Keys left.
        pub available: i64,
    }
}

impl From<core::KeyPoolView> for KeyPool {
    fn from(v: core::KeyPoolView) -> Self {
        Self { product: v.product, stocked: long(v.stocked), allocated: long(v.allocated), available: long(v.available) }
    }
}
