//! Offboarding: `Session::remove_user` releases everything a user holds and
//! removes them in one commit, within the rules of who may remove whom.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use partner_benefits::{Error, Role, Status, StreamId};
use partner_benefits_scenarios::*;

fn code<T: std::fmt::Debug>(result: Result<T, Error>) -> &'static str {
    match result {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(err) => err.code(),
    }
}

fn events(f: &Fixture) -> u64 {
    f.store.read_events(&StreamId::Organization(f.org), 0, usize::MAX).unwrap().len() as u64
}

#[test]
fn removing_a_user_releases_seats_azure_and_technical_in_one_commit() {
    let f = Fixture::new();
    let package = f.action_pack();
    let vs = f.benefit(package, "visual-studio").id;
    let azure = f.benefit(package, "azure-credit").id;
    let hours = f.benefit(package, "advisory-hours").id;
    let leaver = f.admin().add_user("Lee Leaver", "lee@contoso.com", &[Role::GlobalAdmin]).unwrap();
    let admin = f.admin();
    admin.assign_user(vs, leaver).unwrap();
    admin.assign_user(vs, f.dev).unwrap();
    // R12: an Azure usage-based subscription is its holder's own.
    f.as_user(leaver).assign_user(azure, leaver).unwrap();
    admin.activate_technical(hours, leaver, "lee.alt@example.com").unwrap();
    let before = events(&f);

    admin.remove_user(leaver).unwrap();

    assert_eq!(f.benefit(package, "visual-studio").assigned_users, vec![f.dev]);
    assert!(f.benefit(package, "azure-credit").assigned_users.is_empty());
    let technical = f.benefit(package, "advisory-hours");
    assert_eq!(technical.status, Status::NotActivated);
    assert!(technical.alternate_email.is_none());
    assert!(!admin.users().unwrap().iter().any(|u| u.id == leaver));
    // One seat, one subscription, one activation, the removal and the admins' mail.
    let log = f.store.read_events(&StreamId::Organization(f.org), before, usize::MAX).unwrap();
    let kinds: Vec<&str> = log.iter().map(|e| e.event.kind()).collect();
    assert_eq!(kinds, ["seat_released", "seat_released", "technical_released", "user_removed", "mail_queued"]);
    // The technical benefit can be activated for someone else now.
    admin.activate_technical(hours, f.dev, "dev.alt@example.com").unwrap();
    assert_eq!(f.benefit(package, "advisory-hours").status, Status::Pending);
}

#[test]
fn a_removed_user_cannot_be_assigned_or_act_and_their_id_is_never_reused() {
    let f = Fixture::new();
    let package = f.action_pack();
    let vs = f.benefit(package, "visual-studio").id;
    let admin = f.admin();
    admin.remove_user(f.dev).unwrap();
    assert_eq!(code(admin.assign_user(vs, f.dev)), "not_found");
    assert_eq!(code(admin.remove_user(f.dev)), "not_found");
    // A session acting as them is refused, for commands and queries alike.
    assert_eq!(code(f.as_user(f.dev).users()), "not_found");
    assert_eq!(code(f.as_user(f.dev).purchase_package("action-pack")), "not_found");
    // Their past events stay in the audit log.
    let audit = admin.audit_log().unwrap();
    assert!(audit.iter().any(|e| e.kind == "user_added" && e.details.contains(&f.dev.to_string())));
    // The same person may come back, under a new id.
    let back = admin.add_user("Dev One", "dev1@contoso.com", &[]).unwrap();
    assert_ne!(back, f.dev);
    assert!(back.seq() > f.dev2.seq());
    // A center reading the log from scratch agrees.
    let reloaded = f.reloaded().session(f.org, f.admin);
    assert_eq!(picture(&reloaded), picture(&admin));
}

