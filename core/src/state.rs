//! State: the fold of an organization's events (B2), and of a key pool's.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::catalog::{BenefitKind, DownloadLink, PackageTemplate};
use crate::error::Error;
use crate::event::{CancellationTarget, Event, KeySlots, MarketingContact, Phase, RecordedEvent};
use crate::ids::{BenefitId, OfferId, OrganizationId, PackageId, RequestId, UserId};
use crate::lifecycle::advisory::{AdvisoryMachine, RequestFact, RequestState};
use crate::lifecycle::offer::{OfferFact, OfferMachine, OfferState};
use crate::lifecycle::package::{PackageFact, PackageMachine, PackageState};
use crate::lifecycle::reminder::{ReminderFact, ReminderMachine, RemindersSent};
use crate::lifecycle::seat::{SeatFact, SeatMachine, SeatPool};
use crate::lifecycle::software::{SoftwareFact, SoftwareMachine, SoftwareState};
use crate::lifecycle::technical::{TechnicalFact, TechnicalMachine, TechnicalState};
use crate::lifecycle::{Timestamp, apply};
use crate::permission::Role;
use crate::refund::RefundTerms;
use crate::role_set::RoleSet;
use crate::values::{Code, Email, Language, Money, PartnerLevel};

/// Counters that number new ids; part of state so replay numbers the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Users so far.
    pub users: u32,
    /// Packages so far.
    pub packages: u32,
    /// Benefits so far.
    pub benefits: u32,
    /// Offers so far.
    pub offers: u32,
    /// Service requests so far.
    pub requests: u32,
    /// Mails so far.
    pub mails: u32,
}

/// An employee of the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Display name.
    pub name: String,
    /// Partner Center account email.
    pub email: Email,
    /// Roles.
    pub roles: RoleSet,
    /// Preferred language for mail.
    pub language: Language,
}

/// A purchased package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Package {
    /// Id.
    pub id: PackageId,
    /// The template as it was bought; shared with the purchase event (a
    /// copy of the state, as a query with due steps makes, copied every
    /// template). Serialized as the template itself.
    #[serde(with = "crate::catalog::shared_template")]
    pub template: std::sync::Arc<PackageTemplate>,
    /// When it was bought.
    pub purchased_at: Timestamp,
    /// Lifecycle.
    pub state: PackageState,
    /// End of the current term (kept across expiry for renewal).
    pub term_ends_at: Timestamp,
    /// Reminder days already mailed for the current term (P3).
    pub reminders_sent: RemindersSent,
    /// Its benefits, in template order.
    pub benefits: Vec<BenefitId>,
}

impl Package {
    /// What a cancellation of the package or of one of its offers is
    /// judged on (R29, P1), with the key reveals of `state` (its organization).
    pub fn refund_terms(&self, state: &OrganizationState) -> RefundTerms {
        RefundTerms {
            purchased_at: self.purchased_at,
            window_days: self.template.refund_window_days,
            software_activated: state.software_activated(self),
        }
    }
}

/// The kind of a technical benefit (R17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TechnicalKind {
    /// Product support incidents.
    SupportIncidents,
    /// Partner advisory hours.
    AdvisoryHours,
    /// Technical presales and deployment services.
    PresalesDeployment,
}

/// A Go-To-Market offer inside a benefit (R27).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// Id.
    pub id: OfferId,
    /// Code from the catalog.
    pub code: Code,
    /// Type shown, e.g. `Silver Core`.
    pub name: Arc<str>,
    /// Lowest level allowed (R23).
    pub min_level: PartnerLevel,
    /// Competencies of which one is needed; empty for none (R23).
    pub competencies: Arc<[Code]>,
    /// Days from activation to active.
    pub activation_lead_days: u32,
    /// Days it runs.
    pub duration_days: u32,
    /// Reminder days before expiry (P3).
    pub reminder_days: Arc<[u32]>,
    /// Reminder days mailed for the current run.
    pub reminders_sent: RemindersSent,
    /// Lifecycle.
    pub state: OfferState,
}

