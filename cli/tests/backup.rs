//! `backup DEST` while another thread writes to the store: the copy opens,
//! and organization by organization it holds what the source held at one
//! moment: the organizations, their users and their usage.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

use common::{Fixture, center, failure, json};
use partner_benefits::{BenefitCenter, OrganizationId, Session, UserView};

/// A session as `org`'s first user (its creator, a Global admin in the fixture).
fn admin_of(center: &BenefitCenter, org: OrganizationId) -> Session {
    center.session(org, partner_benefits::UserId::new(org, 1))
}

/// The number `i` of a user the writer added (`u{i}`).
fn written(user: &UserView) -> Option<usize> {
    user.name.strip_prefix('u').and_then(|n| n.parse().ok())
}

#[test]
fn a_backup_taken_while_another_thread_writes_matches_the_source_organization_by_organization() {
    let f = Fixture::new();
    let orgs = [f.org, f.other];
    let stop = Arc::new(AtomicBool::new(false));
    let committed = Arc::new(AtomicUsize::new(0));
    // Commit i adds the user `u{i}` to one organization after the other.
    let writer = {
        let (path, stop, committed) = (f.path.clone(), stop.clone(), committed.clone());
        thread::spawn(move || {
            let center = center(&path);
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let org = orgs[i % orgs.len()];
                admin_of(&center, org).add_user(&format!("u{i}"), &format!("u{i}@writer.example"), &[]).unwrap();
                i += 1;
                committed.store(i, Ordering::SeqCst);
            }
        })
    };
    while committed.load(Ordering::SeqCst) < 10 {
        thread::yield_now();
    }
    let copy = f.dir.path().join("copy.db");
    let before = committed.load(Ordering::SeqCst);
    let report = json(f.cli().args(["backup", "--json"]).arg(&copy));
    let during = committed.load(Ordering::SeqCst);
    // The writer goes on a little after the backup, then stops.
    while committed.load(Ordering::SeqCst) < during + 10 {
        thread::yield_now();
    }
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    assert!(during > before, "the writer committed while the backup ran ({before} then {during})");
    assert_eq!(report["source"], f.path.display().to_string());
    assert_eq!(report["dest"], copy.display().to_string());
    assert!(report["pages"].as_u64().unwrap() > 0 && report["bytes"].as_u64().unwrap() > 0, "{report}");

    // The copy is a store the command line reads...
    let status = json(common::bare().arg("--db").arg(&copy).args(["status", "--json"]));
    assert_eq!(status["organizations"], 2);
    // ...and holds exactly the first n commits of the writer, n between the
    // commits seen before and after the backup: one moment, for all organizations.
    let (source, copied) = (f.center(), center(&copy));
    let held: Vec<usize> =
        orgs.iter().flat_map(|&org| admin_of(&copied, org).users().unwrap().iter().filter_map(written).collect::<Vec<_>>()).collect();
    let n = held.len();
    assert!(before <= n && n <= during, "the copy holds {n} of the writer's commits, made between {before} and {during}");
    assert_eq!(held.iter().copied().collect::<BTreeSet<_>>(), (0..n).collect::<BTreeSet<_>>(), "a prefix of the commits");
    assert_eq!(copied.program().organizations().unwrap(), source.program().organizations().unwrap());
    for org in orgs {
        let (from, to) = (admin_of(&source, org), admin_of(&copied, org));
        assert_eq!(to.organization().unwrap(), from.organization().unwrap(), "{org}");
        let expected: Vec<UserView> = from.users().unwrap().into_iter().filter(|u| written(u).is_none_or(|i| i < n)).collect();
        assert_eq!(to.users().unwrap(), expected, "{org}: users");
        assert_eq!(to.usage().unwrap(), from.usage().unwrap(), "{org}: usage");
        assert_eq!(to.packages().unwrap(), from.packages().unwrap(), "{org}: packages");
    }
    // A backup never overwrites, and the copy is left as it was.
    let size = std::fs::metadata(&copy).unwrap().len();
    let line = failure(f.cli().arg("backup").arg(&copy), 1, "invalid_input");
    assert!(line.contains("never overwrites"), "{line}");
    assert_eq!(std::fs::metadata(&copy).unwrap().len(), size);
    // The summary for people.
    let second = f.dir.path().join("second.db");
    let out = common::stdout(f.cli().arg("backup").arg(&second));
    assert!(out.starts_with("backed up `") && out.contains("second.db`: ") && out.ends_with(" bytes\n"), "{out}");
}
