//! An assistance request drawing advisory or presales hours (R21).

use serde::{Deserialize, Serialize};

use super::{Machine, Timestamp, refuse};
use crate::error::Error;

/// Where a request is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RequestState {
    /// Submitted; its hours are drawn from the balance.
    Submitted,
    /// The program delivered the assistance.
    Completed {
        /// When.
        completed_at: Timestamp,
    },
    /// Withdrawn by the partner; its hours returned to the balance.
    Withdrawn {
        /// When.
        withdrawn_at: Timestamp,
    },
}

/// What can happen to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestInput {
    /// The program marks it done.
    Complete,
    /// The partner withdraws it.
    Withdraw,
}

/// The request lifecycle.
pub struct AdvisoryMachine;

/// The request transition function.
pub fn transition(state: &RequestState, input: &RequestInput, now: Timestamp) -> Result<RequestState, Error> {
    use RequestInput as I;
    use RequestState as S;
    match (state, input) {
        // --- Submitted ---
        (S::Submitted, I::Complete) => Ok(S::Completed { completed_at: now }),
        (S::Submitted, I::Withdraw) => Ok(S::Withdrawn { withdrawn_at: now }),
        _ => Err(refuse::<AdvisoryMachine>(state, input)),
    }
}

impl Machine for AdvisoryMachine {
    type State = RequestState;
    type Input = RequestInput;
    const NAME: &'static str = "assistance request";

    fn sample_states() -> Vec<RequestState> {
        let now = super::fixed_now_for_tables();
        vec![RequestState::Submitted, RequestState::Completed { completed_at: now }, RequestState::Withdrawn { withdrawn_at: now }]
    }

    fn sample_inputs() -> Vec<RequestInput> {
        vec![RequestInput::Complete, RequestInput::Withdraw]
    }

    fn step(state: &RequestState, input: &RequestInput, now: Timestamp) -> Result<RequestState, Error> {
        transition(state, input, now)
    }

    fn state_name(state: &RequestState) -> String {
        match state {
            RequestState::Submitted => "submitted".into(),
            RequestState::Completed { .. } => "completed".into(),
            RequestState::Withdrawn { .. } => "withdrawn".into(),
        }
    }

    fn input_name(input: &RequestInput) -> String {
        match input {
            RequestInput::Complete => "complete".into(),
            RequestInput::Withdraw => "withdraw".into(),
        }
    }
}
