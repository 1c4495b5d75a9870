//! `usage ORG`: seats, holders and peak, and hours, per benefit.

use partner_benefits::Usage;
use partner_benefits_host::Target;

use crate::acting::{organization, reader};
use crate::failure::Failure;
use crate::output::{self, csv_failed, or_empty, word};

/// How `usage` prints.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns, for people.
    Table,
    /// CSV with a header row.
    Csv,
    /// A JSON array.
    Json,
}

/// Arguments of `usage`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The organization, e.g. `org-7`.
    #[arg(value_name = "ORG")]
    org: String,
    /// Output format. CSV columns: benefit_id, package_id, name, category,
    /// seats, assigned, peak, allocated, used, balance.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// The CSV header; the table's is the same in capitals.
const COLUMNS: [&str; 10] = ["benefit_id", "package_id", "name", "category", "seats", "assigned", "peak", "allocated", "used", "balance"];

fn fields(u: &Usage) -> Vec<String> {
    vec![
        u.benefit_id.to_string(),
        u.package_id.to_string(),
        u.name.clone(),
        word(&u.category),
        u.seats.to_string(),
        u.assigned.to_string(),
        u.peak.to_string(),
        or_empty(u.allocated),
        or_empty(u.used),
        or_empty(u.balance),
    ]
}

/// Prints the usage of every benefit assigned to users.
pub fn run(target: &Target, args: Args) -> Result<(), Failure> {
    let id = organization(&args.org)?;
    let opened = crate::open::open(target, false, None)?;
    let (session, _) = reader(&opened.center, id)?;
    let usage = session.usage()?;
    match args.format {
        Format::Json => output::json(&usage),
        Format::Table => {
            let header: Vec<String> = COLUMNS.iter().map(|c| c.to_uppercase().replace('_', " ")).collect();
            output::table(&header.iter().map(String::as_str).collect::<Vec<_>>(), usage.iter().map(fields))
        }
        Format::Csv => {
            let mut out = output::csv();
            out.write_record(COLUMNS).map_err(csv_failed)?;
            for row in &usage {
                out.write_record(fields(row)).map_err(csv_failed)?;
            }
            out.flush().map_err(Failure::Output)
        }
    }
}
