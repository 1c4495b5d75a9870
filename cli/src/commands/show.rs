//! `show ORG`: one organization, its users and its packages.

use partner_benefits::{MarketingContactView, OrganizationView, PackageView, UserView};
use partner_benefits_host::Target;
use serde::Serialize;

use crate::acting::{organization, reader};
use crate::failure::Failure;
use crate::output::{self, word};

/// Arguments of `show`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The organization, e.g. `org-7`.
    #[arg(value_name = "ORG")]
    org: String,
    /// Print JSON (`organization`, `users`, `packages`, `marketing_contact`) instead of tables.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Shown {
    organization: OrganizationView,
    users: Vec<UserView>,
    packages: Vec<PackageView>,
    marketing_contact: Option<MarketingContactView>,
}

const DAY: &str = "%Y-%m-%d";

/// Shows the organization as its first Global admin sees it.
pub fn run(target: &Target, args: Args) -> Result<(), Failure> {
    let id = organization(&args.org)?;
    let opened = crate::open::open(target, false, None)?;
    let (session, users) = reader(&opened.center, id)?;
    let shown = Shown {
        organization: session.organization()?,
        users,
        packages: session.packages()?,
        marketing_contact: session.marketing_contact()?,
    };
    if args.json {
        return output::json(&shown);
    }
    let org = &shown.organization;
    let competencies = if org.competencies.is_empty() { "none".to_string() } else { org.competencies.join(", ") };
    let contact = shown.marketing_contact.as_ref().map_or_else(|| "none".to_string(), |c| format!("{} ({})", c.email, c.user_id));
    output::table(
        &["ORGANIZATION", &org.id.to_string()],
        [
            vec!["name".into(), org.name.clone()],
            vec!["account email".into(), org.account_email.to_string()],
            vec!["level".into(), word(&org.level)],
            vec!["competencies".into(), competencies],
            vec!["marketing contact".into(), contact],
        ],
    )?;
    output::line("")?;
    output::table(
        &["USER", "NAME", "EMAIL", "ROLES", "LANGUAGE"],
        shown.users.iter().map(|u| {
            let roles = u.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(";");
            vec![u.id.to_string(), u.name.clone(), u.email.to_string(), roles, u.language.to_string()]
        }),
    )?;
    output::line("")?;
    output::table(
        &["PACKAGE", "NAME", "STATUS", "PURCHASED", "EXPIRES", "BENEFITS"],
        shown.packages.iter().map(|p| {
            vec![
                p.id.to_string(),
                p.name.clone(),
                word(&p.status),
                p.purchased_at.format(DAY).to_string(),
                p.expires_at.format(DAY).to_string(),
                p.benefit_ids.len().to_string(),
            ]
        }),
    )
}
