//! Waiting for another connection's write lock. SQLite's own busy handler
//! sleeps 1, 2, 5, 10, 15, 20, 25 ... 100 ms between tries, so a writer that
//! meets another process's commit (about a millisecond long) sleeps many
//! times longer than the lock is held. This handler tries again after
//! short pauses that grow to at most 2 ms, jittered so that waiters do not
//! wake in step, until the store's busy timeout has passed.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// The first pause; each next one doubles, up to [`LONGEST`].
const FIRST: Duration = Duration::from_micros(50);
const LONGEST: Duration = Duration::from_millis(2);
/// Tries allowed when no call set a deadline (every call of the store sets
/// one; this bounds any other): 2.5 to 5 s of pauses.
const TRIES_WITHOUT_DEADLINE: i32 = 2_500;

thread_local! {
    /// When the call this thread is running stops waiting for the lock.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// While alive, waits on this thread end `timeout` after it was made.
pub(crate) struct Waiting {
    before: Option<Instant>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        DEADLINE.set(self.before);
    }
}

/// Sets this thread's deadline for the call about to run (restored after).
pub(crate) fn waiting(timeout: Duration) -> Waiting {
    let now = Instant::now();
    // A timeout past what `Instant` can hold waits a day: forever, in effect.
    let deadline = now.checked_add(timeout).or_else(|| now.checked_add(Duration::from_secs(86_400)));
    Waiting { before: DEADLINE.replace(deadline) }
}

/// SQLite's busy handler: `tries` is how many times it was called for this
/// lock already. True: try again (after a pause); false: give up (`busy`).
pub(crate) fn wait(tries: i32) -> bool {
    let ceiling = FIRST.saturating_mul(1u32 << tries.clamp(0, 6)).min(LONGEST);
    let pause = ceiling.mul_f64(0.5 + fastrand::f64() / 2.0);
    match DEADLINE.get() {
        Some(deadline) => {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            std::thread::sleep(pause.min(left));
        }
        None if tries >= TRIES_WITHOUT_DEADLINE => return false,
        None => std::thread::sleep(pause),
    }
    true
}
