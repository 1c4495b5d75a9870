//! Go-To-Market: the marketing contact and offers (R22–R28).

use super::Tx;
use crate::command::Outcome;
use crate::error::Error;
use crate::event::{Event, MarketingContact};
use crate::ids::{OfferId, UserId};
use crate::lifecycle::Machine;
use crate::lifecycle::offer::{OfferFact, OfferInput, OfferMachine};
use crate::lifecycle::package::PackageState;
use crate::mail::MailTopic;
use crate::state::{Offer, OrganizationState};
use crate::values::{Language, Phone, alternate_email};

pub(super) fn set_contact(tx: &mut Tx<'_>, user: UserId, email: &str, phone: &str, language: &str) -> Result<Outcome, Error> {
    tx.user(user)?;
    let email = alternate_email("email", email, &tx.state.account_email)?;
    let contact = MarketingContact { user, email, phone: Phone::parse(phone)?, language: Language::parse("language", language)? };
    tx.emit(Event::MarketingContactSet { contact });
    Ok(Outcome::Done)
}

/// Why the organization may not activate `offer`, if it may not (R23).
pub fn unavailable_reason(state: &OrganizationState, offer: &Offer) -> Option<String> {
    if state.level < offer.min_level {
        return Some(format!("`{}` needs partner level {}", offer.name, offer.min_level.as_str()));
    }
    if !offer.competencies.is_empty() && !offer.competencies.iter().any(|c| state.competencies.contains(c)) {
        let names: Vec<_> = offer.competencies.iter().map(|c| c.as_str()).collect();
        return Some(format!("`{}` needs one of the competencies {}", offer.name, names.join(", ")));
    }
    None
}

pub(super) fn activate(tx: &mut Tx<'_>, id: OfferId) -> Result<Outcome, Error> {
    let (benefit, found) = tx.state.offer(id).ok_or_else(|| Error::not_found("offer", id))?;
    // R24: no offer before a marketing contact.
    let contact = tx
        .state
        .marketing_contact
        .clone()
        .ok_or_else(|| Error::precondition("assign a company marketing contact before activating an offer"))?;
    if let Some(reason) = unavailable_reason(tx.state, found) {
        return Err(Error::precondition(reason));
    }
    let package = tx.state.packages.get(&benefit.package).ok_or_else(|| Error::not_found("package", benefit.package))?;
    if !matches!(package.state, PackageState::Active { .. }) {
        return Err(Error::precondition(format!("package `{}` is not active", benefit.package)));
    }
    let input = OfferInput::Activate { lead_days: found.activation_lead_days, duration_days: found.duration_days };
    let OfferFact::Activated { active_at, .. } = OfferMachine::decide(&found.state, &input, tx.now)? else {
        return Err(Error::storage("offer activation did not activate"));
    };
    let (now, actor) = (tx.now, tx.actor);
    tx.emit(Event::OfferActivated { offer: id, active_at });
    // R26: instructions go to the marketing contact, in their language.
    tx.mail(
        now,
        actor,
        vec![contact.email.clone()],
        &contact.language,
        MailTopic::OfferActivationPending { offer: found.name.clone(), active_at },
    );
    Ok(Outcome::OfferActivated { offer: id, active_at })
}
