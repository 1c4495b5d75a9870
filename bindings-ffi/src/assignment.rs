//! Bulk assignment's per-row results, as both bindings show them.

use partner_benefits as core;

use crate::record::record;

record! {
    /// One row of a bulk assignment (`assign_users`), in the order given:
    /// whether the user is (or, in a dry run, would be) assigned, else the
    /// code and message a single `assign_user` would have failed with.
    pub struct AssignmentResult {
        /// The user of the row.
        pub user_id: String,
        /// True when the user is (or would be) assigned.
        pub ok: bool,
        /// The error's stable code (`capacity_exhausted`, `not_found`, `conflict`, ...) when not.
        pub code: Option<String>,
        /// The error's message when not.
        pub message: Option<String>,
    }
}

impl From<core::AssignmentResult> for AssignmentResult {
    fn from(r: core::AssignmentResult) -> Self {
        Self { user_id: r.user_id.to_string(), ok: r.ok, code: r.code, message: r.message }
    }
}
