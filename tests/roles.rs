//! R02, R03, R04, R12, R22, B1: who may run which command, enumerated over
//! every command kind and every role set, against a matrix written here by
//! hand from the seed and the program (not read from core's permission
//! table, so a wrong edit to either one fails this file). Every allowed cell
//! must succeed; every denied cell must be `permission_denied` and change
//! nothing. A command kind without a row fails until its row is written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::collections::BTreeSet;

use partner_benefits::{BenefitId, Command, OfferId, PackageId, PartnerLevel, Phase, RequestId, Role, Session, UserId};
use partner_benefits_scenarios::*;
use rust_decimal::Decimal;

/// The role sets every command is tried with, in the columns' order.
const ROLE_SETS: [&str; 5] = ["no role", "Global admin", "User admin", "Admin agent", "MPN partner admin"];

const Y: bool = true;
const N: bool = false;

/// Who may run what: `[no role, Global admin, User admin, Admin agent, MPN partner admin]`.
/// Written from the seed and the program, not from core's table.
const EXPECTED: &[(&str, [bool; 5])] = &[
    // Account settings: Global admin and User admin (R05, R04).
    ("add_user", [N, Y, Y, N, N]),
    ("set_user_roles", [N, Y, Y, N, N]),
    // Offboarding is account settings too (a User admin removes only users
    // whose roles they hold; here a user with none).
    ("remove_user", [N, Y, Y, N, N]),
    // R02: any admin role may purchase and renew, never a user with no role.
    ("purchase_package", [N, Y, Y, Y, Y]),
    ("renew_package", [N, Y, Y, Y, Y]),
    // The program's refund page: Global admin or MPN partner admin.
    ("cancel_package", [N, Y, N, N, Y]),
    // R22: Go-To-Market tasks, cancelling an offer included.
    ("cancel_offer", [N, Y, N, N, Y]),
    ("set_marketing_contact", [N, Y, N, N, Y]),
    ("activate_offer", [N, Y, N, N, Y]),
    // Revealing keys activates software: Global admin only.
    ("get_keys", [N, Y, N, N, N]),
    // R03, R12: assigning anything to anyone is Global admin only.
    ("assign_user", [N, Y, N, N, N]),
    ("unassign_user", [N, Y, N, N, N]),
    ("reassign_user", [N, Y, N, N, N]),
    ("activate_technical", [N, Y, N, N, N]),
    ("assign_self_to_azure", [N, Y, N, N, N]),
    // R21: assistance requests, by the admins who run the benefits.
    ("request_assistance", [N, Y, N, Y, Y]),
    ("withdraw_request", [N, Y, N, Y, Y]),
];

/// Cases beyond one per command kind: the same kind aimed at another benefit.
const EXTRA_CASES: [&str; 1] = ["assign_self_to_azure"];

/// The ids a case needs, set up by the Global admin so that each command
/// succeeds when its actor is allowed to run it.
struct World {
    f: Fixture,
    package: PackageId,
    software: BenefitId,
    seats: BenefitId,
    azure: BenefitId,
    technical: BenefitId,
    active_technical: BenefitId,
    holder: UserId,
    request: RequestId,
    offer: OfferId,
    running_offer: OfferId,
}

fn world() -> World {
    let f = Fixture::new();
    f.center.program().set_partner_level(f.org, PartnerLevel::Silver).unwrap();
    f.center.program().grant_competency(f.org, "cloud-platform").unwrap();
    let admin = f.admin();
    let holder = admin.add_user("Hana Holder", "hana@contoso.com", &[]).unwrap();
    let package = admin.purchase_package("silver-core").unwrap();
    let seats = benefit(&admin, package, "visual-studio").id;
    admin.assign_user(seats, holder).unwrap();
    let active_technical = benefit(&admin, package, "advisory-hours").id;
    admin.activate_technical(active_technical, holder, "hana.alt@example.com").unwrap();
    let offers = benefit(&admin, package, "go-to-market").offers;
    admin.set_marketing_contact(holder, "hana.m@example.com", "+1 425 555 0101", "en").unwrap();
    admin.activate_offer(offers[0].id).unwrap();
    f.advance(days(3));
    let request = admin.request_assistance(active_technical, Phase::Deployment, Decimal::ONE, "deploy").unwrap();
    World {
        package,
        software: benefit(&admin, package, "windows-server").id,
        seats,
        azure: benefit(&admin, package, "azure-credit").id,
        technical: benefit(&admin, package, "presales-deployment").id,
        active_technical,
        holder,
        request,
        offer: offers[1].id,
        running_offer: offers[0].id,
        f,
    }
}

/// The user of the fixture holding exactly the role set in column `column`.
fn actor(f: &Fixture, column: usize) -> UserId {
    [f.dev, f.admin, f.user_admin, f.agent, f.mpn_admin][column]
}

