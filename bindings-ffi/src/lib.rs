//! What the Python and Kotlin bindings share, written once: the types they
//! expose (views, mail, keys, commands, outcomes, bulk assignment's rows,
//! enums) with their conversions from the core, and the host set-up that
//! opens a center by target ([`host`]).
//!
//! The types carry both faces behind features: `python` makes them pyo3
//! classes (frozen, with attributes, `==`, `hash`, `repr`) and adds the
//! exception hierarchy; `kotlin` makes them uniffi records and enums and
//! adds the Kotlin façade. The façade lives here rather than in
//! `bindings-kotlin` because uniffi makes one namespace, and one generated
//! Kotlin file, per crate: types here and a façade there would be two files
//! in the package `dev.partnerbenefits`, each declaring uniffi's runtime
//! helpers, which does not compile. `bindings-kotlin` is the cdylib that
//! JNA loads; `bindings-python` the wheel, with the Python façade.

mod assignment;
mod command;
mod enums;
mod keys;
pub mod logging;
mod mail;
mod outcome;
mod record;
mod vault;
mod views;

pub mod host;
#[cfg(feature = "kotlin")]
pub mod kotlin;
#[cfg(feature = "python")]
pub mod python;

pub use assignment::AssignmentResult;
pub use command::Command;
pub use enums::{Category, Delivery, PartnerLevel, Phase, Role, Status};
pub use keys::Keys;
pub use mail::{DispatchReport, Mail, OutboxEntry};
pub use outcome::Outcome;
pub use record::Fields;
pub use vault::{Resealed, SealedUnder, VaultStatus, batch as reseal_batch, keyring};
pub use views::{
    AuditEntry, Benefit, Cancellation, Change, KeyPool, MarketingContact, Money, Offer, Organization, Package, Request, Usage, User,
    feed_page,
};

/// A point in time, UTC: an aware `datetime` in Python, a `java.time.Instant` in Kotlin.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

// The namespace keeps the name the Kotlin binding has always had, so the
// generated file is still `partner_benefits_ffi.kt`.
#[cfg(feature = "kotlin")]
uniffi::setup_scaffolding!("partner_benefits_ffi");