/// What a benefit is, with its own state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[allow(missing_docs)] // fields mirror the catalog's
pub enum BenefitDetail {
    // The catalog's texts are shared with it (`Arc`), not copied into every
    // purchase and every copy of the state; they serialize as before.
    Software {
        languages: Arc<[Language]>,
        os_types: Arc<[Code]>,
        download_links: Arc<[DownloadLink]>,
        special_instructions: Arc<str>,
        keys: KeySlots,
        activation: SoftwareState,
    },
    CloudLicense {
        keys: KeySlots,
        term_months: u32,
        special_instructions: Arc<str>,
        activation: SoftwareState,
    },
    CloudUsage {
        monthly_credit: Money,
        /// Its single seat (R12).
        seat: SeatPool,
    },
    VisualStudio {
        edition: Arc<str>,
        seats: SeatPool,
    },
    Technical {
        kind: TechnicalKind,
        allocated: Decimal,
        balance: Decimal,
        activation: TechnicalState,
    },
    GoToMarket {
        offers: Vec<Offer>,
    },
}

/// A benefit of a purchased package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Benefit {
    /// Id.
    pub id: BenefitId,
    /// The package it came with.
    pub package: PackageId,
    /// Code from the catalog.
    pub code: Code,
    /// Display name.
    pub name: Arc<str>,
    /// Kind and state.
    pub detail: BenefitDetail,
    /// When its package was cancelled with a refund: the benefit ended with
    /// it, and nothing of it falls due any more (R29).
    #[serde(default)]
    pub cancelled_at: Option<Timestamp>,
    /// The most users ever assigned at once (the high-water mark seats are
    /// billed against), kept by the fold as assignments happen.
    #[serde(default)]
    pub peak_assigned: u32,
}

impl Benefit {
    /// How many users it is assigned to now.
    pub fn assigned_count(&self) -> u32 {
        match &self.detail {
            BenefitDetail::VisualStudio { seats: pool, .. } | BenefitDetail::CloudUsage { seat: pool, .. } => {
                u32::try_from(pool.holders.len()).unwrap_or(u32::MAX)
            }
            BenefitDetail::Technical { activation: TechnicalState::Pending { .. } | TechnicalState::Active { .. }, .. } => 1,
            _ => 0,
        }
    }

    /// Raises the high-water mark to what is assigned now.
    fn note_assignment(&mut self) {
        self.peak_assigned = self.peak_assigned.max(self.assigned_count());
    }
}

/// An assistance request (R21).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssistanceRequest {
    /// Id.
    pub id: RequestId,
    /// The technical benefit drawn from.
    pub benefit: BenefitId,
    /// Who asked.
    pub requested_by: UserId,
    /// When.
    pub requested_at: Timestamp,
    /// Phase.
    pub phase: Phase,
    /// Hours (or incidents) drawn.
    pub amount: Decimal,
    /// What it is for.
    pub description: String,
    /// Lifecycle.
    pub state: RequestState,
}

/// A cancellation service request and its answer (R30).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    /// Id.
    pub id: RequestId,
    /// What should be cancelled.
    pub target: CancellationTarget,
    /// Who asked.
    pub requested_by: UserId,
    /// When.
    pub requested_at: Timestamp,
    /// The answer: `Ok(refund)` or `Err(reason)`; `None` until answered.
    pub answer: Option<Result<Money, crate::error::RefundRefusal>>,
}

