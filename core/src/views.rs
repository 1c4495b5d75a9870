//! What queries return: plain values, flat enough for every binding.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::decide::unavailable_reason;
use crate::event::{CancellationTarget, MarketingContact, Phase, RecordedEvent};
use crate::ids::{BenefitId, OfferId, OrganizationId, PackageId, RequestId, UserId};
use crate::lifecycle::Timestamp;
use crate::lifecycle::advisory::RequestState;
use crate::lifecycle::offer::OfferState;
use crate::lifecycle::package::PackageState;
use crate::lifecycle::software::SoftwareState;
use crate::lifecycle::technical::TechnicalState;
use crate::permission::Role;
use crate::secret::LicenseKey;
use crate::state::{Benefit, BenefitDetail, Offer, OrganizationState, Package, TechnicalKind, User};
use crate::values::{Email, Language, Money, PartnerLevel};

/// The five places benefits are listed (R07).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Licensed software.
    Software,
    /// Cloud subscriptions.
    Cloud,
    /// Visual Studio subscriptions.
    VisualStudio,
    /// Technical benefits.
    Technical,
    /// Go-To-Market offers.
    GoToMarket,
}

impl Category {
    /// Every category, in listing order.
    pub const ALL: [Category; 5] = [Self::Software, Self::Cloud, Self::VisualStudio, Self::Technical, Self::GoToMarket];
}

/// One status vocabulary for packages, benefits, offers and requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Can be activated; nothing happened yet.
    NotActivated,
    /// An offer that may be activated.
    Available,
    /// An offer the organization's level or competencies do not allow (R23).
    Unavailable,
    /// Activation under way.
    Pending,
    /// In use.
    Active,
    /// Seats or keys partly in use.
    PartlyAssigned,
    /// Ran out.
    Expired,
    /// Cancelled.
    Cancelled,
    /// A request that is submitted.
    Submitted,
    /// A request that was completed.
    Completed,
    /// A request that was withdrawn.
    Withdrawn,
}

/// An organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrganizationView {
    /// Id.
    pub id: OrganizationId,
    /// Company name.
    pub name: String,
    /// Partner Center account email.
    pub account_email: Email,
    /// Partner level.
    pub level: PartnerLevel,
    /// Competencies.
    pub competencies: Vec<String>,
    /// The first Global admin (the one created with the organization).
    pub admin_id: UserId,
}

/// A user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserView {
    /// Id.
    pub id: UserId,
    /// Name.
    pub name: String,
    /// Account email.
    pub email: Email,
    /// Roles.
    pub roles: Vec<Role>,
    /// Mail language.
    pub language: Language,
}

/// A purchased package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PackageView {
    /// Id.
    pub id: PackageId,
    /// Catalog code.
    pub template: String,
    /// Name.
    pub name: String,
    /// `active`, `expired` or `cancelled`.
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
    pub benefit_ids: Vec<BenefitId>,
}

/// A benefit with its details (R07). Fields not of its kind are empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BenefitView {
    /// Id.
    pub id: BenefitId,
    /// Package.
    pub package_id: PackageId,
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
    pub key_count: u32,
    /// Keyed benefits: shown with the keys.
    pub special_instructions: String,
    /// Seats: how many.
    pub seats: u32,
    /// Seats (and usage-based cloud): who holds them.
    pub assigned_users: Vec<UserId>,
    /// Usage-based cloud: monthly credit (P6).
    pub monthly_credit: Option<Money>,
    /// Technical: what kind.
    pub technical_kind: Option<String>,
    /// Technical: allocated hours or incidents.
    pub allocated: Option<Decimal>,
    /// Technical: what is left.
    pub balance: Option<Decimal>,
    /// Technical: the alternate email (R18).
    pub alternate_email: Option<Email>,
    /// When it became (or becomes) active.
    pub active_at: Option<Timestamp>,
    /// When it expires, if it runs for a term.
    pub expires_at: Option<Timestamp>,
    /// Go-To-Market: its offers (R27).
    pub offers: Vec<OfferView>,
}

