//! A queued mail: pending until the mailer accepts it, then sent for good
//! (B6). A refused attempt is retried after a growing pause; after the last
//! allowed attempt the mail is parked (kept, visible, never retried) until an
//! operator requeues it.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::{Machine, Timestamp, refuse};
use crate::error::Error;

/// Where a mail of the outbox is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not yet handed over.
    Pending,
    /// Handed over and refused; will be retried.
    Failed {
        /// Attempts so far.
        attempts: u32,
        /// The last refusal, for the operator.
        last_error: String,
        /// Not tried again before this moment (none: at the next dispatch,
        /// as for mail that failed before retries had pauses).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_at: Option<Timestamp>,
    },
    /// Refused as many times as allowed; kept, never retried, until requeued.
    Parked {
        /// Attempts made.
        attempts: u32,
        /// The last refusal.
        last_error: String,
        /// When it was parked.
        parked_at: Timestamp,
    },
    /// Accepted by the mailer; never sent again.
    Sent {
        /// When.
        sent_at: Timestamp,
        /// Attempts it took.
        attempts: u32,
    },
}

/// How refused mail is retried: after `base`, doubling each attempt up to
/// `cap`; parked once `max_attempts` attempts were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The pause after the first refusal.
    pub base: Duration,
    /// The longest pause.
    pub cap: Duration,
    /// Refused attempts after which the mail is parked (at least 1).
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// One minute, doubling up to six hours; parked after 10 refusals (about 13 hours in all).
    fn default() -> Self {
        Self { base: Duration::minutes(1), cap: Duration::hours(6), max_attempts: 10 }
    }
}

impl RetryPolicy {
    /// The pause after the `attempt`-th refusal (1-based): `base * 2^(attempt-1)`, at most `cap`.
    pub fn pause(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        self.base.checked_mul(1 << doublings).map_or(self.cap, |pause| pause.min(self.cap))
    }
}

/// What a dispatch attempt reports, or what an operator asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryInput {
    /// The mailer accepted the mail.
    Accepted,
    /// The mailer refused it.
    Refused {
        /// Why.
        error: String,
        /// When to try again, and how often.
        retry: RetryPolicy,
    },
    /// Queue a parked mail again.
    Requeue,
}

/// What a dispatch attempt (or a requeue) did to a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryFact {
    /// Accepted at this moment.
    Sent(Timestamp),
    /// Refused, with the mailer's error (cut to 500 characters); tried again at the time given.
    Failed(String, Timestamp),
    /// Refused for the last allowed time, at the time given.
    Parked(String, Timestamp),
    /// Queued again, as if new.
    Requeued,
}

/// The outbox-mail lifecycle.
pub struct DeliveryMachine;

/// Decides a dispatch report and evolves by it: the mail's next state.
pub fn transition(state: &DeliveryState, input: &DeliveryInput, now: Timestamp) -> Result<DeliveryState, Error> {
    super::transition::<DeliveryMachine>(state, input, now).map(|(next, _)| next)
}

impl DeliveryState {
    /// True while the mail still has to be sent (pending or failed; not
    /// sent, not parked).
    pub fn is_due(&self) -> bool {
        matches!(self, Self::Pending | Self::Failed { .. })
    }

    /// The moment before which a failed mail is not tried again.
    pub fn retry_at(&self) -> Option<Timestamp> {
        match self {
            Self::Failed { retry_at, .. } => *retry_at,
            _ => None,
        }
    }

    fn attempts(&self) -> u32 {
        match self {
            Self::Pending => 0,
            Self::Failed { attempts, .. } | Self::Parked { attempts, .. } | Self::Sent { attempts, .. } => *attempts,
        }
    }
}

impl Machine for DeliveryMachine {
    type State = DeliveryState;
    type Input = DeliveryInput;
    type Fact = DeliveryFact;
    const NAME: &'static str = "mail delivery";

    fn decide(state: &DeliveryState, input: &DeliveryInput, now: Timestamp) -> Result<DeliveryFact, Error> {
        match (state, input) {
            // --- Pending / Failed ---
            (DeliveryState::Pending | DeliveryState::Failed { .. }, DeliveryInput::Accepted) => Ok(DeliveryFact::Sent(now)),
            (DeliveryState::Pending | DeliveryState::Failed { .. }, DeliveryInput::Refused { error, retry }) => {
                let error: String = error.chars().take(500).collect();
                let attempt = state.attempts().saturating_add(1);
                if attempt >= retry.max_attempts.max(1) {
                    return Ok(DeliveryFact::Parked(error, now));
                }
                Ok(DeliveryFact::Failed(error, now.checked_add_signed(retry.pause(attempt)).unwrap_or(Timestamp::MAX_UTC)))
            }
            // --- Parked --- (only an operator brings it back)
            (DeliveryState::Parked { .. }, DeliveryInput::Requeue) => Ok(DeliveryFact::Requeued),
            // --- Sent --- (B6: an acknowledged mail is never sent again)
            _ => Err(refuse::<DeliveryMachine>(state, input)),
        }
    }

    fn evolve(state: &DeliveryState, fact: &DeliveryFact) -> Result<DeliveryState, Error> {
        let attempts = state.attempts().saturating_add(1);
        Ok(match (state, fact) {
            (DeliveryState::Pending | DeliveryState::Failed { .. }, DeliveryFact::Sent(sent_at)) => {
                DeliveryState::Sent { sent_at: *sent_at, attempts }
            }
            (DeliveryState::Pending | DeliveryState::Failed { .. }, DeliveryFact::Failed(error, retry_at)) => {
                DeliveryState::Failed { attempts, last_error: error.clone(), retry_at: Some(*retry_at) }
            }
            (DeliveryState::Pending | DeliveryState::Failed { .. }, DeliveryFact::Parked(error, parked_at)) => {
                DeliveryState::Parked { attempts, last_error: error.clone(), parked_at: *parked_at }
            }
            (DeliveryState::Parked { .. }, DeliveryFact::Requeued) => DeliveryState::Pending,
            _ => return Err(super::not_replayable::<DeliveryMachine>(state)),
        })
    }

    fn sample_states() -> Vec<DeliveryState> {
        let now = super::fixed_now_for_tables();
        vec![
            DeliveryState::Pending,
            DeliveryState::Failed { attempts: 1, last_error: "connection refused".into(), retry_at: Some(now) },
            DeliveryState::Parked { attempts: 10, last_error: "connection refused".into(), parked_at: now },
            DeliveryState::Sent { sent_at: now, attempts: 1 },
        ]
    }

    fn sample_inputs() -> Vec<DeliveryInput> {
        let last = RetryPolicy { max_attempts: 2, ..RetryPolicy::default() };
        vec![
            DeliveryInput::Accepted,
            DeliveryInput::Refused { error: "connection refused".into(), retry: RetryPolicy::default() },
            DeliveryInput::Refused { error: "connection refused".into(), retry: last },
            DeliveryInput::Requeue,
        ]
    }

    fn state_name(state: &DeliveryState) -> String {
        match state {
            DeliveryState::Pending => "pending".into(),
            DeliveryState::Failed { .. } => "failed".into(),
            DeliveryState::Parked { .. } => "parked".into(),
            DeliveryState::Sent { .. } => "sent".into(),
        }
    }

    fn input_name(input: &DeliveryInput) -> String {
        match input {
            DeliveryInput::Accepted => "accepted".into(),
            DeliveryInput::Refused { retry, .. } => format!("refused (at most {} attempts)", retry.max_attempts),
            DeliveryInput::Requeue => "requeue".into(),
        }
    }
}
