//! The workload generator (being built).
