//! SQLite store for partner-benefits (being built).