/// Everything of one organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationState {
    /// Id.
    pub id: OrganizationId,
    /// Company name.
    pub name: String,
    /// The company's Partner Center account email.
    pub account_email: Email,
    /// Partner level, set by the program.
    pub level: PartnerLevel,
    /// Competencies, set by the program.
    pub competencies: BTreeSet<Code>,
    /// Users.
    pub users: BTreeMap<UserId, User>,
    /// Packages.
    pub packages: BTreeMap<PackageId, Package>,
    /// Benefits.
    pub benefits: BTreeMap<BenefitId, Benefit>,
    /// Which benefit holds each offer.
    pub offer_index: BTreeMap<OfferId, BenefitId>,
    /// The marketing contact (R24, R25).
    pub marketing_contact: Option<MarketingContact>,
    /// Assistance requests.
    pub requests: BTreeMap<RequestId, AssistanceRequest>,
    /// Cancellation service requests.
    pub cancellations: BTreeMap<RequestId, Cancellation>,
    /// Id counters.
    pub next: Counters,
    /// Version of the last event folded in.
    pub version: u64,
    /// The latest time of any event folded in. Time as the center sees this
    /// organization never goes back behind it, whatever the host's clock does
    /// (a clock stepped back must not reopen a closed refund window).
    pub recorded_until: Timestamp,
    /// The emails of `users`, so a duplicate is refused without a scan (not
    /// persisted: rebuilt by [`OrganizationState::reindex`]).
    #[serde(skip)]
    pub(crate) user_emails: Derived<HashSet<Email>>,
    /// No lifecycle step or reminder falls due before this moment, so the
    /// clock catch-up (`decide/due.rs`) can skip its scan of every package
    /// and benefit when `now` is earlier. `None`: not known, scan. Kept by
    /// the fold (recomputed when an event changes what can fall due), not
    /// persisted: rebuilt by [`OrganizationState::reindex`].
    #[serde(skip)]
    pub(crate) next_due: Derived<Option<Timestamp>>,
}

/// An index derived from the events, kept only to make lookups cheap. It is
/// not serialized, and it compares equal to any other: it holds nothing the
/// events do not, and a state loaded from a snapshot (index rebuilt, or not
/// yet) must still equal the same state replayed from the events (B2, the
/// replay and snapshot tests compare whole states).
#[derive(Debug, Clone, Default)]
pub(crate) struct Derived<T>(pub(crate) T);

impl<T> PartialEq for Derived<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> std::ops::Deref for Derived<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Derived<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::storage(format!("event log does not replay: {what}"))
}

impl OrganizationState {
    /// Builds the state from the organization's first event.
    pub fn from_first(id: OrganizationId, first: &RecordedEvent) -> Result<Self, Error> {
        let Event::OrganizationCreated { name, account_email, admin, admin_name, admin_email } = &first.event else {
            return Err(corrupt("the first event does not create the organization"));
        };
        let mut users = BTreeMap::new();
        users.insert(
            *admin,
            User {
                id: *admin,
                name: admin_name.clone(),
                email: admin_email.clone(),
                roles: RoleSet::from(&[Role::GlobalAdmin][..]),
                language: Language::english(),
            },
        );
        Ok(Self {
            id,
            name: name.clone(),
            account_email: account_email.clone(),
            level: PartnerLevel::Member,
            competencies: BTreeSet::new(),
            users,
            packages: BTreeMap::new(),
            benefits: BTreeMap::new(),
            offer_index: BTreeMap::new(),
            marketing_contact: None,
            requests: BTreeMap::new(),
            cancellations: BTreeMap::new(),
            next: Counters { users: 1, ..Counters::default() },
            version: first.version,
            recorded_until: first.at,
            user_emails: Derived(HashSet::from([admin_email.clone()])),
            // No packages yet: nothing can fall due.
            next_due: Derived(Some(Timestamp::MAX_UTC)),
        })
    }

    /// True when a user of the organization has `email`.
    pub(crate) fn has_user_email(&self, email: &Email) -> bool {
        if self.user_emails.len() == self.users.len() {
            self.user_emails.contains(email)
        } else {
            // The index is out of step (a state built without it): scan.
            self.users.values().any(|u| &u.email == email)
        }
    }

    /// Rebuilds what is not persisted (after loading a snapshot).
    pub(crate) fn reindex(&mut self) {
        self.user_emails = Derived(self.users.values().map(|u| u.email.clone()).collect());
        self.next_due = Derived(Some(crate::decide::earliest_due(self)));
    }

