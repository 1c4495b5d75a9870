//! TLS against the real recorder (scripts/test-adapters): STARTTLS on
//! `SMTP_PORT`, implicit TLS on `SMTP_TLS_PORT`, a certificate for
//! `localhost` from a CA made for the run (`TLS_DIR/ca.crt`). The recorder
//! writes down, per message, the TLS version it arrived over and the AUTH
//! login, so each test checks what the server saw.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::{FROM, Recorder, center, delivered, domain, env_or_skip, free_port, one_mail, start, start_recorder};
use partner_benefits::lifecycle::delivery::DeliveryState;
use partner_benefits::{BenefitCenter, Error, ManualClock};
use partner_benefits_smtp::{Credentials, SmtpConfig, SmtpMailer, Tls};
use serde_json::Value;

/// The shared recorder's ports, its mail dir and the certificates.
struct Tlsd {
    starttls_port: u16,
    implicit_port: u16,
    dir: PathBuf,
    certs: PathBuf,
}

fn tls_server(test: &str) -> Option<Tlsd> {
    let (_, starttls_port, dir) = common::server(test)?;
    let implicit_port = env_or_skip("SMTP_TLS_PORT", test)?.parse().unwrap();
    let certs = PathBuf::from(env_or_skip("TLS_DIR", test)?);
    Some(Tlsd { starttls_port, implicit_port, dir, certs })
}

fn config(host: &str, port: u16, tls: Tls, ca: Option<PathBuf>) -> SmtpConfig {
    SmtpConfig { tls, tls_ca_file: ca, ..SmtpConfig::new(host, port, FROM) }
}

/// A center sending through `config`, with one mail queued for a fresh domain.
fn queued(config: SmtpConfig, tag: &str) -> (BenefitCenter, String) {
    let center = center(Arc::new(SmtpMailer::new(config).unwrap()), Arc::new(ManualClock::new(start())));
    let d = domain(tag);
    one_mail(&center, &d);
    (center, d)
}

/// Dispatches; the one mail must arrive: its record.
fn delivered_once(center: &BenefitCenter, dir: &std::path::Path, d: &str) -> Value {
    let report = center.dispatch_mail().unwrap();
    assert_eq!((report.sent, report.failed), (1, 0), "{:?}", center.outbox().unwrap()[0].delivery);
    let got = delivered(dir, d);
    assert_eq!(got.len(), 1);
    got.into_iter().next().unwrap().0
}

/// Dispatches; the one mail must fail, stay queued and not arrive: the recorded error.
fn refused(center: &BenefitCenter, dir: &std::path::Path, d: &str) -> String {
    let report = center.dispatch_mail().unwrap();
    assert_eq!((report.sent, report.failed), (0, 1));
    assert!(delivered(dir, d).is_empty(), "the mail arrived anyway");
    let outbox = center.outbox().unwrap();
    match &outbox[0].delivery {
        DeliveryState::Failed { attempts: 1, last_error, .. } => last_error.clone(),
        other => panic!("expected the mail queued with its error, got {other:?}"),
    }
}

fn assert_tls(record: &Value) {
    let version = record["tls"].as_str().unwrap_or_else(|| panic!("arrived in plain: {record}"));
    assert!(version == "TLSv1.3" || version == "TLSv1.2", "{version}");
}

#[test]
fn starttls_delivers_over_tls_checked_against_the_ca() {
    let Some(s) = tls_server("starttls_delivers_over_tls_checked_against_the_ca") else { return };
    let (center, d) = queued(config("localhost", s.starttls_port, Tls::StartTls, Some(s.certs.join("ca.crt"))), "starttls");
    let record = delivered_once(&center, &s.dir, &d);
    assert_tls(&record);
    assert_eq!(record["rcpt_tos"], serde_json::json!([format!("devon@{d}")]));
    assert!(record["auth_login"].is_null());
}

#[test]
fn credentials_are_sent_only_inside_tls() {
    let Some(s) = tls_server("credentials_are_sent_only_inside_tls") else { return };
    let login = || Some(Credentials::new("relay-user", "relay-pass"));
    let ca = Some(s.certs.join("ca.crt"));
    let (center, d) =
        queued(SmtpConfig { credentials: login(), ..config("localhost", s.starttls_port, Tls::StartTls, ca.clone()) }, "auth");
    let record = delivered_once(&center, &s.dir, &d);
    assert_tls(&record);
    assert_eq!(record["auth_login"], "relay-user");
    // The same login over implicit TLS.
    let (center, d) = queued(SmtpConfig { credentials: login(), ..config("localhost", s.implicit_port, Tls::Implicit, ca) }, "auth465");
    let record = delivered_once(&center, &s.dir, &d);
    assert_tls(&record);
    assert_eq!(record["auth_login"], "relay-user");
}

#[test]
fn implicit_tls_delivers() {
    let Some(s) = tls_server("implicit_tls_delivers") else { return };
    let (center, d) = queued(config("localhost", s.implicit_port, Tls::Implicit, Some(s.certs.join("ca.crt"))), "smtps");
    assert_tls(&delivered_once(&center, &s.dir, &d));
}

