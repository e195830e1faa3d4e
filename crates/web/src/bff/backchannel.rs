//! `POST /oauth2/logout/backchannel` (OpenID Connect Back-Channel Logout 1.0): the provider posts a signed logout
//! token; every session of its `sid` ends on every instance. The token is checked fully: RS256 signature by a key
//! of the provider's JWKS, `iss`, `aud`, `iat` (and `exp` when present), the back-channel `events` member, a `sid`,
//! and no `nonce`.

use super::Bff;
use crate::types::Sid;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use jsonwebtoken::{decode, decode_header, Algorithm, Validation};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

/// The `events` member a logout token must carry.
pub const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// How old a logout token may be (its `iat`), seconds.
const MAX_AGE_SECS: i64 = 5 * 60;

/// The claims of a validated logout token that say whose sessions end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutClaims {
    /// The ID-porten session.
    pub sid: Sid,
    /// The subject, when present.
    pub sub: Option<String>,
}

/// Why a logout token was refused (HTTP 400, nothing ended).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogoutTokenError {
    /// Not a JWT, or a JWT this server does not accept.
    #[error("back-channel logout: the logout token is refused: {0}")]
    Invalid(String),
    /// The provider's keys cannot be had.
    #[error("back-channel logout: the provider's keys cannot be fetched: {0}")]
    Keys(idporten::Error),
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    sid: Option<String>,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    nonce: Option<serde_json::Value>,
    #[serde(default)]
    events: Option<HashMap<String, serde_json::Value>>,
    iat: i64,
}

/// Validates a logout token with the client's provider keys and configuration.
pub async fn validate_logout_token(
    client: &idporten::Client,
    raw: &str,
) -> Result<LogoutClaims, LogoutTokenError> {
    let invalid = |reason: &str| LogoutTokenError::Invalid(reason.to_owned());
    let header = decode_header(raw)
        .map_err(|e| LogoutTokenError::Invalid(format!("not a signed JWT ({e})")))?;
    if header.alg != Algorithm::RS256 {
        return Err(invalid("only RS256 is accepted"));
    }
    let jwks = client
        .jwks()
        .keys_for(header.kid.as_deref())
        .await
        .map_err(LogoutTokenError::Keys)?;
    let key = jwks
        .lookup(header.kid.as_deref())
        .map_err(|e| LogoutTokenError::Invalid(e.to_string()))?;
    let config = client.config();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[config.issuer.as_str()]);
    validation.set_audience(&[config.client_id.as_str()]);
    validation.set_required_spec_claims(&["iss", "aud", "iat"]);
    validation.leeway = config.max_clock_skew_secs.max(0) as u64;
    let claims = decode::<Claims>(raw, key.decoding_key(), &validation)
        .map_err(|e| LogoutTokenError::Invalid(e.to_string()))?
        .claims;
    let now = client.now();
    let skew = config.max_clock_skew_secs;
    if claims.iat > now + skew {
        return Err(invalid("issued in the future"));
    }
    if claims.iat < now - MAX_AGE_SECS - skew {
        return Err(invalid("too old"));
    }
    if claims.nonce.is_some() {
        return Err(invalid("a logout token carries no nonce"));
    }
    match claims
        .events
        .as_ref()
        .and_then(|e| e.get(BACKCHANNEL_EVENT))
    {
        Some(serde_json::Value::Object(_)) => {}
        _ => {
            return Err(invalid(
                "the events claim lacks the back-channel logout event",
            ))
        }
    }
    // Sessions are found by sid; a token naming only a subject cannot be matched to sessions here.
    let sid = claims.sid.filter(|s| !s.is_empty()).ok_or_else(|| {
        invalid("no sid (register the client with backchannel_logout_session_required)")
    })?;
    Ok(LogoutClaims {
        sid: Sid::new(sid),
        sub: claims.sub,
    })
}

#[derive(Deserialize)]
pub(super) struct Body {
    logout_token: String,
}

pub(super) async fn handle(State(bff): State<Arc<Bff>>, Form(body): Form<Body>) -> Response {
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    let claims = match validate_logout_token(bff.client(), &body.logout_token).await {
        Ok(claims) => claims,
        Err(e) => {
            tracing::warn!("{e}");
            let body =
                serde_json::json!({"error": "invalid_request", "error_description": e.to_string()});
            return (StatusCode::BAD_REQUEST, no_store, Json(body)).into_response();
        }
    };
    match bff.sessions().delete_by_sid(&claims.sid).await {
        Ok(ended) => {
            tracing::info!("back-channel logout ended {ended} session(s)");
            (StatusCode::OK, no_store).into_response()
        }
        Err(e) => crate::routes::Problem::from(e).into_response(),
    }
}