    /// The state a stored snapshot holds, or `None` when the snapshot is not
    /// of this release's schema (the center then replays the events).
    #[cfg(any(test, feature = "testing"))]
    pub fn from_snapshot(text: &str) -> Option<Self> {
        let mut state: Self = crate::record::decode_snapshot(text)?;
        state.reindex();
        Some(state)
    }

    /// Replays a whole stream.
    pub fn replay(id: OrganizationId, events: &[RecordedEvent]) -> Result<Self, Error> {
        let (first, rest) = events.split_first().ok_or_else(|| Error::not_found("organization", id))?;
        let mut state = Self::from_first(id, first)?;
        for event in rest {
            state.apply(event)?;
        }
        Ok(state)
    }

    /// Folds one event in. Fails only on a log this version cannot replay.
    pub fn apply(&mut self, recorded: &RecordedEvent) -> Result<(), Error> {
        if recorded.version != self.version + 1 {
            return Err(corrupt(format!("version {} follows {}", recorded.version, self.version)));
        }
        let at = recorded.at;
        match &recorded.event {
            Event::OrganizationCreated { .. } => return Err(corrupt("organization created twice")),
            Event::UserAdded { user, name, email, roles, language } => {
                self.user_emails.insert(email.clone());
                self.users.insert(
                    *user,
                    User {
                        id: *user,
                        name: name.clone(),
                        email: email.clone(),
                        roles: RoleSet::from(&roles[..]),
                        language: language.clone(),
                    },
                );
                self.next.users = self.next.users.max(user.seq());
            }
            Event::UserRolesChanged { user, roles } => self.user_mut(*user)?.roles = RoleSet::from(&roles[..]),
            Event::UserRemoved { user } => {
                let removed = self.users.remove(user).ok_or_else(|| corrupt(user))?;
                self.user_emails.remove(&removed.email);
            }
            Event::PartnerLevelSet { level } => self.level = *level,
            Event::CompetencyGranted { competency } => {
                self.competencies.insert(competency.clone());
            }
            Event::CompetencyRevoked { competency } => {
                self.competencies.remove(competency);
            }
            Event::PackagePurchased { package, template, expires_at, keys } => {
                self.add_package(*package, template, at, *expires_at, keys)?
            }
            Event::PackageRenewed { package, expires_at } => {
                let package = self.package_mut(*package)?;
                apply::<PackageMachine>(&mut package.state, &PackageFact::Renewed { expires_at: *expires_at })?;
                package.term_ends_at = *expires_at;
                apply::<ReminderMachine>(&mut package.reminders_sent, &ReminderFact::TermStarted)?;
            }
            Event::PackageExpired { package } => apply::<PackageMachine>(&mut self.package_mut(*package)?.state, &PackageFact::Expired)?,
            Event::PackageReminderDue { package, days_before } => {
                let reminders = &mut self.package_mut(*package)?.reminders_sent;
                apply::<ReminderMachine>(reminders, &ReminderFact::Reminded { days_before: *days_before })?;
            }
            Event::CancellationRequested { request, target } => {
                let requested_by = actor_user(recorded)?;
                self.cancellations
                    .insert(*request, Cancellation { id: *request, target: *target, requested_by, requested_at: at, answer: None });
                self.next.requests = self.next.requests.max(request.seq());
            }
            Event::CancellationGranted { request, refund } => {
                let cancellation = self.cancellations.get_mut(request).ok_or_else(|| corrupt(request))?;
                cancellation.answer = Some(Ok(refund.clone()));
                match cancellation.target {
                    CancellationTarget::Package(id) => self.cancel_package(id, at)?,
                    CancellationTarget::Offer(id) => {
                        apply::<OfferMachine>(&mut self.offer_mut(id)?.state, &OfferFact::Cancelled { cancelled_at: at })?
                    }
                }
            }
            Event::CancellationRefused { request, reason } => {
                self.cancellations.get_mut(request).ok_or_else(|| corrupt(request))?.answer = Some(Err(*reason));
            }
            Event::KeysRevealed { benefit, .. } => {
                let (activation, term_months) = match &mut self.benefit_mut(*benefit)?.detail {
                    BenefitDetail::Software { activation, .. } => (activation, None),
                    BenefitDetail::CloudLicense { activation, term_months, .. } => (activation, Some(*term_months)),
                    _ => return Err(corrupt("keys revealed for a benefit without keys")),
                };
                apply::<SoftwareMachine>(activation, &SoftwareFact::Revealed { at, term_months })?;
            }
            Event::LicenseTermExpired { benefit } => match &mut self.benefit_mut(*benefit)?.detail {
                BenefitDetail::CloudLicense { activation, .. } => apply::<SoftwareMachine>(activation, &SoftwareFact::Expired)?,
                _ => return Err(corrupt("license term expired for a benefit without a term")),
            },
            Event::SeatAssigned { benefit, user } => {
                apply::<SeatMachine>(self.seats_mut(*benefit)?, &SeatFact::Assigned { user: *user, since: at })?;
                self.benefit_mut(*benefit)?.note_assignment();
            }
            Event::SeatReleased { benefit, user } => apply::<SeatMachine>(self.seats_mut(*benefit)?, &SeatFact::Released { user: *user })?,
            Event::TechnicalAssigned { benefit, user, alternate_email, active_at } => {
                let fact = TechnicalFact::Assigned {
                    user: *user,
                    alternate_email: alternate_email.clone(),
                    requested_at: at,
                    active_at: *active_at,
                };
                apply::<TechnicalMachine>(self.technical_mut(*benefit)?, &fact)?;
                self.benefit_mut(*benefit)?.note_assignment();
            }
            Event::TechnicalReleased { benefit, .. } => apply::<TechnicalMachine>(self.technical_mut(*benefit)?, &TechnicalFact::Released)?,
            Event::TechnicalActivated { benefit } => apply::<TechnicalMachine>(self.technical_mut(*benefit)?, &TechnicalFact::Fulfilled)?,
            Event::AssistanceRequested { request, benefit, phase, amount, description } => {
                let requested_by = actor_user(recorded)?;
                self.draw(*benefit, *amount)?;
                self.requests.insert(
                    *request,
                    AssistanceRequest {
                        id: *request,
                        benefit: *benefit,
                        requested_by,
                        requested_at: at,
                        phase: *phase,
                        amount: *amount,
                        description: description.clone(),
                        state: RequestState::Submitted,
                    },
                );
                self.next.requests = self.next.requests.max(request.seq());
            }
            Event::AssistanceCompleted { request } => {
                let entry = self.requests.get_mut(request).ok_or_else(|| corrupt(request))?;
                apply::<AdvisoryMachine>(&mut entry.state, &RequestFact::Completed(at))?;
            }
            Event::AssistanceWithdrawn { request } => {
                let entry = self.requests.get_mut(request).ok_or_else(|| corrupt(request))?;
                apply::<AdvisoryMachine>(&mut entry.state, &RequestFact::Withdrawn(at))?;
                let (benefit, amount) = (entry.benefit, entry.amount);
                self.draw(benefit, -amount)?;
            }
            Event::MarketingContactSet { contact } => self.marketing_contact = Some(contact.clone()),
            Event::OfferActivated { offer, active_at } => {
                let offer = self.offer_mut(*offer)?;
                apply::<OfferMachine>(&mut offer.state, &OfferFact::Activated { requested_at: at, active_at: *active_at })?;
                apply::<ReminderMachine>(&mut offer.reminders_sent, &ReminderFact::TermStarted)?;
            }
            Event::OfferActive { offer, expires_at } => {
                apply::<OfferMachine>(&mut self.offer_mut(*offer)?.state, &OfferFact::Fulfilled { expires_at: *expires_at })?
            }
            Event::OfferExpired { offer } => apply::<OfferMachine>(&mut self.offer_mut(*offer)?.state, &OfferFact::Expired)?,
            Event::OfferReminderDue { offer, days_before } => {
                let reminders = &mut self.offer_mut(*offer)?.reminders_sent;
                apply::<ReminderMachine>(reminders, &ReminderFact::Reminded { days_before: *days_before })?;
            }
            Event::MailQueued { mail, .. } => self.next.mails = self.next.mails.max(mail.seq()),
            Event::KeysStocked { .. } | Event::KeysAllocated { .. } => return Err(corrupt("key pool event in an organization stream")),
        }
        self.update_next_due(&recorded.event);
        self.version = recorded.version;
        self.recorded_until = self.recorded_until.max(at);
        Ok(())
    }

