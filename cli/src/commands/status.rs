//! `status`: what is in the store, and the state of its outbox.

use partner_benefits::lifecycle::delivery::DeliveryState;
use partner_benefits_host::Target;
use serde::Serialize;

use crate::failure::Failure;
use crate::open::stream_version;
use crate::output;

/// Arguments of `status`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Status {
    store: &'static str,
    target: String,
    schema_version: u32,
    organizations: usize,
    /// Events of all organizations (each organization's audit log, added up).
    events: u64,
    /// Mails still to send: pending or failed.
    outbox_depth: u64,
    /// Mails never handed to a mailer yet.
    mail_pending: u64,
    /// Mails a mailer refused; they stay queued and are retried.
    mail_failed: u64,
    /// Refused as often as allowed; waiting for a requeue.
    mail_parked: u64,
    /// Mails sent.
    mail_sent: u64,
}

/// Prints the store's kind, schema version, counts and outbox.
pub fn run(target: &Target, args: Args) -> Result<(), Failure> {
    let opened = crate::open::open(target, false, None)?;
    let center = &opened.center;
    let organizations = center.program().organizations()?;
    let store = center.store();
    let mut events = 0;
    for &organization in &organizations {
        events += stream_version(store.as_ref(), organization)?;
    }
    let outbox = center.outbox()?;
    let count = |wanted: fn(&DeliveryState) -> bool| outbox.iter().filter(|e| wanted(&e.delivery)).count() as u64;
    let status = Status {
        store: opened.backend.kind(),
        target: target.shown(),
        schema_version: opened.backend.schema_version()?,
        organizations: organizations.len(),
        events,
        outbox_depth: center.metrics()?.outbox_depth,
        mail_pending: count(|d| matches!(d, DeliveryState::Pending)),
        mail_failed: count(|d| matches!(d, DeliveryState::Failed { .. })),
        mail_parked: count(|d| matches!(d, DeliveryState::Parked { .. })),
        mail_sent: count(|d| matches!(d, DeliveryState::Sent { .. })),
    };
    if args.json {
        return output::json(&status);
    }
    output::table(
        &["STORE", status.store],
        [
            vec!["target".into(), status.target.clone()],
            vec!["schema version".into(), status.schema_version.to_string()],
            vec!["organizations".into(), status.organizations.to_string()],
            vec!["events".into(), status.events.to_string()],
            vec!["outbox depth".into(), status.outbox_depth.to_string()],
            vec!["mail pending".into(), status.mail_pending.to_string()],
            vec!["mail failed".into(), status.mail_failed.to_string()],
            vec!["mail parked".into(), status.mail_parked.to_string()],
            vec!["mail sent".into(), status.mail_sent.to_string()],
        ],
    )
}
