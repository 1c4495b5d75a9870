//! The seed's rules, one test (at least) per rule id of `RULES.md`. Each
//! test's name starts with the id it proves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::str::FromStr;
use std::sync::{Arc, Barrier};

use partner_benefits::lifecycle::delivery::DeliveryState;
use partner_benefits::{BenefitCenter, Category, Command, Error, MailTopic, PartnerLevel, Phase, RefundRefusal, Role, Status, UserId};
use partner_benefits_scenarios::*;
use rust_decimal::Decimal;

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn code<T: std::fmt::Debug>(result: Result<T, Error>) -> &'static str {
    match result {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(err) => err.code(),
    }
}

/// Mails of the outbox with this topic name.
fn mails(f: &Fixture, topic: &str) -> Vec<partner_benefits::Mail> {
    f.center.outbox().unwrap().into_iter().map(|e| e.mail).filter(|m| m.topic.name() == topic).collect()
}

fn silver(f: &Fixture) -> partner_benefits::PackageId {
    f.center.program().set_partner_level(f.org, PartnerLevel::Silver).unwrap();
    f.admin().purchase_package("silver-core").unwrap()
}

// ----- R: the seed -----

#[test]
fn r01_the_four_roles() {
    let titles: Vec<_> = Role::ALL.iter().map(|r| r.title()).collect();
    assert_eq!(titles, ["Global admin", "User admin", "Admin agent", "MPN partner admin"]);
    for role in Role::ALL {
        assert_eq!(Role::from_str(role.as_str()).unwrap(), role);
    }
    assert_eq!(Role::from_str("owner").unwrap_err().code(), "invalid_input");
}

#[test]
fn r02_purchase_does_not_need_global_admin() {
    let f = Fixture::new();
    for buyer in [f.user_admin, f.agent, f.mpn_admin] {
        let package = f.as_user(buyer).purchase_package("action-pack").unwrap();
        assert_eq!(f.admin().package(package).unwrap().status, Status::Active);
    }
    // Deny by default: an employee with no admin role may not buy.
    assert_eq!(code(f.as_user(f.dev).purchase_package("action-pack")), "permission_denied");
    assert_eq!(f.admin().packages().unwrap().len(), 3);
}

#[test]
fn r03_purchase_by_non_global_admin_succeeds_but_their_assignment_is_refused() {
    let f = Fixture::new();
    let package = f.as_user(f.agent).purchase_package("action-pack").unwrap();
    let vs = f.benefit(package, "visual-studio").id;
    let hours = f.benefit(package, "advisory-hours").id;
    for actor in [f.user_admin, f.agent, f.mpn_admin, f.dev] {
        let session = f.as_user(actor);
        assert_eq!(code(session.assign_user(vs, f.dev)), "permission_denied");
        assert_eq!(code(session.activate_technical(hours, f.dev, "dev.alt@example.com")), "permission_denied");
        assert_eq!(code(session.get_keys(f.benefit(package, "windows-server").id, "en", "x64")), "permission_denied");
    }
    assert!(f.benefit(package, "visual-studio").assigned_users.is_empty());
    f.admin().assign_user(vs, f.dev).unwrap();
    assert_eq!(f.benefit(package, "visual-studio").assigned_users, vec![f.dev]);
}

#[test]
fn r04_global_admins_can_be_added_and_never_all_removed() {
    let f = Fixture::new();
    let admin = f.admin();
    // The last Global admin cannot be demoted.
    assert_eq!(code(admin.set_user_roles(f.admin, &[Role::UserAdmin])), "precondition_failed");
    // Only a Global admin makes a Global admin.
    assert_eq!(code(f.as_user(f.user_admin).set_user_roles(f.dev, &[Role::GlobalAdmin])), "permission_denied");
    admin.set_user_roles(f.dev, &[Role::GlobalAdmin]).unwrap();
    // With two, one may step down; then the other is the last again.
    admin.set_user_roles(f.admin, &[Role::UserAdmin]).unwrap();
    let dev = f.as_user(f.dev);
    assert_eq!(code(dev.set_user_roles(f.dev, &[])), "precondition_failed");
    let globals: Vec<_> = dev.users().unwrap().into_iter().filter(|u| u.roles.contains(&Role::GlobalAdmin)).map(|u| u.id).collect();
    assert_eq!(globals, vec![f.dev]);
}

#[test]
fn r05_only_users_of_the_organization_can_be_assigned() {
    let f = Fixture::new();
    let package = f.action_pack();
    let vs = f.benefit(package, "visual-studio").id;
    let stranger = UserId::new(f.org, 99);
    assert_eq!(code(f.admin().assign_user(vs, stranger)), "not_found");
    let added = f.admin().add_user("New Hire", "new.hire@contoso.com", &[]).unwrap();
    f.admin().assign_user(vs, added).unwrap();
    assert!(f.benefit(package, "visual-studio").assigned_users.contains(&added));
}

#[test]
fn r06_a_package_holds_software_cloud_visual_studio_support_and_offers() {
    let f = Fixture::new();
    let package = f.action_pack();
    let categories: Vec<_> = f.admin().benefits(package).unwrap().iter().map(|b| b.category).collect();
    for category in Category::ALL {
        assert!(categories.contains(&category), "{category:?} missing from {categories:?}");
    }
}

#[test]
fn r07_all_benefits_are_listed_in_one_place_by_category() {
    let f = Fixture::new();
    let first = f.action_pack();
    let second = f.action_pack();
    let all = f.admin().all_benefits().unwrap();
    let expected = f.admin().benefits(first).unwrap().len() + f.admin().benefits(second).unwrap().len();
    assert_eq!(all.len(), expected);
    let mut listed = 0;
    for category in Category::ALL {
        let in_category = f.admin().benefits_in(category).unwrap();
        assert!(!in_category.is_empty(), "{category:?}");
        assert!(in_category.iter().all(|b| b.category == category));
        listed += in_category.len();
    }
    assert_eq!(listed, all.len());
    // Details: software shows its languages and OS types; cloud its credit.
    let software = f.benefit(first, "office-professional-plus");
    assert_eq!(software.os_types, ["x64", "x86", "arm64"]);
    assert!(software.languages.contains(&"zh-CN".to_string()));
    assert!(f.benefit(first, "azure-credit").monthly_credit.is_some());
}

#[test]
fn r08_get_keys_reveals_keys_with_special_instructions() {
    let f = Fixture::new();
    let package = f.action_pack();
    let office = f.benefit(package, "office-professional-plus");
    let revealed = f.admin().get_keys(office.id, "en", "x64").unwrap();
    assert_eq!(revealed.keys.len(), office.key_count as usize);
    assert_eq!(revealed.keys.len(), 5);
    assert!(revealed.keys.iter().all(|k| k.reveal().starts_with("SENTINEL-KEY-office-professional-plus-")));
    assert_eq!(revealed.special_instructions, "Install the 64-bit edition unless an add-in needs 32-bit.");
    assert_eq!(f.benefit(package, "office-professional-plus").status, Status::Active);
    // Two packages get different keys.
    let other = f.action_pack();
    let again = f.admin().get_keys(f.benefit(other, "office-professional-plus").id, "en", "x64").unwrap();
    assert!(again.keys.iter().all(|k| !revealed.keys.contains(k)));
}

#[test]
fn r09_language_is_chosen_from_the_offered_languages() {
    let f = Fixture::new();
    let package = f.action_pack();
    let office = f.benefit(package, "office-professional-plus").id;
    let err = f.admin().get_keys(office, "fr", "x64").unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().contains("language"), "{err}");
    // Nothing was activated by the refused call.
    assert_eq!(f.benefit(package, "office-professional-plus").status, Status::NotActivated);
    f.admin().get_keys(office, "ja", "x64").unwrap();
}

