//! The mailer of a center the host gave none.

use partner_benefits::{Error, Mail, Mailer};

/// Refuses every mail, so nothing is marked sent that was not sent: the
/// outbox keeps each mail until a center with a mailer dispatches it.
pub struct NoMailer;

impl Mailer for NoMailer {
    fn send(&self, _mail: &Mail) -> Result<(), Error> {
        Err(Error::Mail { message: "no mailer was given to this center; the mail stays queued".into() })
    }
}
