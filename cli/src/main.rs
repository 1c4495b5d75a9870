//! `partner-benefits`: the command line over a partner-benefits store (a
//! SQLite file or a PostgreSQL database). See the README for every
//! subcommand; `partner-benefits --help` lists them.

mod acting;
mod cli;
mod commands;
mod csv_input;
mod failure;
mod open;
mod output;
mod progress;
mod vault_keys;

use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A bug must still end in one line, without a backtrace.
    panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("{}", failure::one_line(&format!("error[internal]: the command line failed unexpectedly{at}: {what}; please report it")));
    }));
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return failure::from_clap(err),
    };
    match panic::catch_unwind(AssertUnwindSafe(|| commands::run(cli))) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(failure)) => failure.report(),
        Err(_) => ExitCode::FAILURE,
    }
}