#[test]
fn r10_os_type_is_chosen_from_the_offered_os_types() {
    let f = Fixture::new();
    let package = f.action_pack();
    let windows = f.benefit(package, "windows-server").id;
    let err = f.admin().get_keys(windows, "en", "arm64").unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().contains("os"), "{err}");
    f.admin().get_keys(f.benefit(package, "office-professional-plus").id, "en", "arm64").unwrap();
}

#[test]
fn r11_download_links_follow_the_chosen_language_and_os() {
    let f = Fixture::new();
    let package = f.action_pack();
    let revealed = f.admin().get_keys(f.benefit(package, "office-professional-plus").id, "de", "x86").unwrap();
    assert_eq!(revealed.download_links, ["https://downloads.partner.example/office-professional-plus/de/x86"]);
}

#[test]
fn r12_azure_usage_subscription_is_activated_by_assigning_yourself() {
    let f = Fixture::new();
    let package = f.action_pack();
    let azure = f.benefit(package, "azure-credit");
    assert_eq!(azure.status, Status::NotActivated);
    assert_eq!(code(f.admin().assign_user(azure.id, f.dev)), "invalid_input");
    f.admin().assign_user(azure.id, f.admin).unwrap();
    let azure = f.benefit(package, "azure-credit");
    assert_eq!(azure.status, Status::Active);
    assert_eq!(azure.assigned_users, vec![f.admin]);
    assert_eq!(azure.active_at, Some(start()));
}

#[test]
fn r13_license_based_cloud_is_activated_by_getting_its_keys() {
    let f = Fixture::new();
    let package = f.action_pack();
    let m365 = f.benefit(package, "microsoft-365").id;
    assert_eq!(code(f.admin().get_keys(m365, "en", "x64")), "invalid_input");
    let revealed = f.admin().get_license_keys(m365).unwrap();
    assert_eq!(revealed.keys.len(), 5);
    assert!(revealed.special_instructions.contains("Redeem each key once"));
    assert_eq!(f.benefit(package, "microsoft-365").status, Status::Active);
}

#[test]
fn r14_visual_studio_is_activated_by_assigning_a_user() {
    let f = Fixture::new();
    let package = f.action_pack();
    let vs = f.benefit(package, "visual-studio").id;
    f.admin().assign_user(vs, f.dev).unwrap();
    let view = f.benefit(package, "visual-studio");
    assert_eq!(view.assigned_users, vec![f.dev]);
    assert_eq!(view.status, Status::PartlyAssigned);
    let mail = mails(&f, "subscription_assigned");
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to[0].as_str(), "dev1@contoso.com");
}

#[test]
fn r15_one_user_per_subscription_never_beyond_the_allocation() {
    let f = Fixture::new();
    let package = f.action_pack();
    let vs = f.benefit(package, "visual-studio").id;
    let admin = f.admin();
    admin.assign_user(vs, f.dev).unwrap();
    assert_eq!(code(admin.assign_user(vs, f.dev)), "conflict");
    admin.assign_user(vs, f.dev2).unwrap();
    admin.assign_user(vs, f.agent).unwrap();
    assert_eq!(code(admin.assign_user(vs, f.mpn_admin)), "capacity_exhausted");
    let view = f.benefit(package, "visual-studio");
    assert_eq!(view.assigned_users.len(), 3);
    assert_eq!(view.status, Status::Active);
}

#[test]
fn r16_visual_studio_can_be_reassigned_any_time() {
    let f = Fixture::new();
    let package = f.action_pack();
    let vs = f.benefit(package, "visual-studio").id;
    let admin = f.admin();
    for user in [f.dev, f.dev2, f.agent] {
        admin.assign_user(vs, user).unwrap();
    }
    // Full: remove one, then assign another.
    admin.unassign_user(vs, f.agent).unwrap();
    admin.assign_user(vs, f.mpn_admin).unwrap();
    // In one step.
    admin.reassign_user(vs, f.dev, f.user_admin).unwrap();
    let mut holders = f.benefit(package, "visual-studio").assigned_users;
    holders.sort();
    let mut expected = vec![f.dev2, f.mpn_admin, f.user_admin];
    expected.sort();
    assert_eq!(holders, expected);
    // Removing someone who holds nothing is an illegal step.
    assert_eq!(code(admin.unassign_user(vs, f.dev)), "invalid_transition");
    // Reassigning to someone who already holds a seat is a conflict.
    assert_eq!(code(admin.reassign_user(vs, f.dev2, f.mpn_admin)), "conflict");
    f.advance(days(200));
    admin.reassign_user(vs, f.dev2, f.dev).unwrap();
}

#[test]
fn r17_technical_benefits_are_incidents_advisory_hours_and_presales() {
    let f = Fixture::new();
    let package = silver(&f);
    let kinds: Vec<_> = f.admin().benefits_in(Category::Technical).unwrap().into_iter().filter_map(|b| b.technical_kind).collect();
    assert_eq!(kinds, ["support_incidents", "advisory_hours", "presales_deployment"]);
    assert_eq!(f.benefit(package, "support-incidents").allocated, Some(dec("5")));
}

#[test]
fn r18_alternate_email_must_differ_from_company_email() {
    let f = Fixture::new();
    let package = f.action_pack();
    let hours = f.benefit(package, "advisory-hours").id;
    let admin = f.admin();
    for same in [ACCOUNT_EMAIL, "PARTNERS@Contoso.com", "  partners@contoso.com "] {
        let err = admin.activate_technical(hours, f.dev, same).unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{same}");
        assert!(err.to_string().contains("alternate_email"), "{err}");
    }
    assert_eq!(code(admin.activate_technical(hours, f.dev, "not-an-address")), "invalid_input");
    assert_eq!(f.benefit(package, "advisory-hours").status, Status::NotActivated);
    admin.activate_technical(hours, f.dev, "dev.alt@example.com").unwrap();
    assert_eq!(f.benefit(package, "advisory-hours").status, Status::Pending);
}

#[test]
fn r19_instructions_go_to_the_alternate_and_the_account_email() {
    let f = Fixture::new();
    let package = f.action_pack();
    let hours = f.benefit(package, "advisory-hours").id;
    f.admin().activate_technical(hours, f.dev, "dev.alt@example.com").unwrap();
    let pending = mails(&f, "technical_activation_pending");
    assert_eq!(pending.len(), 1);
    let to: Vec<_> = pending[0].to.iter().map(|e| e.as_str()).collect();
    assert!(to.contains(&"dev.alt@example.com") && to.contains(&"dev1@contoso.com"), "{to:?}");
    f.advance(days(3));
    f.center.process_due().unwrap();
    let active = mails(&f, "technical_activated");
    assert_eq!(active.len(), 1);
    let to: Vec<_> = active[0].to.iter().map(|e| e.as_str()).collect();
    assert!(to.contains(&"dev.alt@example.com") && to.contains(&"dev1@contoso.com"), "{to:?}");
}

#[test]
fn r20_technical_activation_pends_for_the_lead_time() {
    let f = Fixture::new();
    let package = f.action_pack();
    let hours = f.benefit(package, "advisory-hours").id;
    f.admin().activate_technical(hours, f.dev, "dev.alt@example.com").unwrap();
    let view = f.benefit(package, "advisory-hours");
    assert_eq!(view.status, Status::Pending);
    assert_eq!(view.active_at, Some(start() + days(3)));
    // B8: one second before the lead time ends it still pends...
    f.clock.set(start() + days(3) - seconds(1));
    assert_eq!(f.benefit(package, "advisory-hours").status, Status::Pending);
    assert!(mails(&f, "technical_activated").is_empty());
    // ...and at exactly the lead time it is active.
    f.clock.set(start() + days(3));
    assert_eq!(f.benefit(package, "advisory-hours").status, Status::Active);
    f.center.process_due().unwrap();
    assert_eq!(mails(&f, "technical_activated").len(), 1);
    // A second catch-up changes nothing.
    assert_eq!(f.center.process_due().unwrap(), 0);
    assert_eq!(mails(&f, "technical_activated").len(), 1);
}

