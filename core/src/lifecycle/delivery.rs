//! A queued mail: pending until the mailer accepts it, then sent for good (B6).

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
    },
    /// Accepted by the mailer; never sent again.
    Sent {
        /// When.
        sent_at: Timestamp,
        /// Attempts it took.
        attempts: u32,
    },
}

/// What a dispatch attempt reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryInput {
    /// The mailer accepted the mail.
    Accepted,
    /// The mailer refused it.
    Refused {
        /// Why.
        error: String,
    },
}

/// What a dispatch attempt did to a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryFact {
    /// Accepted at this moment.
    Sent(Timestamp),
    /// Refused, with the mailer's error (cut to 500 characters).
    Failed(String),
}

/// The outbox-mail lifecycle.
pub struct DeliveryMachine;

/// Decides a dispatch report and evolves by it: the mail's next state.
pub fn transition(state: &DeliveryState, input: &DeliveryInput, now: Timestamp) -> Result<DeliveryState, Error> {
    super::transition::<DeliveryMachine>(state, input, now).map(|(next, _)| next)
}

impl DeliveryState {
    /// True while the mail still has to be sent.
    pub fn is_due(&self) -> bool {
        !matches!(self, Self::Sent { .. })
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
            (DeliveryState::Pending | DeliveryState::Failed { .. }, DeliveryInput::Refused { error }) => {
                Ok(DeliveryFact::Failed(error.chars().take(500).collect()))
            }
            // --- Sent --- (B6: an acknowledged mail is never sent again)
            _ => Err(refuse::<DeliveryMachine>(state, input)),
        }
    }

    fn evolve(state: &DeliveryState, fact: &DeliveryFact) -> Result<DeliveryState, Error> {
        let attempts = match state {
            DeliveryState::Pending => 0,
            DeliveryState::Failed { attempts, .. } => *attempts,
            DeliveryState::Sent { .. } => return Err(super::not_replayable::<DeliveryMachine>(state)),
        }
        .saturating_add(1);
        Ok(match fact {
            DeliveryFact::Sent(sent_at) => DeliveryState::Sent { sent_at: *sent_at, attempts },
            DeliveryFact::Failed(error) => DeliveryState::Failed { attempts, last_error: error.clone() },
        })
    }

    fn sample_states() -> Vec<DeliveryState> {
        let now = super::fixed_now_for_tables();
        vec![
            DeliveryState::Pending,
            DeliveryState::Failed { attempts: 1, last_error: "connection refused".into() },
            DeliveryState::Sent { sent_at: now, attempts: 1 },
        ]
    }

    fn sample_inputs() -> Vec<DeliveryInput> {
        vec![DeliveryInput::Accepted, DeliveryInput::Refused { error: "connection refused".into() }]
    }

    fn state_name(state: &DeliveryState) -> String {
        match state {
            DeliveryState::Pending => "pending".into(),
            DeliveryState::Failed { .. } => "failed".into(),
            DeliveryState::Sent { .. } => "sent".into(),
        }
    }

    fn input_name(input: &DeliveryInput) -> String {
        match input {
            DeliveryInput::Accepted => "accepted".into(),
            DeliveryInput::Refused { .. } => "refused".into(),
        }
    }
}
