//! The host set-up against each kind of target.

use std::net::TcpListener;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use partner_benefits::{BenefitCenter, ManualClock};

use super::*;

/// A product of the built-in catalog with a key pool.
const PRODUCT: &str = "windows-server";

fn manual_clock() -> Option<Arc<ManualClock>> {
    Some(Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap())))
}

fn stocked(center: &BenefitCenter) -> u64 {
    center.program().key_pool(PRODUCT).unwrap().stocked
}

#[test]
fn memory_stocks_demo_keys_unless_told_not_to() {
    let center = open(&Target::Memory, HostOptions::default()).unwrap();
    assert_eq!(stocked(&center), u64::from(DEMO_KEYS_PER_POOL));
    let keys = center.program().key_pool(PRODUCT).unwrap();
    assert_eq!(keys.available, u64::from(DEMO_KEYS_PER_POOL));
    let bare = open(&Target::Memory, HostOptions { stock_demo_keys: Some(false), ..HostOptions::default() }).unwrap();
    assert_eq!(stocked(&bare), 0);
}

#[test]
fn a_sqlite_file_gets_demo_keys_only_under_a_manual_clock_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let target = Target::from_text(dir.path().join("benefits.db").to_str().unwrap());
    assert!(matches!(target, Target::Sqlite(_)));
    // The system clock is production: no demo keys.
    assert_eq!(stocked(&open(&target, HostOptions::default()).unwrap()), 0);
    // A manual clock is a test or a demo: keys go into the never-stocked pools...
    let demo = || HostOptions { clock: manual_clock(), ..HostOptions::default() };
    assert_eq!(stocked(&open(&target, demo()).unwrap()), u64::from(DEMO_KEYS_PER_POOL));
    // ...and a pool stocked once is never stocked again.
    assert_eq!(stocked(&open(&target, demo()).unwrap()), u64::from(DEMO_KEYS_PER_POOL));
}

#[test]
fn a_postgres_url_in_any_case_goes_to_postgres() {
    // A port nobody listens on: the driver is refused at once. The message
    // names PostgreSQL, so the URL went to the driver and not to a SQLite
    // file of that name (which the scheme with upper-case letters once did).
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    for scheme in ["postgres", "POSTGRES", "PostgreSQL", "postgresql"] {
        let target = Target::from_text(&format!("{scheme}://pb@127.0.0.1:{port}/benefits?connect_timeout=2"));
        assert!(matches!(target, Target::Postgres(_)), "{scheme}");
        let err = open(&target, HostOptions::default()).unwrap_err();
        assert_eq!(err.code(), "storage", "{scheme}: {err}");
        assert!(err.to_string().contains("PostgreSQL"), "{scheme}: {err}");
    }
}

#[test]
fn a_live_postgres_url_in_upper_case_opens_when_pgurl_is_set() {
    // PGURL names a throwaway server in scripts/test-python and test-kotlin;
    // a plain `cargo test` has none and checks the refusal above only.
    let Ok(url) = std::env::var("PGURL") else { return };
    let Some((_, rest)) = url.split_once("://") else { return };
    let center = open(&Target::from_text(&format!("POSTGRESQL://{rest}")), HostOptions::default()).unwrap();
    assert!(center.program().organizations().is_ok());
}

#[test]
fn without_a_mailer_mail_stays_queued() {
    let center = open(&Target::Memory, HostOptions { clock: manual_clock(), ..HostOptions::default() }).unwrap();
    let org = center.create_organization("Contoso Ltd", "partners@contoso.com", "Avery Admin", "avery@contoso.com").unwrap();
    // Assigning a Visual Studio seat mails the new holder.
    let admin = center.session(org.id, org.admin_id);
    let package = admin.purchase_package("action-pack").unwrap();
    let dev = admin.add_user("Devon Dev", "devon@contoso.com", &[]).unwrap();
    let seat = admin.benefits(package).unwrap().into_iter().find(|b| b.code == "visual-studio").unwrap();
    admin.assign_user(seat.id, dev).unwrap();
    let report = center.dispatch_mail().unwrap();
    let outbox = center.outbox().unwrap();
    assert_eq!(report.sent, 0);
    assert!(!outbox.is_empty() && report.failed as usize == outbox.len());
    for entry in outbox {
        let partner_benefits::lifecycle::delivery::DeliveryState::Failed { last_error, .. } = entry.delivery else {
            panic!("{:?} left the outbox", entry.mail.id)
        };
        assert!(last_error.contains("no mailer"), "{last_error}");
    }
}

#[test]
fn a_bad_catalog_is_refused_before_the_store_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    let target = Target::Sqlite(path.clone());
    let err = open(&target, HostOptions { catalog: Some("{}".into()), ..HostOptions::default() }).unwrap_err();
    assert_eq!(err.code(), "invalid_catalog");
    assert!(!path.exists());
}
