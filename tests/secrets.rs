//! B3: no license key appears in clear anywhere but the deliberate reveal.
//! The pools hold sentinel keys; every flow runs; then every `Debug` and
//! `Display` of what came back, every error, every audit entry, every mail
//! and every stored event and snapshot is searched for the sentinel.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::fmt::{Debug, Display};
use std::str::FromStr;
use std::sync::Arc;

use partner_benefits::testing::OrganizationState;
use partner_benefits::{
    BenefitCenter, CenterOptions, Command, Error, LicenseKey, ManualClock, MemoryStore, PartnerLevel, Phase, RecordingMailer, Role, Store,
    StreamId,
};
use partner_benefits_scenarios::*;
use rust_decimal::Decimal;

/// Everything the test saw, as text.
#[derive(Default)]
struct Haystack {
    texts: Vec<(String, String)>,
    revealed: Vec<String>,
    errors: Vec<(String, String)>,
}

impl Haystack {
    fn debug(&mut self, what: &str, value: &impl Debug) {
        self.texts.push((what.to_string(), format!("{value:?}")));
        self.texts.push((what.to_string(), format!("{value:#?}")));
    }

    fn display(&mut self, what: &str, value: &impl Display) {
        self.texts.push((what.to_string(), value.to_string()));
    }

    /// Keeps an `Ok` value's `Debug`, or an error's `Debug`, `Display` and code.
    fn result<T: Debug>(&mut self, what: &str, result: Result<T, Error>) -> Option<T> {
        match result {
            Ok(value) => {
                self.debug(what, &value);
                Some(value)
            }
            Err(err) => {
                self.error(what, &err);
                None
            }
        }
    }

    fn error(&mut self, what: &str, err: &Error) {
        self.errors.push((what.to_string(), err.to_string()));
        self.debug(what, err);
        self.display(what, err);
        self.display(what, &err.code());
    }

    fn assert_clean(&self) {
        // Error messages a person can act on (STYLE.md): lowercase, no
        // trailing period, no Rust type names.
        assert!(self.errors.len() > 15, "the flows must meet refusals too");
        for (what, message) in &self.errors {
            assert!(!message.starts_with(char::is_uppercase), "{what}: {message}");
            assert!(!message.ends_with('.'), "{what}: {message}");
            assert!(!message.contains("::") && !message.contains("Error"), "{what}: {message}");
        }
        assert!(self.revealed.len() > 20, "the test must reveal sentinel keys to mean anything");
        assert!(self.texts.len() > 100);
        for (what, text) in &self.texts {
            assert!(!text.contains(SENTINEL), "a sentinel key leaked through {what}: {text}");
            for key in &self.revealed {
                assert!(!text.contains(key.as_str()), "key leaked through {what}");
            }
        }
    }
}

