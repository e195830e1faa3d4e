//! All integration tests of the `mva` crate, in one test binary.
mod checkpoints;
mod common;
mod crash;
mod encodings;
mod errors;
mod hostile_server;
mod local_validation;
mod submission;
