#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod assignment;
pub mod catalog;
mod center;
mod changes;
mod claims;
pub mod clock;
pub mod command;
#[cfg(any(test, feature = "testing"))]
pub mod conformance;
mod contention;
mod decide;
mod error;
pub mod event;
mod id_text;
mod ids;
pub mod lifecycle;
pub mod mail;
mod memory_store;
mod metrics;
mod options;
mod permission;
mod program;
mod record;
mod refund;
mod role_change;
mod role_set;
pub mod sealing;
mod secret;
mod session;
mod state;
pub mod store;
mod timestamp_text;
pub mod transfer;
/// The fold's state, for the project's own tests and benches only: it is
/// not part of the public API and changes without notice.
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod testing {
    pub use crate::state::*;
}
pub mod values;
mod vault;
mod views;

/// The date-time crate of the API's [`Timestamp`] and durations, so a host
/// uses the same version.
pub use chrono;
/// The decimal crate of the API's amounts and hours, so a host uses the same version.
pub use rust_decimal;

pub use assignment::{AssignmentResult, MAX_ASSIGNMENT_ROWS};
pub use catalog::Catalog;
pub use center::BenefitCenter;
pub use changes::{Change, MAX_CHANGES_PAGE};
pub use clock::{Clock, ManualClock, SystemClock};
pub use command::{Command, KeyReveal, Outcome};
pub use contention::DEFAULT_RETRY_BUDGET;
pub use error::{Error, RefundRefusal, Result};
pub use event::{Actor, CancellationTarget, Phase, RecordedEvent, StreamId};
pub use ids::{BenefitId, MailId, OfferId, OrganizationId, PackageId, RequestId, UserId};
pub use lifecycle::Timestamp;
pub use mail::{DispatchReport, Mail, MailTopic, Mailer, OutboxEntry, RecordingMailer};
pub use metrics::Metrics;
pub use options::CenterOptions;
pub use permission::{GRANTS, Permission, Role, render_markdown as permission_matrix_markdown};
pub use program::{KeyPoolView, Program};
pub use record::{EVENT_SCHEMA, SNAPSHOT_SCHEMA};
pub use secret::LicenseKey;
pub use session::Session;
pub use store::{MemoryStore, Positioned, Resealed, Store, VaultStatus};
pub use values::{Email, Money, PartnerLevel};
pub use vault::MAX_RESEAL_BATCH;
pub use views::{
    AuditEntry, BenefitView, CancellationView, Category, MarketingContactView, OfferView, OrganizationView, PackageView, RequestView,
    RevealedKeys, Status, Usage, UserView,
};
