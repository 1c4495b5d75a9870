//! Every lifecycle as an explicit state machine, in the decide/evolve shape:
//! `decide(state, input, now)` judges an input and returns the fact it
//! causes (or a typed refusal, leaving the state as it was); `evolve(state,
//! fact)` is the only code that computes a next state. Deciding a command
//! and folding a stored event both end in the same `evolve`, so a transition
//! is written once. `README.md` beside this file draws each machine;
//! `render_table` prints its full table, from the same two functions, for
//! snapshot tests.

pub mod advisory;
pub mod delivery;
pub mod offer;
pub mod package;
pub mod reminder;
pub mod seat;
pub mod software;
pub mod technical;

use std::sync::LazyLock;

use chrono::{DateTime, Duration, Months, Utc};

use crate::error::Error;

/// A point in time, always UTC (B8).
pub type Timestamp = DateTime<Utc>;

/// A lifecycle: its states, the inputs it judges and the facts it records.
pub trait Machine {
    /// State type.
    type State: std::fmt::Debug;
    /// Input type: what is asked of the machine.
    type Input: std::fmt::Debug;
    /// What happened: the fact an accepted input causes, recorded as an event.
    type Fact: std::fmt::Debug;
    /// Name used in errors (`package`, `seat`, ...).
    const NAME: &'static str;
    /// Judges `input` in `state` at `now`: the fact it causes, or why not.
    fn decide(state: &Self::State, input: &Self::Input, now: Timestamp) -> Result<Self::Fact, Error>;
    /// The state after `fact`. Fails only for a fact that cannot follow
    /// `state`, which a log written by this library never holds.
    fn evolve(state: &Self::State, fact: &Self::Fact) -> Result<Self::State, Error>;
    /// [`Machine::evolve`] in place: what the fold calls. A machine whose
    /// state holds collections writes its evolution here (and `evolve` as a
    /// copy evolved in place), so folding a fact never copies them.
    fn evolve_in_place(state: &mut Self::State, fact: &Self::Fact) -> Result<(), Error>
    where
        Self::State: Sized,
    {
        *state = Self::evolve(state, fact)?;
        Ok(())
    }
    /// One representative of every state.
    fn sample_states() -> Vec<Self::State>;
    /// One representative of every input.
    fn sample_inputs() -> Vec<Self::Input>;
    /// Short name of a state for tables and errors.
    fn state_name(state: &Self::State) -> String;
    /// Short name of an input for tables and errors.
    fn input_name(input: &Self::Input) -> String;
}

/// Decides `input` and evolves by the fact: the next state and the fact.
pub fn transition<M: Machine>(state: &M::State, input: &M::Input, now: Timestamp) -> Result<(M::State, M::Fact), Error> {
    let fact = M::decide(state, input, now)?;
    let next = M::evolve(state, &fact)?;
    Ok((next, fact))
}

/// Folds `fact` into `state` in place (the fold's one way to move a machine).
pub(crate) fn apply<M: Machine>(state: &mut M::State, fact: &M::Fact) -> Result<(), Error>
where
    M::State: Sized,
{
    M::evolve_in_place(state, fact)
}

/// Renders the full transition table of `M`: every sample state against
/// every sample input, at a fixed time.
pub fn render_table<M: Machine>(now: Timestamp) -> String {
    let mut out = format!("# {} transitions\n", M::NAME);
    for state in M::sample_states() {
        for input in M::sample_inputs() {
            let result = match transition::<M>(&state, &input, now) {
                Ok((next, _)) => M::state_name(&next),
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

/// The error of a stored fact that cannot follow the state it is folded
/// into: the log was not written by this library, or was damaged.
/// (The fact itself is not shown: it may hold an address.)
pub(crate) fn not_replayable<M: Machine>(state: &M::State) -> Error {
    Error::storage(format!("event log does not replay: a {} step cannot follow state {}", M::NAME, M::state_name(state)))
}

/// The first moment the library records: 0001-01-01T00:00:00Z.
pub fn calendar_start() -> Timestamp {
    // Built once: turning seconds into a date is a calendar computation, and
    // the due-step walks ask for this bound for every reminder they weigh.
    static START: LazyLock<Timestamp> = LazyLock::new(|| DateTime::from_timestamp(-62_135_596_800, 0).unwrap_or(Timestamp::MIN_UTC));
    *START
}

/// The last moment the library records: 9999-12-31T23:59:59Z. Every date it
/// stores or returns lies between [`calendar_start`] and this, so every host
/// language can hold it (Python's `datetime` ends at year 9999). A step that
/// would need a later date is refused, never shortened to fit.
pub fn calendar_end() -> Timestamp {
    static END: LazyLock<Timestamp> = LazyLock::new(|| DateTime::from_timestamp(253_402_300_799, 0).unwrap_or(Timestamp::MAX_UTC));
    *END
}

/// The refusal of a step whose `what` would fall after [`calendar_end`].
pub(crate) fn beyond_calendar(what: &str) -> Error {
    Error::precondition(format!(
        "{what} would fall after {}, the end of the supported calendar",
        calendar_end().format("%Y-%m-%dT%H:%M:%SZ")
    ))
}

/// `at` plus `days` whole days, exact to the second (B8); refused past the
/// end of the calendar.
pub fn add_days(at: Timestamp, days: u32) -> Result<Timestamp, Error> {
    at.checked_add_signed(Duration::days(i64::from(days))).filter(|t| *t <= calendar_end()).ok_or_else(|| beyond_calendar("the date"))
}

/// As [`add_days`], but stopping at the end of the calendar: only for dates
/// derived from ones already recorded, whose own steps were checked when
/// they were decided (a view's refund deadline, a due step's expiry).
pub(crate) fn add_days_saturating(at: Timestamp, days: u32) -> Timestamp {
    add_days(at, days).unwrap_or_else(|_| calendar_end())
}

/// `at` minus `days` whole days; saturates at the first supported moment.
pub fn sub_days(at: Timestamp, days: u32) -> Timestamp {
    at.checked_sub_signed(Duration::days(i64::from(days))).unwrap_or(Timestamp::MIN_UTC).max(calendar_start())
}

/// `at` plus calendar months (month ends clamp, e.g. Jan 31 + 1 = Feb 28);
/// refused past the end of the calendar.
pub fn add_months(at: Timestamp, months: u32) -> Result<Timestamp, Error> {
    at.checked_add_months(Months::new(months)).filter(|t| *t <= calendar_end()).ok_or_else(|| beyond_calendar("the term's end"))
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
        insta::assert_snapshot!("reminder", render_table::<reminder::ReminderMachine>(now));
        insta::assert_snapshot!("technical", render_table::<technical::TechnicalMachine>(now));
        insta::assert_snapshot!("offer", render_table::<offer::OfferMachine>(now));
        insta::assert_snapshot!("advisory", render_table::<advisory::AdvisoryMachine>(now));
        insta::assert_snapshot!("delivery", render_table::<delivery::DeliveryMachine>(now));
    }
}
