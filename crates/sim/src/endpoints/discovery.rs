//! Discovery (`/.well-known/openid-configuration`) and the JWKS (`/jwks.json`).

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::model::{ACR_VALUES, UI_LOCALES};
use crate::SimState;

/// The discovery document, with the fields of ID-porten's test environment.
pub fn discovery_document(state: &SimState) -> Value {
    let auth_methods = idporten::ClientAuthMethod::NAMES;
    json!({
        "issuer": state.issuer,
        "authorization_endpoint": state.url("/authorize"),
        "pushed_authorization_request_endpoint": state.url("/par"),
        "token_endpoint": state.url("/token"),
        "end_session_endpoint": state.url("/logout"),
        "revocation_endpoint": state.url("/revoke"),
        "introspection_endpoint": state.url("/introspect"),
        "userinfo_endpoint": state.url("/userinfo"),
        "jwks_uri": state.url("/jwks.json"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post", "query.jwt", "form_post.jwt"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["pairwise"],
        "scopes_supported": ["openid", "profile"],
        "claims_supported": ["iss", "aud", "sub", "pid", "acr", "amr", "nonce", "locale", "sid", "auth_time",
                             "iat", "exp", "jti"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "ui_locales_supported": UI_LOCALES,
        "prompt_values_supported": ["consent", "login", "none"],
        "acr_values_supported": ACR_VALUES,
        "id_token_signing_alg_values_supported": ["RS256"],
        "authorization_response_iss_parameter_supported": true,
        "frontchannel_logout_supported": true,
        "frontchannel_logout_session_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "require_pushed_authorization_requests": false,
    })
}

/// `GET /.well-known/openid-configuration`.
pub async fn discovery(State(state): State<SimState>) -> Json<Value> {
    Json(discovery_document(&state))
}

/// `GET /jwks.json`.
pub async fn jwks(State(state): State<SimState>) -> Json<Value> {
    Json(state.keys.jwks())
}
