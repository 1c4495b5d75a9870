//! Events: the audit log and the only source of state (B2). No event holds a
//! license key; keys live in the store's key vault, events name their slots.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::catalog::PackageTemplate;
use crate::error::RefundRefusal;
use crate::ids::{BenefitId, MailId, OfferId, OrganizationId, PackageId, RequestId, UserId};
use crate::lifecycle::Timestamp;
use crate::mail::MailTopic;
use crate::permission::Role;
use crate::values::{Code, Email, Language, Money, PartnerLevel, Phone};

/// Which append-only stream an event belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamId {
    /// Everything of one organization.
    Organization(OrganizationId),
    /// The program's key pool of one product, shared by all organizations.
    KeyPool(Code),
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Organization(id) => write!(f, "{id}"),
            Self::KeyPool(product) => write!(f, "pool:{product}"),
        }
    }
}

impl std::str::FromStr for StreamId {
    type Err = crate::Error;
    fn from_str(text: &str) -> Result<Self, crate::Error> {
        match text.strip_prefix("pool:") {
            Some(product) => Ok(Self::KeyPool(Code::parse("stream", product)?)),
            None => Ok(Self::Organization(text.parse()?)),
        }
    }
}

/// Who caused an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "user", rename_all = "snake_case")]
pub enum Actor {
    /// A user of the organization.
    User(UserId),
    /// The program operator (the host acting for the program).
    Program,
    /// The clock: something fell due.
    Clock,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::User(id) => write!(f, "{id}"),
            Self::Program => f.write_str("program"),
            Self::Clock => f.write_str("clock"),
        }
    }
}

/// The keyed benefit of a purchase that keys were claimed for: its package
/// and the benefit's place in the package template. The vault marks each
/// claimed entry with it (shown as `pkg-7-2/0`), and finds the benefit's
/// keys by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KeyClaim {
    /// The package bought.
    pub package: PackageId,
    /// Index of the benefit in the package template.
    pub benefit_index: u32,
}

impl std::fmt::Display for KeyClaim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.package, self.benefit_index)
    }
}

/// Where a keyed benefit's keys are in its product's vault.
///
/// From 0.2 a purchase names how many keys it needs and the store claims
/// free ones in the purchase's own commit (ADR 9), so purchases of distinct
/// organizations never wait on one pool's version. Purchases recorded
/// before took a numbered range of slots, and keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeySlots {
    /// Keys the store claimed for the benefit: the vault entries marked with `claim`.
    Claimed {
        /// The product (and pool).
        product: Code,
        /// The claim marking the entries.
        claim: KeyClaim,
        /// Number of keys.
        count: u32,
    },
    /// A range of slots taken by number (every purchase before 0.2).
    Range {
        /// The product (and pool).
        product: Code,
        /// First slot.
        first: u64,
        /// Number of keys.
        count: u32,
    },
}

impl KeySlots {
    /// The product (and pool) the keys come from.
    pub fn product(&self) -> &Code {
        match self {
            Self::Claimed { product, .. } | Self::Range { product, .. } => product,
        }
    }

    /// How many keys the benefit holds.
    pub fn count(&self) -> u32 {
        match self {
            Self::Claimed { count, .. } | Self::Range { count, .. } => *count,
        }
    }
}

/// The keys allocated to one keyed benefit of a purchase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAllocation {
    /// Index of the benefit in the package template.
    pub benefit_index: u32,
    /// Where its keys are.
    pub slots: KeySlots,
}

/// The company marketing contact (R25).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketingContact {
    /// The user.
    pub user: UserId,
    /// An address other than the company account email.
    pub email: Email,
    /// Contact phone.
    pub phone: Phone,
    /// Preferred language; offer mail uses it (R26).
    pub language: Language,
}

/// The phase an assistance request is for (R21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Presales.
    Presales,
    /// Solution design.
    Design,
    /// Deployment.
    Deployment,
    /// App development.
    AppDevelopment,
}

