//! B1: an admin of organization A who passes organization B's ids gets
//! `not_found`, never B's data, and B stays exactly as it was. The commands
//! are enumerated from the command type: `build` matches on every kind of
//! `Command::KINDS` and `ids_in` on every variant (no wildcard), so a new
//! command fails this file until it is covered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::collections::BTreeSet;

use partner_benefits::{BenefitId, Command, OfferId, OrganizationId, PackageId, PartnerLevel, Phase, RequestId, Role, Session, UserId};
use partner_benefits_scenarios::*;
use rust_decimal::Decimal;

/// The ids a command may name, all from one organization.
#[derive(Debug, Clone, Copy)]
struct Ids {
    user: UserId,
    other_user: UserId,
    holder: UserId,
    package: PackageId,
    software: BenefitId,
    seats: BenefitId,
    technical: BenefitId,
    active_technical: BenefitId,
    request: RequestId,
    offer: OfferId,
    running_offer: OfferId,
}

/// One command of `kind` naming `ids`.
fn build(kind: &str, ids: &Ids) -> Command {
    match kind {
        "add_user" => Command::AddUser { name: "Intruder".into(), email: "intruder@contoso.com".into(), roles: vec![], language: None },
        "set_user_roles" => Command::SetUserRoles { user: ids.user, roles: vec![Role::GlobalAdmin] },
        "remove_user" => Command::RemoveUser { user: ids.holder },
        "purchase_package" => Command::PurchasePackage { template: "action-pack".into() },
        "renew_package" => Command::RenewPackage { package: ids.package },
        "cancel_package" => Command::CancelPackage { package: ids.package },
        "cancel_offer" => Command::CancelOffer { offer: ids.running_offer },
        "get_keys" => Command::GetKeys { benefit: ids.software, language: Some("en".into()), os: Some("x64".into()) },
        "assign_user" => Command::AssignUser { benefit: ids.seats, user: ids.user },
        "unassign_user" => Command::UnassignUser { benefit: ids.seats, user: ids.holder },
        "reassign_user" => Command::ReassignUser { benefit: ids.seats, from: ids.holder, to: ids.user },
        "activate_technical" => {
            Command::ActivateTechnical { benefit: ids.technical, user: ids.user, alternate_email: "alt@example.org".into() }
        }
        "request_assistance" => Command::RequestAssistance {
            benefit: ids.active_technical,
            phase: Phase::Design,
            amount: Decimal::ONE,
            description: "x".into(),
        },
        "withdraw_request" => Command::WithdrawRequest { request: ids.request },
        "set_marketing_contact" => Command::SetMarketingContact {
            user: ids.user,
            email: "m@example.org".into(),
            phone: "+1 425 555 0100".into(),
            language: "en".into(),
        },
        "activate_offer" => Command::ActivateOffer { offer: ids.offer },
        other => panic!("command kind `{other}` is not covered by the isolation test; add it to `build`"),
    }
}

/// The organizations of every id a command names. Exhaustive on purpose.
fn ids_in(command: &Command) -> Vec<OrganizationId> {
    match command {
        Command::AddUser { .. } | Command::PurchasePackage { .. } => vec![],
        Command::SetUserRoles { user, .. } | Command::RemoveUser { user } => vec![user.organization()],
        Command::RenewPackage { package } | Command::CancelPackage { package } => vec![package.organization()],
        Command::CancelOffer { offer } | Command::ActivateOffer { offer } => vec![offer.organization()],
        Command::GetKeys { benefit, .. } | Command::RequestAssistance { benefit, .. } => vec![benefit.organization()],
        Command::AssignUser { benefit, user } | Command::UnassignUser { benefit, user } => {
            vec![benefit.organization(), user.organization()]
        }
        Command::ReassignUser { benefit, from, to } => vec![benefit.organization(), from.organization(), to.organization()],
        Command::ActivateTechnical { benefit, user, .. } => vec![benefit.organization(), user.organization()],
        Command::WithdrawRequest { request } => vec![request.organization()],
        Command::SetMarketingContact { user, .. } => vec![user.organization()],
    }
}

/// Sets up an organization with something behind every kind of id.
fn furnish(f: &Fixture, org: OrganizationId, admin: UserId, users: [UserId; 3]) -> Ids {
    let [user, other_user, holder] = users;
    f.center.program().set_partner_level(org, PartnerLevel::Silver).unwrap();
    let session = f.center.session(org, admin);
    let package = session.purchase_package("silver-core").unwrap();
    let seats = benefit(&session, package, "visual-studio").id;
    session.assign_user(seats, holder).unwrap();
    let active_technical = benefit(&session, package, "advisory-hours").id;
    session.activate_technical(active_technical, holder, "holder.alt@example.com").unwrap();
    let offers = benefit(&session, package, "go-to-market").offers;
    session.set_marketing_contact(holder, "holder.m@example.com", "+1 425 555 0101", "en").unwrap();
    session.activate_offer(offers[0].id).unwrap();
    f.advance(days(3));
    let request = session.request_assistance(active_technical, Phase::Deployment, Decimal::ONE, "deploy").unwrap();
    Ids {
        user,
        other_user,
        holder,
        package,
        software: benefit(&session, package, "windows-server").id,
        seats,
        technical: benefit(&session, package, "presales-deployment").id,
        active_technical,
        request,
        offer: offers[1].id,
        running_offer: offers[0].id,
    }
}

/// Everything B's admin sees, plus B's whole event log.
fn state_of(f: &Fixture, session: &Session) -> String {
    let org = session.organization_id();
    format!("{}\n{:?}", picture(session), f.center.audit_log(org).unwrap())
}

