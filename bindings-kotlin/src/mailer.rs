//! Mail as the host sees it, and the host's own mailer (a foreign trait).

use std::sync::Arc;

use partner_benefits as core;

use crate::Timestamp;
use crate::error::BenefitsError;
use crate::types::texts;

/// A queued mail: recipients, language and the rendered text. Never holds a key.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Mail {
    /// Id, e.g. `mail-1-3`.
    pub id: String,
    /// The organization it concerns.
    pub organization_id: String,
    /// Recipients.
    pub to: Vec<String>,
    /// Language it was rendered in.
    pub language: String,
    /// What it is about, e.g. `subscription_assigned`.
    pub topic: String,
    /// Rendered subject.
    pub subject: String,
    /// Rendered body.
    pub body: String,
    /// When it was queued.
    pub created_at: Timestamp,
}

impl From<core::Mail> for Mail {
    fn from(mail: core::Mail) -> Self {
        Self {
            id: mail.id.to_string(),
            organization_id: mail.organization.to_string(),
            to: texts(&mail.to),
            language: mail.language.to_string(),
            topic: mail.topic.name().to_string(),
            subject: mail.subject,
            body: mail.body,
            created_at: mail.created_at,
        }
    }
}

/// Delivers mail; a host implements it (in Kotlin: `object : Mailer { ... }`)
/// and passes it to `BenefitCenter.open` / `inMemory`. `dispatchMail` calls it
/// once per due mail. Returning `true` means accepted: the mail is marked
/// sent and never sent again. Returning `false`, or throwing anything, leaves
/// it queued; the next dispatch retries it.
///
/// Why a `Boolean` and not `Unit`: a `Throwable` that is not an `Exception`
/// (`TODO()`, `AssertionError`, `StackOverflowError`) escapes the generated
/// code and JNA swallows it, so the library would see a normal return and
/// mark an unsent mail sent. With a `Boolean`, such a call reads as `false`.
#[uniffi::export(with_foreign)]
pub trait Mailer: Send + Sync {
    /// Sends one mail; `true` when it was accepted.
    fn send(&self, mail: Mail) -> Result<bool, BenefitsError>;
}

/// The host's mailer seen as a core mailer.
pub(crate) struct HostMailer(pub Arc<dyn Mailer>);

impl core::Mailer for HostMailer {
    fn send(&self, mail: &core::Mail) -> Result<(), core::Error> {
        match self.0.send(mail.clone().into()) {
            Ok(true) => Ok(()),
            Ok(false) => {
                Err(core::Error::Mail { message: "the host mailer did not accept the mail (it returned false, or threw an Error)".into() })
            }
            Err(err) => Err(core::Error::Mail { message: err.to_string() }),
        }
    }
}

/// Used when the host gives no mailer: refuses every mail, so nothing is
/// marked sent that was not sent; the outbox keeps it for a later mailer.
pub(crate) struct NoMailer;

impl core::Mailer for NoMailer {
    fn send(&self, _mail: &core::Mail) -> Result<(), core::Error> {
        Err(core::Error::Mail { message: "no mailer was given to this center; the mail stays queued".into() })
    }
}
