//! `users import ORG FILE.csv --as USER`: adds every user of the file in
//! one commit, or none. Every row is checked first; the first bad row is
//! reported with its line and nothing is written.

use std::collections::HashMap;
use std::path::PathBuf;

use partner_benefits::values::{Language, display_name};
use partner_benefits::{Command, Email, Error, Outcome, Role, UserId};
use partner_benefits_host::Target;
use serde::Serialize;

use crate::acting::{acting_as, organization, reader};
use crate::csv_input;
use crate::failure::{Context, Failure};
use crate::output;
use crate::progress;

/// Arguments of `users import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The organization, e.g. `org-7`.
    #[arg(value_name = "ORG")]
    org: String,
    /// CSV with the columns `name,email,roles,language`. `roles` holds role
    /// names separated by `;` (global_admin, user_admin, admin_agent,
    /// mpn_partner_admin) and may be empty; `language` (e.g. `en`, `zh-CN`)
    /// may be empty or left out, for English.
    #[arg(value_name = "FILE.csv")]
    file: PathBuf,
    /// The user who adds them (an id such as `usr-7-1`, or an email):
    /// needs `manage_users`, and a User admin grants only roles they hold.
    #[arg(long = "as", value_name = "USER")]
    acting: String,
    /// Print JSON (one object per added user) instead of a table.
    #[arg(long)]
    json: bool,
}

/// One checked row.
struct Row {
    line: u64,
    name: String,
    email: Email,
    roles: Vec<Role>,
    language: Option<Language>,
}

#[derive(Serialize)]
struct Added {
    line: u64,
    user_id: UserId,
    name: String,
    email: String,
    roles: Vec<Role>,
}

fn check(file: &csv_input::CsvFile, line: u64, record: &csv::StringRecord) -> Result<Row, Error> {
    let name = display_name("name", file.field(record, "name"))?;
    let email = Email::parse("email", file.field(record, "email"))?;
    let roles =
        file.field(record, "roles").split(';').map(str::trim).filter(|r| !r.is_empty()).map(str::parse).collect::<Result<_, _>>()?;
    let language = match file.field(record, "language") {
        "" => None,
        tag => Some(Language::parse("language", tag)?),
    };
    Ok(Row { line, name, email, roles, language })
}

/// Checks every row, then adds them all in one batch.
pub fn run(target: &Target, args: Args) -> Result<(), Failure> {
    let id = organization(&args.org)?;
    let file = csv_input::read(&args.file, &["name", "email"], &["roles", "language"])?;
    let opened = crate::open::open(target, false, None)?;
    let center = &opened.center;
    let (_, users) = reader(center, id)?;
    let session = acting_as(center, id, &args.acting, &users)?;

    let bar = progress::bar(file.rows.len() as u64, "checking rows");
    let existing: HashMap<&str, UserId> = users.iter().map(|u| (u.email.as_str(), u.id)).collect();
    let mut seen: HashMap<Email, u64> = HashMap::new();
    let mut rows = Vec::with_capacity(file.rows.len());
    let mut bad: Vec<(u64, Error)> = Vec::new();
    for (line, record) in &file.rows {
        bar.inc(1);
        let row = match check(&file, *line, record) {
            Ok(row) => row,
            Err(err) => {
                bad.push((*line, err));
                continue;
            }
        };
        if let Some(user) = existing.get(row.email.as_str()) {
            bad.push((*line, Error::Conflict { reason: format!("a user with email `{}` already exists ({user})", row.email) }));
        } else if let Some(first) = seen.insert(row.email.clone(), *line) {
            bad.push((*line, Error::InvalidInput { field: "email".into(), reason: format!("`{}` is also on line {first}", row.email) }));
        }
        rows.push(row);
    }
    bar.finish_and_clear();
    if let Some((line, error)) = bad.first() {
        let more = match bad.len() - 1 {
            0 => String::new(),
            n => format!(" ({n} more rows are refused too)"),
        };
        return Err(Failure::Core { context: Some(format!("nothing was added{more}; {}", file.at(*line))), error: error.clone() });
    }
    if rows.is_empty() {
        return if args.json {
            output::json(&Vec::<Added>::new())
        } else {
            output::line(&format!("`{}` lists no users: nothing was added", file.shown))
        };
    }

    let commands: Vec<Command> = rows
        .iter()
        .map(|r| Command::AddUser {
            name: r.name.clone(),
            email: r.email.to_string(),
            roles: r.roles.clone(),
            language: r.language.as_ref().map(ToString::to_string),
        })
        .collect();
    let spinner = progress::spinner(format!("adding {} users in one commit", commands.len()));
    let outcomes = session.execute_batch(&commands).context(|| "no user was added".to_string());
    spinner.finish_and_clear();
    let mut added = Vec::with_capacity(rows.len());
    for (row, outcome) in rows.into_iter().zip(outcomes?) {
        let Outcome::UserAdded { user } = outcome else {
            return Err(Error::storage("adding a user returned no user id").into());
        };
        added.push(Added { line: row.line, user_id: user, name: row.name, email: row.email.to_string(), roles: row.roles });
    }
    if args.json {
        return output::json(&added);
    }
    output::table(
        &["LINE", "USER", "NAME", "EMAIL", "ROLES"],
        added.iter().map(|a| {
            let roles = a.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(";");
            vec![a.line.to_string(), a.user_id.to_string(), a.name.clone(), a.email.clone(), roles]
        }),
    )?;
    output::line(&format!("{} users added to {id}", added.len()))
}
