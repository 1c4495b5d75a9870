//! The clock's part: what fell due between the last event and now
//! (activations after their lead time, expiries, reminders). Each due step
//! is recorded at the moment it fell due, exact to the second (B8).

use super::Tx;
use crate::event::{Actor, Event};
use crate::lifecycle::offer::{self, OfferInput, OfferState};
use crate::lifecycle::package::{self, PackageInput, PackageState};
use crate::lifecycle::software::SoftwareState;
use crate::lifecycle::technical::{self, TechnicalInput, TechnicalState};
use crate::lifecycle::{Timestamp, add_days_saturating, sub_days};
use crate::mail::MailTopic;
use crate::state::{BenefitDetail, OrganizationState, Package};

/// Adds to `tx` every step due at `tx.now`, in time order.
pub(crate) fn collect_due(tx: &mut Tx<'_>) {
    let state = tx.state;
    let now = tx.now;
    // The fold keeps the earliest moment anything can fall due: before it,
    // the scan below would find nothing, and it ran on every command and
    // query (17 % of the mixed workload's instructions).
    if state.next_due.is_some_and(|next| now < next) {
        debug_assert!(scan(state, now).is_empty(), "next_due {:?} is later than a step due at {now}", state.next_due.0);
        return;
    }
    let mut due = scan(state, now);
    due.sort_by_key(|(at, order, _)| (*at, *order));
    for (at, _, step) in due {
        step.record(tx, at);
    }
}

