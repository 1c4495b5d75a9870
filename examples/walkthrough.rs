//! The seed article end to end, on the embedded SQLite default.
//!
//! `cargo run --example walkthrough [PATH]` writes to `PATH` (default
//! `partner-benefits-walkthrough.db` in the current folder). Run it twice:
//! the second run finds the first run's organization and mail in the file.

use std::process::ExitCode;
use std::sync::Arc;

use chrono::Duration;
use partner_benefits::{
    BenefitCenter, BenefitView, Catalog, Category, Error, LicenseKey, ManualClock, Phase, RecordingMailer, Role, Session, Status,
};
use partner_benefits_sqlite::SqliteStore;
use rust_decimal::Decimal;

const PRODUCTS: [&str; 3] = ["windows-server", "office-professional-plus", "microsoft-365-e3"];

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("walkthrough failed [{}]: {err}", err.code());
            ExitCode::FAILURE
        }
    }
}

fn say(step: &str) {
    println!("\n== {step}");
}

/// Prints a refusal the walkthrough expects, and fails if there was none.
fn expect_refusal<T>(what: &str, result: Result<T, Error>) -> Result<(), Error> {
    match result {
        Err(err) => {
            println!("   refused as expected ({what}): [{}] {err}", err.code());
            Ok(())
        }
        Ok(_) => Err(Error::storage(format!("`{what}` should have been refused"))),
    }
}

fn first_in(session: &Session, category: Category, code: &str) -> Result<BenefitView, Error> {
    session
        .benefits_in(category)?
        .into_iter()
        .rev()
        .find(|b| b.code == code)
        .ok_or_else(|| Error::storage(format!("the catalog has no `{code}` benefit")))
}