    fn add_package(
        &mut self,
        id: PackageId,
        template: &std::sync::Arc<PackageTemplate>,
        at: Timestamp,
        expires_at: Timestamp,
        keys: &[crate::event::KeyAllocation],
    ) -> Result<(), Error> {
        let mut benefit_ids = Vec::with_capacity(template.benefits.len());
        for (index, benefit) in template.benefits.iter().enumerate() {
            self.next.benefits += 1;
            let benefit_id = BenefitId::new(self.id, self.next.benefits);
            let slots = || {
                keys.iter()
                    .find(|k| usize::try_from(k.benefit_index).ok() == Some(index))
                    .map(|k| k.slots.clone())
                    .ok_or_else(|| corrupt(format!("no keys recorded for benefit {index} of {id}")))
            };
            let detail = match &benefit.kind {
                BenefitKind::Software { languages, os_types, download_links, special_instructions, .. } => BenefitDetail::Software {
                    languages: languages.clone(),
                    os_types: os_types.clone(),
                    download_links: download_links.clone(),
                    special_instructions: special_instructions.clone(),
                    keys: slots()?,
                    activation: SoftwareState::NotActivated,
                },
                BenefitKind::CloudLicense { term_months, special_instructions, .. } => BenefitDetail::CloudLicense {
                    keys: slots()?,
                    term_months: *term_months,
                    special_instructions: special_instructions.clone(),
                    activation: SoftwareState::NotActivated,
                },
                BenefitKind::CloudUsage { monthly_credit } => {
                    BenefitDetail::CloudUsage { monthly_credit: monthly_credit.clone(), seat: SeatPool::new(1) }
                }
                BenefitKind::VisualStudio { edition, seats } => {
                    BenefitDetail::VisualStudio { edition: edition.clone(), seats: SeatPool::new(*seats) }
                }
                BenefitKind::SupportIncidents { incidents } => technical(TechnicalKind::SupportIncidents, Decimal::from(*incidents)),
                BenefitKind::AdvisoryHours { hours } => technical(TechnicalKind::AdvisoryHours, *hours),
                BenefitKind::PresalesDeployment { hours } => technical(TechnicalKind::PresalesDeployment, *hours),
                BenefitKind::GoToMarket { offers } => {
                    let mut built = Vec::with_capacity(offers.len());
                    for offer in offers {
                        self.next.offers += 1;
                        let offer_id = OfferId::new(self.id, self.next.offers);
                        self.offer_index.insert(offer_id, benefit_id);
                        built.push(Offer {
                            id: offer_id,
                            code: offer.code.clone(),
                            name: offer.name.clone(),
                            min_level: offer.min_level,
                            competencies: offer.competencies.clone(),
                            activation_lead_days: offer.activation_lead_days,
                            duration_days: offer.duration_days,
                            reminder_days: offer.reminder_days.clone(),
                            reminders_sent: RemindersSent::new(),
                            state: OfferState::Available,
                        });
                    }
                    BenefitDetail::GoToMarket { offers: built }
                }
            };
            self.benefits.insert(
                benefit_id,
                Benefit {
                    id: benefit_id,
                    package: id,
                    code: benefit.code.clone(),
                    name: benefit.name.clone(),
                    detail,
                    cancelled_at: None,
                    peak_assigned: 0,
                },
            );
            benefit_ids.push(benefit_id);
        }
        self.packages.insert(
            id,
            Package {
                id,
                template: template.clone(),
                purchased_at: at,
                state: PackageState::Active { expires_at },
                term_ends_at: expires_at,
                reminders_sent: RemindersSent::new(),
                benefits: benefit_ids,
            },
        );
        self.next.packages = self.next.packages.max(id.seq());
        Ok(())
    }

