//! What a hostile or careless caller tried on 0.1.0 and must no longer get
//! through: a key stocked twice, time moved back, ids that are not canonical,
//! dates past the calendar. Each refusal is typed and changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use partner_benefits::lifecycle::calendar_end;
use partner_benefits::{Error, KeyPoolView, LicenseKey, PackageId, Program, RefundRefusal, Status};
use partner_benefits_scenarios::*;
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};

fn keys(texts: &[&str]) -> Vec<LicenseKey> {
    texts.iter().map(|t| LicenseKey::new(*t).unwrap()).collect()
}

fn pools(program: &Program) -> Vec<KeyPoolView> {
    PRODUCTS.iter().map(|p| program.key_pool(p).unwrap()).collect()
}

#[test]
fn b7_a_key_is_stocked_once_in_one_call_in_one_pool_and_across_pools() {
    let f = Fixture::unstocked();
    let program = f.center.program();
    let before = pools(&program);
    // The same key twice in one call.
    let err = program.stock_keys("windows-server", keys(&["TWICE-KEY-1", "OTHER-KEY-2", "TWICE-KEY-1"])).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().contains("keys 1 and 3"), "{err}");
    assert!(!err.to_string().contains("TWICE"), "{err}");
    assert_eq!(pools(&program), before, "a refused call stocks nothing");

    program.stock_keys("windows-server", keys(&["ONCE-KEY-1"])).unwrap();
    let stocked = pools(&program);
    // Again into the same pool, or into another product's pool.
    for product in ["windows-server", "office-professional-plus"] {
        let err = program.stock_keys(product, keys(&["NEW-KEY-7", "ONCE-KEY-1"])).unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{product}");
        assert!(err.to_string().contains("key 2 given is already in a key pool"), "{err}");
        assert!(!err.to_string().contains("ONCE-KEY"), "{err}");
        assert_eq!(pools(&program), stocked, "{product}: a refused call stocks nothing, not even the new key");
    }
    // The new key of the refused call was not kept either: it can be stocked now.
    program.stock_keys("office-professional-plus", keys(&["NEW-KEY-7"])).unwrap();
}

#[test]
fn b7_a_key_already_handed_to_an_organization_cannot_be_stocked_again() {
    let f = Fixture::unstocked();
    let program = f.center.program();
    // Exactly what one Action Pack draws, so every pool ends dry.
    for (product, count) in [("windows-server", 1), ("office-professional-plus", 5), ("microsoft-365-e3", 5)] {
        let texts: Vec<String> = (1..=count).map(|n| format!("{product}-ONLY-{n}")).collect();
        program.stock_keys(product, texts.iter().map(|t| LicenseKey::new(t.as_str()).unwrap()).collect()).unwrap();
    }
    let package = f.action_pack();
    let windows = f.benefit(package, "windows-server").id;
    let revealed = f.admin().get_keys(windows, "en", "x64").unwrap();
    let handed_out = revealed.keys[0].reveal().to_string();
    assert_eq!(handed_out, "windows-server-ONLY-1");
    let before = (pools(&program), f.center.audit_log(f.org).unwrap());
    let err = program.stock_keys("windows-server", keys(&[&handed_out])).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert_eq!((pools(&program), f.center.audit_log(f.org).unwrap()), before);
    assert!(err.to_string().contains("already in a key pool"), "{err}");
    // A second organization can therefore never receive it: the pool stays dry.
    let (other, other_admin, ..) = populate(&f.center, "Fabrikam", "partners@fabrikam.com", "fabrikam.com");
    let refused = f.center.session(other, other_admin).purchase_package("action-pack").unwrap_err();
    assert_eq!(refused.code(), "capacity_exhausted", "{refused}");
}

/// The audit log's times of the fixture's organization, in commit order.
fn recorded_times(f: &Fixture) -> Vec<partner_benefits::Timestamp> {
    f.center.audit_log(f.org).unwrap().into_iter().map(|e| e.at).collect()
}

#[test]
fn b8_a_clock_moved_back_never_reopens_a_closed_refund_window() {
    let f = Fixture::new();
    let package = f.action_pack();
    f.advance(days(40));
    let closed = Error::RefundNotAllowed { reason: RefundRefusal::WindowClosed };
    assert_eq!(f.admin().cancel_package(package).unwrap_err(), closed);
    // The host's clock steps back to the day before the purchase.
    f.clock.set(start() - days(1));
    assert_eq!(f.admin().cancel_package(package).unwrap_err(), closed);
    assert_eq!(f.admin().package(package).unwrap().status, Status::Active);
    let requests = f.admin().cancellations().unwrap();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| !r.granted && r.requested_at == start() + days(40)), "{requests:?}");
    let times = recorded_times(&f);
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    // A new process over the same store sees the same: the floor is in the events.
    let reloaded = f.reloaded().session(f.org, f.admin);
    assert_eq!(reloaded.cancel_package(package).unwrap_err(), closed);
}

