//! Fault sweep: a store that fails its n-th call, for every n of a full
//! walkthrough. The step that meets the fault returns a typed `storage`
//! error; a fresh center over the inner store shows exactly the state from
//! before that step; and once the fault clears, retrying the step and
//! finishing the walkthrough ends where a run without faults ends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::cell::RefCell;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use partner_benefits::store::{Commit, Loaded, Snapshot};
use partner_benefits::{
    BenefitCenter, BenefitId, CenterOptions, Error, LicenseKey, MailId, ManualClock, MemoryStore, OfferId, OrganizationId, OutboxEntry,
    PackageId, PartnerLevel, Phase, RecordedEvent, RecordingMailer, RequestId, Role, Store, StreamId, Timestamp, UserId,
};
use partner_benefits_scenarios::*;
use rust_decimal::Decimal;

/// Passes every call to `inner`, except the `fail_at`-th (1-based; 0: none).
struct FaultyStore {
    inner: Arc<MemoryStore>,
    calls: AtomicU64,
    fail_at: AtomicU64,
}

impl FaultyStore {
    fn tick(&self) -> Result<(), Error> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n == self.fail_at.load(Ordering::SeqCst) { Err(Error::storage(format!("injected fault at call {n}"))) } else { Ok(()) }
    }
}

impl Store for FaultyStore {
    fn allocate_organization_id(&self) -> Result<OrganizationId, Error> {
        self.tick()?;
        self.inner.allocate_organization_id()
    }
    fn organizations(&self) -> Result<Vec<OrganizationId>, Error> {
        self.tick()?;
        self.inner.organizations()
    }
    fn load(&self, stream: &StreamId, after_version: u64) -> Result<Loaded, Error> {
        self.tick()?;
        self.inner.load(stream, after_version)
    }
    fn read_events(&self, stream: &StreamId, after_version: u64, limit: usize) -> Result<Vec<RecordedEvent>, Error> {
        self.tick()?;
        self.inner.read_events(stream, after_version, limit)
    }
    fn commit(&self, commit: Commit) -> Result<(), Error> {
        self.tick()?;
        self.inner.commit(commit)
    }
    fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), Error> {
        self.tick()?;
        self.inner.save_snapshot(snapshot)
    }
    fn vault_keys(&self, product: &partner_benefits::values::Code, first: u64, count: u32) -> Result<Vec<LicenseKey>, Error> {
        self.tick()?;
        self.inner.vault_keys(product, first, count)
    }
    fn free_keys(&self, product: &partner_benefits::values::Code, up_to: u64) -> Result<u64, Error> {
        self.tick()?;
        self.inner.free_keys(product, up_to)
    }
    fn claimed_keys(
        &self,
        product: &partner_benefits::values::Code,
        claim: &partner_benefits::event::KeyClaim,
    ) -> Result<Vec<(u64, LicenseKey)>, Error> {
        self.tick()?;
        self.inner.claimed_keys(product, claim)
    }
    fn idempotency(&self, organization: OrganizationId, key: &str) -> Result<Option<partner_benefits::store::IdempotencyRecord>, Error> {
        self.tick()?;
        self.inner.idempotency(organization, key)
    }
    fn claim_mail(&self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<OutboxEntry>, Error> {
        self.tick()?;
        self.inner.claim_mail(now, lease_until, limit)
    }
    fn settle_mail(&self, id: MailId, delivery: &partner_benefits::lifecycle::delivery::DeliveryState) -> Result<(), Error> {
        self.tick()?;
        self.inner.settle_mail(id, delivery)
    }
    fn outbox(&self) -> Result<Vec<OutboxEntry>, Error> {
        self.tick()?;
        self.inner.outbox()
    }

    fn changes(&self, after: u64, limit: usize) -> Result<Vec<partner_benefits::Positioned>, Error> {
        self.tick()?;
        self.inner.changes(after, limit)
    }

    fn vault_status(&self) -> Result<partner_benefits::store::VaultStatus, Error> {
        self.tick()?;
        self.inner.vault_status()
    }

    fn reseal_vault(&self, batch: u32) -> Result<partner_benefits::store::Resealed, Error> {
        self.tick()?;
        self.inner.reseal_vault(batch)
    }

    fn requeue_mail(
        &self,
        id: partner_benefits::MailId,
        delivery: &partner_benefits::lifecycle::delivery::DeliveryState,
    ) -> Result<(), Error> {
        self.tick()?;
        self.inner.requeue_mail(id, delivery)
    }
}

/// Ids the walkthrough learns as it goes.
#[derive(Default, Clone)]
struct Ids {
    org: Option<OrganizationId>,
    admin: Option<UserId>,
    users: Vec<UserId>,
    package: Option<PackageId>,
    second: Option<PackageId>,
    request: Option<RequestId>,
}

