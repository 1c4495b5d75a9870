//! Shared fixtures for the scenario tests.
