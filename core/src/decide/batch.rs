//! Deciding one unit of work for an organization (a batch of commands, a
//! program operation, or only what fell due) against a state that moves
//! with it: each command sees the events of the ones before it. Pure: the
//! center hands in the state, the catalog and the pools, and commits what
//! comes out; nothing here calls back into it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Tx, decide, program};
use crate::catalog::{BenefitKind, Catalog, PackageTemplate};
use crate::command::{Command, Outcome};
use crate::error::Error;
use crate::event::{Actor, Event, RecordedEvent, StreamId};
use crate::lifecycle::Timestamp;
use crate::mail::Mail;
use crate::state::OrganizationState;
use crate::store::{Claim, ClaimSlots};
use crate::values::Code;

/// What is asked of an organization in one commit.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Work<'w> {
    /// Only what fell due (the clock's catch-up).
    CatchUp,
    /// A partner user's commands, all or none.
    Commands(&'w [Command]),
    /// A partner user's rows, each judged on the state the rows before it
    /// leave: the ones that succeed commit together, the others are
    /// reported. A dry run decides the same and commits nothing.
    Rows {
        /// One command per row.
        commands: &'w [Command],
        /// Decide only.
        dry_run: bool,
    },
    /// One operation of the program operator.
    Program(&'w program::ProgramOp),
}

impl Work<'_> {
    /// The most keys of each pool deciding the work could claim: what its
    /// purchases' templates name (a template the catalog lacks is refused
    /// when decided, and claims nothing). Empty when it buys nothing.
    pub(crate) fn key_demand(&self, catalog: &Catalog) -> BTreeMap<Code, u64> {
        let mut demand: BTreeMap<Code, u64> = BTreeMap::new();
        let (Self::Commands(commands) | Self::Rows { commands, .. }) = self else { return demand };
        for command in commands.iter() {
            let Command::PurchasePackage { template } = command else { continue };
            let Some(template) = Code::parse("template", template).ok().and_then(|code| catalog.package(&code).ok()) else { continue };
            for benefit in &template.benefits {
                if let BenefitKind::Software { product, keys, .. } | BenefitKind::CloudLicense { product, keys, .. } = &benefit.kind {
                    *demand.entry(product.clone()).or_default() += u64::from(*keys);
                }
            }
        }
        demand
    }

    /// True when what is decided must not be committed.
    pub(crate) fn is_dry_run(&self) -> bool {
        matches!(self, Self::Rows { dry_run: true, .. })
    }
}

/// Decides commands one after another against a state that moves with them.
pub(crate) struct Decider<'c> {
    pub(crate) catalog: &'c Catalog,
    /// The catalog's templates, shared by every package bought from them.
    pub(crate) templates: &'c [Arc<PackageTemplate>],
    pub(crate) state: Cow<'c, OrganizationState>,
    pub(crate) now: Timestamp,
    pub(crate) actor: Actor,
    pub(crate) events: Vec<RecordedEvent>,
    pub(crate) mails: Vec<Mail>,
    /// Keys claimed by the purchases decided so far.
    pub(crate) claims: Vec<Claim>,
}

impl Decider<'_> {
    fn stream(&self) -> StreamId {
        StreamId::Organization(self.state.id)
    }

    fn absorb(&mut self, tx_events: Vec<(Timestamp, Actor, Event)>, mails: Vec<Mail>, apply: bool) -> Result<(), Error> {
        let base = self.events.last().map_or(self.state.version, |e| e.version);
        // Numbered straight into the batch's list (no list per command).
        let first = self.events.len();
        let stream = self.stream();
        self.events.extend(RecordedEvent::numbered(&stream, base, tx_events));
        if apply {
            let state = self.state.to_mut();
            for event in self.events.get(first..).unwrap_or_default() {
                state.apply(event)?;
            }
        }
        if self.mails.is_empty() {
            self.mails = mails;
        } else {
            self.mails.extend(mails);
        }
        Ok(())
    }

    /// Decides `work`: its outcomes, one per command or row (one for a
    /// program operation, none for a catch-up). An error of the whole work
    /// is the outer one; only rows have errors of their own.
    pub(crate) fn run(&mut self, work: Work<'_>, free: &BTreeMap<Code, u64>) -> Result<Vec<Result<Outcome, Error>>, Error> {
        match work {
            Work::CatchUp => Ok(Vec::new()),
            Work::Commands(commands) => {
                commands.iter().enumerate().map(|(i, command)| self.decide(command, free, i + 1 < commands.len()).map(Ok)).collect()
            }
            Work::Rows { commands, .. } => Ok(commands
                .iter()
                .enumerate()
                .map(|(i, command)| match self.decide(command, free, i + 1 < commands.len()) {
                    // A row that could not be folded in leaves the state behind
                    // the events: that is a broken log, not a refused row.
                    Err(err @ Error::Storage { .. }) => Err(err),
                    other => Ok(other),
                })
                .collect::<Result<Vec<_>, Error>>()?),
            Work::Program(op) => {
                let events = program::decide(&self.state, op, self.now)?;
                let (now, actor) = (self.now, self.actor);
                self.absorb(events.into_iter().map(|e| (now, actor, e)).collect(), Vec::new(), false)?;
                Ok(vec![Ok(Outcome::Done)])
            }
        }
    }

    /// Decides one command; `more_follow` keeps the state moving for the next.
    fn decide(&mut self, command: &Command, free: &BTreeMap<Code, u64>, more_follow: bool) -> Result<Outcome, Error> {
        // Keys claimed earlier in this batch are not free for this command.
        let mut free = Cow::Borrowed(free);
        for claim in &self.claims {
            if let (Some(left), ClaimSlots::Free(count)) = (free.to_mut().get_mut(&claim.product), claim.slots) {
                *left = left.saturating_sub(u64::from(count));
            }
        }
        let mut tx = Tx::new(&self.state, self.catalog, self.now, self.actor);
        tx.templates = self.templates;
        let outcome = decide(&mut tx, command, &free)?;
        let (events, mails, claims) = (tx.events, tx.mails, tx.claims);
        self.claims.extend(claims);
        self.absorb(events, mails, more_follow)?;
        Ok(outcome)
    }
}
