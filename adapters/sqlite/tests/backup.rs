//! `SqliteStore::backup`: a consistent copy while another connection keeps
//! writing, and the refusals that leave every file as it was.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

use common::{center_at, center_on};
use partner_benefits::{Command, OrganizationId, UserId};
use partner_benefits_sqlite::{BackupProgress, SqliteStore};

const ORGS: usize = 4;

/// The numbers `i` of the users `u{i}` each organization of the store at `path` holds.
fn numbered_users(path: &Path, orgs: &[(OrganizationId, UserId)]) -> Vec<BTreeSet<usize>> {
    let center = center_on(Arc::new(SqliteStore::open(path).unwrap()), 0);
    orgs.iter()
        .map(|&(org, admin)| {
            let users = center.session(org, admin).users().unwrap();
            users.iter().filter_map(|u| u.name.strip_prefix("u").and_then(|n| n.parse().ok())).collect()
        })
        .collect()
}

#[test]
fn a_backup_taken_while_another_connection_writes_holds_a_prefix_of_its_commits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let center = center_at(&path, 0);
    // Enough data that the copy takes many steps (about 1 MiB each).
    let filler = center.create_organization("Filler", "partners@filler.com", "Avery Admin", "avery@filler.com").unwrap();
    for batch in 0..8 {
        let commands: Vec<Command> = (0..1000)
            .map(|i| Command::AddUser {
                name: format!("Filler {batch}-{i} with a long name to fill pages"),
                email: format!("f{batch}-{i}@filler.com"),
                roles: vec![],
                language: None,
            })
            .collect();
        center.session(filler.id, filler.admin_id).execute_batch(&commands).unwrap();
    }
    let orgs: Vec<(OrganizationId, UserId)> = (0..ORGS)
        .map(|k| {
            let org =
                center.create_organization(&format!("Org {k}"), &format!("p@o{k}.com"), "Avery Admin", &format!("a@o{k}.com")).unwrap();
            (org.id, org.admin_id)
        })
        .collect();

    // One writer with its own connection: commit i adds `u{i}` to organization i % ORGS.
    let stop = Arc::new(AtomicBool::new(false));
    let committed = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (path, orgs, stop, committed) = (path.clone(), orgs.clone(), stop.clone(), committed.clone());
        thread::spawn(move || {
            let center = center_at(&path, 0);
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) || i < 20 {
                let (org, admin) = orgs[i % ORGS];
                center.session(org, admin).add_user(&format!("u{i}"), &format!("u{i}@o.com"), &[]).unwrap();
                i += 1;
                committed.store(i, Ordering::SeqCst);
            }
        })
    };
    while committed.load(Ordering::SeqCst) < 5 {
        thread::yield_now();
    }
    let mut overlapped = 0;
    for round in 0..3 {
        let copy = dir.path().join(format!("copy-{round}.db"));
        let before = committed.load(Ordering::SeqCst);
        let mut steps: Vec<BackupProgress> = Vec::new();
        let report = SqliteStore::backup(&path, &copy, |p| steps.push(p)).unwrap();
        let after = committed.load(Ordering::SeqCst);
        assert!(steps.len() > 2, "{} steps", steps.len());
        assert_eq!(steps.last().map(|p| (p.copied, p.total)), Some((report.pages, report.pages)));
        assert!(report.bytes >= report.pages * 512);
        // Every organization holds exactly the users of the first n commits.
        let held = numbered_users(&copy, &orgs);
        let n: usize = held.iter().map(BTreeSet::len).sum();
        assert!(before <= n && n <= after, "the copy holds {n} commits, made between {before} and {after}");
        for (k, users) in held.iter().enumerate() {
            let expected: BTreeSet<usize> = (0..n).filter(|i| i % ORGS == k).collect();
            assert_eq!(users, &expected, "organization {k} of copy {round}");
        }
        if before < after {
            overlapped += 1;
        }
    }
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    assert!(overlapped > 0, "no backup ran while the writer committed");
}

fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

#[test]
fn a_backup_refuses_an_existing_destination_a_missing_directory_and_what_is_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    center_at(&path, 0).create_organization("Contoso", "p@contoso.com", "Avery Admin", "a@contoso.com").unwrap();
    let taken = dir.path().join("taken.db");
    std::fs::write(&taken, "keep me").unwrap();
    let listed = entries(dir.path());

    let err = SqliteStore::backup(&path, &taken, |_| {}).unwrap_err();
    assert_eq!(err.code(), "invalid_input", "{err}");
    assert!(err.to_string().contains("never overwrites"), "{err}");
    assert_eq!(std::fs::read_to_string(&taken).unwrap(), "keep me");

    let err = SqliteStore::backup(&path, dir.path().join("missing/copy.db"), |_| {}).unwrap_err();
    assert_eq!(err.code(), "storage", "{err}");
    assert!(err.to_string().contains("does not exist"), "{err}");

    let err = SqliteStore::backup(dir.path().join("absent.db"), dir.path().join("copy.db"), |_| {}).unwrap_err();
    assert_eq!(err.code(), "not_found", "{err}");

    let err = SqliteStore::backup(&taken, dir.path().join("copy.db"), |_| {}).unwrap_err();
    assert_eq!(err.code(), "storage", "{err}");

    let err = SqliteStore::backup(dir.path(), dir.path().join("copy.db"), |_| {}).unwrap_err();
    assert_eq!(err.code(), "storage", "{err}");
    assert!(err.to_string().contains("is a directory"), "{err}");
    // Nothing was left behind: no copy, no temporary file.
    let mut now = entries(dir.path());
    now.retain(|name| !name.starts_with("benefits.db-"));
    let mut before = listed;
    before.retain(|name| !name.starts_with("benefits.db-"));
    assert_eq!(now, before);
}
