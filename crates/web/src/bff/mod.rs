//! The OpenID Connect half of the backend-for-frontend: login, callback, logout (RP-initiated, with revocation),
//! back-channel logout, forced refresh, and the upstream proxy (sidecar mode), on the `idporten` crate's protocol
//! core. [`Bff`] holds the provider client and the sessions; [`router`] gives every route of `mva serve` but the
//! VAT page; [`Bff::access_token`] gives an application's handler a valid access token for its session.
//!
//! ```no_run
//! use std::sync::Arc;
//! use web::bff::{self, Bff, BffConfig};
//! # async fn run(sessions: web::Sessions) -> Result<(), Box<dyn std::error::Error>> {
//! let config = BffConfig::new(url::Url::parse("https://mva.example.no")?);
//! let client_config = config.client_config(idporten::Environment::Test.issuer(), idporten::ClientId::new("my-client"))?;
//! let client = idporten::Client::discover(client_config, idporten::Seams::default()).await?;
//! let bff = Arc::new(Bff::new(client, sessions, config)?);
//! let app = bff::router(bff);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

mod backchannel;
mod login;
mod logout;
mod pages;
mod proxy;
mod redeem;
mod token_hook;

pub use backchannel::{validate_logout_token, LogoutClaims, LogoutTokenError, BACKCHANNEL_EVENT};
pub use token_hook::BffTokens;

use crate::refresh::{RefreshError, RefreshOptions, Refreshed};
use crate::routes::{self, csrf_guard, CurrentSession, Problem, SessionInfo, WebState};
use crate::session::Session;
use crate::sessions::Sessions;
use crate::types::AccessToken;
use axum::extract::{FromRef, State};
use axum::http::header;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use idporten::{Client, ClientConfig, ClientId, Issuer, RedirectUri};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use url::Url;

/// The path of the login callback under the public URL (register `PUBLIC_URL/oauth2/callback`).
pub const CALLBACK_PATH: &str = "/oauth2/callback";
/// The path of the post-logout redirect under the public URL.
pub const LOGOUT_CALLBACK_PATH: &str = "/oauth2/logout/callback";
/// The path of front-channel logout under the public URL.
pub const FRONTCHANNEL_PATH: &str = "/oauth2/logout/frontchannel";
/// The path of back-channel logout under the public URL.
pub const BACKCHANNEL_PATH: &str = "/oauth2/logout/backchannel";

/// Why a [`Bff`] cannot be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BffError {
    /// The public URL is not usable.
    #[error("the public URL {url} is not usable: {reason}; give the address users open, e.g. https://mva.example.no or http://localhost:8080")]
    PublicUrl {
        /// The URL given.
        url: String,
        /// Why.
        reason: &'static str,
    },
    /// The client's redirect URI is not this server's callback.
    #[error("the client's redirect URI is {found}, but this server receives the callback at {expected}; register {expected} for the client")]
    RedirectUri {
        /// The callback of this server.
        expected: String,
        /// The client's.
        found: String,
    },
    /// The provider settings are not usable.
    #[error(transparent)]
    Provider(#[from] idporten::Error),
    /// The HTTP client for the upstream cannot be built.
    #[error("cannot build the HTTP client for the upstream: {0}")]
    HttpClient(String),
}

/// The methods [`BffConfig::upstream_methods`] allows by default.
pub const DEFAULT_UPSTREAM_METHODS: [http::Method; 6] = [
    http::Method::GET,
    http::Method::HEAD,
    http::Method::POST,
    http::Method::PUT,
    http::Method::PATCH,
    http::Method::DELETE,
];

/// The settings of a [`Bff`] beyond the provider client and the sessions.
#[derive(Debug, Clone)]
pub struct BffConfig {
    /// The address users open (scheme, host, port; no path): `https://mva.example.no`. Must be https, or http on
    /// localhost / 127.0.0.1 (the `__Host-` cookies need a secure context; browsers treat those as one).
    pub public_url: Url,
    /// Sidecar mode: every request outside `/oauth2` is forwarded here, with the session's access token.
    pub upstream: Option<Url>,
    /// The timings of refresh across instances.
    pub refresh: RefreshOptions,
    /// How long the upstream may take to answer. Default 60 s.
    pub upstream_timeout: Duration,
    /// The methods forwarded to the upstream (an allow-list, as RFC 10017 asks of a BFF's proxy); any other gets
    /// 405. Default: GET, HEAD, POST, PUT, PATCH, DELETE (not CONNECT, TRACE, OPTIONS or extension methods).
    pub upstream_methods: Vec<http::Method>,
}