/// The earliest moment at which [`collect_due`] would find a step due
/// (`Timestamp::MAX_UTC` when nothing is scheduled). It mirrors the
/// conditions of [`scan`]: a step that can never fire (a reminder already
/// sent, or one falling before the term started or at its end) is left out,
/// or the catch-up would scan on every command again.
pub(crate) fn earliest_due(state: &OrganizationState) -> Timestamp {
    let mut earliest = Timestamp::MAX_UTC;
    let mut consider = |at: Timestamp| earliest = earliest.min(at);
    for package in state.packages.values() {
        consider(package_earliest_due(package));
    }
    for benefit in state.benefits.values() {
        if state.packages.get(&benefit.package).is_some_and(|p| matches!(p.state, PackageState::Cancelled { .. })) {
            continue;
        }
        match &benefit.detail {
            BenefitDetail::Technical { activation: TechnicalState::Pending { active_at, .. }, .. } => consider(*active_at),
            BenefitDetail::CloudLicense { activation: SoftwareState::Activated { expires_at: Some(end), .. }, .. } => consider(*end),
            BenefitDetail::GoToMarket { offers } => {
                for offer in offers {
                    match offer.state {
                        // Pending: its activation comes before its reminders and expiry.
                        OfferState::Pending { active_at, .. } => consider(active_at),
                        OfferState::Active { since, expires_at } => {
                            for days in &offer.reminder_days {
                                let at = sub_days(expires_at, *days);
                                if at < expires_at && at >= since && !offer.reminders_sent.contains(days) {
                                    consider(at);
                                }
                            }
                            consider(expires_at);
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    earliest
}

/// The earliest due step of one package itself (reminders, expiry), as in [`earliest_due`].
pub(crate) fn package_earliest_due(package: &Package) -> Timestamp {
    let PackageState::Active { expires_at } = package.state else { return Timestamp::MAX_UTC };
    let mut earliest = expires_at;
    for days in &package.template.reminder_days {
        let at = sub_days(expires_at, *days);
        if at < expires_at && at >= package.purchased_at && !package.reminders_sent.contains(days) {
            earliest = earliest.min(at);
        }
    }
    earliest
}

/// Every step due at `now`, unsorted.
fn scan(state: &OrganizationState, now: Timestamp) -> Vec<(Timestamp, u8, Step)> {
    let mut due: Vec<(Timestamp, u8, Step)> = Vec::new();
    for package in state.packages.values() {
        if let PackageState::Active { expires_at } = package.state {
            for days in &package.template.reminder_days {
                let at = sub_days(expires_at, *days);
                // P3: once per reminder, only while the package has not yet expired.
                if at <= now && now < expires_at && at >= package.purchased_at && !package.reminders_sent.contains(days) {
                    due.push((at, 0, Step::PackageReminder(package.id, *days, expires_at)));
                }
            }
            // The time check first: a refused transition builds an error, and this runs on every command.
            if now >= expires_at && package::transition(&package.state, &PackageInput::Expire, now).is_ok() {
                due.push((expires_at, 2, Step::PackageExpired(package.id)));
            }
        }
    }
    for benefit in state.benefits.values() {
        // Fix (found by tests/seed_rules.rs r29_a_refunded_package_ends_its_benefits):
        // a refunded package's benefits kept moving after the refund (a pending
        // technical benefit became active, a pending offer went live and was
        // mailed about). Nothing of a cancelled package falls due any more.
        if state.packages.get(&benefit.package).is_some_and(|p| matches!(p.state, PackageState::Cancelled { .. })) {
            continue;
        }
        match &benefit.detail {
            BenefitDetail::Technical { activation: activation @ TechnicalState::Pending { active_at, .. }, .. }
                if now >= *active_at && technical::transition(activation, &TechnicalInput::Fulfil, now).is_ok() =>
            {
                due.push((*active_at, 1, Step::TechnicalActive(benefit.id)));
            }
            BenefitDetail::CloudLicense { activation: SoftwareState::Activated { expires_at: Some(end), .. }, .. } if *end <= now => {
                due.push((*end, 2, Step::LicenseExpired(benefit.id)));
            }
            BenefitDetail::GoToMarket { offers } => {
                for offer in offers {
                    collect_offer(offer, now, &mut due);
                }
            }
            _ => {}
        }
    }
    due
}

fn collect_offer(offer: &crate::state::Offer, now: Timestamp, due: &mut Vec<(Timestamp, u8, Step)>) {
    // An offer can become active and expire within one catch-up, so walk it forward.
    let mut state = offer.state.clone();
    let mut reminders_sent = offer.reminders_sent.clone();
    if let OfferState::Pending { active_at, .. } = state {
        if now < active_at {
            return;
        }
        match offer::transition(&state, &OfferInput::Fulfil { duration_days: offer.duration_days }, now) {
            Ok(next) => {
                due.push((active_at, 1, Step::OfferActive(offer.id, add_days_saturating(active_at, offer.duration_days))));
                state = next;
                reminders_sent.clear();
            }
            Err(_) => return,
        }
    }
    if let OfferState::Active { since, expires_at } = state {
        for days in &offer.reminder_days {
            let at = sub_days(expires_at, *days);
            if at <= now && now < expires_at && at >= since && !reminders_sent.contains(days) {
                due.push((at, 0, Step::OfferReminder(offer.id, *days, expires_at)));
            }
        }
        if now >= expires_at && offer::transition(&state, &OfferInput::Expire, now).is_ok() {
            due.push((expires_at, 2, Step::OfferExpired(offer.id)));
        }
    }
}

enum Step {
    PackageReminder(crate::ids::PackageId, u32, Timestamp),
    PackageExpired(crate::ids::PackageId),
    TechnicalActive(crate::ids::BenefitId),
    LicenseExpired(crate::ids::BenefitId),
    OfferActive(crate::ids::OfferId, Timestamp),
    OfferReminder(crate::ids::OfferId, u32, Timestamp),
    OfferExpired(crate::ids::OfferId),
}

impl Step {
    fn record(self, tx: &mut Tx<'_>, at: Timestamp) {
        let state = tx.state;
        match self {
            Step::PackageReminder(package, days_before, expires_at) => {
                tx.emit_at(at, Actor::Clock, Event::PackageReminderDue { package, days_before });
                let name = state.packages.get(&package).map(|p| p.template.name.clone()).unwrap_or_default();
                // Reminders go to every Global admin, each in their language.
                for admin in state.global_admins() {
                    let topic = MailTopic::PackageExpiring { package: name.clone(), expires_at, days_before };
                    tx.mail(at, Actor::Clock, vec![admin.email.clone()], &admin.language, topic);
                }
            }
            Step::PackageExpired(package) => tx.emit_at(at, Actor::Clock, Event::PackageExpired { package }),
            Step::TechnicalActive(benefit) => {
                tx.emit_at(at, Actor::Clock, Event::TechnicalActivated { benefit });
                let Some(found) = state.benefits.get(&benefit) else { return };
                if let BenefitDetail::Technical { activation: TechnicalState::Pending { user, alternate_email, .. }, .. } = &found.detail {
                    // R19, R20: the instructions go out once active, to both addresses.
                    let user = state.users.get(user);
                    let mut to = vec![alternate_email.clone()];
                    to.extend(user.map(|u| u.email.clone()));
                    let language = user.map(|u| u.language.clone()).unwrap_or_else(crate::values::Language::english);
                    tx.mail(at, Actor::Clock, to, &language, MailTopic::TechnicalActivated { benefit: found.name.clone() });
                }
            }
            Step::LicenseExpired(benefit) => tx.emit_at(at, Actor::Clock, Event::LicenseTermExpired { benefit }),
            Step::OfferActive(offer, expires_at) => {
                tx.emit_at(at, Actor::Clock, Event::OfferActive { offer, expires_at });
                offer_mail(tx, at, offer, |name| MailTopic::OfferActivated { offer: name, expires_at });
            }
            Step::OfferReminder(offer, days_before, expires_at) => {
                tx.emit_at(at, Actor::Clock, Event::OfferReminderDue { offer, days_before });
                offer_mail(tx, at, offer, |name| MailTopic::OfferExpiring { offer: name, expires_at, days_before });
            }
            Step::OfferExpired(offer) => tx.emit_at(at, Actor::Clock, Event::OfferExpired { offer }),
        }
    }
}

/// R26: offer mail goes to the marketing contact in their preferred language.
fn offer_mail(tx: &mut Tx<'_>, at: Timestamp, offer: crate::ids::OfferId, topic: impl FnOnce(String) -> MailTopic) {
    let state = tx.state;
    let (Some(contact), Some((_, found))) = (&state.marketing_contact, state.offer(offer)) else { return };
    tx.mail(at, Actor::Clock, vec![contact.email.clone()], &contact.language, topic(found.name.clone()));
}
