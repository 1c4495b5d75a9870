#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod no_mailer;
mod target;

pub use no_mailer::NoMailer;
pub use target::{Target, postgres_url};
