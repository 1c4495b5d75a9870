//! `import FILE.jsonl`: an `export` into an empty store, all or nothing.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use partner_benefits::Error;
use partner_benefits::transfer::{self, Record};
use partner_benefits_host::Target;
use serde::Serialize;

use crate::failure::{Context, Failure};
use crate::open::open;
use crate::{output, progress};

/// Arguments of `import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// An export written by `export`.
    #[arg(value_name = "FILE.jsonl")]
    file: PathBuf,
    /// Print JSON (`events`, `keys`, `mails`) instead of a summary.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    events: u64,
    keys: u64,
    mails: u64,
}

/// Every record of the file; a line that is not one is `invalid_input`
/// naming the line. Nothing is opened before the whole file reads.
fn read(file: &Path) -> Result<Vec<Record>, Failure> {
    let shown = file.display().to_string();
    let opened = fs::File::open(file).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound { kind: "file", id: shown.clone() },
        _ => Error::storage(format!("cannot read `{shown}`: {e}")),
    })?;
    let bar = progress::spinner(format!("reading `{shown}`"));
    let mut records = Vec::new();
    for (number, line) in BufReader::new(opened).lines().enumerate() {
        let line = line.map_err(|e| Error::storage(format!("cannot read `{shown}`: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str::<Record>(&line)
            .map_err(|e| Error::InvalidInput { field: "records".into(), reason: format!("not an export record: {e}") })
            .context(|| format!("`{shown}` line {}", number + 1))?;
        records.push(record);
    }
    bar.finish_and_clear();
    Ok(records)
}

/// Imports into the store `--db` names, which must be empty (a SQLite file
/// that does not exist yet is made). Checked before anything is written;
/// one commit; on any failure the target is as it was (a file this command
/// made is removed again).
pub fn run(target: &Target, args: Args) -> Result<(), Failure> {
    let records = read(&args.file)?;
    let made = match target {
        Target::Sqlite(path) if fs::symlink_metadata(path).is_err() => Some(path.clone()),
        _ => None,
    };
    let result = open(target, true, None).and_then(|opened| {
        let spinner = progress::spinner(format!("importing {} records", records.len()));
        let counts = transfer::import(opened.center.store().as_ref(), records, &crate::vault_keys::keyring());
        spinner.finish_and_clear();
        Ok(counts?)
    });
    let counts = match result {
        Ok(counts) => counts,
        Err(failure) => {
            if let Some(path) = made {
                remove_store_file(&path);
            }
            return Err(failure);
        }
    };
    let report = Report { events: counts.events, keys: counts.keys, mails: counts.mails };
    if args.json {
        return output::json(&report);
    }
    output::line(&format!("imported {} events, {} keys and {} mails into `{}`", report.events, report.keys, report.mails, target.shown()))
}

/// Removes a SQLite file this command made, with its journal files.
fn remove_store_file(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = fs::remove_file(PathBuf::from(name));
    }
}