/// The command of `case`, run by `actor`.
fn build(case: &str, w: &World, actor: UserId) -> Command {
    match case {
        "add_user" => Command::AddUser { name: "New Hire".into(), email: "new.hire@contoso.com".into(), roles: vec![], language: None },
        "set_user_roles" => Command::SetUserRoles { user: w.f.dev2, roles: vec![] },
        "remove_user" => Command::RemoveUser { user: w.f.dev2 },
        "purchase_package" => Command::PurchasePackage { template: "action-pack".into() },
        "renew_package" => Command::RenewPackage { package: w.package },
        "cancel_package" => Command::CancelPackage { package: w.package },
        "cancel_offer" => Command::CancelOffer { offer: w.running_offer },
        "get_keys" => Command::GetKeys { benefit: w.software, language: Some("en".into()), os: Some("x64".into()) },
        "assign_user" => Command::AssignUser { benefit: w.seats, user: w.f.dev2 },
        "unassign_user" => Command::UnassignUser { benefit: w.seats, user: w.holder },
        "reassign_user" => Command::ReassignUser { benefit: w.seats, from: w.holder, to: w.f.dev2 },
        "activate_technical" => {
            Command::ActivateTechnical { benefit: w.technical, user: w.f.dev2, alternate_email: "dev2.alt@example.org".into() }
        }
        "assign_self_to_azure" => Command::AssignUser { benefit: w.azure, user: actor },
        "request_assistance" => Command::RequestAssistance {
            benefit: w.active_technical,
            phase: Phase::Design,
            amount: Decimal::ONE,
            description: "design review".into(),
        },
        "withdraw_request" => Command::WithdrawRequest { request: w.request },
        "set_marketing_contact" => Command::SetMarketingContact {
            user: w.f.dev2,
            email: "dev2.m@example.org".into(),
            phone: "+1 425 555 0100".into(),
            language: "en".into(),
        },
        "activate_offer" => Command::ActivateOffer { offer: w.offer },
        other => panic!("command case `{other}` has no command in the role matrix test; add it to `build`"),
    }
}

/// Everything the organization shows, with its whole audit log.
fn state_of(w: &World) -> String {
    let admin = w.f.admin();
    format!("{}\n{:?}", picture(&admin), admin.audit_log().unwrap())
}

fn expected_row(case: &str) -> [bool; 5] {
    EXPECTED
        .iter()
        .find(|(kind, _)| *kind == case)
        .map(|(_, row)| *row)
        .unwrap_or_else(|| panic!("command kind `{case}` has no row in the expected role matrix; write one from the seed before it ships"))
}

