//! Software keys, cloud subscriptions, seats and technical benefits
//! (R08–R21, P1, P4).

use rust_decimal::Decimal;

use super::Tx;
use super::packages::package;
use crate::command::{KeyReveal, Outcome};
use crate::error::Error;
use crate::event::{Event, Phase};
use crate::ids::{BenefitId, RequestId, UserId};
use crate::lifecycle::Machine;
use crate::lifecycle::advisory::{AdvisoryMachine, RequestInput};
use crate::lifecycle::package::PackageState;
use crate::lifecycle::seat::{SeatInput, SeatMachine, SeatPool};
use crate::lifecycle::software::{SoftwareInput, SoftwareMachine};
use crate::lifecycle::technical::{TechnicalFact, TechnicalInput, TechnicalMachine, TechnicalState};
use crate::mail::MailTopic;
use crate::state::{Benefit, BenefitDetail, TechnicalKind};
use crate::values::{self, Code, Language, free_text, positive_amount};

/// A benefit of this organization whose package is active.
fn usable<'s>(tx: &Tx<'s>, id: BenefitId) -> Result<&'s Benefit, Error> {
    let benefit = tx.state.benefits.get(&id).ok_or_else(|| Error::not_found("benefit", id))?;
    match package(tx, benefit.package)?.state {
        PackageState::Active { .. } => Ok(benefit),
        PackageState::Expired { .. } => Err(Error::precondition(format!("package `{}` expired; renew it first", benefit.package))),
        PackageState::Cancelled { .. } => Err(Error::precondition(format!("package `{}` was cancelled", benefit.package))),
    }
}

fn wrong_kind(id: BenefitId, what: &str) -> Error {
    Error::invalid("benefit", format!("`{id}` {what}"))
}

pub(super) fn get_keys(tx: &mut Tx<'_>, id: BenefitId, language: Option<&str>, os: Option<&str>) -> Result<Outcome, Error> {
    let benefit = usable(tx, id)?;
    let reveal = match &benefit.detail {
        BenefitDetail::Software { languages, os_types, download_links, special_instructions, keys, activation } => {
            // R09, R10: both choices come from what the product offers.
            let language = Language::parse("language", language.ok_or_else(|| Error::invalid("language", "choose a display language"))?)?;
            if !languages.contains(&language) {
                let offered: Vec<_> = languages.iter().map(Language::as_str).collect();
                return Err(Error::invalid("language", format!("`{language}` is not offered; choose one of {}", offered.join(", "))));
            }
            let os = Code::parse("os", os.ok_or_else(|| Error::invalid("os", "choose an OS type"))?)?;
            if !os_types.contains(&os) {
                let offered: Vec<_> = os_types.iter().map(Code::as_str).collect();
                return Err(Error::invalid("os", format!("`{os}` is not offered; choose one of {}", offered.join(", "))));
            }
            SoftwareMachine::decide(activation, &SoftwareInput::Reveal { term_months: None }, tx.now)?;
            // R11: the links for the chosen language and OS.
            let links = download_links.iter().filter(|l| l.language == language && l.os == os).map(|l| l.url.clone()).collect();
            tx.emit(Event::KeysRevealed { benefit: id, language: Some(language), os: Some(os) });
            KeyReveal {
                benefit: id,
                product: benefit.name.to_string(),
                slots: keys.clone(),
                download_links: links,
                special_instructions: special_instructions.to_string(),
            }
        }
        BenefitDetail::CloudLicense { keys, special_instructions, activation, term_months } => {
            if language.is_some() || os.is_some() {
                return Err(Error::invalid("language", "a license-based subscription has no language or OS choice"));
            }
            // A first reveal starts the key's term (P4); the machine judges it.
            SoftwareMachine::decide(activation, &SoftwareInput::Reveal { term_months: Some(*term_months) }, tx.now)?;
            tx.emit(Event::KeysRevealed { benefit: id, language: None, os: None });
            KeyReveal {
                benefit: id,
                product: benefit.name.to_string(),
                slots: keys.clone(),
                download_links: Vec::new(),
                special_instructions: special_instructions.to_string(),
            }
        }
        _ => return Err(wrong_kind(id, "has no keys")),
    };
    Ok(Outcome::KeysRevealed { reveal })
}

