//! Export and import: a whole store moves to an empty one, organization by
//! organization the same, with the key vault only when asked for; a bad or
//! cut-short export, or a target that is not empty, changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::sync::Arc;

use partner_benefits::sealing::Keyring;
use partner_benefits::transfer::{self, ExportKeys, Record, TransferCounts};
use partner_benefits::{BenefitCenter, Category, MemoryStore, RecordingMailer, Store};
use partner_benefits_scenarios::*;
use partner_benefits_sqlite::SqliteStore;

/// A store with history: two organizations, a package, a seat, revealed keys, mail due.
fn populated() -> Fixture {
    let f = Fixture::new();
    let package = f.action_pack();
    f.admin().assign_user(f.benefit(package, "visual-studio").id, f.dev).unwrap();
    f.admin().get_keys(f.benefit(package, "windows-server").id, "en", "x64").unwrap();
    populate(&f.center, "Fabrikam", "partners@fabrikam.com", "fabrikam.com");
    f
}

fn exported(store: &dyn Store, keys: ExportKeys<'_>) -> (Vec<Record>, TransferCounts) {
    let mut records = Vec::new();
    let counts = transfer::export(
        store,
        keys,
        &mut |r| {
            records.push(r);
            Ok(())
        },
        &mut |_| {},
    )
    .unwrap();
    (records, counts)
}

fn center_on(f: &Fixture, store: Arc<dyn Store>) -> BenefitCenter {
    BenefitCenter::new(store, Arc::new(RecordingMailer::new()), f.clock.clone(), catalog())
}

/// Every organization reads the same on both centers, and the pools count the same.
fn assert_same(from: &BenefitCenter, to: &BenefitCenter) {
    let orgs = from.store().organizations().unwrap();
    assert_eq!(to.store().organizations().unwrap(), orgs);
    for org in orgs {
        let admin = partner_benefits::UserId::new(org, 1);
        assert_eq!(picture(&to.session(org, admin)), picture(&from.session(org, admin)), "{org}");
        assert_eq!(to.audit_log(org).unwrap(), from.audit_log(org).unwrap(), "{org}");
    }
    for product in PRODUCTS {
        assert_eq!(to.program().key_pool(product).unwrap(), from.program().key_pool(product).unwrap());
    }
    let due = |c: &BenefitCenter| c.outbox().unwrap().into_iter().filter(|m| m.delivery.is_due()).map(|m| m.mail).collect::<Vec<_>>();
    assert_eq!(due(to), due(from));
    assert!(!due(from).is_empty(), "the fixture has mail to carry");
}

#[test]
fn a_store_moves_whole_to_an_empty_one_with_its_keys() {
    let f = populated();
    let package = f.admin().packages().unwrap()[0].id;
    let windows = f.benefit(package, "windows-server").id;
    let here = f.admin().get_keys(windows, "en", "x64").unwrap();
    let (records, counts) = exported(f.store.as_ref(), ExportKeys::Clear);
    let stocked: u64 = PRODUCTS.iter().map(|p| f.center.program().key_pool(p).unwrap().stocked).sum();
    assert!(counts.events > 20 && counts.keys == stocked && counts.mails > 0, "{counts:?}");
    let dir = tempfile::tempdir().unwrap();
    for target in [Arc::new(MemoryStore::new()) as Arc<dyn Store>, Arc::new(SqliteStore::open(dir.path().join("to.db")).unwrap())] {
        assert_eq!(transfer::import(target.as_ref(), records.clone(), &Keyring::none()).unwrap(), counts);
        let to = center_on(&f, Arc::clone(&target));
        assert_same(&f.center, &to);
        assert_eq!(exported(target.as_ref(), ExportKeys::Clear).0.len(), records.len(), "the target exports as many records");
        // The keys came too: the same ones are revealed, and new ones are handed out.
        let there = to.session(f.org, f.admin).get_keys(windows, "en", "x64").unwrap();
        assert_eq!(there.keys, here.keys);
        let bought = to.session(f.org, f.admin).purchase_package("action-pack").unwrap();
        assert!(
            to.session(f.org, f.admin).get_keys(benefit(&to.session(f.org, f.admin), bought, "windows-server").id, "en", "x64").is_ok()
        );
        // A new organization gets a new number, not an imported one.
        let fresh = to.create_organization("Tailspin", "p@tailspin.com", "Tia Admin", "tia@tailspin.com").unwrap();
        assert!(fresh.id.number() > 2, "{}", fresh.id);
        // Exporting the target again gives the same records.
        let again = exported(target.as_ref(), ExportKeys::Clear).0;
        assert_eq!(again.iter().filter(|r| matches!(r, Record::Key { .. })).count() as u64, stocked);
    }
}

