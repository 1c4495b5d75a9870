//! Every lifecycle as an explicit state machine: an enum of states, an enum
//! of inputs and one pure `transition` function. Illegal steps are typed
//! errors that leave the state unchanged. `README.md` beside this file draws
//! each machine; `render_table` prints its full table for snapshot tests.

pub mod advisory;
pub mod delivery;
pub mod offer;
pub mod package;
pub mod seat;
pub mod software;
pub mod technical;

use chrono::{DateTime, Duration, Months, Utc};

use crate::error::Error;

/// A point in time, always UTC (B8).
pub type Timestamp = DateTime<Utc>;

/// What every machine offers to the table renderer.
pub trait Machine {
    /// State type.
    type State: std::fmt::Debug;
    /// Input type.
    type Input: std::fmt::Debug;
    /// Name used in errors (`package`, `seat`, ...).
    const NAME: &'static str;
    /// One representative of every state.
    fn sample_states() -> Vec<Self::State>;
    /// One representative of every input.
    fn sample_inputs() -> Vec<Self::Input>;
    /// The transition function.
    fn step(state: &Self::State, input: &Self::Input, now: Timestamp) -> Result<Self::State, Error>;
    /// Short name of a state for tables and errors.
    fn state_name(state: &Self::State) -> String;
    /// Short name of an input for tables and errors.
    fn input_name(input: &Self::Input) -> String;
}

/// Renders the full transition table of `M`: every sample state against
/// every sample input, at a fixed time.
pub fn render_table<M: Machine>(now: Timestamp) -> String {
    let mut out = format!("# {} transitions\n", M::NAME);
    for state in M::sample_states() {
        for input in M::sample_inputs() {
            let result = match M::step(&state, &input, now) {
                Ok(next) => M::state_name(&next),
                Err(err) => format!("error {}", err.code()),
            };
            out.push_str(&format!("{:<22} --{:<18}--> {}\n", M::state_name(&state), M::input_name(&input), result));
        }
    }
    out
}

pub(crate) fn refuse<M: Machine>(state: &M::State, input: &M::Input) -> Error {
    Error::InvalidTransition { machine: M::NAME, state: M::state_name(state), input: M::input_name(input) }
}

/// `at` plus `days` whole days, exact to the second (B8). Saturates at the
/// last moment chrono supports instead of panicking (a clock a host set
/// near the end of time must not crash a command).
pub fn add_days(at: Timestamp, days: u32) -> Timestamp {
    at.checked_add_signed(Duration::days(i64::from(days))).unwrap_or(Timestamp::MAX_UTC)
}

/// `at` minus `days` whole days; saturates at the first supported moment.
pub fn sub_days(at: Timestamp, days: u32) -> Timestamp {
    at.checked_sub_signed(Duration::days(i64::from(days))).unwrap_or(Timestamp::MIN_UTC)
}

/// `at` plus calendar months (month ends clamp, e.g. Jan 31 + 1 = Feb 28).
pub fn add_months(at: Timestamp, months: u32) -> Result<Timestamp, Error> {
    at.checked_add_months(Months::new(months)).ok_or_else(|| Error::invalid("term_months", "the term ends beyond the supported calendar"))
}

/// The fixed moment the sample states of the tables are built around.
pub(crate) fn fixed_now_for_tables() -> Timestamp {
    use chrono::TimeZone;
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_tables_snapshot() {
        let now = fixed_now_for_tables();
        insta::assert_snapshot!("package", render_table::<package::PackageMachine>(now));
        insta::assert_snapshot!("software", render_table::<software::SoftwareMachine>(now));
        insta::assert_snapshot!("seat", render_table::<seat::SeatMachine>(now));
        insta::assert_snapshot!("technical", render_table::<technical::TechnicalMachine>(now));
        insta::assert_snapshot!("offer", render_table::<offer::OfferMachine>(now));
        insta::assert_snapshot!("advisory", render_table::<advisory::AdvisoryMachine>(now));
        insta::assert_snapshot!("delivery", render_table::<delivery::DeliveryMachine>(now));
    }
}
