//! The refund rule, one place for packages and offers alike (R29, P1): a
//! cancellation is refunded only when asked within 30 days of the package's
//! purchase, exact to the second (B8), and only while no software benefit of
//! the package was activated (viewing a key counts, P1).

use crate::error::RefundRefusal;
use crate::lifecycle::{Timestamp, add_days_saturating};

/// Refunds are possible up to this many days after purchase (R29).
pub const REFUND_WINDOW_DAYS: u32 = 30;

/// The last moment a refund of a package bought at `purchased_at` may be asked for.
pub fn refundable_until(purchased_at: Timestamp) -> Timestamp {
    // Saturating is exact here: a purchase's own term, longer than the
    // window, was checked against the calendar when it was decided.
    add_days_saturating(purchased_at, REFUND_WINDOW_DAYS)
}

/// Whether a cancellation asked at `now` is refunded; the window is checked first.
pub(crate) fn assess(purchased_at: Timestamp, software_activated: bool, now: Timestamp) -> Result<(), RefundRefusal> {
    if now > refundable_until(purchased_at) {
        return Err(RefundRefusal::WindowClosed);
    }
    if software_activated {
        return Err(RefundRefusal::SoftwareActivated);
    }
    Ok(())
}
