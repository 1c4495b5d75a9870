//! Deciding a batch of commands against an organization's state that moves
//! with them: each command sees the events of the ones before it.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::center::BenefitCenter;
use crate::command::{Command, Outcome};
use crate::decide::{PoolDraw, Tx, decide};
use crate::error::Error;
use crate::event::{Actor, Event, RecordedEvent, StreamId};
use crate::lifecycle::Timestamp;
use crate::mail::Mail;
use crate::state::{KeyPoolState, OrganizationState};
use crate::values::Code;

/// Decides commands one after another against a state that moves with them.
pub(crate) struct Decider<'c> {
    pub(crate) center: &'c BenefitCenter,
    pub(crate) state: Cow<'c, OrganizationState>,
    pub(crate) now: Timestamp,
    pub(crate) actor: Actor,
    pub(crate) events: Vec<RecordedEvent>,
    pub(crate) mails: Vec<Mail>,
    pub(crate) draws: Vec<PoolDraw>,
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
        self.events.extend(tx_events.into_iter().enumerate().map(|(i, (at, actor, event))| RecordedEvent {
            stream: stream.clone(),
            version: base + i as u64 + 1,
            at,
            actor,
            event,
        }));
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

    /// Decides one command; `more_follow` keeps the state moving for the next.
    pub(crate) fn decide(&mut self, command: &Command, pools: &BTreeMap<Code, KeyPoolState>, more_follow: bool) -> Result<Outcome, Error> {
        // Pools already drawn from earlier in this batch.
        let mut pools = Cow::Borrowed(pools);
        for draw in &self.draws {
            let pool = pools.to_mut().entry(draw.product.clone()).or_default();
            pool.allocated += u64::from(draw.count);
        }
        let mut tx = Tx::new(&self.state, &self.center.inner.catalog, self.now, self.actor);
        tx.templates = &self.center.inner.templates;
        let outcome = decide(&mut tx, command, &pools)?;
        let (events, mails, draws) = (tx.events, tx.mails, tx.draws);
        self.draws.extend(draws);
        self.absorb(events, mails, more_follow)?;
        Ok(outcome)
    }

    /// Records events decided outside the command set (program operations).
    pub(crate) fn emit(&mut self, build: impl FnOnce(&OrganizationState) -> Result<Vec<Event>, Error>) -> Result<(), Error> {
        let events = build(&self.state)?;
        let (now, actor) = (self.now, self.actor);
        self.absorb(events.into_iter().map(|e| (now, actor, e)).collect(), Vec::new(), false)
    }
}
