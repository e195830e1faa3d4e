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
use crate::store::Store;
use crate::tokens::{
    access_token_claims, id_token_claims, pairwise_sub, sign_id_token, ACCESS_TOKEN_TYP,
};
use crate::SimState;

/// `POST /token`.
pub async fn token(State(state): State<SimState>, headers: HeaderMap, body: Bytes) -> Response {
    match handle(&state, &headers, &body) {
        Ok(unsigned) => {
            let json = unsigned.sign(&state);
            Stats::bump(&state.stats.tokens_issued);
            no_store(Json(json).into_response())
        }
        Err(e) => e.into_response(),
    }
}

fn handle(state: &SimState, headers: &HeaderMap, body: &[u8]) -> Result<Unsigned, OAuthError> {
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
) -> Result<Unsigned, OAuthError> {
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
) -> Result<Unsigned, OAuthError> {
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
    let Some(entry) = store.refresh.get(&key).cloned() else {
        let Some(grant_id) = store.spent_refresh_grant(token) else {
            return Err(invalid_grant("the refresh token is unknown"));
        };
        if store.grants[&grant_id].client_id != client.id() {
            return Err(invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        store.revoke_grant(grant_id);
        return Err(invalid_grant(
            "the refresh token has been used already (one-time refresh tokens); the whole grant is now revoked",
        ));
    };
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
            // Spent: forgotten here, recognised later by its sequence number (Store::spent_refresh_grant).
            store.refresh.remove(&key);
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

/// A token response whose store changes are made and whose two JWTs are still to be signed: signing (the RSA
/// private-key operations, nearly all of a response's cost) happens after the store's lock is released, so that
/// token requests sign in parallel on every core.
pub(crate) struct Unsigned {
    at_claims: serde_json::Value,
    id_claims: serde_json::Value,
    forgery: Option<crate::faults::Forgery>,
    now: i64,
    response: serde_json::Value,
}

impl Unsigned {
    /// Signs the access token and the ID token (with the key that signs now) and returns the response body.
    fn sign(self, state: &SimState) -> serde_json::Value {
        let key = state.keys.active();
        let mut response = self.response;
        response["access_token"] = json!(key.sign(&self.at_claims, ACCESS_TOKEN_TYP, None));
        response["id_token"] = json!(sign_id_token(&key, self.id_claims, self.forgery, self.now));
        response
    }
}

/// Records the access token (and the new refresh token) in the store and returns the response to sign.
fn issue(
    state: &SimState,
    store: &mut Store,
    grant_id: u64,
    client: &Client,
    nonce: Option<&str>,
    scopes: Option<Vec<String>>,
    refresh: Refresh,
) -> Unsigned {
    let now = state.clock.now();
    let mut grant = store.grants[&grant_id].clone();
    if let Some(scopes) = scopes {
        grant.scopes = scopes;
    }
    let sub = pairwise_sub(client.id(), &grant.pid, &state.salt);
    let lifetimes = client.integration.lifetimes;
    let exp = (now + lifetimes.access_token as i64).min(grant.ends_at);
    let at_jti = Store::access_jti(grant_id);
    let at_claims = access_token_claims(&state.issuer, &grant, client, &sub, now, exp, &at_jti);
    let id_claims = id_token_claims(
        &state.issuer,
        &grant,
        client,
        &sub,
        nonce,
        now,
        &random_token(),
    );
    let mut response = json!({
        "token_type": "Bearer",
        "expires_in": exp - now,
        "scope": grant.scopes.join(" "),
    });
    let refresh_token = match refresh {
        Refresh::None => None,
        Refresh::Same(t) => Some(t),
        Refresh::New => {
            let expires_at = (now + lifetimes.refresh_token as i64).min(grant.ends_at);
            Some(store.issue_refresh(grant_id, expires_at))
        }
    };
    if let Some(t) = refresh_token {
        response["refresh_token"] = json!(t);
    }
    Unsigned {
        at_claims,
        id_claims,
        forgery: state.faults.take_forgery(),
        now,
        response,
    }
}
