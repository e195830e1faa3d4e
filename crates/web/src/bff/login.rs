//! `GET /oauth2/login?redirect=/path&level=...&locale=...&prompt=login` and `GET /oauth2/callback`: the
//! authorization code flow with PKCE, state, nonce and RFC 9207 `iss`, one sealed login-state cookie per flow (two
//! tabs can log in at once).
//!
//! `level` (`idporten-loa-substantial`, `idporten-loa-high`) asks for a level of assurance, which the callback then
//! demands of the ID token's `acr`; `locale` (`nb`, `nn`, `en`, `se`) sets the language of ID-porten's pages;
//! `prompt=login` asks for a new login even with a live ID-porten session, and the callback refuses an ID token
//! whose `auth_time` is older than the login link.

use super::pages::{cookie_value, error_page, is_navigation};
use super::Bff;
use crate::cookie::CookieAttributes;
use crate::login_state::{
    clear_login_state, login_cookie_name, open_login_state, seal_login_state,
};
use crate::return_path::ReturnPath;
use crate::routes::session_cookie_value;
use crate::session::{Identity, SessionData, Tokens};
use crate::types::{AccessToken, Acr, IdToken, RefreshToken, Sid};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use idporten::authorization::check_granted_scope;
use idporten::{check_callback, AcrLevel, AuthorizationRequest, LoginOptions, Nonce, PkceVerifier};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use time::OffsetDateTime;

/// What the callback needs from the login that started the flow; sealed in the flow's own cookie.
#[derive(Serialize, Deserialize)]
struct LoginState {
    state: idporten::State,
    nonce: Nonce,
    verifier: PkceVerifier,
    acr: AcrLevel,
    redirect: ReturnPath,
    /// With `prompt=login`: when the login started (Unix seconds); the person must have logged in after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fresh_after: Option<i64>,
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

pub(super) async fn login(
    State(bff): State<Arc<Bff>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs = query_pairs(query.as_deref());
    let redirect = match pairs.iter().find(|(k, _)| k == "redirect") {
        None => ReturnPath::root(),
        Some((_, value)) => match ReturnPath::parse(value) {
            Ok(path) => path,
            Err(e) => {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    "Cannot log in from this link",
                    &e.to_string(),
                )
            }
        },
    };
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let options = match LoginOptions::parse(param("level"), param("locale"), param("prompt")) {
        Ok(options) => options,
        Err(e) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Cannot log in from this link",
                &e.to_string(),
            )
        }
    };
    if !is_navigation(&headers) {
        // A fetch cannot follow a login through ID-porten's pages: tell the page where to send the person.
        let location = format!("/oauth2/login?{}", login_query(&redirect, &options));
        let body = serde_json::json!({
            "error": "login_required",
            "message": "log in by navigating the page (not a fetch) to location",
            "location": location,
        });
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(body),
        )
            .into_response();
    }
    let client = bff.client();
    let request = match client
        .authorization_request_with(&client.config().redirect_uri, &options)
        .await
    {
        Ok(request) => request,
        Err(e) => {
            tracing::warn!("login: the authorization request failed: {e}");
            return error_page(
                StatusCode::BAD_GATEWAY,
                "ID-porten cannot be reached",
                &e.to_string(),
            );
        }
    };
    let state = LoginState {
        state: request.state.clone(),
        nonce: request.nonce,
        verifier: request.pkce_verifier,
        acr: request.acr,
        redirect,
        fresh_after: options
            .prompt_login
            .then(|| OffsetDateTime::now_utc().unix_timestamp()),
    };
    let cookie = match seal_login_state(
        bff.sessions().keys(),
        state.state.as_str(),
        &state,
        OffsetDateTime::now_utc(),
    ) {
        Ok(cookie) => cookie,
        Err(e) => {
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Cannot log in",
                &e.to_string(),
            )
        }
    };
    let mut response = (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, request.url.as_str())],
    )
        .into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        h.append(header::SET_COOKIE, value);
    }
    response
}

/// The query of the login link that asks for the same login: `redirect` and the choices made.
fn login_query(redirect: &ReturnPath, options: &LoginOptions) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("redirect", redirect.as_str());
    if let Some(acr) = options.acr {
        query.append_pair("level", acr.as_str());
    }
    if let Some(locale) = options.ui_locale {
        query.append_pair("locale", locale.as_str());
    }
    if options.prompt_login {
        query.append_pair("prompt", "login");
    }
    query.finish()
}

