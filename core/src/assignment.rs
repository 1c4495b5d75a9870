//! Bulk assignment's per-row results: what `assign_users` reports for each
//! user, in the order given.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::ids::UserId;

/// The most rows one `assign_users` call takes; beyond it the call is
/// `invalid_input` (split the list). Bounds the work of one commit.
pub const MAX_ASSIGNMENT_ROWS: usize = 10_000;

/// The result of one row of a bulk assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AssignmentResult {
    /// The user of the row.
    pub user_id: UserId,
    /// True when the user is (or, in a dry run, would be) assigned.
    pub ok: bool,
    /// The stable code of the error a single `assign_user` would have
    /// returned (`capacity_exhausted`, `not_found`, `invalid_input`, …).
    pub code: Option<String>,
    /// That error's message.
    pub message: Option<String>,
}

impl AssignmentResult {
    pub(crate) fn from_row(user_id: UserId, row: Result<(), Error>) -> Self {
        match row {
            Ok(()) => Self { user_id, ok: true, code: None, message: None },
            Err(err) => Self { user_id, ok: false, code: Some(err.code().to_owned()), message: Some(err.to_string()) },
        }
    }
}