#[test]
fn b3_no_sentinel_key_in_any_output_of_any_flow() {
    let clock = Arc::new(ManualClock::new(start()));
    let mailer = Arc::new(RecordingMailer::new());
    let store = Arc::new(MemoryStore::new());
    // Snapshots every few events, so they are written and searched too.
    let options = CenterOptions { snapshot_every: 4, ..CenterOptions::default() };
    let center = BenefitCenter::with_options(store.clone(), mailer.clone(), clock.clone(), catalog(), options);
    let mut hay = Haystack::default();
    stock_all(&center, 60);
    let program = center.program();
    for product in PRODUCTS {
        hay.result("key pool", program.key_pool(product));
    }
    // A malformed key is refused without echoing it.
    hay.result("bad key", LicenseKey::new(format!("{SENTINEL}bad\u{7}key")));
    hay.result("bad stock", program.stock_keys("No Such Product", sentinel_keys("x", 1)));
    let sample = sentinel_keys("sample", 1).remove(0);
    hay.debug("license key", &sample);
    hay.display("license key", &sample);

    let (org, admin_id, user_admin, agent, mpn_admin, dev, dev2) = populate(&center, "Contoso", ACCOUNT_EMAIL, "contoso.com");
    program.set_partner_level(org, PartnerLevel::Gold).unwrap();
    program.grant_competency(org, "cloud-platform").unwrap();
    let admin = center.session(org, admin_id);
    hay.debug("center", &center);
    hay.debug("session", &admin);
    hay.debug("program", &program);

    let mut packages = Vec::new();
    for template in ["action-pack", "silver-core", "gold-core", "action-pack"] {
        packages.push(hay.result("purchase", admin.purchase_package(template)).unwrap());
    }
    packages.push(hay.result("purchase by agent", center.session(org, agent).purchase_package("action-pack")).unwrap());
    hay.result("packages", admin.packages());
    hay.result("all benefits", admin.all_benefits());

    // Reveal every keyed benefit of the first three packages, twice, in several languages.
    for package in &packages[..3] {
        for benefit in admin.benefits(*package).unwrap() {
            let revealed = match benefit.category {
                partner_benefits::Category::Software => {
                    let os = benefit.os_types[0].clone();
                    admin.get_keys(benefit.id, &benefit.languages[1], &os).and_then(|_| admin.get_keys(benefit.id, "en", &os))
                }
                partner_benefits::Category::Cloud if benefit.key_count > 0 => admin.get_license_keys(benefit.id),
                _ => continue,
            };
            let revealed = revealed.unwrap();
            hay.revealed.extend(revealed.keys.iter().map(|k| k.reveal().to_string()));
            hay.debug("revealed keys", &revealed);
            for key in &revealed.keys {
                hay.debug("key", key);
                hay.display("key", key);
            }
            // The same reveal as a raw command: its outcome names slots, not keys.
            let command = Command::GetKeys { benefit: benefit.id, language: None, os: None };
            hay.result("get keys command", admin.execute(command));
            hay.result("wrong language", admin.get_keys(benefit.id, "xx", "x64"));
            hay.result("by a non-global admin", center.session(org, agent).get_keys(benefit.id, "en", "x64"));
            hay.result("benefit", admin.benefit(benefit.id));
        }
    }
    // Idempotent reveal: the repeat returns the first outcome.
    let windows = benefit(&admin, packages[3], "windows-server").id;
    let keyed = admin.with_idempotency_key("reveal-1");
    for _ in 0..2 {
        let revealed = keyed.get_keys(windows, "en", "x64").unwrap();
        hay.revealed.extend(revealed.keys.iter().map(|k| k.reveal().to_string()));
        hay.debug("idempotent reveal", &revealed);
    }
    hay.result("idempotency conflict", keyed.get_keys(windows, "de", "x64"));

    // Every other flow.
    let ap = packages[0];
    let vs = benefit(&admin, ap, "visual-studio").id;
    hay.result("assign", admin.assign_user(vs, dev));
    hay.result("assign twice", admin.assign_user(vs, dev));
    hay.result("reassign", admin.reassign_user(vs, dev, dev2));
    hay.result("unassign", admin.unassign_user(vs, dev2));
    hay.result("unassign nobody", admin.unassign_user(vs, dev2));
    hay.result("azure", admin.assign_user(benefit(&admin, ap, "azure-credit").id, admin_id));
    let hours = benefit(&admin, ap, "advisory-hours").id;
    hay.result("alternate = account", admin.activate_technical(hours, dev, ACCOUNT_EMAIL));
    hay.result("technical", admin.activate_technical(hours, dev, "dev.alt@example.com"));
    hay.result("too early", admin.request_assistance(hours, Phase::Design, Decimal::ONE, "design"));
    clock.advance(days(3));
    let request = hay.result("request", admin.request_assistance(hours, Phase::Deployment, Decimal::from_str("2.5").unwrap(), "deploy"));
    hay.result("too much", admin.request_assistance(hours, Phase::Presales, Decimal::from(99), "more"));
    hay.result("withdraw", admin.withdraw_request(request.unwrap()));
    let offer = benefit(&admin, packages[2], "go-to-market").offers[0].id;
    hay.result("offer without contact", admin.activate_offer(offer));
    hay.result("contact", center.session(org, mpn_admin).set_marketing_contact(dev, "dev.m@example.com", "+1 425 555 0100", "ja"));
    hay.result("offer", admin.activate_offer(offer));
    hay.result("roles", admin.set_user_roles(dev, &[Role::GlobalAdmin]));
    hay.result("last admin", center.session(org, user_admin).set_user_roles(dev, &[]));
    hay.result("cancel activated", admin.cancel_package(ap));
    hay.result("cancel clean", admin.cancel_package(packages[4]));
    hay.result("cancel offer", admin.cancel_offer(offer));
    clock.advance(days(40));
    hay.result("cancel late", center.session(org, mpn_admin).cancel_package(packages[3]));
    mailer.refuse_with("smtp down");
    hay.result("dispatch refused", center.dispatch_mail());
    mailer.accept();
    clock.advance(days(400));
    hay.result("due", center.process_due());
    hay.result("renew late", admin.renew_package(ap));
    hay.result("dispatch", center.dispatch_mail());
    for query in [admin.organization().map(|v| format!("{v:?}")), admin.users().map(|v| format!("{v:?}"))] {
        hay.result("query", query);
    }
    hay.result("offers", admin.offers());
    hay.result("requests", admin.requests());
    hay.result("cancellations", admin.cancellations());
    hay.result("contact", admin.marketing_contact());

    // Everything stored or sent.
    hay.result("outbox", center.outbox());
    for entry in center.outbox().unwrap() {
        hay.display("outbox mail", &serde_json::to_string(&entry).unwrap());
        hay.display("mail body", &entry.mail.body);
        hay.display("mail subject", &entry.mail.subject);
    }
    hay.debug("sent mail", &mailer.sent());
    let audit = center.audit_log(org).unwrap();
    assert!(audit.iter().any(|e| e.kind == "keys_revealed"));
    hay.debug("audit log", &audit);
    hay.debug("session audit log", &admin.audit_log().unwrap());
    for entry in &audit {
        hay.display("audit details", &entry.details);
    }
    let mut streams = vec![StreamId::Organization(org)];
    streams.extend(PRODUCTS.iter().map(|p| StreamId::from_str(&format!("pool:{p}")).unwrap()));
    for stream in &streams {
        let events = store.read_events(stream, 0, usize::MAX).unwrap();
        assert!(!events.is_empty());
        hay.display("events", &serde_json::to_string(&events).unwrap());
        hay.debug("events", &events);
        let loaded = store.load(stream, 0).unwrap();
        hay.debug("loaded", &loaded);
    }
    let events = store.read_events(&StreamId::Organization(org), 0, usize::MAX).unwrap();
    let state = OrganizationState::replay(org, &events).unwrap();
    hay.debug("replayed state", &state);
    hay.display("replayed state", &serde_json::to_string(&state).unwrap());
    assert!(store.load(&StreamId::Organization(org), 0).unwrap().snapshot.is_some(), "a snapshot was written");
    hay.assert_clean();
}
