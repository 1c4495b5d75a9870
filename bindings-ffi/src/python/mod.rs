//! The Python face of the shared types: how each value, enum and error
//! looks from Python. The façade (`BenefitCenter`, `Session`, ...) and the
//! module are in `bindings-python`.

pub mod convert;
pub mod errors;

mod enums;
mod keys;
mod money;
mod repr;
