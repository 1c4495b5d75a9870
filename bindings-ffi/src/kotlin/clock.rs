//! The manual clock a host (or a test) moves by hand.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use partner_benefits::Clock;

use super::error::{BenefitsError, Result};
use crate::Timestamp;

/// An instant as it crosses to Kotlin: `seconds:nanos`, as `java.time.Instant` holds it.
pub(crate) fn to_wire(time: &Timestamp) -> String {
    format!("{}:{}", time.timestamp(), time.timestamp_subsec_nanos())
}

/// An instant from Kotlin; one the core cannot represent is `invalid_input`.
pub(crate) fn from_wire(text: &str) -> Result<Timestamp> {
    text.split_once(':')
        .and_then(|(seconds, nanos)| DateTime::<Utc>::from_timestamp(seconds.parse().ok()?, nanos.parse().ok()?))
        .ok_or_else(|| BenefitsError::invalid("instant", "outside the years -262143 to 262142"))
}

/// A clock that moves only when told: for tests, demos and replays.
/// `BenefitCenter`s built with it read their time from it.
#[derive(Debug, uniffi::Object)]
pub struct ManualClock {
    pub(crate) inner: Arc<partner_benefits::ManualClock>,
}

#[uniffi::export]
impl ManualClock {
    /// A clock showing `start`. An instant outside the years -262143 to
    /// 262142 is `invalid_input`.
    #[uniffi::constructor]
    pub fn new(start: Timestamp) -> Result<Arc<Self>> {
        Ok(Arc::new(Self { inner: Arc::new(partner_benefits::ManualClock::new(start)) }))
    }

    /// The time it shows.
    pub fn now(&self) -> Timestamp {
        self.inner.now()
    }

    /// Moves it to `to` (forward or back).
    pub fn set(&self, to: Timestamp) -> Result<()> {
        self.inner.set(to);
        Ok(())
    }

    /// Moves it forward by `seconds` (back, if negative); returns the new time.
    pub fn advance(&self, seconds: i64) -> Result<Timestamp> {
        self.shift(TimeDelta::try_seconds(seconds))
    }

    /// Moves it forward by `days` (back, if negative); returns the new time.
    pub fn advance_days(&self, days: i64) -> Result<Timestamp> {
        self.shift(TimeDelta::try_days(days))
    }
}

impl ManualClock {
    fn shift(&self, by: Option<TimeDelta>) -> Result<Timestamp> {
        let to = by
            .and_then(|by| self.inner.now().checked_add_signed(by))
            .ok_or_else(|| BenefitsError::invalid("seconds", "the clock would leave the years -262143 to 262142"))?;
        self.inner.set(to);
        Ok(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_cross_exactly_including_just_before_1970() {
        for (seconds, nanos) in [(0_i64, 0_u32), (-1, 250_000_000), (-1, 999_999_999), (1_772_442_000, 123_456_789), (-62_135_596_800, 0)] {
            let wire = format!("{seconds}:{nanos}");
            let time = from_wire(&wire).unwrap();
            assert_eq!(to_wire(&time), wire);
        }
    }

    #[test]
    fn out_of_range_or_malformed_is_invalid_input() {
        for bad in ["31556889864403199:999999999", "-31557014167219200:0", "", "1", "x:1", "1:x", "1:2000000000"] {
            assert!(matches!(from_wire(bad), Err(BenefitsError::InvalidInput { .. })), "{bad}");
        }
    }
}
