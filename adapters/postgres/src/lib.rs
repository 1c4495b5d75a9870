//! partner-benefits-postgres (being built).
