//! `dispatch [--smtp URL]`: sends the queued mail through an SMTP server.

use std::sync::Arc;

use partner_benefits::Error;
use partner_benefits_host::Target;
use partner_benefits_smtp::{SmtpConfig, SmtpMailer};
use serde::Serialize;

use crate::failure::Failure;
use crate::output;

/// Arguments of `dispatch`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The SMTP server: `smtp://[user:password@]host[:port]` (plain),
    /// `...?tls=required` (STARTTLS), `smtps://...` (implicit TLS); options
    /// `ca_file=PATH`, `timeout=SECONDS`. Prefer the environment variable for
    /// a URL with a password: the arguments of a process are visible to others.
    #[arg(long, value_name = "URL", env = "PARTNER_BENEFITS_SMTP", hide_env_values = true, requires = "from")]
    smtp: Option<String>,
    /// The sender, e.g. `Partner Benefits <benefits@partner.example>`.
    #[arg(long, value_name = "ADDRESS", env = "PARTNER_BENEFITS_MAIL_FROM")]
    from: Option<String>,
    /// Print JSON (`sent`, `failed`, `outbox_depth`) instead of a summary.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    sent: u32,
    failed: u32,
    /// Mails still to send after this dispatch (pending or failed).
    outbox_depth: u64,
}

/// Sends what is due (up to 1000 mails a run). Accepted mail is marked sent
/// and never sent again; refused mail stays queued with the error (exit 1).
/// Without an SMTP server nothing is touched: it is `precondition_failed`.
pub fn run(target: &Target, args: Args) -> Result<(), Failure> {
    let (Some(url), Some(from)) = (args.smtp.as_deref(), args.from.as_deref()) else {
        let opened = crate::open::open(target, false, None)?;
        let waiting = opened.center.metrics()?.outbox_depth;
        return Err(Error::PreconditionFailed {
            reason: format!(
                "no SMTP server is configured (give --smtp URL and --from ADDRESS, or set PARTNER_BENEFITS_SMTP and \
                 PARTNER_BENEFITS_MAIL_FROM); {waiting} mails wait in the outbox, untouched"
            ),
        }
        .into());
    };
    // The URL is checked before the store is opened.
    let mailer = SmtpMailer::new(SmtpConfig::from_url(url, from)?)?;
    let opened = crate::open::open(target, false, Some(Arc::new(mailer)))?;
    let sent = opened.center.dispatch_mail()?;
    let report = Report { sent: sent.sent, failed: sent.failed, outbox_depth: opened.center.metrics()?.outbox_depth };
    if args.json {
        output::json(&report)?;
    } else {
        output::line(&format!("{} mails sent, {} refused; {} still in the outbox", report.sent, report.failed, report.outbox_depth))?;
    }
    if report.failed > 0 {
        return Err(Failure::Partly {
            code: "mail".into(),
            message: format!(
                "the SMTP server refused {} of {} mails; they stay queued and go again at the next dispatch (`status` counts them)",
                report.failed,
                report.sent + report.failed
            ),
        });
    }
    Ok(())
}
