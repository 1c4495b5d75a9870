//! Python binding of partner-benefits: the extension module
//! `partner_benefits._native`, built by maturin as an abi3 wheel. It converts
//! values and maps errors; every rule lives in the core crate.

mod center;
mod commands;
mod convert;
mod errors;
mod values;

use pyo3::prelude::*;

/// The native module behind the `partner_benefits` package.
#[pymodule]
mod _native {
    use super::*;

    #[pymodule_export]
    use super::center::{PyBenefitCenter, PyManualClock, PyProgram, PySession};
    #[pymodule_export]
    use super::commands::{PyCommand, PyOutcome};
    #[pymodule_export]
    use super::errors::{
        BenefitsError, CapacityExhausted, Conflict, InsufficientBalance, InvalidCatalog, InvalidTransition, MailError, NotFound,
        PermissionDenied, PreconditionFailed, RefundNotAllowed, StorageError,
    };
    #[pymodule_export]
    use super::values::{
        PyAuditEntry, PyBenefit, PyCancellation, PyDispatchReport, PyKeyPool, PyKeys, PyMail, PyMarketingContact, PyMoney, PyOffer,
        PyOrganization, PyOutboxEntry, PyPackage, PyRequest, PyUser,
    };

    #[pymodule_init]
    fn init(module: &Bound<'_, PyModule>) -> PyResult<()> {
        errors::init(module)
    }
}
