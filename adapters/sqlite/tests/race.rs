//! B5: writers with their own connections (threads, then processes) race
//! for the last Visual Studio seats; exactly as many win as there are seats.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command as Process, Stdio};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use common::{center_at, center_on, setup};
use partner_benefits::event::{Event, KeySlots};
use partner_benefits::{BenefitId, Error, OrganizationId, Store, StreamId, UserId};
use partner_benefits_sqlite::SqliteStore;

const CHILD: &str = "PB_RACE_CHILD";

/// What one attempt came to, as a word.
fn word(result: &Result<(), Error>) -> &'static str {
    match result {
        Ok(()) => "assigned",
        Err(Error::Conflict { .. }) => "conflict",
        Err(Error::CapacityExhausted { .. }) => "capacity_exhausted",
        Err(_) => "other",
    }
}

/// Reopens the file and checks the seats were never handed out twice.
fn check_seats(path: &std::path::Path, org: OrganizationId, admin: UserId, visual_studio: BenefitId, winners: &[UserId]) {
    let store = SqliteStore::open(path).unwrap();
    let events = store.read_events(&StreamId::Organization(org), 0, usize::MAX).unwrap();
    let assigned: Vec<UserId> = events
        .iter()
        .filter_map(|e| match e.event {
            Event::SeatAssigned { benefit, user } if benefit == visual_studio => Some(user),
            _ => None,
        })
        .collect();
    let center = center_on(Arc::new(store), 0);
    let view = center.session(org, admin).benefit(visual_studio).unwrap();
    assert_eq!(assigned.len(), view.seats as usize, "seat events: {assigned:?}");
    let mut holders = view.assigned_users.clone();
    holders.sort();
    let mut expected = winners.to_vec();
    expected.sort();
    assert_eq!(holders, expected, "the stored holders are the winners");
    holders.dedup();
    assert_eq!(holders.len(), view.seats as usize, "a seat was double-allocated");
}

#[test]
fn b5_eight_threads_with_their_own_connections_race_for_the_last_seats() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let s = setup(&center_at(&path, 0), 8);
    let seats = center_at(&path, 0).session(s.org, s.admin).benefit(s.visual_studio).unwrap().seats as usize;
    assert_eq!(seats, 3, "the built-in Action Pack has 3 Visual Studio seats");
    let barrier = Arc::new(Barrier::new(s.users.len()));
    let handles: Vec<_> = s
        .users
        .iter()
        .map(|&user| {
            let (path, barrier) = (path.clone(), Arc::clone(&barrier));
            let (org, admin, vs) = (s.org, s.admin, s.visual_studio);
            thread::spawn(move || {
                // Its own store: its own connection, as another process would have.
                let center = center_at(&path, 0);
                let session = center.session(org, admin).with_retries(20);
                session.organization().unwrap(); // load before the start line
                barrier.wait();
                (user, session.assign_user(vs, user))
            })
        })
        .collect();
    let results: Vec<(UserId, Result<(), Error>)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let winners: Vec<UserId> = results.iter().filter(|(_, r)| r.is_ok()).map(|(u, _)| *u).collect();
    for (_, result) in &results {
        assert!(matches!(word(result), "assigned" | "conflict" | "capacity_exhausted"), "unexpected {result:?}");
    }
    assert_eq!(winners.len(), seats, "{results:?}");
    check_seats(&path, s.org, s.admin, s.visual_studio, &winners);
}

/// Without retries the losers get `conflict` (or capacity), never a second seat.
#[test]
fn b5_threads_without_retries_lose_with_conflict_not_a_double_seat() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let s = setup(&center_at(&path, 0), 8);
    let barrier = Arc::new(Barrier::new(s.users.len()));
    let handles: Vec<_> = s
        .users
        .iter()
        .map(|&user| {
            let (path, barrier) = (path.clone(), Arc::clone(&barrier));
            let (org, admin, vs) = (s.org, s.admin, s.visual_studio);
            thread::spawn(move || {
                let center = center_at(&path, 0);
                let session = center.session(org, admin);
                session.organization().unwrap();
                barrier.wait();
                (user, session.assign_user(vs, user))
            })
        })
        .collect();
    let results: Vec<(UserId, Result<(), Error>)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let winners: Vec<UserId> = results.iter().filter(|(_, r)| r.is_ok()).map(|(u, _)| *u).collect();
    assert!(!winners.is_empty() && winners.len() <= 3, "{results:?}");
    for (_, result) in &results {
        assert!(matches!(word(result), "assigned" | "conflict" | "capacity_exhausted"), "unexpected {result:?}");
    }
    let store = SqliteStore::open(&path).unwrap();
    let center = center_on(Arc::new(store), 0);
    let mut holders = center.session(s.org, s.admin).benefit(s.visual_studio).unwrap().assigned_users;
    holders.sort();
    let mut expected = winners;
    expected.sort();
    assert_eq!(holders, expected);
}

