#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod backup;
mod busy;
mod claims;
mod clock;
mod error;
mod open;
mod schema;
mod store;
mod vault;

pub use backup::{BackupProgress, BackupReport};
pub use clock::SystemClock;
pub use schema::{APPLICATION_ID, SCHEMA_VERSION};
pub use store::{SqliteOptions, SqliteStore, Synchronous};
