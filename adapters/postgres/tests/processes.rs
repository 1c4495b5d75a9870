//! Many OS processes on one database: the race for the last seats and keys,
//! writers killed with SIGKILL mid-transaction, and dispatchers sharing an
//! outbox while one of them dies. Children are this test binary re-run with
//! `PB_CHILD` set (see `child`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::sync::{Arc, Barrier, mpsc};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use partner_benefits::event::{Event, KeySlots};
use partner_benefits::lifecycle::delivery::DeliveryState;
use partner_benefits::mail::MailTopic;
use partner_benefits::store::{Commit, Store};
use partner_benefits::values::{Email, Language};
use partner_benefits::{
    BenefitCenter, BenefitId, CenterOptions, Command, Error, LicenseKey, Mail, MailId, Mailer, ManualClock, OrganizationId, StreamId,
    UserId,
};
use partner_benefits_postgres::{PostgresOptions, PostgresStore};
use partner_benefits_smtp::{SmtpConfig, SmtpMailer};

const CHILD_ENTRY: &str = "child";

/// The keys one Action Pack takes, per product.
const ACTION_PACK_KEYS: [(&str, usize); 3] = [("windows-server", 1), ("office-professional-plus", 5), ("microsoft-365-e3", 5)];

fn at() -> partner_benefits::Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().unwrap()
}

fn center_on(store: Arc<dyn Store>) -> BenefitCenter {
    BenefitCenter::new(
        store,
        Arc::new(partner_benefits::RecordingMailer::new()),
        Arc::new(ManualClock::new(at())),
        partner_benefits::Catalog::builtin().unwrap(),
    )
}

fn keys(product: &str, round: &str, n: usize) -> Vec<LicenseKey> {
    (0..n).map(|i| LicenseKey::new(format!("{product}-{round}-{i}")).unwrap()).collect()
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("child needs env {name}"))
}

/// The entry point of every child process; a no-op in a normal test run.
#[test]
fn child() {
    match common::child_role().as_deref() {
        None => {}
        Some("race") => race_child(),
        Some("buyers") => buyers_child(),
        Some("writer") => writer_child(),
        Some("dispatcher") => dispatcher_child(),
        Some(other) => panic!("unknown child role {other}"),
    }
}

/// Waits until every child is ready, starts them together, and returns
/// their lines up to each one's `done`; every child must end well.
fn start_together(children: &mut [(Child, mpsc::Receiver<String>)]) -> Vec<String> {
    for (_, rx) in children.iter() {
        assert_eq!(rx.recv_timeout(Duration::from_secs(60)).unwrap(), "ready");
    }
    for (child, _) in children.iter_mut() {
        child.stdin.as_mut().unwrap().write_all(b"go\n").unwrap();
    }
    let mut lines = Vec::new();
    for (child, rx) in children.iter_mut() {
        loop {
            let line = rx.recv_timeout(Duration::from_secs(120)).expect("a child went silent");
            if line == "done" {
                break;
            }
            lines.push(line);
        }
        assert!(child.wait().unwrap().success());
    }
    lines
}

/// Reads `PB ...` lines of a child into a channel.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("PB ")
                && tx.send(rest.to_string()).is_err()
            {
                break;
            }
        }
    });
    rx
}

// ---------------------------------------------------------------- race ---

