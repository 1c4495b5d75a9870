//! The clock's part: what fell due between the last event and now
//! (activations after their lead time, expiries, reminders). Each due step
//! is recorded at the moment it fell due, exact to the second (B8).
//!
//! Nothing here works out when a step is due: each lifecycle says so from
//! its own state (`next_due`), and each step is taken by the machine's own
//! transition, so a walk follows what one step makes due (an offer's
//! activation starts its reminders and its expiry). The earliest moment
//! anything falls due, the fold's bound that lets the catch-up skip, is
//! the first step of those same walks.

use std::borrow::Cow;

use super::Tx;
use crate::event::{Actor, Event};
use crate::ids::{BenefitId, OfferId, PackageId};
use crate::lifecycle::offer::{OfferFact, OfferInput, OfferMachine, OfferState};
use crate::lifecycle::package::{PackageInput, PackageMachine, PackageState};
use crate::lifecycle::reminder::{ReminderInput, ReminderMachine, ReminderPlan, RemindersSent};
use crate::lifecycle::software::SoftwareMachine;
use crate::lifecycle::technical::{TechnicalMachine, TechnicalState};
use crate::lifecycle::{Machine, Timestamp, apply, calendar_start, transition};
use crate::mail::MailTopic;
use crate::state::{Benefit, BenefitDetail, Offer, OrganizationState, Package};

/// A time-driven step of one lifecycle.
#[derive(Debug, Clone)]
enum Step {
    PackageReminder { package: PackageId, days_before: u32, expires_at: Timestamp },
    PackageExpired { package: PackageId },
    TechnicalActive { benefit: BenefitId },
    LicenseExpired { benefit: BenefitId },
    OfferActive { offer: OfferId, expires_at: Timestamp },
    OfferReminder { offer: OfferId, days_before: u32, expires_at: Timestamp },
    OfferExpired { offer: OfferId },
}

// Order of steps falling due at the same moment.
const REMINDER: u8 = 0;
const ACTIVATION: u8 = 1;
const EXPIRY: u8 = 2;

/// A step with the moment it falls due and its order at that moment.
type Due = (Timestamp, u8, Step);

/// Adds to `tx` every step due at `tx.now`, in time order.
pub(crate) fn collect_due(tx: &mut Tx<'_>) {
    let state = tx.state;
    let now = tx.now;
    // The fold keeps the earliest moment anything can fall due: before it,
    // the walks below would find nothing, and they ran on every command and
    // query (17 % of the mixed workload's instructions).
    if state.next_due.is_some_and(|next| now < next) {
        return;
    }
    let mut due = Vec::new();
    for package in state.packages.values() {
        package_steps(package, now, &mut due);
    }
    for benefit in state.benefits.values() {
        benefit_steps(benefit, now, &mut due);
    }
    due.sort_by_key(|(at, order, _)| (*at, *order));
    for (at, _, step) in due {
        record(tx, at, step);
    }
}

/// The earliest moment at which [`collect_due`] would find a step due
/// (`Timestamp::MAX_UTC` when nothing is scheduled): the first step each
/// walk would take, as seen from the start of the calendar (so that every
/// reminder still lies ahead). It runs in the fold after every event that
/// moves a due step, so it asks the same `next` functions as the walks
/// without walking.
pub(crate) fn earliest_due(state: &OrganizationState) -> Timestamp {
    let packages = state.packages.values().map(package_earliest_due);
    let benefits = state.benefits.values().map(benefit_earliest_due);
    packages.chain(benefits).min().unwrap_or(Timestamp::MAX_UTC)
}

/// The earliest due step of one package itself (reminders, expiry).
pub(crate) fn package_earliest_due(package: &Package) -> Timestamp {
    package_next(package, &package.state, &package.reminders_sent, calendar_start()).map_or(Timestamp::MAX_UTC, |(at, _)| at)
}

