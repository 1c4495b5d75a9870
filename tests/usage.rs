//! Usage: `Session::usage` reports seats, holders and the high-water mark of
//! every benefit assigned to users, and the hours of technical benefits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use partner_benefits::{Category, Phase, Usage};
use partner_benefits_scenarios::*;
use rust_decimal::Decimal;

fn row(rows: &[Usage], benefit: partner_benefits::BenefitId) -> &Usage {
    rows.iter().find(|u| u.benefit_id == benefit).unwrap()
}

#[test]
fn usage_counts_seats_now_and_the_most_ever_held() {
    let f = Fixture::new();
    let package = f.action_pack();
    let vs = f.benefit(package, "visual-studio").id;
    let azure = f.benefit(package, "azure-credit").id;
    let admin = f.admin();
    admin.assign_users(vs, &[f.dev, f.dev2, f.agent], false).unwrap();
    admin.unassign_user(vs, f.dev).unwrap();
    admin.unassign_user(vs, f.dev2).unwrap();
    admin.assign_user(vs, f.mpn_admin).unwrap();
    admin.assign_user(azure, f.admin).unwrap();

    let rows = admin.usage().unwrap();
    let seats = row(&rows, vs);
    assert_eq!((seats.category, seats.seats, seats.assigned, seats.peak), (Category::VisualStudio, 3, 2, 3));
    assert_eq!(seats.allocated, None);
    let cloud = row(&rows, azure);
    assert_eq!((cloud.category, cloud.seats, cloud.assigned, cloud.peak), (Category::Cloud, 1, 1, 1));
    // Keys and offers are not assigned to users: no rows.
    let listed: Vec<_> = rows.iter().map(|u| u.category).collect();
    assert!(!listed.contains(&Category::Software) && !listed.contains(&Category::GoToMarket), "{listed:?}");
    // Removing the holder lowers `assigned`, never `peak`.
    admin.remove_user(f.agent).unwrap();
    let after = admin.usage().unwrap();
    assert_eq!((row(&after, vs).assigned, row(&after, vs).peak), (1, 3));
    // The peak is part of the state the log folds to, from scratch or a snapshot.
    let reloaded = f.reloaded().session(f.org, f.admin);
    assert_eq!(reloaded.usage().unwrap(), after);
}

#[test]
fn hours_benefits_report_allocated_used_and_balance() {
    let f = Fixture::new();
    let package = f.action_pack();
    let hours = f.benefit(package, "advisory-hours");
    let admin = f.admin();
    admin.activate_technical(hours.id, f.dev, "dev.alt@example.com").unwrap();
    f.advance(days(5));
    admin.request_assistance(hours.id, Phase::Design, Decimal::new(25, 1), "architecture review").unwrap();
    let rows = admin.usage().unwrap();
    let technical = row(&rows, hours.id);
    let allocated = hours.allocated.unwrap();
    assert_eq!(technical.category, Category::Technical);
    assert_eq!((technical.seats, technical.assigned, technical.peak), (1, 1, 1));
    assert_eq!(technical.allocated, Some(allocated));
    assert_eq!(technical.used, Some(Decimal::new(25, 1)));
    assert_eq!(technical.balance, Some(allocated - Decimal::new(25, 1)));
}