/// One step of the clock property: move the clock, or act.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Moves the clock by this many hours (either way).
    Clock(i32),
    Purchase,
    Cancel(u8),
    RevealKeys(u8),
    ProcessDue,
}

impl Arbitrary for Step {
    fn arbitrary(g: &mut Gen) -> Self {
        match u8::arbitrary(g) % 6 {
            0 | 1 => Step::Clock(i32::arbitrary(g) % 2_000),
            2 => Step::Purchase,
            3 => Step::Cancel(u8::arbitrary(g)),
            4 => Step::RevealKeys(u8::arbitrary(g)),
            _ => Step::ProcessDue,
        }
    }
}

/// B8: whatever the clock does, the times an organization records never
/// decrease, and each refund decision was made at its recorded time: granted
/// only within 30 days of the purchase, refused as late only after them.
fn clock_property(steps: Vec<Step>) -> TestResult {
    let f = Fixture::new();
    let admin = f.admin();
    let mut packages = Vec::new();
    for step in steps.iter().take(40) {
        match *step {
            Step::Clock(hours) => f.advance(partner_benefits_scenarios::seconds(i64::from(hours) * 3_600)),
            Step::Purchase => packages.extend(admin.purchase_package("action-pack").ok()),
            Step::Cancel(n) if !packages.is_empty() => drop(admin.cancel_package(packages[usize::from(n) % packages.len()])),
            Step::RevealKeys(n) if !packages.is_empty() => {
                let software = f.benefit(packages[usize::from(n) % packages.len()], "windows-server").id;
                drop(admin.get_keys(software, "en", "x64"));
            }
            Step::Cancel(_) | Step::RevealKeys(_) => {}
            Step::ProcessDue => drop(f.center.process_due().unwrap()),
        }
        let times = recorded_times(&f);
        if let Some(pair) = times.windows(2).find(|w| w[0] > w[1]) {
            return TestResult::error(format!("recorded times went back: {pair:?} after {step:?}"));
        }
    }
    for request in admin.cancellations().unwrap() {
        let package: PackageId = request.target.parse().unwrap();
        let deadline = admin.package(package).unwrap().purchased_at + days(30);
        let late = request.requested_at > deadline;
        if request.granted && late {
            return TestResult::error(format!("refund granted at {} after the window closed at {deadline}", request.requested_at));
        }
        if request.refusal.as_deref() == Some("window_closed") && !late {
            return TestResult::error(format!("refused as late at {}, window open until {deadline}", request.requested_at));
        }
    }
    TestResult::passed()
}

#[test]
fn b8_whatever_the_clock_does_recorded_times_never_decrease_and_windows_use_them() {
    // A fixed count: each case builds a fixture with stocked pools (about 50 ms),
    // so the suite-wide QUICKCHECK_TESTS would make this the slowest test by far.
    QuickCheck::new().tests(100).quickcheck(clock_property as fn(Vec<Step>) -> TestResult);
}