/// The seats of a seat-holding benefit.
fn seats_of(benefit: &Benefit) -> Result<&SeatPool, Error> {
    match &benefit.detail {
        BenefitDetail::VisualStudio { seats, .. } => Ok(seats),
        BenefitDetail::CloudUsage { seat, .. } => Ok(seat),
        BenefitDetail::Technical { .. } => Err(wrong_kind(benefit.id, "is a technical benefit: activate it with an alternate email")),
        _ => Err(wrong_kind(benefit.id, "has no seats to assign")),
    }
}

/// Mails a new Visual Studio subscriber (R14); an Azure usage-based
/// subscription's holder assigned themself and gets none.
fn mail_subscriber(tx: &mut Tx<'_>, benefit: &Benefit, user: UserId) -> Result<(), Error> {
    if matches!(benefit.detail, BenefitDetail::VisualStudio { .. }) {
        let assignee = tx.user(user)?;
        let (now, actor, to, language) = (tx.now, tx.actor, vec![assignee.email.clone()], assignee.language.clone());
        tx.mail(now, actor, to, &language, MailTopic::SubscriptionAssigned { benefit: benefit.name.clone() });
    }
    Ok(())
}

pub(super) fn assign(tx: &mut Tx<'_>, id: BenefitId, user: UserId) -> Result<Outcome, Error> {
    let benefit = usable(tx, id)?;
    let seats = seats_of(benefit)?;
    tx.user(user)?;
    // R12: an Azure usage-based subscription is activated by the acting admin assigning themself.
    if matches!(benefit.detail, BenefitDetail::CloudUsage { .. }) && tx.actor != crate::event::Actor::User(user) {
        return Err(Error::invalid("user", "an Azure usage-based subscription is activated by assigning yourself"));
    }
    SeatMachine::decide(seats, &SeatInput::Assign { user }, tx.now)?;
    tx.emit(Event::SeatAssigned { benefit: id, user });
    mail_subscriber(tx, benefit, user)?;
    Ok(Outcome::Done)
}

pub(super) fn unassign(tx: &mut Tx<'_>, id: BenefitId, user: UserId) -> Result<Outcome, Error> {
    let benefit = usable(tx, id)?;
    let seats = seats_of(benefit).map_err(|_| wrong_kind(id, "has no seats"))?;
    tx.user(user)?;
    // R16: removing a user who holds no seat is an illegal step of the seat machine.
    SeatMachine::decide(seats, &SeatInput::Release { user }, tx.now)?;
    tx.emit(Event::SeatReleased { benefit: id, user });
    Ok(Outcome::Done)
}

pub(super) fn reassign(tx: &mut Tx<'_>, id: BenefitId, from: UserId, to: UserId) -> Result<Outcome, Error> {
    let benefit = usable(tx, id)?;
    let BenefitDetail::VisualStudio { seats, .. } = &benefit.detail else {
        return Err(wrong_kind(id, "is not a Visual Studio subscription"));
    };
    tx.user(to)?;
    tx.user(from)?;
    // R16: remove, then assign, each judged by the seat machine; the second
    // on the pool as the first leaves it.
    let (released, _) = crate::lifecycle::transition::<SeatMachine>(seats, &SeatInput::Release { user: from }, tx.now)?;
    SeatMachine::decide(&released, &SeatInput::Assign { user: to }, tx.now)?;
    tx.emit(Event::SeatReleased { benefit: id, user: from });
    tx.emit(Event::SeatAssigned { benefit: id, user: to });
    mail_subscriber(tx, benefit, to)?;
    Ok(Outcome::Done)
}

