//! Called from inside a tokio runtime, as most Rust services would: every
//! call works (the synchronous client would otherwise panic there), on both
//! runtime flavours, and through `spawn_blocking`, the recommended way.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use partner_benefits::{BenefitCenter, Catalog, Category, LicenseKey, ManualClock, RecordingMailer, Store};

fn center_on(store: Arc<dyn Store>) -> BenefitCenter {
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().unwrap();
    BenefitCenter::new(store, Arc::new(RecordingMailer::new()), Arc::new(ManualClock::new(at)), Catalog::builtin().unwrap())
}

/// Connect, stock, buy, assign, read, catch up, dispatch, read the feed, drop.
fn every_kind_of_call(url: &str, tag: &str) {
    let center = center_on(common::fresh(url, tag));
    for product in ["windows-server", "office-professional-plus", "microsoft-365-e3"] {
        let keys = (0..10).map(|i| LicenseKey::new(format!("ASYNC-{tag}-{product}-{i}")).unwrap()).collect();
        center.program().stock_keys(product, keys).unwrap();
    }
    let org = center.create_organization("Contoso", "p@example.com", "Avery Admin", "avery@example.com").unwrap();
    let admin = center.session(org.id, org.admin_id);
    let dev = admin.add_user("Devon Dev", "devon@example.com", &[]).unwrap();
    admin.purchase_package("action-pack").unwrap();
    let vs = admin.benefits_in(Category::VisualStudio).unwrap().remove(0);
    admin.assign_user(vs.id, dev).unwrap();
    assert_eq!(admin.benefit(vs.id).unwrap().assigned_users, vec![dev]);
    center.process_due().unwrap();
    assert_eq!(center.dispatch_mail().unwrap().sent, 1);
    assert!(center.changes(0, 100).unwrap().len() > 3);
    // Dropping the last handle closes the connections, inside the runtime too.
    drop(admin);
    drop(center);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_works_on_a_multi_threaded_runtime() {
    let Some(url) = common::pg_url("every_call_works_on_a_multi_threaded_runtime") else { return };
    every_kind_of_call(&url, "async_multi");
}

#[tokio::test(flavor = "current_thread")]
async fn every_call_works_on_a_current_thread_runtime() {
    let Some(url) = common::pg_url("every_call_works_on_a_current_thread_runtime") else { return };
    every_kind_of_call(&url, "async_current");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_blocking_runs_calls_off_the_async_threads() {
    let Some(url) = common::pg_url("spawn_blocking_runs_calls_off_the_async_threads") else { return };
    let center = center_on(common::fresh(&url, "async_blocking"));
    let made = {
        let center = center.clone();
        tokio::task::spawn_blocking(move || center.create_organization("Contoso", "p@example.com", "Avery Admin", "avery@example.com"))
    };
    let org = made.await.unwrap().unwrap();
    let users = tokio::task::spawn_blocking(move || center.session(org.id, org.admin_id).users()).await.unwrap().unwrap();
    assert_eq!(users.len(), 1);
}
