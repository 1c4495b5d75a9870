//! A Go-To-Market offer: activate, pend, run until its expiry (R28), or be
//! cancelled (R29).

use serde::{Deserialize, Serialize};

use super::{Machine, Timestamp, add_days, add_days_saturating, refuse, sub_days};
use crate::error::{Error, RefundRefusal};
use crate::refund::RefundTerms;

/// Where an offer is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum OfferState {
    /// May be activated (if the level and competencies allow, R23).
    Available,
    /// Activated; instructions are on their way (R28).
    Pending {
        /// When it was activated.
        requested_at: Timestamp,
        /// When it becomes active.
        active_at: Timestamp,
    },
    /// Usable until `expires_at` (R28).
    Active {
        /// Since when.
        since: Timestamp,
        /// When it expires.
        expires_at: Timestamp,
    },
    /// Ran out; may be activated again.
    Expired {
        /// When it expired.
        expired_at: Timestamp,
    },
    /// Cancelled by a service request.
    Cancelled {
        /// When.
        cancelled_at: Timestamp,
    },
}

/// What can happen to an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfferInput {
    /// Activate (R28); lead and duration from the catalog.
    Activate {
        /// Days until active.
        lead_days: u32,
        /// Days it then runs.
        duration_days: u32,
    },
    /// The lead time passed.
    Fulfil {
        /// Days it runs from becoming active.
        duration_days: u32,
    },
    /// The clock passed the expiry.
    Expire,
    /// A cancellation request, judged on the refund terms of the offer's package (R29).
    Cancel(RefundTerms),
}

/// What happened to an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfferFact {
    /// Activated at `requested_at`; active from `active_at`.
    Activated {
        /// When it was activated.
        requested_at: Timestamp,
        /// When it becomes active.
        active_at: Timestamp,
    },
    /// The lead time passed: active since the pending `active_at`, until `expires_at`.
    Fulfilled {
        /// When it expires.
        expires_at: Timestamp,
    },
    /// The run ended (at the end of the active run).
    Expired,
    /// Cancelled by a service request, or with its package.
    Cancelled {
        /// When.
        cancelled_at: Timestamp,
    },
}

impl OfferState {
    /// The next time-driven step of an offer that runs `duration_days`.
    pub fn next_due(&self, duration_days: u32) -> Option<(Timestamp, OfferInput)> {
        match self {
            Self::Pending { active_at, .. } => Some((*active_at, OfferInput::Fulfil { duration_days })),
            Self::Active { expires_at, .. } => Some((*expires_at, OfferInput::Expire)),
            _ => None,
        }
    }
}

/// The offer lifecycle.
pub struct OfferMachine;

impl Machine for OfferMachine {
    type State = OfferState;
    type Input = OfferInput;
    type Fact = OfferFact;
    const NAME: &'static str = "offer";

    fn decide(state: &OfferState, input: &OfferInput, now: Timestamp) -> Result<OfferFact, Error> {
        use OfferInput as I;
        use OfferState as S;
        match (state, input) {
            // --- Available / Expired ---
            (S::Available | S::Expired { .. }, I::Activate { lead_days, duration_days }) => {
                let active_at = add_days(now, *lead_days)?;
                // Its whole run must fit the calendar, checked now rather than
                // when it falls due, where a refusal would stall the catch-up.
                add_days(active_at, *duration_days)?;
                Ok(OfferFact::Activated { requested_at: now, active_at })
            }
            // --- Pending ---
            (S::Pending { active_at, .. }, I::Fulfil { duration_days }) if now >= *active_at => {
                Ok(OfferFact::Fulfilled { expires_at: add_days(*active_at, *duration_days)? })
            }
            (S::Pending { .. } | S::Active { .. }, I::Cancel(terms)) => {
                terms.assess(now).map_err(|reason| Error::RefundNotAllowed { reason })?;
                Ok(OfferFact::Cancelled { cancelled_at: now })
            }
            // --- Active ---
            (S::Active { expires_at, .. }, I::Expire) if now >= *expires_at => Ok(OfferFact::Expired),
            // --- Cancelled ---
            (S::Cancelled { .. }, I::Cancel(_)) => Err(Error::RefundNotAllowed { reason: RefundRefusal::AlreadyCancelled }),
            _ => Err(refuse::<OfferMachine>(state, input)),
        }
    }

    fn evolve(state: &OfferState, fact: &OfferFact) -> Result<OfferState, Error> {
        match (state, fact) {
            (_, OfferFact::Activated { requested_at, active_at }) => {
                Ok(OfferState::Pending { requested_at: *requested_at, active_at: *active_at })
            }
            (OfferState::Pending { active_at, .. }, OfferFact::Fulfilled { expires_at }) => {
                Ok(OfferState::Active { since: *active_at, expires_at: *expires_at })
            }
            (OfferState::Active { expires_at, .. }, OfferFact::Expired) => Ok(OfferState::Expired { expired_at: *expires_at }),
            // An offer cancelled twice (itself, then with its package) keeps its first cancellation.
            (OfferState::Cancelled { .. }, OfferFact::Cancelled { .. }) => Ok(state.clone()),
            (_, OfferFact::Cancelled { cancelled_at }) => Ok(OfferState::Cancelled { cancelled_at: *cancelled_at }),
            (_, OfferFact::Fulfilled { .. } | OfferFact::Expired) => Err(super::not_replayable::<OfferMachine>(state)),
        }
    }

    fn sample_states() -> Vec<OfferState> {
        let now = super::fixed_now_for_tables();
        vec![
            OfferState::Available,
            OfferState::Pending { requested_at: now, active_at: add_days_saturating(now, 5) },
            OfferState::Pending { requested_at: now, active_at: now },
            OfferState::Active { since: now, expires_at: add_days_saturating(now, 365) },
            OfferState::Active { since: now, expires_at: now },
            OfferState::Expired { expired_at: now },
            OfferState::Cancelled { cancelled_at: now },
        ]
    }

    fn sample_inputs() -> Vec<OfferInput> {
        vec![
            OfferInput::Activate { lead_days: 5, duration_days: 365 },
            OfferInput::Fulfil { duration_days: 365 },
            OfferInput::Expire,
            OfferInput::Cancel(RefundTerms {
                purchased_at: sub_days(super::fixed_now_for_tables(), 3),
                window_days: crate::refund::REFUND_WINDOW_DAYS,
                software_activated: false,
            }),
        ]
    }

    fn state_name(state: &OfferState) -> String {
        let (name, due) = match state {
            OfferState::Available => ("available", false),
            OfferState::Pending { active_at, .. } => ("pending", *active_at <= super::fixed_now_for_tables()),
            OfferState::Active { expires_at, .. } => ("active", *expires_at <= super::fixed_now_for_tables()),
            OfferState::Expired { .. } => ("expired", false),
            OfferState::Cancelled { .. } => ("cancelled", false),
        };
        if due { format!("{name}(due)") } else { name.to_string() }
    }

    fn input_name(input: &OfferInput) -> String {
        match input {
            OfferInput::Activate { .. } => "activate".into(),
            OfferInput::Fulfil { .. } => "fulfil".into(),
            OfferInput::Expire => "expire".into(),
            OfferInput::Cancel(_) => "cancel".into(),
        }
    }
}
