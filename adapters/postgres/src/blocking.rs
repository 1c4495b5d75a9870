//! Safe to call from async hosts. The synchronous `postgres` client drives
//! its own small runtime and blocks on it, which tokio refuses (a panic) on
//! a thread that is already running a tokio runtime. Work called from such a
//! thread runs on a scoped thread of its own; elsewhere it runs in place.
//! It still blocks the caller until done: async hosts should call the
//! library through `tokio::task::spawn_blocking`, as for any blocking I/O.

/// Runs `work` where the synchronous client may block.
pub(crate) fn off_runtime<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return work();
    }
    std::thread::scope(|scope| match scope.spawn(work).join() {
        Ok(value) => value,
        // The work itself panicked (a bug, not reachable through the API): keep its panic.
        Err(panic) => std::panic::resume_unwind(panic),
    })
}
