//! Activation of a keyed benefit: software (P1) or a license-based cloud
//! subscription whose redeemed key runs for a fixed term (P4).

use serde::{Deserialize, Serialize};

use super::{Machine, Timestamp, add_months, refuse};
use crate::error::Error;

/// Whether the keys of a benefit were revealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SoftwareState {
    /// No key was revealed yet.
    NotActivated,
    /// Keys were revealed: the benefit is in use.
    Activated {
        /// First reveal.
        activated_at: Timestamp,
        /// End of the redeemed term, for license-based subscriptions (P4).
        expires_at: Option<Timestamp>,
    },
    /// The redeemed term ended (P4).
    Expired {
        /// When it ended.
        expired_at: Timestamp,
    },
}

/// What can happen to a keyed benefit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoftwareInput {
    /// Someone revealed the keys; `term_months` is set for license-based subscriptions.
    Reveal {
        /// Term of a redeemed key.
        term_months: Option<u32>,
    },
    /// The clock passed the redeemed term.
    Expire,
}

/// The keyed-benefit lifecycle.
pub struct SoftwareMachine;

/// The keyed-benefit transition function.
pub fn transition(state: &SoftwareState, input: &SoftwareInput, now: Timestamp) -> Result<SoftwareState, Error> {
    use SoftwareInput as I;
    use SoftwareState as S;
    match (state, input) {
        // --- NotActivated ---
        (S::NotActivated, I::Reveal { term_months }) => {
            let expires_at = term_months.map(|months| add_months(now, months)).transpose()?;
            Ok(S::Activated { activated_at: now, expires_at })
        }
        // --- Activated ---
        // Revealing again shows the same keys; a key is redeemed once (P4), so the term does not restart.
        (S::Activated { .. }, I::Reveal { .. }) => Ok(state.clone()),
        (S::Activated { expires_at: Some(end), .. }, I::Expire) if now >= *end => Ok(S::Expired { expired_at: *end }),
        // --- Expired ---
        (S::Expired { .. }, I::Reveal { .. }) => Ok(state.clone()),
        _ => Err(refuse::<SoftwareMachine>(state, input)),
    }
}

impl Machine for SoftwareMachine {
    type State = SoftwareState;
    type Input = SoftwareInput;
    const NAME: &'static str = "software activation";

    fn sample_states() -> Vec<SoftwareState> {
        let now = super::fixed_now_for_tables();
        vec![
            SoftwareState::NotActivated,
            SoftwareState::Activated { activated_at: now, expires_at: None },
            SoftwareState::Activated { activated_at: now, expires_at: Some(now) },
            SoftwareState::Expired { expired_at: now },
        ]
    }

    fn sample_inputs() -> Vec<SoftwareInput> {
        vec![SoftwareInput::Reveal { term_months: None }, SoftwareInput::Reveal { term_months: Some(12) }, SoftwareInput::Expire]
    }

    fn step(state: &SoftwareState, input: &SoftwareInput, now: Timestamp) -> Result<SoftwareState, Error> {
        transition(state, input, now)
    }

    fn state_name(state: &SoftwareState) -> String {
        match state {
            SoftwareState::NotActivated => "not_activated".into(),
            SoftwareState::Activated { expires_at: None, .. } => "activated".into(),
            SoftwareState::Activated { expires_at: Some(_), .. } => "activated(term)".into(),
            SoftwareState::Expired { .. } => "expired".into(),
        }
    }

    fn input_name(input: &SoftwareInput) -> String {
        match input {
            SoftwareInput::Reveal { term_months: None } => "reveal".into(),
            SoftwareInput::Reveal { term_months: Some(_) } => "reveal(term)".into(),
            SoftwareInput::Expire => "expire".into(),
        }
    }
}
