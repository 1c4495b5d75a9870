//! A purchased package: active for a term, renewable inside a window (P2),
//! cancellable with a refund only early and before any key was revealed (R29).

use serde::{Deserialize, Serialize};

use super::{Machine, Timestamp, add_days_saturating, add_months, refuse, sub_days};
use crate::error::{Error, RefundRefusal};
use crate::refund::RefundTerms;

/// Where a package is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PackageState {
    /// Usable until `expires_at`.
    Active {
        /// End of the current term.
        expires_at: Timestamp,
    },
    /// The term ended; renewal may still be open (grace).
    Expired {
        /// When the term ended.
        expired_at: Timestamp,
    },
    /// Cancelled with a refund.
    Cancelled {
        /// When the cancellation was granted.
        cancelled_at: Timestamp,
    },
}

impl PackageState {
    /// The moment the package's next time-driven step falls due: its expiry.
    pub fn next_due(&self) -> Option<(Timestamp, PackageInput)> {
        match self {
            Self::Active { expires_at } => Some((*expires_at, PackageInput::Expire)),
            Self::Expired { .. } | Self::Cancelled { .. } => None,
        }
    }
}

/// What can happen to a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageInput {
    /// Renew for one more term (P2).
    Renew {
        /// Renewal opens this many days before expiry.
        window_days: u32,
        /// Renewal stays open this many days after expiry.
        grace_days: u32,
        /// Length of a term.
        term_months: u32,
    },
    /// The clock passed the end of the term.
    Expire,
    /// A cancellation request (R29), judged on the package's refund terms.
    Cancel(RefundTerms),
}

/// What happened to a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageFact {
    /// A new term runs until `expires_at`.
    Renewed {
        /// End of the new term.
        expires_at: Timestamp,
    },
    /// The term ended (at the end of the active term).
    Expired,
    /// Cancelled with a refund.
    Cancelled {
        /// When.
        cancelled_at: Timestamp,
    },
}

/// The package lifecycle.
pub struct PackageMachine;

impl Machine for PackageMachine {
    type State = PackageState;
    type Input = PackageInput;
    type Fact = PackageFact;
    const NAME: &'static str = "package";

    fn decide(state: &PackageState, input: &PackageInput, now: Timestamp) -> Result<PackageFact, Error> {
        use PackageInput as I;
        use PackageState as S;
        match (state, input) {
            // --- Active / Expired ---
            (S::Active { expires_at }, I::Renew { window_days, grace_days, term_months })
            | (S::Expired { expired_at: expires_at }, I::Renew { window_days, grace_days, term_months }) => {
                let opens = sub_days(*expires_at, *window_days);
                let closes = add_days_saturating(*expires_at, *grace_days);
                if now < opens {
                    return Err(Error::precondition(format!("renewal opens at {}", opens.to_rfc3339())));
                }
                if now > closes {
                    return Err(Error::precondition(format!("renewal closed at {}", closes.to_rfc3339())));
                }
                // P2: the new term starts where the old one ends, not at `now`.
                Ok(PackageFact::Renewed { expires_at: add_months(*expires_at, *term_months)? })
            }
            (S::Active { expires_at }, I::Expire) if now >= *expires_at => Ok(PackageFact::Expired),
            (S::Active { .. }, I::Cancel(terms)) => {
                terms.assess(now).map_err(|reason| Error::RefundNotAllowed { reason })?;
                Ok(PackageFact::Cancelled { cancelled_at: now })
            }
            // --- Expired ---
            (S::Expired { .. }, I::Cancel(_)) => Err(Error::RefundNotAllowed { reason: RefundRefusal::WindowClosed }),
            // --- Cancelled ---
            (S::Cancelled { .. }, I::Cancel(_)) => Err(Error::RefundNotAllowed { reason: RefundRefusal::AlreadyCancelled }),
            _ => Err(refuse::<PackageMachine>(state, input)),
        }
    }

    fn evolve(state: &PackageState, fact: &PackageFact) -> Result<PackageState, Error> {
        match (state, fact) {
            (_, PackageFact::Renewed { expires_at }) => Ok(PackageState::Active { expires_at: *expires_at }),
            (PackageState::Active { expires_at }, PackageFact::Expired) => Ok(PackageState::Expired { expired_at: *expires_at }),
            (_, PackageFact::Expired) => Err(super::not_replayable::<PackageMachine>(state)),
            (_, PackageFact::Cancelled { cancelled_at }) => Ok(PackageState::Cancelled { cancelled_at: *cancelled_at }),
        }
    }

    fn sample_states() -> Vec<PackageState> {
        let now = super::fixed_now_for_tables();
        vec![
            PackageState::Active { expires_at: add_days_saturating(now, 10) },
            PackageState::Active { expires_at: now },
            PackageState::Expired { expired_at: sub_days(now, 10) },
            PackageState::Cancelled { cancelled_at: now },
        ]
    }

    fn sample_inputs() -> Vec<PackageInput> {
        let now = super::fixed_now_for_tables();
        let terms = |days_ago, software_activated| RefundTerms {
            purchased_at: sub_days(now, days_ago),
            window_days: crate::refund::REFUND_WINDOW_DAYS,
            software_activated,
        };
        vec![
            PackageInput::Renew { window_days: 90, grace_days: 30, term_months: 12 },
            PackageInput::Expire,
            PackageInput::Cancel(terms(3, false)),
            PackageInput::Cancel(terms(3, true)),
            PackageInput::Cancel(terms(31, false)),
        ]
    }

    fn state_name(state: &PackageState) -> String {
        match state {
            PackageState::Active { expires_at } if *expires_at <= super::fixed_now_for_tables() => "active(due)".into(),
            PackageState::Active { .. } => "active".into(),
            PackageState::Expired { .. } => "expired".into(),
            PackageState::Cancelled { .. } => "cancelled".into(),
        }
    }

    fn input_name(input: &PackageInput) -> String {
        match input {
            PackageInput::Renew { .. } => "renew".into(),
            PackageInput::Expire => "expire".into(),
            PackageInput::Cancel(terms) if terms.software_activated => "cancel(activated)".into(),
            PackageInput::Cancel(terms) if terms.assess(super::fixed_now_for_tables()).is_err() => "cancel(late)".into(),
            PackageInput::Cancel(_) => "cancel".into(),
        }
    }
}
