//! An OpenID Connect relying party for ID-porten, the Norwegian public login, as desktop accounting software needs
//! it to file VAT returns: discovery, PKCE (S256), state and nonce from the OS's CSPRNG, a loopback listener for the
//! callback, pushed authorization requests, the four client authentication methods, ID-token validation per OpenID
//! Connect Core 3.1.3.7 (RS256 only, JWKS refetched on key rotation, `acr` at least the level asked for), refresh with
//! one-time or reusable refresh tokens under a cross-process lock, revocation and logout.
//!
//! The protocol steps are pure functions over typed values ([`authorization`], [`id_token`], [`client_auth`],
//! [`token_request`], [`refresh`]); the I/O (HTTP, clock, browser, listener, token store) sits behind small seams
//! and is combined only in [`flow`].
//!
//! # Example: log in once, then get a valid access token in every later run
//!
//! ```no_run
//! use idporten::{
//!     current_tokens, default_store, login, Client, ClientConfig, ClientId, Environment,
//!     ListenerOptions, OpenOrPrint, RedirectUri, Seams, StoreKey, SystemBrowser, SystemClock,
//! };
//!
//! # async fn run() -> Result<(), idporten::Error> {
//! // The Tax Administration's shared test client; your own integration's values come from Samarbeidsportalen.
//! let config = ClientConfig::new(
//!     Environment::Test.issuer(),
//!     ClientId::new(idporten::SHARED_TEST_CLIENT_ID),
//!     RedirectUri::parse(idporten::SHARED_TEST_REDIRECT_URI)?,
//! );
//! let seams = Seams { cache_dir: Some(idporten::home_dir()?.join("cache")), ..Seams::default() };
//! let store = default_store()?;
//! let key = StoreKey::new(config.issuer.clone(), config.client_id.clone());
//!
//! // `mva login`: bind the listener, open the browser (or print the URL), wait, exchange, validate, store; the
//! // browser's page says "logged in" only once the session is stored.
//! let client = Client::discover(config.clone(), seams.clone()).await?;
//! let browser = OpenOrPrint(SystemBrowser);
//! let options = ListenerOptions::default();
//! let tokens = login(&client, &browser, &options, store.as_ref(), &key, |event| eprintln!("{event:?}")).await?;
//!
//! // `mva token`, in any later process: no network while the access token is fresh; else one refresh under the
//! // store's lock, however many processes ask at once.
//! let tokens = current_tokens(store.as_ref(), &key, &SystemClock, || Client::discover(config, seams)).await?;
//! let bearer = tokens.access_token.secret(); // for an Authorization header, never for a log or a URL
//! # let _ = bearer; Ok(()) }
//! ```
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

pub use authorization::{AuthorizationRequest, LoginRandomness, Pkce};
pub use callback_check::{check_callback, AuthorizationResponse};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{AcrLevel, ClientAuth, ClientConfig, Environment, PrivateKeyPem, UiLocale};
pub use discovery::ProviderMetadata;
pub use flow::{
    current_tokens, current_tokens_with_margin, load_tokens, login, logout, save_tokens, Client,
    EndSessionOutcome, LoginEvent, LogoutOutcome, Seams,
};
pub use http::{Http, MAX_METADATA_BYTES, MAX_TOKEN_RESPONSE_BYTES};
pub use id_token::IdTokenClaims;
pub use token_set::{TokenSet, DEFAULT_ACCESS_LIFETIME_SECS, DEFAULT_REFRESH_MARGIN_SECS};

pub mod browser;
pub mod listener;
pub mod store;

pub use browser::{
    BrowserLaunch, BrowserOpener, CommandBrowser, OpenOrPrint, PrintUrl, SystemBrowser,
};
pub use listener::{served_path, Callback, ListenerOptions, LoopbackListener};
#[cfg(feature = "keyring")]
pub use store::OsKeyring;
pub use store::{
    default_store, home_dir, FileTokenStore, KeyringBackend, KeyringTokenStore, StoreKey,
    StoreLock, StoredSecret, TokenStore,
};

/// The Tax Administration's shared test client (public), usable until a vendor has its own integration.
pub const SHARED_TEST_CLIENT_ID: &str = "23cc2587-ea4e-4a5f-aa5c-dfce3d6c5f09";
/// The redirect URI registered for [`SHARED_TEST_CLIENT_ID`].
pub const SHARED_TEST_REDIRECT_URI: &str = "http://localhost:12345/token";