struct World {
    center: BenefitCenter,
    clock: Arc<ManualClock>,
    ids: RefCell<Ids>,
}

impl World {
    fn admin(&self) -> partner_benefits::Session {
        let ids = self.ids.borrow();
        self.center.session(ids.org.unwrap(), ids.admin.unwrap())
    }

    fn benefit(&self, package: PackageId, code: &str) -> Result<BenefitId, Error> {
        let found = self.admin().benefits(package)?.into_iter().find(|b| b.code == code).unwrap();
        Ok(found.id)
    }

    fn offer(&self, package: PackageId) -> Result<OfferId, Error> {
        let gtm = self.benefit(package, "go-to-market")?;
        Ok(self.admin().benefit(gtm)?.offers[0].id)
    }

    fn package(&self) -> PackageId {
        self.ids.borrow().package.unwrap()
    }
}

type Action = Box<dyn Fn(&World) -> Result<(), Error>>;
type Step = (&'static str, Action);

/// The seed end to end, one step per command, query or clock move.
fn walkthrough() -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut step = |name: &'static str, f: Action| steps.push((name, f));
    for product in PRODUCTS {
        step("stock keys", Box::new(move |w| w.center.program().stock_keys(product, sentinel_keys(product, 30)).map(drop)));
    }
    step(
        "create organization",
        Box::new(|w| {
            let org = w.center.create_organization("Contoso", ACCOUNT_EMAIL, "Avery Admin", "avery@contoso.com")?;
            let mut ids = w.ids.borrow_mut();
            ids.org = Some(org.id);
            ids.admin = Some(org.admin_id);
            Ok(())
        }),
    );
    for (name, email, roles) in [
        ("Dev One", "dev1@contoso.com", vec![]),
        ("Dev Two", "dev2@contoso.com", vec![]),
        ("Mia MPN", "mia@contoso.com", vec![Role::MpnPartnerAdmin]),
    ] {
        step(
            "add user",
            Box::new(move |w| {
                let user = w.admin().add_user(name, email, &roles)?;
                w.ids.borrow_mut().users.push(user);
                Ok(())
            }),
        );
    }
    step("set level", Box::new(|w| w.center.program().set_partner_level(w.ids.borrow().org.unwrap(), PartnerLevel::Silver)));
    step(
        "purchase",
        Box::new(|w| {
            let package = w.admin().with_idempotency_key("buy-1").purchase_package("silver-core")?;
            w.ids.borrow_mut().package = Some(package);
            Ok(())
        }),
    );
    step(
        "purchase again",
        Box::new(|w| {
            let package = w.admin().purchase_package("action-pack")?;
            w.ids.borrow_mut().second = Some(package);
            Ok(())
        }),
    );
    step("list", Box::new(|w| w.admin().all_benefits().map(drop)));
    step("get keys", Box::new(|w| w.admin().get_keys(w.benefit(w.package(), "windows-server")?, "de", "x64").map(drop)));
    step("license keys", Box::new(|w| w.admin().get_license_keys(w.benefit(w.package(), "microsoft-365")?).map(drop)));
    step("azure", Box::new(|w| w.admin().assign_user(w.benefit(w.package(), "azure-credit")?, w.ids.borrow().admin.unwrap())));
    step(
        "assign",
        Box::new(|w| {
            let user = w.ids.borrow().users[0];
            w.admin().assign_user(w.benefit(w.package(), "visual-studio")?, user)
        }),
    );
    step(
        "reassign",
        Box::new(|w| {
            let (from, to) = (w.ids.borrow().users[0], w.ids.borrow().users[1]);
            w.admin().reassign_user(w.benefit(w.package(), "visual-studio")?, from, to)
        }),
    );
    step(
        "technical",
        Box::new(|w| {
            let user = w.ids.borrow().users[0];
            w.admin().activate_technical(w.benefit(w.package(), "advisory-hours")?, user, "dev.alt@example.com")
        }),
    );
    step("dispatch", Box::new(|w| w.center.dispatch_mail().map(drop)));
    step(
        "clock +3 days",
        Box::new(|w| {
            w.clock.advance(days(3));
            Ok(())
        }),
    );
    step("process due", Box::new(|w| w.center.process_due().map(drop)));
    step(
        "request",
        Box::new(|w| {
            let hours = w.benefit(w.package(), "advisory-hours")?;
            let request = w.admin().request_assistance(hours, Phase::Design, Decimal::from_str("2.5").unwrap(), "design review")?;
            w.ids.borrow_mut().request = Some(request);
            Ok(())
        }),
    );
    step("withdraw", Box::new(|w| w.admin().withdraw_request(w.ids.borrow().request.unwrap())));
    step(
        "request to complete",
        Box::new(|w| {
            let hours = w.benefit(w.package(), "advisory-hours")?;
            let request = w.admin().request_assistance(hours, Phase::Deployment, Decimal::ONE, "deployment")?;
            w.ids.borrow_mut().request = Some(request);
            Ok(())
        }),
    );
    step("complete", Box::new(|w| w.center.program().complete_request(w.ids.borrow().org.unwrap(), w.ids.borrow().request.unwrap())));
    step("grant competency", Box::new(|w| w.center.program().grant_competency(w.ids.borrow().org.unwrap(), "cloud-platform")));
    step(
        "batch",
        Box::new(|w| {
            let (a, b) = (w.ids.borrow().users[0], w.ids.borrow().users[2]);
            let vs = w.benefit(w.package(), "visual-studio")?;
            let commands = [
                partner_benefits::Command::AssignUser { benefit: vs, user: a },
                partner_benefits::Command::AssignUser { benefit: vs, user: b },
                partner_benefits::Command::UnassignUser { benefit: vs, user: b },
            ];
            w.admin().execute_batch(&commands).map(drop)
        }),
    );
    step(
        "idempotent reveal",
        Box::new(|w| w.admin().with_idempotency_key("sql").get_keys(w.benefit(w.package(), "sql-server")?, "ja", "x64").map(drop)),
    );
    step(
        "idempotent reveal repeated",
        Box::new(|w| w.admin().with_idempotency_key("sql").get_keys(w.benefit(w.package(), "sql-server")?, "ja", "x64").map(drop)),
    );
    step(
        "contact",
        Box::new(|w| {
            let (org, mpn, dev) = (w.ids.borrow().org.unwrap(), w.ids.borrow().users[2], w.ids.borrow().users[1]);
            w.center.session(org, mpn).set_marketing_contact(dev, "dev2.m@example.com", "+1 425 555 0100", "zh-CN")
        }),
    );
    step("activate offer", Box::new(|w| w.admin().activate_offer(w.offer(w.package())?).map(drop)));
    step("cancel refused", Box::new(|w| expect_refusal(w.admin().cancel_package(w.package()))));
    step("cancel offer", Box::new(|w| w.admin().cancel_offer(w.offer(w.ids.borrow().second.unwrap())?).map(drop).or_else(refused)));
    step("cancel granted", Box::new(|w| w.admin().cancel_package(w.ids.borrow().second.unwrap()).map(drop)));
    step(
        "clock +6 days",
        Box::new(|w| {
            w.clock.advance(days(6));
            Ok(())
        }),
    );
    step("dispatch again", Box::new(|w| w.center.dispatch_mail().map(drop)));
    step(
        "clock +330 days",
        Box::new(|w| {
            w.clock.advance(days(330));
            Ok(())
        }),
    );
    step("process due again", Box::new(|w| w.center.process_due().map(drop)));
    step("renew", Box::new(|w| w.admin().renew_package(w.package()).map(drop)));
    step("audit", Box::new(|w| w.admin().audit_log().map(drop)));
    steps
}

