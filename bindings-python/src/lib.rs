//! Python binding of partner-benefits (being built).
