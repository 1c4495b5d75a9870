//! Python binding of partner-benefits: the extension module
//! `partner_benefits._native`, built by maturin as an abi3 wheel. It holds
//! the façade (center, session, program, clock, mailer, commands); the value
//! classes, their conversions and the exceptions are the `python` face of
//! `partner-benefits-bindings`, shared with the Kotlin binding.

mod center;
mod clock;
mod commands;
mod logging;
mod mailer;
mod program;
mod session;

use pyo3::prelude::*;

/// The native module behind the `partner_benefits` package.
#[pymodule]
mod _native {
    use super::*;

    #[pymodule_export]
    use super::center::PyBenefitCenter;
    #[pymodule_export]
    use super::clock::PyManualClock;
    #[pymodule_export]
    use super::commands::PyCommand;
    #[pymodule_export]
    use super::logging::enable_logging;
    #[pymodule_export]
    use super::program::PyProgram;
    #[pymodule_export]
    use super::session::PySession;
    #[pymodule_export]
    use partner_benefits_bindings::python::errors::{
        BenefitsError, CapacityExhausted, Conflict, InsufficientBalance, InvalidCatalog, InvalidTransition, MailError, NotFound,
        PermissionDenied, PreconditionFailed, RefundNotAllowed, StorageError,
    };
    #[pymodule_export]
    use partner_benefits_bindings::{
        AssignmentResult, AuditEntry, Benefit, Cancellation, Change, DispatchReport, KeyPool, Keys, Mail, MarketingContact, Money, Offer,
        Organization, OutboxEntry, Outcome, Package, Request, Resealed, SealedUnder, Usage, User, VaultStatus,
    };

    #[pymodule_init]
    fn init(module: &Bound<'_, PyModule>) -> PyResult<()> {
        // The crate's version, which the wheel's metadata carries too (a test
        // keeps the two equal).
        module.add("__version__", env!("CARGO_PKG_VERSION"))?;
        partner_benefits_bindings::python::errors::init(module)
    }
}