/// A refused cancellation is a recorded answer, not a failure of the step.
fn refused(err: Error) -> Result<(), Error> {
    if let Error::RefundNotAllowed { .. } | Error::InvalidTransition { .. } = err { Ok(()) } else { Err(err) }
}

/// A refused cancellation is a recorded answer, not a failure of the step.
fn expect_refusal(result: Result<partner_benefits::Money, Error>) -> Result<(), Error> {
    match result {
        Err(Error::RefundNotAllowed { .. }) => Ok(()),
        Err(other) => Err(other),
        Ok(refund) => panic!("refund {refund} granted after a key reveal"),
    }
}

/// Everything stored, read by a center that never saw a fault.
fn stored(inner: &Arc<MemoryStore>, clock: &Arc<ManualClock>, ids: &Ids, with_deliveries: bool) -> String {
    let fresh = replaying(inner.clone(), Arc::new(RecordingMailer::new()), clock.clone());
    let mut out = String::new();
    let orgs = inner.organizations().unwrap();
    out.push_str(&format!("{orgs:?}\n"));
    let mut streams: Vec<StreamId> = orgs.iter().map(|o| StreamId::Organization(*o)).collect();
    streams.extend(PRODUCTS.iter().map(|p| StreamId::from_str(&format!("pool:{p}")).unwrap()));
    for stream in streams {
        let events = inner.read_events(&stream, 0, usize::MAX).unwrap();
        out.push_str(&serde_json::to_string(&events).unwrap());
        out.push('\n');
    }
    for product in PRODUCTS {
        out.push_str(&format!("{:?}\n", fresh.program().key_pool(product).unwrap()));
    }
    if let (Some(org), Some(admin)) = (ids.org, ids.admin)
        && orgs.contains(&org)
    {
        out.push_str(&picture(&fresh.session(org, admin)));
    }
    for entry in inner.outbox().unwrap() {
        if with_deliveries {
            out.push_str(&format!("{:?}\n", entry.delivery));
        }
        out.push_str(&format!("{} {:?} {}\n", entry.mail.id, entry.mail.to, entry.mail.topic.name()));
    }
    out
}

