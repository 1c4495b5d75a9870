//! `changes`: the changes feed, every committed event of every stream in
//! commit order, from a position on; `--follow` keeps reading as others commit.

use std::io::{self, Write};
use std::time::Duration;

use partner_benefits::{Change, MAX_CHANGES_PAGE};
use partner_benefits_host::Target;

use crate::failure::Failure;
use crate::open::open;
use crate::output;

/// How long `--follow` waits before asking again when nothing is new.
const FOLLOW_PAUSE: Duration = Duration::from_millis(500);

/// Arguments of `changes`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Start after this position (0: from the first change). Give the last
    /// position you processed to read only what is new.
    #[arg(long, default_value_t = 0, value_name = "N")]
    after: u64,
    /// Most changes to print (1 to 10000); with `--follow`, the page size.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    limit: u32,
    /// Keep reading as others commit, until interrupted (Ctrl-C).
    #[arg(long)]
    follow: bool,
    /// Print one JSON object per line (position, stream, organization_id,
    /// version, at, actor, kind) instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(serde::Serialize)]
struct Line<'a> {
    position: u64,
    stream: &'a str,
    organization_id: Option<String>,
    version: u64,
    at: partner_benefits::Timestamp,
    actor: &'a str,
    kind: &'a str,
}

/// One row of the table; fixed widths, so pages printed one after another
/// (`--follow`) line up under the one header.
fn row(position: &str, stream: &str, version: &str, at: &str, actor: &str, kind: &str) -> String {
    format!("{position:>10}  {stream:<28}  {version:>7}  {at:<25}  {actor:<12}  {kind}")
}

fn print(changes: &[Change], json: bool, header: bool) -> Result<(), Failure> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    if !json {
        if header {
            writeln!(out, "{}", row("POSITION", "STREAM", "VERSION", "AT", "ACTOR", "KIND")).map_err(Failure::Output)?;
        }
        for c in changes {
            let at = c.at.to_rfc3339_opts(partner_benefits::chrono::SecondsFormat::Secs, true);
            let line = row(&c.position.to_string(), &c.stream, &c.version.to_string(), &at, &c.actor, &c.kind);
            writeln!(out, "{}", line.trim_end()).map_err(Failure::Output)?;
        }
        return out.flush().map_err(Failure::Output);
    }
    for c in changes {
        let line = Line {
            position: c.position,
            stream: &c.stream,
            organization_id: c.organization_id.map(|id| id.to_string()),
            version: c.version,
            at: c.at,
            actor: &c.actor,
            kind: &c.kind,
        };
        output::json_line(&mut out, &line)?;
    }
    out.flush().map_err(Failure::Output)
}

/// Prints the changes after `--after` (never a key: a change names what
/// happened, not its details). With `--follow`, prints each new page as it
/// becomes readable; an empty page only means "nothing yet".
pub fn run(target: &Target, args: Args) -> Result<(), Failure> {
    let opened = open(target, false, None)?;
    let first = opened.center.changes(args.after, args.limit)?;
    print(&first, args.json, true)?;
    if !args.follow {
        return Ok(());
    }
    let mut after = first.last().map_or(args.after, |c| c.position);
    let page = args.limit.min(MAX_CHANGES_PAGE);
    loop {
        let next = opened.center.changes(after, page)?;
        match next.last() {
            None => std::thread::sleep(FOLLOW_PAUSE),
            Some(last) => {
                after = last.position;
                print(&next, args.json, false)?;
            }
        }
    }
}
