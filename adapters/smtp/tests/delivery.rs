//! The SMTP mailer against a real recording SMTP server (aiosmtpd, started
//! by scripts/test-adapters): what arrives, in which language, and what
//! happens when the server is down.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{FROM, Recorder, assert_no_key, center, delivered, domain, header, one_mail, server, start, start_recorder};
use partner_benefits::lifecycle::delivery::DeliveryState;
use partner_benefits::{Category, Error, ManualClock};
use partner_benefits_smtp::{Credentials, SmtpConfig, SmtpMailer};

#[test]
fn assignment_mail_arrives_in_english_naming_benefit_and_organization() {
    let Some((host, port, dir)) = server("assignment_mail_arrives_in_english_naming_benefit_and_organization") else { return };
    let d = domain("en");
    let mailer = SmtpMailer::new(SmtpConfig::new(host, port, FROM)).unwrap();
    let center = center(Arc::new(mailer), Arc::new(ManualClock::new(start())));
    let org = center.create_organization("Contoso Pharma", &format!("partners@{d}"), "Avery Admin", &format!("avery@{d}")).unwrap();
    let admin = center.session(org.id, org.admin_id);
    let dev = admin.add_user("Devon Dev", &format!("devon@{d}"), &[]).unwrap();
    admin.purchase_package("action-pack").unwrap();
    let vs = admin.benefits_in(Category::VisualStudio).unwrap().remove(0);
    admin.assign_user(vs.id, dev).unwrap();
    // A key is revealed in the same organization: it must still never travel by mail.
    let software = admin.benefits_in(Category::Software).unwrap().remove(0);
    let revealed = admin.get_keys(software.id, "en", "x64").unwrap();
    assert!(!revealed.keys.is_empty());

    let report = center.dispatch_mail().unwrap();
    assert_eq!(report.failed, 0);
    let got = delivered(&dir, &d);
    assert_eq!(got.len(), report.sent as usize);
    let (record, raw) = got.iter().find(|(r, _)| header(r, "x-partner-benefits-topic") == "subscription_assigned").unwrap();
    assert_eq!(record["rcpt_tos"], serde_json::json!([format!("devon@{d}")]));
    assert_eq!(record["mail_from"], "benefits@partner.example");
    assert_eq!(header(record, "content-language"), "en");
    let mail = center.outbox().unwrap().into_iter().find(|e| e.mail.to[0].as_str() == format!("devon@{d}")).unwrap().mail;
    assert_eq!(header(record, "message-id"), format!("<{}@partner.example>", mail.id));
    let subject = record["subject"].as_str().unwrap();
    assert!(subject.contains("Contoso Pharma"), "{subject}");
    assert!(subject.contains(&vs.name), "subject names the benefit `{}`: {subject}", vs.name);
    assert_eq!(subject, mail.subject);
    let body = record["body"].as_str().unwrap();
    assert!(body.contains("Contoso Pharma") && body.contains(&vs.name) && body.contains("Next:"), "{body}");
    assert!(header(record, "content-type").starts_with("text/plain"));
    for (record, raw) in &got {
        assert_no_key(record, raw);
        for k in &revealed.keys {
            assert!(!raw.contains(k.reveal()), "a revealed key was mailed");
        }
    }
    assert_no_key(record, raw);
}

