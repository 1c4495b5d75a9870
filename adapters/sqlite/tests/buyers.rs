//! Processes buying from the same key pools of one file (issue 17): each
//! for its own organizations, every purchase succeeds with default settings;
//! racing for the last keys, exactly the stock's worth win and the others
//! get `capacity_exhausted`, never `conflict`; no key goes to two packages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use common::center_at;
use partner_benefits::{Category, LicenseKey, UserId};

const CHILD: &str = "PB_BUYERS_FILE";
const PROCESSES: usize = 4;
const BUYERS_PER_PROCESS: usize = 2;
const PRODUCTS: [(&str, usize); 3] = [("windows-server", 1), ("office-professional-plus", 5), ("microsoft-365-e3", 5)];

/// The child's side: buys `PB_EACH` packages for each of its organizations, then says what it got.
#[test]
fn buyers_child_entry() {
    let Ok(path) = std::env::var(CHILD) else { return };
    let var = |name: &str| std::env::var(name).unwrap();
    let buyers: Vec<UserId> = var("PB_BUYERS").split(',').map(|u| u.parse().unwrap()).collect();
    let each: usize = var("PB_EACH").parse().unwrap();
    let go = PathBuf::from(var("PB_GO"));
    let center = center_at(Path::new(&path), 0);
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !go.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_micros(100));
    }
    for _ in 0..each {
        for buyer in &buyers {
            let outcome = match center.session(buyer.organization(), *buyer).purchase_package("action-pack") {
                Ok(_) => "bought".to_owned(),
                Err(e) => e.code().to_owned(),
            };
            writeln!(out, "result {outcome}").unwrap();
            out.flush().unwrap();
        }
    }
}

/// Runs the buying children on `path`, started together; their outcomes.
fn buy(path: &Path, buyers: &[UserId], each: usize) -> Vec<String> {
    let go = path.with_extension("go");
    let children: Vec<_> = buyers
        .chunks(BUYERS_PER_PROCESS)
        .map(|mine| {
            let list: Vec<String> = mine.iter().map(ToString::to_string).collect();
            let mut child = Process::new(std::env::current_exe().unwrap())
                .args(["buyers_child_entry", "--exact", "--nocapture", "--test-threads=1", "-q"])
                .env(CHILD, path)
                .env("PB_BUYERS", list.join(","))
                .env("PB_EACH", each.to_string())
                .env("PB_GO", &go)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut stdout = BufReader::new(child.stdout.take().unwrap());
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
    for (mut child, stdout) in children {
        for line in stdout.lines() {
            if let Some(outcome) = line.unwrap().strip_prefix("result ") {
                results.push(outcome.to_owned());
            }
        }
        assert!(child.wait().unwrap().success());
    }
    results
}

/// A file with `packages` Action Packs' worth of keys and `PROCESSES × BUYERS_PER_PROCESS` organizations.
fn stocked(path: &Path, packages: usize) -> Vec<UserId> {
    let center = center_at(path, 0);
    for (product, per_package) in PRODUCTS {
        let keys = (0..packages * per_package).map(|i| LicenseKey::new(format!("{product}-{i}")).unwrap()).collect();
        center.program().stock_keys(product, keys).unwrap();
    }
    (0..PROCESSES * BUYERS_PER_PROCESS)
        .map(|i| center.create_organization(&format!("Org {i}"), &format!("p{i}@example.com"), "Admin", &format!("a{i}@example.com")))
        .map(|org| org.unwrap().admin_id)
        .collect()
}

/// Every software key the organizations hold, each once.
fn held_keys(path: &Path, buyers: &[UserId]) -> BTreeSet<String> {
    let center = center_at(path, 0);
    let mut texts = BTreeSet::new();
    for buyer in buyers {
        let session = center.session(buyer.organization(), *buyer);
        for benefit in session.benefits_in(Category::Software).unwrap() {
            for key in session.get_keys(benefit.id, "en", "x64").unwrap().keys {
                assert!(texts.insert(key.reveal().to_owned()), "a key went to two packages");
            }
        }
    }
    texts
}

#[test]
fn b5_processes_buying_for_distinct_organizations_all_succeed_and_never_share_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let each = 3;
    let total = PROCESSES * BUYERS_PER_PROCESS * each;
    let buyers = stocked(&path, total + 2);
    let results = buy(&path, &buyers, each);
    assert_eq!(results.len(), total);
    assert!(results.iter().all(|r| r == "bought"), "{results:?}");
    assert_eq!(held_keys(&path, &buyers).len(), total * 6, "two software benefits of 1 and 5 keys per package");
    let center = center_at(&path, 0);
    for (product, per_package) in PRODUCTS {
        let pool = center.program().key_pool(product).unwrap();
        assert_eq!((pool.allocated, pool.available), ((total * per_package) as u64, (2 * per_package) as u64), "{product}");
    }
}

#[test]
fn b5_processes_racing_for_the_last_keys_win_exactly_the_stock_and_the_rest_get_capacity_exhausted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let stock = 5;
    let buyers = stocked(&path, stock);
    let results = buy(&path, &buyers, 1);
    assert_eq!(results.len(), buyers.len());
    assert_eq!(results.iter().filter(|r| *r == "bought").count(), stock, "{results:?}");
    assert!(results.iter().all(|r| r == "bought" || r == "capacity_exhausted"), "{results:?}");
    assert_eq!(held_keys(&path, &buyers).len(), stock * 6);
    let center = center_at(&path, 0);
    for (product, _) in PRODUCTS {
        assert_eq!(center.program().key_pool(product).unwrap().available, 0, "{product}");
    }
}