#[test]
fn process_due_in_catches_up_one_organization_alone() {
    let f = Fixture::new();
    let (other, other_admin, ..) = populate(&f.center, "Fabrikam", "partners@fabrikam.com", "fabrikam.com");
    for (org, admin) in [(f.org, f.admin), (other, other_admin)] {
        let session = f.center.session(org, admin);
        let package = session.purchase_package("action-pack").unwrap();
        let hours = benefit(&session, package, "advisory-hours").id;
        let dev = session.users().unwrap().into_iter().find(|u| u.roles.is_empty()).unwrap().id;
        session.activate_technical(hours, dev, "dev.alt@example.com").unwrap();
    }
    f.advance(days(3));
    let first = f.center.process_due_in(f.org).unwrap();
    assert!(first > 0);
    // Only the organization asked for has recorded its steps.
    assert_eq!(f.center.process_due_in(f.org).unwrap(), 0);
    assert_eq!(mails(&f, "technical_activated").iter().filter(|m| m.organization == f.org).count(), 1);
    assert!(mails(&f, "technical_activated").iter().all(|m| m.organization == f.org));
    // The rest of the catch-up is the other organization's, the same number of events.
    assert_eq!(f.center.process_due().unwrap(), first);
    let unknown = f.center.process_due_in(partner_benefits::OrganizationId::new(999)).unwrap_err();
    assert_eq!(unknown.code(), "not_found");
}

#[test]
fn r21_assistance_requests_name_a_phase_and_draw_hours() {
    let f = Fixture::new();
    let package = f.action_pack();
    let hours = f.benefit(package, "advisory-hours").id;
    let admin = f.admin();
    assert_eq!(code(admin.request_assistance(hours, Phase::Design, dec("1"), "design review")), "precondition_failed");
    admin.activate_technical(hours, f.dev, "dev.alt@example.com").unwrap();
    f.advance(days(3));
    let mut requests = Vec::new();
    for phase in Phase::ALL {
        requests.push(admin.request_assistance(hours, phase, dec("1.25"), "help").unwrap());
    }
    let listed = admin.requests().unwrap();
    assert_eq!(listed.iter().map(|r| r.phase).collect::<Vec<_>>(), Phase::ALL);
    assert!(listed.iter().all(|r| r.status == Status::Submitted));
    assert_eq!(f.benefit(package, "advisory-hours").balance, Some(dec("0")));
    let err = admin.request_assistance(hours, Phase::Presales, dec("0.5"), "more").unwrap_err();
    assert_eq!(err.code(), "insufficient_balance");
    admin.withdraw_request(requests[0]).unwrap();
    assert_eq!(f.benefit(package, "advisory-hours").balance, Some(dec("1.25")));
    f.center.program().complete_request(f.org, requests[1]).unwrap();
    assert_eq!(admin.requests().unwrap()[1].status, Status::Completed);
    assert_eq!(Phase::from_str("app_development").unwrap(), Phase::AppDevelopment);
}

#[test]
fn r22_go_to_market_needs_global_admin_or_mpn_partner_admin() {
    let f = Fixture::new();
    let package = f.as_user(f.agent).purchase_package("action-pack").unwrap();
    let offer = f.benefit(package, "go-to-market").offers[0].id;
    for denied in [f.user_admin, f.agent, f.dev] {
        let session = f.as_user(denied);
        assert_eq!(code(session.set_marketing_contact(f.dev, "dev.marketing@example.com", "+1 425 555 0100", "en")), "permission_denied");
        assert_eq!(code(session.activate_offer(offer)), "permission_denied");
    }
    let mpn = f.as_user(f.mpn_admin);
    mpn.set_marketing_contact(f.dev, "dev.marketing@example.com", "+1 425 555 0100", "en").unwrap();
    mpn.activate_offer(offer).unwrap();
    f.admin().set_marketing_contact(f.dev2, "dev2.marketing@example.com", "+1 425 555 0101", "de").unwrap();
}

#[test]
fn r23_offers_depend_on_level_and_competencies() {
    let f = Fixture::new();
    let package = silver(&f);
    let offers = f.benefit(package, "go-to-market").offers;
    let (core, isv) = (&offers[0], &offers[1]);
    assert_eq!(core.status, Status::Available);
    assert_eq!(isv.status, Status::Unavailable);
    assert!(isv.unavailable_reason.as_deref().unwrap().contains("competencies"));
    let admin = f.admin();
    admin.set_marketing_contact(f.dev, "dev.marketing@example.com", "+1 425 555 0100", "en").unwrap();
    assert_eq!(code(admin.activate_offer(isv.id)), "precondition_failed");
    f.center.program().grant_competency(f.org, "cloud-platform").unwrap();
    assert_eq!(admin.offer(isv.id).unwrap().status, Status::Available);
    admin.activate_offer(isv.id).unwrap();
    // A level drop makes an available offer unavailable.
    f.center.program().set_partner_level(f.org, PartnerLevel::ActionPack).unwrap();
    assert_eq!(admin.offer(core.id).unwrap().status, Status::Unavailable);
    assert_eq!(code(admin.activate_offer(core.id)), "precondition_failed");
    // A Member cannot buy Silver core at all.
    assert_eq!(code(admin.purchase_package("silver-core")), "precondition_failed");
}

#[test]
fn r24_gtm_activation_without_marketing_contact_is_refused() {
    let f = Fixture::new();
    let package = f.action_pack();
    let offer = f.benefit(package, "go-to-market").offers[0].id;
    let err = f.admin().activate_offer(offer).unwrap_err();
    assert_eq!(err.code(), "precondition_failed");
    assert!(err.to_string().contains("marketing contact"), "{err}");
    assert_eq!(f.admin().offer(offer).unwrap().status, Status::Available);
    assert!(mails(&f, "offer_activation_pending").is_empty());
    f.admin().set_marketing_contact(f.dev, "dev.marketing@example.com", "+1 425 555 0100", "en").unwrap();
    f.admin().activate_offer(offer).unwrap();
    assert_eq!(f.admin().offer(offer).unwrap().status, Status::Pending);
}

#[test]
fn r25_marketing_contact_is_a_user_with_other_email_phone_and_language() {
    let f = Fixture::new();
    let admin = f.admin();
    assert_eq!(admin.marketing_contact().unwrap(), None);
    assert_eq!(code(admin.set_marketing_contact(UserId::new(f.org, 77), "x@example.com", "+1 425 555 0100", "en")), "not_found");
    assert_eq!(code(admin.set_marketing_contact(f.dev, ACCOUNT_EMAIL, "+1 425 555 0100", "en")), "invalid_input");
    assert_eq!(code(admin.set_marketing_contact(f.dev, "dev.marketing@example.com", "call me", "en")), "invalid_input");
    assert_eq!(code(admin.set_marketing_contact(f.dev, "dev.marketing@example.com", "+1 425 555 0100", "")), "invalid_input");
    // Add...
    admin.set_marketing_contact(f.dev, "dev.marketing@example.com", "+1 425 555 0100", "en").unwrap();
    let contact = admin.marketing_contact().unwrap().unwrap();
    assert_eq!((contact.user_id, contact.email.as_str(), contact.phone.as_str()), (f.dev, "dev.marketing@example.com", "+1 425 555 0100"));
    // ...update...
    admin.set_marketing_contact(f.dev, "dev.marketing@example.com", "+1 425 555 0199", "de").unwrap();
    assert_eq!(admin.marketing_contact().unwrap().unwrap().language.as_str(), "de");
    // ...change.
    admin.set_marketing_contact(f.dev2, "dev2.marketing@example.com", "+44 20 7946 0000", "zh-CN").unwrap();
    assert_eq!(admin.marketing_contact().unwrap().unwrap().user_id, f.dev2);
}

