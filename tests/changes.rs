//! The changes feed through the center: every committed event of every
//! stream once, in commit order, paged by position; nothing from a refused
//! command or a dry run; no key ever in a change (B3).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use partner_benefits::{Change, MAX_CHANGES_PAGE};
use partner_benefits_scenarios::*;

fn all(f: &Fixture) -> Vec<Change> {
    f.center.changes(0, MAX_CHANGES_PAGE).unwrap()
}

#[test]
fn the_feed_holds_every_stream_in_commit_order_and_pages_without_a_gap() {
    let f = Fixture::new();
    let before = all(&f);
    // The stocking of the pools and the fixture's organization.
    assert!(before.iter().any(|c| c.stream.starts_with("pool:") && c.organization_id.is_none() && c.kind == "keys_stocked"));
    assert!(before.iter().any(|c| c.organization_id == Some(f.org) && c.kind == "organization_created"));
    let cursor = before.last().unwrap().position;

    let package = f.action_pack();
    let vs = f.benefit(package, "visual-studio").id;
    f.admin().assign_user(vs, f.dev).unwrap();
    let new = f.center.changes(cursor, MAX_CHANGES_PAGE).unwrap();
    let kinds: Vec<&str> = new.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"package_purchased"), "{kinds:?}");
    assert_eq!(kinds[kinds.len() - 2..], ["seat_assigned", "mail_queued"], "the seat, then its mail (B6)");
    // The purchase claimed its keys in the vault (ADR 9): no pool stream moved,
    // so purchases of other organizations never wait on it.
    assert!(!new.iter().any(|c| c.organization_id.is_none() || c.stream.starts_with("pool:")), "{kinds:?}");
    assert!(new.iter().all(|c| c.position > cursor));
    let seat = &new[new.len() - 2];
    assert_eq!((seat.organization_id, seat.actor.clone()), (Some(f.org), f.admin.to_string()));

    // Paging one at a time gives the same, and the organization's part is its audit log.
    let mut paged = Vec::new();
    let mut after = 0;
    while let Some(next) = f.center.changes(after, 1).unwrap().pop() {
        after = next.position;
        paged.push(next);
    }
    let whole = all(&f);
    assert_eq!(paged, whole);
    assert!(whole.windows(2).all(|w| w[0].position < w[1].position));
    let org_part: Vec<(u64, String)> =
        whole.iter().filter(|c| c.organization_id == Some(f.org)).map(|c| (c.version, c.kind.clone())).collect();
    let audit: Vec<(u64, String)> = f.center.audit_log(f.org).unwrap().into_iter().map(|e| (e.version, e.kind)).collect();
    assert_eq!(org_part, audit);
    // A new center over the same store reads the same feed.
    assert_eq!(f.reloaded().changes(0, MAX_CHANGES_PAGE).unwrap(), whole);
}

#[test]
fn refused_commands_repeats_and_dry_runs_add_nothing() {
    let f = Fixture::new();
    let package = f.action_pack();
    let vs = f.benefit(package, "visual-studio").id;
    let before = all(&f);
    assert!(f.as_user(f.dev).assign_user(vs, f.dev).is_err(), "an employee may not assign");
    f.admin().assign_users(vs, &[f.dev, f.dev2], true).unwrap();
    assert_eq!(all(&f), before, "a refusal and a dry run commit nothing");
    let keyed = f.admin().with_idempotency_key("first-seat");
    keyed.assign_user(vs, f.dev).unwrap();
    let once = all(&f);
    assert_eq!(once.len(), before.len() + 2, "the seat and its mail");
    keyed.assign_user(vs, f.dev).unwrap();
    assert_eq!(all(&f), once, "a repeat under its idempotency key adds nothing");
}

#[test]
fn a_page_holds_one_to_ten_thousand_changes() {
    let f = Fixture::new();
    for limit in [0, MAX_CHANGES_PAGE + 1, u32::MAX] {
        let err = f.center.changes(0, limit).unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{limit}");
        assert!(err.to_string().contains("limit"), "{err}");
    }
    assert_eq!(f.center.changes(0, 1).unwrap().len(), 1);
    assert!(f.center.changes(u64::MAX, MAX_CHANGES_PAGE).unwrap().is_empty(), "past the end: nothing, not an error");
}

#[test]
fn b3_no_key_is_ever_in_a_change() {
    let f = Fixture::new();
    let package = f.action_pack();
    let windows = f.benefit(package, "windows-server").id;
    let revealed = f.admin().get_keys(windows, "en", "x64").unwrap();
    assert!(!revealed.keys.is_empty());
    let shown = format!("{:?}", all(&f));
    assert!(!shown.contains(SENTINEL), "a key in the feed");
    for key in &revealed.keys {
        assert!(!shown.contains(key.reveal()));
    }
}
