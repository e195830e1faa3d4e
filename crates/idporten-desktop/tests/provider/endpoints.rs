//! The provider's endpoints: discovery, JWKS, authorize, PAR, token, revocation, end session.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::client_check::authenticate_client;
use super::tokens::id_token;
use super::{Grant, Inner};

type Shared = State<Arc<Inner>>;

pub fn app(inner: Arc<Inner>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks.json", get(jwks))
        .route("/authorize", get(authorize))
        .route("/par", post(par))
        .route("/token", post(token))
        .route("/revoke", post(revoke))
        .route("/logout", post(end_session))
        .with_state(inner)
}

pub(super) fn pairs(text: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

pub(super) fn one<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut it = form.iter().filter(|(k, _)| k == name);
    match (it.next(), it.next()) {
        (Some((_, v)), None) => Some(v),
        _ => None,
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

async fn discovery(State(s): Shared) -> Json<Value> {
    s.seen.discovery.fetch_add(1, Ordering::SeqCst);
    let k = s.knobs.lock().unwrap().clone();
    let base = &s.issuer;
    let mut doc = json!({
        "issuer": k.discovery_issuer.clone().unwrap_or_else(|| base.clone()),
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks.json"),
        "end_session_endpoint": format!("{base}/logout"),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "authorization_response_iss_parameter_supported": k.advertise_iss.unwrap_or(k.iss_in_callback),
        "a_field_this_client_does_not_know": {"x": 1}
    });
    if k.par {
        doc["pushed_authorization_request_endpoint"] = json!(format!("{base}/par"));
    }
    if k.revocation {
        doc["revocation_endpoint"] = json!(format!("{base}/revoke"));
    }
    Json(doc)
}

async fn jwks(State(s): Shared) -> Json<Value> {
    s.seen.jwks.fetch_add(1, Ordering::SeqCst);
    Json(s.jwks.lock().unwrap().clone())
}

fn check_authorization_params(s: &Inner, q: &[(String, String)]) -> Result<Grant, String> {
    let get = |n: &str| one(q, n).ok_or(format!("{n} missing or repeated"));
    if get("response_type")? != "code" {
        return Err("response_type".into());
    }
    if get("client_id")? != s.client_id {
        return Err("unknown client".into());
    }
    if get("code_challenge_method")? != "S256" {
        return Err("PKCE S256 required".into());
    }
    let challenge = get("code_challenge")?;
    if challenge.len() != 43 || challenge.contains('=') {
        return Err("bad code_challenge".into());
    }
    let scope = get("scope")?;
    if !scope.split(' ').any(|x| x == "openid") {
        return Err("openid scope missing".into());
    }
    get("state")?;
    Ok(Grant {
        client_id: s.client_id.clone(),
        redirect_uri: get("redirect_uri")?.to_string(),
        challenge: challenge.to_string(),
        nonce: get("nonce")?.to_string(),
        scope: {
            let withheld = s.knobs.lock().unwrap().withheld_scopes.clone();
            scope
                .split(' ')
                .filter(|x| !withheld.iter().any(|w| w == x))
                .collect::<Vec<_>>()
                .join(" ")
        },
        sub: "pairwise-sub-1".into(),
    })
}

/// GET /authorize: a logged-in user who consents at once. Redirects to the redirect URI with code, state, iss.
async fn authorize(State(s): Shared, RawQuery(query): RawQuery) -> Response {
    s.seen.authorize.fetch_add(1, Ordering::SeqCst);
    let mut q = pairs(query.as_deref().unwrap_or(""));
    if let Some(request_uri) = one(&q, "request_uri") {
        let pushed = s.par_requests.lock().unwrap().remove(request_uri);
        match pushed {
            Some(params) if one(&q, "client_id") == one(&params, "client_id") => q = params,
            _ => return (StatusCode::BAD_REQUEST, "unknown request_uri").into_response(),
        }
    } else if s.knobs.lock().unwrap().par {
        // Like a provider that requires PAR once it offers it to this client.
        return (StatusCode::BAD_REQUEST, "this client must use PAR").into_response();
    }
    let grant = match check_authorization_params(&s, &q) {
        Ok(g) => g,
        Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
    };
    let code = s.next_id("code");
    let mut location = url::Url::parse(&grant.redirect_uri).unwrap();
    {
        let mut qp = location.query_pairs_mut();
        qp.append_pair("code", &code)
            .append_pair("state", one(&q, "state").unwrap());
        if s.knobs.lock().unwrap().iss_in_callback {
            qp.append_pair("iss", &s.issuer);
        }
    }
    s.codes.lock().unwrap().insert(code, grant);
    (StatusCode::FOUND, [("location", location.to_string())]).into_response()
}

/// POST /par (RFC 9126).
async fn par(State(s): Shared, headers: HeaderMap, body: String) -> Response {
    s.seen.par.fetch_add(1, Ordering::SeqCst);
    let form = pairs(&body);
    *s.seen.last_par.lock().unwrap() = Some(form.clone());
    if let Err(why) = authenticate_client(&s, &headers, &form) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", &why);
    }
    if let Err(e) = check_authorization_params(&s, &form) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &e);
    }
    let request_uri = format!("urn:idporten:{}", s.next_id("par"));
    s.par_requests
        .lock()
        .unwrap()
        .insert(request_uri.clone(), form);
    (
        StatusCode::CREATED,
        Json(json!({"request_uri": request_uri, "expires_in": 120})),
    )
        .into_response()
}

