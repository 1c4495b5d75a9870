//! Commands as values, one variant per session command, with the field
//! names of Python's `Command.<kind>(...)` constructors. Kotlin builds them
//! directly (`Command.PurchasePackage(template = "action-pack")`); Python's
//! constructors build them from Python arguments. Ids are text here and
//! are checked once, when a command becomes the core's.

use partner_benefits as core;
use partner_benefits::Error;
use rust_decimal::Decimal;

use crate::enums::{Phase, Role};

/// One command for `Session.execute` and the atomic `Session.executeBatch`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "kotlin", derive(uniffi::Enum))]
pub enum Command {
    /// Adds an employee with `roles`, whose mail is in `language` (default `en`) (R05).
    AddUser {
        /// Name.
        name: String,
        /// Account email.
        email: String,
        /// Roles; may be empty.
        #[cfg_attr(feature = "kotlin", uniffi(default))]
        roles: Vec<Role>,
        /// Mail language; none means `en`.
        #[cfg_attr(feature = "kotlin", uniffi(default))]
        language: Option<String>,
    },
    /// Replaces a user's roles (R04).
    SetUserRoles {
        /// The user.
        user_id: String,
        /// The new roles.
        roles: Vec<Role>,
    },
    /// Removes a user (offboarding), releasing their seats, Azure
    /// subscription and technical activation in one commit.
    RemoveUser {
        /// The user.
        user_id: String,
    },
    /// Buys a package of the catalog (R02).
    PurchasePackage {
        /// Catalog code, e.g. `action-pack`.
        template: String,
    },
    /// Renews a package inside its window (P2).
    RenewPackage {
        /// The package.
        package_id: String,
    },
    /// Asks to cancel a package for a refund (R29, R30).
    CancelPackage {
        /// The package.
        package_id: String,
    },
    /// Asks to cancel a Go-To-Market offer (R29, R30).
    CancelOffer {
        /// The offer.
        offer_id: String,
    },
    /// Reveals keys; the outcome names the benefit but holds no key (`getKeys` returns them).
    GetKeys {
        /// The benefit.
        benefit_id: String,
        /// Software: the language.
        #[cfg_attr(feature = "kotlin", uniffi(default))]
        language: Option<String>,
        /// Software: the OS.
        #[cfg_attr(feature = "kotlin", uniffi(default))]
        os: Option<String>,
    },
    /// Assigns a Visual Studio subscription (R14), or yourself to Azure (R12).
    AssignUser {
        /// The benefit.
        benefit_id: String,
        /// The user.
        user_id: String,
    },
    /// Removes an assigned user (R16).
    UnassignUser {
        /// The benefit.
        benefit_id: String,
        /// The user.
        user_id: String,
    },
    /// Removes `from_user` and assigns `to_user` in one step (R16).
    ReassignUser {
        /// The benefit.
        benefit_id: String,
        /// The user who loses the seat.
        from_user: String,
        /// The user who gets it.
        to_user: String,
    },
    /// Activates a technical benefit for a user with an alternate email (R18–R20).
    ActivateTechnical {
        /// The benefit.
        benefit_id: String,
        /// The user.
        user_id: String,
        /// Their alternate email.
        alternate_email: String,
    },
    /// Draws hours (or incidents) for a phase (R21).
    RequestAssistance {
        /// The benefit.
        benefit_id: String,
        /// The phase.
        phase: Phase,
        /// Hours or incidents.
        amount: Decimal,
        /// What it is for.
        description: String,
    },
    /// Withdraws a submitted request; its hours return.
    WithdrawRequest {
        /// The request.
        request_id: String,
    },
    /// Adds, updates or changes the marketing contact (R25).
    SetMarketingContact {
        /// The user.
        user_id: String,
        /// Contact email.
        email: String,
        /// Phone.
        phone: String,
        /// Preferred language.
        language: String,
    },
    /// Activates a Go-To-Market offer (R24, R28).
    ActivateOffer {
        /// The offer.
        offer_id: String,
    },
}

fn roles(roles: Vec<Role>) -> Vec<core::Role> {
    roles.into_iter().map(core::Role::from).collect()
}

/// A malformed id is `invalid_input`, the same error the session methods give.
impl TryFrom<Command> for core::Command {
    type Error = Error;