/// What is used of a benefit assigned to users: seats, holders now, and the
/// most ever assigned at once (the high-water mark seats are billed against).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Usage {
    /// The benefit.
    pub benefit_id: BenefitId,
    /// Its package.
    pub package_id: PackageId,
    /// Its name.
    pub name: String,
    /// Where it is listed.
    pub category: Category,
    /// Seats in all (1 for an Azure usage-based subscription or a technical benefit).
    pub seats: u32,
    /// Users assigned now.
    pub assigned: u32,
    /// The most users ever assigned at once during the package's life.
    pub peak: u32,
    /// Hours (or incidents) benefits: allocated.
    pub allocated: Option<Decimal>,
    /// Hours benefits: drawn by requests not withdrawn.
    pub used: Option<Decimal>,
    /// Hours benefits: what is left.
    pub balance: Option<Decimal>,
}

/// A Go-To-Market offer (R27, R28).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OfferView {
    /// Id.
    pub id: OfferId,
    /// The benefit listing it.
    pub benefit_id: BenefitId,
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

/// Revealed keys with what goes with them (R08–R11, R13). `Debug` redacts the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RevealedKeys {
    /// The benefit.
    pub benefit: BenefitId,
    /// Product name.
    pub product: String,
    /// The keys.
    pub keys: Vec<LicenseKey>,
    /// Download links for the chosen language and OS.
    pub download_links: Vec<String>,
    /// Instructions to follow.
    pub special_instructions: String,
}

/// An assistance request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RequestView {
    /// Id.
    pub id: RequestId,
    /// Benefit drawn from.
    pub benefit_id: BenefitId,
    /// Requester.
    pub requested_by: UserId,
    /// When.
    pub requested_at: Timestamp,
    /// Phase (R21).
    pub phase: Phase,
    /// Hours or incidents.
    pub amount: Decimal,
    /// Description.
    pub description: String,
    /// `submitted`, `completed` or `withdrawn`.
    pub status: Status,
}

/// A cancellation service request and its answer (R30).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CancellationView {
    /// Id.
    pub id: RequestId,
    /// Package or offer id.
    pub target: String,
    /// Requester.
    pub requested_by: UserId,
    /// When.
    pub requested_at: Timestamp,
    /// Whether it was granted.
    pub granted: bool,
    /// The refund, when granted.
    pub refund: Option<Money>,
    /// The refusal code, when refused.
    pub refusal: Option<String>,
}

/// The marketing contact (R25).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MarketingContactView {
    /// The user.
    pub user_id: UserId,
    /// Contact email.
    pub email: Email,
    /// Phone.
    pub phone: String,
    /// Preferred language.
    pub language: Language,
}

/// One audit-log line (B2): who did what when. Holds no key (B3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditEntry {
    /// Stream (`org-1`, `pool:windows-server`).
    pub stream: String,
    /// Version in the stream.
    pub version: u64,
    /// When.
    pub at: Timestamp,
    /// Who: a user id, `program` or `clock`.
    pub actor: String,
    /// Event kind.
    pub kind: String,
    /// The event as JSON.
    pub details: String,
}

impl From<&RecordedEvent> for AuditEntry {
    fn from(recorded: &RecordedEvent) -> Self {
        Self {
            stream: recorded.stream.to_string(),
            version: recorded.version,
            at: recorded.at,
            actor: recorded.actor.to_string(),
            kind: recorded.event.kind().to_owned(),
            details: serde_json::to_string(&recorded.event).unwrap_or_default(),
        }
    }
}

pub(crate) fn organization(state: &OrganizationState) -> OrganizationView {
    let first_admin = state.users.keys().next().copied().unwrap_or_else(|| UserId::new(state.id, 1));
    OrganizationView {
        id: state.id,
        name: state.name.clone(),
        account_email: state.account_email.clone(),
        level: state.level,
        competencies: state.competencies.iter().map(|c| c.to_string()).collect(),
        admin_id: first_admin,
    }
}

pub(crate) fn user(user: &User) -> UserView {
    UserView {
        id: user.id,
        name: user.name.clone(),
        email: user.email.clone(),
        roles: user.roles.to_vec(),
        language: user.language.clone(),
    }
}