#[test]
fn b1_every_command_kind_for_every_role_set_matches_the_written_matrix() {
    let cases: Vec<&str> = Command::KINDS.iter().copied().chain(EXTRA_CASES).collect();
    let rows: BTreeSet<&str> = EXPECTED.iter().map(|(kind, _)| *kind).collect();
    assert_eq!(rows, cases.iter().copied().collect::<BTreeSet<_>>(), "the matrix has exactly one row per case");
    let mut checked = 0;
    for case in &cases {
        let row = expected_row(case);
        for (column, allowed) in row.into_iter().enumerate() {
            let w = world();
            let who = actor(&w.f, column);
            if *case == "renew_package" {
                // Inside the renewal window, so that only the role decides.
                let expires = w.f.admin().package(w.package).unwrap().expires_at;
                w.f.clock.set(expires - days(10));
            }
            let command = build(case, &w, who);
            assert_eq!(command.kind(), if *case == "assign_self_to_azure" { "assign_user" } else { case });
            let before = state_of(&w);
            let result = w.f.as_user(who).execute(command);
            let role_set = ROLE_SETS[column];
            if allowed {
                assert!(result.is_ok(), "{case} as {role_set} must succeed: {:?}", result.err());
            } else {
                let err = result.expect_err(&format!("{case} as {role_set} must be refused"));
                assert_eq!(err.code(), "permission_denied", "{case} as {role_set}: {err}");
                assert_eq!(state_of(&w), before, "{case} as {role_set} was refused but changed something");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, cases.len() * ROLE_SETS.len());
}

/// Who may grant or take away which role: `(granting role set, roles it may
/// change on another user, roles it may change on itself)`. Written from R04
/// and the rule: a Global admin changes anything; anyone else only
/// roles they hold, never on their own account; the rest cannot manage roles.
const GRANTS_EXPECTED: [(&str, &[Role], &[Role]); 5] = [
    ("no role", &[], &[]),
    ("Global admin", &Role::ALL, &Role::ALL),
    ("User admin", &[Role::UserAdmin], &[]),
    ("Admin agent", &[], &[]),
    ("MPN partner admin", &[], &[]),
];

fn roles_of(session: &Session, user: UserId) -> Vec<Role> {
    session.users().unwrap().into_iter().find(|u| u.id == user).unwrap().roles
}

fn with(roles: &[Role], role: Role) -> Vec<Role> {
    let mut out: Vec<Role> = roles.iter().copied().filter(|r| *r != role).collect();
    out.push(role);
    out.sort();
    out
}

fn without(roles: &[Role], role: Role) -> Vec<Role> {
    roles.iter().copied().filter(|r| *r != role).collect()
}

/// Runs `change` as `who`, checking it against `allowed`; a refused change leaves everything as it was.
fn check_change(
    f: &Fixture,
    who: UserId,
    label: &str,
    allowed: bool,
    change: impl FnOnce(&Session) -> Result<(), partner_benefits::Error>,
) {
    let admin = f.admin();
    let before = format!("{}\n{:?}", picture(&admin), admin.audit_log().unwrap());
    let result = change(&f.as_user(who));
    if allowed {
        assert!(result.is_ok(), "{label} must be allowed: {:?}", result.err());
    } else {
        let err = result.expect_err(&format!("{label} must be refused"));
        assert_eq!(err.code(), "permission_denied", "{label}: {err}");
        assert_eq!(format!("{}\n{:?}", picture(&admin), admin.audit_log().unwrap()), before, "{label} changed something");
    }
}

#[test]
fn r04_each_granting_role_grants_and_takes_away_only_what_it_may_on_others_and_itself() {
    let mut checked = 0;
    for (column, (granter, on_others, on_self)) in GRANTS_EXPECTED.into_iter().enumerate() {
        assert_eq!(granter, ROLE_SETS[column]);
        for role in Role::ALL {
            for grant in [true, false] {
                let verb = if grant { "grants" } else { "takes away" };
                // Another user: starts without the role to grant it, with it to take it away.
                let f = Fixture::new();
                // A second Global admin, so taking Global admin away is never refused for being the last (R04).
                f.admin().add_user("Gale Second", "gale@contoso.com", &[Role::GlobalAdmin]).unwrap();
                let who = actor(&f, column);
                let target = f.dev2;
                let start = if grant { vec![] } else { vec![role] };
                f.admin().set_user_roles(target, &start).unwrap();
                let to = if grant { with(&start, role) } else { without(&start, role) };
                let label = format!("{granter} {verb} {role} on another user");
                check_change(&f, who, &label, on_others.contains(&role), |s| s.set_user_roles(target, &to));
                if on_others.contains(&role) {
                    assert_eq!(roles_of(&f.admin(), target), to, "{label}");
                }
                checked += 1;

                // Itself: only a real change counts (granting a held role changes nothing).
                let mine = roles_of(&f.admin(), who);
                let to = if grant { with(&mine, role) } else { without(&mine, role) };
                if to != mine {
                    let label = format!("{granter} {verb} {role} on itself");
                    check_change(&f, who, &label, on_self.contains(&role), |s| s.set_user_roles(who, &to));
                    checked += 1;
                }
            }
            // Adding a user with the role follows the rule for other users.
            let f = Fixture::new();
            let who = actor(&f, column);
            let label = format!("{granter} adds a user with {role}");
            check_change(&f, who, &label, on_others.contains(&role), |s| s.add_user("Nia New", "nia@contoso.com", &[role]).map(drop));
            checked += 1;
        }
    }
    // 5 granters x 4 roles x (grant + take away on another user + add a user), plus the real changes on themselves.
    assert!(checked >= 5 * 4 * 3, "{checked}");
}

#[test]
fn r04_nobody_but_a_global_admin_changes_their_own_roles_even_to_the_same() {
    let f = Fixture::new();
    let own = roles_of(&f.admin(), f.user_admin);
    check_change(&f, f.user_admin, "a User admin re-setting its own roles", false, |s| s.set_user_roles(f.user_admin, &own));
    check_change(&f, f.user_admin, "a User admin dropping its own role", false, |s| s.set_user_roles(f.user_admin, &[]));
    // A Global admin may, as long as one stays (R04).
    f.admin().add_user("Gale Second", "gale@contoso.com", &[Role::GlobalAdmin]).unwrap();
    check_change(&f, f.admin, "a Global admin stepping down while another stays", true, |s| s.set_user_roles(f.admin, &[Role::UserAdmin]));
}

#[test]
fn r04_a_user_admin_cannot_escalate_to_a_refund() {
    // The 0.1.0 hole: a User admin granted itself MPN partner admin, then cancelled for a refund.
    let f = Fixture::new();
    let package = f.action_pack();
    let user_admin = f.as_user(f.user_admin);
    assert_eq!(user_admin.set_user_roles(f.user_admin, &[Role::UserAdmin, Role::MpnPartnerAdmin]).unwrap_err().code(), "permission_denied");
    assert_eq!(user_admin.set_user_roles(f.dev, &[Role::MpnPartnerAdmin]).unwrap_err().code(), "permission_denied");
    assert_eq!(user_admin.set_user_roles(f.dev, &[Role::AdminAgent]).unwrap_err().code(), "permission_denied");
    assert_eq!(user_admin.cancel_package(package).unwrap_err().code(), "permission_denied");
    assert_eq!(roles_of(&f.admin(), f.user_admin), vec![Role::UserAdmin]);
    assert_eq!(roles_of(&f.admin(), f.dev), Vec::<Role>::new());
}
