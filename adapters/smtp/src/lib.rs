//! partner-benefits-smtp (being built).
