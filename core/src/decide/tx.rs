//! A transaction under construction: the events and mail one command (or
//! one clock catch-up) produces, decided against a state it does not change.

use crate::Error;
use crate::catalog::Catalog;
use crate::event::{Actor, Event};
use crate::ids::{MailId, OrganizationId, RequestId, UserId};
use crate::lifecycle::Timestamp;
use crate::mail::{Mail, MailTopic, render};
use crate::state::{Counters, OrganizationState, User};
use crate::values::{Email, Language};

pub(crate) struct Tx<'s> {
    pub state: &'s OrganizationState,
    pub catalog: &'s Catalog,
    /// The catalog's templates, shared (see `Inner::templates`); empty: copy.
    pub templates: &'s [std::sync::Arc<crate::catalog::PackageTemplate>],
    pub now: Timestamp,
    pub actor: Actor,
    next: Counters,
    pub events: Vec<(Timestamp, Actor, Event)>,
    pub mails: Vec<Mail>,
    /// Keys the commit claims for the purchases decided (ADR 9).
    pub claims: Vec<crate::store::Claim>,
}

impl<'s> Tx<'s> {
    pub fn new(state: &'s OrganizationState, catalog: &'s Catalog, now: Timestamp, actor: Actor) -> Self {
        Self {
            state,
            catalog,
            templates: &[],
            now,
            actor,
            next: state.next.clone(),
            events: Vec::new(),
            mails: Vec::new(),
            claims: Vec::new(),
        }
    }

    pub fn org(&self) -> OrganizationId {
        self.state.id
    }

    /// Records an event by the acting user, now.
    pub fn emit(&mut self, event: Event) {
        self.events.push((self.now, self.actor, event));
    }

    /// Records an event at a given time (clock catch-up uses the due time).
    pub fn emit_at(&mut self, at: Timestamp, actor: Actor, event: Event) {
        self.events.push((at, actor, event));
    }

    /// Queues a mail in `language` to `to` (duplicates dropped), with its audit event.
    pub fn mail(&mut self, at: Timestamp, actor: Actor, mut to: Vec<Email>, language: &Language, topic: MailTopic) {
        to.sort();
        to.dedup();
        self.next.mails += 1;
        let id = MailId::new(self.org(), self.next.mails);
        let (language, subject, body) = render(&topic, &self.state.name, language);
        self.events.push((at, actor, Event::MailQueued { mail: id, topic: topic.clone(), recipients: to.clone() }));
        self.mails.push(Mail { id, organization: self.org(), to, language, topic, subject, body, created_at: at });
    }

    pub fn next_user(&mut self) -> UserId {
        self.next.users += 1;
        UserId::new(self.org(), self.next.users)
    }

    pub fn next_request(&mut self) -> RequestId {
        self.next.requests += 1;
        RequestId::new(self.org(), self.next.requests)
    }

    pub fn next_package_seq(&mut self) -> u32 {
        self.next.packages += 1;
        self.next.packages
    }

    /// The acting user, who must belong to this organization.
    pub fn acting_user(&self) -> Result<&'s User, Error> {
        match self.actor {
            Actor::User(id) => self.state.users.get(&id).ok_or_else(|| Error::not_found("user", id)),
            _ => Err(Error::precondition("this command is made by a user")),
        }
    }

    /// A user of this organization (R05); any other id is `not_found` (B1).
    pub fn user(&self, id: UserId) -> Result<&'s User, Error> {
        self.state.users.get(&id).ok_or_else(|| Error::not_found("user", id))
    }
}
