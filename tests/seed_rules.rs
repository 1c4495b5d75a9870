//! The seed's rules, one test (at least) per rule id.