#[test]
fn r04_the_last_global_admin_cannot_be_removed_not_even_by_themself() {
    let f = Fixture::new();
    let before = events(&f);
    assert_eq!(code(f.admin().remove_user(f.admin)), "precondition_failed");
    assert_eq!(events(&f), before, "a refused removal wrote something");
    // With a second Global admin, either may go, themself included.
    let second = f.admin().add_user("Gale Global", "gale@contoso.com", &[Role::GlobalAdmin]).unwrap();
    f.as_user(second).remove_user(second).unwrap();
    assert_eq!(code(f.admin().remove_user(f.admin)), "precondition_failed");
}

#[test]
fn r04_a_user_admin_removes_only_users_whose_roles_they_hold() {
    let f = Fixture::new();
    let user_admin = f.as_user(f.user_admin);
    assert_eq!(code(user_admin.remove_user(f.admin)), "permission_denied");
    assert_eq!(code(user_admin.remove_user(f.agent)), "permission_denied");
    let other_user_admin = f.admin().add_user("Ursa", "ursa@contoso.com", &[Role::UserAdmin]).unwrap();
    user_admin.remove_user(other_user_admin).unwrap();
    user_admin.remove_user(f.dev).unwrap();
    // Roles without `manage_users` cannot remove anyone.
    for actor in [f.agent, f.mpn_admin, f.dev2] {
        assert_eq!(code(f.as_user(actor).remove_user(f.dev2)), "permission_denied");
    }
    let left: Vec<_> = f.admin().users().unwrap().into_iter().map(|u| u.id).collect();
    assert_eq!(left, [f.admin, f.user_admin, f.agent, f.mpn_admin, f.dev2]);
}

#[test]
fn r25_the_marketing_contact_cannot_be_removed_until_changed() {
    let f = Fixture::new();
    let admin = f.admin();
    admin.set_marketing_contact(f.dev, "marketing@example.com", "+1 425 555 0100", "en").unwrap();
    let before = events(&f);
    assert_eq!(code(admin.remove_user(f.dev)), "precondition_failed");
    assert_eq!(events(&f), before);
    admin.set_marketing_contact(f.dev2, "marketing@example.com", "+1 425 555 0100", "en").unwrap();
    admin.remove_user(f.dev).unwrap();
}

#[test]
fn the_global_admins_get_one_mail_listing_what_was_released() {
    let f = Fixture::new();
    let package = f.action_pack();
    let vs = f.benefit(package, "visual-studio");
    let hours = f.benefit(package, "advisory-hours");
    let admin = f.admin();
    admin.add_user_with_language("Zhang Wei", "zhang@contoso.com", &[Role::GlobalAdmin], Some("zh-CN")).unwrap();
    admin.assign_user(vs.id, f.dev).unwrap();
    admin.activate_technical(hours.id, f.dev, "dev.alt@example.com").unwrap();
    admin.remove_user(f.dev).unwrap();

    let mails: Vec<_> = f.center.outbox().unwrap().into_iter().map(|e| e.mail).filter(|m| m.topic.name() == "user_removed").collect();
    assert_eq!(mails.len(), 2, "one mail per language of the Global admins");
    let english = mails.iter().find(|m| m.language.as_str() == "en").unwrap();
    assert_eq!(english.to.iter().map(|e| e.as_str()).collect::<Vec<_>>(), ["avery@contoso.com"]);
    assert!(english.subject.contains("Dev One"), "{}", english.subject);
    assert!(english.body.contains(&format!("{} ({})", vs.name, vs.id)), "{}", english.body);
    assert!(english.body.contains(&format!("{} ({})", hours.name, hours.id)), "{}", english.body);
    let zh = mails.iter().find(|m| m.language.as_str() == "zh-CN").unwrap();
    assert_eq!(zh.to.iter().map(|e| e.as_str()).collect::<Vec<_>>(), ["zhang@contoso.com"]);
    assert!(zh.subject.contains("已移除"), "{}", zh.subject);
    // Removing someone who held nothing says so.
    admin.remove_user(f.dev2).unwrap();
    let last = f.center.outbox().unwrap().into_iter().map(|e| e.mail).rfind(|m| m.language.as_str() == "en").unwrap();
    assert!(last.body.contains("Released: nothing."), "{}", last.body);
}
