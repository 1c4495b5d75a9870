//! `export FILE.jsonl`: every stream of the store, snapshot-free, one JSON
//! record per line, for `import` into another store (SQLite to PostgreSQL is
//! how a host outgrows one machine). Keys leave the store only with
//! `--include-keys`.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use partner_benefits::Error;
use partner_benefits::transfer::{self, ExportKeys, TransferCounts};
use partner_benefits_host::Target;
use serde::Serialize;

use crate::failure::Failure;
use crate::open::open;
use crate::{output, progress, vault_keys};

/// Arguments of `export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to write; it must not exist (an export never overwrites).
    #[arg(value_name = "FILE.jsonl")]
    file: PathBuf,
    /// Also write the key vault: sealed under the vault key when
    /// `--vault-key-file` is given (import then needs that key), else in
    /// clear. Without it the export carries the pools' history but no key,
    /// and a store imported from it cannot hand out or reveal the keys stocked before.
    #[arg(long)]
    include_keys: bool,
    /// Print JSON (`file`, `events`, `keys`, `mails`) instead of a summary.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    file: String,
    events: u64,
    keys: u64,
    mails: u64,
}

fn failed(file: &Path, err: &std::io::Error) -> Error {
    Error::storage(format!("cannot write `{}`: {err}", file.display()))
}

/// Writes the export beside `FILE` under a temporary name and renames it
/// into place once complete, so `FILE` is never half-written.
pub fn run(target: &Target, args: Args) -> Result<(), Failure> {
    if fs::symlink_metadata(&args.file).is_ok() {
        return Err(
            Error::PreconditionFailed { reason: format!("`{}` already exists; an export never overwrites", args.file.display()) }.into()
        );
    }
    let opened = open(target, false, None)?;
    let partial = args.file.with_extension(format!("partial-{}", std::process::id()));
    let keyring = vault_keys::keyring();
    // An export is never less protected than its store: keys go sealed
    // under the vault key when one is given, in clear only from a store
    // that keeps them in clear itself.
    let keys = match (args.include_keys, keyring.seals()) {
        (false, _) => ExportKeys::Omit,
        (true, true) => ExportKeys::Sealed(&keyring),
        (true, false) => ExportKeys::Clear,
    };
    let written = write(&opened.center, &partial, keys).and_then(|counts| {
        fs::hard_link(&partial, &args.file).map_err(|e| failed(&args.file, &e))?;
        Ok(counts)
    });
    let _ = fs::remove_file(&partial);
    let counts = written?;
    let report = Report { file: args.file.display().to_string(), events: counts.events, keys: counts.keys, mails: counts.mails };
    if args.json {
        return output::json(&report);
    }
    output::line(&format!(
        "exported {} events, {} keys and {} mails to `{}`{}",
        report.events,
        report.keys,
        report.mails,
        report.file,
        match keys {
            ExportKeys::Clear => " (it holds license keys in clear: protect it)".to_owned(),
            ExportKeys::Sealed(ring) => format!(" (its license keys are sealed under vault key {})", ring.current_id().unwrap_or_default()),
            ExportKeys::Omit => String::new(),
        }
    ))
}

fn write(center: &partner_benefits::BenefitCenter, partial: &Path, keys: ExportKeys<'_>) -> Result<TransferCounts, Error> {
    let file = File::create_new(partial).map_err(|e| failed(partial, &e))?;
    let mut out = BufWriter::new(file);
    let spinner = progress::spinner("exporting events".into());
    let counts = transfer::export(
        center.store().as_ref(),
        keys,
        &mut |record| {
            serde_json::to_writer(&mut out, &record).map_err(|e| Error::storage(format!("cannot write a record: {e}")))?;
            out.write_all(b"\n").map_err(|e| failed(partial, &e))
        },
        &mut |events| spinner.set_message(format!("exporting events: {events}")),
    );
    spinner.finish_and_clear();
    let counts = counts?;
    let file = out.into_inner().map_err(|e| failed(partial, e.error()))?;
    file.sync_all().map_err(|e| failed(partial, &e))?;
    Ok(counts)
}