fn benefit_earliest_due(benefit: &Benefit) -> Timestamp {
    if benefit.cancelled_at.is_some() {
        return Timestamp::MAX_UTC;
    }
    let first = match &benefit.detail {
        BenefitDetail::Technical { activation, .. } => activation.next_due().map(|(at, _)| at),
        BenefitDetail::CloudLicense { activation, .. } => activation.next_due().map(|(at, _)| at),
        BenefitDetail::GoToMarket { offers } => offers
            .iter()
            .filter_map(|offer| offer_next(offer, &offer.state, &offer.reminders_sent, calendar_start()).map(|(at, _)| at))
            .min(),
        _ => None,
    };
    first.unwrap_or(Timestamp::MAX_UTC)
}

/// A lifecycle's next step: one of its term's reminders, or its own input.
enum Next<I> {
    Reminder(ReminderInput),
    Own(I),
}

/// The earlier of a reminder and a lifecycle's own step (by moment, then order).
fn earlier<I>(reminder: Option<(Timestamp, ReminderInput)>, own: Option<(Timestamp, u8, I)>) -> Option<(Timestamp, Next<I>)> {
    match (reminder, own) {
        (Some((at, reminder)), Some((own_at, order, _))) if (at, REMINDER) <= (own_at, order) => Some((at, Next::Reminder(reminder))),
        (_, Some((at, _, own))) => Some((at, Next::Own(own))),
        (Some((at, reminder)), None) => Some((at, Next::Reminder(reminder))),
        (None, None) => None,
    }
}

/// A package's next step from `state` with `sent` reminders, as seen at `now`.
fn package_next(package: &Package, state: &PackageState, sent: &RemindersSent, now: Timestamp) -> Option<(Timestamp, Next<PackageInput>)> {
    let reminder = match state {
        PackageState::Active { expires_at } => {
            ReminderPlan { days: &package.template.reminder_days, term_starts: package.purchased_at, term_ends: *expires_at }
                .next_due(sent, now)
        }
        _ => None,
    };
    earlier(reminder, state.next_due().map(|(at, input)| (at, EXPIRY, input)))
}

/// An offer's next step from `state` with `sent` reminders, as seen at `now`.
fn offer_next(offer: &Offer, state: &OfferState, sent: &RemindersSent, now: Timestamp) -> Option<(Timestamp, Next<OfferInput>)> {
    let reminder = match state {
        OfferState::Active { since, expires_at } => {
            ReminderPlan { days: &offer.reminder_days, term_starts: *since, term_ends: *expires_at }.next_due(sent, now)
        }
        _ => None,
    };
    let own = state.next_due(offer.duration_days).map(|(at, input)| {
        let order = if matches!(input, OfferInput::Fulfil { .. }) { ACTIVATION } else { EXPIRY };
        (at, order, input)
    });
    earlier(reminder, own)
}

/// Takes a reminder step on the walk's copy of the reminders and names it
/// with `step` (days before, end of term); `None` when the machine refuses
/// it (the walk then ends).
fn remind_step(
    sent: &mut Cow<'_, RemindersSent>,
    input: ReminderInput,
    now: Timestamp,
    step: impl FnOnce(u32, Timestamp) -> Step,
) -> Option<(u8, Step)> {
    let ReminderInput::Remind { days_before, term_ends } = input else { return None };
    let fact = ReminderMachine::decide(sent, &input, now).ok()?;
    apply::<ReminderMachine>(sent.to_mut(), &fact).ok()?;
    Some((REMINDER, step(days_before, term_ends)))
}

/// A package's own lifecycle and its term's reminders (P3), walked together
/// through every step due at `now`, each taken by its machine.
fn package_steps(package: &Package, now: Timestamp, due: &mut Vec<Due>) {
    // The walk moves copies; the reminders are copied only when one is sent.
    let (mut state, mut sent) = (package.state.clone(), Cow::Borrowed(&package.reminders_sent));
    while let Some((at, next)) = package_next(package, &state, &sent, now)
        && at <= now
    {
        match next {
            Next::Reminder(input) => {
                let remind = |days_before, expires_at| Step::PackageReminder { package: package.id, days_before, expires_at };
                let Some((order, step)) = remind_step(&mut sent, input, now, remind) else { return };
                due.push((at, order, step));
            }
            Next::Own(input) => {
                let Ok((moved, _)) = transition::<PackageMachine>(&state, &input, now) else { return };
                state = moved;
                due.push((at, EXPIRY, Step::PackageExpired { package: package.id }));
            }
        }
    }
}

