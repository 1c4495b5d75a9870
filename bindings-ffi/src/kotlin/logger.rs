//! The host's logger (a foreign trait): the library's `tracing` events as
//! lines, through `setLogger(logger, level)`. See `crate::logging`.

use std::sync::Arc;

use tracing::Level;

use super::error::{BenefitsError, Result};
use crate::logging::{self, LogSink};

/// How much to log, from the least verbose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    /// Failures only.
    Error,
    /// And what may need attention.
    Warn,
    /// And each command, dispatch and catch-up (the useful default).
    Info,
    /// And each commit and retry.
    Debug,
    /// Everything.
    Trace,
}

impl From<LogLevel> for Level {
    fn from(level: LogLevel) -> Self {
        match level {
            LogLevel::Error => Level::ERROR,
            LogLevel::Warn => Level::WARN,
            LogLevel::Info => Level::INFO,
            LogLevel::Debug => Level::DEBUG,
            LogLevel::Trace => Level::TRACE,
        }
    }
}

impl From<Level> for LogLevel {
    fn from(level: Level) -> Self {
        match level {
            Level::ERROR => Self::Error,
            Level::WARN => Self::Warn,
            Level::INFO => Self::Info,
            Level::DEBUG => Self::Debug,
            _ => Self::Trace,
        }
    }
}

/// Receives the library's log lines; a host implements it (in Kotlin:
/// `object : Logger { ... }`, e.g. forwarding to SLF4J or `android.util.Log`).
/// Called on whichever thread the library works on. What it throws is
/// ignored: logging never fails a call.
#[uniffi::export(with_foreign)]
pub trait Logger: Send + Sync {
    /// One line at `level` from `target` (the library module that logged it).
    fn log(&self, level: LogLevel, target: String, line: String) -> Result<(), BenefitsError>;
}

struct HostLogger(Arc<dyn Logger>);

impl LogSink for HostLogger {
    fn log(&self, level: Level, target: &str, line: &str) {
        // Logging never fails the call that logged.
        let _ = self.0.log(level.into(), target.to_string(), line.to_string());
    }
}

/// Sends the library's log lines at `level` (default `INFO`) and less
/// verbose to `logger` for the whole process (`null`: stop).
/// `PreconditionFailed` when the process already has a global `tracing`
/// subscriber of its own.
#[uniffi::export(default(level = None))]
pub fn set_logger(logger: Option<Arc<dyn Logger>>, level: Option<LogLevel>) -> Result<()> {
    let sink = logger.map(|logger| Arc::new(HostLogger(logger)) as Arc<dyn LogSink>);
    Ok(logging::install(sink, level.unwrap_or(LogLevel::Info).into())?)
}
