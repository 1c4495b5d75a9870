//! Progress bars for long operations: drawn on stderr only when both
//! stdout and stderr are terminals, so scripts, pipes and logs stay quiet.

use std::io::{self, IsTerminal};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

fn on_terminal() -> bool {
    io::stdout().is_terminal() && io::stderr().is_terminal()
}

/// A bar of `len` steps, labelled `message`; hidden off a terminal.
pub fn bar(len: u64, message: &'static str) -> ProgressBar {
    if !on_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{msg} [{bar:32}] {pos}/{len} ({elapsed}, {eta} left)")
        .map(|style| style.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(message);
    bar
}

/// A spinner for a step of unknown length; hidden off a terminal.
pub fn spinner(message: String) -> ProgressBar {
    if !on_terminal() {
        return ProgressBar::hidden();
    }
    let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    spinner.set_message(message);
    spinner.enable_steady_tick(Duration::from_millis(100));
    spinner
}
