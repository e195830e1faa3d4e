//! `GET /oauth2/session`: what the page may know about the session. Never a token.

use super::extract::CurrentSession;
use crate::session::Session;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use time::OffsetDateTime;

/// The session's metadata, as JSON.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SessionInfo {
    /// The national identity number with the personal digits masked (`010170*****`).
    pub pid: String,
    /// The level of assurance.
    pub acr: String,
    /// When the user authenticated.
    #[serde(with = "time::serde::rfc3339")]
    pub auth_time: OffsetDateTime,
    /// When the access token expires.
    #[serde(with = "time::serde::rfc3339")]
    pub access_token_expires_at: OffsetDateTime,
    /// Whether the session can refresh its tokens.
    pub refreshable: bool,
    /// When the session ends at the latest.
    #[serde(with = "time::serde::rfc3339")]
    pub session_ends_at: OffsetDateTime,
}

impl SessionInfo {
    /// The metadata of a session.
    pub fn of(session: &Session) -> Self {
        let (tokens, identity) = (&session.data.tokens, &session.data.identity);
        Self {
            pid: identity.pid.to_string(),
            acr: identity.acr.as_str().to_owned(),
            auth_time: identity.auth_time,
            access_token_expires_at: tokens.access_expires_at,
            refreshable: tokens.refresh_token.is_some(),
            session_ends_at: session.ends_at(),
        }
    }
}

pub(super) async fn session(CurrentSession(session): CurrentSession) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(SessionInfo::of(&session)),
    )
}
