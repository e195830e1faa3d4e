//! `/logout` (end_session_endpoint, GET and POST): ends the single sign-on session, revokes the session's tokens
//! that carry only openid/profile, shows front-channel logout iframes, and redirects back only when the session
//! exists and the hint is valid.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use url::Url;

use crate::authorize::page::logged_out_page;
use crate::authorize::{html, redirect_with, SSO_COOKIE};
use crate::model::Lang;
use crate::SimState;

/// Scopes whose tokens die with the session; tokens with any other scope stay valid until they expire.
pub const SESSION_BOUND_SCOPES: [&str; 2] = ["openid", "profile"];

/// `GET` / `POST /logout`.
pub async fn logout(
    State(state): State<SimState>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let params: Vec<(String, String)> = if method == Method::POST {
        serde_urlencoded::from_bytes(&body).unwrap_or_default()
    } else {
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default()
    };
    let get = |n: &str| {
        params
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let lang = get("ui_locales")
        .and_then(|l| l.split(' ').find_map(Lang::parse))
        .unwrap_or(Lang::Nb);

    // The hint: signed by us, our issuer; its aud names the client (expired hints are fine).
    let hint = get("id_token_hint")
        .and_then(|t| state.keys.verify(t).ok())
        .filter(|c| c["iss"] == state.issuer.as_str());
    let client_id = hint
        .as_ref()
        .and_then(|c| c["aud"].as_str().map(str::to_string))
        .or(get("client_id").map(str::to_string));
    let hint_ok =
        hint.is_some() && get("client_id").is_none_or(|c| Some(c) == client_id.as_deref());

    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(&format!("{SSO_COOKIE}="))
                .map(str::to_string)
        });
    let now = state.clock.now();
    let mut iframes = vec![];
    let mut session_matches = false;
    {
        let mut store = state.store();
        let by_cookie = cookie
            .as_deref()
            .and_then(|c| store.session(c, now).map(|s| s.sid.clone()));
        // A browser that POSTs the logout from the client's site does not send a SameSite=Lax cookie; ID-porten
        // (which recommends POST) still finds the session: here through the valid hint's person and client.
        let by_hint = || {
            let (h, c) = (hint.as_ref().filter(|_| hint_ok)?, client_id.as_ref()?);
            store
                .sessions
                .values()
                .find(|s| s.alive(now) && h["pid"] == s.pid.as_str() && s.clients.contains(c))
                .map(|s| s.sid.clone())
        };
        let sid = by_cookie.or_else(by_hint);
        let session = sid.and_then(|sid| store.sessions.values().find(|s| s.sid == sid).cloned());
        if let Some(session) = session {
            session_matches = hint_ok
                && hint
                    .as_ref()
                    .is_some_and(|h| h["pid"] == session.pid.as_str())
                && client_id
                    .as_ref()
                    .is_some_and(|c| session.clients.contains(c));
            store.sessions.retain(|_, s| s.sid != session.sid);
            for grant in store.grants.values_mut().filter(|g| g.sid == session.sid) {
                if grant
                    .scopes
                    .iter()
                    .all(|s| SESSION_BOUND_SCOPES.contains(&s.as_str()))
                {
                    grant.revoked = true;
                }
            }
            for c in session.clients.iter().filter_map(|c| state.clients.get(c)) {
                if let Some(Ok(mut url)) = c
                    .integration
                    .frontchannel_logout_uri
                    .as_deref()
                    .map(Url::parse)
                {
                    url.query_pairs_mut()
                        .append_pair("iss", &state.issuer)
                        .append_pair("sid", &session.sid);
                    iframes.push(url.to_string());
                }
            }
        }
    }
    let back = get("post_logout_redirect_uri").filter(|uri| {
        client_id
            .as_deref()
            .and_then(|c| state.clients.get(c))
            .is_some_and(|c| c.accepts_post_logout_uri(uri))
    });
    let mut response = match back {
        Some(uri) if session_matches => {
            let mut params = vec![];
            if let Some(s) = get("state") {
                params.push(("state", s));
            }
            if iframes.is_empty() {
                redirect_with(uri, &params, false)
            } else {
                let mut url = Url::parse(uri).expect("registered URIs parse");
                for (k, v) in &params {
                    url.query_pairs_mut().append_pair(k, v);
                }
                html(
                    StatusCode::OK,
                    logged_out_page(lang, &iframes, Some(url.as_str())),
                )
            }
        }
        _ => html(StatusCode::OK, logged_out_page(lang, &iframes, None)),
    };
    if cookie.is_some() {
        let expired = format!("{SSO_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
        response.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_str(&expired).expect("ASCII"),
        );
    }
    response
}