#[test]
fn chinese_recipient_gets_chinese_mail_and_unknown_language_falls_back_to_english() {
    let Some((host, port, dir)) = server("chinese_recipient_gets_chinese_mail_and_unknown_language_falls_back_to_english") else { return };
    let d = domain("zh");
    let mailer = SmtpMailer::new(SmtpConfig::new(host, port, FROM)).unwrap();
    let center = center(Arc::new(mailer), Arc::new(ManualClock::new(start())));
    let org = center.create_organization("康托索公司", &format!("partners@{d}"), "Avery Admin", &format!("avery@{d}")).unwrap();
    let admin = center.session(org.id, org.admin_id);
    let li = admin.add_user_with_language("李娜", &format!("li@{d}"), &[], Some("zh-CN")).unwrap();
    let hans = admin.add_user_with_language("Hans", &format!("hans@{d}"), &[], Some("de")).unwrap();
    admin.purchase_package("action-pack").unwrap();
    let vs = admin.benefits_in(Category::VisualStudio).unwrap().remove(0);
    admin.assign_user(vs.id, li).unwrap();
    admin.assign_user(vs.id, hans).unwrap();
    center.dispatch_mail().unwrap();

    let got = delivered(&dir, &d);
    let to = |who: &str| got.iter().find(|(r, _)| r["rcpt_tos"][0] == format!("{who}@{d}")).unwrap();
    let (zh, zh_raw) = to("li");
    assert_eq!(header(zh, "content-language"), "zh-CN");
    let subject = zh["subject"].as_str().unwrap();
    assert!(subject.contains("康托索公司") && subject.contains("已为你分配") && subject.contains(&vs.name), "{subject}");
    let body = zh["body"].as_str().unwrap();
    assert!(body.contains("下一步"), "{body}");
    assert!(!zh_raw.contains("康托索"), "non-ASCII text is MIME-encoded on the wire");
    assert_no_key(zh, zh_raw);

    let (de, de_raw) = to("hans");
    assert_eq!(header(de, "content-language"), "en", "no German templates: English fallback");
    assert!(de["subject"].as_str().unwrap().contains("you were assigned"));
    assert_no_key(de, de_raw);
}

#[test]
fn offer_mail_goes_to_the_marketing_contact_in_their_language() {
    let Some((host, port, dir)) = server("offer_mail_goes_to_the_marketing_contact_in_their_language") else { return };
    let d = domain("offer");
    let mailer = SmtpMailer::new(SmtpConfig::new(host, port, FROM)).unwrap();
    let center = center(Arc::new(mailer), Arc::new(ManualClock::new(start())));
    let org = center.create_organization("Fabrikam", &format!("partners@{d}"), "Avery Admin", &format!("avery@{d}")).unwrap();
    let admin = center.session(org.id, org.admin_id);
    // The acting admin reads English; the marketing contact prefers Chinese (R25).
    let mei = admin.add_user("Mei", &format!("mei@{d}"), &[]).unwrap();
    admin.set_marketing_contact(mei, &format!("mei.marketing@{d}"), "+86 10 5555 0100", "zh-CN").unwrap();
    admin.purchase_package("action-pack").unwrap();
    let offer = admin.offers().unwrap().remove(0);
    admin.activate_offer(offer.id).unwrap();
    center.dispatch_mail().unwrap();

    let got = delivered(&dir, &d);
    let (record, raw) = got.iter().find(|(r, _)| header(r, "x-partner-benefits-topic") == "offer_activation_pending").unwrap();
    let rcpts: Vec<&str> = record["rcpt_tos"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert!(rcpts.contains(&format!("mei.marketing@{d}").as_str()), "{rcpts:?}");
    assert_eq!(header(record, "content-language"), "zh-CN");
    let subject = record["subject"].as_str().unwrap();
    assert!(subject.contains("Fabrikam") && subject.contains(&offer.name), "{subject}");
    assert_no_key(record, raw);
}

#[test]
fn a_refused_connection_is_a_mail_error_and_the_mail_stays_queued() {
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mailer = SmtpMailer::new(SmtpConfig::new("127.0.0.1", port, FROM)).unwrap();
    let center = center(Arc::new(mailer), Arc::new(ManualClock::new(start())));
    one_mail(&center, &domain("down"));
    let report = center.dispatch_mail().unwrap();
    assert_eq!((report.sent, report.failed), (0, 1));
    match &center.outbox().unwrap()[0].delivery {
        DeliveryState::Failed { attempts: 1, last_error, .. } => assert!(last_error.contains("mail error"), "{last_error}"),
        other => panic!("expected a recorded failure, got {other:?}"),
    }
}

#[test]
fn smtp_down_then_up_queues_then_delivers_once() {
    let Some(_) = server("smtp_down_then_up_queues_then_delivers_once") else { return };
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("pb-smtp-down-up-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mailer = SmtpMailer::new(SmtpConfig { timeout: Duration::from_secs(3), ..SmtpConfig::new("127.0.0.1", port, FROM) }).unwrap();
    let clock = Arc::new(ManualClock::new(start()));
    let center = center(Arc::new(mailer), clock.clone());
    let d = domain("downup");
    let org = center.create_organization("Contoso", &format!("p@{d}"), "Avery Admin", &format!("avery@{d}")).unwrap();
    let admin = center.session(org.id, org.admin_id);
    let users: Vec<_> = (0..3).map(|i| admin.add_user(&format!("Dev {i}"), &format!("dev{i}@{d}"), &[]).unwrap()).collect();
    admin.purchase_package("action-pack").unwrap();
    let vs = admin.benefits_in(Category::VisualStudio).unwrap().remove(0);
    for user in &users {
        admin.assign_user(vs.id, *user).unwrap();
    }

    // Down: every mail stays queued with the error recorded, twice over
    // (each retry after its pause).
    for attempt in 1..=2u32 {
        let report = center.dispatch_mail().unwrap();
        assert_eq!((report.sent, report.failed), (0, 3));
        for entry in center.outbox().unwrap() {
            assert!(matches!(&entry.delivery, DeliveryState::Failed { attempts, .. } if *attempts == attempt), "{:?}", entry.delivery);
        }
        clock.advance(chrono::Duration::hours(1));
    }

    // Up: delivered once; later dispatches send nothing.
    let _recorder = Recorder { child: start_recorder("smtp_down_then_up", port, &dir, &[]).unwrap(), dir: dir.clone() };
    {
        let report = center.dispatch_mail().unwrap();
        assert_eq!((report.sent, report.failed), (3, 0));
        clock.advance(chrono::Duration::hours(1));
        assert_eq!(center.dispatch_mail().unwrap().sent, 0);
        for entry in center.outbox().unwrap() {
            assert!(matches!(entry.delivery, DeliveryState::Sent { attempts: 3, .. }), "{:?}", entry.delivery);
        }
        let got = delivered(&dir, &d);
        assert_eq!(got.len(), 3, "each mail arrived exactly once");
        let emls = std::fs::read_dir(&dir).unwrap().filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "eml")).count();
        assert_eq!(emls, 3);
    }
}

