//! Activation of a keyed benefit: software (P1) or a license-based cloud
//! subscription whose redeemed key runs for a fixed term (P4).

use serde::{Deserialize, Serialize};

use super::{Machine, Timestamp, add_months, calendar_end, refuse};
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

impl SoftwareState {
    /// True once a key was revealed (P1: this closes the refund).
    pub fn is_activated(&self) -> bool {
        !matches!(self, Self::NotActivated)
    }

    /// The moment the next time-driven step falls due: a redeemed term's end.
    pub fn next_due(&self) -> Option<(Timestamp, SoftwareInput)> {
        match self {
            Self::Activated { expires_at: Some(end), .. } => Some((*end, SoftwareInput::Expire)),
            _ => None,
        }
    }
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

/// What happened to a keyed benefit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoftwareFact {
    /// Keys were shown at `at`; a first reveal of a license-based
    /// subscription starts its term of `term_months`.
    Revealed {
        /// When.
        at: Timestamp,
        /// Term of a redeemed key.
        term_months: Option<u32>,
    },
    /// The redeemed term ended.
    Expired,
}

/// The keyed-benefit lifecycle.
pub struct SoftwareMachine;

impl Machine for SoftwareMachine {
    type State = SoftwareState;
    type Input = SoftwareInput;
    type Fact = SoftwareFact;
    const NAME: &'static str = "software activation";

    fn decide(state: &SoftwareState, input: &SoftwareInput, now: Timestamp) -> Result<SoftwareFact, Error> {
        use SoftwareInput as I;
        use SoftwareState as S;
        match (state, input) {
            // --- NotActivated ---
            (S::NotActivated, I::Reveal { term_months }) => {
                // The term must end inside the calendar: checked here, where a
                // refusal reaches the caller, not when it is folded.
                if let Some(months) = term_months {
                    add_months(now, *months)?;
                }
                Ok(SoftwareFact::Revealed { at: now, term_months: *term_months })
            }
            // --- Activated / Expired ---
            // Revealing again shows the same keys; a key is redeemed once (P4), so the term does not restart.
            (S::Activated { .. } | S::Expired { .. }, I::Reveal { term_months }) => {
                Ok(SoftwareFact::Revealed { at: now, term_months: *term_months })
            }
            (S::Activated { expires_at: Some(end), .. }, I::Expire) if now >= *end => Ok(SoftwareFact::Expired),
            _ => Err(refuse::<SoftwareMachine>(state, input)),
        }
    }

    fn evolve(state: &SoftwareState, fact: &SoftwareFact) -> Result<SoftwareState, Error> {
        match (state, fact) {
            (SoftwareState::NotActivated, SoftwareFact::Revealed { at, term_months }) => {
                // Replay never refuses what was recorded: the term was checked
                // against the calendar when the reveal was decided.
                let expires_at = term_months.map(|months| add_months(*at, months).unwrap_or_else(|_| calendar_end()));
                Ok(SoftwareState::Activated { activated_at: *at, expires_at })
            }
            (_, SoftwareFact::Revealed { .. }) => Ok(state.clone()),
            (SoftwareState::Activated { expires_at: Some(end), .. }, SoftwareFact::Expired) => {
                Ok(SoftwareState::Expired { expired_at: *end })
            }
            (_, SoftwareFact::Expired) => Err(super::not_replayable::<SoftwareMachine>(state)),
        }
    }

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
