//! The wall clock, for hosts (the core reads time only through `Clock`).

use partner_benefits::{Clock, Timestamp};

/// The system's wall clock in UTC: what a real host passes to
/// `BenefitCenter::new`. Tests use `ManualClock` instead.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        chrono::Utc::now()
    }
}