/// A benefit's time-driven steps due at `now`; none once its package was cancelled.
fn benefit_steps(benefit: &Benefit, now: Timestamp, due: &mut Vec<Due>) {
    if benefit.cancelled_at.is_some() {
        return;
    }
    match &benefit.detail {
        BenefitDetail::Technical { activation, .. } => {
            if let Some((at, input)) = activation.next_due()
                && at <= now
                && TechnicalMachine::decide(activation, &input, now).is_ok()
            {
                due.push((at, ACTIVATION, Step::TechnicalActive { benefit: benefit.id }));
            }
        }
        BenefitDetail::CloudLicense { activation, .. } => {
            if let Some((at, input)) = activation.next_due()
                && at <= now
                && SoftwareMachine::decide(activation, &input, now).is_ok()
            {
                due.push((at, EXPIRY, Step::LicenseExpired { benefit: benefit.id }));
            }
        }
        BenefitDetail::GoToMarket { offers } => {
            for offer in offers {
                offer_steps(offer, now, due);
            }
        }
        _ => {}
    }
}

/// An offer's lifecycle and its run's reminders (P3), walked together: an
/// offer can become active, be reminded of and expire within one catch-up.
fn offer_steps(offer: &Offer, now: Timestamp, due: &mut Vec<Due>) {
    let (mut state, mut sent) = (offer.state.clone(), Cow::Borrowed(&offer.reminders_sent));
    while let Some((at, next)) = offer_next(offer, &state, &sent, now)
        && at <= now
    {
        match next {
            Next::Reminder(input) => {
                let remind = |days_before, expires_at| Step::OfferReminder { offer: offer.id, days_before, expires_at };
                let Some((order, step)) = remind_step(&mut sent, input, now, remind) else { return };
                due.push((at, order, step));
            }
            Next::Own(input) => {
                let Ok((moved, fact)) = transition::<OfferMachine>(&state, &input, now) else { return };
                state = moved;
                due.push(match fact {
                    OfferFact::Fulfilled { expires_at } => (at, ACTIVATION, Step::OfferActive { offer: offer.id, expires_at }),
                    _ => (at, EXPIRY, Step::OfferExpired { offer: offer.id }),
                });
            }
        }
    }
}

