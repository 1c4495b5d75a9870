//! `backup DEST`: a consistent copy of a SQLite store while others write.

use std::path::PathBuf;

use partner_benefits_host::Target;
use partner_benefits_sqlite::SqliteStore;
use serde::Serialize;

use crate::failure::Failure;
use crate::output;
use crate::progress;

/// Arguments of `backup`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The new file to write; it must not exist (a backup never overwrites).
    #[arg(value_name = "DEST")]
    dest: PathBuf,
    /// Print JSON (`source`, `dest`, `pages`, `bytes`) instead of a summary.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    source: String,
    dest: String,
    pages: u64,
    bytes: u64,
}

/// Copies the store with SQLite's online backup (`SqliteStore::backup`): the
/// copy holds exactly the commits made before it began; writers go on. A
/// PostgreSQL store is `unsupported`: use `pg_dump`.
pub fn run(target: &Target, args: Args) -> Result<(), Failure> {
    let source = match target {
        Target::Sqlite(path) => path,
        _ => {
            return Err(Failure::Unsupported {
                what: "a backup of a PostgreSQL store",
                instead: "use pg_dump (e.g. `pg_dump --format=custom --file=benefits.dump URL`), which copies a consistent \
                          snapshot while others write",
            });
        }
    };
    let bar = progress::bar(1, "backing up");
    let report = SqliteStore::backup(source, &args.dest, |at| {
        bar.set_length(at.total);
        bar.set_position(at.copied);
    });
    bar.finish_and_clear();
    let report = report?;
    let report = Report { source: target.shown(), dest: args.dest.display().to_string(), pages: report.pages, bytes: report.bytes };
    if args.json {
        return output::json(&report);
    }
    output::line(&format!("backed up `{}` to `{}`: {} pages, {} bytes", report.source, report.dest, report.pages, report.bytes))
}
