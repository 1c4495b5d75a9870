//! Activation of a technical benefit: assigned with an alternate email, it
//! pends for the catalog's lead time, then becomes active (R18–R20).

use serde::{Deserialize, Serialize};

use super::{Machine, Timestamp, add_days, add_days_saturating, refuse};
use crate::error::Error;
use crate::ids::{OrganizationId, UserId};
use crate::values::Email;

/// Where a technical benefit's activation is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TechnicalState {
    /// Nobody is assigned.
    NotActivated,
    /// Assigned; activation is under way (R20).
    Pending {
        /// The assigned user.
        user: UserId,
        /// The alternate address the instructions also go to (R19).
        alternate_email: Email,
        /// When it was assigned.
        requested_at: Timestamp,
        /// When it becomes active.
        active_at: Timestamp,
    },
    /// Active: requests may draw on it.
    Active {
        /// The assigned user.
        user: UserId,
        /// The alternate address.
        alternate_email: Email,
        /// Since when.
        since: Timestamp,
    },
}

/// What can happen to a technical activation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TechnicalInput {
    /// Assign a user with an alternate email (R18); `lead_days` from the catalog.
    Assign {
        /// The user.
        user: UserId,
        /// The alternate address (already checked to differ from the company's).
        alternate_email: Email,
        /// Days until active.
        lead_days: u32,
    },
    /// The lead time passed.
    Fulfil,
    /// The assigned user leaves the organization: the benefit is free to be
    /// activated for someone else (its hours stay).
    Release {
        /// The assigned user.
        user: UserId,
    },
}

/// What happened to a technical activation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TechnicalFact {
    /// Assigned at `requested_at`; active from `active_at`.
    Assigned {
        /// The user.
        user: UserId,
        /// The alternate address.
        alternate_email: Email,
        /// When it was assigned.
        requested_at: Timestamp,
        /// When it becomes active.
        active_at: Timestamp,
    },
    /// The lead time passed: active since the pending `active_at`.
    Fulfilled,
    /// Nobody is assigned any more.
    Released,
}

impl TechnicalState {
    /// The moment the next time-driven step falls due: the end of the lead time.
    pub fn next_due(&self) -> Option<(Timestamp, TechnicalInput)> {
        match self {
            Self::Pending { active_at, .. } => Some((*active_at, TechnicalInput::Fulfil)),
            _ => None,
        }
    }
}

/// The technical-activation lifecycle.
pub struct TechnicalMachine;

impl Machine for TechnicalMachine {
    type State = TechnicalState;
    type Input = TechnicalInput;
    type Fact = TechnicalFact;
    const NAME: &'static str = "technical activation";

    fn decide(state: &TechnicalState, input: &TechnicalInput, now: Timestamp) -> Result<TechnicalFact, Error> {
        use TechnicalInput as I;
        use TechnicalState as S;
        match (state, input) {
            // --- NotActivated ---
            (S::NotActivated, I::Assign { user, alternate_email, lead_days }) => Ok(TechnicalFact::Assigned {
                user: *user,
                alternate_email: alternate_email.clone(),
                requested_at: now,
                active_at: add_days(now, *lead_days)?,
            }),
            // --- Pending ---
            (S::Pending { active_at, .. }, I::Fulfil) if now >= *active_at => Ok(TechnicalFact::Fulfilled),
            // --- Pending or Active: only the assigned user's activation is released ---
            (S::Pending { user, .. } | S::Active { user, .. }, I::Release { user: leaving }) if user == leaving => {
                Ok(TechnicalFact::Released)
            }
            _ => Err(refuse::<TechnicalMachine>(state, input)),
        }
    }

    fn evolve(state: &TechnicalState, fact: &TechnicalFact) -> Result<TechnicalState, Error> {
        match (state, fact) {
            (_, TechnicalFact::Assigned { user, alternate_email, requested_at, active_at }) => Ok(TechnicalState::Pending {
                user: *user,
                alternate_email: alternate_email.clone(),
                requested_at: *requested_at,
                active_at: *active_at,
            }),
            (TechnicalState::Pending { user, alternate_email, active_at, .. }, TechnicalFact::Fulfilled) => {
                Ok(TechnicalState::Active { user: *user, alternate_email: alternate_email.clone(), since: *active_at })
            }
            (TechnicalState::Pending { .. } | TechnicalState::Active { .. }, TechnicalFact::Released) => Ok(TechnicalState::NotActivated),
            (_, TechnicalFact::Fulfilled | TechnicalFact::Released) => Err(super::not_replayable::<TechnicalMachine>(state)),
        }
    }

    fn sample_states() -> Vec<TechnicalState> {
        let now = super::fixed_now_for_tables();
        let user = UserId::new(OrganizationId::new(1), 1);
        let alternate_email = Email::sample();
        vec![
            TechnicalState::NotActivated,
            TechnicalState::Pending {
                user,
                alternate_email: alternate_email.clone(),
                requested_at: now,
                active_at: add_days_saturating(now, 3),
            },
            TechnicalState::Pending { user, alternate_email: alternate_email.clone(), requested_at: now, active_at: now },
            TechnicalState::Active { user, alternate_email, since: now },
        ]
    }

    fn sample_inputs() -> Vec<TechnicalInput> {
        let user = UserId::new(OrganizationId::new(1), 2);
        let alternate_email = Email::sample();
        let holder = UserId::new(OrganizationId::new(1), 1);
        vec![
            TechnicalInput::Assign { user, alternate_email, lead_days: 3 },
            TechnicalInput::Fulfil,
            TechnicalInput::Release { user: holder },
            TechnicalInput::Release { user },
        ]
    }

    fn state_name(state: &TechnicalState) -> String {
        match state {
            TechnicalState::NotActivated => "not_activated".into(),
            TechnicalState::Pending { .. } => "pending".into(),
            TechnicalState::Active { .. } => "active".into(),
        }
    }

    fn input_name(input: &TechnicalInput) -> String {
        match input {
            TechnicalInput::Assign { .. } => "assign".into(),
            TechnicalInput::Fulfil => "fulfil".into(),
            TechnicalInput::Release { user } if user.seq() == 1 => "release(holder)".into(),
            TechnicalInput::Release { .. } => "release".into(),
        }
    }
}