pub(super) async fn callback(
    State(bff): State<Arc<Bff>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs = query_pairs(query.as_deref());
    let Some(state) = pairs
        .iter()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.clone())
    else {
        return not_this_login();
    };
    let name = login_cookie_name(&state);
    let Some(value) = cookie_value(&headers, &name) else {
        return not_this_login();
    };
    let opened: Result<LoginState, _> = open_login_state(
        bff.sessions().keys(),
        &state,
        value,
        OffsetDateTime::now_utc(),
    );
    let mut response = match opened {
        Err(_) => not_this_login(),
        Ok(login) => finish(&bff, &headers, &pairs, login).await,
    };
    // Whatever happened, this flow is over: a replayed callback finds no login state.
    if let Ok(value) = HeaderValue::from_str(&clear_login_state(&state)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn not_this_login() -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        "This login is not in progress",
        "The answer from ID-porten does not belong to a login started in this browser (an old tab, a login that \
         was already finished, or a link from somewhere else). Nothing was changed; log in again.",
    )
}

async fn finish(
    bff: &Bff,
    headers: &HeaderMap,
    pairs: &[(String, String)],
    login: LoginState,
) -> Response {
    let client = bff.client();
    let config = client.config();
    let iss_required = client
        .metadata()
        .authorization_response_iss_parameter_supported;
    let answer = match check_callback(pairs, &login.state, &config.issuer, iss_required) {
        Ok(answer) => answer,
        Err(idporten::Error::LoginCancelled) => {
            return error_page(
                StatusCode::OK,
                "Login cancelled",
                "The login was cancelled in ID-porten. Nothing was changed.",
            )
        }
        Err(e) => return error_page(StatusCode::BAD_REQUEST, "The login failed", &e.to_string()),
    };
    let request = AuthorizationRequest {
        url: config.redirect_uri.url().clone(),
        state: login.state,
        nonce: login.nonce,
        pkce_verifier: login.verifier,
        redirect_uri: config.redirect_uri.clone(),
        acr: login.acr,
        pushed: false,
    };
    let tokens = match client.exchange_code(&answer.code, &request).await {
        Ok(tokens) => tokens,
        Err(e) => {
            tracing::warn!("callback: the code exchange failed: {e}");
            return error_page(StatusCode::BAD_GATEWAY, "The login failed", &e.to_string());
        }
    };
    if let Err(e) = check_granted_scope(&config.scope(), &tokens.scope) {
        return error_page(
            StatusCode::FORBIDDEN,
            "The login lacks a permission",
            &e.to_string(),
        );
    }
    if let Some(started) = login.fresh_after {
        if tokens.authenticated_at() < started - config.max_clock_skew_secs {
            return error_page(
                StatusCode::BAD_GATEWAY,
                "The login was not renewed",
                "A new login was asked for (prompt=login), but ID-porten answered with an earlier one (its                  auth_time is older than the login link). Nothing was changed; try again.",
            );
        }
    }
    let claims = &tokens.id_claims;
    let Some(pid) = claims.pid.clone() else {
        return error_page(
            StatusCode::BAD_GATEWAY,
            "The login failed",
            "the ID token names no person (no pid claim)",
        );
    };
    let at = |secs: i64| {
        OffsetDateTime::from_unix_timestamp(secs).unwrap_or_else(|_| OffsetDateTime::now_utc())
    };
    let data = SessionData::new(
        Tokens {
            access_token: AccessToken::new(tokens.access_token.secret()),
            access_expires_at: at(tokens.access_expires_at),
            refresh_token: tokens
                .refresh_token
                .as_ref()
                .map(|t| RefreshToken::new(t.secret())),
            id_token: Some(IdToken::new(tokens.id_token.secret())),
            scope: tokens.scope.clone(),
        },
        Identity {
            pid: pid.clone(),
            acr: Acr::new(
                claims
                    .acr
                    .clone()
                    .unwrap_or_else(|| login.acr.as_str().to_owned()),
            ),
            auth_time: at(tokens.authenticated_at()),
            sid: claims.sid.clone().map(Sid::new),
        },
    );
    // A new login replaces this browser's previous session, if any.
    if let Some(old) =
        session_cookie_value(headers).and_then(|v| bff.sessions().open_cookie(v).ok())
    {
        if let Err(e) = bff.sessions().delete(&old).await {
            tracing::warn!("callback: the previous session could not be ended: {e}");
        }
    }
    let (_, cookie) = match bff.sessions().create(data).await {
        Ok(created) => created,
        Err(e) => return super::pages::problem_for(e.into(), true),
    };
    tracing::info!("login: a session was started");
    let mut response = (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, login.redirect.as_str())],
    )
        .into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(
        &CookieAttributes.set_cookie(&cookie, bff.sessions().limits().absolute()),
    ) {
        h.append(header::SET_COOKIE, value);
    }
    response
}