impl Phase {
    /// Every phase.
    pub const ALL: [Phase; 4] = [Self::Presales, Self::Design, Self::Deployment, Self::AppDevelopment];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Presales => "presales",
            Self::Design => "design",
            Self::Deployment => "deployment",
            Self::AppDevelopment => "app_development",
        }
    }
}

impl std::str::FromStr for Phase {
    type Err = crate::Error;
    fn from_str(text: &str) -> Result<Self, crate::Error> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == text)
            .ok_or_else(|| crate::Error::invalid("phase", "one of presales, design, deployment, app_development"))
    }
}

/// What a cancellation service request is about (R29, R30).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum CancellationTarget {
    /// A whole package, refunded at its price.
    Package(PackageId),
    /// One Go-To-Market offer.
    Offer(OfferId),
}

/// One fact. Stream `Organization` holds all but the `Keys*` events, which
/// belong to `KeyPool` streams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
#[allow(missing_docs)] // each field is named after what it holds
pub enum Event {
    /// The organization and its first Global admin.
    OrganizationCreated {
        name: String,
        account_email: Email,
        admin: UserId,
        admin_name: String,
        admin_email: Email,
    },
    UserAdded {
        user: UserId,
        name: String,
        email: Email,
        roles: Vec<Role>,
        language: Language,
    },
    UserRolesChanged {
        user: UserId,
        roles: Vec<Role>,
    },
    /// The user left the organization; what they held was released by the
    /// events before this one, in the same commit. Their id is never reused.
    UserRemoved {
        user: UserId,
    },
    PartnerLevelSet {
        level: PartnerLevel,
    },
    CompetencyGranted {
        competency: Code,
    },
    CompetencyRevoked {
        competency: Code,
    },
    /// A package bought from the template as it was at purchase.
    PackagePurchased {
        package: PackageId,
        // Shared with the package in the state (and every copy of the event):
        // a template is kilobytes of text, and cloning it dominated copies of
        // states and events. Serialized as the template itself.
        #[serde(with = "crate::catalog::shared_template")]
        template: std::sync::Arc<PackageTemplate>,
        expires_at: Timestamp,
        keys: Vec<KeyAllocation>,
    },
    PackageRenewed {
        package: PackageId,
        expires_at: Timestamp,
    },
    PackageExpired {
        package: PackageId,
    },
    PackageReminderDue {
        package: PackageId,
        days_before: u32,
    },
    CancellationRequested {
        request: RequestId,
        target: CancellationTarget,
    },
    CancellationGranted {
        request: RequestId,
        refund: Money,
    },
    CancellationRefused {
        request: RequestId,
        reason: RefundRefusal,
    },
    /// Keys were shown to `user`; the first reveal activates the benefit.
    KeysRevealed {
        benefit: BenefitId,
        language: Option<Language>,
        os: Option<Code>,
    },
    LicenseTermExpired {
        benefit: BenefitId,
    },
    SeatAssigned {
        benefit: BenefitId,
        user: UserId,
    },
    SeatReleased {
        benefit: BenefitId,
        user: UserId,
    },
    TechnicalAssigned {
        benefit: BenefitId,
        user: UserId,
        alternate_email: Email,
        active_at: Timestamp,
    },
    TechnicalActivated {
        benefit: BenefitId,
    },
    /// The assigned user of a technical benefit left; nobody is assigned.
    TechnicalReleased {
        benefit: BenefitId,
        user: UserId,
    },
    AssistanceRequested {
        request: RequestId,
        benefit: BenefitId,
        phase: Phase,
        amount: Decimal,
        description: String,
    },
    AssistanceCompleted {
        request: RequestId,
    },
    AssistanceWithdrawn {
        request: RequestId,
    },
    MarketingContactSet {
        contact: MarketingContact,
    },
    OfferActivated {
        offer: OfferId,
        active_at: Timestamp,
    },
    OfferActive {
        offer: OfferId,
        expires_at: Timestamp,
    },
    OfferExpired {
        offer: OfferId,
    },
    OfferReminderDue {
        offer: OfferId,
        days_before: u32,
    },
    MailQueued {
        mail: MailId,
        topic: MailTopic,
        recipients: Vec<Email>,
    },
    /// Keys added to a pool; the keys went to the vault.
    KeysStocked {
        first: u64,
        count: u32,
    },
    /// Keys of a pool handed to a package.
    KeysAllocated {
        first: u64,
        count: u32,
        package: PackageId,
    },
}