/// POST /token: authorization_code and refresh_token grants.
async fn token(State(s): Shared, headers: HeaderMap, body: String) -> Response {
    let form = pairs(&body);
    *s.seen.last_token_request.lock().unwrap() = Some((
        headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        form.clone(),
    ));
    let knobs = s.knobs.lock().unwrap().clone();
    if let Some(status) = knobs.token_status {
        return (
            StatusCode::from_u16(status).unwrap(),
            "<html>internal error</html>",
        )
            .into_response();
    }
    if let Err(why) = authenticate_client(&s, &headers, &form) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", &why);
    }
    let bad_grant = |why: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", why);
    match one(&form, "grant_type") {
        Some("authorization_code") => {
            let Some(grant) = one(&form, "code").and_then(|c| s.codes.lock().unwrap().remove(c))
            else {
                return bad_grant("unknown or used code");
            };
            if one(&form, "redirect_uri") != Some(&grant.redirect_uri) {
                return bad_grant("redirect_uri differs");
            }
            let verifier = one(&form, "code_verifier").unwrap_or("");
            let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(Sha256::digest(verifier.as_bytes()));
            if !(43..=128).contains(&verifier.len()) || challenge != grant.challenge {
                return bad_grant("PKCE verification failed");
            }
            s.seen.code_grants.fetch_add(1, Ordering::SeqCst);
            let id = id_token(&s, &grant, Some(&grant.nonce), false);
            issue(&s, &knobs, grant, Some(id))
        }
        Some("refresh_token") => {
            if knobs.refresh_delay_ms > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(knobs.refresh_delay_ms)).await;
            }
            let token = one(&form, "refresh_token").unwrap_or("").to_string();
            let grant = {
                let mut map = s.refresh_tokens.lock().unwrap();
                if knobs.one_time_refresh {
                    map.remove(&token)
                } else {
                    map.get(&token).cloned()
                }
            };
            let Some(grant) = grant else {
                return bad_grant("refresh token unknown, used or revoked");
            };
            s.seen.refreshes.fetch_add(1, Ordering::SeqCst);
            let id = id_token(&s, &grant, None, true);
            if knobs.one_time_refresh {
                issue(&s, &knobs, grant, Some(id))
            } else {
                let mut answer = json!({
                    "access_token": s.next_id("at"), "token_type": "Bearer",
                    "expires_in": knobs.expires_in, "scope": grant.scope, "id_token": id
                });
                answer.as_object_mut().unwrap().remove("refresh_token");
                Json(answer).into_response()
            }
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type",
        ),
    }
}

fn issue(s: &Inner, knobs: &super::Knobs, grant: Grant, id_token: Option<String>) -> Response {
    let mut answer = json!({
        "access_token": s.next_id("at"), "token_type": "Bearer", "expires_in": knobs.expires_in, "scope": grant.scope
    });
    if let Some(id) = id_token {
        answer["id_token"] = json!(id);
    }
    if knobs.issue_refresh_tokens {
        let rt = s.next_id("rt");
        s.refresh_tokens.lock().unwrap().insert(rt.clone(), grant);
        answer["refresh_token"] = json!(rt);
    }
    Json(answer).into_response()
}

/// POST /revoke (RFC 7009): revoking a refresh token ends the grant.
async fn revoke(State(s): Shared, headers: HeaderMap, body: String) -> Response {
    let form = pairs(&body);
    if let Err(why) = authenticate_client(&s, &headers, &form) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", &why);
    }
    let token = one(&form, "token").unwrap_or("").to_string();
    let hint = one(&form, "token_type_hint").unwrap_or("").to_string();
    s.refresh_tokens.lock().unwrap().remove(&token);
    s.seen.revocations.lock().unwrap().push((token, hint));
    StatusCode::OK.into_response()
}

/// POST /logout: redirects to the post-logout redirect URI with the state.
async fn end_session(State(s): Shared, body: String) -> Response {
    let form = pairs(&body);
    s.seen.end_sessions.lock().unwrap().push(form.clone());
    if one(&form, "id_token_hint").is_none() || one(&form, "client_id") != Some(&s.client_id) {
        return (
            StatusCode::BAD_REQUEST,
            "id_token_hint and client_id required",
        )
            .into_response();
    }
    match (one(&form, "post_logout_redirect_uri"), one(&form, "state")) {
        (Some(uri), Some(state)) => {
            let mut url = url::Url::parse(uri).unwrap();
            url.query_pairs_mut().append_pair("state", state);
            (StatusCode::FOUND, [("location", url.to_string())]).into_response()
        }
        _ => (StatusCode::OK, "<html>Du er logget ut</html>").into_response(),
    }
}
