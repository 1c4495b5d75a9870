//! A benefit's seats: the subscriptions of a Visual Studio benefit (R14–R16)
//! or the single seat of an Azure usage-based subscription (R12). The
//! capacity is a guard of the machine itself (R15): no seat is handed out
//! beyond it, and nobody holds two.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Machine, Timestamp, refuse};
use crate::error::Error;
use crate::ids::{OrganizationId, UserId};

/// Who holds which of a fixed number of seats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatPool {
    /// Seats in all.
    pub capacity: u32,
    /// The holders, each with the moment they got their seat.
    pub holders: BTreeMap<UserId, Timestamp>,
}

impl SeatPool {
    /// An empty pool of `capacity` seats.
    pub fn new(capacity: u32) -> Self {
        Self { capacity, holders: BTreeMap::new() }
    }

    /// True when every seat is held.
    pub fn is_full(&self) -> bool {
        self.holders.len() >= usize::try_from(self.capacity).unwrap_or(usize::MAX)
    }
}

/// What can happen to a seat pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatInput {
    /// Give a seat to a user.
    Assign {
        /// The new holder.
        user: UserId,
    },
    /// Take a user's seat back (R16).
    Release {
        /// The holder.
        user: UserId,
    },
}

/// What happened to a seat pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatFact {
    /// `user` holds a seat since `since`.
    Assigned {
        /// The holder.
        user: UserId,
        /// Since when.
        since: Timestamp,
    },
    /// `user` holds no seat any more.
    Released {
        /// The former holder.
        user: UserId,
    },
}

/// The seat-pool lifecycle.
pub struct SeatMachine;

impl Machine for SeatMachine {
    type State = SeatPool;
    type Input = SeatInput;
    type Fact = SeatFact;
    const NAME: &'static str = "seat";

    fn decide(pool: &SeatPool, input: &SeatInput, now: Timestamp) -> Result<SeatFact, Error> {
        match input {
            // R15: one user per seat, the same user never twice, never beyond the allocation.
            SeatInput::Assign { user } if pool.holders.contains_key(user) => {
                Err(Error::conflict(format!("`{user}` already holds one of these seats")))
            }
            SeatInput::Assign { .. } if pool.is_full() => {
                Err(Error::CapacityExhausted { what: format!("all {} seats are assigned", pool.capacity) })
            }
            SeatInput::Assign { user } => Ok(SeatFact::Assigned { user: *user, since: now }),
            // R16: a seat is taken back only from its holder.
            SeatInput::Release { user } if pool.holders.contains_key(user) => Ok(SeatFact::Released { user: *user }),
            SeatInput::Release { .. } => Err(refuse::<SeatMachine>(pool, input)),
        }
    }

    fn evolve(pool: &SeatPool, fact: &SeatFact) -> Result<SeatPool, Error> {
        let mut next = pool.clone();
        Self::evolve_in_place(&mut next, fact)?;
        Ok(next)
    }

    fn evolve_in_place(pool: &mut SeatPool, fact: &SeatFact) -> Result<(), Error> {
        match fact {
            SeatFact::Assigned { user, since } => {
                pool.holders.insert(*user, *since);
            }
            SeatFact::Released { user } => {
                pool.holders.remove(user);
            }
        }
        Ok(())
    }

    fn sample_states() -> Vec<SeatPool> {
        let holder = UserId::new(OrganizationId::new(1), 1);
        let since = super::fixed_now_for_tables();
        let mut one_held = SeatPool::new(2);
        one_held.holders.insert(holder, since);
        let mut full = SeatPool::new(1);
        full.holders.insert(holder, since);
        vec![SeatPool::new(2), one_held, full]
    }

    fn sample_inputs() -> Vec<SeatInput> {
        let holder = UserId::new(OrganizationId::new(1), 1);
        let other = UserId::new(OrganizationId::new(1), 2);
        vec![
            SeatInput::Assign { user: other },
            SeatInput::Assign { user: holder },
            SeatInput::Release { user: holder },
            SeatInput::Release { user: other },
        ]
    }

    fn state_name(pool: &SeatPool) -> String {
        match pool.holders.len() {
            0 => "vacant".into(),
            _ if pool.is_full() => "full".into(),
            _ => "partly held".into(),
        }
    }

    fn input_name(input: &SeatInput) -> String {
        let holder = UserId::new(OrganizationId::new(1), 1);
        match input {
            SeatInput::Assign { user } if *user == holder => "assign(holder)".into(),
            SeatInput::Assign { .. } => "assign".into(),
            SeatInput::Release { user } if *user == holder => "release(holder)".into(),
            SeatInput::Release { .. } => "release".into(),
        }
    }
}
