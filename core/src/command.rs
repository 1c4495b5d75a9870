//! Commands (data) and their outcomes. Every session method builds one of
//! these; hosts may also store, queue or replay them as JSON.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::RefundRefusal;
use crate::event::{KeySlots, Phase};
use crate::ids::{BenefitId, OfferId, PackageId, RequestId, UserId};
use crate::lifecycle::Timestamp;
use crate::permission::{Permission, Role};
use crate::values::Money;

/// A change a user asks for. Text fields are validated when applied, so a
/// bad value is an `invalid_input` error naming the field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
#[allow(missing_docs)] // fields are named after what they hold; see the session methods
pub enum Command {
    /// Account settings: add an employee (R05).
    AddUser { name: String, email: String, roles: Vec<Role>, language: Option<String> },
    /// Account settings: replace a user's roles (R04).
    SetUserRoles { user: UserId, roles: Vec<Role> },
    /// Offboarding: remove a user, releasing everything they hold.
    RemoveUser { user: UserId },
    /// Buy a package from the catalog (R02, R31).
    PurchasePackage { template: String },
    /// Renew a package inside its renewal window (R31, P2).
    RenewPackage { package: PackageId },
    /// Ask to cancel a package for a refund (R29, R30).
    CancelPackage { package: PackageId },
    /// Ask to cancel a Go-To-Market offer (R29, R30).
    CancelOffer { offer: OfferId },
    /// Reveal keys: software needs a language and an OS (R08–R11); license-based cloud needs neither (R13).
    GetKeys { benefit: BenefitId, language: Option<String>, os: Option<String> },
    /// Assign a Visual Studio subscription (R14), or yourself to an Azure usage-based subscription (R12).
    AssignUser { benefit: BenefitId, user: UserId },
    /// Remove an assigned user (R16).
    UnassignUser { benefit: BenefitId, user: UserId },
    /// Remove one user and assign another in one step (R16).
    ReassignUser { benefit: BenefitId, from: UserId, to: UserId },
    /// Activate a technical benefit for a user with an alternate email (R18–R20).
    ActivateTechnical { benefit: BenefitId, user: UserId, alternate_email: String },
    /// Draw advisory or presales hours (or an incident) for a phase (R21).
    RequestAssistance { benefit: BenefitId, phase: Phase, amount: Decimal, description: String },
    /// Withdraw a submitted assistance request; its hours return.
    WithdrawRequest { request: RequestId },
    /// Add, update or change the marketing contact (R25).
    SetMarketingContact { user: UserId, email: String, phone: String, language: String },
    /// Activate a Go-To-Market offer (R24, R28).
    ActivateOffer { offer: OfferId },
}

impl Command {
    /// The snake_case name of every command, in declaration order.
    pub const KINDS: [&'static str; 16] = [
        "add_user",
        "set_user_roles",
        "remove_user",
        "purchase_package",
        "renew_package",
        "cancel_package",
        "cancel_offer",
        "get_keys",
        "assign_user",
        "unassign_user",
        "reassign_user",
        "activate_technical",
        "request_assistance",
        "withdraw_request",
        "set_marketing_contact",
        "activate_offer",
    ];

    /// The snake_case name of this command.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::AddUser { .. } => "add_user",
            Self::SetUserRoles { .. } => "set_user_roles",
            Self::RemoveUser { .. } => "remove_user",
            Self::PurchasePackage { .. } => "purchase_package",
            Self::RenewPackage { .. } => "renew_package",
            Self::CancelPackage { .. } => "cancel_package",
            Self::CancelOffer { .. } => "cancel_offer",
            Self::GetKeys { .. } => "get_keys",
            Self::AssignUser { .. } => "assign_user",
            Self::UnassignUser { .. } => "unassign_user",
            Self::ReassignUser { .. } => "reassign_user",
            Self::ActivateTechnical { .. } => "activate_technical",
            Self::RequestAssistance { .. } => "request_assistance",
            Self::WithdrawRequest { .. } => "withdraw_request",
            Self::SetMarketingContact { .. } => "set_marketing_contact",
            Self::ActivateOffer { .. } => "activate_offer",
        }
    }

    /// The permission the command needs; checked before anything else.
    pub fn permission(&self) -> Permission {
        match self {
            Self::AddUser { .. } | Self::RemoveUser { .. } => Permission::ManageUsers,
            Self::SetUserRoles { .. } => Permission::ManageRoles,
            Self::PurchasePackage { .. } | Self::RenewPackage { .. } => Permission::PurchasePackage,
            Self::CancelPackage { .. } => Permission::CancelPurchase,
            Self::GetKeys { .. } => Permission::RevealKeys,
            Self::AssignUser { .. } | Self::UnassignUser { .. } | Self::ReassignUser { .. } | Self::ActivateTechnical { .. } => {
                Permission::AssignBenefits
            }
            Self::RequestAssistance { .. } | Self::WithdrawRequest { .. } => Permission::RequestAssistance,
            // R22: every Go-To-Market task, cancelling an offer included.
            Self::SetMarketingContact { .. } | Self::ActivateOffer { .. } | Self::CancelOffer { .. } => Permission::ManageGoToMarket,
        }
    }
}

/// Where revealed keys are in the vault, with what is shown beside them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyReveal {
    /// The benefit.
    pub benefit: BenefitId,
    /// Product display name.
    pub product: String,
    /// Where the keys are in the vault: the benefit's claim, or (purchases
    /// before 0.2) its slot range.
    pub slots: KeySlots,
    /// Download links for the chosen language and OS (R11).
    pub download_links: Vec<String>,
    /// Instructions to follow (R08, R13).
    pub special_instructions: String,
}

/// What a command did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Outcome {
    /// The change was made; nothing more to report.
    Done,
    UserAdded {
        user: UserId,
    },
    PackagePurchased {
        package: PackageId,
    },
    PackageRenewed {
        package: PackageId,
        expires_at: Timestamp,
    },
    /// The cancellation request was granted with this refund (R30).
    CancellationGranted {
        request: RequestId,
        refund: Money,
    },
    /// The cancellation request was recorded and refused (R30).
    CancellationRefused {
        request: RequestId,
        reason: RefundRefusal,
    },
    KeysRevealed {
        reveal: KeyReveal,
    },
    RequestSubmitted {
        request: RequestId,
    },
    OfferActivated {
        offer: OfferId,
        active_at: Timestamp,
    },
}
