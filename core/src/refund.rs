//! The refund rule, one place for packages and offers alike (R29, P1): a
//! cancellation is refunded only when asked within the package's refund
//! window (30 days in the program's catalog) of its purchase, exact to the
//! second (B8), and only while no software benefit of the package was
//! activated (viewing a key counts, P1). An offer is judged on the terms of
//! the package it came with.

use crate::error::RefundRefusal;
use crate::lifecycle::{Timestamp, add_days_saturating};

/// The program's refund window, in days after purchase (R29): what a
/// catalog template that names none gets.
pub const REFUND_WINDOW_DAYS: u32 = 30;

/// What a cancellation of a package (or of one of its offers) is judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundTerms {
    /// When the package was bought.
    pub purchased_at: Timestamp,
    /// Days after purchase a refund may still be asked for (from the catalog).
    pub window_days: u32,
    /// Whether any key of the package was revealed (P1).
    pub software_activated: bool,
}

impl RefundTerms {
    /// The last moment a refund may be asked for.
    pub fn refundable_until(&self) -> Timestamp {
        // Saturating is exact here: a purchase's own term, longer than the
        // window, was checked against the calendar when it was decided.
        add_days_saturating(self.purchased_at, self.window_days)
    }

    /// Whether a cancellation asked at `now` is refunded; the window is checked first.
    pub fn assess(&self, now: Timestamp) -> Result<(), RefundRefusal> {
        if now > self.refundable_until() {
            return Err(RefundRefusal::WindowClosed);
        }
        if self.software_activated {
            return Err(RefundRefusal::SoftwareActivated);
        }
        Ok(())
    }
}
