//! The desktop half of the ID-porten client: what a program on a person's own computer needs around the protocol
//! core ([`idporten`]): the loopback listener that receives the callback and holds the browser's page until the
//! session is stored, the browser (or a printed URL), the token stores (files, sealed with a key in the OS keyring
//! when one works, or the keyring itself) under `$MVA_HOME`, and the flows that combine them: [`login`] and
//! [`logout`] through the browser.
//!
//! The core is re-exported, so a desktop program depends on this crate alone; a server uses [`idporten`] directly
//! and never this crate.
//!
//! # Example: log in once, then get a valid access token in every later run
//!
//! ```no_run
//! use idporten_desktop::{
//!     current_tokens, default_store, login, Client, ClientConfig, ClientId, Environment,
//!     ListenerOptions, OpenOrPrint, RedirectUri, Seams, StoreKey, SystemBrowser, SystemClock,
//! };
//!
//! # async fn run() -> Result<(), idporten_desktop::Error> {
//! // The Tax Administration's shared test client; your own integration's values come from Samarbeidsportalen.
//! let config = ClientConfig::new(
//!     Environment::Test.issuer(),
//!     ClientId::new(idporten_desktop::SHARED_TEST_CLIENT_ID),
//!     RedirectUri::parse(idporten_desktop::SHARED_TEST_REDIRECT_URI)?,
//! );
//! let seams = Seams { cache_dir: Some(idporten_desktop::home_dir()?.join("cache")), ..Seams::default() };
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

pub use idporten::*;

pub mod browser;
pub mod flow;
pub mod listener;
pub mod store;

pub use browser::{
    BrowserLaunch, BrowserOpener, CommandBrowser, OpenOrPrint, PrintUrl, SystemBrowser,
};
pub use flow::{login, logout, EndSessionOutcome, LoginEvent, LogoutOutcome};
pub use listener::{Callback, ListenerOptions, LoopbackListener};
#[cfg(feature = "keyring")]
pub use store::OsKeyring;
pub use store::{
    default_store, home_dir, FileTokenStore, KeyringBackend, KeyringTokenStore,
    DEFAULT_LOCK_TIMEOUT, HOME_VAR, KEYRING_SERVICE,
};
