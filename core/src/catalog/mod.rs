//! The catalog: package templates and the benefits each contains, as data
//! (R06, P5). A host may load its own; the built-in one models MPN.

mod validate;

use std::sync::Arc;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::values::{Code, Language, Money, PartnerLevel};

/// The schema version this library reads.
pub const CATALOG_SCHEMA_VERSION: u32 = 1;

/// A program's whole offering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Must equal [`CATALOG_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Days a technical benefit pends between assignment and activation (R20).
    pub technical_activation_lead_days: u32,
    /// The packages a partner can buy.
    pub packages: Vec<PackageTemplate>,
}

/// A package a partner can buy (R06, R31).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageTemplate {
    /// Stable code used to purchase it, e.g. `action-pack`.
    pub code: Code,
    /// Display name.
    pub name: Arc<str>,
    /// The lowest partner level allowed to buy it.
    pub required_level: PartnerLevel,
    /// Price of one term.
    pub price: Money,
    /// Length of one term in calendar months.
    pub term_months: u32,
    /// Renewal opens this many days before expiry (P2).
    pub renewal_window_days: u32,
    /// Renewal stays open this many days after expiry (P2).
    pub renewal_grace_days: u32,
    /// Reminders are mailed this many days before expiry, once each (P3).
    pub reminder_days: Vec<u32>,
    /// A cancellation is refunded only when asked within this many days of
    /// the purchase (R29); the program's 30 when the catalog names none.
    // Left out when it is the program's: a template recorded in a purchase
    // before the field existed reads back (and shows in the audit log) as it was.
    #[serde(default = "default_refund_window_days", skip_serializing_if = "is_default_refund_window")]
    pub refund_window_days: u32,
    /// What the package holds.
    pub benefits: Vec<BenefitTemplate>,
}

fn default_refund_window_days() -> u32 {
    crate::refund::REFUND_WINDOW_DAYS
}

fn is_default_refund_window(days: &u32) -> bool {
    *days == crate::refund::REFUND_WINDOW_DAYS
}

/// One benefit of a package template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BenefitTemplate {
    /// Stable code, unique inside its package.
    pub code: Code,
    /// Display name.
    pub name: Arc<str>,
    /// What kind of benefit it is, with its allocation.
    pub kind: BenefitKind,
}

/// The kinds of benefit and their allocations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum BenefitKind {
    /// Licensed software with keys from a pool (R08–R11).
    Software {
        /// Key pool (and product) code.
        product: Code,
        /// Display languages offered (R09).
        languages: Arc<[Language]>,
        /// OS types offered (R10).
        os_types: Arc<[Code]>,
        /// Keys allocated to each purchased package.
        keys: u32,
        /// Installation packages per language and OS (R11).
        download_links: Arc<[DownloadLink]>,
        /// Instructions shown with the keys (R08).
        special_instructions: Arc<str>,
    },
    /// An Azure usage-based subscription, activated by the admin assigning themself (R12).
    CloudUsage {
        /// Monthly credit (P6).
        monthly_credit: Money,
    },
    /// A license-based cloud subscription, activated by getting its keys (R13, P4).
    CloudLicense {
        /// Key pool (and product) code.
        product: Code,
        /// Keys allocated to each purchased package.
        keys: u32,
        /// Months a redeemed key runs (P4).
        term_months: u32,
        /// Instructions shown with the keys.
        special_instructions: Arc<str>,
    },
    /// Visual Studio subscriptions: a pool of seats (R14–R16).
    VisualStudio {
        /// Subscription level, e.g. `Enterprise`.
        edition: Arc<str>,
        /// Number of subscriptions (P5).
        seats: u32,
    },
    /// Product support incidents (R17).
    SupportIncidents {
        /// Incidents allocated.
        incidents: u32,
    },
    /// Partner advisory hours (R17, R21, P5).
    AdvisoryHours {
        /// Hours allocated.
        hours: Decimal,
    },
    /// Technical presales and deployment services (R17, R21).
    PresalesDeployment {
        /// Hours allocated.
        hours: Decimal,
    },
    /// Go-To-Market offers listed under this benefit (R23, R27).
    GoToMarket {
        /// The offer types.
        offers: Vec<OfferTemplate>,
    },
}

/// An installation package link for one language and OS (R11).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DownloadLink {
    /// Display language.
    pub language: Language,
    /// OS type.
    pub os: Code,
    /// Where to download it (`https://`).
    pub url: String,
}

