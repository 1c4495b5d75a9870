//! Writers that meet: when another writer (a thread, a process, another
//! instance) commits to a stream first, the store refuses the commit with a
//! `conflict` the caller did not cause. Such a commit is decided again on the
//! new state, after a jittered, exponentially growing pause, within a budget;
//! only a command the new state refuses fails, with that state's error.

use std::time::Duration;

use crate::error::Error;

/// Attempts after the first when the host asked for no other budget. 12
/// let a few commands in a hundred through as `conflict` when 4 or 8
/// processes without pause all wrote to one organization (`--bench
/// scale_out`); 32 lets none through at 4.
pub const DEFAULT_RETRY_BUDGET: u32 = 32;

/// The first pause, and the longest: racing writers spread out quickly, and
/// one that kept losing is not left asleep while the others win (every
/// attempt of a budget of 32 together stay under about half a second).
const FIRST_PAUSE: Duration = Duration::from_micros(200);
const LONGEST_PAUSE: Duration = Duration::from_millis(20);

/// No attempt starts once this long has passed since the first: an attempt
/// that itself waited long (a SQLite writer that waited out its busy
/// timeout for another process's lock) is not repeated budget times over.
pub(crate) const RETRY_TIME: Duration = Duration::from_secs(2);

/// Why a transaction did not commit.
#[derive(Debug)]
pub(crate) enum TxError {
    /// Another writer committed first; deciding again on the new state may succeed.
    Contended(Error),
    /// Refused, or the store failed: deciding again would give the same.
    Failed(Error),
}

impl From<Error> for TxError {
    fn from(err: Error) -> Self {
        Self::Failed(err)
    }
}

impl TxError {
    /// The error as the caller sees it when no attempt is left.
    pub(crate) fn into_error(self) -> Error {
        match self {
            Self::Contended(err) | Self::Failed(err) => err,
        }
    }
}

/// The error a caller gets when every attempt met another writer: it says so.
pub(crate) fn exhausted(last: Error, attempts: u32) -> Error {
    Error::conflict(format!("other writers kept committing first ({attempts} attempts, the last: {last}); try again later"))
}

/// Waits before attempt `attempt` (1 for the first retry): up to twice the
/// previous ceiling, at a random point below it so that writers that met
/// do not meet again in step.
pub(crate) fn pause(attempt: u32) {
    let ceiling = FIRST_PAUSE.saturating_mul(1u32 << attempt.min(16)).min(LONGEST_PAUSE);
    let micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
    std::thread::sleep(Duration::from_micros(fastrand::u64(micros / 2..=micros)));
}