#[test]
fn r26_offer_mail_goes_to_the_marketing_contact() {
    let f = Fixture::new();
    let package = f.action_pack();
    let offer = f.benefit(package, "go-to-market").offers[0].id;
    f.admin().set_marketing_contact(f.dev, "dev.marketing@example.com", "+1 425 555 0100", "en").unwrap();
    f.admin().activate_offer(offer).unwrap();
    f.advance(days(5));
    f.center.process_due().unwrap();
    for topic in ["offer_activation_pending", "offer_activated"] {
        let found = mails(&f, topic);
        assert_eq!(found.len(), 1, "{topic}");
        assert_eq!(found[0].to.iter().map(|e| e.as_str()).collect::<Vec<_>>(), ["dev.marketing@example.com"], "{topic}");
    }
}

#[test]
fn r27_offers_are_listed_under_their_benefit_with_their_type() {
    let f = Fixture::new();
    f.center.program().set_partner_level(f.org, PartnerLevel::Gold).unwrap();
    let silver = f.admin().purchase_package("silver-core").unwrap();
    let gold = f.admin().purchase_package("gold-core").unwrap();
    let gtm = f.benefit(silver, "go-to-market");
    assert_eq!(gtm.offers.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["Silver Core", "ISV Co-sell ready"]);
    assert!(gtm.offers.iter().all(|o| o.benefit_id == gtm.id));
    let names: Vec<_> = f.admin().offers().unwrap().into_iter().map(|o| o.name).collect();
    assert!(names.contains(&"Gold Core".to_string()));
    assert_eq!(f.benefit(gold, "go-to-market").offers[0].name, "Gold Core");
}

#[test]
fn r28_activated_offer_pends_then_is_active_until_it_expires() {
    let f = Fixture::new();
    let package = f.action_pack();
    let offer = f.benefit(package, "go-to-market").offers[0].id;
    let admin = f.admin();
    admin.set_marketing_contact(f.dev, "dev.marketing@example.com", "+1 425 555 0100", "en").unwrap();
    let active_at = admin.activate_offer(offer).unwrap();
    assert_eq!(active_at, start() + days(5));
    f.clock.set(active_at - seconds(1));
    assert_eq!(admin.offer(offer).unwrap().status, Status::Pending);
    f.clock.set(active_at);
    let view = admin.offer(offer).unwrap();
    assert_eq!(view.status, Status::Active);
    let expires_at = active_at + days(365);
    assert_eq!(view.expires_at, Some(expires_at));
    f.center.process_due().unwrap();
    f.clock.set(expires_at - seconds(1));
    assert_eq!(admin.offer(offer).unwrap().status, Status::Active);
    f.center.process_due().unwrap();
    f.clock.set(expires_at);
    assert_eq!(admin.offer(offer).unwrap().status, Status::Expired);
    f.center.process_due().unwrap();
    assert_eq!(admin.offer(offer).unwrap().status, Status::Expired);
}

#[test]
fn r28_offer_pending_active_and_expired_in_one_catch_up() {
    // The clock jumps past activation and expiry at once.
    let f = Fixture::new();
    let package = f.action_pack();
    let offer = f.benefit(package, "go-to-market").offers[0].id;
    f.admin().set_marketing_contact(f.dev, "dev.marketing@example.com", "+1 425 555 0100", "en").unwrap();
    f.admin().activate_offer(offer).unwrap();
    f.advance(days(400));
    assert_eq!(f.admin().offer(offer).unwrap().status, Status::Expired);
    f.center.process_due().unwrap();
    assert_eq!(f.admin().offer(offer).unwrap().status, Status::Expired);
    assert_eq!(picture(&f.admin()), picture(&f.reloaded().session(f.org, f.admin)));
}

#[test]
fn r29_cancellation_at_30_days_minus_a_minute_is_refunded() {
    let f = Fixture::new();
    let package = f.action_pack();
    f.clock.set(start() + days(30) - seconds(60));
    let refund = f.admin().cancel_package(package).unwrap();
    assert_eq!(refund.amount, dec("475.00"));
    assert_eq!(refund.currency.as_str(), "USD");
    assert_eq!(f.admin().package(package).unwrap().status, Status::Cancelled);
}

#[test]
fn r29_cancellation_at_30_days_plus_a_minute_is_refused() {
    let f = Fixture::new();
    let package = f.action_pack();
    f.clock.set(start() + days(30) + seconds(60));
    let err = f.admin().cancel_package(package).unwrap_err();
    assert_eq!(err, Error::RefundNotAllowed { reason: RefundRefusal::WindowClosed });
    assert_eq!(err.code(), "refund_not_allowed");
    assert_eq!(f.admin().package(package).unwrap().status, Status::Active);
}

#[test]
fn r29_cancellation_after_a_key_reveal_is_refused() {
    let f = Fixture::new();
    let package = f.action_pack();
    f.admin().get_keys(f.benefit(package, "windows-server").id, "en", "x64").unwrap();
    f.advance(seconds(60));
    let err = f.admin().cancel_package(package).unwrap_err();
    assert_eq!(err, Error::RefundNotAllowed { reason: RefundRefusal::SoftwareActivated });
    assert_eq!(f.admin().package(package).unwrap().status, Status::Active);
}

#[test]
fn r29_offer_cancellation_follows_the_same_rule() {
    let f = Fixture::new();
    let package = f.action_pack();
    let offer = f.benefit(package, "go-to-market").offers[0].id;
    f.admin().set_marketing_contact(f.dev, "dev.marketing@example.com", "+1 425 555 0100", "en").unwrap();
    f.admin().activate_offer(offer).unwrap();
    f.advance(days(10));
    f.admin().cancel_offer(offer).unwrap();
    assert_eq!(f.admin().offer(offer).unwrap().status, Status::Cancelled);
    assert_eq!(f.admin().cancel_offer(offer).unwrap_err(), Error::RefundNotAllowed { reason: RefundRefusal::AlreadyCancelled });
    // Another package's offer, late.
    let late = f.action_pack();
    let late_offer = f.benefit(late, "go-to-market").offers[0].id;
    f.admin().activate_offer(late_offer).unwrap();
    f.advance(days(31));
    assert_eq!(f.admin().cancel_offer(late_offer).unwrap_err(), Error::RefundNotAllowed { reason: RefundRefusal::WindowClosed });
    assert_eq!(f.admin().offer(late_offer).unwrap().status, Status::Active);
}

#[test]
fn r29_a_refunded_package_ends_its_benefits() {
    // Granted with a refund, the package is gone: nothing of it activates,
    // goes live or is mailed about afterwards, and its offers are not refunded twice.
    let f = Fixture::new();
    let package = f.action_pack();
    let admin = f.admin();
    admin.set_marketing_contact(f.dev, "dev.marketing@example.com", "+1 425 555 0100", "en").unwrap();
    let offer = f.benefit(package, "go-to-market").offers[0].id;
    admin.activate_offer(offer).unwrap();
    let hours = f.benefit(package, "advisory-hours").id;
    admin.activate_technical(hours, f.dev, "dev.alt@example.com").unwrap();
    admin.cancel_package(package).unwrap();
    f.advance(days(10));
    f.center.process_due().unwrap();
    assert!(mails(&f, "technical_activated").is_empty());
    assert!(mails(&f, "offer_activated").is_empty());
    for benefit in admin.benefits(package).unwrap() {
        assert_eq!(benefit.status, Status::Cancelled, "{}", benefit.code);
        assert!(benefit.offers.iter().all(|o| o.status == Status::Cancelled));
    }
    assert_eq!(admin.offer(offer).unwrap().status, Status::Cancelled);
    assert_eq!(admin.cancel_offer(offer).unwrap_err(), Error::RefundNotAllowed { reason: RefundRefusal::AlreadyCancelled });
    assert_eq!(code(admin.request_assistance(hours, Phase::Design, dec("1"), "x")), "precondition_failed");
    assert_eq!(picture(&admin), picture(&f.reloaded().session(f.org, f.admin)));
}

