//! `/par`: pushed authorization requests (RFC 9126).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::client_auth::authenticate;
use super::{no_store, parse_form, OAuthError};
use crate::authorize::{check_request, AuthError};
use crate::model::random_token;
use crate::store::ParEntry;
use crate::SimState;

/// How long a request_uri lives, seconds.
pub const PAR_LIFETIME: i64 = 120;

/// `POST /par`.
pub async fn par(State(state): State<SimState>, headers: HeaderMap, body: Bytes) -> Response {
    match handle(&state, &headers, &body) {
        Ok(json) => no_store((StatusCode::CREATED, Json(json)).into_response()),
        Err(e) => e.into_response(),
    }
}

fn handle(
    state: &SimState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Value, OAuthError> {
    let form = parse_form(headers, body)?;
    let (client, _) = authenticate(state, headers, &form, &state.url("/par"))?;
    if form.iter().any(|(k, _)| k == "request_uri") {
        return Err(OAuthError::bad(
            "invalid_request",
            "request_uri must not be sent to /par",
        ));
    }
    let params: Vec<(String, String)> = form
        .into_iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "client_secret" | "client_assertion" | "client_assertion_type"
            )
        })
        .chain(std::iter::once((
            "client_id".to_string(),
            client.id().to_string(),
        )))
        .fold(vec![], |mut acc, (k, v)| {
            if !acc.iter().any(|(a, _): &(String, String)| *a == k) {
                acc.push((k, v));
            }
            acc
        });
    if let Err(e) = check_request(&params, &state.clients, state.settings.headless_login) {
        return Err(match e {
            AuthError::Page(message) => OAuthError::bad("invalid_request", message),
            AuthError::Redirect {
                error, description, ..
            } => OAuthError::bad(error, description),
        });
    }
    let request_uri = format!("urn:idporten:{}", random_token());
    let expires_at = state.clock.now() + PAR_LIFETIME;
    state.store().par.insert(
        request_uri.clone(),
        ParEntry {
            client_id: client.id().to_string(),
            params,
            expires_at,
        },
    );
    Ok(serde_json::json!({"request_uri": request_uri, "expires_in": PAR_LIFETIME}))
}