    fn try_from(command: Command) -> Result<Self, Error> {
        use Command as C;
        use core::Command as K;
        Ok(match command {
            C::AddUser { name, email, roles: given, language } => K::AddUser { name, email, roles: roles(given), language },
            C::SetUserRoles { user_id, roles: given } => K::SetUserRoles { user: user_id.parse()?, roles: roles(given) },
            C::RemoveUser { user_id } => K::RemoveUser { user: user_id.parse()? },
            C::PurchasePackage { template } => K::PurchasePackage { template },
            C::RenewPackage { package_id } => K::RenewPackage { package: package_id.parse()? },
            C::CancelPackage { package_id } => K::CancelPackage { package: package_id.parse()? },
            C::CancelOffer { offer_id } => K::CancelOffer { offer: offer_id.parse()? },
            C::GetKeys { benefit_id, language, os } => K::GetKeys { benefit: benefit_id.parse()?, language, os },
            C::AssignUser { benefit_id, user_id } => K::AssignUser { benefit: benefit_id.parse()?, user: user_id.parse()? },
            C::UnassignUser { benefit_id, user_id } => K::UnassignUser { benefit: benefit_id.parse()?, user: user_id.parse()? },
            C::ReassignUser { benefit_id, from_user, to_user } => {
                K::ReassignUser { benefit: benefit_id.parse()?, from: from_user.parse()?, to: to_user.parse()? }
            }
            C::ActivateTechnical { benefit_id, user_id, alternate_email } => {
                K::ActivateTechnical { benefit: benefit_id.parse()?, user: user_id.parse()?, alternate_email }
            }
            C::RequestAssistance { benefit_id, phase, amount, description } => {
                K::RequestAssistance { benefit: benefit_id.parse()?, phase: phase.into(), amount, description }
            }
            C::WithdrawRequest { request_id } => K::WithdrawRequest { request: request_id.parse()? },
            C::SetMarketingContact { user_id, email, phone, language } => {
                K::SetMarketingContact { user: user_id.parse()?, email, phone, language }
            }
            C::ActivateOffer { offer_id } => K::ActivateOffer { offer: offer_id.parse()? },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_when_a_command_becomes_the_cores() {
        let good = Command::AssignUser { benefit_id: "ben-1-1".into(), user_id: "usr-1-2".into() };
        let core = core::Command::try_from(good).unwrap();
        assert_eq!(core.kind(), "assign_user");
        let bad = Command::AssignUser { benefit_id: "ben-1-1".into(), user_id: "nobody".into() };
        assert_eq!(core::Command::try_from(bad).unwrap_err().code(), "invalid_input");
    }

    #[test]
    fn one_variant_per_core_kind_in_the_cores_order() {
        let (b, u, v) = (String::from("ben-1-1"), String::from("usr-1-2"), String::from("usr-1-3"));
        let one = [
            Command::AddUser { name: "n".into(), email: "e".into(), roles: vec![], language: None },
            Command::SetUserRoles { user_id: u.clone(), roles: vec![] },
            Command::RemoveUser { user_id: u.clone() },
            Command::PurchasePackage { template: "t".into() },
            Command::RenewPackage { package_id: "pkg-1-1".into() },
            Command::CancelPackage { package_id: "pkg-1-1".into() },
            Command::CancelOffer { offer_id: "ofr-1-1".into() },
            Command::GetKeys { benefit_id: b.clone(), language: None, os: None },
            Command::AssignUser { benefit_id: b.clone(), user_id: u.clone() },
            Command::UnassignUser { benefit_id: b.clone(), user_id: u.clone() },
            Command::ReassignUser { benefit_id: b.clone(), from_user: u.clone(), to_user: v },
            Command::ActivateTechnical { benefit_id: b.clone(), user_id: u.clone(), alternate_email: "e".into() },
            Command::RequestAssistance { benefit_id: b, phase: Phase::Design, amount: Decimal::ONE, description: "d".into() },
            Command::WithdrawRequest { request_id: "req-1-1".into() },
            Command::SetMarketingContact { user_id: u, email: "e".into(), phone: "p".into(), language: "en".into() },
            Command::ActivateOffer { offer_id: "ofr-1-1".into() },
        ];
        let kinds: Vec<&str> = one.into_iter().map(|c| core::Command::try_from(c).unwrap().kind()).collect();
        assert_eq!(kinds, core::Command::KINDS);
        let removal = core::Command::try_from(Command::RemoveUser { user_id: "usr-1-2".into() }).unwrap();
        assert_eq!(removal, core::Command::RemoveUser { user: "usr-1-2".parse().unwrap() });
    }

    #[test]
    fn every_field_reaches_the_core() {
        let command = Command::RequestAssistance {
            benefit_id: "ben-1-4".into(),
            phase: Phase::AppDevelopment,
            amount: Decimal::new(125, 2),
            description: "x".into(),
        };
        let expected = core::Command::RequestAssistance {
            benefit: "ben-1-4".parse().unwrap(),
            phase: core::Phase::AppDevelopment,
            amount: Decimal::new(125, 2),
            description: "x".into(),
        };
        assert_eq!(core::Command::try_from(command).unwrap(), expected);
    }
}
