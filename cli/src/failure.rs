//! How the command line fails: one line on stderr, `error[CODE]: message`,
//! and an exit status (1: the operation failed or was refused, 2: the
//! command line itself is wrong).

use std::io::{self, Write};
use std::process::ExitCode;

use partner_benefits::Error;

/// Every way a subcommand ends in failure.
#[derive(Debug)]
pub enum Failure {
    /// The library refused or failed: its stable code and its message,
    /// after what the command line was doing (a file and line, a step).
    Core { context: Option<String>, error: Error },
    /// Some rows of a bulk operation (or mails of a dispatch) were refused
    /// while the others went through; `code` is the first refusal's.
    Partly { code: String, message: String },
    /// What this kind of store cannot do, and what to use instead.
    Unsupported { what: &'static str, instead: &'static str },
    /// The command line is wrong (clap's errors, `--db` missing).
    Usage(String),
    /// Standard output could not be written.
    Output(io::Error),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self::Core { context: None, error }
    }
}

/// Prefixes what the command line was doing to a library error.
pub trait Context<T> {
    /// The error, after `context` (e.g. "`users.csv` line 3").
    fn context(self, context: impl FnOnce() -> String) -> Result<T, Failure>;
}

impl<T> Context<T> for Result<T, Error> {
    fn context(self, context: impl FnOnce() -> String) -> Result<T, Failure> {
        self.map_err(|error| Failure::Core { context: Some(context()), error })
    }
}

impl Failure {
    /// The stable code shown in `error[CODE]`: the library's own codes, and
    /// `partly`-refused operations carry the first refusal's; `unsupported`,
    /// `usage` and `output` are the command line's.
    pub fn code(&self) -> &str {
        match self {
            Self::Core { error, .. } => error.code(),
            Self::Partly { code, .. } => code,
            Self::Unsupported { .. } => "unsupported",
            Self::Usage(_) => "usage",
            Self::Output(_) => "output",
        }
    }

    fn message(&self) -> String {
        match self {
            Self::Core { context: None, error } => plain(error),
            Self::Core { context: Some(context), error } => format!("{context}: {}", plain(error)),
            Self::Partly { message, .. } => message.clone(),
            Self::Unsupported { what, instead } => format!("{what} is not supported; {instead}"),
            Self::Usage(message) => format!("{message} (see `partner-benefits --help`)"),
            Self::Output(e) => format!("cannot write the output: {e}"),
        }
    }

    /// Prints the one line and gives the exit status. Output cut short by a
    /// closed pipe (`| head`) is no failure: nothing is printed, status 0.
    pub fn report(&self) -> ExitCode {
        if let Self::Output(e) = self
            && e.kind() == io::ErrorKind::BrokenPipe
        {
            return ExitCode::SUCCESS;
        }
        let line = one_line(&format!("error[{}]: {}", self.code(), self.message()));
        let _ = writeln!(io::stderr().lock(), "{line}");
        match self {
            Self::Usage(_) => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    }
}

/// The library's message without the words that only repeat its code
/// (`storage error: `, `conflict: `): the code is printed beside it.
fn plain(error: &Error) -> String {
    match error {
        Error::Storage { message } | Error::Mail { message } => message.clone(),
        Error::Conflict { reason } | Error::PreconditionFailed { reason } => reason.clone(),
        Error::CapacityExhausted { what } => what.clone(),
        other => other.to_string(),
    }
}

/// `text` on one line: line breaks and runs of spaces become single spaces.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A clap error in the same one-line form, or help and version as clap prints them.
pub fn from_clap(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(err.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        return match err.print() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => Failure::Output(e).report(),
        };
    }
    // clap's message, without its `error:` prefix and the usage block after it.
    let rendered = err.render().to_string();
    let message: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:") && !line.starts_with("For more information"))
        .filter(|line| !line.is_empty())
        .collect();
    let message = message.join(" ");
    Failure::Usage(message.strip_prefix("error: ").unwrap_or(&message).to_string()).report()
}
