//! The migration path of a host that outgrows one machine: a SQLite store
//! exported and imported into PostgreSQL, and back, organization by
//! organization the same, keys included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use partner_benefits::sealing::Keyring;
use partner_benefits::transfer::{self, ExportKeys, Record};
use partner_benefits::{BenefitCenter, Catalog, Category, LicenseKey, ManualClock, RecordingMailer, Store, UserId};
use partner_benefits_sqlite::SqliteStore;

fn center_on(store: Arc<dyn Store>) -> BenefitCenter {
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().unwrap();
    BenefitCenter::new(store, Arc::new(RecordingMailer::new()), Arc::new(ManualClock::new(at)), Catalog::builtin().unwrap())
}

fn records_of(store: &dyn Store) -> Vec<Record> {
    let mut records = Vec::new();
    transfer::export(
        store,
        ExportKeys::Clear,
        &mut |r| {
            records.push(r);
            Ok(())
        },
        &mut |_| {},
    )
    .unwrap();
    records
}

/// What each organization's admin reads, and the pools' counts.
fn picture(center: &BenefitCenter) -> String {
    let mut out = String::new();
    for org in center.store().organizations().unwrap() {
        let admin = center.session(org, UserId::new(org, 1));
        out.push_str(&format!("{:?}\n{:?}\n{:?}\n", admin.users(), admin.packages(), admin.all_benefits()));
        out.push_str(&format!("{:?}\n", center.audit_log(org).unwrap()));
    }
    for product in ["windows-server", "office-professional-plus", "microsoft-365-e3"] {
        out.push_str(&format!("{:?}\n", center.program().key_pool(product)));
    }
    out
}

/// The tests take turns: one holds a transaction open, which holds the
/// server's changes feed back for everyone.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_sqlite_store_moves_to_postgresql_and_back() {
    let Some(url) = common::pg_url("a_sqlite_store_moves_to_postgresql_and_back") else { return };
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let source = center_on(Arc::new(SqliteStore::open(dir.path().join("from.db")).unwrap()));
    for product in ["windows-server", "office-professional-plus", "microsoft-365-e3"] {
        let keys = (0..20).map(|i| LicenseKey::new(format!("MOVE-{product}-{i}")).unwrap()).collect();
        source.program().stock_keys(product, keys).unwrap();
    }
    for name in ["Contoso", "Fabrikam"] {
        let org = source.create_organization(name, "p@example.com", "Avery Admin", "avery@example.com").unwrap();
        let admin = source.session(org.id, org.admin_id);
        let dev = admin.add_user("Devon Dev", "devon@example.com", &[]).unwrap();
        admin.purchase_package("action-pack").unwrap();
        admin.assign_user(admin.benefits_in(Category::VisualStudio).unwrap()[0].id, dev).unwrap();
    }
    let records = records_of(source.store().as_ref());

    let postgres: Arc<dyn Store> = common::fresh(&url, "transfer");
    transfer::import(postgres.as_ref(), records.clone(), &Keyring::none()).unwrap();
    let moved = center_on(Arc::clone(&postgres));
    assert_eq!(picture(&moved), picture(&source));
    // The keys moved too: the next purchase on PostgreSQL gets the next ones.
    let org = moved.store().organizations().unwrap()[0];
    let admin = moved.session(org, UserId::new(org, 1));
    let package = admin.purchase_package("action-pack").unwrap();
    let windows = admin.benefits(package).unwrap().into_iter().find(|b| b.code == "windows-server").unwrap();
    let revealed = admin.get_keys(windows.id, "en", "x64").unwrap();
    assert_eq!(revealed.keys.iter().map(|k| k.reveal().to_string()).collect::<Vec<_>>(), ["MOVE-windows-server-2"]);

    // And back: PostgreSQL exported into a new SQLite file reads the same as PostgreSQL.
    let back = center_on(Arc::new(SqliteStore::open(dir.path().join("back.db")).unwrap()));
    transfer::import(back.store().as_ref(), records_of(postgres.as_ref()), &Keyring::none()).unwrap();
    assert_eq!(picture(&back), picture(&moved));
}

#[test]
fn an_export_while_an_older_transaction_is_open_still_holds_every_committed_event() {
    let Some(url) = common::pg_url("an_export_while_an_older_transaction_is_open_still_holds_every_committed_event") else { return };
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let store: Arc<dyn Store> = common::fresh(&url, "transfer_open");
    let center = center_on(Arc::clone(&store));
    let org = center.create_organization("Contoso", "p@example.com", "Avery Admin", "avery@example.com").unwrap();
    let mut other = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let mut open = other.transaction().unwrap();
    open.query_one("SELECT pg_current_xact_id()", &[]).unwrap();
    center.session(org.id, org.admin_id).add_user("Devon Dev", "devon@example.com", &[]).unwrap();
    // The feed holds the new user back; the export does not miss it.
    let events = records_of(store.as_ref()).iter().filter(|r| matches!(r, Record::Event(_))).count();
    assert_eq!(events, 2, "the creation and the new user");
    open.rollback().unwrap();
}