/// Records one step: its event at the moment it fell due, and its mail.
fn record(tx: &mut Tx<'_>, at: Timestamp, step: Step) {
    let state = tx.state;
    match step {
        Step::PackageReminder { package, days_before, expires_at } => {
            tx.emit_at(at, Actor::Clock, Event::PackageReminderDue { package, days_before });
            let name = state.packages.get(&package).map(|p| p.template.name.clone()).unwrap_or_default();
            // Reminders go to every Global admin, each in their language.
            for admin in state.global_admins() {
                let topic = MailTopic::PackageExpiring { package: name.clone(), expires_at, days_before };
                tx.mail(at, Actor::Clock, vec![admin.email.clone()], &admin.language, topic);
            }
        }
        Step::PackageExpired { package } => tx.emit_at(at, Actor::Clock, Event::PackageExpired { package }),
        Step::TechnicalActive { benefit } => {
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
        Step::LicenseExpired { benefit } => tx.emit_at(at, Actor::Clock, Event::LicenseTermExpired { benefit }),
        Step::OfferActive { offer, expires_at } => {
            tx.emit_at(at, Actor::Clock, Event::OfferActive { offer, expires_at });
            offer_mail(tx, at, offer, |name| MailTopic::OfferActivated { offer: name, expires_at });
        }
        Step::OfferReminder { offer, days_before, expires_at } => {
            tx.emit_at(at, Actor::Clock, Event::OfferReminderDue { offer, days_before });
            offer_mail(tx, at, offer, |name| MailTopic::OfferExpiring { offer: name, expires_at, days_before });
        }
        Step::OfferExpired { offer } => tx.emit_at(at, Actor::Clock, Event::OfferExpired { offer }),
    }
}

/// R26: offer mail goes to the marketing contact in their preferred language.
fn offer_mail(tx: &mut Tx<'_>, at: Timestamp, offer: OfferId, topic: impl FnOnce(std::sync::Arc<str>) -> MailTopic) {
    let state = tx.state;
    let (Some(contact), Some((_, found))) = (&state.marketing_contact, state.offer(offer)) else { return };
    tx.mail(at, Actor::Clock, vec![contact.email.clone()], &contact.language, topic(found.name.clone()));
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    //! The earliest-due bound and the walks are the same steps: before the
    //! bound nothing falls due, at it something does, over a whole life of
    //! packages, offers, technical and license activations, reminders and
    //! expiries (this replaces a `debug_assert` that kept two copies equal).

    use std::sync::Arc;

    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::event::StreamId;
    use crate::lifecycle::Timestamp;
    use crate::secret::LicenseKey;
    use crate::{BenefitCenter, Category};

    fn due_at(center: &BenefitCenter, state: &OrganizationState, now: Timestamp) -> usize {
        let mut state = state.clone();
        // The walks alone, without the fold's bound that would skip them.
        state.next_due = crate::state::Derived(None);
        let mut tx = Tx::new(&state, center.catalog(), now, Actor::Clock);
        collect_due(&mut tx);
        tx.events.len()
    }

    #[test]
    fn nothing_falls_due_before_the_earliest_due_moment_and_something_at_it() {
        let start = crate::lifecycle::fixed_now_for_tables();
        let clock = Arc::new(ManualClock::new(start));
        let center = BenefitCenter::in_memory(clock.clone()).unwrap();
        for product in ["windows-server", "office-professional-plus", "microsoft-365-e3"] {
            let keys = (0..20).map(|i| LicenseKey::new(format!("{product}-{i}")).unwrap()).collect();
            center.program().stock_keys(product, keys).unwrap();
        }
        let org = center.create_organization("Contoso Ltd", "partners@contoso.com", "Avery Admin", "avery@contoso.com").unwrap();
        let admin = center.session(org.id, org.admin_id);
        admin.purchase_package("action-pack").unwrap();
        admin.set_marketing_contact(org.admin_id, "marketing@contoso.example", "+1 425 555 0100", "en").unwrap();
        let offer = admin.offers().unwrap().remove(0);
        admin.activate_offer(offer.id).unwrap();
        let technical = admin.benefits_in(Category::Technical).unwrap().remove(0);
        admin.activate_technical(technical.id, org.admin_id, "avery.alt@example.com").unwrap();
        clock.advance(chrono::Duration::days(40));
        let license = admin.benefits_in(Category::Cloud).unwrap().into_iter().find(|b| b.key_count > 0).unwrap();
        admin.get_license_keys(license.id).unwrap();

        let second = chrono::Duration::seconds(1);
        let mut steps = 0;
        loop {
            let events = center.store().read_events(&StreamId::Organization(org.id), 0, usize::MAX).unwrap();
            let state = OrganizationState::replay(org.id, &events).unwrap();
            let bound = earliest_due(&state);
            // The fold's own bound may be early (it then scans), never late.
            assert!(state.next_due.unwrap_or(Timestamp::MIN_UTC) <= bound, "the fold's bound is later than a due step");
            if bound == Timestamp::MAX_UTC {
                break;
            }
            assert_eq!(due_at(&center, &state, bound - second), 0, "a step fell due before {bound}");
            assert!(due_at(&center, &state, bound) > 0, "nothing fell due at {bound}");
            clock.set(bound.max(clock.now()));
            center.process_due().unwrap();
            steps += 1;
            assert!(steps < 100, "the catch-up does not move on");
        }
        // Offer activation and its run, technical activation, the license
        // term, the package's reminders and expiry: each was a step.
        assert!(steps >= 6, "{steps} steps");
    }
}
