//! An OpenID Connect relying party for ID-porten, the Norwegian public login, as desktop accounting software needs
//! it to file VAT returns: discovery, PKCE (S256), state and nonce from the OS's CSPRNG, a loopback listener for the
//! callback (in `idporten-desktop`), pushed authorization requests, the four client authentication methods, ID-token validation per OpenID
//! Connect Core 3.1.3.7 (RS256 only, JWKS refetched on key rotation, `acr` at least the level asked for), refresh with
//! one-time or reusable refresh tokens under a cross-process lock, revocation and logout.
//!
//! The protocol steps are pure functions over typed values ([`authorization`], [`id_token`], [`client_auth`],
//! [`token_request`], [`refresh`]); the I/O (HTTP, clock, token store) sits behind small seams and is combined
//! only in [`flow`].
//!
//! This crate is the protocol core, with no listener, browser, keyring or home directory: a server (the `mva serve`
//! backend-for-frontend in `crates/web`) uses it as it is, with [`check_callback`] on its own callback route, an
//! [`AuthorizationState`] kept in its session, and its own [`TokenStore`]. The desktop parts (loopback listener,
//! browser, file and keyring stores, `$MVA_HOME`) are in the `idporten-desktop` crate.
#![warn(missing_docs)]

mod auth_method;
mod error;
pub mod integration;
pub mod integration_check;
mod pid;
pub mod types;
mod uri;

pub use auth_method::{ClientAuthMethod, UnknownClientAuthMethod};
pub use error::Error;
pub use pid::Pid;
pub use types::*;
pub use uri::{is_loopback_host, Issuer, RedirectUri};

pub mod authorization;
pub mod callback_check;
pub mod client_auth;
mod clock;
mod config;
pub mod discovery;
pub mod flow;
mod http;
pub mod id_token;
pub mod jwks;
pub mod refresh;
pub mod token_request;
mod token_set;

pub use authorization::{AuthorizationRequest, AuthorizationState, LoginRandomness, Pkce};
pub use callback_check::{check_callback, AuthorizationResponse};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{AcrLevel, ClientAuth, ClientConfig, Environment, PrivateKeyPem, UiLocale};
pub use discovery::ProviderMetadata;
pub use flow::{
    current_tokens, current_tokens_with_margin, load_tokens, save_tokens, Client, Seams,
};
pub use http::{Http, MAX_METADATA_BYTES, MAX_TOKEN_RESPONSE_BYTES};
pub use id_token::IdTokenClaims;
pub use token_set::{TokenSet, DEFAULT_ACCESS_LIFETIME_SECS, DEFAULT_REFRESH_MARGIN_SECS};

mod login_options;
mod served_path;
mod session_store;

pub use login_options::LoginOptions;
pub use served_path::served_path;
pub use session_store::{BlockingTokenStore, StoreKey, StoreLock, StoredSecret, TokenStore};

/// The attribute that implements [`TokenStore`] (an async trait); re-exported so that implementors need no
/// dependency of their own on `async-trait`.
pub use async_trait::async_trait;

/// The Tax Administration's shared test client (public), usable until a vendor has its own integration.
pub const SHARED_TEST_CLIENT_ID: &str = "23cc2587-ea4e-4a5f-aa5c-dfce3d6c5f09";
/// The redirect URI registered for [`SHARED_TEST_CLIENT_ID`].
pub const SHARED_TEST_REDIRECT_URI: &str = "http://localhost:12345/token";