#[test]
fn b3_keys_exported_sealed_hold_none_in_clear_and_import_only_with_that_vault_key() {
    let f = populated();
    let package = f.admin().packages().unwrap()[0].id;
    let windows = f.benefit(package, "windows-server").id;
    let here = f.admin().get_keys(windows, "en", "x64").unwrap();
    let old = partner_benefits::conformance::vault::ring(1, &[]);
    let records = exported(f.store.as_ref(), ExportKeys::Sealed(&old)).0;
    let sealed = records.iter().filter(|r| matches!(r, Record::SealedKey { .. })).count() as u64;
    let stocked: u64 = PRODUCTS.iter().map(|p| f.center.program().key_pool(p).unwrap().stocked).sum();
    assert_eq!(sealed, stocked);
    assert!(!records.iter().any(|r| matches!(r, Record::Key { .. })));
    // No key in the file's text: not the sentinel, not any revealed key.
    let text: String = records.iter().map(|r| serde_json::to_string(r).unwrap() + "\n").collect();
    assert!(!text.contains(SENTINEL));
    for key in &here.keys {
        assert!(!text.contains(key.reveal()), "a revealed key is in clear in the sealed export");
    }
    // Without that vault key the import is refused and writes nothing.
    for ring in [Keyring::none(), partner_benefits::conformance::vault::ring(2, &[])] {
        let target = MemoryStore::new();
        let err = transfer::import(&target, records.clone(), &ring).unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{err}");
        assert!(err.to_string().contains(old.current_id().unwrap()), "{err}");
        assert!(target.organizations().unwrap().is_empty() && target.changes(0, 1).unwrap().is_empty());
    }
    // Into a store sealed under a new key, the old one given as previous: the same keys.
    let dir = tempfile::tempdir().unwrap();
    let new = partner_benefits::conformance::vault::ring(2, &[1]);
    let options =
        partner_benefits_sqlite::SqliteOptions { vault: partner_benefits::conformance::vault::ring(2, &[]), ..Default::default() };
    let target: Arc<dyn Store> = Arc::new(SqliteStore::open_with(dir.path().join("to.db"), options).unwrap());
    transfer::import(target.as_ref(), records, &new).unwrap();
    let status = target.vault_status().unwrap();
    assert_eq!((status.clear, status.sealed.values().sum::<u64>()), (0, stocked), "sealed anew under the target's key");
    let to = center_on(&f, target);
    assert_eq!(to.session(f.org, f.admin).get_keys(windows, "en", "x64").unwrap().keys, here.keys);
    // Sealed needs a key to seal under.
    let mut sink = |_: Record| Ok(());
    let err = transfer::export(f.store.as_ref(), ExportKeys::Sealed(&Keyring::none()), &mut sink, &mut |_| {}).unwrap_err();
    assert_eq!(err.code(), "precondition_failed");
}

#[test]
fn b3_keys_leave_the_store_only_when_asked_for() {
    let f = populated();
    let (records, counts) = exported(f.store.as_ref(), ExportKeys::Omit);
    assert_eq!(counts.keys, 0);
    let text: String = records.iter().map(|r| serde_json::to_string(r).unwrap()).collect();
    assert!(!text.contains(SENTINEL), "a key in an export without keys");
    let (with_keys, _) = exported(f.store.as_ref(), ExportKeys::Clear);
    assert!(with_keys.iter().map(|r| serde_json::to_string(r).unwrap()).any(|line| line.contains(SENTINEL)));
    assert!(!format!("{with_keys:?}").contains(SENTINEL), "Debug of the records shows no key");
    // Imported without keys: the organizations are all there; the pools' keys are not.
    let target: Arc<dyn Store> = Arc::new(MemoryStore::new());
    transfer::import(target.as_ref(), records, &Keyring::none()).unwrap();
    let to = center_on(&f, Arc::clone(&target));
    let vs = to.session(f.org, f.admin).benefits_in(Category::VisualStudio).unwrap();
    assert_eq!(vs[0].assigned_users, vec![f.dev]);
    let windows =
        to.session(f.org, f.admin).benefits_in(Category::Software).unwrap().into_iter().find(|b| b.code == "windows-server").unwrap();
    assert_eq!(to.session(f.org, f.admin).get_keys(windows.id, "en", "x64").unwrap_err().code(), "storage", "the vault slots are empty");
}

