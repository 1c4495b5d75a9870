//! The core's errors as one uniffi error enum: a sealed `BenefitsException`
//! in Kotlin with one case per stable code.

use partner_benefits::Error;
use rust_decimal::Decimal;

/// Every failure, one case per core code. Each case carries `code` (the
/// core's stable machine code, unchanged) and `detail` (the core's message,
/// which names what to fix and never holds a key). The field is not called
/// `message`: that name is taken by `Throwable` in Kotlin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum BenefitsError {
    /// `permission_denied`: the acting user's roles do not allow the command.
    #[error("{detail}")]
    PermissionDenied {
        /// `permission_denied`.
        code: String,
        /// What was refused and which roles would allow it.
        detail: String,
    },
    /// `not_found`: no such thing in the acting user's organization.
    #[error("{detail}")]
    NotFound {
        /// `not_found`.
        code: String,
        /// What was looked for.
        detail: String,
    },
    /// `invalid_input`: a value is malformed or out of range.
    #[error("{detail}")]
    InvalidInput {
        /// `invalid_input`.
        code: String,
        /// Which field and what is wrong with it.
        detail: String,
        /// The field or argument at fault, e.g. `email`.
        field: String,
    },
    /// `invalid_catalog`: a catalog document is malformed.
    #[error("{detail}")]
    InvalidCatalog {
        /// `invalid_catalog`.
        code: String,
        /// Which field and what is wrong with it.
        detail: String,
    },
    /// `conflict`: another writer got there first, or an idempotency key was reused for another command.
    #[error("{detail}")]
    Conflict {
        /// `conflict`.
        code: String,
        /// What collided.
        detail: String,
    },
    /// `capacity_exhausted`: every seat or key is taken; nothing was allocated.
    #[error("{detail}")]
    CapacityExhausted {
        /// `capacity_exhausted`.
        code: String,
        /// What ran out.
        detail: String,
    },
    /// `refund_not_allowed`: a cancellation was refused (and recorded).
    #[error("{detail}")]
    RefundNotAllowed {
        /// `refund_not_allowed`.
        code: String,
        /// Why, for a person.
        detail: String,
        /// Why, for a program: `window_closed`, `software_activated` or `already_cancelled`.
        reason: String,
    },
    /// `insufficient_balance`: too few hours or incidents left.
    #[error("{detail}")]
    InsufficientBalance {
        /// `insufficient_balance`.
        code: String,
        /// What was asked for and what is left.
        detail: String,
        /// Hours or incidents asked for.
        requested: Decimal,
        /// Hours or incidents left.
        available: Decimal,
    },
    /// `invalid_transition`: the lifecycle does not allow this step now.
    #[error("{detail}")]
    InvalidTransition {
        /// `invalid_transition`.
        code: String,
        /// Which lifecycle, its state and the refused step.
        detail: String,
    },
    /// `precondition_failed`: something must happen first.
    #[error("{detail}")]
    PreconditionFailed {
        /// `precondition_failed`.
        code: String,
        /// What must happen first.
        detail: String,
    },
    /// `storage`: the store failed (or a code newer than this binding).
    #[error("{detail}")]
    Storage {
        /// `storage`, or the core's code if it is newer than this binding.
        code: String,
        /// What failed.
        detail: String,
    },
    /// `mail`: a mail could not be handed over; it stays queued. Host
    /// mailers throw this (or any exception) to refuse a mail.
    #[error("{detail}")]
    Mail {
        /// `mail`.
        code: String,
        /// What failed.
        detail: String,
    },
}

impl BenefitsError {
    /// An `invalid_input` raised by the binding itself (an instant out of
    /// range, malformed command JSON), worded as the core words its own.
    pub(crate) fn invalid(field: &str, reason: impl std::fmt::Display) -> Self {
        Self::InvalidInput { code: "invalid_input".into(), detail: format!("invalid `{field}`: {reason}"), field: field.into() }
    }
}

