//! A seeded, deterministic workload for the benchmarks, and the code that
//! replays it: through the core ([`replay`]), and through a minimal
//! hand-written loop with plain `HashMap`s and no checks ([`baseline`]).
//!
//! A workload is a list of [`Step`]s. It is exported as JSON lines (one step
//! a line; see the `export-workload` binary) so the Python and Kotlin benches
//! replay exactly the same commands. Replay it on a **fresh** store: ids in
//! the commands assume organization `i` (0-based) is `org-{i+1}` and user
//! `u` (0-based) of an organization is `usr-{org}-{u+1}`.

pub mod baseline;
mod generate;
pub mod replay;
pub mod scale;

use partner_benefits::Command;
use partner_benefits::values::PartnerLevel;
use serde::{Deserialize, Serialize};

pub use generate::generate;

/// When the clock of a replay starts.
pub const START: &str = "2026-03-02T09:00:00Z";

/// The seed every bench and export uses unless told otherwise.
pub const DEFAULT_SEED: u64 = 0x5EED_0008;

/// How big a workload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Organizations.
    pub organizations: u32,
    /// Users each organization grows to (the admin included).
    pub users: u32,
    /// Commands and queries in the mix (setup steps not counted).
    pub commands: u64,
}

impl Size {
    /// 10 organizations, 10³ commands.
    pub const SMALL: Size = Size { organizations: 10, users: 8, commands: 1_000 };
    /// 1 000 organizations, 10⁵ commands.
    pub const MEDIUM: Size = Size { organizations: 1_000, users: 8, commands: 100_000 };
    /// 10 000 organizations, 10⁶ commands (on demand).
    pub const LARGE: Size = Size { organizations: 10_000, users: 8, commands: 1_000_000 };

    /// `small`, `medium`, `large`, or `tiny` (2 organizations, 200 commands, for tests).
    pub fn named(name: &str) -> Option<Size> {
        match name {
            "tiny" => Some(Size { organizations: 2, users: 5, commands: 200 }),
            "small" => Some(Self::SMALL),
            "medium" => Some(Self::MEDIUM),
            "large" => Some(Self::LARGE),
            _ => None,
        }
    }

    /// The same shape (commands per organization) with `commands` commands.
    pub fn scaled(commands: u64) -> Size {
        let organizations = u32::try_from((commands / 100).max(1)).unwrap_or(u32::MAX);
        Size { organizations, users: 8, commands }
    }
}

/// A read-only query, as a session method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "query", rename_all = "snake_case")]
pub enum Query {
    /// `session.organization()`.
    Organization,
    /// `session.package(id)`.
    Package {
        /// The package id, e.g. `pkg-3-1`.
        package: String,
    },
    /// `session.benefit(id)`.
    Benefit {
        /// The benefit id, e.g. `ben-3-4`.
        benefit: String,
    },
    /// `session.marketing_contact()`.
    MarketingContact,
}

/// What one step does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// First step: set the manual clock to `start`.
    Begin {
        /// RFC 3339 time.
        start: String,
        /// The seed the workload was generated from.
        seed: u64,
        /// Commands in the mix.
        commands: u64,
    },
    /// Program side: stock `count` keys (`K-{product}-{n}`) into a product's pool.
    StockKeys {
        /// Product code.
        product: String,
        /// Keys to add.
        count: u32,
    },
    /// Program side: register organization number `org + 1`.
    CreateOrganization {
        /// Company name.
        name: String,
        /// Partner Center account email.
        account_email: String,
        /// First Global admin's name.
        admin_name: String,
        /// First Global admin's email.
        admin_email: String,
    },
    /// Program side: set the organization's partner level.
    SetPartnerLevel {
        /// The level.
        level: PartnerLevel,
    },
    /// Program side: grant a competency.
    GrantCompetency {
        /// Competency code.
        competency: String,
    },
    /// `session(org, user).execute(command)`.
    Execute {
        /// The command.
        command: Command,
    },
    /// A query through `session(org, user)`.
    Query {
        /// Which query.
        query: Query,
    },
}

impl Op {
    /// A short name for tallies: the command kind, `query`, or the setup op.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Begin { .. } => "begin",
            Op::StockKeys { .. } => "stock_keys",
            Op::CreateOrganization { .. } => "create_organization",
            Op::SetPartnerLevel { .. } => "set_partner_level",
            Op::GrantCompetency { .. } => "grant_competency",
            Op::Execute { command } => command.kind(),
            Op::Query { .. } => "query",
        }
    }

    /// True for commands and queries (what throughput counts), false for setup.
    pub fn is_measured(&self) -> bool {
        matches!(self, Op::Execute { .. } | Op::Query { .. })
    }
}