#[test]
fn a_bad_export_or_a_store_in_use_changes_nothing() {
    let f = populated();
    let (records, _) = exported(f.store.as_ref(), ExportKeys::Clear);
    let cut = |n: usize| records[..records.len() - n].to_vec();
    let mut gap = records.clone();
    let at = gap.iter().position(|r| matches!(r, Record::Event(e) if e.version == 2)).unwrap();
    gap.remove(at);
    let mut stray = records.clone();
    if let Some(Record::Key { slot, .. }) = stray.iter_mut().find(|r| matches!(r, Record::Key { .. })) {
        *slot = 9_999;
    }
    let mut twice = records.clone();
    twice.extend(records.clone());
    // A key record naming a claim no purchase recorded, and one claim's key
    // records short of what its purchase holds.
    let claimed = |r: &Record| matches!(r, Record::Key { claim: Some(_), .. });
    let mut unknown = records.clone();
    if let Some(Record::Key { claim: Some(claim), .. }) = unknown.iter_mut().find(|r| claimed(r)) {
        claim.benefit_index = 99;
    }
    let mut short = records.clone();
    if let Some(Record::Key { claim, .. }) = short.iter_mut().find(|r| claimed(r)) {
        *claim = None;
    }
    let mut future = records.clone();
    if let Some(Record::Header { format, .. }) = future.first_mut() {
        *format = transfer::TRANSFER_FORMAT + 1;
    }
    let bad: Vec<(&str, Vec<Record>)> = vec![
        ("no end record", cut(1)),
        ("counts", {
            let mut r = cut(2);
            r.push(records.last().unwrap().clone());
            r
        }),
        ("jumps to version", gap),
        ("never stocked", stray),
        ("records after the end", twice),
        ("which no purchase recorded", unknown),
        ("by the key records", short),
        ("this release reads formats 1 to", future),
        ("does not start with a header", records[1..].to_vec()),
    ];
    for (reason, bad) in bad {
        let target = MemoryStore::new();
        let err = transfer::import(&target, bad, &Keyring::none()).unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{reason}: {err}");
        assert!(err.to_string().contains(reason), "{reason}: {err}");
        assert!(target.changes(0, 10).unwrap().is_empty() && target.organizations().unwrap().is_empty(), "{reason}: something was written");
        assert!(target.outbox().unwrap().is_empty());
    }
    // Into a store in use: refused, and it keeps what it had.
    let before = exported(f.store.as_ref(), ExportKeys::Clear).0;
    let err = transfer::import(f.store.as_ref(), records, &Keyring::none()).unwrap_err();
    assert_eq!(err.code(), "precondition_failed", "{err}");
    assert_eq!(exported(f.store.as_ref(), ExportKeys::Clear).0, before);
}