#[test]
fn r30_cancellation_is_a_recorded_service_request_granted_or_refused() {
    let f = Fixture::new();
    let kept = f.action_pack();
    let refunded = f.action_pack();
    f.admin().get_keys(f.benefit(kept, "windows-server").id, "en", "x64").unwrap();
    assert!(f.admin().cancel_package(kept).is_err());
    // The MPN partner admin may cancel for a refund, the Admin agent may not.
    assert_eq!(code(f.as_user(f.agent).cancel_package(refunded)), "permission_denied");
    f.as_user(f.mpn_admin).cancel_package(refunded).unwrap();
    let requests = f.admin().cancellations().unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].target, kept.to_string());
    assert!(!requests[0].granted);
    assert_eq!(requests[0].refusal.as_deref(), Some("software_activated"));
    assert_eq!(requests[0].requested_by, f.admin);
    assert_eq!(requests[1].target, refunded.to_string());
    assert!(requests[1].granted);
    assert_eq!(requests[1].refund.as_ref().unwrap().amount, dec("475"));
    assert_eq!(requests[1].requested_by, f.mpn_admin);
    // Each answer is mailed to the requester.
    let answered = mails(&f, "cancellation_answered");
    assert_eq!(answered.len(), 2);
    assert!(matches!(&answered[0].topic, MailTopic::CancellationAnswered { granted: false, .. }));
    assert_eq!(answered[1].to[0].as_str(), "mia@contoso.com");
    // A refused request is in the audit log too.
    let kinds: Vec<_> = f.center.audit_log(f.org).unwrap().into_iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&"cancellation_refused".to_string()) && kinds.contains(&"cancellation_granted".to_string()));
    // The permission to cancel is checked first.
    assert_eq!(code(f.as_user(f.user_admin).cancel_package(kept)), "permission_denied");
}

#[test]
fn r31_action_pack_can_be_purchased_and_renewed() {
    let f = Fixture::new();
    let package = f.action_pack();
    let view = f.admin().package(package).unwrap();
    assert_eq!(view.name, "Microsoft Action Pack");
    assert_eq!(view.expires_at, start() + chrono::Months::new(12));
    f.clock.set(view.expires_at - days(10));
    let renewed = f.admin().renew_package(package).unwrap();
    assert_eq!(renewed, view.expires_at + chrono::Months::new(12));
    assert_eq!(f.admin().package(package).unwrap().expires_at, renewed);
}

// ----- P: the program around the seed -----

#[test]
fn p1_a_key_reveal_closes_the_refund() {
    let f = Fixture::new();
    let package = f.action_pack();
    assert!(!f.admin().package(package).unwrap().software_activated);
    // A license-based cloud key counts as software too.
    f.admin().get_license_keys(f.benefit(package, "microsoft-365").id).unwrap();
    let view = f.admin().package(package).unwrap();
    assert!(view.software_activated);
    assert_eq!(f.admin().cancel_package(package).unwrap_err(), Error::RefundNotAllowed { reason: RefundRefusal::SoftwareActivated });
}

#[test]
fn p2_renewal_only_inside_the_window_and_the_new_term_starts_at_the_old_end() {
    let f = Fixture::new();
    let package = f.action_pack();
    let expires = f.admin().package(package).unwrap().expires_at;
    let opens = expires - days(90);
    f.clock.set(opens - seconds(1));
    assert_eq!(code(f.admin().renew_package(package)), "precondition_failed");
    f.clock.set(opens);
    let renewed = f.admin().renew_package(package).unwrap();
    // Renewed 90 days early, the new term still starts at the old end.
    assert_eq!(renewed, expires + chrono::Months::new(12));
    assert_ne!(renewed, opens + chrono::Months::new(12));
}

#[test]
fn p2_renewal_in_the_grace_period_after_expiry() {
    let f = Fixture::new();
    let package = f.action_pack();
    let other = f.action_pack();
    let expires = f.admin().package(package).unwrap().expires_at;
    f.clock.set(expires);
    assert_eq!(f.admin().package(package).unwrap().status, Status::Expired);
    f.clock.set(expires + days(30));
    let renewed = f.admin().renew_package(package).unwrap();
    assert_eq!(renewed, expires + chrono::Months::new(12));
    assert_eq!(f.admin().package(package).unwrap().status, Status::Active);
    f.clock.set(expires + days(30) + seconds(1));
    assert_eq!(code(f.admin().renew_package(other)), "precondition_failed");
    assert_eq!(f.admin().package(other).unwrap().status, Status::Expired);
}

#[test]
fn p3_expiry_reminders_are_mailed_once_each() {
    let f = Fixture::new();
    let package = f.action_pack();
    f.admin().set_user_roles(f.dev, &[Role::GlobalAdmin]).unwrap();
    let expires = f.admin().package(package).unwrap().expires_at;
    let reminders = |f: &Fixture| mails(f, "package_expiring");
    f.clock.set(expires - days(30) - seconds(1));
    f.center.process_due().unwrap();
    assert!(reminders(&f).is_empty());
    f.clock.set(expires - days(30));
    f.center.process_due().unwrap();
    // One per Global admin.
    assert_eq!(reminders(&f).len(), 2);
    f.center.process_due().unwrap();
    f.admin().packages().unwrap();
    f.advance(days(1));
    f.center.process_due().unwrap();
    assert_eq!(reminders(&f).len(), 2);
    // Sent once, never again.
    f.center.dispatch_mail().unwrap();
    f.center.dispatch_mail().unwrap();
    assert_eq!(f.mailer.sent().iter().filter(|m| m.topic.name() == "package_expiring").count(), 2);
    // Jumping past two reminders at once sends each.
    f.clock.set(expires - days(1));
    f.center.process_due().unwrap();
    f.center.process_due().unwrap();
    let all = reminders(&f);
    assert_eq!(all.len(), 6);
    let days_before: Vec<u32> = all
        .iter()
        .map(|m| match m.topic {
            MailTopic::PackageExpiring { days_before, .. } => days_before,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(days_before, [30, 30, 7, 7, 1, 1]);
    // They are recorded at the moment they fell due (B8).
    assert_eq!(all[2].created_at, expires - days(7));
}

#[test]
fn p3_offer_expiry_reminders_are_mailed_once_each() {
    let f = Fixture::new();
    let package = f.action_pack();
    let offer = f.benefit(package, "go-to-market").offers[0].id;
    f.admin().set_marketing_contact(f.dev, "dev.marketing@example.com", "+1 425 555 0100", "en").unwrap();
    let active_at = f.admin().activate_offer(offer).unwrap();
    let expires = active_at + days(365);
    f.clock.set(expires - days(7));
    f.center.process_due().unwrap();
    f.center.process_due().unwrap();
    let found = mails(&f, "offer_expiring");
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|m| m.to[0].as_str() == "dev.marketing@example.com"));
}