fn race_child() {
    let url = var("PGURL");
    let schema = var("PB_SCHEMA");
    let vs: BenefitId = var("PB_VS").parse().unwrap();
    let seat_admin: UserId = var("PB_SEAT_ADMIN").parse().unwrap();
    let users: Vec<UserId> = var("PB_USERS").split(',').map(|u| u.parse().unwrap()).collect();
    let buyers: Vec<UserId> = var("PB_BUYERS").split(',').map(|u| u.parse().unwrap()).collect();
    // Each thread its own store (its own pool) and its own center.
    let centers: Vec<BenefitCenter> =
        (0..users.len()).map(|_| center_on(Arc::new(common::store_in(&url, &schema, 1)) as Arc<dyn Store>)).collect();
    common::say("ready");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    let barrier = Arc::new(Barrier::new(users.len()));
    let threads: Vec<_> = centers
        .into_iter()
        .zip(users.into_iter().zip(buyers))
        .map(|(center, (user, buyer))| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                // Default settings: a conflict between the racers is resolved
                // inside the library, never handed to the caller.
                let seat = center.session(seat_admin.organization(), seat_admin);
                match seat.assign_user(vs, user) {
                    Ok(()) => common::say(&format!("seat won {user}")),
                    Err(Error::CapacityExhausted { .. }) => common::say("seat lost"),
                    Err(e) => common::say(&format!("seat error {e}")),
                }
                let shop = center.session(buyer.organization(), buyer);
                match shop.purchase_package("action-pack") {
                    Ok(package) => common::say(&format!("keys won {package}")),
                    Err(Error::CapacityExhausted { .. }) => common::say("keys lost"),
                    Err(e) => common::say(&format!("keys error {e}")),
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    common::say("done");
}

#[test]
fn race_two_processes_eight_threads_each_never_oversell_seats_or_keys() {
    let Some(url) = common::pg_url("race_two_processes_eight_threads_each_never_oversell_seats_or_keys") else { return };
    let schema = common::unique_schema("race");
    let store: Arc<dyn Store> = Arc::new(common::store_in(&url, &schema, 2));
    let center = center_on(Arc::clone(&store));
    // One action-pack for the seat race takes 1 + 5 + 5 keys; 4 more packages' worth stay.
    for (product, per_package) in ACTION_PACK_KEYS {
        center.program().stock_keys(product, keys(product, "race", per_package * 5)).unwrap();
    }
    let org = center.create_organization("Contoso Race", "partners@race.example", "Avery Admin", "avery@race.example").unwrap();
    let admin = center.session(org.id, org.admin_id);
    admin.purchase_package("action-pack").unwrap();
    let vs = admin.benefits_in(partner_benefits::Category::VisualStudio).unwrap().remove(0);
    assert_eq!(vs.seats, 3);
    let users: Vec<UserId> = (0..16).map(|i| admin.add_user(&format!("Dev {i}"), &format!("dev{i}@race.example"), &[]).unwrap()).collect();
    let buyers: Vec<UserId> = (0..16)
        .map(|i| {
            let o = center.create_organization(&format!("Buyer {i}"), &format!("p@b{i}.example"), "Bo Buyer", &format!("bo@b{i}.example"));
            o.unwrap().admin_id
        })
        .collect();
    let join = |ids: &[UserId]| ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");

    let mut children: Vec<(Child, mpsc::Receiver<String>)> = (0..2)
        .map(|p| {
            let mut child = common::child_command(CHILD_ENTRY, "race")
                .env("PGURL", &url)
                .env("PB_SCHEMA", &schema)
                .env("PB_VS", vs.id.to_string())
                .env("PB_SEAT_ADMIN", org.admin_id.to_string())
                .env("PB_USERS", join(&users[p * 8..p * 8 + 8]))
                .env("PB_BUYERS", join(&buyers[p * 8..p * 8 + 8]))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let rx = lines_of(&mut child);
            (child, rx)
        })
        .collect();
    let lines = start_together(&mut children);
    let errors: Vec<&String> = lines.iter().filter(|l| l.contains("error")).collect();
    assert!(errors.is_empty(), "unexpected errors: {errors:?}");
    let seat_winners: Vec<&String> = lines.iter().filter(|l| l.starts_with("seat won")).collect();
    let key_winners: Vec<&String> = lines.iter().filter(|l| l.starts_with("keys won")).collect();
    assert_eq!(seat_winners.len(), 3, "exactly the 3 seats are won: {lines:?}");
    assert_eq!(lines.iter().filter(|l| *l == "seat lost").count(), 13);
    assert_eq!(key_winners.len(), 4, "exactly the 4 packages' worth of keys are won: {lines:?}");
    assert_eq!(lines.iter().filter(|l| *l == "keys lost").count(), 12);

    // What the store holds agrees, seen by a new center.
    let fresh = center_on(Arc::new(common::store_in(&url, &schema, 1)) as Arc<dyn Store>);
    let held = fresh.session(org.id, org.admin_id).benefit(vs.id).unwrap().assigned_users;
    assert_eq!(held.len(), 3);
    assert_eq!(held.iter().collect::<BTreeSet<_>>().len(), 3);
    for (product, per_package) in ACTION_PACK_KEYS {
        let per_package = per_package as u64;
        let pool = fresh.program().key_pool(product).unwrap();
        assert_eq!(pool.allocated, pool.stocked, "{product}: every key went, none twice");
        assert_eq!(pool.stocked, per_package * 5);
        // No key went to two packages: the claims the buyers' purchases name
        // hold distinct slots, as many as were stocked.
        let mut taken = BTreeSet::new();
        for buyer in &buyers {
            for e in store.read_events(&StreamId::Organization(buyer.organization()), 0, usize::MAX).unwrap() {
                let Event::PackagePurchased { keys, .. } = e.event else { continue };
                for allocation in keys.iter().filter(|a| a.slots.product().as_str() == product) {
                    let KeySlots::Claimed { product: code, claim, count } = &allocation.slots else { panic!("{allocation:?}") };
                    let held = store.claimed_keys(code, claim).unwrap();
                    assert_eq!(held.len(), *count as usize, "{claim}");
                    for (slot, _) in held {
                        assert!(taken.insert(slot), "{product}: slot {slot} handed out twice");
                    }
                }
            }
        }
        // The seat race's own package took one package's worth.
        assert_eq!(taken.len() as u64 + per_package, pool.stocked);
    }
}

// ------------------------------------------------------------ buyers ---

const PROCESSES: usize = 4;
const BUYERS_PER_PROCESS: usize = 3;
const PURCHASES_EACH: usize = 4;

/// Buys `PURCHASES_EACH` packages for each of its organizations, one thread
/// per organization, with default settings.
fn buyers_child() {
    let url = var("PGURL");
    let schema = var("PB_SCHEMA");
    let buyers: Vec<UserId> = var("PB_BUYERS").split(',').map(|u| u.parse().unwrap()).collect();
    let center = center_on(Arc::new(common::store_in(&url, &schema, buyers.len())) as Arc<dyn Store>);
    common::say("ready");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    let threads: Vec<_> = buyers
        .into_iter()
        .map(|buyer| {
            let session = center.session(buyer.organization(), buyer);
            std::thread::spawn(move || {
                for _ in 0..PURCHASES_EACH {
                    match session.purchase_package("action-pack") {
                        Ok(package) => common::say(&format!("bought {package}")),
                        Err(e) => common::say(&format!("error {e}")),
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    common::say("done");
}

/// Issue 17: processes buying for their own organizations from the same
/// pools never fail on one another (no `conflict` reaches a caller with
/// default settings), never share a key, and leave the pools exact.
#[test]
fn b5_processes_buying_for_distinct_organizations_all_succeed_and_never_share_a_key() {
    let Some(url) = common::pg_url("b5_processes_buying_for_distinct_organizations_all_succeed_and_never_share_a_key") else { return };
    let schema = common::unique_schema("buyers");
    let store: Arc<dyn Store> = Arc::new(common::store_in(&url, &schema, 2));
    let center = center_on(Arc::clone(&store));
    let total = PROCESSES * BUYERS_PER_PROCESS * PURCHASES_EACH;
    let products = ACTION_PACK_KEYS;
    // Room for every purchase and 7 packages more.
    for (product, per_package) in products {
        center.program().stock_keys(product, keys(product, "buyers", per_package * (total + 7))).unwrap();
    }
    let buyers: Vec<UserId> = (0..PROCESSES * BUYERS_PER_PROCESS)
        .map(|i| {
            let o = center.create_organization(&format!("Buyer {i}"), &format!("p@c{i}.example"), "Bo Buyer", &format!("bo@c{i}.example"));
            o.unwrap().admin_id
        })
        .collect();
    let mut children: Vec<(Child, mpsc::Receiver<String>)> = buyers
        .chunks(BUYERS_PER_PROCESS)
        .map(|mine| {
            let mut child = common::child_command(CHILD_ENTRY, "buyers")
                .env("PGURL", &url)
                .env("PB_SCHEMA", &schema)
                .env("PB_BUYERS", mine.iter().map(ToString::to_string).collect::<Vec<_>>().join(","))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let rx = lines_of(&mut child);
            (child, rx)
        })
        .collect();
    let lines = start_together(&mut children);
    let errors: Vec<&String> = lines.iter().filter(|l| l.starts_with("error")).collect();
    assert!(errors.is_empty(), "a purchase failed: {errors:?}");
    assert_eq!(lines.iter().filter(|l| l.starts_with("bought")).count(), total);

    let fresh = center_on(Arc::new(common::store_in(&url, &schema, 1)) as Arc<dyn Store>);
    let mut texts = BTreeSet::new();
    for buyer in &buyers {
        let session = fresh.session(buyer.organization(), *buyer);
        assert_eq!(session.packages().unwrap().len(), PURCHASES_EACH);
        for benefit in session.benefits_in(partner_benefits::Category::Software).unwrap() {
            for key in session.get_keys(benefit.id, "en", "x64").unwrap().keys {
                assert!(texts.insert(key.reveal().to_owned()), "a key went to two packages");
            }
        }
    }
    assert_eq!(texts.len(), total * 6, "two software benefits of 1 and 5 keys per package");
    for (product, per_package) in products {
        let pool = fresh.program().key_pool(product).unwrap();
        assert_eq!(pool.allocated, (per_package * total) as u64, "{product}");
        assert_eq!(pool.available, (per_package * 7) as u64, "{product}");
    }
}

// ---------------------------------------------------------- SIGKILL ---

const BATCH: usize = 4;

fn writer_child() {
    let url = var("PGURL");
    let schema = var("PB_SCHEMA");
    let round = var("PB_ROUND");
    let admin: UserId = var("PB_ADMIN").parse().unwrap();
    let center = center_on(Arc::new(common::store_in(&url, &schema, 1)) as Arc<dyn Store>);
    let session = center.session(admin.organization(), admin).with_retries(5);
    common::say("ready");
    for i in 0.. {
        // A batch of commands is one transaction: all four users or none.
        let batch: Vec<Command> = (0..BATCH)
            .map(|k| Command::AddUser {
                name: format!("w{round} c{i} k{k}"),
                email: format!("w{round}c{i}k{k}@crash.example"),
                roles: vec![],
                language: None,
            })
            .collect();
        session.execute_batch(&batch).unwrap();
        common::say(&format!("ack users {i}"));
        // Keys: a pool event and vault rows in one commit.
        center.program().stock_keys("windows-server", keys("windows-server", &format!("{round}-{i}"), 3)).unwrap();
        common::say(&format!("ack keys {i}"));
    }
}

#[test]
fn sigkill_mid_transaction_keeps_every_acknowledged_command_and_no_partial_one() {
    let Some(url) = common::pg_url("sigkill_mid_transaction_keeps_every_acknowledged_command_and_no_partial_one") else { return };
    let schema = common::unique_schema("kill");
    let store: Arc<dyn Store> = Arc::new(common::store_in(&url, &schema, 1));
    let center = center_on(Arc::clone(&store));
    let org = center.create_organization("Contoso Crash", "partners@crash.example", "Avery Admin", "avery@crash.example").unwrap();
    let mut acked_users = BTreeSet::new();
    let mut acked_keys = 0u64;
    let mut monitor = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rounds = 24;
    let mut mid_transaction = 0;
    for round in 0..rounds {
        // The child's connections carry a name, to find its backend.
        let app = format!("pbw_{schema}_{round}");
        let child_url = format!("{url}{}application_name={app}", if url.contains('?') { '&' } else { '?' });
        let mut child = common::child_command(CHILD_ENTRY, "writer")
            .env("PGURL", &child_url)
            .env("PB_SCHEMA", &schema)
            .env("PB_ROUND", round.to_string())
            .env("PB_ADMIN", org.admin_id.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let rx = lines_of(&mut child);
        assert_eq!(rx.recv_timeout(Duration::from_secs(60)).unwrap(), "ready");
        // Its first batch acknowledged (on a loaded machine a child may get
        // no CPU time before the first freeze), let it work on, then freeze it (SIGSTOP) and ask the server whether it
        // froze inside a transaction; if so SIGKILL it there, else let it go on.
        let first = rx.recv_timeout(Duration::from_secs(60)).unwrap();
        assert_eq!(first, "ack users 0", "the writer's first batch");
        acked_users.insert((round, 0));
        for attempt in 0..400u64 {
            std::thread::sleep(Duration::from_micros(1000 + (round * 7919 + attempt * 104_729) % 9000));
            signal(child.id(), "STOP");
            if in_transaction(&mut monitor, &app) {
                mid_transaction += 1;
                break;
            }
            signal(child.id(), "CONT");
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // Every ack the child printed before it died; the pipe ends at its death.
        for line in rx.iter() {
            if let Some(i) = line.strip_prefix("ack users ") {
                acked_users.insert((round, i.parse::<u64>().unwrap()));
            } else if line.starts_with("ack keys ") {
                acked_keys += 3;
            } else {
                panic!("writer said {line}");
            }
        }
    }
    assert_eq!(mid_transaction, rounds, "every writer was killed inside an open transaction");
    assert!(acked_users.len() >= rounds as usize, "the writers got work done before being killed");

    // A new center over the survivors' data.
    let fresh = center_on(Arc::new(common::store_in(&url, &schema, 1)) as Arc<dyn Store>);
    let users = fresh.session(org.id, org.admin_id).users().unwrap();
    let mut groups: BTreeMap<(u64, u64), usize> = BTreeMap::new();
    for user in &users {
        if let Some(rest) = user.name.strip_prefix('w') {
            let mut parts = rest.split(' ');
            let round: u64 = parts.next().unwrap().parse().unwrap();
            let i: u64 = parts.next().unwrap().trim_start_matches('c').parse().unwrap();
            *groups.entry((round, i)).or_default() += 1;
        }
    }
    for (group, count) in &groups {
        assert_eq!(*count, BATCH, "batch {group:?} is partial: {count} of {BATCH} users");
    }
    for acked in &acked_users {
        assert!(groups.contains_key(acked), "acknowledged batch {acked:?} is missing");
    }
    // Keys: the pool's count and the vault agree, and every acknowledged stock is there.
    let pool = fresh.program().key_pool("windows-server").unwrap();
    assert!(pool.stocked >= acked_keys, "stocked {} < acknowledged {acked_keys}", pool.stocked);
    let product = "windows-server".parse().unwrap();
    assert_eq!(store.vault_keys(&product, 0, pool.stocked as u32).unwrap().len() as u64, pool.stocked);
    assert!(store.vault_keys(&product, pool.stocked, 1).is_err(), "vault rows without their pool event");
    // Versions are gapless.
    let events = store.read_events(&StreamId::Organization(org.id), 0, usize::MAX).unwrap();
    assert!(events.iter().enumerate().all(|(i, e)| e.version == i as u64 + 1));
    eprintln!("sigkill: {rounds} kills inside a transaction, {} acknowledged batches, {} present", acked_users.len(), groups.len());
}

/// Sends `sig` (STOP, CONT) to a process, through the shell's `kill`.
fn signal(pid: u32, sig: &str) {
    let status = std::process::Command::new("sh").args(["-c", &format!("kill -{sig} {pid}")]).status().unwrap();
    assert!(status.success(), "kill -{sig} {pid} failed");
}

/// Whether the (frozen) client named `app` has a transaction open on the
/// server: its backend waits inside one ("idle in transaction"). A statement
/// still running is given a moment to finish first.
fn in_transaction(monitor: &mut postgres::Client, app: &str) -> bool {
    for _ in 0..200 {
        let states: Vec<String> = monitor
            .query("SELECT state FROM pg_stat_activity WHERE application_name = $1", &[&app])
            .unwrap()
            .iter()
            .map(|r| r.get::<_, Option<String>>(0).unwrap_or_default())
            .collect();
        if states.iter().any(|s| s == "idle in transaction") {
            return true;
        }
        if !states.iter().any(|s| s == "active") {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

// ------------------------------------------------------- dispatchers ---

/// Sends through SMTP, but stalls forever inside the send of mail number
/// `after + 1`, before handing it over: a dispatcher hung mid-run.
struct StallingMailer {
    inner: SmtpMailer,
    after: usize,
    sent: std::sync::atomic::AtomicUsize,
}

impl Mailer for StallingMailer {
    fn send(&self, mail: &Mail) -> Result<(), Error> {
        if self.sent.load(std::sync::atomic::Ordering::SeqCst) >= self.after {
            common::say(&format!("stalled in {}", mail.id));
            loop {
                std::thread::sleep(Duration::from_secs(60));
            }
        }
        self.inner.send(mail)?;
        self.sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        common::say(&format!("sent {}", mail.id));
        Ok(())
    }
}

fn dispatch_options(lease: Duration) -> CenterOptions {
    CenterOptions { mail_lease: chrono::Duration::from_std(lease).unwrap(), dispatch_batch: 4, ..CenterOptions::default() }
}

fn smtp_mailer() -> SmtpMailer {
    let host = var("SMTP_HOST");
    let port: u16 = var("SMTP_PORT").parse().unwrap();
    SmtpMailer::new(SmtpConfig::new(host, port, "Partner Benefits <benefits@partner.example>")).unwrap()
}

fn dispatcher_child() {
    let url = var("PGURL");
    let schema = var("PB_SCHEMA");
    let store = Arc::new(common::store_in(&url, &schema, 1)) as Arc<dyn Store>;
    let mailer = StallingMailer { inner: smtp_mailer(), after: var("PB_STALL_AFTER").parse().unwrap(), sent: 0.into() };
    let center = BenefitCenter::with_options(
        store,
        Arc::new(mailer),
        Arc::new(common::SystemClock),
        partner_benefits::Catalog::builtin().unwrap(),
        dispatch_options(Duration::from_secs(2)),
    );
    common::say("ready");
    loop {
        center.dispatch_mail().unwrap();
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn queued_mail(org: OrganizationId, seq: u32, domain: &str) -> Mail {
    Mail {
        id: MailId::new(org, seq),
        organization: org,
        to: vec![Email::parse("to", &format!("user{seq}@{domain}")).unwrap()],
        language: Language::english(),
        topic: MailTopic::SubscriptionAssigned { benefit: "Visual Studio Enterprise".into() },
        subject: format!("Contoso: you were assigned Visual Studio Enterprise ({seq})"),
        body: "An administrator of Contoso assigned you Visual Studio Enterprise.".into(),
        created_at: at(),
    }
}

/// The recorder's `.json` files for mail sent to `domain`, as (recipients, Message-ID).
fn delivered_to(domain: &str) -> Vec<(Vec<String>, String)> {
    let dir = var("SMTP_MAIL_DIR");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let record: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let rcpts: Vec<String> = record["rcpt_tos"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect();
            if rcpts.iter().any(|r| r.ends_with(&format!("@{domain}"))) {
                // Count only messages whose .eml is in place (written last).
                assert!(path.with_extension("eml").exists());
                let id = record["headers"]["message-id"][0].as_str().unwrap_or_default().to_string();
                found.push((rcpts, id));
            }
        }
    }
    found
}

#[test]
fn two_dispatchers_one_killed_deliver_every_mail_exactly_once() {
    let test = "two_dispatchers_one_killed_deliver_every_mail_exactly_once";
    let Some(url) = common::pg_url(test) else { return };
    let Some(_) = common::env_or_skip("SMTP_PORT", test) else { return };
    let schema = common::unique_schema("disp");
    let domain = format!("{schema}.example").replace('_', "-");
    let store: Arc<dyn Store> = Arc::new(common::store_in(&url, &schema, 2));
    let org = store.allocate_organization_id().unwrap();
    let total = 40u32;
    store.commit(Commit { mail: (1..=total).map(|seq| queued_mail(org, seq, &domain)).collect(), ..Commit::default() }).unwrap();

    // Dispatcher A: another process that hangs inside its 6th send; killed there.
    let mut a = common::child_command(CHILD_ENTRY, "dispatcher")
        .env("PGURL", &url)
        .env("PB_SCHEMA", &schema)
        .env("PB_STALL_AFTER", "5")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let a_lines = lines_of(&mut a);
    assert_eq!(a_lines.recv_timeout(Duration::from_secs(60)).unwrap(), "ready");

    // Dispatcher B: here, a little slower, with the same 2 s lease.
    let lease = Duration::from_secs(2);
    let b = BenefitCenter::with_options(
        Arc::new(common::store_in(&url, &schema, 1)) as Arc<dyn Store>,
        Arc::new(smtp_mailer()),
        Arc::new(common::SystemClock),
        partner_benefits::Catalog::builtin().unwrap(),
        dispatch_options(lease),
    );
    let started = Instant::now();
    let mut a_sent = 0;
    let mut killed_at = None;
    let mut stalled_mail = None;
    loop {
        while let Ok(line) = a_lines.try_recv() {
            if line.starts_with("sent ") {
                a_sent += 1;
            } else if let Some(id) = line.strip_prefix("stalled in ")
                && killed_at.is_none()
            {
                let stalled_at = partner_benefits::Clock::now(&common::SystemClock);
                a.kill().unwrap(); // SIGKILL, holding claims it will never settle
                a.wait().unwrap();
                killed_at = Some(stalled_at);
                let id: MailId = id.parse().unwrap();
                let entry = store.outbox().unwrap().into_iter().find(|e| e.mail.id == id).unwrap();
                assert!(entry.delivery.is_due(), "the mail A hung on was not sent");
                stalled_mail = Some(id);
            }
        }
        b.dispatch_mail().unwrap();
        let outbox = store.outbox().unwrap();
        if killed_at.is_some() && outbox.iter().all(|e| matches!(e.delivery, DeliveryState::Sent { .. })) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the outbox did not drain");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (Some(killed_at), Some(stalled_mail)) = (killed_at, stalled_mail) else { panic!("dispatcher A never stalled") };
    assert_eq!(a_sent, 5, "A sent five mails before it hung");
    // The mail A hung on was sent by B, and only once A's lease had run out
    // (A claimed it moments before it hung).
    let entry = store.outbox().unwrap().into_iter().find(|e| e.mail.id == stalled_mail).unwrap();
    let DeliveryState::Sent { sent_at, .. } = entry.delivery else { panic!("not sent: {:?}", entry.delivery) };
    let lease_chrono = chrono::Duration::from_std(lease).unwrap();
    assert!(sent_at >= killed_at + lease_chrono - chrono::Duration::milliseconds(500), "sent at {sent_at}, A hung at {killed_at}");

    let delivered = delivered_to(&domain);
    assert_eq!(delivered.len(), total as usize, "every mail delivered exactly once (server side count)");
    let ids: BTreeSet<&String> = delivered.iter().map(|(_, id)| id).collect();
    assert_eq!(ids.len(), total as usize, "no Message-ID twice");
    let rcpts: BTreeSet<&String> = delivered.iter().flat_map(|(r, _)| r).collect();
    assert_eq!(rcpts.len(), total as usize);
    // Dispatching again sends nothing.
    assert_eq!(b.dispatch_mail().unwrap().sent, 0);
    assert_eq!(delivered_to(&domain).len(), total as usize);
}

#[test]
fn pool_survives_a_restarted_connection() {
    let Some(url) = common::pg_url("pool_survives_a_restarted_connection") else { return };
    let schema = common::unique_schema("term");
    let name = schema.clone();
    let url = format!("{url}{}application_name={name}", if url.contains('?') { '&' } else { '?' });
    let store =
        PostgresStore::connect_with(&url, PostgresOptions { schema: Some(schema), pool_size: 1, ..PostgresOptions::default() }).unwrap();
    store.allocate_organization_id().unwrap();
    // Kill this store's backend from outside, as a server restart or failover would.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let killed: i64 = admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()",
            &[&name],
        )
        .unwrap()
        .get(0);
    assert_eq!(killed, 1);
    // The broken connection fails one call at most, then is replaced.
    let first = store.allocate_organization_id();
    if let Err(e) = &first {
        assert!(matches!(e, Error::Storage { .. }), "{e:?}");
    }
    store.allocate_organization_id().unwrap();
}