/// Fails with the first differing line instead of two walls of text.
fn assert_same(actual: &str, expected: &str, context: &str) {
    if actual == expected {
        return;
    }
    let (a, e): (Vec<_>, Vec<_>) = (actual.lines().collect(), expected.lines().collect());
    let line = a.iter().zip(&e).position(|(x, y)| x != y).unwrap_or(a.len().min(e.len()));
    let cut = |l: Option<&&str>| l.map(|t| t.chars().take(3000).collect::<String>()).unwrap_or_default();
    panic!("{context}\nfirst difference at line {line}:\n  actual:   {}\n  expected: {}", cut(a.get(line)), cut(e.get(line)));
}

struct Run {
    inner: Arc<MemoryStore>,
    store: Arc<FaultyStore>,
    world: World,
}

fn run(fail_at: u64) -> Run {
    let inner = Arc::new(MemoryStore::new());
    let store = Arc::new(FaultyStore { inner: inner.clone(), calls: AtomicU64::new(0), fail_at: AtomicU64::new(fail_at) });
    let clock = Arc::new(ManualClock::new(start()));
    // Snapshots every few events, so faults also hit snapshot writes (which lose nothing).
    let options = CenterOptions { snapshot_every: 5, ..CenterOptions::default() };
    let center = BenefitCenter::with_options(store.clone(), Arc::new(RecordingMailer::new()), clock.clone(), catalog(), options);
    Run { inner, store, world: World { center, clock, ids: RefCell::new(Ids::default()) } }
}

#[test]
fn b6_fault_at_every_storage_call_leaves_the_state_of_before_the_command() {
    let steps = walkthrough();
    // A run without faults: how many calls, and where it ends.
    let clean = run(0);
    for (name, step) in &steps {
        step(&clean.world).unwrap_or_else(|e| panic!("{name} failed without a fault: {e}"));
    }
    let total = clean.store.calls.load(Ordering::SeqCst);
    let end = stored(&clean.inner, &clean.world.clock, &clean.world.ids.borrow(), false);
    assert!(total > 50, "{total} calls");

    let mut failures = 0;
    for n in 1..=total {
        let faulty = run(n);
        let mut failed_at = None;
        for (index, (name, step)) in steps.iter().enumerate() {
            let ids = faulty.world.ids.borrow().clone();
            let dispatch = name.starts_with("dispatch");
            let before = stored(&faulty.inner, &faulty.world.clock, &ids, !dispatch);
            match step(&faulty.world) {
                Ok(()) => {}
                Err(err) => {
                    assert_eq!(err.code(), "storage", "call {n}, step `{name}`: {err}");
                    assert!(err.to_string().contains("injected fault"), "call {n}, step `{name}`: {err}");
                    // Dispatch settles mail one by one; what it settled stays settled (B6), nothing else moves.
                    let after = stored(&faulty.inner, &faulty.world.clock, &ids, !dispatch);
                    assert_same(&after, &before, &format!("call {n} failed `{name}` but the stored state changed"));
                    failed_at = Some(index);
                    break;
                }
            }
        }
        let Some(index) = failed_at else {
            // The fault hit a call whose failure loses nothing (a snapshot, a cache).
            continue;
        };
        failures += 1;
        // The fault is gone: retry the step and finish on the same center.
        faulty.store.fail_at.store(0, Ordering::SeqCst);
        for (name, step) in &steps[index..] {
            step(&faulty.world).unwrap_or_else(|e| panic!("after a fault at call {n}, `{name}` failed: {e}"));
        }
        if steps[index].0 != "create organization" {
            // (A failed creation burns an organization number, so ids differ.)
            let ended = stored(&faulty.inner, &faulty.world.clock, &faulty.world.ids.borrow(), false);
            assert_same(&ended, &end, &format!("after a fault at call {n} in `{}`, the walkthrough ended elsewhere", steps[index].0));
        }
    }
    eprintln!("fault sweep: {total} storage calls, {failures} faults failed a step, the rest hit a cache-only call");
    assert!(failures as u64 > total / 2, "{failures} of {total} faults failed a step");
}
