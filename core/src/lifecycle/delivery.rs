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

/// The outbox-mail lifecycle.
pub struct DeliveryMachine;

/// The delivery transition function.
pub fn transition(state: &DeliveryState, input: &DeliveryInput, now: Timestamp) -> Result<DeliveryState, Error> {
    use DeliveryInput as I;
    use DeliveryState as S;
    let attempts = match state {
        S::Pending => 0,
        S::Failed { attempts, .. } | S::Sent { attempts, .. } => *attempts,
    };
    match (state, input) {
        // --- Pending / Failed ---
        (S::Pending | S::Failed { .. }, I::Accepted) => Ok(S::Sent { sent_at: now, attempts: attempts.saturating_add(1) }),
        (S::Pending | S::Failed { .. }, I::Refused { error }) => {
            Ok(S::Failed { attempts: attempts.saturating_add(1), last_error: error.chars().take(500).collect() })
        }
        // --- Sent --- (B6: an acknowledged mail is never sent again)
        _ => Err(refuse::<DeliveryMachine>(state, input)),
    }
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
    const NAME: &'static str = "mail delivery";

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

    fn step(state: &DeliveryState, input: &DeliveryInput, now: Timestamp) -> Result<DeliveryState, Error> {
        transition(state, input, now)
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
