//! Expiry reminders of one term of a package or an offer (P3): each
//! reminder day is mailed once per term, at its moment before the end, and
//! only while the term still runs. A new term (renewal, reactivation)
//! starts with none sent.

use std::collections::BTreeSet;

use super::{Machine, Timestamp, add_days_saturating, refuse, sub_days};
use crate::error::Error;

/// The reminder days of a term already mailed.
pub type RemindersSent = BTreeSet<u32>;

/// When one term's reminders fall due.
#[derive(Debug, Clone, Copy)]
pub struct ReminderPlan<'a> {
    /// Days before the end, from the catalog.
    pub days: &'a [u32],
    /// Start of the term: a reminder that would fall before it is never sent.
    pub term_starts: Timestamp,
    /// End of the term.
    pub term_ends: Timestamp,
}

impl ReminderPlan<'_> {
    /// The earliest reminder still to send, as seen at `now`: none once the
    /// term has ended by then (the expiry is what happens instead).
    pub fn next_due(&self, sent: &RemindersSent, now: Timestamp) -> Option<(Timestamp, ReminderInput)> {
        if now >= self.term_ends {
            return None;
        }
        self.days
            .iter()
            .filter(|days| !sent.contains(days))
            .map(|days| (sub_days(self.term_ends, *days), *days))
            .filter(|(at, _)| *at < self.term_ends && *at >= self.term_starts)
            .min()
            .map(|(at, days_before)| (at, ReminderInput::Remind { days_before, term_ends: self.term_ends }))
    }
}

/// What can happen to a term's reminders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderInput {
    /// Mail the reminder `days_before` the end of the term ending at `term_ends`.
    Remind {
        /// Days before the end.
        days_before: u32,
        /// End of the term.
        term_ends: Timestamp,
    },
    /// A new term started.
    NewTerm,
}

/// What happened to a term's reminders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderFact {
    /// The reminder of this day was mailed.
    Reminded {
        /// Days before the end.
        days_before: u32,
    },
    /// A new term started: nothing of it was mailed yet.
    TermStarted,
}

/// The reminder lifecycle of one term.
pub struct ReminderMachine;

impl Machine for ReminderMachine {
    type State = RemindersSent;
    type Input = ReminderInput;
    type Fact = ReminderFact;
    const NAME: &'static str = "reminder";

    fn decide(sent: &RemindersSent, input: &ReminderInput, now: Timestamp) -> Result<ReminderFact, Error> {
        match input {
            // P3: once per reminder, only while the term has not yet ended.
            ReminderInput::Remind { days_before, term_ends } if !sent.contains(days_before) && now < *term_ends => {
                Ok(ReminderFact::Reminded { days_before: *days_before })
            }
            ReminderInput::Remind { .. } => Err(refuse::<ReminderMachine>(sent, input)),
            ReminderInput::NewTerm => Ok(ReminderFact::TermStarted),
        }
    }

    fn evolve(sent: &RemindersSent, fact: &ReminderFact) -> Result<RemindersSent, Error> {
        let mut next = sent.clone();
        Self::evolve_in_place(&mut next, fact)?;
        Ok(next)
    }

    fn evolve_in_place(sent: &mut RemindersSent, fact: &ReminderFact) -> Result<(), Error> {
        match fact {
            ReminderFact::Reminded { days_before } => {
                sent.insert(*days_before);
            }
            ReminderFact::TermStarted => sent.clear(),
        }
        Ok(())
    }

    fn sample_states() -> Vec<RemindersSent> {
        vec![RemindersSent::new(), RemindersSent::from([30])]
    }

    fn sample_inputs() -> Vec<ReminderInput> {
        let now = super::fixed_now_for_tables();
        let running = add_days_saturating(now, 30);
        vec![
            ReminderInput::Remind { days_before: 30, term_ends: running },
            ReminderInput::Remind { days_before: 7, term_ends: running },
            ReminderInput::Remind { days_before: 7, term_ends: now },
            ReminderInput::NewTerm,
        ]
    }

    fn state_name(sent: &RemindersSent) -> String {
        if sent.is_empty() { "none sent".into() } else { format!("sent {sent:?}") }
    }

    fn input_name(input: &ReminderInput) -> String {
        match input {
            ReminderInput::Remind { days_before, term_ends } if *term_ends <= super::fixed_now_for_tables() => {
                format!("remind {days_before}(ended)")
            }
            ReminderInput::Remind { days_before, .. } => format!("remind {days_before}"),
            ReminderInput::NewTerm => "new term".into(),
        }
    }
}
