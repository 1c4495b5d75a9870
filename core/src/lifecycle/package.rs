//! A purchased package: active for a term, renewable inside a window (P2),
//! cancellable with a refund only early and before any key was revealed (R29).

use serde::{Deserialize, Serialize};

use super::{Machine, Timestamp, add_days_saturating, add_months, refuse, sub_days};
use crate::error::{Error, RefundRefusal};

pub use crate::refund::REFUND_WINDOW_DAYS;

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
    /// A cancellation request (R29).
    Cancel {
        /// When the package was bought.
        purchased_at: Timestamp,
        /// Whether any key of the package was revealed (P1).
        software_activated: bool,
    },
}

/// The package lifecycle.
pub struct PackageMachine;

/// The package transition function.
pub fn transition(state: &PackageState, input: &PackageInput, now: Timestamp) -> Result<PackageState, Error> {
    use PackageInput as I;
    use PackageState as S;
    match (state, input) {
        // --- Active ---
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
            Ok(S::Active { expires_at: add_months(*expires_at, *term_months)? })
        }
        (S::Active { expires_at }, I::Expire) if now >= *expires_at => Ok(S::Expired { expired_at: *expires_at }),
        (S::Active { .. }, I::Cancel { purchased_at, software_activated }) => {
            crate::refund::assess(*purchased_at, *software_activated, now).map_err(|reason| Error::RefundNotAllowed { reason })?;
            Ok(S::Cancelled { cancelled_at: now })
        }
        // --- Expired ---
        (S::Expired { .. }, I::Cancel { .. }) => Err(Error::RefundNotAllowed { reason: RefundRefusal::WindowClosed }),
        // --- Cancelled ---
        (S::Cancelled { .. }, I::Cancel { .. }) => Err(Error::RefundNotAllowed { reason: RefundRefusal::AlreadyCancelled }),
        _ => Err(refuse::<PackageMachine>(state, input)),
    }
}

impl Machine for PackageMachine {
    type State = PackageState;
    type Input = PackageInput;
    const NAME: &'static str = "package";

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
        vec![
            PackageInput::Renew { window_days: 90, grace_days: 30, term_months: 12 },
            PackageInput::Expire,
            PackageInput::Cancel { purchased_at: sub_days(now, 3), software_activated: false },
            PackageInput::Cancel { purchased_at: sub_days(now, 3), software_activated: true },
            PackageInput::Cancel { purchased_at: sub_days(now, 31), software_activated: false },
        ]
    }

    fn step(state: &PackageState, input: &PackageInput, now: Timestamp) -> Result<PackageState, Error> {
        transition(state, input, now)
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
            PackageInput::Cancel { software_activated: true, .. } => "cancel(activated)".into(),
            PackageInput::Cancel { purchased_at, .. } if *purchased_at < sub_days(super::fixed_now_for_tables(), REFUND_WINDOW_DAYS) => {
                "cancel(late)".into()
            }
            PackageInput::Cancel { .. } => "cancel".into(),
        }
    }
}
