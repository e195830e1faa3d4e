//! `/userinfo` (Bearer), `/revoke` (RFC 7009) and `/introspect` (RFC 7662).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::client_auth::authenticate;
use super::{field, no_store, parse_form, OAuthError};
use crate::clients::INTROSPECTION_SCOPE;
use crate::model::digest;
use crate::observe::Stats;
use crate::store::Store;
use crate::tokens::pairwise_sub;
use crate::verifier::SimVerifier;
use crate::SimState;

fn bearer_error(description: &str) -> Response {
    let value = format!("Bearer error=\"invalid_token\", error_description=\"{description}\"");
    let mut r = no_store(
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_token", "error_description": description})),
        )
            .into_response(),
    );
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("Bearer")),
    );
    r
}

/// `GET` or `POST /userinfo` with `Authorization: Bearer <access token>`: `{sub, pid, locale}`.
pub async fn userinfo(State(state): State<SimState>, headers: HeaderMap) -> Response {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return bearer_error(
            "send the access token in the Authorization header (Bearer); never in the URL",
        );
    };
    let verified = match SimVerifier(state.clone()).check(token.trim()) {
        Ok(v) => v,
        Err(why) => return bearer_error(why),
    };
    if !verified.scopes.iter().any(|s| s == "openid") {
        return bearer_error("the token does not carry the openid scope");
    }
    let locale = {
        let store = state.store();
        let claims =
            crate::endpoints::client_auth::unverified_claims(token.trim()).unwrap_or_default();
        claims["jti"]
            .as_str()
            .and_then(|j| store.access_grant(j))
            .map(|g| g.locale.clone())
            .unwrap_or_else(|| "nb".into())
    };
    let sub = pairwise_sub(&verified.client_id, &verified.pid, &state.salt);
    no_store(Json(json!({"sub": sub, "pid": verified.pid, "locale": locale})).into_response())
}

/// The grant a token (access token or refresh token) belongs to.
fn grant_of(state: &SimState, store: &Store, token: &str) -> Option<u64> {
    if let Some(entry) = store.refresh.get(&digest(token)) {
        return Some(entry.grant_id);
    }
    if let Some(id) = store.spent_refresh_grant(token) {
        return Some(id);
    }
    state.keys.verify(token).ok()?["jti"]
        .as_str()
        .and_then(|j| store.access_grant(j))
        .map(|g| g.id)
}

/// `POST /revoke`: revokes every token of the grant the token belongs to, for the authenticated client. Unknown
/// tokens are answered 200, as RFC 7009 2.2 says.
pub async fn revoke(State(state): State<SimState>, headers: HeaderMap, body: Bytes) -> Response {
    let result = (|| {
        let form = parse_form(&headers, &body)?;
        let (client, _) = authenticate(&state, &headers, &form, &state.url("/revoke"))?;
        let token = field(&form, "token")
            .ok_or_else(|| OAuthError::bad("invalid_request", "token is missing"))?;
        if let Some(hint) = field(&form, "token_type_hint") {
            if !matches!(hint, "access_token" | "refresh_token") {
                return Err(OAuthError::bad(
                    "unsupported_token_type",
                    format!("token_type_hint {hint} is not supported"),
                ));
            }
        }
        let mut store = state.store();
        if let Some(id) = grant_of(&state, &store, token) {
            if store
                .grants
                .get(&id)
                .is_some_and(|g| g.client_id == client.id())
            {
                store.revoke_grant(id);
                Stats::bump(&state.stats.revocations);
            }
        }
        Ok(())
    })();
    match result {
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(e) => e.into_response(),
    }
}

/// `POST /introspect`: RFC 7662, for clients granted the scope `idporten:tokeninfo`.
pub async fn introspect(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = (|| {
        let form = parse_form(&headers, &body)?;
        let (client, _) = authenticate(&state, &headers, &form, &state.url("/introspect"))?;
        if !client.has_scope(INTROSPECTION_SCOPE) {
            return Err(OAuthError::client(format!(
                "Client {} may not introspect tokens: it needs the scope {INTROSPECTION_SCOPE}",
                client.id()
            )));
        }
        let token = field(&form, "token")
            .ok_or_else(|| OAuthError::bad("invalid_request", "token is missing"))?;
        let now = state.clock.now();
        let store = state.store();
        if let Some(entry) = store.refresh.get(&digest(token)) {
            let Some(grant) = store.grants.get(&entry.grant_id) else {
                return Ok(json!({"active": false}));
            };
            if grant.revoked || now >= entry.expires_at || now >= grant.ends_at {
                return Ok(json!({"active": false}));
            }
            return Ok(
                json!({"active": true, "token_type": "refresh_token", "client_id": grant.client_id,
                "scope": grant.scopes.join(" "), "exp": entry.expires_at, "iss": state.issuer,
                "sub": pairwise_sub(&grant.client_id, &grant.pid, &state.salt)}),
            );
        }
        drop(store);
        match SimVerifier(state.clone()).check(token) {
            Err(_) => Ok(json!({"active": false})),
            Ok(_) => {
                let mut claims = state.keys.verify(token).unwrap_or_default();
                claims["active"] = json!(true);
                claims["token_type"] = json!("Bearer");
                Ok(claims)
            }
        }
    })();
    match result {
        Ok(json) => no_store(Json(json).into_response()),
        Err(e) => e.into_response(),
    }
}
