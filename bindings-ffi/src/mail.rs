//! Mail as a host sees it: a queued mail, its place in the outbox, and what
//! a dispatch did.

use partner_benefits as core;
use partner_benefits::lifecycle::delivery::DeliveryState;

use crate::Timestamp;
use crate::enums::Delivery;
use crate::record::record;
use crate::views::texts;

record! {
    /// A queued mail: recipients, language and the rendered text. Never holds a key.
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
}

impl From<&core::Mail> for Mail {
    fn from(mail: &core::Mail) -> Self {
        Self {
            id: mail.id.to_string(),
            organization_id: mail.organization.to_string(),
            to: texts(&mail.to),
            language: mail.language.to_string(),
            topic: mail.topic.name().to_owned(),
            subject: mail.subject.clone(),
            body: mail.body.clone(),
            created_at: mail.created_at,
        }
    }
}

record! {
    /// A mail of the outbox with where its delivery is.
    pub struct OutboxEntry {
        /// The mail.
        pub mail: Mail,
        /// Where its delivery is.
        pub delivery: Delivery,
        /// Attempts so far.
        pub attempts: i64,
        /// The last refusal, while failed.
        pub last_error: Option<String>,
        /// When the mailer accepted it, once sent.
        pub sent_at: Option<Timestamp>,
        /// While failed: not tried again before this moment.
        pub retry_at: Option<Timestamp>,
    }
}

impl From<core::OutboxEntry> for OutboxEntry {
    fn from(entry: core::OutboxEntry) -> Self {
        let retry_at = entry.delivery.retry_at();
        let (delivery, attempts, last_error, sent_at) = match entry.delivery {
            DeliveryState::Pending => (Delivery::Pending, 0, None, None),
            DeliveryState::Failed { attempts, last_error, .. } => (Delivery::Failed, attempts, Some(last_error), None),
            DeliveryState::Parked { attempts, last_error, .. } => (Delivery::Parked, attempts, Some(last_error), None),
            DeliveryState::Sent { sent_at, attempts } => (Delivery::Sent, attempts, None, Some(sent_at)),
        };
        Self { mail: Mail::from(&entry.mail), delivery, attempts: i64::from(attempts), last_error, sent_at, retry_at }
    }
}

record! {
    /// What one mail dispatch did.
    pub struct DispatchReport {
        /// Mails the mailer accepted.
        pub sent: i64,
        /// Mails it refused; they stay queued and are retried after a pause.
        pub failed: i64,
        /// Mails refused for the last allowed time; parked until requeued.
        pub parked: i64,
    }
}

impl From<core::DispatchReport> for DispatchReport {
    fn from(v: core::DispatchReport) -> Self {
        Self { sent: i64::from(v.sent), failed: i64::from(v.failed), parked: i64::from(v.parked) }
    }
}