/// One step: who acts, how far the clock moves first, and what is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Organization index (0-based; the replay's `org-{org+1}`).
    pub org: u32,
    /// Acting user index inside the organization (0 is the first Global admin).
    pub user: u32,
    /// Seconds the clock moves forward before the step.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub advance_secs: u64,
    /// What is done.
    #[serde(flatten)]
    pub op: Op,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A generated workload: setup steps first, then the mix.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Every step in order.
    pub steps: Vec<Step>,
    /// Index of the first step of the mix; steps before it are setup.
    pub setup_len: usize,
}

impl Workload {
    /// The setup steps (clock, key pools, organizations, levels).
    pub fn setup(&self) -> &[Step] {
        self.steps.get(..self.setup_len).unwrap_or_default()
    }

    /// The measured mix of commands and queries.
    pub fn mix(&self) -> &[Step] {
        self.steps.get(self.setup_len..).unwrap_or_default()
    }

    /// The workload as JSON lines, one step a line.
    pub fn to_json_lines(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        for step in &self.steps {
            serde_json::to_writer(&mut *out, step)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// Reads JSON lines written by [`Workload::to_json_lines`].
    pub fn from_json_lines(text: &str) -> Result<Workload, serde_json::Error> {
        let steps = text.lines().filter(|l| !l.trim().is_empty()).map(serde_json::from_str).collect::<Result<Vec<Step>, _>>()?;
        let setup_len = steps.iter().position(|s: &Step| s.op.is_measured()).unwrap_or(steps.len());
        Ok(Workload { steps, setup_len })
    }
}

/// Quick mode for CI smoke checks: `BENCH_QUICK=1` or `--quick` on the command line.
pub fn quick_mode() -> bool {
    std::env::var_os("BENCH_QUICK").is_some_and(|v| v != "0") || std::env::args().any(|a| a == "--quick")
}

/// This process's resident set size in bytes, from `/proc/self/status` (0 where unavailable).
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Timing helpers shared by the bench programs.
pub mod measure {
    use std::time::{Duration, Instant};

    use partner_benefits::Catalog;

    use crate::Workload;
    use crate::baseline::Baseline;
    use crate::replay::{Replay, Tally};

    /// A fresh in-memory replay with the workload's setup already applied.
    pub fn prepared_core(workload: &Workload) -> Replay {
        let mut replay = match Replay::in_memory() {
            Ok(replay) => replay,
            Err(err) => {
                eprintln!("cannot build an in-memory center: {err}");
                std::process::exit(1);
            }
        };
        let tally = replay.run_all(workload.setup());
        report_failures("setup", &tally);
        replay
    }

    /// A fresh baseline with the workload's setup already applied.
    pub fn prepared_baseline(workload: &Workload) -> Baseline {
        let mut baseline = Baseline::new(Catalog::builtin().unwrap_or_else(|err| {
            eprintln!("the built-in catalog does not load: {err}");
            std::process::exit(1);
        }));
        baseline.run_all(workload.setup());
        baseline
    }

    /// Prints unexpected failures (a workload is generated to run without any).
    pub fn report_failures(what: &str, tally: &Tally) {
        if tally.failed() > 0 {
            eprintln!("warning: {what}: {} unexpected failures: {:?}", tally.failed(), tally.errors);
            for failure in &tally.first_failures {
                eprintln!("  {failure}");
            }
        }
    }

    /// The best of `runs` timings of the mix through the core (setup excluded).
    pub fn best_core(workload: &Workload, runs: usize) -> Duration {
        (0..runs.max(1))
            .map(|_| {
                let mut replay = prepared_core(workload);
                let started = Instant::now();
                let tally = replay.run_all(workload.mix());
                let elapsed = started.elapsed();
                report_failures("mix", &tally);
                elapsed
            })
            .min()
            .unwrap_or_default()
    }

    /// The best of `runs` timings of the mix through the baseline.
    pub fn best_baseline(workload: &Workload, runs: usize) -> Duration {
        (0..runs.max(1))
            .map(|_| {
                let mut baseline = prepared_baseline(workload);
                let started = Instant::now();
                baseline.run_all(workload.mix());
                let elapsed = started.elapsed();
                std::hint::black_box(baseline.answered);
                elapsed
            })
            .min()
            .unwrap_or_default()
    }

    /// Operations per second.
    pub fn per_second(count: u64, elapsed: Duration) -> f64 {
        count as f64 / elapsed.as_secs_f64().max(1e-9)
    }
}