fn run() -> Result<(), Error> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "partner-benefits-walkthrough.db".to_string());
    let store = Arc::new(SqliteStore::open(&path)?);
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let mailer = Arc::new(RecordingMailer::new());
    let center = BenefitCenter::new(store, mailer.clone(), clock.clone(), Catalog::builtin()?);

    say(&format!("SQLite file: {path}"));
    let earlier = center.program().organizations()?;
    println!("   organizations already in the file: {}", earlier.len());
    let pending = center.outbox()?.iter().filter(|m| m.delivery.is_due()).count();
    println!("   mails already in the outbox: {} ({pending} not yet sent)", center.outbox()?.len());
    let feed_start = feed_end(&center, 0)?;
    println!("   changes already in the feed: {feed_start}");

    say("Program stocks the key pools (the host acting for the program)");
    for product in PRODUCTS {
        let pool = center.program().key_pool(product)?;
        if pool.available < 10 {
            let base = pool.stocked;
            let keys =
                (base..base + 20).map(|n| LicenseKey::new(format!("{}-{n:05}", product.to_uppercase()))).collect::<Result<_, _>>()?;
            center.program().stock_keys(product, keys)?;
        }
        println!("   {product}: {} keys available", center.program().key_pool(product)?.available);
    }

    say("A partner company signs up; its first user is a Global admin (R04)");
    let run_number = earlier.len() + 1;
    let org = center.create_organization(
        &format!("Contoso Ltd (run {run_number})"),
        "partners@contoso.com",
        "Avery Admin",
        "avery@contoso.com",
    )?;
    println!("   {} `{}` with Global admin {}", org.id, org.name, org.admin_id);
    let admin = center.session(org.id, org.admin_id);

    say("Account settings: add users with roles (R01, R05)");
    let blake = admin.add_user("Blake Buyer", "blake@contoso.com", &[Role::MpnPartnerAdmin])?;
    let devon = admin.add_user("Devon Dev", "devon@contoso.com", &[])?;
    let uma = admin.add_user_with_language("Uma Wang", "uma@contoso.com", &[Role::UserAdmin], Some("zh-CN"))?;
    let casey = admin.add_user("Casey Coder", "casey@contoso.com", &[])?;
    for user in admin.users()? {
        let roles: Vec<_> = user.roles.iter().map(|r| r.title()).collect();
        println!("   {} {:<12} roles: {}", user.id, user.name, if roles.is_empty() { "-".into() } else { roles.join(", ") });
    }

    say("An MPN partner admin buys the Action Pack: no Global admin needed (R02)");
    let buyer = center.session(org.id, blake);
    let package = buyer.purchase_package("action-pack")?;
    let bought = admin.package(package)?;
    println!("   {} {} for {}, expires {}", bought.id, bought.name, bought.price, bought.expires_at.format("%Y-%m-%d"));
    let vs = first_in(&admin, Category::VisualStudio, "visual-studio")?;
    expect_refusal("only a Global admin assigns benefits (R03)", buyer.assign_user(vs.id, devon))?;

    say("Benefits page: everything by category (R07)");
    for category in Category::ALL {
        let names: Vec<_> = admin.benefits_in(category)?.into_iter().filter(|b| b.package_id == package).map(|b| b.name).collect();
        println!("   {category:?}: {}", names.join("; "));
    }

    say("Software: Get keys in a language and OS (R08-R11); this activates it (P1)");
    let windows = first_in(&admin, Category::Software, "windows-server")?;
    expect_refusal("the language must be one the product offers (R09)", admin.get_keys(windows.id, "fr", "x64"))?;
    let keys = admin.get_keys(windows.id, "zh-CN", "x64")?;
    println!("   {}: {} key(s) revealed to the admin (not printed: {:?})", keys.product, keys.keys.len(), keys.keys);
    println!("   download: {}", keys.download_links.join(", "));
    println!("   instructions: {}", keys.special_instructions);

    say("Cloud: assign yourself to Azure (R12); Get keys for the license-based subscription (R13, P4)");
    let azure = first_in(&admin, Category::Cloud, "azure-credit")?;
    expect_refusal("Azure is activated by assigning yourself", admin.assign_user(azure.id, devon))?;
    admin.assign_user(azure.id, org.admin_id)?;
    let credit = admin.benefit(azure.id)?.monthly_credit.map(|m| m.to_string()).unwrap_or_default();
    println!("   Azure usage-based subscription active, monthly credit {credit} (P6)");
    let m365 = first_in(&admin, Category::Cloud, "microsoft-365")?;
    let licences = admin.get_license_keys(m365.id)?;
    let term = admin.benefit(m365.id)?.expires_at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default();
    println!("   {}: {} key(s), term runs until {term}", licences.product, licences.keys.len());

    say("Visual Studio: assign, then reassign (R14-R16)");
    admin.assign_user(vs.id, devon)?;
    admin.assign_user(vs.id, uma)?;
    admin.reassign_user(vs.id, uma, casey)?;
    let seats = admin.benefit(vs.id)?;
    let holders: Vec<_> = seats.assigned_users.iter().map(|u| u.to_string()).collect();
    println!("   {} of {} subscriptions assigned: {}", holders.len(), seats.seats, holders.join(", "));

    say("Bulk assignment: preview new hires with a dry run, then assign them in one commit");
    let riley = admin.add_user("Riley New", "riley@contoso.com", &[])?;
    let sam = admin.add_user("Sam New", "sam@contoso.com", &[])?;
    let preview = admin.assign_users(vs.id, &[riley, sam, devon], true)?;
    for row in &preview {
        println!("   dry run {}: {}", row.user_id, row.code.as_deref().unwrap_or("ok"));
    }
    let assigned = admin.assign_users(vs.id, &[riley, sam, devon], false)?;
    println!(
        "   real run: {} of {} rows assigned, the same rows as the dry run: {}",
        assigned.iter().filter(|r| r.ok).count(),
        assigned.len(),
        assigned == preview
    );

    say("Offboarding: Casey leaves; their seat comes back in the same commit");
    expect_refusal("the last Global admin stays (R04)", admin.remove_user(org.admin_id))?;
    admin.remove_user(casey)?;
    admin.assign_user(vs.id, sam)?;
    println!("   users now: {}", admin.users()?.len());
    for usage in admin.usage()?.iter().filter(|u| u.package_id == package) {
        println!("   usage {}: {} of {} assigned, peak {}", usage.name, usage.assigned, usage.seats, usage.peak);
    }

    say("Technical benefit: assign with an alternate email (R18-R20)");
    let hours = first_in(&admin, Category::Technical, "advisory-hours")?;
    expect_refusal(
        "the alternate email must differ from the company's (R18)",
        admin.activate_technical(hours.id, devon, "partners@contoso.com"),
    )?;
    admin.activate_technical(hours.id, devon, "devon.support@outlook.com")?;
    let pending = admin.benefit(hours.id)?;
    println!("   {:?}, active from {}", pending.status, pending.active_at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default());

    say("Go-To-Market: a marketing contact first (R24, R25), then activate an offer (R22, R28)");
    let offer = buyer.offers()?.into_iter().find(|o| o.status == Status::Available).ok_or_else(|| Error::storage("no offer available"))?;
    expect_refusal("no offer before a marketing contact (R24)", buyer.activate_offer(offer.id))?;
    buyer.set_marketing_contact(uma, "uma.marketing@outlook.com", "+86 10 5555 0100", "zh-CN")?;
    let active_at = buyer.activate_offer(offer.id)?;
    println!("   {} `{}` pending until {}", offer.id, offer.name, active_at.format("%Y-%m-%d"));

    say("Three days later: the technical benefit is active; request advisory hours (R20, R21)");
    clock.advance(Duration::days(3));
    let request = admin.request_assistance(hours.id, Phase::Design, Decimal::new(25, 1), "Review of our hybrid identity design")?;
    let balance = admin.benefit(hours.id)?.balance.unwrap_or_default();
    println!("   {request} submitted; {balance} hours left");
    expect_refusal("more hours than the balance", admin.request_assistance(hours.id, Phase::Deployment, Decimal::from(50), "Too much"))?;

    say("Cancellation: a service request, refused after a key was revealed (R29, R30, P1)");
    expect_refusal("no refund after software activation", admin.cancel_package(package))?;
    for c in admin.cancellations()? {
        println!("   {} for {}: granted={} refusal={:?}", c.id, c.target, c.granted, c.refusal);
    }

    say("Two more days: the offer is Active with an expiry (R28)");
    clock.advance(Duration::days(2));
    let offer_now = buyer.offer(offer.id)?;
    println!("   {:?}, expires {}", offer_now.status, offer_now.expires_at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default());

    say("Three weeks before the package expires: reminders go to the Global admins, once each (P3)");
    let expires_at = admin.package(package)?.expires_at;
    clock.set(expires_at - Duration::days(21));
    let recorded = center.process_due()?;
    println!("   {recorded} due events recorded in the file (reminders and their mail)");
    println!("   {} recorded on a second run at the same moment", center.process_due()?);

    say("A year later: the offer and the package expire (R28)");
    clock.set(expires_at + Duration::days(10));
    let recorded = center.process_due()?;
    println!(
        "   {recorded} due events recorded; package is {:?}; offer is {:?}",
        admin.package(package)?.status,
        buyer.offer(offer.id)?.status
    );

    say("Mail: queued with each change (B6), sent by dispatch");
    let report = center.dispatch_mail()?;
    println!("   dispatched: {} sent, {} failed", report.sent, report.failed);
    for mail in mailer.sent().iter().filter(|m| m.organization == org.id) {
        let to: Vec<_> = mail.to.iter().map(|e| e.as_str()).collect();
        println!("   [{}] to {}: {}", mail.language, to.join(", "), mail.subject);
    }

    say("Audit log (B2): who did what when; no key in it (B3)");
    let log = admin.audit_log()?;
    println!("   {} events; the last five:", log.len());
    for entry in log.iter().rev().take(5).rev() {
        println!("   v{} {} {} {}", entry.version, entry.at.format("%Y-%m-%d"), entry.actor, entry.kind);
    }
    say("Changes feed: every committed event of every stream, in commit order, paged by position");
    let mut kinds: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let mut after = feed_start;
    loop {
        let page = center.changes(after, 100)?;
        let Some(last) = page.last() else { break };
        after = last.position;
        for change in &page {
            *kinds.entry(change.kind.clone()).or_default() += 1;
        }
    }
    println!("   this run added positions {} to {after}; most frequent kinds:", feed_start + 1);
    let mut frequent: Vec<_> = kinds.into_iter().collect();
    frequent.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    for (kind, count) in frequent.iter().take(5) {
        println!("   {count:>4} {kind}");
    }
    println!("\nDone. Run again to see this file keep every organization: {path}");
    Ok(())
}

/// The position of the last change after `after` (a host keeps this as its cursor).
fn feed_end(center: &BenefitCenter, mut after: u64) -> Result<u64, Error> {
    while let Some(last) = center.changes(after, partner_benefits::MAX_CHANGES_PAGE)?.last() {
        after = last.position;
    }
    Ok(after)
}
