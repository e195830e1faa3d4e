//! `/token`: the authorization_code and refresh_token grants.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use idporten::integration::RefreshTokenType;
use serde_json::json;

use super::client_auth::authenticate;
use super::{field, no_store, parse_form, OAuthError};
use crate::clients::Client;
use crate::model::{digest, is_valid_verifier, random_token, s256};
use crate::observe::Stats;
use crate::store::{RefreshEntry, Store};
use crate::tokens::{
    access_token_claims, id_token_claims, pairwise_sub, sign_id_token, ACCESS_TOKEN_TYP,
};
use crate::SimState;

/// `POST /token`.
pub async fn token(State(state): State<SimState>, headers: HeaderMap, body: Bytes) -> Response {
    match handle(&state, &headers, &body) {
        Ok(json) => {
            Stats::bump(&state.stats.tokens_issued);
            no_store(Json(json).into_response())
        }
        Err(e) => e.into_response(),
    }
}

fn handle(
    state: &SimState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Value, OAuthError> {
    let form = parse_form(headers, body)?;
    let grant_type = field(&form, "grant_type")
        .ok_or_else(|| OAuthError::bad("invalid_request", "grant_type is missing"))?;
    if !matches!(grant_type, "authorization_code" | "refresh_token") {
        return Err(OAuthError::bad(
            "unsupported_grant_type",
            format!(
                "grant_type {grant_type} is not supported; use authorization_code or refresh_token"
            ),
        ));
    }
    let (client, _) = authenticate(state, headers, &form, &state.url("/token"))?;
    if grant_type == "authorization_code" {
        code_grant(state, &client, &form)
    } else {
        refresh_grant(state, &client, &form)
    }
}

fn invalid_grant(description: impl Into<String>) -> OAuthError {
    OAuthError::bad("invalid_grant", description)
}

fn code_grant(
    state: &SimState,
    client: &Client,
    form: &[(String, String)],
) -> Result<serde_json::Value, OAuthError> {
    let code =
        field(form, "code").ok_or_else(|| OAuthError::bad("invalid_request", "code is missing"))?;
    let now = state.clock.now();
    let mut store = state.store();
    let key = digest(code);
    let entry = store
        .codes
        .get(&key)
        .cloned()
        .ok_or_else(|| invalid_grant("the authorization code is unknown"))?;
    let grant_client = store
        .grants
        .get(&entry.grant_id)
        .map(|g| g.client_id.clone())
        .unwrap_or_default();
    if grant_client != client.id() {
        return Err(invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    if entry.used {
        store.revoke_grant(entry.grant_id);
        return Err(invalid_grant(
            "the authorization code has been used already; every token issued with it is now revoked",
        ));
    }
    store.codes.get_mut(&key).expect("found above").used = true;
    if entry.expires_at <= now {
        return Err(invalid_grant(
            "the authorization code has expired (codes live 30 seconds)",
        ));
    }
    let redirect_uri = field(form, "redirect_uri").ok_or_else(|| {
        OAuthError::bad(
            "invalid_request",
            "redirect_uri is missing (send the one of the request)",
        )
    })?;
    if redirect_uri != entry.redirect_uri {
        return Err(invalid_grant(
            "redirect_uri is not the one of the authorization request",
        ));
    }
    let verifier = field(form, "code_verifier").ok_or_else(|| {
        OAuthError::bad(
            "invalid_request",
            "code_verifier is missing (PKCE is required)",
        )
    })?;
    if !is_valid_verifier(verifier) {
        return Err(OAuthError::bad(
            "invalid_request",
            "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 4.1)",
        ));
    }
    if s256(verifier) != entry.challenge {
        return Err(invalid_grant(
            "code_verifier does not match the code_challenge (PKCE S256)",
        ));
    }
    if store.grants.get(&entry.grant_id).is_none_or(|g| g.revoked) {
        return Err(invalid_grant("the grant has been revoked"));
    }
    let refresh = if client.integration.allows_refresh() {
        Refresh::New
    } else {
        Refresh::None
    };
    Ok(issue(
        state,
        &mut store,
        entry.grant_id,
        client,
        Some(&entry.nonce),
        None,
        refresh,
    ))
}

fn refresh_grant(
    state: &SimState,
    client: &Client,
    form: &[(String, String)],
) -> Result<serde_json::Value, OAuthError> {
    if !client.integration.allows_refresh() {
        return Err(OAuthError::bad(
            "unauthorized_client",
            format!(
                "client {} is not registered for the refresh_token grant",
                client.id()
            ),
        ));
    }
    let token = field(form, "refresh_token")
        .ok_or_else(|| OAuthError::bad("invalid_request", "refresh_token is missing"))?;
    let now = state.clock.now();
    let mut store = state.store();
    let key = digest(token);
    let entry = store
        .refresh
        .get(&key)
        .cloned()
        .ok_or_else(|| invalid_grant("the refresh token is unknown"))?;
    let grant = store
        .grants
        .get(&entry.grant_id)
        .cloned()
        .ok_or_else(|| invalid_grant("the refresh token is unknown"))?;
    if grant.client_id != client.id() {
        return Err(invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    if entry.spent {
        store.revoke_grant(grant.id);
        return Err(invalid_grant(
            "the refresh token has been used already (one-time refresh tokens); the whole grant is now revoked",
        ));
    }
    if grant.revoked {
        return Err(invalid_grant("the grant has been revoked; log in again"));
    }
    if now >= grant.ends_at {
        return Err(invalid_grant(format!(
            "the grant has reached its maximum lifetime ({} s: the authorization lifetime, at most 8 hours with \
             skatteetaten scopes); log in again",
            crate::authorize::grant_lifetime(client.integration.lifetimes.authorization, &grant.scopes)
        )));
    }
    if now >= entry.expires_at {
        return Err(invalid_grant(format!(
            "the refresh token has expired (idle lifetime {} s); log in again",
            client.integration.lifetimes.refresh_token
        )));
    }
    let scopes = match field(form, "scope") {
        None => None,
        Some(s) => {
            let asked: Vec<String> = s
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            if let Some(extra) = asked.iter().find(|a| !grant.scopes.contains(a)) {
                return Err(OAuthError::bad(
                    "invalid_scope",
                    format!("the scope {extra} was not granted"),
                ));
            }
            Some(asked)
        }
    };
    let refresh = match client.integration.refresh_token_type {
        RefreshTokenType::OneTime => {
            store.refresh.get_mut(&key).expect("found above").spent = true;
            Refresh::New
        }
        RefreshTokenType::Reusable => Refresh::Same(token.to_string()),
    };
    Ok(issue(
        state, &mut store, grant.id, client, None, scopes, refresh,
    ))
}

enum Refresh {
    None,
    New,
    Same(String),
}

fn issue(
    state: &SimState,
    store: &mut Store,
    grant_id: u64,
    client: &Client,
    nonce: Option<&str>,
    scopes: Option<Vec<String>>,
    refresh: Refresh,
) -> serde_json::Value {
    let now = state.clock.now();
    let mut grant = store.grants[&grant_id].clone();
    if let Some(scopes) = scopes {
        grant.scopes = scopes;
    }
    let sub = pairwise_sub(client.id(), &grant.pid, &state.salt);
    let lifetimes = client.integration.lifetimes;
    let exp = (now + lifetimes.access_token as i64).min(grant.ends_at);
    let at_jti = random_token();
    let at_claims = access_token_claims(&state.issuer, &grant, client, &sub, now, exp, &at_jti);
    let access_token = state.keys.active().sign(&at_claims, ACCESS_TOKEN_TYP, None);
    store.access.insert(at_jti, (grant_id, exp));
    let id_claims = id_token_claims(
        &state.issuer,
        &grant,
        client,
        &sub,
        nonce,
        now,
        &random_token(),
    );
    let id_token = sign_id_token(&state.keys, id_claims, state.faults.take_forgery(), now);
    let mut response = json!({
        "access_token": access_token,
        "id_token": id_token,
        "token_type": "Bearer",
        "expires_in": exp - now,
        "scope": grant.scopes.join(" "),
    });
    let refresh_token = match refresh {
        Refresh::None => None,
        Refresh::Same(t) => Some(t),
        Refresh::New => {
            let t = random_token();
            let expires_at = (now + lifetimes.refresh_token as i64).min(grant.ends_at);
            store.refresh.insert(
                digest(&t),
                RefreshEntry {
                    grant_id,
                    expires_at,
                    spent: false,
                },
            );
            Some(t)
        }
    };
    if let Some(t) = refresh_token {
        response["refresh_token"] = json!(t);
    }
    response
}