#[test]
fn a_silent_server_times_out_as_a_mail_error() {
    // Accepts TCP, never greets.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mailer = SmtpMailer::new(SmtpConfig { timeout: Duration::from_millis(500), ..SmtpConfig::new("127.0.0.1", port, FROM) }).unwrap();
    let center = center(Arc::new(mailer), Arc::new(ManualClock::new(start())));
    one_mail(&center, "silent.example");
    let started = Instant::now();
    assert_eq!(center.dispatch_mail().unwrap().failed, 1);
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(listener);
}

#[test]
fn credentials_never_show_in_debug_output() {
    let config = SmtpConfig {
        credentials: Some(Credentials::new("relay-user", "hunter2-secret")),
        ..SmtpConfig::new("smtp.partner.example", 587, FROM)
    };
    let shown = format!("{config:?}");
    assert!(shown.contains("relay-user") && !shown.contains("hunter2"), "{shown}");
    let mailer = SmtpMailer::new(config).unwrap();
    let shown = format!("{mailer:?}");
    assert!(!shown.contains("hunter2") && !shown.contains("relay-user"), "{shown}");
}

#[test]
fn a_bad_sender_or_host_is_invalid_input() {
    assert!(matches!(SmtpMailer::new(SmtpConfig::new("127.0.0.1", 25, "not an address")), Err(Error::InvalidInput { .. })));
    assert!(matches!(SmtpMailer::new(SmtpConfig::new(" ", 25, FROM)), Err(Error::InvalidInput { .. })));
}
