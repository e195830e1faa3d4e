//! The simulator.
pub mod mva;
pub mod person;
