//! One seat: a Visual Studio subscription (R14–R16) or the single user of an
//! Azure usage-based subscription (R12).

use serde::{Deserialize, Serialize};

use super::{Machine, Timestamp, refuse};
use crate::error::Error;
use crate::ids::{OrganizationId, UserId};

/// Who holds a seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SeatState {
    /// Nobody.
    Vacant,
    /// One user (R15: a subscription has one user).
    Assigned {
        /// The holder.
        user: UserId,
        /// Since when.
        since: Timestamp,
    },
}

/// What can happen to a seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatInput {
    /// Give the seat to a user.
    Assign {
        /// The new holder.
        user: UserId,
    },
    /// Take the seat back (R16).
    Remove,
}

/// The seat lifecycle.
pub struct SeatMachine;

/// The seat transition function.
pub fn transition(state: &SeatState, input: &SeatInput, now: Timestamp) -> Result<SeatState, Error> {
    use SeatInput as I;
    use SeatState as S;
    match (state, input) {
        // --- Vacant ---
        (S::Vacant, I::Assign { user }) => Ok(S::Assigned { user: *user, since: now }),
        // --- Assigned ---
        // R16: reassigning is remove, then assign; an occupied seat is never overwritten.
        (S::Assigned { .. }, I::Remove) => Ok(S::Vacant),
        _ => Err(refuse::<SeatMachine>(state, input)),
    }
}

impl Machine for SeatMachine {
    type State = SeatState;
    type Input = SeatInput;
    const NAME: &'static str = "seat";

    fn sample_states() -> Vec<SeatState> {
        let user = UserId::new(OrganizationId::new(1), 1);
        vec![SeatState::Vacant, SeatState::Assigned { user, since: super::fixed_now_for_tables() }]
    }

    fn sample_inputs() -> Vec<SeatInput> {
        vec![SeatInput::Assign { user: UserId::new(OrganizationId::new(1), 2) }, SeatInput::Remove]
    }

    fn step(state: &SeatState, input: &SeatInput, now: Timestamp) -> Result<SeatState, Error> {
        transition(state, input, now)
    }

    fn state_name(state: &SeatState) -> String {
        match state {
            SeatState::Vacant => "vacant".into(),
            SeatState::Assigned { .. } => "assigned".into(),
        }
    }

    fn input_name(input: &SeatInput) -> String {
        match input {
            SeatInput::Assign { .. } => "assign".into(),
            SeatInput::Remove => "remove".into(),
        }
    }
}