pub(crate) fn package(state: &OrganizationState, package: &Package) -> PackageView {
    let status = match package.state {
        PackageState::Active { .. } => Status::Active,
        PackageState::Expired { .. } => Status::Expired,
        PackageState::Cancelled { .. } => Status::Cancelled,
    };
    PackageView {
        id: package.id,
        template: package.template.code.to_string(),
        name: package.template.name.to_string(),
        status,
        price: package.template.price.clone(),
        purchased_at: package.purchased_at,
        expires_at: package.term_ends_at,
        refundable_until: package.refund_terms(state).refundable_until(),
        software_activated: state.software_activated(package),
        benefit_ids: package.benefits.clone(),
    }
}

fn software_status(activation: &SoftwareState) -> (Status, Option<Timestamp>, Option<Timestamp>) {
    match activation {
        SoftwareState::NotActivated => (Status::NotActivated, None, None),
        SoftwareState::Activated { activated_at, expires_at } => (Status::Active, Some(*activated_at), *expires_at),
        SoftwareState::Expired { expired_at } => (Status::Expired, None, Some(*expired_at)),
    }
}

/// The usage row of a benefit that is assigned to users; `None` for the others.
pub(crate) fn usage(benefit: &Benefit) -> Option<Usage> {
    let (category, seats, hours) = match &benefit.detail {
        BenefitDetail::VisualStudio { seats, .. } => (Category::VisualStudio, seats.capacity, None),
        BenefitDetail::CloudUsage { seat, .. } => (Category::Cloud, seat.capacity, None),
        BenefitDetail::Technical { allocated, balance, .. } => (Category::Technical, 1, Some((*allocated, *balance))),
        _ => return None,
    };
    Some(Usage {
        benefit_id: benefit.id,
        package_id: benefit.package,
        name: benefit.name.to_string(),
        category,
        seats,
        assigned: benefit.assigned_count(),
        peak: benefit.peak_assigned,
        allocated: hours.map(|(allocated, _)| allocated),
        used: hours.map(|(allocated, balance)| allocated - balance),
        balance: hours.map(|(_, balance)| balance),
    })
}

pub(crate) fn benefit(state: &OrganizationState, benefit: &Benefit) -> BenefitView {
    let mut view = BenefitView {
        id: benefit.id,
        package_id: benefit.package,
        code: benefit.code.to_string(),
        name: benefit.name.to_string(),
        category: Category::Software,
        status: Status::NotActivated,
        languages: Vec::new(),
        os_types: Vec::new(),
        key_count: 0,
        special_instructions: String::new(),
        seats: 0,
        assigned_users: Vec::new(),
        monthly_credit: None,
        technical_kind: None,
        allocated: None,
        balance: None,
        alternate_email: None,
        active_at: None,
        expires_at: None,
        offers: Vec::new(),
    };
    match &benefit.detail {
        BenefitDetail::Software { languages, os_types, special_instructions, keys, activation, .. } => {
            view.languages = languages.iter().map(|l| l.to_string()).collect();
            view.os_types = os_types.iter().map(|o| o.to_string()).collect();
            view.key_count = keys.count();
            view.special_instructions = special_instructions.to_string();
            (view.status, view.active_at, view.expires_at) = software_status(activation);
        }
        BenefitDetail::CloudLicense { keys, special_instructions, activation, .. } => {
            view.category = Category::Cloud;
            view.key_count = keys.count();
            view.special_instructions = special_instructions.to_string();
            (view.status, view.active_at, view.expires_at) = software_status(activation);
        }
        BenefitDetail::CloudUsage { monthly_credit, seat } => {
            view.category = Category::Cloud;
            view.monthly_credit = Some(monthly_credit.clone());
            view.seats = seat.capacity;
            if let Some((user, since)) = seat.holders.iter().next() {
                view.status = Status::Active;
                view.assigned_users = vec![*user];
                view.active_at = Some(*since);
            }
        }
        BenefitDetail::VisualStudio { seats, .. } => {
            view.category = Category::VisualStudio;
            view.seats = seats.capacity;
            view.assigned_users = seats.holders.keys().copied().collect();
            view.status = match seats.holders.len() {
                0 => Status::NotActivated,
                _ if seats.is_full() => Status::Active,
                _ => Status::PartlyAssigned,
            };
        }
        BenefitDetail::Technical { kind, allocated, balance, activation } => {
            view.category = Category::Technical;
            view.technical_kind = Some(
                match kind {
                    TechnicalKind::SupportIncidents => "support_incidents",
                    TechnicalKind::AdvisoryHours => "advisory_hours",
                    TechnicalKind::PresalesDeployment => "presales_deployment",
                }
                .to_string(),
            );
            view.allocated = Some(*allocated);
            view.balance = Some(*balance);
            match activation {
                TechnicalState::NotActivated => {}
                TechnicalState::Pending { user, alternate_email, active_at, .. } => {
                    view.status = Status::Pending;
                    view.assigned_users = vec![*user];
                    view.alternate_email = Some(alternate_email.clone());
                    view.active_at = Some(*active_at);
                }
                TechnicalState::Active { user, alternate_email, since } => {
                    view.status = Status::Active;
                    view.assigned_users = vec![*user];
                    view.alternate_email = Some(alternate_email.clone());
                    view.active_at = Some(*since);
                }
            }
        }
        BenefitDetail::GoToMarket { offers } => {
            view.category = Category::GoToMarket;
            view.offers = offers.iter().map(|o| offer(state, benefit.id, o)).collect();
            view.status = if view.offers.iter().any(|o| o.status == Status::Active) { Status::Active } else { Status::NotActivated };
        }
    }
    // A refunded package's benefits ended with it (R29).
    if benefit.cancelled_at.is_some() {
        view.status = Status::Cancelled;
    }
    view
}

