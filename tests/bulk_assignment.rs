//! Bulk assignment: `Session::assign_users` judges each row on the state the
//! rows before it leave, commits the rows that succeed together, and its dry
//! run decides the same while committing nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use partner_benefits::{AssignmentResult, Error, MAX_ASSIGNMENT_ROWS, OrganizationId, StreamId, UserId};
use partner_benefits_scenarios::*;

fn rows(results: &[AssignmentResult]) -> Vec<(UserId, bool, Option<&str>)> {
    results.iter().map(|r| (r.user_id, r.ok, r.code.as_deref())).collect()
}

fn events(f: &Fixture) -> usize {
    f.store.read_events(&StreamId::Organization(f.org), 0, usize::MAX).unwrap().len()
}

#[test]
fn each_row_is_judged_after_the_rows_before_it_and_the_good_ones_commit_together() {
    let f = Fixture::new();
    let package = f.action_pack();
    let vs = f.benefit(package, "visual-studio"); // 3 seats
    let admin = f.admin();
    let extra = admin.add_user("Extra", "extra@contoso.com", &[]).unwrap();
    let stranger = UserId::new(OrganizationId::new(99), 1);
    let users = [f.dev, f.dev2, f.dev, stranger, f.agent, extra];

    let results = admin.assign_users(vs.id, &users, false).unwrap();

    assert_eq!(
        rows(&results),
        [
            (f.dev, true, None),
            (f.dev2, true, None),
            (f.dev, false, Some("conflict")),
            (stranger, false, Some("not_found")),
            (f.agent, true, None),
            (extra, false, Some("capacity_exhausted")),
        ]
    );
    assert!(results[5].message.as_deref().unwrap().contains("all 3 seats are assigned"));
    let mut expected = vec![f.dev, f.dev2, f.agent];
    expected.sort();
    assert_eq!(f.benefit(package, "visual-studio").assigned_users, expected);
    // Each row's code is what a single `assign_user` gives on the same state.
    let single = admin.assign_user(vs.id, extra).unwrap_err();
    assert_eq!(single.code(), results[5].code.as_deref().unwrap());
    // One commit: one organization version for all three seats and their mail.
    let log = f.store.read_events(&StreamId::Organization(f.org), 0, usize::MAX).unwrap();
    let seat_events: Vec<_> = log.iter().filter(|e| e.event.kind() == "seat_assigned").collect();
    assert_eq!(seat_events.len(), 3);
}

#[test]
fn a_dry_run_commits_nothing_and_equals_the_real_run() {
    let f = Fixture::new();
    let package = f.action_pack();
    let vs = f.benefit(package, "visual-studio").id;
    let admin = f.admin();
    let users = [f.dev, f.dev2, f.agent, f.mpn_admin, f.dev];
    let before = events(&f);
    let mails = f.center.outbox().unwrap().len();

    let dry = admin.assign_users(vs, &users, true).unwrap();
    assert_eq!(events(&f), before, "a dry run wrote events");
    assert_eq!(f.center.outbox().unwrap().len(), mails, "a dry run queued mail");
    assert!(f.benefit(package, "visual-studio").assigned_users.is_empty());

    let real = admin.assign_users(vs, &users, false).unwrap();
    assert_eq!(dry, real);
    assert_eq!(rows(&real).iter().filter(|r| r.1).count(), 3);
    assert_eq!(f.benefit(package, "visual-studio").assigned_users.len(), 3);
}

#[test]
fn a_dry_run_after_time_passed_commits_nothing_either() {
    let f = Fixture::new();
    let package = f.action_pack();
    let vs = f.benefit(package, "visual-studio").id;
    let hours = f.benefit(package, "advisory-hours").id;
    f.admin().activate_technical(hours, f.dev, "dev.alt@example.com").unwrap();
    // The activation falls due before the dry run: it stays unrecorded by it.
    f.advance(days(5));
    let before = events(&f);
    f.admin().assign_users(vs, &[f.dev], true).unwrap();
    assert_eq!(events(&f), before);
    // And the center still shows what fell due (its cache was not left ahead of the store).
    assert_eq!(f.benefit(package, "advisory-hours").status, partner_benefits::Status::Active);
    assert_eq!(picture(&f.admin()), picture(&f.reloaded().session(f.org, f.admin)));
}

#[test]
fn r03_bulk_assignment_needs_global_admin() {
    let f = Fixture::new();
    let package = f.action_pack();
    let vs = f.benefit(package, "visual-studio").id;
    for actor in [f.user_admin, f.agent, f.mpn_admin, f.dev] {
        let err = f.as_user(actor).assign_users(vs, &[f.dev], false).unwrap_err();
        assert_eq!(err.code(), "permission_denied", "{actor}");
        let err = f.as_user(actor).assign_users(vs, &[f.dev], true).unwrap_err();
        assert_eq!(err.code(), "permission_denied", "{actor}");
    }
    assert!(f.benefit(package, "visual-studio").assigned_users.is_empty());
}

#[test]
fn too_many_rows_are_refused_whole_and_none_is_an_empty_answer() {
    let f = Fixture::new();
    let package = f.action_pack();
    let vs = f.benefit(package, "visual-studio").id;
    let users = vec![f.dev; MAX_ASSIGNMENT_ROWS + 1];
    match f.admin().assign_users(vs, &users, false) {
        Err(Error::InvalidInput { field, reason }) => {
            assert_eq!(field, "user_ids");
            assert!(reason.contains("10000"), "{reason}");
        }
        other => panic!("expected invalid_input, got {other:?}"),
    }
    assert!(f.benefit(package, "visual-studio").assigned_users.is_empty());
    assert_eq!(f.admin().assign_users(vs, &[], false).unwrap(), []);
    // A benefit without seats gives every row the single call's error.
    let keys = f.benefit(package, "windows-server").id;
    let results = f.admin().assign_users(keys, &[f.dev, f.dev2], false).unwrap();
    assert!(results.iter().all(|r| r.code.as_deref() == Some("invalid_input")));
    // An idempotency key applies to single commands only.
    let keyed = f.admin().with_idempotency_key("bulk-1");
    assert_eq!(keyed.assign_users(vs, &[f.dev], false).unwrap_err().code(), "invalid_input");
}
