//! The one public error type, with a stable machine code per kind.

use crate::permission::Permission;

/// Why a cancellation was refused with no refund (R29).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RefundRefusal {
    /// The request came after the package's refund window (30 days from
    /// purchase in the program's catalog) had closed.
    WindowClosed,
    /// A software benefit (a key) of the package was already activated.
    SoftwareActivated,
    /// The package or offer was already cancelled.
    AlreadyCancelled,
}

impl RefundRefusal {
    /// Stable code of this reason, for hosts that branch on it.
    pub fn code(self) -> &'static str {
        match self {
            Self::WindowClosed => "window_closed",
            Self::SoftwareActivated => "software_activated",
            Self::AlreadyCancelled => "already_cancelled",
        }
    }
}

impl std::fmt::Display for RefundRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::WindowClosed => f.write_str("the request came after the refund window had closed"),
            Self::SoftwareActivated => f.write_str("a software benefit of the package was already activated"),
            Self::AlreadyCancelled => f.write_str("it was already cancelled"),
        }
    }
}

/// Every failure of the library. Each kind has a stable [`Error::code`];
/// messages say what to do and never hold a license key or personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The acting user's roles do not grant the permission the command needs.
    #[error("permission denied: {permission} needs one of the roles {allowed}")]
    PermissionDenied {
        /// The permission the command needs.
        permission: Permission,
        /// The roles that grant it, for the message.
        allowed: String,
    },
    /// No such thing in the acting user's organization.
    #[error("{kind} `{id}` was not found")]
    NotFound {
        /// What was looked for (`user`, `package`, ...).
        kind: &'static str,
        /// The id that was given.
        id: String,
    },
    /// A value given by the caller is malformed or out of range.
    #[error("invalid `{field}`: {reason}")]
    InvalidInput {
        /// The field or argument at fault.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A catalog document is malformed.
    #[error("invalid catalog at `{field}`: {reason}")]
    InvalidCatalog {
        /// Path of the field at fault, e.g. `packages[0].benefits[2].seats`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Someone else changed the same data first, or the request repeats an
    /// idempotency key with other content. Reload and retry.
    #[error("conflict: {reason}")]
    Conflict {
        /// What collided.
        reason: String,
    },
    /// Every seat or key is taken: nothing was allocated.
    #[error("capacity exhausted: {what}")]
    CapacityExhausted {
        /// What ran out.
        what: String,
    },
    /// A cancellation was refused; the refusal is recorded (R29, R30).
    #[error("no refund: {reason}")]
    RefundNotAllowed {
        /// Which condition failed.
        reason: RefundRefusal,
    },
    /// An hours or incidents balance is too low for the request.
    #[error("insufficient balance: {requested} requested, {available} available")]
    InsufficientBalance {
        /// What was asked for.
        requested: rust_decimal::Decimal,
        /// What is left.
        available: rust_decimal::Decimal,
    },
    /// The lifecycle does not allow this step from its current state.
    #[error("{machine} cannot {input} while {state}")]
    InvalidTransition {
        /// Which lifecycle (`package`, `seat`, ...).
        machine: &'static str,
        /// Its current state.
        state: String,
        /// The step that was refused.
        input: String,
    },
    /// Something must happen first (e.g. a marketing contact must be set).
    #[error("precondition failed: {reason}")]
    PreconditionFailed {
        /// What must happen first.
        reason: String,
    },
    /// The store failed or holds data this version cannot read.
    #[error("storage error: {message}")]
    Storage {
        /// What failed.
        message: String,
    },
    /// A mail could not be handed to the mailer; it stays queued.
    #[error("mail error: {message}")]
    Mail {
        /// What failed.
        message: String,
    },
}

impl Error {
    /// The stable machine code of this error; bindings pass it on unchanged.
    pub fn code(&self) -> &'static str {
        match self {
            Self::PermissionDenied { .. } => "permission_denied",
            Self::NotFound { .. } => "not_found",
            Self::InvalidInput { .. } => "invalid_input",
            Self::InvalidCatalog { .. } => "invalid_catalog",
            Self::Conflict { .. } => "conflict",
            Self::CapacityExhausted { .. } => "capacity_exhausted",
            Self::RefundNotAllowed { .. } => "refund_not_allowed",
            Self::InsufficientBalance { .. } => "insufficient_balance",
            Self::InvalidTransition { .. } => "invalid_transition",
            Self::PreconditionFailed { .. } => "precondition_failed",
            Self::Storage { .. } => "storage",
            Self::Mail { .. } => "mail",
        }
    }

    /// Every code, in declaration order; the bindings test that each has a class.
    pub const CODES: [&'static str; 12] = [
        "permission_denied",
        "not_found",
        "invalid_input",
        "invalid_catalog",
        "conflict",
        "capacity_exhausted",
        "refund_not_allowed",
        "insufficient_balance",
        "invalid_transition",
        "precondition_failed",
        "storage",
        "mail",
    ];

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidInput { field: field.into(), reason: reason.into() }
    }

    pub(crate) fn not_found(kind: &'static str, id: impl std::fmt::Display) -> Self {
        Self::NotFound { kind, id: id.to_string() }
    }

    pub(crate) fn precondition(reason: impl Into<String>) -> Self {
        Self::PreconditionFailed { reason: reason.into() }
    }

    pub(crate) fn conflict(reason: impl Into<String>) -> Self {
        Self::Conflict { reason: reason.into() }
    }

    /// A storage failure with a message for the operator.
    pub fn storage(message: impl Into<String>) -> Self {
        Self::Storage { message: message.into() }
    }
}

/// The start of a caller's text, to show in an error without echoing a
/// megabyte back (ids, codes and tags are short: 40 characters say enough).
pub(crate) fn excerpt(text: &str) -> String {
    const SHOWN: usize = 40;
    let mut shown: String = text.chars().take(SHOWN).collect();
    if text.chars().nth(SHOWN).is_some() {
        shown.push('…');
    }
    shown
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