    /// Keeps `next_due` right after `event` was folded in. An event that only
    /// adds a due step lowers it to that step; one that takes a step away or
    /// moves a term recomputes it from every package and benefit (a bound
    /// that is too early is still correct: the catch-up then just scans).
    fn update_next_due(&mut self, event: &Event) {
        let added = match event {
            Event::TechnicalAssigned { active_at, .. } | Event::OfferActivated { active_at, .. } => *active_at,
            Event::PackagePurchased { package, .. } => match self.packages.get(package) {
                Some(package) => crate::decide::package_earliest_due(package),
                None => return,
            },
            Event::KeysRevealed { benefit, .. } => match self.benefits.get(benefit) {
                // A cloud license's first reveal starts its term: its end is a
                // new due step (a repeat reveal lowers nothing).
                Some(Benefit {
                    detail: BenefitDetail::CloudLicense { activation: SoftwareState::Activated { expires_at: Some(end), .. }, .. },
                    ..
                }) => *end,
                _ => return,
            },
            event if changes_due_steps(event) => {
                self.next_due = Derived(Some(crate::decide::earliest_due(self)));
                return;
            }
            _ => return,
        };
        if let Some(next) = self.next_due.0.as_mut() {
            *next = (*next).min(added);
        }
    }

    /// A granted cancellation of a package ends it and everything it holds
    /// (R29): its benefits and their offers move to their cancelled states,
    /// so no view or due step has to look at the package again.
    fn cancel_package(&mut self, id: PackageId, at: Timestamp) -> Result<(), Error> {
        let package = self.package_mut(id)?;
        apply::<PackageMachine>(&mut package.state, &PackageFact::Cancelled { cancelled_at: at })?;
        let benefits = package.benefits.clone();
        for benefit in benefits {
            let benefit = self.benefit_mut(benefit)?;
            benefit.cancelled_at = Some(at);
            if let BenefitDetail::GoToMarket { offers } = &mut benefit.detail {
                for offer in offers {
                    apply::<OfferMachine>(&mut offer.state, &OfferFact::Cancelled { cancelled_at: at })?;
                }
            }
        }
        Ok(())
    }

