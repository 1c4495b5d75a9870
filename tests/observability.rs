//! Observability: each call is a `tracing` span with its organization,
//! command kind and outcome code, commits and dispatches have their own, and
//! the center counts what it did. Nothing secret is ever in them (B3).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use partner_benefits::lifecycle::delivery::DeliveryState;
use partner_benefits::store::{Commit, IdempotencyRecord, Loaded, Snapshot};
use partner_benefits::values::Code;
use partner_benefits::{
    BenefitCenter, Error, LicenseKey, MailId, Metrics, OrganizationId, OutboxEntry, RecordedEvent, Store, StreamId, Timestamp,
};
use partner_benefits_scenarios::*;

/// Everything the subscriber wrote, for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Runs `run` with every trace of this test binary captured, and returns
/// what was written meanwhile. One global subscriber: `tracing` caches per
/// call site whether anyone listens, so a subscriber set for one thread
/// only would miss call sites another test's thread reached first.
fn traced(run: impl FnOnce()) -> String {
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    let captured = CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber =
            tracing_subscriber::fmt().with_max_level(tracing::Level::DEBUG).with_ansi(false).with_writer(move || writer.clone()).finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        captured
    });
    let start = captured.0.lock().unwrap().len();
    run();
    captured.text()[start..].to_string()
}

#[test]
fn b3_commands_commits_and_dispatch_are_traced_with_codes_and_never_a_key_or_a_mail_body() {
    let f = Fixture::new();
    let mut bodies = Vec::new();
    let log = traced(|| {
        let package = f.action_pack();
        let windows = f.benefit(package, "windows-server").id;
        let keys = f.admin().get_keys(windows, "en", "x64").unwrap();
        assert!(keys.keys[0].reveal().starts_with(SENTINEL));
        f.admin().assign_user(f.benefit(package, "visual-studio").id, f.dev).unwrap();
        assert!(f.as_user(f.dev).purchase_package("action-pack").is_err());
        bodies = f.center.outbox().unwrap().into_iter().map(|e| e.mail.body).collect();
        f.center.dispatch_mail().unwrap();
        f.center.process_due().unwrap();
    });
    assert!(log.contains("kind=\"purchase_package\""), "{log}");
    assert!(log.contains("kind=\"get_keys\""), "{log}");
    assert!(log.contains(&format!("organization={}", f.org)), "{log}");
    assert!(log.contains("outcome=\"ok\""), "{log}");
    assert!(log.contains("outcome=\"permission_denied\""), "{log}");
    assert!(log.contains("commit{"), "{log}");
    assert!(log.contains("dispatch{"), "{log}");
    assert!(log.contains("process_due{"), "{log}");
    assert!(!log.contains(SENTINEL), "a license key reached the trace");
    assert!(!bodies.is_empty());
    for body in bodies {
        let first_line = body.lines().next().unwrap();
        assert!(!log.contains(first_line), "a mail body reached the trace: {first_line}");
    }
    assert!(!log.contains("dev1@contoso.com"), "an email address reached the trace");
}

#[test]
fn the_center_counts_commands_refusals_retries_and_mail() {
    let f = Fixture::new();
    let before = f.center.metrics().unwrap();
    let package = f.action_pack();
    let vs = f.benefit(package, "visual-studio").id;
    f.admin().assign_users(vs, &[f.dev, f.dev2], false).unwrap();
    assert!(f.as_user(f.dev).purchase_package("action-pack").is_err());
    let queued = f.center.metrics().unwrap();
    assert_eq!(queued.commands - before.commands, 3);
    assert_eq!(queued.refused - before.refused, 1);
    assert_eq!(queued.outbox_depth, 2, "the two Visual Studio mails wait");
    f.mailer.refuse_with("smtp down");
    f.center.dispatch_mail().unwrap();
    f.mailer.accept();
    // Retried once the pause after the refusal has passed.
    f.advance(chrono::Duration::minutes(1));
    f.center.dispatch_mail().unwrap();
    let after: Metrics = f.center.metrics().unwrap();
    assert_eq!((after.mail_failed, after.mail_sent, after.outbox_depth), (2, 2, 0));
    // A center whose commit meets another writer's: a conflict, then a retry.
    let hooked = Arc::new(Interleaved { inner: f.store.clone(), before_commit: Mutex::new(None) });
    let second = BenefitCenter::new(hooked.clone(), f.mailer.clone(), f.clock.clone(), catalog());
    second.session(f.org, f.admin).users().unwrap();
    let first = f.center.clone();
    let (org, admin) = (f.org, f.admin);
    *hooked.before_commit.lock().unwrap() = Some(Box::new(move || {
        first.session(org, admin).add_user("Late Comer", "late@contoso.com", &[]).unwrap();
    }));
    // No retries asked for: the default budget decides it again.
    second.session(f.org, f.admin).assign_user(vs, f.agent).unwrap();
    let counted = second.metrics().unwrap();
    assert_eq!((counted.conflicts, counted.retries, counted.refused), (1, 1, 0), "{counted:?}");
    assert!(f.benefit(package, "visual-studio").assigned_users.contains(&f.agent));
}

