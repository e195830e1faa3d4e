//! `mva-sim`: a strict local stand-in of ID-porten (OpenID Connect provider), the VAT validation API and Altinn 3,
//! for people trying the software and for tests.
//!
//! Start it in-process on port 0 and point a client at [`SimHandle::issuer`]:
//!
//! ```no_run
//! # async fn demo() -> Result<(), sim::Error> {
//! let sim = sim::start(sim::SimConfig::default(), "127.0.0.1:0".parse().unwrap()).await?;
//! println!("issuer {}", sim.issuer());
//! sim.faults().fail_next("token", 503, 1)?; // the next token request gets 503
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The ID-porten part follows ID-porten's documentation (docs.digdir.no) and the Tax Administration's guide (GitHub
//! repository `Skatteetaten/mva-meldingen`); see the crate README for the configuration file, the built-in clients
//! and persons, headless login and the admin API (which answers only the simulator's own `Host` names and only JSON
//! POSTs, see [`guard`]).
#![warn(missing_docs)]

pub mod admin;
pub mod authorize;
pub mod clients;
pub mod clock;
mod config;
pub mod conn;
pub mod cors;
pub mod endpoints;
mod error;
pub mod faults;
pub mod guard;
pub mod keys;
pub mod model;
pub mod mva;
pub mod observe;
pub mod person;
pub mod serve;
mod server;
mod state;
pub mod store;
pub mod tokens;
pub mod verifier;

pub use clients::SHARED_TEST_REDIRECT_URI;
pub use clients::{
    GUIDE_EXAMPLE_CLIENT_ID, INTROSPECTION_SCOPE, LOOPBACK_TEST_CLIENT_ID, REFRESH_TEST_CLIENT_ID,
    REFRESH_TEST_CLIENT_SECRET, SHARED_TEST_CLIENT_ID,
};
pub use config::{SimConfig, SimSettings, DEFAULT_PORT};
pub use error::Error;
pub use faults::{CallbackForgery, Fault, Faults, Forgery};
pub use server::{app, start, SimHandle};
pub use state::{Inner, SimState};
