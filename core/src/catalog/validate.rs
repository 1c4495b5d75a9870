//! Checks a parsed catalog for what its types cannot express.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use super::{BenefitKind, CATALOG_SCHEMA_VERSION, Catalog};
use crate::error::Error;
use crate::values::Language;

fn bad(field: String, reason: &str) -> Error {
    Error::InvalidCatalog { field, reason: reason.to_string() }
}

/// Longest span, in days, a catalog may name; keeps every date the library
/// computes inside the calendar it can represent.
pub const MAX_CATALOG_DAYS: u32 = 36_500;

fn days(field: impl FnOnce() -> String, value: u32) -> Result<(), Error> {
    if value > MAX_CATALOG_DAYS {
        return Err(bad(field(), "at most 36500 days (100 years)"));
    }
    Ok(())
}

fn all_days(field: &dyn Fn(usize) -> String, values: &[u32]) -> Result<(), Error> {
    values.iter().enumerate().try_for_each(|(i, value)| days(|| field(i), *value))
}

impl Catalog {
    /// Refuses duplicate codes, empty allocations and links that name a
    /// language or OS the product does not offer.
    pub fn validate(&self) -> Result<(), Error> {
        if self.schema_version != CATALOG_SCHEMA_VERSION {
            return Err(bad("schema_version".into(), "this library reads schema version 1"));
        }
        days(|| "technical_activation_lead_days".into(), self.technical_activation_lead_days)?;
        let mut package_codes = BTreeSet::new();
        for (p, package) in self.packages.iter().enumerate() {
            let at = |rest: &str| format!("packages[{p}].{rest}");
            if !package_codes.insert(&package.code) {
                return Err(bad(at("code"), "duplicate package code"));
            }
            if package.name.trim().is_empty() {
                return Err(bad(at("name"), "a name is required"));
            }
            if package.price.amount < Decimal::ZERO {
                return Err(bad(at("price.amount"), "a price cannot be negative"));
            }
            if package.term_months == 0 || package.term_months > 120 {
                return Err(bad(at("term_months"), "a term is 1 to 120 months"));
            }
            days(|| at("renewal_window_days"), package.renewal_window_days)?;
            days(|| at("renewal_grace_days"), package.renewal_grace_days)?;
            days(|| at("refund_window_days"), package.refund_window_days)?;
            all_days(&|i| at(&format!("reminder_days[{i}]")), &package.reminder_days)?;
            let mut benefit_codes = BTreeSet::new();
            for (b, benefit) in package.benefits.iter().enumerate() {
                let at = |rest: &str| format!("packages[{p}].benefits[{b}].{rest}");
                if !benefit_codes.insert(&benefit.code) {
                    return Err(bad(at("code"), "duplicate benefit code in this package"));
                }
                validate_kind(&benefit.kind, &at)?;
            }
        }
        Ok(())
    }
}

