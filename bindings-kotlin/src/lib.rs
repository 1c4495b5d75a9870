//! Kotlin/JVM binding of partner-benefits: the native library
//! `partner_benefits_ffi` that the uniffi-generated Kotlin loads through
//! JNA. Its interface is the `kotlin` face of `partner-benefits-bindings`:
//! uniffi gives one namespace per crate, and the types the Python binding
//! shares live there, so the façade does too. This crate links it in whole.

pub use partner_benefits_bindings::kotlin::*;

// This cdylib calls nothing of the crate above itself; the hook keeps the
// linker from dropping its exported scaffolding.
partner_benefits_bindings::uniffi_reexport_scaffolding!();