impl BffConfig {
    /// The defaults for a public URL: no upstream, the default refresh timings.
    pub fn new(public_url: Url) -> Self {
        Self {
            public_url,
            upstream: None,
            refresh: RefreshOptions::default(),
            upstream_timeout: Duration::from_secs(60),
            upstream_methods: DEFAULT_UPSTREAM_METHODS.to_vec(),
        }
    }

    /// The client configuration for this server: redirect URI `PUBLIC_URL/oauth2/callback`, post-logout redirect
    /// URI `PUBLIC_URL/oauth2/logout/callback`; set the client authentication (and anything else) on the result.
    pub fn client_config(
        &self,
        issuer: Issuer,
        client_id: ClientId,
    ) -> Result<ClientConfig, BffError> {
        let origin = public_origin(&self.public_url)?;
        let mut config = ClientConfig::new(
            issuer,
            client_id,
            RedirectUri::parse(&format!("{origin}{CALLBACK_PATH}"))?,
        );
        config.post_logout_redirect_uri = Some(RedirectUri::parse(&format!(
            "{origin}{LOGOUT_CALLBACK_PATH}"
        ))?);
        Ok(config)
    }
}

/// The backend-for-frontend: the provider client, the sessions, and the settings. Share it as `Arc<Bff>`.
pub struct Bff {
    web: WebState,
    client: Client,
    public_origin: String,
    upstream: Option<Url>,
    upstream_methods: Vec<http::Method>,
    proxy: reqwest::Client,
    refresh: RefreshOptions,
}

impl std::fmt::Debug for Bff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bff")
            .field("public_origin", &self.public_origin)
            .field("client", &self.client)
            .field("upstream", &self.upstream.as_ref().map(Url::as_str))
            .finish_non_exhaustive()
    }
}

impl Bff {
    /// A BFF for `client` (whose redirect URI must be this server's callback, see [`BffConfig::client_config`]).
    pub fn new(client: Client, sessions: Sessions, config: BffConfig) -> Result<Self, BffError> {
        let origin = public_origin(&config.public_url)?;
        let expected = format!("{origin}{CALLBACK_PATH}");
        if client.config().redirect_uri.as_str() != expected {
            return Err(BffError::RedirectUri {
                expected,
                found: client.config().redirect_uri.as_str().to_owned(),
            });
        }
        let proxy = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.upstream_timeout)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| BffError::HttpClient(e.to_string()))?;
        Ok(Self {
            web: WebState {
                sessions,
                public_origin: origin.clone().into(),
                issuer: client.config().issuer.as_str().into(),
            },
            client,
            public_origin: origin,
            upstream: config.upstream,
            upstream_methods: config.upstream_methods,
            proxy,
            refresh: config.refresh,
        })
    }

    /// The sessions.
    pub fn sessions(&self) -> &Sessions {
        &self.web.sessions
    }

    /// The state of the routes in [`crate::routes`].
    pub fn web_state(&self) -> &WebState {
        &self.web
    }

    /// The provider client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The public origin (`https://mva.example.no`).
    pub fn public_origin(&self) -> &str {
        &self.public_origin
    }

    /// A valid access token for `session`, refreshed first (once across all instances) when it expires within
    /// 30 seconds. Fails with a [`Problem`]: 401 when the session has ended or can no longer get a valid token
    /// (log in again), 503 while the store is unavailable or another instance is still refreshing, 502/504 when
    /// the provider fails.
    pub async fn access_token(&self, session: &Session) -> Result<AccessToken, Problem> {
        Ok(self.fresh_session(session).await?.data.tokens.access_token)
    }

    /// `session` with a valid access token: refreshed when needed (see [`Bff::access_token`]).
    pub async fn fresh_session(&self, session: &Session) -> Result<Session, Problem> {
        let now = OffsetDateTime::now_utc();
        let tokens = &session.data.tokens;
        if !tokens.should_refresh(now) {
            return if tokens.access_valid(now, Duration::ZERO) {
                Ok(session.clone())
            } else {
                Err(Problem::not_logged_in(
                    "the access token has expired and cannot be refreshed; log in again",
                ))
            };
        }
        match self.refresh_session(session).await {
            Ok(refreshed) => Ok(refreshed.session().clone()),
            // The refresh failed but the current token is still good: use it (the next request tries again).
            Err(_)
                if session
                    .data
                    .tokens
                    .access_valid(OffsetDateTime::now_utc(), Duration::ZERO) =>
            {
                Ok(session.clone())
            }
            Err(problem) => Err(problem),
        }
    }

    /// Refreshes `session` now, once across all instances (see [`Sessions::refresh_once`]).
    pub async fn refresh_session(&self, session: &Session) -> Result<Refreshed, Problem> {
        self.web
            .sessions
            .refresh_once(session, &self.refresh, |tokens| {
                redeem::redeem(&self.client, tokens)
            })
            .await
            .map_err(refresh_problem)
    }
}