pub(crate) fn offer(state: &OrganizationState, benefit_id: BenefitId, offer: &Offer) -> OfferView {
    // Why it may not be activated, where activating is a step it could take
    // (R23): a running or cancelled offer has no such reason.
    let reason = match offer.state {
        OfferState::Available | OfferState::Expired { .. } => unavailable_reason(state, offer),
        _ => None,
    };
    let (status, active_at, expires_at) = match offer.state {
        OfferState::Available if reason.is_some() => (Status::Unavailable, None, None),
        OfferState::Available => (Status::Available, None, None),
        OfferState::Pending { active_at, .. } => (Status::Pending, Some(active_at), None),
        OfferState::Active { since, expires_at } => (Status::Active, Some(since), Some(expires_at)),
        OfferState::Expired { expired_at } => (Status::Expired, None, Some(expired_at)),
        OfferState::Cancelled { .. } => (Status::Cancelled, None, None),
    };
    OfferView {
        id: offer.id,
        benefit_id,
        code: offer.code.to_string(),
        name: offer.name.to_string(),
        status,
        unavailable_reason: reason,
        active_at,
        expires_at,
    }
}

pub(crate) fn request(request: &crate::state::AssistanceRequest) -> RequestView {
    RequestView {
        id: request.id,
        benefit_id: request.benefit,
        requested_by: request.requested_by,
        requested_at: request.requested_at,
        phase: request.phase,
        amount: request.amount,
        description: request.description.clone(),
        status: match request.state {
            RequestState::Submitted => Status::Submitted,
            RequestState::Completed { .. } => Status::Completed,
            RequestState::Withdrawn { .. } => Status::Withdrawn,
        },
    }
}

pub(crate) fn cancellation(c: &crate::state::Cancellation) -> CancellationView {
    let target = match c.target {
        CancellationTarget::Package(id) => id.to_string(),
        CancellationTarget::Offer(id) => id.to_string(),
    };
    let (granted, refund, refusal) = match &c.answer {
        Some(Ok(refund)) => (true, Some(refund.clone()), None),
        Some(Err(reason)) => (false, None, Some(reason.code().to_string())),
        None => (false, None, None),
    };
    CancellationView { id: c.id, target, requested_by: c.requested_by, requested_at: c.requested_at, granted, refund, refusal }
}

pub(crate) fn contact(contact: &MarketingContact) -> MarketingContactView {
    MarketingContactView {
        user_id: contact.user,
        email: contact.email.clone(),
        phone: contact.phone.as_str().to_string(),
        language: contact.language.clone(),
    }
}
