//! The BFF's HTTP routes that need no OpenID Connect client: health, readiness, the session's metadata, and
//! front-channel logout; the CSRF guard; and [`CurrentSession`], the extractor a Rust application uses to read
//! the session. Login, callback, logout and refresh routes build on the `idporten` core and come with `mva serve`.

mod csrf;
mod extract;
mod frontchannel;
mod health;
mod problem;
mod session_info;

pub use csrf::{csrf_guard, API_REQUEST_HEADER};
pub use extract::{session_cookie_value, CurrentSession};
pub use problem::Problem;
pub use session_info::SessionInfo;

use crate::sessions::Sessions;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

/// What the routes share.
#[derive(Debug, Clone)]
pub struct WebState {
    /// The sessions.
    pub sessions: Sessions,
    /// The address users see, scheme and authority only (`https://mva.example.no`): the one `Origin` that may
    /// change state.
    pub public_origin: Arc<str>,
    /// The provider's issuer (`https://test.idporten.no`): front-channel logout must name it as `iss`.
    pub issuer: Arc<str>,
}

/// The routes of this module, behind the CSRF guard. An application that adds routes of its own puts the guard
/// on them too: `.layer(axum::middleware::from_fn_with_state(origin, csrf_guard))`.
pub fn router(state: WebState) -> Router {
    let origin = state.public_origin.clone();
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/oauth2/session", get(session_info::session))
        .route("/oauth2/logout/frontchannel", get(frontchannel::logout))
        .with_state(state)
        .layer(from_fn_with_state(origin, csrf_guard))
}
