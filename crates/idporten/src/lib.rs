//! An OpenID Connect relying party for ID-porten.
#![warn(missing_docs)]

mod error;
pub mod integration;
pub mod types;
mod uri;

pub use error::Error;
pub use types::*;
pub use uri::{is_loopback_host, Issuer, RedirectUri};

// ---- modules and re-exports of helper A (protocol) ----

// ---- end of helper A ----

// ---- modules and re-exports of helper B (listener, browser, token store) ----

// ---- end of helper B ----

/// The Tax Administration's shared test client (public), usable until a vendor has its own integration.
pub const SHARED_TEST_CLIENT_ID: &str = "23cc2587-ea4e-4a5f-aa5c-dfce3d6c5f09";
/// The redirect URI registered for [`SHARED_TEST_CLIENT_ID`].
pub const SHARED_TEST_REDIRECT_URI: &str = "http://localhost:12345/token";