/// Releases every seat and technical activation `user` holds, in any
/// package; returns what was released, for the admins' mail.
pub(super) fn release_everything_of(tx: &mut Tx<'_>, user: UserId) -> Result<Vec<String>, Error> {
    let mut released = Vec::new();
    for benefit in tx.state.benefits.values() {
        let event = match &benefit.detail {
            BenefitDetail::VisualStudio { seats: pool, .. } | BenefitDetail::CloudUsage { seat: pool, .. } => {
                if !pool.holders.contains_key(&user) {
                    continue;
                }
                SeatMachine::decide(pool, &SeatInput::Release { user }, tx.now)?;
                Event::SeatReleased { benefit: benefit.id, user }
            }
            BenefitDetail::Technical { activation, .. } => {
                if !matches!(activation, TechnicalState::Pending { user: held, .. } | TechnicalState::Active { user: held, .. } if *held == user)
                {
                    continue;
                }
                TechnicalMachine::decide(activation, &TechnicalInput::Release { user }, tx.now)?;
                Event::TechnicalReleased { benefit: benefit.id, user }
            }
            _ => continue,
        };
        tx.emit(event);
        released.push(format!("{} ({})", benefit.name, benefit.id));
    }
    Ok(released)
}

pub(super) fn activate_technical(tx: &mut Tx<'_>, id: BenefitId, user: UserId, alternate_email: &str) -> Result<Outcome, Error> {
    let benefit = usable(tx, id)?;
    let BenefitDetail::Technical { activation, .. } = &benefit.detail else {
        return Err(wrong_kind(id, "is not a technical benefit"));
    };
    let assignee = tx.user(user)?;
    let alternate_email = values::alternate_email("alternate_email", alternate_email, &tx.state.account_email)?;
    let input =
        TechnicalInput::Assign { user, alternate_email: alternate_email.clone(), lead_days: tx.catalog.technical_activation_lead_days };
    let TechnicalFact::Assigned { active_at, .. } = TechnicalMachine::decide(activation, &input, tx.now)? else {
        return Err(Error::storage("technical assignment did not assign"));
    };
    let (now, actor, language) = (tx.now, tx.actor, assignee.language.clone());
    tx.emit(Event::TechnicalAssigned { benefit: id, user, alternate_email: alternate_email.clone(), active_at });
    // R19: to the alternate address and the user's own account email.
    let to = vec![alternate_email, assignee.email.clone()];
    tx.mail(now, actor, to, &language, MailTopic::TechnicalActivationPending { benefit: benefit.name.clone(), active_at });
    Ok(Outcome::Done)
}

pub(super) fn request_assistance(
    tx: &mut Tx<'_>,
    id: BenefitId,
    phase: Phase,
    amount: Decimal,
    description: &str,
) -> Result<Outcome, Error> {
    let benefit = usable(tx, id)?;
    let BenefitDetail::Technical { kind, balance, activation, .. } = &benefit.detail else {
        return Err(wrong_kind(id, "is not a technical benefit"));
    };
    let amount = positive_amount("amount", amount)?;
    if *kind == TechnicalKind::SupportIncidents && amount.fract() != Decimal::ZERO {
        return Err(Error::invalid("amount", "support incidents are drawn in whole numbers"));
    }
    let description = free_text("description", description)?;
    if !matches!(activation, TechnicalState::Active { .. }) {
        return Err(Error::precondition(format!("`{id}` is not active yet; activate it and wait for the activation to complete")));
    }
    if *balance < amount {
        return Err(Error::InsufficientBalance { requested: amount, available: *balance });
    }
    let requester = tx.acting_user()?;
    let request = tx.next_request();
    let (now, actor, language) = (tx.now, tx.actor, requester.language.clone());
    tx.emit(Event::AssistanceRequested { request, benefit: id, phase, amount, description });
    let topic = MailTopic::AssistanceRequested { benefit: benefit.name.clone(), phase: phase.as_str().to_string(), amount };
    tx.mail(now, actor, vec![requester.email.clone()], &language, topic);
    Ok(Outcome::RequestSubmitted { request })
}

pub(super) fn withdraw_request(tx: &mut Tx<'_>, id: RequestId) -> Result<Outcome, Error> {
    let request = tx.state.requests.get(&id).ok_or_else(|| Error::not_found("request", id))?;
    AdvisoryMachine::decide(&request.state, &RequestInput::Withdraw, tx.now)?;
    tx.emit(Event::AssistanceWithdrawn { request: id });
    Ok(Outcome::Done)
}