#[test]
fn an_export_of_format_1_without_claims_still_imports() {
    // 0.1.0 wrote format 1: its purchases took slot ranges, told by the
    // pools' events, and its key records name no claim. The committed
    // fixture is copied first: opening it in place would add files beside it.
    let dir = tempfile::tempdir().unwrap();
    let from = dir.path().join("benefits.db");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/v0_1_0/benefits.db"), &from).unwrap();
    let store = Arc::new(SqliteStore::open(&from).unwrap());
    let (mut records, _) = exported(store.as_ref(), ExportKeys::Clear);
    assert!(records.iter().all(|r| !matches!(r, Record::Key { claim: Some(_), .. })), "0.1.0 purchases claim nothing");
    if let Some(Record::Header { format, .. }) = records.first_mut() {
        *format = 1;
    }
    // Into memory and into a new SQLite file: the file's own connection runs
    // without the trigger that marks ranges an older release hands out, so
    // the import's claims alone must mark them.
    let targets: [Arc<dyn Store>; 2] = [Arc::new(MemoryStore::new()), Arc::new(SqliteStore::open(dir.path().join("imported.db")).unwrap())];
    for target in targets {
        transfer::import(target.as_ref(), records.clone(), &Keyring::none()).unwrap();
        let f = Fixture::unstocked();
        let (old, new) = (center_on(&f, store.clone()), center_on(&f, target.clone()));
        let windows = partner_benefits::values::Code::parse("product", "windows-server").unwrap();
        let before = new.program().key_pool("windows-server").unwrap();
        for product in PRODUCTS {
            let pool = new.program().key_pool(product).unwrap();
            assert_eq!(pool, old.program().key_pool(product).unwrap(), "{product}");
            assert!(pool.allocated > 0, "{product}: the fixture handed keys out");
        }
        // A purchase on the imported store takes none of the keys handed out before.
        let handed_out: Vec<String> = target
            .vault_keys(&windows, 0, u32::try_from(before.allocated).unwrap())
            .unwrap()
            .iter()
            .map(|k| k.reveal().to_owned())
            .collect();
        let org = partner_benefits::OrganizationId::new(3);
        let admin = new.session(org, partner_benefits::UserId::new(org, 1));
        let package = admin.purchase_package("action-pack").unwrap();
        let bought = benefit(&admin, package, "windows-server");
        let keys = admin.get_keys(bought.id, "en", "x64").unwrap().keys;
        assert_eq!(keys.len(), 1);
        assert!(!handed_out.contains(&keys[0].reveal().to_owned()), "a key handed out by 0.1.0 went out again");
        assert_eq!(new.program().key_pool("windows-server").unwrap().allocated, before.allocated + 1);
    }
}

#[test]
fn an_address_and_a_language_0_1_0_took_but_the_door_now_refuses_still_load_and_get_mail() {
    // 0.1.0 took `lee..legacy@contoso.com` and `de-AT-`; `Email::parse` and
    // `Language::parse` refuse them now. Stored, they must load unchanged.
    let f = Fixture::new();
    let lee = f.admin().add_user_with_language("Lee Legacy", "lee@contoso.com", &[], Some("de-AT")).unwrap();
    let (records, _) = exported(f.store.as_ref(), ExportKeys::Clear);
    let old: Vec<Record> = records
        .iter()
        .map(|r| {
            let text = serde_json::to_string(r)
                .unwrap()
                .replace("\"lee@contoso.com\"", "\"lee..legacy@contoso.com\"")
                .replace("\"de-AT\"", "\"de-AT-\"");
            serde_json::from_str(&text).unwrap()
        })
        .collect();
    assert_ne!(old, records, "the export named the address and the tag");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    transfer::import(&SqliteStore::open(&path).unwrap(), old, &Keyring::none()).unwrap();
    // A process that opens the file reads the events back from it.
    let to = center_on(&f, Arc::new(SqliteStore::open(&path).unwrap()));
    let admin = to.session(f.org, f.admin);
    let user = admin.users().unwrap().into_iter().find(|u| u.id == lee).unwrap();
    assert_eq!((user.email.as_str(), user.language.as_str()), ("lee..legacy@contoso.com", "de-AT-"));
    // The same text at the door is refused.
    for (email, language) in [("lee..legacy@contoso.com", None), ("lee2@contoso.com", Some("de-AT-"))] {
        assert_eq!(admin.add_user_with_language("Lee Again", email, &[], language).unwrap_err().code(), "invalid_input");
    }
    // Mail still reaches it, in English: `de-AT-` has no templates of its own.
    let package = admin.purchase_package("action-pack").unwrap();
    admin.assign_user(benefit(&admin, package, "visual-studio").id, lee).unwrap();
    let mail =
        to.outbox().unwrap().into_iter().map(|e| e.mail).find(|m| m.to.iter().any(|t| t.as_str() == "lee..legacy@contoso.com")).unwrap();
    assert_eq!(mail.language.as_str(), "en");
}
