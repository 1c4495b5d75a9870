//! Mail: what the library tells people, queued in the outbox in the same
//! commit as the change that causes it, and sent after (B6).

mod templates;

use std::sync::{Arc, Mutex};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::ids::{MailId, OrganizationId};
use crate::lifecycle::Timestamp;
use crate::lifecycle::delivery::DeliveryState;
use crate::values::{Email, Language};

pub use templates::{TEMPLATES, render, template_languages};

/// What a mail is about, with the facts its templates fill in. Never a key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "topic", rename_all = "snake_case")]
#[allow(missing_docs)] // fields are named after what they hold
// Names of catalog items are shared with the catalog and the state: a
// topic is cloned into its event and its mail.
pub enum MailTopic {
    /// R19/R20: a technical benefit was assigned and is pending.
    TechnicalActivationPending { benefit: Arc<str>, active_at: Timestamp },
    /// R19/R20: a technical benefit is active; how to reach support.
    TechnicalActivated { benefit: Arc<str> },
    /// R14: a Visual Studio subscription was assigned.
    SubscriptionAssigned { benefit: Arc<str> },
    /// R21: an assistance request was submitted.
    AssistanceRequested { benefit: Arc<str>, phase: String, amount: Decimal },
    /// R26/R28: an offer was activated and is pending.
    OfferActivationPending { offer: Arc<str>, active_at: Timestamp },
    /// R26/R28: an offer is active until its expiry.
    OfferActivated { offer: Arc<str>, expires_at: Timestamp },
    /// P3: an offer expires soon.
    OfferExpiring { offer: Arc<str>, expires_at: Timestamp, days_before: u32 },
    /// P3: a package expires soon; renew it.
    PackageExpiring { package: Arc<str>, expires_at: Timestamp, days_before: u32 },
    /// R30: a cancellation request was answered.
    CancellationAnswered { target: Arc<str>, granted: bool, detail: String },
    /// A user was removed from the organization; to its Global admins, with
    /// what the user held and was released (seats, technical activations).
    UserRemoved { user: String, email: String, released: Vec<String> },
}

impl MailTopic {
    /// The stable snake_case name of the topic.
    pub fn name(&self) -> &'static str {
        match self {
            Self::TechnicalActivationPending { .. } => "technical_activation_pending",
            Self::TechnicalActivated { .. } => "technical_activated",
            Self::SubscriptionAssigned { .. } => "subscription_assigned",
            Self::AssistanceRequested { .. } => "assistance_requested",
            Self::OfferActivationPending { .. } => "offer_activation_pending",
            Self::OfferActivated { .. } => "offer_activated",
            Self::OfferExpiring { .. } => "offer_expiring",
            Self::PackageExpiring { .. } => "package_expiring",
            Self::CancellationAnswered { .. } => "cancellation_answered",
            Self::UserRemoved { .. } => "user_removed",
        }
    }
}

/// A mail as queued: recipients, language and the rendered text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mail {
    /// Its id.
    pub id: MailId,
    /// The organization it concerns.
    pub organization: OrganizationId,
    /// Recipients.
    pub to: Vec<Email>,
    /// Language it was rendered in.
    pub language: Language,
    /// What it is about.
    pub topic: MailTopic,
    /// Rendered subject.
    pub subject: String,
    /// Rendered body.
    pub body: String,
    /// When it was queued.
    #[serde(serialize_with = "crate::timestamp_text::serialize")]
    pub created_at: Timestamp,
}

/// A mail in the outbox with its delivery state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// The mail.
    pub mail: Mail,
    /// Where its delivery is.
    pub delivery: DeliveryState,
}

/// Hands a mail to whatever delivers it (SMTP, a host's queue, a test recorder).
pub trait Mailer: Send + Sync {
    /// Sends one mail. An error leaves it queued for the next dispatch.
    fn send(&self, mail: &Mail) -> Result<(), Error>;
}

/// A mailer that keeps what it was given; it can be told to refuse.
#[derive(Debug, Default)]
pub struct RecordingMailer {
    sent: Mutex<Vec<Mail>>,
    refuse: Mutex<Option<String>>,
}

impl RecordingMailer {
    /// A mailer that accepts everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// Refuse every mail with `reason` until [`RecordingMailer::accept`].
    pub fn refuse_with(&self, reason: &str) {
        if let Ok(mut refuse) = self.refuse.lock() {
            *refuse = Some(reason.to_string());
        }
    }

    /// Accept mail again.
    pub fn accept(&self) {
        if let Ok(mut refuse) = self.refuse.lock() {
            *refuse = None;
        }
    }

    /// Every mail accepted so far, in order.
    pub fn sent(&self) -> Vec<Mail> {
        self.sent.lock().map(|sent| sent.clone()).unwrap_or_default()
    }
}

impl Mailer for RecordingMailer {
    fn send(&self, mail: &Mail) -> Result<(), Error> {
        if let Some(reason) = self.refuse.lock().ok().and_then(|r| r.clone()) {
            return Err(Error::Mail { message: reason });
        }
        self.sent.lock().map_err(|_| Error::Mail { message: "recorder poisoned".into() })?.push(mail.clone());
        Ok(())
    }
}

/// What one dispatch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DispatchReport {
    /// Mails the mailer accepted.
    pub sent: u32,
    /// Mails it refused; they stay queued and are retried after a pause.
    pub failed: u32,
    /// Mails it refused for the last allowed time; parked, not retried until requeued.
    pub parked: u32,
}