#[test]
fn a_wrong_ca_is_a_mail_error_and_the_mail_stays_queued() {
    let Some(s) = tls_server("a_wrong_ca_is_a_mail_error_and_the_mail_stays_queued") else { return };
    let wrong = s.certs.join("other-ca.crt");
    for (port, tls, tag) in [(s.starttls_port, Tls::StartTls, "wrongca"), (s.implicit_port, Tls::Implicit, "wrongca465")] {
        let (center, d) = queued(config("localhost", port, tls, Some(wrong.clone())), tag);
        let error = refused(&center, &s.dir, &d);
        assert!(error.contains("TLS with the SMTP server localhost:"), "{error}");
        assert!(error.contains("not signed by the CA in") && error.contains("other-ca.crt"), "{error}");
    }
}

#[test]
fn a_host_name_the_certificate_does_not_carry_is_a_mail_error() {
    let Some(s) = tls_server("a_host_name_the_certificate_does_not_carry_is_a_mail_error") else { return };
    // The certificate names `localhost` only.
    let (center, d) = queued(config("127.0.0.1", s.starttls_port, Tls::StartTls, Some(s.certs.join("ca.crt"))), "wrongname");
    let error = refused(&center, &s.dir, &d);
    assert!(error.contains("does not name the configured host"), "{error}");
}

#[test]
fn the_system_roots_do_not_trust_a_private_ca() {
    let Some(s) = tls_server("the_system_roots_do_not_trust_a_private_ca") else { return };
    let (center, d) = queued(config("localhost", s.starttls_port, Tls::StartTls, None), "systemroots");
    let error = refused(&center, &s.dir, &d);
    assert!(error.contains("not signed by the system's CA certificates"), "{error}");
}

#[test]
fn starttls_required_sends_nothing_to_a_server_without_it_opportunistic_goes_plain() {
    let test = "starttls_required_sends_nothing_to_a_server_without_it_opportunistic_goes_plain";
    let Some(s) = tls_server(test) else { return };
    // A private recorder with no certificate: it offers no STARTTLS.
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("pb-smtp-plain-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _plain = Recorder { child: start_recorder(test, port, &dir, &[]).unwrap(), dir: dir.clone() };
    let ca = Some(s.certs.join("ca.crt"));

    let (center, d) = queued(config("localhost", port, Tls::StartTls, ca.clone()), "nostarttls");
    let error = refused(&center, &dir, &d);
    assert!(error.contains("does not offer STARTTLS"), "{error}");

    let (center, d) = queued(config("localhost", port, Tls::StartTlsOpportunistic, ca.clone()), "opportunistic");
    let record = delivered_once(&center, &dir, &d);
    assert!(record["tls"].is_null(), "{record}");
    // Where STARTTLS is offered, opportunistic uses it, and checks the certificate.
    let (center, d) = queued(config("localhost", s.starttls_port, Tls::StartTlsOpportunistic, ca), "opportunistic_tls");
    assert_tls(&delivered_once(&center, &s.dir, &d));
    let wrong = Some(s.certs.join("other-ca.crt"));
    let (center, d) = queued(config("localhost", s.starttls_port, Tls::StartTlsOpportunistic, wrong), "opportunistic_wrongca");
    assert!(refused(&center, &s.dir, &d).contains("not signed by"));
}

#[test]
fn plain_stays_plain_to_a_server_that_offers_starttls() {
    let Some(s) = tls_server("plain_stays_plain_to_a_server_that_offers_starttls") else { return };
    let (center, d) = queued(config("localhost", s.starttls_port, Tls::None, None), "plain");
    assert!(delivered_once(&center, &s.dir, &d)["tls"].is_null());
}

#[test]
fn a_ca_file_must_be_readable_hold_a_certificate_and_come_with_tls() {
    let invalid = |config: SmtpConfig| match SmtpMailer::new(config) {
        Err(Error::InvalidInput { field, reason }) => {
            assert_eq!(field, "tls_ca_file");
            reason
        }
        other => panic!("expected invalid_input, got {other:?}"),
    };
    let reason = invalid(config("localhost", 25, Tls::StartTls, Some("/nonexistent/ca.crt".into())));
    assert!(reason.contains("cannot read `/nonexistent/ca.crt`"), "{reason}");
    let empty = std::env::temp_dir().join(format!("pb-empty-ca-{}.crt", std::process::id()));
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let reason = invalid(config("localhost", 25, Tls::Implicit, Some(empty.clone())));
    std::fs::remove_file(&empty).unwrap();
    assert!(reason.contains("holds no PEM certificate"), "{reason}");
    // A CA file with plain SMTP would look protected and not be.
    let reason = invalid(config("localhost", 25, Tls::None, Some("/etc/ssl/ca.crt".into())));
    assert!(reason.contains("only with TLS"), "{reason}");
}

#[test]
fn debug_shows_the_tls_setting_never_the_password() {
    let config = SmtpConfig {
        credentials: Some(Credentials::new("relay-user", "hunter2-secret")),
        ..config("smtp.partner.example", 587, Tls::StartTls, None)
    };
    let shown = format!("{config:?}");
    assert!(shown.contains("StartTls") && !shown.contains("hunter2"), "{shown}");
    let shown = format!("{:?}", SmtpMailer::new(config).unwrap());
    assert!(shown.contains("StartTls") && !shown.contains("hunter2") && !shown.contains("relay-user"), "{shown}");
}