type Hook = Box<dyn FnOnce() + Send>;

/// A store that runs a hook (another writer's commit) just before the first
/// commit made through it.
struct Interleaved {
    inner: Arc<dyn Store>,
    before_commit: Mutex<Option<Hook>>,
}

impl Store for Interleaved {
    fn allocate_organization_id(&self) -> Result<OrganizationId, Error> {
        self.inner.allocate_organization_id()
    }
    fn organizations(&self) -> Result<Vec<OrganizationId>, Error> {
        self.inner.organizations()
    }
    fn load(&self, stream: &StreamId, after_version: u64) -> Result<Loaded, Error> {
        self.inner.load(stream, after_version)
    }
    fn read_events(&self, stream: &StreamId, after_version: u64, limit: usize) -> Result<Vec<RecordedEvent>, Error> {
        self.inner.read_events(stream, after_version, limit)
    }
    fn commit(&self, commit: Commit) -> Result<(), Error> {
        let hook = self.before_commit.lock().unwrap().take();
        if let Some(hook) = hook {
            hook();
        }
        self.inner.commit(commit)
    }
    fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), Error> {
        self.inner.save_snapshot(snapshot)
    }
    fn vault_keys(&self, product: &Code, first: u64, count: u32) -> Result<Vec<LicenseKey>, Error> {
        self.inner.vault_keys(product, first, count)
    }
    fn free_keys(&self, product: &partner_benefits::values::Code, up_to: u64) -> Result<u64, Error> {
        self.inner.free_keys(product, up_to)
    }
    fn claimed_keys(
        &self,
        product: &partner_benefits::values::Code,
        claim: &partner_benefits::event::KeyClaim,
    ) -> Result<Vec<(u64, LicenseKey)>, Error> {
        self.inner.claimed_keys(product, claim)
    }
    fn idempotency(&self, organization: OrganizationId, key: &str) -> Result<Option<IdempotencyRecord>, Error> {
        self.inner.idempotency(organization, key)
    }
    fn claim_mail(&self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<OutboxEntry>, Error> {
        self.inner.claim_mail(now, lease_until, limit)
    }
    fn settle_mail(&self, id: MailId, delivery: &DeliveryState) -> Result<(), Error> {
        self.inner.settle_mail(id, delivery)
    }
    fn outbox(&self) -> Result<Vec<OutboxEntry>, Error> {
        self.inner.outbox()
    }

    fn changes(&self, after: u64, limit: usize) -> Result<Vec<partner_benefits::Positioned>, Error> {
        self.inner.changes(after, limit)
    }

    fn vault_status(&self) -> Result<partner_benefits::store::VaultStatus, Error> {
        self.inner.vault_status()
    }

    fn reseal_vault(&self, batch: u32) -> Result<partner_benefits::store::Resealed, Error> {
        self.inner.reseal_vault(batch)
    }

    fn requeue_mail(
        &self,
        id: partner_benefits::MailId,
        delivery: &partner_benefits::lifecycle::delivery::DeliveryState,
    ) -> Result<(), Error> {
        self.inner.requeue_mail(id, delivery)
    }
}
