//! The wall clock, kept here for hosts that named it from this crate: it is
//! the core's [`partner_benefits::SystemClock`].

pub use partner_benefits::SystemClock;
