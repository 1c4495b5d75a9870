//! Counters a host reads to watch the library at work, kept by the center
//! as it goes (relaxed atomics: each is exact, they are not one snapshot).
//! Spans and events go to `tracing`; these are for a dashboard.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// What a center counted since it was made (clones share the counts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Metrics {
    /// Calls that apply commands (a batch or a bulk assignment counts once).
    pub commands: u64,
    /// Of those, the ones refused with an error.
    pub refused: u64,
    /// Commits that met another writer's (`conflict`), retried or not.
    pub conflicts: u64,
    /// Calls decided again after a conflict.
    pub retries: u64,
    /// Mails the mailer accepted.
    pub mail_sent: u64,
    /// Delivery attempts the mailer refused (parked ones included).
    pub mail_failed: u64,
    /// Mails parked after their last allowed attempt.
    pub mail_parked: u64,
    /// Mails of the outbox still to send (pending or failed), when read.
    pub outbox_depth: u64,
    /// Mails of the outbox parked and waiting for an operator, when read.
    pub outbox_parked: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    commands: AtomicU64,
    refused: AtomicU64,
    conflicts: AtomicU64,
    retries: AtomicU64,
    mail_sent: AtomicU64,
    mail_failed: AtomicU64,
    mail_parked: AtomicU64,
}

/// Something counted.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Count {
    Command,
    Refused,
    Conflict,
    Retry,
    MailSent,
    MailFailed,
    MailParked,
}

impl Counters {
    pub(crate) fn add(&self, what: Count, n: u64) {
        let counter = match what {
            Count::Command => &self.commands,
            Count::Refused => &self.refused,
            Count::Conflict => &self.conflicts,
            Count::Retry => &self.retries,
            Count::MailSent => &self.mail_sent,
            Count::MailFailed => &self.mail_failed,
            Count::MailParked => &self.mail_parked,
        };
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn read(&self, outbox_depth: u64, outbox_parked: u64) -> Metrics {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Metrics {
            commands: get(&self.commands),
            refused: get(&self.refused),
            conflicts: get(&self.conflicts),
            retries: get(&self.retries),
            mail_sent: get(&self.mail_sent),
            mail_failed: get(&self.mail_failed),
            mail_parked: get(&self.mail_parked),
            outbox_depth,
            outbox_parked,
        }
    }
}
