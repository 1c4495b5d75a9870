//! `assign ORG BENEFIT FILE.csv --as USER [--dry-run]`: assigns one benefit
//! to the users of a file, each row judged after the rows before it; the
//! rows that succeed commit together (`Session::assign_users`).

use std::path::PathBuf;

use partner_benefits::{BenefitId, Error, UserId};
use partner_benefits_host::Target;
use serde::Serialize;

use crate::acting::{acting_as, organization, reader, user_named};
use crate::csv_input;
use crate::failure::{Context, Failure};
use crate::output;
use crate::progress;

/// Arguments of `assign`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The organization, e.g. `org-7`.
    #[arg(value_name = "ORG")]
    org: String,
    /// The benefit, e.g. `ben-7-4` (a Visual Studio subscription).
    #[arg(value_name = "BENEFIT")]
    benefit: String,
    /// CSV with a `user` column: user ids (`usr-7-2`) or email addresses.
    #[arg(value_name = "FILE.csv")]
    file: PathBuf,
    /// The user who assigns (an id or an email): needs Global admin.
    #[arg(long = "as", value_name = "USER")]
    acting: String,
    /// Decide every row as a real run would, and commit nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print JSON (one object per row) instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct RowResult {
    line: u64,
    user: String,
    user_id: Option<UserId>,
    ok: bool,
    code: Option<String>,
    message: Option<String>,
}

/// Assigns the benefit to every row's user and prints each row's result.
/// Exit status 1 when any row was (or, dry, would be) refused.
pub fn run(target: &Target, args: Args) -> Result<(), Failure> {
    let id = organization(&args.org)?;
    let benefit: BenefitId = args.benefit.parse()?;
    let file = csv_input::read(&args.file, &["user"], &[])?;
    let opened = crate::open::open(target, false, None)?;
    let center = &opened.center;
    let (_, users) = reader(center, id)?;
    let session = acting_as(center, id, &args.acting, &users)?;

    // Every row is read before anything is decided: a malformed one stops it all.
    let mut rows = Vec::with_capacity(file.rows.len());
    for (line, record) in &file.rows {
        let given = file.field(record, "user").to_string();
        let user = user_named(&given, &users).context(|| format!("nothing was assigned; {}", file.at(*line)))?;
        rows.push(RowResult { line: *line, user: given, user_id: user, ok: false, code: None, message: None });
    }
    // A row naming nobody of the organization is refused as an unknown id would be.
    for row in rows.iter_mut().filter(|r| r.user_id.is_none()) {
        let err = Error::NotFound { kind: "user", id: row.user.clone() };
        (row.code, row.message) = (Some(err.code().to_string()), Some(err.to_string()));
    }
    let known: Vec<UserId> = rows.iter().filter_map(|r| r.user_id).collect();
    let verb = if args.dry_run { "checking" } else { "assigning" };
    let spinner = progress::spinner(format!("{verb} {} rows", known.len()));
    let results = session.assign_users(benefit, &known, args.dry_run);
    spinner.finish_and_clear();
    let mut results = results?.into_iter();
    for row in rows.iter_mut().filter(|r| r.user_id.is_some()) {
        if let Some(result) = results.next() {
            (row.ok, row.code, row.message) = (result.ok, result.code, result.message);
        }
    }

    if args.json {
        output::json(&rows)?;
    } else {
        let done = if args.dry_run { "would be assigned" } else { "assigned" };
        output::table(
            &["LINE", "USER", "USER ID", "RESULT", "CODE", "MESSAGE"],
            rows.iter().map(|r| {
                vec![
                    r.line.to_string(),
                    r.user.clone(),
                    output::or_empty(r.user_id),
                    if r.ok { done.into() } else { "refused".into() },
                    r.code.clone().unwrap_or_default(),
                    r.message.clone().unwrap_or_default(),
                ]
            }),
        )?;
    }
    let ok = rows.iter().filter(|r| r.ok).count();
    let refused: Vec<&RowResult> = rows.iter().filter(|r| !r.ok).collect();
    match refused.first() {
        None => {
            if !args.json {
                let done = if args.dry_run { "would be assigned; nothing was committed" } else { "assigned" };
                output::line(&format!("{ok} of {} rows {done}", rows.len()))?;
            }
            Ok(())
        }
        Some(first) => {
            let done = if args.dry_run { "would be assigned (dry run: nothing was committed)" } else { "were assigned" };
            Err(Failure::Partly {
                code: first.code.clone().unwrap_or_else(|| "refused".into()),
                message: format!(
                    "{} of {} rows {} refused (the first on line {}); the other {ok} {done}",
                    refused.len(),
                    rows.len(),
                    if args.dry_run { "would be" } else { "were" },
                    first.line
                ),
            })
        }
    }
}
