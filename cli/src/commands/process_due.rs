//! `process-due`: the clock's catch-up in every organization, one commit each.

use partner_benefits::OrganizationId;
use partner_benefits_host::Target;
use serde::Serialize;

use crate::failure::{Context, Failure};
use crate::output;
use crate::progress;

/// Arguments of `process-due`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON (`organizations`, `events`, `by_organization`) instead of a summary.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Caught {
    organization: OrganizationId,
    events: u64,
}

#[derive(Serialize)]
struct Report {
    organizations: usize,
    events: u64,
    /// The organizations where something fell due.
    by_organization: Vec<Caught>,
}

/// Records what fell due, organization by organization. A failure stops
/// there: the organizations before it keep their commits (running it again
/// goes on from where the clock stands; nothing is recorded twice).
pub fn run(target: &Target, args: Args) -> Result<(), Failure> {
    let opened = crate::open::open(target, false, None)?;
    let center = &opened.center;
    let organizations = center.program().organizations()?;
    let bar = progress::bar(organizations.len() as u64, "processing organizations");
    let mut by_organization = Vec::new();
    for (done, &organization) in organizations.iter().enumerate() {
        let events = center
            .process_due_in(organization)
            .context(|| format!("stopped at `{organization}` after {done} of {} organizations", organizations.len()))?;
        if events > 0 {
            by_organization.push(Caught { organization, events });
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let report = Report { organizations: organizations.len(), events: by_organization.iter().map(|c| c.events).sum(), by_organization };
    if args.json {
        return output::json(&report);
    }
    if !report.by_organization.is_empty() {
        output::table(
            &["ORGANIZATION", "EVENTS"],
            report.by_organization.iter().map(|c| vec![c.organization.to_string(), c.events.to_string()]),
        )?;
    }
    output::line(&format!(
        "{} events recorded in {} of {} organizations",
        report.events,
        report.by_organization.len(),
        report.organizations
    ))
}
