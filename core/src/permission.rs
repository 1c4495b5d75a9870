//! Roles and the role → permission table (R01–R05, R22, B1). Deny by default:
//! a permission no role of the user grants is refused.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::role_set::RoleSet;

/// A partner-side role (R01).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Global admin: every permission, the only role that assigns benefits.
    GlobalAdmin,
    /// User admin: manages users and their roles.
    UserAdmin,
    /// Admin agent: buys and views on the company's behalf.
    AdminAgent,
    /// MPN partner admin: buys, views and runs Go-To-Market tasks.
    MpnPartnerAdmin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Self::GlobalAdmin, Self::UserAdmin, Self::AdminAgent, Self::MpnPartnerAdmin];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GlobalAdmin => "global_admin",
            Self::UserAdmin => "user_admin",
            Self::AdminAgent => "admin_agent",
            Self::MpnPartnerAdmin => "mpn_partner_admin",
        }
    }

    /// The name Partner Center shows.
    pub fn title(self) -> &'static str {
        match self {
            Self::GlobalAdmin => "Global admin",
            Self::UserAdmin => "User admin",
            Self::AdminAgent => "Admin agent",
            Self::MpnPartnerAdmin => "MPN partner admin",
        }
    }
}

impl Role {
    /// Where this role's rights in [`GRANTS`] come from: the seed or the program's text.
    fn source(self) -> &'static str {
        match self {
            Self::GlobalAdmin => {
                "R03: \"you do need to be the global admin to assign benefits to employees\"; R22 names it for Go-To-Market"
            }
            Self::UserAdmin => {
                "R05: missing users are added \"in Account settings\"; R02: \"you don't have to be a global admin in your organization to purchase benefits\""
            }
            Self::AdminAgent => {
                "R02: any admin role may purchase; it follows up support requests (R21), but the program's refund page names the MPN admin, not the agent"
            }
            Self::MpnPartnerAdmin => {
                "R22: \"Appropriate roles to perform this task: Global admin, MPN Partner admin\"; R02; the program's refund page names the MPN admin role"
            }
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| Error::invalid("role", format!("`{}` is not a role", crate::error::excerpt(text))))
    }
}

/// What a command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// See packages, benefits, offers and requests.
    ViewBenefits,
    /// Buy or renew a package (R02, R31).
    PurchasePackage,
    /// Ask to cancel a package for a refund (R29, R30).
    CancelPurchase,
    /// Reveal license keys, which activates software (R08, R13).
    RevealKeys,
    /// Assign a seat, subscription or technical benefit to an employee (R03).
    AssignBenefits,
    /// Draw advisory or presales hours (R21).
    RequestAssistance,
    /// Go-To-Market tasks: set the marketing contact, activate and cancel offers (R22).
    ManageGoToMarket,
    /// Add users (R05).
    ManageUsers,
    /// Change users' roles: a Global admin any role, anyone else only the roles they hold, never their own (R04).
    ManageRoles,
    /// Read the audit log.
    ViewAuditLog,
}

