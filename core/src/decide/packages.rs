//! Purchase, renewal and cancellation (R02, R29–R31, P1, P2, B7).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Tx;
use crate::catalog::BenefitKind;
use crate::command::Outcome;
use crate::error::{Error, RefundRefusal};
use crate::event::{CancellationTarget, Event, KeyAllocation, KeyClaim, KeySlots};
use crate::ids::{OfferId, PackageId};
use crate::lifecycle::offer::{OfferInput, OfferMachine};
use crate::lifecycle::package::{PackageFact, PackageInput, PackageMachine};
use crate::lifecycle::{Machine, add_months};
use crate::mail::MailTopic;
use crate::state::Package;
use crate::store::{Claim, ClaimSlots, KeyHolder, keys_ran_out};
use crate::values::{Code, Money};

pub(super) fn package<'s>(tx: &Tx<'s>, id: PackageId) -> Result<&'s Package, Error> {
    tx.state.packages.get(&id).ok_or_else(|| Error::not_found("package", id))
}

pub(super) fn purchase(tx: &mut Tx<'_>, template: &str, free: &BTreeMap<Code, u64>) -> Result<Outcome, Error> {
    let code = Code::parse("template", template)?;
    let template = tx.catalog.package(&code)?;
    if tx.state.level < template.required_level {
        return Err(Error::precondition(format!(
            "`{code}` needs partner level {}; the organization is {}",
            template.required_level.as_str(),
            tx.state.level.as_str()
        )));
    }
    // B7: every keyed benefit's keys are claimed in the purchase's commit; a
    // pool without enough free keys refuses the whole purchase here, and
    // the store refuses the commit if another writer took them since.
    let package = PackageId::new(tx.org(), tx.next_package_seq());
    let mut taken: BTreeMap<&Code, u64> = BTreeMap::new();
    let mut keys = Vec::new();
    for (index, benefit) in template.benefits.iter().enumerate() {
        let (product, count) = match &benefit.kind {
            BenefitKind::Software { product, keys, .. } | BenefitKind::CloudLicense { product, keys, .. } => (product, *keys),
            _ => continue,
        };
        let left = free.get(product).copied().unwrap_or(0);
        let already = taken.entry(product).or_insert(0);
        if left < *already + u64::from(count) {
            return Err(keys_ran_out(product, left.saturating_sub(*already), count));
        }
        *already += u64::from(count);
        let benefit_index = u32::try_from(index).map_err(|_| Error::invalid("template", "too many benefits"))?;
        let claim = KeyClaim { package, benefit_index };
        keys.push(KeyAllocation { benefit_index, slots: KeySlots::Claimed { product: product.clone(), claim, count } });
        tx.claims.push(Claim { product: product.clone(), holder: KeyHolder::Benefit(claim), slots: ClaimSlots::Free(count) });
    }
    let expires_at = add_months(tx.now, template.term_months)?;
    // The catalog's shared copy when there is one: a template is kilobytes.
    let template = match tx.templates.iter().find(|shared| shared.code == code) {
        Some(shared) => std::sync::Arc::clone(shared),
        None => std::sync::Arc::new(template.clone()),
    };
    tx.emit(Event::PackagePurchased { package, template, expires_at, keys });
    Ok(Outcome::PackagePurchased { package })
}

pub(super) fn renew(tx: &mut Tx<'_>, id: PackageId) -> Result<Outcome, Error> {
    let found = package(tx, id)?;
    let t = &found.template;
    let input = PackageInput::Renew { window_days: t.renewal_window_days, grace_days: t.renewal_grace_days, term_months: t.term_months };
    let PackageFact::Renewed { expires_at } = PackageMachine::decide(&found.state, &input, tx.now)? else {
        return Err(Error::storage("renewal did not renew the package"));
    };
    tx.emit(Event::PackageRenewed { package: id, expires_at });
    Ok(Outcome::PackageRenewed { package: id, expires_at })
}

/// Records a cancellation service request and its answer (R30); the refusal
/// is recorded too, and reported as `CancellationRefused`.
fn answer(tx: &mut Tx<'_>, target: CancellationTarget, name: Arc<str>, result: Result<Money, RefundRefusal>) -> Result<Outcome, Error> {
    let request = tx.next_request();
    tx.emit(Event::CancellationRequested { request, target });
    let actor = tx.acting_user()?;
    let (to, language) = (vec![actor.email.clone()], actor.language.clone());
    let (outcome, topic) = match result {
        Ok(refund) => {
            let detail = format!("refund {refund}");
            tx.emit(Event::CancellationGranted { request, refund: refund.clone() });
            (Outcome::CancellationGranted { request, refund }, MailTopic::CancellationAnswered { target: name, granted: true, detail })
        }
        Err(reason) => {
            tx.emit(Event::CancellationRefused { request, reason });
            (
                Outcome::CancellationRefused { request, reason },
                MailTopic::CancellationAnswered { target: name, granted: false, detail: reason.to_string() },
            )
        }
    };
    let (now, actor) = (tx.now, tx.actor);
    tx.mail(now, actor, to, &language, topic);
    Ok(outcome)
}

/// The machine's answer to a cancellation: granted (`Ok`), refused with a
/// reason that is recorded as the request's answer (R30), or an error of
/// the input (an offer not running at all) that records nothing.
fn judged<F>(decided: Result<F, Error>) -> Result<Result<(), RefundRefusal>, Error> {
    match decided {
        Ok(_) => Ok(Ok(())),
        Err(Error::RefundNotAllowed { reason }) => Ok(Err(reason)),
        Err(other) => Err(other),
    }
}

pub(super) fn cancel_package(tx: &mut Tx<'_>, id: PackageId) -> Result<Outcome, Error> {
    let found = package(tx, id)?;
    let input = PackageInput::Cancel(found.refund_terms(tx.state));
    let result = judged(PackageMachine::decide(&found.state, &input, tx.now))?.map(|()| found.template.price.clone());
    answer(tx, CancellationTarget::Package(id), found.template.name.clone(), result)
}

pub(super) fn cancel_offer(tx: &mut Tx<'_>, id: OfferId) -> Result<Outcome, Error> {
    let (benefit, found) = tx.state.offer(id).ok_or_else(|| Error::not_found("offer", id))?;
    let owner = package(tx, benefit.package)?;
    // R29 applies to offers too, on the terms of the package they came with;
    // an offer is part of the package's price, so nothing is paid back for it.
    let input = OfferInput::Cancel(owner.refund_terms(tx.state));
    let result = judged(OfferMachine::decide(&found.state, &input, tx.now))?.map(|()| Money::zero(owner.template.price.currency.clone()));
    answer(tx, CancellationTarget::Offer(id), found.name.clone(), result)
}
