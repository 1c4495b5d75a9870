//! Time: a port, so the core never reads the wall clock itself.

use std::sync::Mutex;

use chrono::Duration;

use crate::lifecycle::Timestamp;

/// Gives the current time in UTC.
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> Timestamp;
}

/// A clock that moves only when told; for tests, demos and replays.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: Timestamp) -> Self {
        Self { now: Mutex::new(start) }
    }

    /// Moves the clock to `to`.
    pub fn set(&self, to: Timestamp) {
        if let Ok(mut now) = self.now.lock() {
            *now = to;
        }
    }

    /// Moves the clock forward (or back, for a negative duration).
    pub fn advance(&self, by: Duration) {
        if let Ok(mut now) = self.now.lock() {
            *now += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        self.now.lock().map(|now| *now).unwrap_or_default()
    }
}
