//! The core's address check against lettre's: every address the core takes
//! at the door is one lettre parses and this mailer sends to unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::str::FromStr;

use chrono::{TimeZone, Utc};
use lettre::Address;
use partner_benefits::values::Language;
use partner_benefits::{Email, Mail, MailId, MailTopic, OrganizationId};

use super::{SmtpConfig, SmtpMailer};

/// Tricky addresses, as a user might type them, and whether the core takes them.
fn table() -> Vec<(String, bool)> {
    let long_domain = format!("{}.{}.{}.com", "a".repeat(63), "b".repeat(63), "c".repeat(57)); // 189 bytes
    let rows: Vec<(&str, bool)> = vec![
        // Plain, mixed case and surrounding space (trimmed, lowercased).
        ("avery@contoso.com", true),
        ("  Avery.Admin+Benefits@Contoso.COM\n", true),
        ("x@b.c", true),
        ("o'brien@contoso.com", true),
        ("#!$%&'*+-/=?^_`{}|~@example.org", true),
        ("a_b-c@sub.contoso-ltd.co.uk", true),
        ("avery@exa_mple.com", true),
        ("1234567890@123.example", true),
        ("avery@127.0.0.1", true), // four numeric labels: a domain name to both parsers
        // Unicode (RFC 6531) and punycode.
        ("jürgen@bücher.example", true),
        ("Jürgen@Bücher.Example", true),
        ("用户@例子.广告", true),
        ("δοκιμή@παράδειγμα.δοκιμή", true),
        ("user@xn--bcher-kva.example", true),
        // Lowercased, `İ` becomes `i` and a combining dot, which neither parser
        // takes: the core checks the form it stores, so it refuses this one.
        ("İnci@example.com", false),
        // Quoted local parts: lettre's mailbox parser unquotes them, so they are refused.
        ("\"avery\"@example.com", false),
        ("\"john doe\"@example.com", false),
        ("\"a@b\"@example.com", false),
        ("\"\"@example.com", false),
        // IP literals: lettre's mailbox parser has no domain literal, so they are refused.
        ("avery@[127.0.0.1]", false),
        ("avery@[IPv6:::1]", false),
        // Comments and display names.
        ("avery(comment)@example.com", false),
        ("(comment)avery@example.com", false),
        ("avery@(comment)example.com", false),
        ("Avery <avery@example.com>", false),
        ("<avery@example.com>", false),
        // Dots in the wrong places.
        ("avery.@example.com", false),
        (".avery@example.com", false),
        ("a..b@example.com", false),
        ("avery@example.com.", false),
        ("avery@.example.com", false),
        ("avery@example..com", false),
        // Domains.
        ("avery@localhost", false),
        ("avery@-example.com", false),
        ("avery@example-.com", false),
        ("avery@exa mple.com", false),
        ("avery@", false),
        // Separators, spaces and controls.
        ("avery", false),
        ("@example.com", false),
        ("avery@@example.com", false),
        ("avery@example@com", false),
        ("a b@example.com", false),
        ("ave\0ry@example.com", false),
        ("ave\u{7f}ry@example.com", false),
        ("", false),
    ];
    let mut rows: Vec<(String, bool)> = rows.into_iter().map(|(text, ok)| (text.to_string(), ok)).collect();
    // Lengths: 64 bytes before `@`, 63 per label, 254 in all, and one more of each.
    rows.extend([
        (format!("{}@example.com", "a".repeat(64)), true),
        (format!("{}@example.com", "a".repeat(65)), false),
        (format!("avery@{}.com", "d".repeat(63)), true),
        (format!("avery@{}.com", "d".repeat(64)), false),
        (format!("{}@{long_domain}", "a".repeat(64)), true),
        (format!("{}@c{long_domain}", "a".repeat(64)), false),
        (format!("{}@example.com", "a".repeat(100_000)), false),
    ]);
    rows
}

fn mail_to(email: Email) -> Mail {
    let organization = OrganizationId::new(1);
    Mail {
        id: MailId::new(organization, 1),
        organization,
        to: vec![email],
        language: Language::english(),
        topic: MailTopic::SubscriptionAssigned { benefit: "Visual Studio Enterprise".into() },
        subject: "Contoso: you were assigned Visual Studio Enterprise".into(),
        body: "An administrator of Contoso assigned you Visual Studio Enterprise.".into(),
        created_at: Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).single().unwrap(),
    }
}

#[test]
fn every_address_the_core_accepts_lettre_accepts_and_the_mailer_sends_to_as_stored() {
    // Nothing connects until a mail is sent.
    let mailer = SmtpMailer::new(SmtpConfig::new("127.0.0.1", 2525, "Benefits <benefits@partner.example>")).unwrap();
    let mut accepted = 0;
    for (text, expected) in table() {
        let shown = text.chars().take(80).collect::<String>();
        let core = Email::parse("email", &text);
        assert_eq!(core.is_ok(), expected, "core on `{shown}`: {core:?}");
        let Ok(email) = core else { continue };
        accepted += 1;
        let address = Address::from_str(email.as_str()).unwrap_or_else(|e| panic!("lettre refuses `{email}` the core accepted: {e}"));
        assert_eq!(address.to_string(), email.as_str());
        // The adapter's own path: the message it would send names the same recipient.
        let message = mailer.message(&mail_to(email.clone())).unwrap_or_else(|e| panic!("`{email}`: {e}"));
        assert_eq!(message.envelope().to(), [address], "`{email}`");
    }
    assert!(accepted >= 15, "the table keeps enough accepted rows to mean something: {accepted}");
}

#[test]
fn the_door_is_narrower_than_lettres_address_where_the_mailer_could_not_send_as_stored() {
    // lettre's `Address` takes these, but its mailbox parser (the mailer's
    // `To:`) unquotes or refuses them, and a bare host has no dot: the core
    // refuses them at the door rather than at send time.
    for text in ["\"avery\"@example.com", "\"john doe\"@example.com", "avery@[127.0.0.1]", "avery@localhost"] {
        assert!(Address::from_str(text).is_ok(), "lettre takes `{text}`");
        assert!(Email::parse("email", text).is_err(), "the core refuses `{text}`");
    }
    assert!(Address::from_str(&"İnci@example.com".to_lowercase()).is_err(), "lowercased, `İ` is no longer an address");
    for text in ["\"john doe\"@example.com", "avery@[127.0.0.1]"] {
        assert!(lettre::message::Mailbox::from_str(text).is_err(), "lettre's mailbox parser refuses `{text}`");
    }
}