impl FromRef<Arc<Bff>> for WebState {
    fn from_ref(bff: &Arc<Bff>) -> Self {
        bff.web.clone()
    }
}

fn refresh_problem(e: RefreshError<idporten::Error>) -> Problem {
    match e {
        RefreshError::Store(store) => store.into(),
        RefreshError::SessionGone | RefreshError::NoRefreshToken | RefreshError::Conflict => {
            Problem::not_logged_in(e.to_string())
        }
        RefreshError::Provider(_) => Problem::new(e.status(), "provider_error", e.to_string()),
        RefreshError::Busy(_) => Problem::new(e.status(), "refresh_busy", e.to_string()),
        RefreshError::TimedOut(_) => Problem::new(e.status(), "provider_timeout", e.to_string()),
    }
}

/// Every route of the BFF (health, readiness, session, login, callback, logout, front- and back-channel logout,
/// refresh) and, with an upstream, the proxy for everything else; behind the CSRF guard.
pub fn router(bff: Arc<Bff>) -> Router {
    router_with(bff, Router::new())
}

/// [`router`] plus an application's own routes (e.g. `/api/...`), which take precedence over the proxy and get
/// the CSRF guard too. Their handlers take `State<Arc<Bff>>` and [`CurrentSession`].
pub fn router_with(bff: Arc<Bff>, app: Router<Arc<Bff>>) -> Router {
    let origin: Arc<str> = bff.public_origin.clone().into();
    let oidc = Router::new()
        .route("/oauth2/login", get(login::login))
        .route(CALLBACK_PATH, get(login::callback))
        .route("/oauth2/logout", post(logout::logout))
        .route(LOGOUT_CALLBACK_PATH, get(logout::callback))
        .route(BACKCHANNEL_PATH, post(backchannel::handle))
        .route("/oauth2/session/refresh", post(refresh_route))
        .merge(app)
        .fallback(proxy::proxy)
        .with_state(bff.clone())
        .layer(from_fn_with_state(origin, csrf_guard));
    routes::router(bff.web.clone()).merge(oidc)
}

/// `POST /oauth2/session/refresh`: refresh now (once across instances); the session's metadata.
async fn refresh_route(
    State(bff): State<Arc<Bff>>,
    CurrentSession(session): CurrentSession,
) -> Result<impl IntoResponse, Problem> {
    let refreshed = bff.refresh_session(&session).await?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(SessionInfo::of(refreshed.session())),
    ))
}

/// `https://host[:port]` of a public URL; https, or http on a loopback host.
fn public_origin(url: &Url) -> Result<String, BffError> {
    let bad = |reason| BffError::PublicUrl {
        url: url.to_string(),
        reason,
    };
    let host = url.host_str().ok_or_else(|| bad("it has no host"))?;
    match url.scheme() {
        "https" => {}
        "http" if matches!(host, "localhost" | "127.0.0.1" | "[::1]") => {}
        "http" => {
            return Err(bad(
                "plain http is a secure context only on localhost / 127.0.0.1; use https",
            ))
        }
        _ => return Err(bad("the scheme must be https")),
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it must be an origin only (no path, query or fragment): the routes live at /oauth2/..."));
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_must_be_secure_contexts_and_origins() {
        let origin = |s: &str| public_origin(&Url::parse(s).unwrap());
        assert_eq!(
            origin("https://mva.example.no/").unwrap(),
            "https://mva.example.no"
        );
        assert_eq!(
            origin("http://localhost:8080").unwrap(),
            "http://localhost:8080"
        );
        assert_eq!(origin("http://127.0.0.1:9").unwrap(), "http://127.0.0.1:9");
        assert!(origin("http://mva.example.no").is_err());
        assert!(origin("https://mva.example.no/app").is_err());
        assert!(origin("ftp://x").is_err());
    }
}
