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

/// What happened to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestFact {
    /// Delivered at this moment.
    Completed(Timestamp),
    /// Withdrawn at this moment; its hours return to the balance.
    Withdrawn(Timestamp),
}

/// The request lifecycle.
pub struct AdvisoryMachine;

impl Machine for AdvisoryMachine {
    type State = RequestState;
    type Input = RequestInput;
    type Fact = RequestFact;
    const NAME: &'static str = "assistance request";

    fn decide(state: &RequestState, input: &RequestInput, now: Timestamp) -> Result<RequestFact, Error> {
        match (state, input) {
            // --- Submitted ---
            (RequestState::Submitted, RequestInput::Complete) => Ok(RequestFact::Completed(now)),
            (RequestState::Submitted, RequestInput::Withdraw) => Ok(RequestFact::Withdrawn(now)),
            _ => Err(refuse::<AdvisoryMachine>(state, input)),
        }
    }

    fn evolve(state: &RequestState, fact: &RequestFact) -> Result<RequestState, Error> {
        match (state, fact) {
            (RequestState::Submitted, RequestFact::Completed(at)) => Ok(RequestState::Completed { completed_at: *at }),
            (RequestState::Submitted, RequestFact::Withdrawn(at)) => Ok(RequestState::Withdrawn { withdrawn_at: *at }),
            _ => Err(super::not_replayable::<AdvisoryMachine>(state)),
        }
    }

    fn sample_states() -> Vec<RequestState> {
        let now = super::fixed_now_for_tables();
        vec![RequestState::Submitted, RequestState::Completed { completed_at: now }, RequestState::Withdrawn { withdrawn_at: now }]
    }

    fn sample_inputs() -> Vec<RequestInput> {
        vec![RequestInput::Complete, RequestInput::Withdraw]
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