/// A Go-To-Market offer type, e.g. Silver Core (R27).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferTemplate {
    /// Stable code.
    pub code: Code,
    /// Display name, e.g. `Silver Core`.
    pub name: Arc<str>,
    /// Lowest partner level that may activate it (R23).
    pub min_level: PartnerLevel,
    /// Competencies of which the organization needs at least one; empty means none (R23).
    pub competencies: Arc<[Code]>,
    /// Days between activation and Active (R28).
    pub activation_lead_days: u32,
    /// Days an active offer runs before it expires (R28).
    pub duration_days: u32,
    /// Reminders are mailed this many days before the offer expires (P3).
    pub reminder_days: Arc<[u32]>,
}

impl Catalog {
    /// Parses and validates a catalog document; errors name the field at fault.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let catalog: Catalog = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
            let path = err.path().to_string();
            Error::InvalidCatalog { field: if path == "." { "(document)".into() } else { path }, reason: err.into_inner().to_string() }
        })?;
        catalog.validate()?;
        Ok(catalog)
    }

    /// The built-in MPN catalog: Action Pack, Silver and Gold packages.
    pub fn builtin() -> Result<Self, Error> {
        Self::from_json(include_str!("mpn.json"))
    }

    /// The catalog as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The JSON Schema of catalog documents (committed under `schema/`).
    pub fn json_schema() -> String {
        let schema = schemars::schema_for!(Catalog);
        serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
    }

    /// The package template with this code.
    pub fn package(&self, code: &Code) -> Result<&PackageTemplate, Error> {
        self.packages.iter().find(|p| &p.code == code).ok_or_else(|| Error::not_found("package template", code))
    }
}

impl BenefitKind {
    /// The category the benefit is listed under (R07).
    pub fn category(&self) -> crate::Category {
        use crate::Category as C;
        match self {
            Self::Software { .. } => C::Software,
            Self::CloudUsage { .. } | Self::CloudLicense { .. } => C::Cloud,
            Self::VisualStudio { .. } => C::VisualStudio,
            Self::SupportIncidents { .. } | Self::AdvisoryHours { .. } | Self::PresalesDeployment { .. } => C::Technical,
            Self::GoToMarket { .. } => C::GoToMarket,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_is_valid_and_models_p5_allocations() {
        let catalog = Catalog::builtin().unwrap();
        let seats = |code: &str| {
            let package = catalog.package(&Code::parse("c", code).unwrap()).unwrap();
            package
                .benefits
                .iter()
                .find_map(|b| match b.kind {
                    BenefitKind::VisualStudio { seats, .. } => Some(seats),
                    _ => None,
                })
                .unwrap()
        };
        let hours = |code: &str| {
            let package = catalog.package(&Code::parse("c", code).unwrap()).unwrap();
            package
                .benefits
                .iter()
                .find_map(|b| match b.kind {
                    BenefitKind::AdvisoryHours { hours } => Some(hours),
                    _ => None,
                })
                .unwrap()
        };
        // P5: Visual Studio 3 / 5 / 10, advisory hours 5 / 20 / 50.
        assert_eq!((seats("action-pack"), seats("silver-core"), seats("gold-core")), (3, 5, 10));
        assert_eq!(
            (hours("action-pack"), hours("silver-core"), hours("gold-core")),
            (Decimal::from(5), Decimal::from(20), Decimal::from(50))
        );
    }

    #[test]
    fn schema_file_is_up_to_date() {
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/catalog.schema.json"), Catalog::json_schema()).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/catalog.schema.json")).unwrap_or_default();
        assert_eq!(committed, Catalog::json_schema(), "run `UPDATE_SCHEMA=1 cargo test -p partner-benefits schema` and commit schema/");
    }

    #[test]
    fn malformed_catalog_names_the_field() {
        let mut value: serde_json::Value = serde_json::from_str(include_str!("mpn.json")).unwrap();
        value["packages"][0]["benefits"][3]["kind"]["visual_studio"]["seats"] = serde_json::json!("many");
        let err = Catalog::from_json(&value.to_string()).unwrap_err();
        match err {
            Error::InvalidCatalog { field, .. } => assert_eq!(field, "packages[0].benefits[3].kind.visual_studio.seats"),
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// Serde for a shared template (`Arc<PackageTemplate>`), written exactly as
/// the template itself, so events and snapshots keep their format.
pub(crate) mod shared_template {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::PackageTemplate;

    pub fn serialize<S: Serializer>(template: &Arc<PackageTemplate>, serializer: S) -> Result<S::Ok, S::Error> {
        template.as_ref().serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Arc<PackageTemplate>, D::Error> {
        PackageTemplate::deserialize(deserializer).map(Arc::new)
    }
}