#[test]
fn p4_a_license_key_runs_a_fixed_term_from_redemption() {
    let f = Fixture::new();
    let package = f.action_pack();
    let m365 = f.benefit(package, "microsoft-365").id;
    f.advance(days(2));
    let redeemed = start() + days(2);
    f.admin().get_license_keys(m365).unwrap();
    let view = f.benefit(package, "microsoft-365");
    assert_eq!(view.active_at, Some(redeemed));
    assert_eq!(view.expires_at, Some(redeemed + chrono::Months::new(12)));
    // A second reveal shows the keys again but does not redeem them again.
    f.advance(days(20));
    f.admin().get_license_keys(m365).unwrap();
    assert_eq!(f.benefit(package, "microsoft-365").expires_at, Some(redeemed + chrono::Months::new(12)));
    f.clock.set(redeemed + chrono::Months::new(12) - seconds(1));
    assert_eq!(f.benefit(package, "microsoft-365").status, Status::Active);
    // The package itself is renewed so the benefit stays visible as usable.
    f.clock.set(redeemed + chrono::Months::new(12));
    assert_eq!(f.benefit(package, "microsoft-365").status, Status::Expired);
}

#[test]
fn p5_allocations_grow_with_the_partner_level() {
    let f = Fixture::new();
    f.center.program().set_partner_level(f.org, PartnerLevel::Gold).unwrap();
    let expected = [("action-pack", 3, "5"), ("silver-core", 5, "20"), ("gold-core", 10, "50")];
    for (template, seats, hours) in expected {
        let package = f.admin().purchase_package(template).unwrap();
        assert_eq!(f.benefit(package, "visual-studio").seats, seats, "{template}");
        assert_eq!(f.benefit(package, "advisory-hours").allocated, Some(dec(hours)), "{template}");
    }
}

#[test]
fn p6_azure_usage_subscription_carries_a_monthly_credit() {
    let f = Fixture::new();
    let package = f.action_pack();
    let credit = f.benefit(package, "azure-credit").monthly_credit.unwrap();
    assert_eq!(credit.amount, dec("100.00"));
    assert_eq!(credit.currency.as_str(), "USD");
    f.center.program().set_partner_level(f.org, PartnerLevel::Gold).unwrap();
    let gold = f.admin().purchase_package("gold-core").unwrap();
    assert_eq!(f.benefit(gold, "azure-credit").monthly_credit.unwrap().amount, dec("300"));
}

// ----- B: what a trustworthy library adds -----

#[test]
fn b1_deny_by_default_and_no_cross_organization_access() {
    let f = Fixture::new();
    let package = f.action_pack();
    let vs = f.benefit(package, "visual-studio").id;
    let dev = f.as_user(f.dev);
    let commands = [
        Command::AddUser { name: "X".into(), email: "x@contoso.com".into(), roles: vec![], language: None },
        Command::PurchasePackage { template: "action-pack".into() },
        Command::CancelPackage { package },
        Command::AssignUser { benefit: vs, user: f.dev },
        Command::SetMarketingContact { user: f.dev, email: "d@example.com".into(), phone: "+1 425 555 0100".into(), language: "en".into() },
    ];
    for command in commands {
        assert_eq!(code(dev.execute(command)), "permission_denied");
    }
    // Users with no role hold no permission at all, not even to read.
    assert_eq!(code(dev.packages()), "permission_denied");
    assert_eq!(code(dev.audit_log()), "permission_denied");
    // Admin roles read benefits; only Global admin reads the audit log.
    assert!(f.as_user(f.agent).packages().is_ok());
    assert_eq!(code(f.as_user(f.user_admin).audit_log()), "permission_denied");
    // Another organization's admin sees nothing of this one.
    let (other, other_admin, ..) = populate(&f.center, "Fabrikam", "partners@fabrikam.com", "fabrikam.com");
    let outsider = f.center.session(other, other_admin);
    assert_eq!(code(outsider.package(package)), "not_found");
    assert_eq!(code(outsider.assign_user(vs, other_admin)), "not_found");
    // And a session naming this organization with an outsider's id is refused.
    assert_eq!(code(f.center.session(f.org, other_admin).packages()), "not_found");
    assert!(f.benefit(package, "visual-studio").assigned_users.is_empty());
}