impl From<Error> for BenefitsError {
    fn from(err: Error) -> Self {
        let code = err.code().to_string();
        let detail = err.to_string();
        match err {
            Error::PermissionDenied { .. } => Self::PermissionDenied { code, detail },
            Error::NotFound { .. } => Self::NotFound { code, detail },
            Error::InvalidInput { field, .. } => Self::InvalidInput { code, detail, field },
            Error::InvalidCatalog { .. } => Self::InvalidCatalog { code, detail },
            Error::Conflict { .. } => Self::Conflict { code, detail },
            Error::CapacityExhausted { .. } => Self::CapacityExhausted { code, detail },
            Error::RefundNotAllowed { reason } => Self::RefundNotAllowed { code, detail, reason: reason.code().to_string() },
            Error::InsufficientBalance { requested, available } => Self::InsufficientBalance { code, detail, requested, available },
            Error::InvalidTransition { .. } => Self::InvalidTransition { code, detail },
            Error::PreconditionFailed { .. } => Self::PreconditionFailed { code, detail },
            Error::Mail { .. } => Self::Mail { code, detail },
            // `Storage`, and any kind newer than this binding: its code still travels.
            _ => Self::Storage { code, detail },
        }
    }
}

/// A host mailer that threw something other than `BenefitsException`: the
/// mail stays queued with the exception's text as the reason.
impl From<uniffi::UnexpectedUniFFICallbackError> for BenefitsError {
    fn from(err: uniffi::UnexpectedUniFFICallbackError) -> Self {
        // The reason is the exception's whole stack trace; its first line names it.
        let first = err.reason.lines().next().unwrap_or_default();
        Self::Mail { code: "mail".into(), detail: format!("the host mailer failed: {first}") }
    }
}

/// Result with [`BenefitsError`].
pub(crate) type Result<T, E = BenefitsError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_code_has_its_own_case_and_travels_unchanged() {
        use partner_benefits::{Permission, RefundRefusal};
        let samples = [
            Error::PermissionDenied { permission: Permission::AssignBenefits, allowed: "Global admin".into() },
            Error::NotFound { kind: "user", id: "usr-1-9".into() },
            Error::InvalidInput { field: "email".into(), reason: "bad".into() },
            Error::InvalidCatalog { field: "packages".into(), reason: "bad".into() },
            Error::Conflict { reason: "stale".into() },
            Error::CapacityExhausted { what: "seats".into() },
            Error::RefundNotAllowed { reason: RefundRefusal::WindowClosed },
            Error::InsufficientBalance { requested: 5.into(), available: 1.into() },
            Error::InvalidTransition { machine: "seat", state: "free".into(), input: "unassign".into() },
            Error::PreconditionFailed { reason: "contact".into() },
            Error::Storage { message: "disk".into() },
            Error::Mail { message: "smtp".into() },
        ];
        let mut seen = std::collections::BTreeSet::new();
        for err in samples {
            let code = err.code();
            let mapped = BenefitsError::from(err);
            let (got, case) = match &mapped {
                BenefitsError::PermissionDenied { code, .. } => (code, "PermissionDenied"),
                BenefitsError::NotFound { code, .. } => (code, "NotFound"),
                BenefitsError::InvalidInput { code, .. } => (code, "InvalidInput"),
                BenefitsError::InvalidCatalog { code, .. } => (code, "InvalidCatalog"),
                BenefitsError::Conflict { code, .. } => (code, "Conflict"),
                BenefitsError::CapacityExhausted { code, .. } => (code, "CapacityExhausted"),
                BenefitsError::RefundNotAllowed { code, .. } => (code, "RefundNotAllowed"),
                BenefitsError::InsufficientBalance { code, .. } => (code, "InsufficientBalance"),
                BenefitsError::InvalidTransition { code, .. } => (code, "InvalidTransition"),
                BenefitsError::PreconditionFailed { code, .. } => (code, "PreconditionFailed"),
                BenefitsError::Storage { code, .. } => (code, "Storage"),
                BenefitsError::Mail { code, .. } => (code, "Mail"),
            };
            assert_eq!(got, code);
            assert!(seen.insert(case), "{case} twice");
        }
        assert_eq!(seen.len(), Error::CODES.len());
    }
}
