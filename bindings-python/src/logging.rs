//! `partner_benefits.enable_logging(level)`: the library's `tracing` events
//! as records of Python's `logging`, through `pyo3-log`, under loggers named
//! after the library's modules (`partner_benefits.session`, ...). Opt-in, so
//! a host that does not log pays nothing for it.

use std::sync::Arc;

use partner_benefits_bindings::logging::{self, LogSink};
use partner_benefits_bindings::python::errors::to_py;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tracing::Level;

/// Hands each line to the `log` facade, which `pyo3-log` forwards to Python.
struct ToPythonLogging;

impl LogSink for ToPythonLogging {
    fn log(&self, level: Level, target: &str, line: &str) {
        let level = match level {
            Level::ERROR => log::Level::Error,
            Level::WARN => log::Level::Warn,
            Level::INFO => log::Level::Info,
            Level::DEBUG => log::Level::Debug,
            Level::TRACE => log::Level::Trace,
        };
        log::logger().log(&log::Record::builder().level(level).target(target).args(format_args!("{line}")).build());
    }
}

/// The `pyo3-log` bridge, installed once per process. `PyOnceLock` runs the
/// install once even when threads call this at the same time (a second
/// install would fail), waiting with the GIL released so it cannot deadlock.
fn bridge(py: Python<'_>) -> PyResult<&'static pyo3_log::ResetHandle> {
    static BRIDGE: PyOnceLock<pyo3_log::ResetHandle> = PyOnceLock::new();
    BRIDGE.get_or_try_init(py, || {
        pyo3_log::Logger::new(py, pyo3_log::Caching::LoggersAndLevels)?
            .install()
            .map_err(|_| pyo3::exceptions::PyRuntimeError::new_err("another Rust logger is already installed in this process"))
    })
}

/// Sends the library's log records at `level` (a `logging` level number,
/// default `logging.INFO`) and above to Python's `logging`, under loggers
/// named `partner_benefits.<module>`; `None` stops. Configure handlers and
/// levels as for any library; call it again after changing the loggers'
/// levels so the cached levels are read afresh.
#[pyfunction]
#[pyo3(signature = (level = Some(20)))]
pub fn enable_logging(py: Python<'_>, level: Option<i32>) -> PyResult<()> {
    let Some(level) = level else {
        return py.detach(|| logging::install(None, Level::ERROR)).map_err(|err| to_py(py, &err));
    };
    bridge(py)?.reset();
    // Python's numbers: DEBUG 10, INFO 20, WARNING 30, ERROR 40 (and anything between).
    let max = match level {
        ..=9 => Level::TRACE,
        10..=19 => Level::DEBUG,
        20..=29 => Level::INFO,
        30..=39 => Level::WARN,
        _ => Level::ERROR,
    };
    // Without the GIL: a thread logging from inside the library may be
    // waiting for it while it holds what `install` needs.
    py.detach(|| logging::install(Some(Arc::new(ToPythonLogging)), max)).map_err(|err| to_py(py, &err))
}
