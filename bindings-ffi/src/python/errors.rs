//! The exception hierarchy: one base, `BenefitsError`, and one subclass per
//! core error kind, each carrying the core's stable `code`.

use partner_benefits::Error;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

create_exception!(
    partner_benefits,
    BenefitsError,
    PyException,
    "Base of every error of the library; `code` is the core's stable machine code."
);
create_exception!(partner_benefits, PermissionDenied, BenefitsError, "The acting user's roles do not grant what the call needs.");
create_exception!(partner_benefits, NotFound, BenefitsError, "No such thing in the acting user's organization.");
create_exception!(partner_benefits, InvalidCatalog, BenefitsError, "A catalog document is malformed.");
create_exception!(
    partner_benefits,
    Conflict,
    BenefitsError,
    "Someone else changed the same data first, or an idempotency key was reused for another call."
);
create_exception!(partner_benefits, CapacityExhausted, BenefitsError, "Every seat or key is taken; nothing was allocated.");
create_exception!(
    partner_benefits,
    RefundNotAllowed,
    BenefitsError,
    "A cancellation was refused (and recorded); `reason` says which condition failed."
);
create_exception!(partner_benefits, InsufficientBalance, BenefitsError, "An hours or incidents balance is too low.");
create_exception!(partner_benefits, InvalidTransition, BenefitsError, "The lifecycle does not allow this step from its current state.");
create_exception!(
    partner_benefits,
    PreconditionFailed,
    BenefitsError,
    "Something must happen first (e.g. a marketing contact must be set)."
);
create_exception!(
    partner_benefits,
    StorageError,
    BenefitsError,
    "The store failed or holds data this version cannot read, or the center was closed (`BenefitCenter.close`)."
);
create_exception!(partner_benefits, MailError, BenefitsError, "A mail could not be handed to the mailer; it stays queued.");

/// `InvalidInput(BenefitsError, ValueError)` has two bases, which
/// `create_exception!` cannot express, so it is built once with `type(...)`.
static INVALID_INPUT: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The `InvalidInput` class.
pub fn invalid_input_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    INVALID_INPUT
        .get_or_try_init(py, || {
            let bases = PyTuple::new(py, [py.get_type::<BenefitsError>(), py.get_type::<PyValueError>()])?;
            let namespace = PyDict::new(py);
            namespace.set_item("__module__", "partner_benefits")?;
            namespace.set_item("__doc__", "A value given by the caller is malformed or out of range; also a `ValueError`.")?;
            namespace.set_item("code", "invalid_input")?;
            namespace.set_item("field", "")?;
            let created = py.get_type::<PyType>().call1(("InvalidInput", bases, namespace))?;
            Ok(created.cast_into::<PyType>()?.unbind())
        })
        .map(|t| t.bind(py))
}

/// Sets the class-level defaults (`code`, `reason`, ...) and registers `InvalidInput`.
pub fn init(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    py.get_type::<BenefitsError>().setattr("code", "benefits_error")?;
    let classes = [
        (py.get_type::<PermissionDenied>(), "permission_denied"),
        (py.get_type::<NotFound>(), "not_found"),
        (py.get_type::<InvalidCatalog>(), "invalid_catalog"),
        (py.get_type::<Conflict>(), "conflict"),
        (py.get_type::<CapacityExhausted>(), "capacity_exhausted"),
        (py.get_type::<RefundNotAllowed>(), "refund_not_allowed"),
        (py.get_type::<InsufficientBalance>(), "insufficient_balance"),
        (py.get_type::<InvalidTransition>(), "invalid_transition"),
        (py.get_type::<PreconditionFailed>(), "precondition_failed"),
        (py.get_type::<StorageError>(), "storage"),
        (py.get_type::<MailError>(), "mail"),
    ];
    for (class, code) in classes {
        class.setattr("code", code)?;
    }
    py.get_type::<RefundNotAllowed>().setattr("reason", "")?;
    module.add("InvalidInput", invalid_input_type(py)?)?;
    Ok(())
}

/// The exception class of a core error, and whether it is that kind's own
/// class (whose class-level `code` is already the error's).
fn class_of<'py>(py: Python<'py>, err: &Error) -> PyResult<(Bound<'py, PyType>, bool)> {
    let own = |class| (class, true);
    Ok(match err {
        Error::PermissionDenied { .. } => own(py.get_type::<PermissionDenied>()),
        Error::NotFound { .. } => own(py.get_type::<NotFound>()),
        Error::InvalidInput { .. } => own(invalid_input_type(py)?.clone()),
        Error::InvalidCatalog { .. } => own(py.get_type::<InvalidCatalog>()),
        Error::Conflict { .. } => own(py.get_type::<Conflict>()),
        Error::CapacityExhausted { .. } => own(py.get_type::<CapacityExhausted>()),
        Error::RefundNotAllowed { .. } => own(py.get_type::<RefundNotAllowed>()),
        Error::InsufficientBalance { .. } => own(py.get_type::<InsufficientBalance>()),
        Error::InvalidTransition { .. } => own(py.get_type::<InvalidTransition>()),
        Error::PreconditionFailed { .. } => own(py.get_type::<PreconditionFailed>()),
        Error::Storage { .. } => own(py.get_type::<StorageError>()),
        Error::Mail { .. } => own(py.get_type::<MailError>()),
        // A kind added to the core later still arrives with its code.
        _ => (py.get_type::<BenefitsError>(), false),
    })
}

fn build(py: Python<'_>, err: &Error) -> PyResult<PyErr> {
    let (class, own) = class_of(py, err)?;
    let exception = class.call1((err.to_string(),))?;
    // A kind's own class already says its code; only the base class, for a
    // kind added to the core later, needs it on the instance.
    if !own {
        exception.setattr("code", err.code())?;
    }
    match err {
        Error::RefundNotAllowed { reason } => exception.setattr("reason", reason.code())?,
        Error::InvalidInput { field, .. } => exception.setattr("field", field)?,
        Error::InsufficientBalance { requested, available } => {
            exception.setattr("requested", *requested)?;
            exception.setattr("available", *available)?;
        }
        _ => {}
    }
    Ok(PyErr::from_value(exception))
}

/// The Python exception for a core error.
pub fn to_py(py: Python<'_>, err: &Error) -> PyErr {
    build(py, err).unwrap_or_else(|failure| failure)
}

/// An `InvalidInput` raised by the binding itself (e.g. a naive datetime).
pub fn invalid(py: Python<'_>, field: &str, reason: &str) -> PyErr {
    to_py(py, &Error::InvalidInput { field: field.to_string(), reason: reason.to_string() })
}