/// The child's side of the two-process race; does nothing unless started below.
#[test]
fn race_child_entry() {
    let Ok(path) = std::env::var(CHILD) else { return };
    let var = |name: &str| std::env::var(name).unwrap();
    let org: OrganizationId = var("PB_ORG").parse().unwrap();
    let admin: UserId = var("PB_ADMIN").parse().unwrap();
    let vs: BenefitId = var("PB_VS").parse().unwrap();
    let users: Vec<UserId> = var("PB_USERS").split(',').map(|u| u.parse().unwrap()).collect();
    let go = std::path::PathBuf::from(var("PB_GO"));
    let center = center_at(std::path::Path::new(&path), 0);
    // Default settings: the racers' conflicts are resolved inside the library.
    let session = center.session(org, admin);
    session.organization().unwrap();
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !go.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_micros(100));
    }
    for user in users {
        let result = session.assign_user(vs, user);
        writeln!(out, "result {user} {}", word(&result)).unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn b5_two_processes_race_for_the_last_seats() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let go = dir.path().join("go");
    let s = setup(&center_at(&path, 0), 8);
    let children: Vec<_> = s
        .users
        .chunks(4)
        .map(|users| {
            let list: Vec<String> = users.iter().map(ToString::to_string).collect();
            let mut child = Process::new(std::env::current_exe().unwrap())
                .args(["race_child_entry", "--exact", "--nocapture", "--test-threads=1", "-q"])
                .env(CHILD, &path)
                .env("PB_ORG", s.org.to_string())
                .env("PB_ADMIN", s.admin.to_string())
                .env("PB_VS", s.visual_studio.to_string())
                .env("PB_USERS", list.join(","))
                .env("PB_GO", &go)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let stdout = BufReader::new(child.stdout.take().unwrap());
            (child, stdout)
        })
        .collect();
    // Wait until both are ready, then start them together.
    let mut readers: Vec<_> = children
        .into_iter()
        .map(|(child, mut stdout)| {
            let mut line = String::new();
            while !line.starts_with("ready") {
                line.clear();
                assert!(stdout.read_line(&mut line).unwrap() > 0, "a child ended before it was ready");
            }
            (child, stdout)
        })
        .collect();
    std::fs::write(&go, b"go").unwrap();
    let mut results = Vec::new();
    for (child, stdout) in &mut readers {
        for line in stdout.lines() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("result ") {
                let (user, outcome) = rest.split_once(' ').unwrap();
                results.push((user.parse::<UserId>().unwrap(), outcome.to_string()));
            }
        }
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(results.len(), 8, "{results:?}");
    for (_, outcome) in &results {
        assert!(matches!(outcome.as_str(), "assigned" | "capacity_exhausted"), "unexpected {outcome}");
    }
    let winners: Vec<UserId> = results.iter().filter(|(_, o)| o == "assigned").map(|(u, _)| *u).collect();
    assert_eq!(winners.len(), 3, "{results:?}");
    check_seats(&path, s.org, s.admin, s.visual_studio, &winners);
}

/// B5 for key pools: organizations buying from one pool through separate
/// connections, with the default retry budget, never get the same key, and
/// the ones the pool cannot serve get `capacity_exhausted`, never `conflict`.
#[test]
fn b5_purchases_on_separate_connections_never_share_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let first = center_at(&path, 0);
    // Enough of every product for exactly 4 Action Packs (1 + 5 + 5 keys each).
    let products = [("windows-server", 1), ("office-professional-plus", 5), ("microsoft-365-e3", 5)];
    for (product, per_package) in products {
        let keys = (0..4 * per_package).map(|i| partner_benefits::LicenseKey::new(format!("{product}-{i}")).unwrap()).collect();
        first.program().stock_keys(product, keys).unwrap();
    }
    let orgs: Vec<_> = (0..6)
        .map(|i| {
            first.create_organization(&format!("Org {i}"), &format!("p{i}@example.com"), "Admin", &format!("a{i}@example.com")).unwrap()
        })
        .collect();
    let barrier = Arc::new(Barrier::new(orgs.len()));
    let handles: Vec<_> = orgs
        .iter()
        .map(|org| {
            let (path, barrier, org, admin) = (path.clone(), Arc::clone(&barrier), org.id, org.admin_id);
            thread::spawn(move || {
                let center = center_at(&path, 0);
                let session = center.session(org, admin);
                session.organization().unwrap();
                barrier.wait();
                session.purchase_package("action-pack")
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let bought = results.iter().filter(|r| r.is_ok()).count();
    for result in &results {
        assert!(matches!(result, Ok(_) | Err(Error::CapacityExhausted { .. })), "{result:?}");
    }
    assert_eq!(bought, 4, "the stock makes 4 packages: {results:?}");
    // Every claimed key, as each organization's purchase names it.
    let store = SqliteStore::open(&path).unwrap();
    let mut slots = std::collections::BTreeSet::new();
    let mut texts = std::collections::BTreeSet::new();
    for org in &orgs {
        for recorded in store.read_events(&StreamId::Organization(org.id), 0, usize::MAX).unwrap() {
            let Event::PackagePurchased { keys, .. } = recorded.event else { continue };
            for allocation in keys {
                let KeySlots::Claimed { product, claim, count } = allocation.slots else { panic!("{allocation:?}") };
                let held = store.claimed_keys(&product, &claim).unwrap();
                assert_eq!(held.len(), count as usize);
                for (slot, key) in held {
                    assert!(slots.insert((product.to_string(), slot)), "{product} slot {slot} went to two packages");
                    assert!(texts.insert(key.reveal().to_owned()), "a key went to two packages");
                }
            }
        }
    }
    assert_eq!(slots.len(), 4 * 11);
    for (product, _) in products {
        assert_eq!(first.program().key_pool(product).unwrap().available, 0, "{product}");
    }
}