#[test]
fn b1_an_id_has_one_spelling_and_a_huge_one_is_not_echoed() {
    let f = Fixture::new();
    let package = f.action_pack();
    let canonical = package.to_string();
    let (org, seq) = (package.organization().number(), package.seq());
    for other in [format!("pkg-+{org}-+{seq}"), format!("pkg-0{org}-000{seq}"), format!("pkg-{org}-{seq} "), format!(" pkg-{org}-{seq}")] {
        let err = other.parse::<PackageId>().unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{other}");
        // The same text inside a command sent as JSON is refused the same way.
        let json = format!(r#"{{"command":"cancel_package","package":"{other}"}}"#);
        assert!(serde_json::from_str::<partner_benefits::Command>(&json).is_err(), "{json}");
    }
    assert_eq!(canonical.parse::<PackageId>().unwrap(), package);
    let huge = format!("pkg-{}", "1".repeat(1_000_000));
    let message = huge.parse::<PackageId>().unwrap_err().to_string();
    assert!(message.len() < 200, "{} characters echoed", message.len());
}

/// Every date the organization shows, for the calendar checks.
fn shown_dates(f: &Fixture) -> Vec<partner_benefits::Timestamp> {
    let admin = f.admin();
    let mut dates = recorded_times(f);
    for package in admin.packages().unwrap() {
        dates.extend([package.purchased_at, package.expires_at, package.refundable_until]);
    }
    for offer in admin.offers().unwrap() {
        dates.extend(offer.active_at);
        dates.extend(offer.expires_at);
    }
    dates
}

#[test]
fn b8_a_step_whose_dates_would_pass_the_calendar_is_refused_and_changes_nothing() {
    let f = Fixture::new();
    let admin = f.admin();
    // A package bought in 9998 runs into 9999.
    f.clock.set(calendar_end() - days(500));
    let package = f.action_pack();
    let offer = admin.offers().unwrap().remove(0);
    admin.set_marketing_contact(f.mpn_admin, "marketing@outlook.com", "+1 425 555 0100", "en").unwrap();
    let hours = f.benefit(package, "advisory-hours").id;
    // About 9999-06-01: a 12-month term would end in the year 10000.
    f.clock.set(calendar_end() - days(213));
    let before = (picture(&admin), f.center.audit_log(f.org).unwrap());
    let purchase = admin.purchase_package("action-pack").unwrap_err();
    assert_eq!(purchase.code(), "precondition_failed", "{purchase}");
    assert!(purchase.to_string().contains("9999-12-31T23:59:59Z"), "{purchase}");
    // An offer running 365 days from then, too.
    let run = admin.activate_offer(offer.id).unwrap_err();
    assert_eq!(run.code(), "precondition_failed", "{run}");
    assert!(run.to_string().contains("9999-12-31T23:59:59Z"), "{run}");
    assert_eq!((picture(&admin), f.center.audit_log(f.org).unwrap()), before);
    // What fits is still done: a technical activation three days out.
    admin.activate_technical(hours, f.dev, "dev.alt@outlook.com").unwrap();
    assert!(shown_dates(&f).iter().all(|d| *d <= calendar_end()));
}

#[test]
fn b8_past_the_end_of_the_calendar_commands_are_refused_and_every_shown_date_fits() {
    let f = Fixture::new();
    let admin = f.admin();
    f.action_pack();
    f.clock.set(calendar_end() + days(400));
    let before = f.center.audit_log(f.org).unwrap();
    for err in [
        admin.purchase_package("action-pack").unwrap_err(),
        admin.add_user("Late Comer", "late@contoso.com", &[]).unwrap_err(),
        f.center.program().stock_keys("windows-server", sentinel_keys("windows-server", 1)).unwrap_err(),
        f.center.create_organization("Late Ltd", "partners@late.com", "Lee Late", "lee@late.com").unwrap_err(),
    ] {
        assert_eq!(err.code(), "precondition_failed", "{err}");
        assert!(err.to_string().contains("outside the supported calendar"), "{err}");
    }
    assert_eq!(f.center.audit_log(f.org).unwrap(), before);
    // The clock alone still catches up: the package expires, at its own date.
    f.center.process_due().unwrap();
    f.center.dispatch_mail().unwrap();
    assert_eq!(admin.packages().unwrap()[0].status, Status::Expired);
    assert!(shown_dates(&f).iter().all(|d| *d <= calendar_end()), "{:?}", shown_dates(&f));
    for entry in f.center.outbox().unwrap() {
        assert!(format!("{:?}", entry.delivery).contains("Sent"), "{entry:?}");
    }
}

/// A center over `store` with nothing cached, as a process that just started.
fn fresh_center(f: &Fixture) -> partner_benefits::BenefitCenter {
    partner_benefits::BenefitCenter::new(f.store.clone(), f.mailer.clone(), f.clock.clone(), catalog())
}

#[test]
fn b2_a_snapshot_that_does_not_decode_is_rebuilt_from_the_events() {
    use partner_benefits::StreamId;
    use partner_benefits::store::Snapshot;
    for events_after in [0, 3] {
        let f = Fixture::new();
        let package = f.action_pack();
        f.admin().assign_user(f.benefit(package, "visual-studio").id, f.dev).unwrap();
        let stream = StreamId::Organization(f.org);
        let latest = f.store.read_events(&stream, 0, usize::MAX).unwrap().len() as u64;
        let expected = picture(&f.admin());
        let unreadable = Snapshot { stream: stream.clone(), version: latest - events_after, state: "{\"not\": \"a state\"}".into() };
        f.store.save_snapshot(unreadable).unwrap();
        assert_eq!(f.store.load(&stream, 0).unwrap().snapshot.unwrap().version, latest - events_after, "the bad snapshot is in place");
        let reopened = fresh_center(&f).session(f.org, f.admin);
        assert_eq!(picture(&reopened), expected, "{events_after} events after the snapshot");
        // It was replaced by one that decodes, at the state's own version.
        let kept = f.store.load(&stream, 0).unwrap().snapshot.unwrap();
        assert_eq!(kept.version, latest, "{events_after} events after the snapshot");
        let decoded = partner_benefits::testing::OrganizationState::from_snapshot(&kept.state).unwrap();
        assert_eq!(decoded.version, latest);
        // And the organization takes new commands.
        reopened.purchase_package("action-pack").unwrap();
    }
}
