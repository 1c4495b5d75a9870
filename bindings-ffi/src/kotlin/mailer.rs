//! The host's own mailer (a foreign trait) and its adapter to the core's.

use std::sync::Arc;

use partner_benefits as core;

use super::error::BenefitsError;
use crate::Mail;

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
        match self.0.send(Mail::from(mail)) {
            Ok(true) => Ok(()),
            Ok(false) => {
                Err(core::Error::Mail { message: "the host mailer did not accept the mail (it returned false, or threw an Error)".into() })
            }
            Err(err) => Err(core::Error::Mail { message: err.to_string() }),
        }
    }
}
