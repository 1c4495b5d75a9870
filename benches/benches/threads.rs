//! Threads of one process on distinct organizations: does a second thread
//! add work, or wait on the first? One center in memory (the store a test
//! or an embedded host uses), one organization per thread; each thread runs
//! the same fixed number of calls, all threads started together. Writes:
//! `add_user` (a fresh organization every 500 users keeps states the same
//! size); reads: `users()` of an organization of 50 users. Reported: calls
//! per second over all threads, and the ratio of 2 threads to 1 (2 cores
//! here: 2.0 is the ceiling). Nothing is asserted.
//!
//! `cargo bench -p partner-benefits-benches --bench threads`;
//! `BENCH_QUICK=1` runs a tenth of the calls; `THREADS_ONLY=add_user` or
//! `THREADS_ONLY=users` one kind only.
// A benchmark aborts on any failure; that is what unwrap says here.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use partner_benefits::{BenefitCenter, Catalog, ManualClock, MemoryStore, RecordingMailer, Session};

const USERS_READ: usize = 50;
const USERS_PER_ORGANIZATION: usize = 500;

fn center() -> BenefitCenter {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().unwrap()));
    BenefitCenter::new(Arc::new(MemoryStore::new()), Arc::new(RecordingMailer::new()), clock, Catalog::builtin().unwrap())
}

fn organization(center: &BenefitCenter, tag: &str) -> Session {
    let org = center.create_organization(&format!("Org {tag}"), &format!("p@{tag}.example"), "Admin", &format!("a@{tag}.example")).unwrap();
    center.session(org.id, org.admin_id)
}

#[derive(Clone, Copy)]
enum Work {
    Writes,
    Reads,
}

/// Calls per second of `threads` threads doing `calls` calls each.
fn run(work: Work, threads: usize, calls: usize) -> f64 {
    let center = center();
    let barrier = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (center, barrier) = (center.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let mut session = organization(&center, &format!("t{t}"));
                if let Work::Reads = work {
                    for u in 0..USERS_READ {
                        session.add_user(&format!("User {u}"), &format!("u{u}@t{t}.example"), &[]).unwrap();
                    }
                    session.users().unwrap();
                }
                barrier.wait();
                let started = Instant::now();
                for i in 0..calls {
                    match work {
                        Work::Writes => {
                            if i > 0 && i % USERS_PER_ORGANIZATION == 0 {
                                session = organization(&center, &format!("t{t}-{i}"));
                            }
                            black_box(session.add_user(&format!("User {i}"), &format!("u{i}@t{t}.example"), &[]).unwrap());
                        }
                        Work::Reads => {
                            black_box(session.users().unwrap());
                        }
                    }
                }
                started.elapsed()
            })
        })
        .collect();
    barrier.wait();
    let started = Instant::now();
    let _each: Vec<Duration> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    (threads * calls) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some() || std::env::args().any(|a| a == "--quick");
    let scale = if quick { 10 } else { 1 };
    println!("| calls | threads | calls/s | vs 1 thread |");
    println!("| --- | ---: | ---: | ---: |");
    // `THREADS_ONLY=add_user` (or `users`) runs one kind, to profile it alone.
    let only = std::env::var("THREADS_ONLY").unwrap_or_default();
    for (work, name, calls) in [(Work::Writes, "add_user", 200_000 / scale), (Work::Reads, "users() of 50", 400_000 / scale)] {
        if !name.starts_with(only.as_str()) {
            continue;
        }
        // The best of three runs each: the machine's noise only slows a run down.
        let best = |threads| (0..3).map(|_| run(work, threads, calls)).fold(0.0, f64::max);
        let one = best(1);
        let two = best(2);
        println!("| {name} | 1 | {one:.0} | 1.00 |");
        println!("| {name} | 2 | {two:.0} | {:.2} |", two / one);
    }
}
