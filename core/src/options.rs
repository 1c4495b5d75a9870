//! The center's tuning knobs.

use chrono::Duration;

use crate::lifecycle::delivery::RetryPolicy;

/// Tuning knobs with safe defaults.
///
/// # When a snapshot is written
///
/// A snapshot serializes an organization's whole state, so its cost grows
/// with the organization while an event's does not. After a commit the
/// center writes one when the events appended since the organization's last
/// snapshot (the one it wrote, or loaded the state from) number
///
/// - at least `snapshot_every`, and
/// - at least the last snapshot's size in bytes divided by
///   `snapshot_bytes_per_event`.
///
/// So a small organization gets a snapshot every `snapshot_every` events,
/// and a large one every `size / snapshot_bytes_per_event` events: each
/// event pays for serializing at most about `snapshot_bytes_per_event`
/// bytes of state (plus what it adds to the state), whatever the size of
/// the organization. Opening replays at most that many events after the
/// newest snapshot (plus one batch): a number of events proportional to the
/// snapshot's size, so opening stays within a fixed multiple of loading it.
/// A state that was replayed without a snapshot counts as size 0 until its
/// first snapshot. `snapshot_every = 0` writes none;
/// `snapshot_bytes_per_event = 0` keeps to `snapshot_every` alone.
/// Numbered from the version of the last snapshot, not from multiples of
/// `snapshot_every`. See `docs/adr/0004-snapshot-cadence.md`.
#[derive(Debug, Clone)]
pub struct CenterOptions {
    /// Write a snapshot of a stream at most every this many events (0: never).
    pub snapshot_every: u64,
    /// Bytes of the last snapshot one new event pays for: a snapshot of `n`
    /// bytes is followed by at least `n / snapshot_bytes_per_event` events
    /// before the next (0: `snapshot_every` alone decides).
    pub snapshot_bytes_per_event: u64,
    /// How long a dispatcher holds a claimed mail before others may retry it.
    pub mail_lease: Duration,
    /// Most mails one dispatch sends.
    pub dispatch_batch: usize,
    /// How refused mail is retried, and when it is parked.
    pub mail_retry: RetryPolicy,
}

impl Default for CenterOptions {
    fn default() -> Self {
        Self {
            snapshot_every: 500,
            snapshot_bytes_per_event: 256,
            mail_lease: Duration::minutes(5),
            dispatch_batch: 1000,
            mail_retry: RetryPolicy::default(),
        }
    }
}

impl CenterOptions {
    /// Whether a stream `since` events past a snapshot of `bytes` bytes is due another.
    pub(crate) fn snapshot_due(&self, since: u64, bytes: u64) -> bool {
        let every = self.snapshot_every;
        let proportional = bytes.checked_div(self.snapshot_bytes_per_event).unwrap_or(0);
        every != 0 && since >= every && since >= proportional
    }
}
