//! End-to-end tests of the `mva` binary against real servers on loopback: the simulator (in-process) and panva's
//! oidc-provider (a Node child process), with scripted browsers (curl for the simulator's headless switch,
//! headless Chromium for real login forms). One test binary for all, as in rustup's test suite.

mod concurrent_submit;
mod guide_example;
mod harness;
mod integration_check;
mod login_oidc_provider;
mod login_pages;
mod login_sim;
mod registered_lifetimes;
mod serve;
mod snapshot;
mod startup;
mod tidy;
mod vat;
mod what_users_read;
