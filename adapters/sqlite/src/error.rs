//! How SQLite failures become the library's errors.

use partner_benefits::Error;
use rusqlite::ErrorCode;

/// Maps a SQLite failure during `context` to the library's error.
///
/// A busy or locked database (another writer held the lock past the busy
/// timeout) becomes `conflict`: nothing was written and retrying is the right
/// answer, as for a stale version. Everything else is `storage`.
pub(crate) fn sql(context: &str) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |err| map(context, &err)
}

pub(crate) fn map(context: &str, err: &rusqlite::Error) -> Error {
    match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Error::Conflict {
            reason: format!("{context}: another writer held the database past the busy timeout; nothing was written, retry"),
        },
        Some(ErrorCode::NotADatabase) => Error::storage(format!("{context}: the file is not a SQLite database")),
        Some(ErrorCode::DatabaseCorrupt) => Error::storage(format!("{context}: the database file is corrupt ({err})")),
        Some(ErrorCode::ReadOnly) => Error::storage(format!("{context}: the database is read-only ({err})")),
        Some(ErrorCode::DiskFull) => Error::storage(format!("{context}: the disk is full")),
        Some(ErrorCode::CannotOpen) => Error::storage(format!("{context}: the file cannot be opened ({err})")),
        _ => Error::storage(format!("{context}: {err}")),
    }
}

/// True when `err` is a uniqueness (or other constraint) violation.
pub(crate) fn is_constraint(err: &rusqlite::Error) -> bool {
    err.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
}

/// JSON that does not load back: the file holds data this version cannot read.
pub(crate) fn json(what: &str) -> impl Fn(serde_json::Error) -> Error + '_ {
    move |err| Error::storage(format!("{what} does not load: {err}"))
}

/// A number too large for SQLite's 64-bit signed integers.
pub(crate) fn int(value: u64, what: &str) -> Result<i64, Error> {
    i64::try_from(value).map_err(|_| Error::storage(format!("{what} {value} is too large to store")))
}

/// A stored number that should never be negative.
pub(crate) fn uint(value: i64, what: &str) -> Result<u64, Error> {
    u64::try_from(value).map_err(|_| Error::storage(format!("stored {what} {value} is negative")))
}
