//! Kotlin binding of partner-benefits (being built).