#[test]
fn b2_every_change_is_an_audit_event_and_state_is_their_replay() {
    let f = Fixture::new();
    let package = f.action_pack();
    f.admin().assign_user(f.benefit(package, "visual-studio").id, f.dev).unwrap();
    f.admin().get_keys(f.benefit(package, "windows-server").id, "en", "x64").unwrap();
    f.advance(days(31));
    assert!(f.admin().cancel_package(package).is_err());
    let log = f.admin().audit_log().unwrap();
    let kinds: Vec<_> = log.iter().map(|e| e.kind.as_str()).collect();
    for kind in ["organization_created", "user_added", "package_purchased", "seat_assigned", "keys_revealed", "cancellation_refused"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let assigned = log.iter().find(|e| e.kind == "seat_assigned").unwrap();
    assert_eq!(assigned.actor, f.admin.to_string());
    assert_eq!(assigned.at, start());
    assert!(log.windows(2).all(|w| w[1].version == w[0].version + 1));
    // The state is exactly the replay of the events.
    let events = f.store.read_events(&partner_benefits::StreamId::Organization(f.org), 0, usize::MAX).unwrap();
    let replayed = partner_benefits::testing::OrganizationState::replay(f.org, &events).unwrap();
    assert_eq!(replayed.version, log.len() as u64);
    assert_eq!(picture(&f.admin()), picture(&f.reloaded().session(f.org, f.admin)));
}

#[test]
fn b3_keys_never_show_in_debug_or_audit() {
    let f = Fixture::new();
    let package = f.action_pack();
    let revealed = f.admin().get_keys(f.benefit(package, "office-professional-plus").id, "en", "x64").unwrap();
    assert!(revealed.keys[0].reveal().starts_with(SENTINEL));
    assert!(!format!("{revealed:?}").contains(SENTINEL));
    assert!(!format!("{:?}", f.center.audit_log(f.org).unwrap()).contains(SENTINEL));
}

#[test]
fn b4_a_repeated_idempotency_key_returns_the_first_result() {
    let f = Fixture::new();
    let session = f.admin().with_idempotency_key("order-1");
    let first = session.purchase_package("action-pack").unwrap();
    let second = session.purchase_package("action-pack").unwrap();
    assert_eq!(first, second);
    assert_eq!(f.admin().packages().unwrap().len(), 1);
    // The same key with another command is a conflict.
    let err = session.purchase_package("silver-core").unwrap_err();
    assert_eq!(err.code(), "conflict");
    let vs = f.benefit(first, "visual-studio").id;
    assert_eq!(code(session.assign_user(vs, f.dev)), "conflict");
    assert!(f.benefit(first, "visual-studio").assigned_users.is_empty());
    // A refused command keeps no record: the key stays free.
    let assign = f.admin().with_idempotency_key("assign-1");
    assert_eq!(code(assign.assign_user(vs, UserId::new(f.org, 99))), "not_found");
    assign.assign_user(vs, f.dev).unwrap();
    assign.assign_user(vs, f.dev).unwrap();
    assert_eq!(f.benefit(first, "visual-studio").assigned_users, vec![f.dev]);
    // Keys are per organization.
    let (other, other_admin, ..) = populate(&f.center, "Fabrikam", "partners@fabrikam.com", "fabrikam.com");
    let theirs = f.center.session(other, other_admin).with_idempotency_key("order-1").purchase_package("action-pack").unwrap();
    assert_eq!(theirs.organization(), other);
}

#[test]
fn b4_a_repeat_is_still_checked_against_the_acting_users_permission() {
    // B4 with B1/B3: a repeat returns the first result only to someone who
    // may make the command; otherwise it would hand out the license keys.
    let f = Fixture::new();
    let package = f.action_pack();
    let windows = f.benefit(package, "windows-server").id;
    let first = f.admin().with_idempotency_key("reveal-1").get_keys(windows, "en", "x64").unwrap();
    assert_eq!(first.keys.len(), 1);
    for intruder in [f.dev, f.agent, f.mpn_admin, f.user_admin] {
        let err = f.as_user(intruder).with_idempotency_key("reveal-1").get_keys(windows, "en", "x64").unwrap_err();
        assert_eq!(err.code(), "permission_denied", "{intruder}");
    }
    let ghost = f.as_user(UserId::new(f.org, 99)).with_idempotency_key("reveal-1").get_keys(windows, "en", "x64").unwrap_err();
    assert_eq!(ghost.code(), "not_found");
    // The rightful repeat still returns the first result.
    let again = f.admin().with_idempotency_key("reveal-1").get_keys(windows, "en", "x64").unwrap();
    assert_eq!(again, first);
}

#[test]
fn b5_two_writers_never_both_take_the_last_seat() {
    for _ in 0..20 {
        let f = Fixture::new();
        let package = f.action_pack();
        let vs = f.benefit(package, "visual-studio").id;
        f.admin().assign_user(vs, f.agent).unwrap();
        f.admin().assign_user(vs, f.user_admin).unwrap();
        let centers = [f.center.clone(), f.reloaded()];
        let barrier = Arc::new(Barrier::new(2));
        let results: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = centers
                .iter()
                .zip([f.dev, f.dev2])
                .map(|(center, user)| {
                    let barrier = barrier.clone();
                    let (org, admin) = (f.org, f.admin);
                    scope.spawn(move || {
                        barrier.wait();
                        center.session(org, admin).assign_user(vs, user)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let wins = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "{results:?}");
        for result in results.iter().filter_map(|r| r.as_ref().err()) {
            assert!(["conflict", "capacity_exhausted"].contains(&result.code()), "{result}");
        }
        assert_eq!(f.reloaded().session(f.org, f.admin).benefit(vs).unwrap().assigned_users.len(), 3);
    }
}

#[test]
fn b5_eight_threads_on_one_center_take_the_last_seat_once() {
    let f = Fixture::new();
    let package = f.action_pack();
    let vs = f.benefit(package, "visual-studio").id;
    f.admin().assign_user(vs, f.agent).unwrap();
    f.admin().assign_user(vs, f.user_admin).unwrap();
    let users: Vec<UserId> =
        (0..8).map(|i| f.admin().add_user(&format!("Racer {i}"), &format!("racer{i}@contoso.com"), &[]).unwrap()).collect();
    let barrier = Arc::new(Barrier::new(users.len()));
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = users
            .iter()
            .map(|user| {
                let (barrier, session) = (barrier.clone(), f.admin());
                scope.spawn(move || {
                    barrier.wait();
                    session.assign_user(vs, *user)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(results.iter().filter_map(|r| r.as_ref().err()).all(|e| ["conflict", "capacity_exhausted"].contains(&e.code())));
    assert_eq!(f.reloaded().session(f.org, f.admin).benefit(vs).unwrap().assigned_users.len(), 3);
}

#[test]
fn b5_two_writers_never_both_take_the_last_keys() {
    for _ in 0..20 {
        let f = Fixture::unstocked();
        // Exactly one Action Pack's worth of keys.
        for (product, count) in [("windows-server", 1), ("office-professional-plus", 5), ("microsoft-365-e3", 5)] {
            f.center.program().stock_keys(product, sentinel_keys(product, count)).unwrap();
        }
        let (other, other_admin, ..) = populate(&f.center, "Fabrikam", "partners@fabrikam.com", "fabrikam.com");
        let second = BenefitCenter::new(f.store.clone(), f.mailer.clone(), f.clock.clone(), catalog());
        let buyers = [(f.center.clone(), f.org, f.admin), (second, other, other_admin)];
        let barrier = Arc::new(Barrier::new(2));
        let results: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = buyers
                .iter()
                .map(|(center, org, admin)| {
                    let barrier = barrier.clone();
                    scope.spawn(move || {
                        barrier.wait();
                        center.session(*org, *admin).purchase_package("action-pack")
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
        for err in results.iter().filter_map(|r| r.as_ref().err()) {
            assert!(["conflict", "capacity_exhausted"].contains(&err.code()), "{err}");
        }
        let pool = f.reloaded().program().key_pool("office-professional-plus").unwrap();
        assert_eq!((pool.allocated, pool.available), (5, 0));
    }
}

#[test]
fn b6_a_refused_mail_stays_queued_and_is_sent_once_when_accepted() {
    let f = Fixture::new();
    let package = f.action_pack();
    f.admin().assign_user(f.benefit(package, "visual-studio").id, f.dev).unwrap();
    // The change and its mail were committed together.
    assert_eq!(f.center.outbox().unwrap().len(), 1);
    f.mailer.refuse_with("smtp down");
    let report = f.center.dispatch_mail().unwrap();
    assert_eq!((report.sent, report.failed), (0, 1));
    let entry = &f.center.outbox().unwrap()[0];
    let first_retry = f.center.now() + chrono::Duration::minutes(1);
    assert!(
        matches!(&entry.delivery, DeliveryState::Failed { attempts: 1, last_error, retry_at: Some(at) } if last_error.contains("smtp down") && *at == first_retry)
    );
    assert!(f.mailer.sent().is_empty());
    // A refused mail is retried after a pause, not at once.
    assert_eq!(f.center.dispatch_mail().unwrap(), partner_benefits::DispatchReport::default());
    f.advance(chrono::Duration::minutes(1));
    let report = f.center.dispatch_mail().unwrap();
    assert_eq!((report.sent, report.failed), (0, 1));
    f.mailer.accept();
    // The second pause is twice the first.
    f.advance(chrono::Duration::minutes(1));
    assert_eq!(f.center.dispatch_mail().unwrap().sent, 0, "retried before its second, doubled pause");
    f.advance(chrono::Duration::minutes(1));
    let report = f.center.dispatch_mail().unwrap();
    assert_eq!((report.sent, report.failed), (1, 0));
    assert!(matches!(f.center.outbox().unwrap()[0].delivery, DeliveryState::Sent { attempts: 3, .. }));
    // Acknowledged: never sent again, even after the lease runs out.
    f.advance(days(1));
    let report = f.center.dispatch_mail().unwrap();
    assert_eq!((report.sent, report.failed), (0, 0));
    assert_eq!(f.mailer.sent().len(), 1);
    assert_eq!(f.mailer.sent()[0].topic.name(), "subscription_assigned");
}

#[test]
fn b6_mail_refused_as_often_as_allowed_is_parked_counted_and_sent_once_requeued() {
    let retry = partner_benefits::lifecycle::delivery::RetryPolicy {
        base: chrono::Duration::minutes(1),
        cap: chrono::Duration::minutes(3),
        max_attempts: 4,
    };
    let f = Fixture::with_options(partner_benefits::CenterOptions { mail_retry: retry, ..partner_benefits::CenterOptions::default() });
    let package = f.action_pack();
    f.admin().assign_user(f.benefit(package, "visual-studio").id, f.dev).unwrap();
    f.mailer.refuse_with("mailbox unavailable");
    // Pauses of 1, 2, then 3 minutes (the cap), then parked at the fourth refusal.
    let mut pauses = Vec::new();
    for _ in 0..3 {
        let report = f.center.dispatch_mail().unwrap();
        assert_eq!((report.failed, report.parked), (1, 0));
        let retry_at = f.center.outbox().unwrap()[0].delivery.retry_at().unwrap();
        pauses.push((retry_at - f.center.now()).num_minutes());
        f.clock.set(retry_at);
    }
    assert_eq!(pauses, [1, 2, 3]);
    let report = f.center.dispatch_mail().unwrap();
    assert_eq!((report.sent, report.failed, report.parked), (0, 0, 1));
    let entry = f.center.outbox().unwrap().remove(0);
    assert!(matches!(&entry.delivery, DeliveryState::Parked { attempts: 4, last_error, .. } if last_error.contains("mailbox unavailable")));
    let metrics = f.center.metrics().unwrap();
    assert_eq!((metrics.mail_parked, metrics.outbox_parked, metrics.outbox_depth, metrics.mail_failed), (1, 1, 0, 4));
    // Parked: never retried, however long one waits.
    f.mailer.accept();
    f.advance(days(30));
    assert_eq!(f.center.dispatch_mail().unwrap(), partner_benefits::DispatchReport::default());
    assert!(f.mailer.sent().is_empty());
    // Requeued by the operator: sent at the next dispatch, once.
    assert_eq!(f.center.requeue_mail(partner_benefits::MailId::new(f.org, 99)).unwrap_err().code(), "not_found");
    f.center.requeue_mail(entry.mail.id).unwrap();
    assert_eq!(f.center.requeue_mail(entry.mail.id).unwrap_err().code(), "invalid_transition", "only a parked mail is requeued");
    assert_eq!(f.center.dispatch_mail().unwrap().sent, 1);
    assert_eq!(f.mailer.sent().len(), 1);
    assert_eq!(f.center.requeue_mail(entry.mail.id).unwrap_err().code(), "invalid_transition", "a sent mail is not requeued");
    // The same on a reloaded center: the state is in the store.
    assert!(matches!(f.reloaded().outbox().unwrap()[0].delivery, DeliveryState::Sent { attempts: 1, .. }));
}

#[test]
fn b7_a_dry_pool_refuses_and_allocates_nothing() {
    let f = Fixture::unstocked();
    for (product, count) in [("windows-server", 1), ("office-professional-plus", 5), ("microsoft-365-e3", 4)] {
        f.center.program().stock_keys(product, sentinel_keys(product, count)).unwrap();
    }
    let err = f.admin().purchase_package("action-pack").unwrap_err();
    assert_eq!(err.code(), "capacity_exhausted");
    assert!(err.to_string().contains("microsoft-365-e3"), "{err}");
    assert!(f.admin().packages().unwrap().is_empty());
    for product in PRODUCTS {
        assert_eq!(f.center.program().key_pool(product).unwrap().allocated, 0, "{product}");
    }
    // Stocking the missing key makes the purchase possible.
    f.center.program().stock_keys("microsoft-365-e3", sentinel_keys("microsoft-365-e3", 1)).unwrap();
    f.admin().purchase_package("action-pack").unwrap();
    assert_eq!(f.center.program().key_pool("microsoft-365-e3").unwrap().available, 0);
}

#[test]
fn b8_refund_window_is_exact_at_30_days() {
    let f = Fixture::new();
    let on_time = f.action_pack();
    let late = f.action_pack();
    f.clock.set(start() + days(30));
    assert_eq!(f.admin().cancel_package(on_time).unwrap().amount, dec("475"));
    assert_eq!(f.admin().package(on_time).unwrap().refundable_until, start() + days(30));
    f.clock.set(start() + days(30) + seconds(1));
    assert_eq!(f.admin().cancel_package(late).unwrap_err(), Error::RefundNotAllowed { reason: RefundRefusal::WindowClosed });
}

#[test]
fn b8_package_expiry_is_exact_to_the_second_and_in_utc() {
    let f = Fixture::new();
    let package = f.action_pack();
    let expires: partner_benefits::Timestamp = f.admin().package(package).unwrap().expires_at;
    assert_eq!(expires.to_rfc3339(), "2027-03-02T09:00:00+00:00");
    f.clock.set(expires - seconds(1));
    assert_eq!(f.admin().package(package).unwrap().status, Status::Active);
    f.clock.set(expires);
    assert_eq!(f.admin().package(package).unwrap().status, Status::Expired);
    // Benefits of an expired package cannot be used.
    assert_eq!(code(f.admin().assign_user(f.benefit(package, "visual-studio").id, f.dev)), "precondition_failed");
    f.center.process_due().unwrap();
    let expired = f.center.audit_log(f.org).unwrap().into_iter().find(|e| e.kind == "package_expired").unwrap();
    assert_eq!(expired.at, expires);
}

#[test]
fn b2_each_pool_allocation_names_the_package_that_received_the_keys() {
    let f = Fixture::new();
    let purchase = || Command::PurchasePackage { template: "action-pack".into() };
    f.admin().execute_batch(&[purchase(), purchase()]).unwrap();
    // Each keyed benefit's claim, as the audit log records it, names its
    // package; the vault holds exactly its keys under that claim, and no
    // slot is claimed twice.
    let mut slots = std::collections::BTreeSet::new();
    let mut checked = 0;
    for entry in f.center.audit_log(f.org).unwrap().into_iter().filter(|e| e.kind == "package_purchased") {
        let recorded: partner_benefits::event::Event = serde_json::from_str(&entry.details).unwrap();
        let partner_benefits::event::Event::PackagePurchased { package, keys, .. } = recorded else { unreachable!() };
        for allocation in keys {
            let partner_benefits::event::KeySlots::Claimed { product, claim, count } = allocation.slots else {
                panic!("a purchase took slots by number: {allocation:?}")
            };
            assert_eq!(claim.package, package);
            assert_eq!(claim.benefit_index, allocation.benefit_index);
            let held = f.store.claimed_keys(&product, &claim).unwrap();
            assert_eq!(held.len(), count as usize, "{claim}");
            for (slot, _) in held {
                assert!(slots.insert((product.to_string(), slot)), "{product} slot {slot} claimed twice");
            }
            checked += 1;
        }
    }
    // Two purchases, three keyed benefits each (two software, one license-based cloud).
    assert_eq!(checked, 6);
}

#[test]
fn b4_concurrent_calls_with_one_idempotency_key_all_get_the_first_result() {
    // Threads on one center (memory), then two centers on one SQLite file
    // (each with its own connection, as two processes would be).
    for round in 0..20 {
        let f = Fixture::new();
        f.action_pack();
        let barrier = Arc::new(Barrier::new(4));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (session, barrier) = (f.admin().with_idempotency_key("buy-once"), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    session.purchase_package("action-pack")
                })
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let first = results[0].clone().unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert!(results.iter().all(|r| r.as_ref().ok() == Some(&first)), "round {round}: {results:?}");
        assert_eq!(f.admin().packages().unwrap().len(), 2, "round {round}: bought more than once");
    }
}

#[test]
fn b4_two_connections_to_one_sqlite_file_with_one_idempotency_key_get_the_first_result() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    for round in 0..10 {
        let open = || {
            let store: Arc<dyn partner_benefits::Store> = Arc::new(partner_benefits_sqlite::SqliteStore::open(&path).unwrap());
            BenefitCenter::new(
                store,
                Arc::new(partner_benefits::RecordingMailer::new()),
                Arc::new(partner_benefits::ManualClock::new(start())),
                catalog(),
            )
        };
        let setup = open();
        if round == 0 {
            stock_all(&setup, 100);
        }
        let (org, admin, ..) = populate(&setup, &format!("Contoso {round}"), &format!("partners{round}@contoso.com"), "contoso.com");
        let barrier = Arc::new(Barrier::new(2));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (center, barrier) = (open(), barrier.clone());
                std::thread::spawn(move || {
                    let session = center.session(org, admin).with_idempotency_key("buy-once");
                    barrier.wait();
                    session.purchase_package("action-pack")
                })
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let first = results[0].clone().unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(results[1].as_ref().ok(), Some(&first), "round {round}: {results:?}");
        assert_eq!(open().session(org, admin).packages().unwrap().len(), 1, "round {round}");
    }
}
