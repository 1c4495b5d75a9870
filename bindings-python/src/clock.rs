//! `ManualClock`: the time a test, a demo or a replay moves by hand.

use std::sync::Arc;

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use partner_benefits::{Clock, ManualClock};
use partner_benefits_bindings::python::convert::aware_utc;
use partner_benefits_bindings::python::errors::invalid;
use pyo3::prelude::*;

/// A clock that moves only when told; for tests, demos and replays.
/// `ManualClock(start)` shows `start` (an aware datetime) until moved.
#[pyclass(name = "ManualClock", module = "partner_benefits", frozen)]
pub struct PyManualClock {
    pub(crate) clock: Arc<ManualClock>,
}

#[pymethods]
impl PyManualClock {
    #[new]
    fn new(start: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self { clock: Arc::new(ManualClock::new(aware_utc("start", start)?)) })
    }

    /// The time it shows, in UTC.
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Moves the clock to `to` (an aware datetime).
    fn set(&self, to: &Bound<'_, PyAny>) -> PyResult<()> {
        self.clock.set(aware_utc("to", to)?);
        Ok(())
    }

    /// Moves the clock forward (or back, for a negative timedelta); it stays
    /// inside the years 1 to 9999 that `datetime` can show.
    fn advance(&self, py: Python<'_>, by: TimeDelta) -> PyResult<()> {
        // The GIL is held throughout, so no other Python call moves the clock in between.
        let next = self
            .clock
            .now()
            .checked_add_signed(by)
            .filter(|t| (1..=9999).contains(&t.year()))
            .ok_or_else(|| invalid(py, "by", "the clock would leave the years 1 to 9999"))?;
        self.clock.set(next);
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!("ManualClock({})", self.clock.now().to_rfc3339())
    }
}