    fn seats_mut(&mut self, id: BenefitId) -> Result<&mut SeatPool, Error> {
        match &mut self.benefit_mut(id)?.detail {
            BenefitDetail::VisualStudio { seats, .. } => Ok(seats),
            BenefitDetail::CloudUsage { seat, .. } => Ok(seat),
            _ => Err(corrupt("a seat event on a benefit without seats")),
        }
    }

    fn draw(&mut self, benefit: BenefitId, amount: Decimal) -> Result<(), Error> {
        match &mut self.benefit_mut(benefit)?.detail {
            BenefitDetail::Technical { balance, .. } => {
                *balance -= amount;
                Ok(())
            }
            _ => Err(corrupt("hours drawn from a benefit without a balance")),
        }
    }

    fn user_mut(&mut self, id: UserId) -> Result<&mut User, Error> {
        self.users.get_mut(&id).ok_or_else(|| corrupt(id))
    }

    fn package_mut(&mut self, id: PackageId) -> Result<&mut Package, Error> {
        self.packages.get_mut(&id).ok_or_else(|| corrupt(id))
    }

    fn benefit_mut(&mut self, id: BenefitId) -> Result<&mut Benefit, Error> {
        self.benefits.get_mut(&id).ok_or_else(|| corrupt(id))
    }

    fn technical_mut(&mut self, id: BenefitId) -> Result<&mut TechnicalState, Error> {
        match &mut self.benefit_mut(id)?.detail {
            BenefitDetail::Technical { activation, .. } => Ok(activation),
            _ => Err(corrupt("technical event on another kind of benefit")),
        }
    }