#[test]
fn b1_every_command_with_another_organizations_ids_is_not_found() {
    let f = Fixture::new();
    f.center.program().grant_competency(f.org, "cloud-platform").unwrap();
    let (b_org, b_admin, _, _, _, b_dev, b_dev2) = populate(&f.center, "Fabrikam", "partners@fabrikam.com", "fabrikam.com");
    let b_user3 = f.center.session(b_org, b_admin).add_user("Bea Three", "bea3@fabrikam.com", &[]).unwrap();
    f.center.program().grant_competency(b_org, "cloud-platform").unwrap();
    let a = furnish(&f, f.org, f.admin, [f.dev, f.dev2, f.agent]);
    let b = furnish(&f, b_org, b_admin, [b_dev, b_dev2, b_user3]);
    // Let the technical benefits become active, so only the ids can be the reason for a refusal.
    f.advance(days(3));
    let b_session = f.center.session(b_org, b_admin);
    let before = state_of(&f, &b_session);
    let a_admin = f.admin();

    // Every kind, built with B's ids.
    let commands: Vec<Command> = Command::KINDS.iter().map(|kind| build(kind, &b)).collect();
    let built: BTreeSet<&str> = commands.iter().map(Command::kind).collect();
    assert_eq!(built, Command::KINDS.into_iter().collect::<BTreeSet<_>>(), "one command per kind");
    let mut with_ids = 0;
    for command in &commands {
        let orgs = ids_in(command);
        let result = a_admin.execute(command.clone());
        if orgs.is_empty() {
            // No id to misuse: whatever it does, it does in A.
            continue;
        }
        with_ids += 1;
        assert!(orgs.iter().all(|o| *o == b_org));
        let err = result.expect_err(&format!("{} with B's ids must fail", command.kind()));
        assert_eq!(err.code(), "not_found", "{}: {err}", command.kind());
        let message = err.to_string();
        assert!(!message.contains("fabrikam") && !message.contains("Fabrikam"), "{message}");
    }
    assert_eq!(with_ids, Command::KINDS.len() - 2);

    // Mixed: A's benefit or offer with one of B's users.
    let mixed = [
        Command::AssignUser { benefit: a.seats, user: b.user },
        Command::UnassignUser { benefit: a.seats, user: b.holder },
        Command::ReassignUser { benefit: a.seats, from: a.holder, to: b.user },
        Command::ReassignUser { benefit: a.seats, from: b.holder, to: a.user },
        Command::ActivateTechnical { benefit: a.technical, user: b.user, alternate_email: "alt@example.org".into() },
        Command::SetMarketingContact {
            user: b.user,
            email: "m@example.org".into(),
            phone: "+1 425 555 0100".into(),
            language: "en".into(),
        },
        Command::SetUserRoles { user: b.other_user, roles: vec![] },
    ];
    for command in mixed {
        let err = a_admin.execute(command.clone()).expect_err(command.kind());
        assert_eq!(err.code(), "not_found", "{command:?}: {err}");
    }
    // Batches and idempotent commands too.
    assert_eq!(a_admin.execute_batch(&commands[1..4]).unwrap_err().code(), "not_found");
    let keyed = a_admin.with_idempotency_key("k");
    assert_eq!(keyed.execute(build("get_keys", &b)).unwrap_err().code(), "not_found");

    assert_eq!(state_of(&f, &b_session), before, "B changed");
    // A's own state is intact too: its holder still holds the seat.
    assert_eq!(a_admin.benefit(a.seats).unwrap().assigned_users, vec![a.holder]);
}

#[test]
fn b1_every_query_with_another_organizations_ids_is_not_found() {
    let f = Fixture::new();
    let (b_org, b_admin, _, _, _, b_dev, b_dev2) = populate(&f.center, "Fabrikam", "partners@fabrikam.com", "fabrikam.com");
    let b = furnish(&f, b_org, b_admin, [b_dev, b_dev2, b_dev2]);
    let b_session = f.center.session(b_org, b_admin);
    let before = state_of(&f, &b_session);
    let a = f.admin();
    let not_found = |what: &str, err: partner_benefits::Error| {
        assert_eq!(err.code(), "not_found", "{what}: {err}");
        assert!(!err.to_string().contains("abrikam"), "{what}: {err}");
    };
    not_found("package", a.package(b.package).unwrap_err());
    not_found("benefits", a.benefits(b.package).unwrap_err());
    for benefit in [b.software, b.seats, b.technical, b.active_technical] {
        not_found("benefit", a.benefit(benefit).unwrap_err());
    }
    not_found("offer", a.offer(b.offer).unwrap_err());
    not_found("get keys", a.get_keys(b.software, "en", "x64").unwrap_err());
    // A's admin naming B's organization, or B's user naming A's.
    let wrong_org = f.center.session(b_org, f.admin);
    not_found("packages", wrong_org.packages().unwrap_err());
    not_found("audit log", wrong_org.audit_log().unwrap_err());
    not_found("organization", wrong_org.organization().unwrap_err());
    not_found("purchase", wrong_org.purchase_package("action-pack").unwrap_err());
    let borrowed = f.center.session(f.org, b_admin);
    not_found("users", borrowed.users().unwrap_err());
    not_found("add user", borrowed.add_user("X", "x@contoso.com", &[]).unwrap_err());
    // Lists of A never hold anything of B.
    let everything = picture(&a);
    assert!(!everything.contains("abrikam"));
    assert!(!everything.contains(&format!("ben-{}-", b_org.number())));
    assert_eq!(state_of(&f, &b_session), before);
}
