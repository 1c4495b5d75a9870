//! `orgs`: every organization of the store.

use partner_benefits::{OrganizationId, PartnerLevel};
use partner_benefits_host::Target;
use serde::Serialize;

use crate::acting::reader;
use crate::failure::Failure;
use crate::open::open;
use crate::output::{self, word};

/// Arguments of `orgs`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON (an array of organizations) instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Row {
    id: OrganizationId,
    name: String,
    account_email: String,
    level: PartnerLevel,
    users: usize,
    packages: usize,
}

/// Lists the organizations with their sizes.
pub fn run(target: &Target, args: Args) -> Result<(), Failure> {
    let opened = open(target, false, None)?;
    let center = &opened.center;
    let mut rows = Vec::new();
    for id in center.program().organizations()? {
        let (session, users) = reader(center, id)?;
        let organization = session.organization()?;
        rows.push(Row {
            id,
            name: organization.name,
            account_email: organization.account_email.to_string(),
            level: organization.level,
            users: users.len(),
            packages: session.packages()?.len(),
        });
    }
    if args.json {
        return output::json(&rows);
    }
    output::table(
        &["ORGANIZATION", "NAME", "ACCOUNT EMAIL", "LEVEL", "USERS", "PACKAGES"],
        rows.iter().map(|r| {
            vec![r.id.to_string(), r.name.clone(), r.account_email.clone(), word(&r.level), r.users.to_string(), r.packages.to_string()]
        }),
    )
}