    fn offer_mut(&mut self, id: OfferId) -> Result<&mut Offer, Error> {
        let benefit = *self.offer_index.get(&id).ok_or_else(|| corrupt(id))?;
        match &mut self.benefit_mut(benefit)?.detail {
            BenefitDetail::GoToMarket { offers } => offers.iter_mut().find(|o| o.id == id).ok_or_else(|| corrupt(id)),
            _ => Err(corrupt("offer index points at a benefit without offers")),
        }
    }

    /// The offer with this id, if it is in this organization.
    pub fn offer(&self, id: OfferId) -> Option<(&Benefit, &Offer)> {
        let benefit = self.benefits.get(self.offer_index.get(&id)?)?;
        match &benefit.detail {
            BenefitDetail::GoToMarket { offers } => offers.iter().find(|o| o.id == id).map(|o| (benefit, o)),
            _ => None,
        }
    }

    /// True when a key of any benefit of `package` was revealed (P1).
    pub fn software_activated(&self, package: &Package) -> bool {
        package.benefits.iter().filter_map(|id| self.benefits.get(id)).any(|benefit| match &benefit.detail {
            BenefitDetail::Software { activation, .. } | BenefitDetail::CloudLicense { activation, .. } => activation.is_activated(),
            _ => false,
        })
    }

    /// The Global admins, for mail about packages.
    pub fn global_admins(&self) -> impl Iterator<Item = &User> {
        self.users.values().filter(|u| u.roles.contains(Role::GlobalAdmin))
    }
}

/// True when folding `event` may change what falls due, or when (`next_due`).
/// Listed by exclusion, so that a new kind of event is taken as changing it
/// (a full recomputation: always correct, only slower). The events that only
/// add a step are handled first, in [`OrganizationState::update_next_due`].
fn changes_due_steps(event: &Event) -> bool {
    !matches!(
        event,
        Event::MailQueued { .. }
            | Event::UserAdded { .. }
            | Event::UserRolesChanged { .. }
            | Event::UserRemoved { .. }
            | Event::PartnerLevelSet { .. }
            | Event::CompetencyGranted { .. }
            | Event::CompetencyRevoked { .. }
            | Event::SeatAssigned { .. }
            | Event::SeatReleased { .. }
            | Event::AssistanceRequested { .. }
            | Event::AssistanceCompleted { .. }
            | Event::AssistanceWithdrawn { .. }
            | Event::MarketingContactSet { .. }
            | Event::CancellationRequested { .. }
            | Event::CancellationRefused { .. }
            // Only a cloud license's first reveal adds a step.
            | Event::KeysRevealed { .. }
    )
}

fn technical(kind: TechnicalKind, allocated: Decimal) -> BenefitDetail {
    BenefitDetail::Technical { kind, allocated, balance: allocated, activation: TechnicalState::NotActivated }
}

fn actor_user(recorded: &RecordedEvent) -> Result<UserId, Error> {
    match recorded.actor {
        crate::event::Actor::User(user) => Ok(user),
        _ => Err(corrupt("a request without a requesting user")),
    }
}

/// A product's key pool as its stream tells: what the program stocked, and
/// what purchases before 0.2 took by slot range. Purchases since claim keys
/// in the vault and leave the stream alone (ADR 9): what is free is the
/// vault's to say ([`crate::store::Store::free_keys`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPoolState {
    /// Keys stocked in all; slots `0..stocked` are filled.
    pub stocked: u64,
    /// Keys handed out by slot range (before 0.2); slots `0..allocated`.
    pub allocated: u64,
    /// Version of the last event folded in.
    pub version: u64,
}

impl KeyPoolState {
    /// Folds one event in.
    pub fn apply(&mut self, recorded: &RecordedEvent) -> Result<(), Error> {
        if recorded.version != self.version + 1 {
            return Err(corrupt(format!("pool version {} follows {}", recorded.version, self.version)));
        }
        match &recorded.event {
            Event::KeysStocked { first, count } if *first == self.stocked => self.stocked += u64::from(*count),
            Event::KeysAllocated { first, count, .. } if *first == self.allocated => self.allocated += u64::from(*count),
            _ => return Err(corrupt("unexpected event in a key pool stream")),
        }
        self.version = recorded.version;
        Ok(())
    }
}