fn validate_kind(kind: &BenefitKind, at: &dyn Fn(&str) -> String) -> Result<(), Error> {
    match kind {
        BenefitKind::Software { languages, os_types, keys, download_links, .. } => {
            if languages.is_empty() {
                return Err(bad(at("kind.software.languages"), "at least one language"));
            }
            // The document was read as stored data is; a host's catalog is new input.
            if let Some(l) = languages.iter().position(|language| Language::parse("language", language.as_str()).is_err()) {
                return Err(bad(at(&format!("kind.software.languages[{l}]")), "not a language tag (BCP 47)"));
            }
            if os_types.is_empty() {
                return Err(bad(at("kind.software.os_types"), "at least one OS type"));
            }
            if *keys == 0 {
                return Err(bad(at("kind.software.keys"), "at least one key"));
            }
            for (l, link) in download_links.iter().enumerate() {
                if !languages.contains(&link.language) {
                    return Err(bad(at(&format!("kind.software.download_links[{l}].language")), "not one of the product's languages"));
                }
                if !os_types.contains(&link.os) {
                    return Err(bad(at(&format!("kind.software.download_links[{l}].os")), "not one of the product's OS types"));
                }
                if !link.url.starts_with("https://") {
                    return Err(bad(at(&format!("kind.software.download_links[{l}].url")), "a download link starts with https://"));
                }
            }
        }
        BenefitKind::CloudUsage { monthly_credit } if monthly_credit.amount < Decimal::ZERO => {
            return Err(bad(at("kind.cloud_usage.monthly_credit.amount"), "a credit cannot be negative"));
        }
        BenefitKind::CloudLicense { keys, term_months, .. } => {
            if *keys == 0 {
                return Err(bad(at("kind.cloud_license.keys"), "at least one key"));
            }
            if *term_months == 0 {
                return Err(bad(at("kind.cloud_license.term_months"), "a term of at least one month"));
            }
        }
        BenefitKind::VisualStudio { seats: 0, .. } => return Err(bad(at("kind.visual_studio.seats"), "at least one seat")),
        BenefitKind::SupportIncidents { incidents: 0 } => return Err(bad(at("kind.support_incidents.incidents"), "at least one incident")),
        BenefitKind::AdvisoryHours { hours } | BenefitKind::PresalesDeployment { hours } if *hours <= Decimal::ZERO => {
            return Err(bad(at("kind.hours"), "hours must be greater than zero"));
        }
        BenefitKind::GoToMarket { offers } => {
            let mut codes = BTreeSet::new();
            for (o, offer) in offers.iter().enumerate() {
                if !codes.insert(&offer.code) {
                    return Err(bad(at(&format!("kind.go_to_market.offers[{o}].code")), "duplicate offer code"));
                }
                if offer.duration_days == 0 {
                    return Err(bad(at(&format!("kind.go_to_market.offers[{o}].duration_days")), "an offer runs at least one day"));
                }
                let field = |rest: &str| at(&format!("kind.go_to_market.offers[{o}].{rest}"));
                days(|| field("activation_lead_days"), offer.activation_lead_days)?;
                days(|| field("duration_days"), offer.duration_days)?;
                all_days(&|i| field(&format!("reminder_days[{i}]")), &offer.reminder_days)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_counts_beyond_a_hundred_years_are_refused() {
        let builtin: serde_json::Value = serde_json::from_str(include_str!("mpn.json")).unwrap();
        let offers = "/packages/0/benefits/6/kind/go_to_market/offers/0";
        for (pointer, field) in [
            ("/technical_activation_lead_days", "technical_activation_lead_days".to_string()),
            ("/packages/0/renewal_window_days", "packages[0].renewal_window_days".to_string()),
            ("/packages/0/renewal_grace_days", "packages[0].renewal_grace_days".to_string()),
            ("/packages/0/reminder_days/1", "packages[0].reminder_days[1]".to_string()),
            (&format!("{offers}/activation_lead_days"), "packages[0].benefits[6].kind.go_to_market.offers[0].activation_lead_days".into()),
            (&format!("{offers}/duration_days"), "packages[0].benefits[6].kind.go_to_market.offers[0].duration_days".into()),
            (&format!("{offers}/reminder_days/0"), "packages[0].benefits[6].kind.go_to_market.offers[0].reminder_days[0]".into()),
        ] {
            let mut value = builtin.clone();
            *value.pointer_mut(pointer).unwrap() = serde_json::json!(MAX_CATALOG_DAYS + 1);
            match Catalog::from_json(&value.to_string()).unwrap_err() {
                Error::InvalidCatalog { field: got, .. } => assert_eq!(got, field),
                other => panic!("unexpected {other:?}"),
            }
            *value.pointer_mut(pointer).unwrap() = serde_json::json!(MAX_CATALOG_DAYS);
            Catalog::from_json(&value.to_string()).unwrap();
        }
    }

    #[test]
    fn a_catalog_language_is_a_bcp_47_tag() {
        let builtin: serde_json::Value = serde_json::from_str(include_str!("mpn.json")).unwrap();
        let (p, b) = (0..3)
            .flat_map(|p| (0..12).map(move |b| (p, b)))
            .find(|(p, b)| builtin.pointer(&format!("/packages/{p}/benefits/{b}/kind/software/languages")).is_some())
            .unwrap();
        let pointer = format!("/packages/{p}/benefits/{b}/kind/software/languages");
        for (tag, ok) in [("pt-BR", true), ("sr-Latn-RS", true), ("en-", false), ("e1", false), ("zh-a", false)] {
            let mut value = builtin.clone();
            value.pointer_mut(&pointer).unwrap().as_array_mut().unwrap().push(serde_json::json!(tag));
            match Catalog::from_json(&value.to_string()) {
                Ok(_) => assert!(ok, "{tag} was accepted"),
                Err(Error::InvalidCatalog { field, .. }) => {
                    assert!(!ok, "{tag} was refused");
                    let index = value.pointer(&pointer).unwrap().as_array().unwrap().len() - 1;
                    assert_eq!(field, format!("packages[{p}].benefits[{b}].kind.software.languages[{index}]"));
                }
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
    }
}
