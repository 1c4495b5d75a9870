//! `audit ORG`: the organization's audit log, oldest first.

use std::io::{self, Write};

use partner_benefits::Timestamp;
use partner_benefits_host::Target;
use serde::Serialize;

use crate::acting::organization;
use crate::failure::Failure;
use crate::output::{self, csv_failed};

/// How `audit` prints.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per line: stream, version, at, actor, kind, details (the event as an object).
    Jsonl,
    /// CSV with a header row, the same columns (`details` holds the event as JSON).
    Csv,
}

/// Arguments of `audit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The organization, e.g. `org-7`.
    #[arg(value_name = "ORG")]
    org: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    format: Format,
}

/// One line of `--format jsonl`.
#[derive(Serialize)]
struct Line<'a> {
    stream: &'a str,
    version: u64,
    at: Timestamp,
    actor: &'a str,
    kind: &'a str,
    details: serde_json::Value,
}

/// Prints every event of the organization (it holds no license key, B3).
pub fn run(target: &Target, args: Args) -> Result<(), Failure> {
    let id = organization(&args.org)?;
    let opened = crate::open::open(target, false, None)?;
    let entries = opened.center.audit_log(id)?;
    match args.format {
        Format::Jsonl => {
            let mut out = io::BufWriter::new(io::stdout().lock());
            for e in &entries {
                // `details` as the JSON object it holds, not as a string of JSON.
                let details = serde_json::from_str(&e.details).unwrap_or_else(|_| serde_json::Value::String(e.details.clone()));
                let line = Line { stream: &e.stream, version: e.version, at: e.at, actor: &e.actor, kind: &e.kind, details };
                output::json_line(&mut out, &line)?;
            }
            out.flush().map_err(Failure::Output)
        }
        Format::Csv => {
            let mut out = output::csv();
            out.write_record(["stream", "version", "at", "actor", "kind", "details"]).map_err(csv_failed)?;
            for e in &entries {
                let at = e.at.to_rfc3339_opts(partner_benefits::chrono::SecondsFormat::AutoSi, true);
                out.write_record([e.stream.as_str(), &e.version.to_string(), &at, &e.actor, &e.kind, &e.details]).map_err(csv_failed)?;
            }
            out.flush().map_err(Failure::Output)
        }
    }
}
