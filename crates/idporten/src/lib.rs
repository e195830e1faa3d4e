//! An OpenID Connect relying party for ID-porten.

mod error;
pub mod integration;

pub use error::Error;

/// The Tax Administration's shared test client (public), usable until a vendor has its own integration.
pub const SHARED_TEST_CLIENT_ID: &str = "23cc2587-ea4e-4a5f-aa5c-dfce3d6c5f09";
/// The redirect URI registered for [`SHARED_TEST_CLIENT_ID`].
pub const SHARED_TEST_REDIRECT_URI: &str = "http://localhost:12345/token";