impl Event {
    /// The stable snake_case name of the event kind: its serialized `type`
    /// (a test checks the two agree on every event of the 0.1.0 fixture).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::OrganizationCreated { .. } => "organization_created",
            Self::UserAdded { .. } => "user_added",
            Self::UserRolesChanged { .. } => "user_roles_changed",
            Self::UserRemoved { .. } => "user_removed",
            Self::PartnerLevelSet { .. } => "partner_level_set",
            Self::CompetencyGranted { .. } => "competency_granted",
            Self::CompetencyRevoked { .. } => "competency_revoked",
            Self::PackagePurchased { .. } => "package_purchased",
            Self::PackageRenewed { .. } => "package_renewed",
            Self::PackageExpired { .. } => "package_expired",
            Self::PackageReminderDue { .. } => "package_reminder_due",
            Self::CancellationRequested { .. } => "cancellation_requested",
            Self::CancellationGranted { .. } => "cancellation_granted",
            Self::CancellationRefused { .. } => "cancellation_refused",
            Self::KeysRevealed { .. } => "keys_revealed",
            Self::LicenseTermExpired { .. } => "license_term_expired",
            Self::SeatAssigned { .. } => "seat_assigned",
            Self::SeatReleased { .. } => "seat_released",
            Self::TechnicalAssigned { .. } => "technical_assigned",
            Self::TechnicalActivated { .. } => "technical_activated",
            Self::TechnicalReleased { .. } => "technical_released",
            Self::AssistanceRequested { .. } => "assistance_requested",
            Self::AssistanceCompleted { .. } => "assistance_completed",
            Self::AssistanceWithdrawn { .. } => "assistance_withdrawn",
            Self::MarketingContactSet { .. } => "marketing_contact_set",
            Self::OfferActivated { .. } => "offer_activated",
            Self::OfferActive { .. } => "offer_active",
            Self::OfferExpired { .. } => "offer_expired",
            Self::OfferReminderDue { .. } => "offer_reminder_due",
            Self::MailQueued { .. } => "mail_queued",
            Self::KeysStocked { .. } => "keys_stocked",
            Self::KeysAllocated { .. } => "keys_allocated",
        }
    }
}
/// An event as stored: in a stream, at a version, with who and when. Its
/// serialized form carries a schema version (see `record.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    /// The stream.
    pub stream: StreamId,
    /// 1 for the stream's first event, then +1 each.
    pub version: u64,
    /// When it happened (for clock events: when it fell due).
    pub at: Timestamp,
    /// Who caused it.
    pub actor: Actor,
    /// What happened.
    pub event: Event,
}

impl RecordedEvent {
    /// Numbers new events of `stream` following version `base`: the one
    /// place where events get their versions (organization and key-pool
    /// streams alike), so a gap or a repeat cannot arise in one place only.
    pub(crate) fn numbered<'s>(
        stream: &'s StreamId,
        base: u64,
        events: impl IntoIterator<Item = (Timestamp, Actor, Event)> + 's,
    ) -> impl Iterator<Item = RecordedEvent> + 's {
        events.into_iter().zip(base + 1..).map(move |((at, actor, event), version)| RecordedEvent {
            stream: stream.clone(),
            version,
            at,
            actor,
            event,
        })
    }
}