impl Permission {
    /// Every permission, in table order.
    pub const ALL: [Permission; 10] = [
        Self::ViewBenefits,
        Self::PurchasePackage,
        Self::CancelPurchase,
        Self::RevealKeys,
        Self::AssignBenefits,
        Self::RequestAssistance,
        Self::ManageGoToMarket,
        Self::ManageUsers,
        Self::ManageRoles,
        Self::ViewAuditLog,
    ];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ViewBenefits => "view_benefits",
            Self::PurchasePackage => "purchase_package",
            Self::CancelPurchase => "cancel_purchase",
            Self::RevealKeys => "reveal_keys",
            Self::AssignBenefits => "assign_benefits",
            Self::RequestAssistance => "request_assistance",
            Self::ManageGoToMarket => "manage_go_to_market",
            Self::ManageUsers => "manage_users",
            Self::ManageRoles => "manage_roles",
            Self::ViewAuditLog => "view_audit_log",
        }
    }

    /// The roles that grant this permission, from [`GRANTS`].
    pub fn granted_to(self) -> Vec<Role> {
        GRANTS.iter().filter(|(_, p)| *p == self).map(|(role, _)| *role).collect()
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

use Permission as P;
use Role as R;

/// The whole permission table: each row grants one permission to one role.
/// Anything not listed is denied. Each role's rows say which text they come from.
pub const GRANTS: &[(Role, Permission)] = &[
    // Global admin holds every permission. R03: "you do need to be the global
    // admin to assign benefits to employees".
    (R::GlobalAdmin, P::ViewBenefits),
    (R::GlobalAdmin, P::PurchasePackage),
    (R::GlobalAdmin, P::CancelPurchase),
    (R::GlobalAdmin, P::RevealKeys),
    (R::GlobalAdmin, P::AssignBenefits),
    (R::GlobalAdmin, P::RequestAssistance),
    (R::GlobalAdmin, P::ManageGoToMarket),
    (R::GlobalAdmin, P::ManageUsers),
    (R::GlobalAdmin, P::ManageRoles),
    (R::GlobalAdmin, P::ViewAuditLog),
    // User admin runs account settings, where missing users are added (R05),
    // and may purchase: R02 "you don't have to be a global admin in your
    // organization to purchase benefits".
    (R::UserAdmin, P::ViewBenefits),
    (R::UserAdmin, P::PurchasePackage),
    (R::UserAdmin, P::ManageUsers),
    (R::UserAdmin, P::ManageRoles),
    // Admin agent buys and follows up support on the company's behalf (R02);
    // the program's refund page names the MPN admin, not the agent, so an
    // agent cannot cancel for a refund.
    (R::AdminAgent, P::ViewBenefits),
    (R::AdminAgent, P::PurchasePackage),
    (R::AdminAgent, P::RequestAssistance),
    // MPN partner admin buys (R02), cancels for a refund (the program's
    // refund page) and runs Go-To-Market: R22 "Appropriate roles to perform
    // this task: Global admin, MPN Partner admin".
    (R::MpnPartnerAdmin, P::ViewBenefits),
    (R::MpnPartnerAdmin, P::PurchasePackage),
    (R::MpnPartnerAdmin, P::CancelPurchase),
    (R::MpnPartnerAdmin, P::RequestAssistance),
    (R::MpnPartnerAdmin, P::ManageGoToMarket),
];

/// True when any of `roles` grants `permission`.
pub fn allows(roles: RoleSet, permission: Permission) -> bool {
    GRANTS.iter().any(|(role, p)| *p == permission && roles.contains(*role))
}

/// Refuses with `permission_denied` unless `roles` grant `permission`.
pub fn require(roles: RoleSet, permission: Permission) -> Result<(), Error> {
    if allows(roles, permission) {
        return Ok(());
    }
    let allowed = permission.granted_to().iter().map(|r| r.title()).collect::<Vec<_>>().join(", ");
    Err(Error::PermissionDenied { permission, allowed })
}

/// The table as a Markdown matrix (kept in `docs/permissions.md` by a test).
pub fn render_markdown() -> String {
    let mut out = String::from(
        "# Permissions\n\nGenerated from `core/src/permission.rs` by a test; do not edit by hand.\nDeny by default: a permission no role of the user grants is refused. Users with no role hold no permission.\n\n| permission |",
    );
    for role in Role::ALL {
        out.push_str(&format!(" {} |", role.title()));
    }
    out.push_str("\n| --- |");
    for _ in Role::ALL {
        out.push_str(" :-: |");
    }
    out.push('\n');
    for permission in Permission::ALL {
        out.push_str(&format!("| `{permission}` |"));
        for role in Role::ALL {
            out.push_str(if allows(RoleSet::from(&[role][..]), permission) { " yes |" } else { " — |" });
        }
        out.push('\n');
    }
    out.push_str(crate::role_change::RULE_TEXT);
    out.push_str("\n| role | where its rights come from |\n| --- | --- |\n");
    for role in Role::ALL {
        out.push_str(&format!("| {} | {} |\n", role.title(), role.source()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_matrix_snapshot() {
        insta::assert_snapshot!(render_markdown());
    }

    #[test]
    fn b1_no_role_means_no_permission() {
        for permission in Permission::ALL {
            assert!(!allows(RoleSet::EMPTY, permission));
            assert_eq!(require(RoleSet::EMPTY, permission).unwrap_err().code(), "permission_denied");
        }
    }
}
