//! Time: a port, so the decisions never read the wall clock themselves;
//! [`SystemClock`] is the host's wall clock behind it.

use std::sync::RwLock;

use chrono::Duration;

use crate::lifecycle::Timestamp;

/// Gives the current time in UTC.
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> Timestamp;
}

/// The system's wall clock in UTC: what a real host passes to
/// `BenefitCenter::new`. Tests use [`ManualClock`] instead.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        chrono::Utc::now()
    }
}

/// A clock that moves only when told; for tests, demos and replays.
#[derive(Debug)]
pub struct ManualClock {
    now: RwLock<Timestamp>,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: Timestamp) -> Self {
        Self { now: RwLock::new(start) }
    }

    /// Moves the clock to `to`.
    pub fn set(&self, to: Timestamp) {
        if let Ok(mut now) = self.now.write() {
            *now = to;
        }
    }

    /// Moves the clock forward (or back, for a negative duration). A move
    /// past the calendar chrono supports stops at its first or last moment
    /// rather than panicking.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut now) = self.now.write() {
            let limit = if by > Duration::zero() { Timestamp::MAX_UTC } else { Timestamp::MIN_UTC };
            *now = now.checked_add_signed(by).unwrap_or(limit);
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        self.now.read().map(|now| *now).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_past_the_calendar_saturates_instead_of_panicking() {
        let clock = ManualClock::new(Timestamp::MAX_UTC - Duration::days(1));
        clock.advance(Duration::days(2));
        assert_eq!(clock.now(), Timestamp::MAX_UTC);
        clock.set(Timestamp::MIN_UTC + Duration::days(1));
        clock.advance(Duration::days(-2));
        assert_eq!(clock.now(), Timestamp::MIN_UTC);
        clock.advance(Duration::days(3));
        assert_eq!(clock.now(), Timestamp::MIN_UTC + Duration::days(3));
    }
}
