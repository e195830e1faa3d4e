//! Building blocks of `mva serve`, a backend-for-frontend (BFF) for ID-porten: the browser holds only an
//! encrypted cookie, the server keeps the tokens, and any number of instances share the sessions through Redis.
//!
//! - [`keys`]: the server's cookie keys from `MVA_SESSION_KEY` (current and previous, for rotation).
//! - [`cookie`]: the `__Host-mva-session` cookie: an opaque sealed reference (session id, per-session data key,
//!   absolute end) and its attributes.
//! - [`store`]: the store seam, with [`MemoryStore`] (one instance) and [`RedisStore`] (many).
//! - [`Sessions`]: create, load, save (compare-and-set), delete, delete by ID-porten `sid`; session data is
//!   encrypted with the per-session key before any store sees it.
//! - [`refresh`]: [`Sessions::refresh_once`], so a one-time refresh token is spent once across instances.
//! - [`login_state`]: one sealed login-state cookie per login flow (two tabs can log in at once);
//!   [`ReturnPath`]: the `redirect` parameter, only ever a path on this site.
//! - [`api`]: the VAT web page (`/`) and its JSON API (`/api/...`), running the `mva` library with the session's
//!   tokens.
//! - [`routes`]: health, readiness, session metadata, front-channel logout, the CSRF guard, and the
//!   [`routes::CurrentSession`] extractor.
//!
//! # Example: a session in Redis, found again from its cookie
//!
//! ```no_run
//! use std::sync::Arc;
//! use time::OffsetDateTime;
//! use web::{
//!     AccessToken, Acr, CookieAttributes, Identity, Limits, Pid, RedisOptions, RedisStore, SessionData,
//!     SessionKeys, Sessions, Sid, Tokens,
//! };
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = SessionKeys::parse(&std::env::var(web::SESSION_KEY_ENV)?)?;
//! let store = RedisStore::connect("redis://127.0.0.1:6379", RedisOptions::default())?;
//! let sessions = Sessions::new(Arc::new(store), keys, Limits::default());
//!
//! // After a login: keep the tokens on the server, give the browser the sealed cookie.
//! let now = OffsetDateTime::now_utc();
//! let tokens = Tokens {
//!     access_token: AccessToken::new("..."),
//!     access_expires_at: now + time::Duration::seconds(120),
//!     refresh_token: None,
//!     id_token: None,
//!     scope: "openid skatteetaten:mvameldinger".into(),
//! };
//! let identity = Identity { pid: Pid::new("..."), acr: Acr::new("idporten-loa-high"), auth_time: now, sid: Some(Sid::new("...")) };
//! let (session, cookie) = sessions.create(SessionData::new(tokens, identity)).await?;
//! let set_cookie = CookieAttributes.set_cookie(&cookie, sessions.limits().absolute());
//!
//! // On a later request: the cookie's value back to the session.
//! let reference = sessions.open_cookie(cookie.secret())?;
//! let again = sessions.load(&reference).await?.expect("still there");
//! assert_eq!(again.version(), session.version());
//! # let _ = set_cookie; Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod api;
pub mod bff;
pub mod cookie;
pub mod keys;
pub mod login_state;
pub mod refresh;
mod return_path;
pub mod routes;
mod seal;
pub mod session;
mod sessions;
pub mod store;
mod types;

pub use cookie::{CookieAttributes, CookieError, SealedCookie, SessionId, SessionRef, COOKIE_NAME};
pub use keys::{KeyError, SessionKeys, SESSION_KEY_ENV};
pub use refresh::{ProviderFailure, RefreshError, RefreshOptions, Refreshed};
pub use return_path::{ReturnPath, ReturnPathError};
pub use session::{
    Identity, Limits, LimitsError, Session, SessionData, Tokens, MAX_ABSOLUTE_LIFETIME,
    REFRESH_MARGIN,
};
pub use sessions::{Saved, Sessions};
pub use store::{
    CasOutcome, MemoryStore, Record, RedisOptions, RedisStore, SessionStore, StoreError,
};
pub use types::{AccessToken, Acr, IdToken, Pid, RefreshToken, Sid};
