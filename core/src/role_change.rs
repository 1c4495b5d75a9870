//! Who may grant or take away which role (R04). Holding `manage_roles` lets a
//! user into account settings; this rule then bounds what they may change, so
//! that no one can raise their own privileges: a Global admin may grant and
//! take away any role; anyone else only the roles they hold themselves, and
//! never on their own account. That the last Global admin cannot step down
//! is a rule about the organization's state, kept in the account decisions.

use crate::error::Error;
use crate::ids::UserId;
use crate::permission::{Permission, Role};
use crate::role_set::RoleSet;

/// The rule in words, for the generated permission page.
pub(crate) const RULE_TEXT: &str = "\nRoles: a Global admin may grant and take away any role. Anyone else with `manage_roles` grants or takes away only roles they hold themselves (a User admin: User admin only), and only on other users' accounts: nobody but a Global admin changes their own roles. An organization always keeps at least one Global admin (R04).\n";

/// Refuses with `permission_denied` unless `actor`, holding `actor_roles`,
/// may move `target` (a new user when `None`) from the roles `from` to `to`.
pub(crate) fn authorize(actor: UserId, actor_roles: RoleSet, target: Option<UserId>, from: RoleSet, to: RoleSet) -> Result<(), Error> {
    if actor_roles.contains(Role::GlobalAdmin) {
        return Ok(());
    }
    if target == Some(actor) {
        return Err(denied("Global admin (nobody else changes their own roles)".into()));
    }
    let changed = Role::ALL.into_iter().filter(|role| from.contains(*role) != to.contains(*role));
    if let Some(role) = changed.into_iter().find(|role| !actor_roles.contains(*role)) {
        return Err(denied(format!("Global admin, or a holder of `{role}` (only roles one holds can be granted or taken away)")));
    }
    Ok(())
}

fn denied(allowed: String) -> Error {
    Error::PermissionDenied { permission: Permission::ManageRoles, allowed }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::OrganizationId;

    fn user(seq: u32) -> UserId {
        UserId::new(OrganizationId::new(1), seq)
    }

    /// The rule, with each set of roles written as a list.
    fn authorize(actor: UserId, actor_roles: &[Role], target: Option<UserId>, from: &[Role], to: &[Role]) -> Result<(), Error> {
        super::authorize(actor, actor_roles.into(), target, from.into(), to.into())
    }

    #[test]
    fn r04_a_user_admin_changes_only_user_admin_and_never_its_own_roles() {
        let (me, other) = (user(2), user(3));
        let mine = [Role::UserAdmin];
        assert!(authorize(me, &mine, Some(other), &[], &[Role::UserAdmin]).is_ok());
        assert!(authorize(me, &mine, Some(other), &[Role::UserAdmin], &[]).is_ok());
        assert!(authorize(me, &mine, None, &[], &[]).is_ok());
        for role in [Role::GlobalAdmin, Role::AdminAgent, Role::MpnPartnerAdmin] {
            assert_eq!(authorize(me, &mine, Some(other), &[], &[role]).unwrap_err().code(), "permission_denied");
            assert_eq!(authorize(me, &mine, Some(other), &[role], &[]).unwrap_err().code(), "permission_denied");
            assert_eq!(authorize(me, &mine, None, &[], &[role]).unwrap_err().code(), "permission_denied");
        }
        // Unchanged roles it does not hold are no obstacle.
        assert!(authorize(me, &mine, Some(other), &[Role::AdminAgent], &[Role::AdminAgent, Role::UserAdmin]).is_ok());
        // Not even a no-op on its own account.
        assert_eq!(authorize(me, &mine, Some(me), &mine, &mine).unwrap_err().code(), "permission_denied");
    }

    #[test]
    fn r04_a_global_admin_changes_any_role_of_anyone() {
        let me = user(1);
        for role in Role::ALL {
            assert!(authorize(me, &[Role::GlobalAdmin], Some(me), &[Role::GlobalAdmin], &[Role::GlobalAdmin, role]).is_ok());
            assert!(authorize(me, &[Role::GlobalAdmin], Some(user(2)), &[role], &[]).is_ok());
        }
    }
}
