//! The end of a login: the SSO session, the grant and the code, and the redirect back; or the cancel.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::request::{AuthError, AuthRequest};
use super::respond::{error_redirect, no_store, redirect_with, SSO_COOKIE};
use super::CODE_LIFETIME;
use crate::faults::CallbackForgery;
use crate::model::{digest, random_token, Level};
use crate::observe::Stats;
use crate::store::{CodeEntry, Grant, SsoSession};
use crate::SimState;

pub(super) fn cancel(state: &SimState, request: &AuthRequest) -> Response {
    let client = state
        .clients
        .get(&request.client_id)
        .expect("checked client");
    if let Some(back) = &client.integration.back_uri {
        let location = HeaderValue::from_str(back).unwrap_or(HeaderValue::from_static("/"));
        return no_store((StatusCode::FOUND, [(header::LOCATION, location)]).into_response());
    }
    error_redirect(
        state,
        AuthError::Redirect {
            redirect_uri: request.redirect_uri.clone(),
            state: Some(request.state.clone()),
            error: "access_denied",
            description: "the user cancelled the login".into(),
            form_post: request.form_post,
        },
    )
}

pub(super) enum Login {
    Fresh {
        pid: String,
        acr: Level,
        old_cookie: Option<String>,
    },
    Sso {
        cookie: String,
    },
}

/// The total lifetime of a grant: the client's authorization lifetime, at most 8 hours with skatteetaten scopes.
pub fn grant_lifetime(authorization: u64, scopes: &[String]) -> i64 {
    let cap = if scopes.iter().any(|s| s.starts_with("skatteetaten:")) {
        idporten::integration::VAT_SCOPE_MAX_LIFETIME_SECS
    } else {
        u64::MAX
    };
    authorization.min(cap).min(i64::MAX as u64) as i64
}

pub(super) fn complete(state: &SimState, request: &AuthRequest, login: Login) -> Response {
    let now = state.clock.now();
    let client = state
        .clients
        .get(&request.client_id)
        .expect("checked client");
    let mut store = state.store();
    let (session, new_cookie) = match login {
        Login::Fresh {
            pid,
            acr,
            old_cookie,
        } => {
            if let Some(old) = old_cookie {
                store.sessions.remove(&digest(&old));
            }
            let cookie = random_token();
            let session = SsoSession {
                sid: random_token(),
                pid,
                acr,
                auth_time: now,
                last_seen: now,
                clients: vec![],
            };
            store.sessions.insert(digest(&cookie), session);
            Stats::bump(&state.stats.logins);
            (digest(&cookie), Some(cookie))
        }
        Login::Sso { cookie } => (digest(&cookie), None),
    };
    let session = store
        .sessions
        .get_mut(&session)
        .expect("session just found or made");
    session.last_seen = now;
    if !session.clients.contains(&request.client_id) {
        session.clients.push(request.client_id.clone());
    }
    let session = session.clone();
    let grant_id = store.add_grant(Grant {
        id: 0,
        client_id: request.client_id.clone(),
        pid: session.pid.clone(),
        acr: session.acr,
        scopes: request.scopes.clone(),
        auth_time: session.auth_time,
        ends_at: now + grant_lifetime(client.integration.lifetimes.authorization, &request.scopes),
        sid: session.sid.clone(),
        locale: request.lang.as_str().into(),
        resource: request.resource.clone(),
        revoked: false,
        refresh_issued: 0,
    });
    let code = random_token();
    store.codes.insert(
        digest(&code),
        CodeEntry {
            grant_id,
            redirect_uri: request.redirect_uri.clone(),
            challenge: request.code_challenge.clone(),
            nonce: request.nonce.clone(),
            expires_at: now + CODE_LIFETIME,
            used: false,
        },
    );
    drop(store);
    let foreign_state = random_token();
    let mut params = vec![
        ("code", code.as_str()),
        ("state", request.state.as_str()),
        ("iss", state.issuer.as_str()),
    ];
    match state.faults.take_callback_forgery() {
        None => {}
        Some(CallbackForgery::ForeignState) => params[1].1 = &foreign_state,
        Some(CallbackForgery::WrongIss) => params[2].1 = "https://not-the-issuer.example",
        Some(CallbackForgery::NoIss) => {
            params.pop();
        }
    }
    let mut response = redirect_with(&request.redirect_uri, &params, request.form_post);
    if let Some(cookie) = new_cookie {
        let value = format!("{SSO_COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Lax");
        response.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_str(&value).expect("token is ASCII"),
        );
    }
    response
}
