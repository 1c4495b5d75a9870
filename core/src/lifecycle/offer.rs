//! A Go-To-Market offer: activate, pend, run until its expiry (R28), or be
//! cancelled (R29).

use serde::{Deserialize, Serialize};

use super::{Machine, Timestamp, add_days, add_days_saturating, refuse};
use crate::error::{Error, RefundRefusal};

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
    /// A cancellation request; the package-level refund rule was checked by the caller.
    Cancel,
}

/// The offer lifecycle.
pub struct OfferMachine;

/// The offer transition function.
pub fn transition(state: &OfferState, input: &OfferInput, now: Timestamp) -> Result<OfferState, Error> {
    use OfferInput as I;
    use OfferState as S;
    match (state, input) {
        // --- Available / Expired ---
        (S::Available | S::Expired { .. }, I::Activate { lead_days, duration_days }) => {
            let active_at = add_days(now, *lead_days)?;
            // Its whole run must fit the calendar, checked now rather than
            // when it falls due, where a refusal would stall the catch-up.
            add_days(active_at, *duration_days)?;
            Ok(S::Pending { requested_at: now, active_at })
        }
        // --- Pending ---
        (S::Pending { active_at, .. }, I::Fulfil { duration_days }) if now >= *active_at => {
            Ok(S::Active { since: *active_at, expires_at: add_days(*active_at, *duration_days)? })
        }
        (S::Pending { .. } | S::Active { .. }, I::Cancel) => Ok(S::Cancelled { cancelled_at: now }),
        // --- Active ---
        (S::Active { expires_at, .. }, I::Expire) if now >= *expires_at => Ok(S::Expired { expired_at: *expires_at }),
        // --- Cancelled ---
        (S::Cancelled { .. }, I::Cancel) => Err(Error::RefundNotAllowed { reason: RefundRefusal::AlreadyCancelled }),
        _ => Err(refuse::<OfferMachine>(state, input)),
    }
}

impl Machine for OfferMachine {
    type State = OfferState;
    type Input = OfferInput;
    const NAME: &'static str = "offer";

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
            OfferInput::Cancel,
        ]
    }

    fn step(state: &OfferState, input: &OfferInput, now: Timestamp) -> Result<OfferState, Error> {
        transition(state, input, now)
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
            OfferInput::Cancel => "cancel".into(),
        }
    }
}
