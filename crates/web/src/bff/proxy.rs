//! Sidecar mode: every request outside `/oauth2` goes to the upstream, with `Authorization: Bearer <access token>`
//! when the browser has a session (refreshed first when near expiry). The client's own `Authorization` and
//! `Cookie` headers never reach the upstream. While the session store is unavailable nothing is forwarded (503,
//! never an anonymous pass-through).

use super::pages::{is_navigation, problem_for};
use super::Bff;
use crate::cookie::CookieAttributes;
use crate::routes::{session_cookie_value, Problem};
use crate::store::StoreError;
use crate::types::AccessToken;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Headers of one hop only (RFC 9110 7.6.1), never forwarded either way.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

pub(super) async fn proxy(State(bff): State<Arc<Bff>>, request: Request) -> Response {
    let path = request.uri().path();
    let Some(upstream) = bff
        .upstream
        .as_ref()
        .filter(|_| path != "/oauth2" && !path.starts_with("/oauth2/"))
    else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, "no-store")],
            "not found\n",
        )
            .into_response();
    };
    if !bff.upstream_methods.contains(request.method()) {
        return method_not_allowed(&bff.upstream_methods);
    }
    let navigation = is_navigation(request.headers());
    let (token, clear_cookie) = match bearer(&bff, request.headers()).await {
        Ok(found) => found,
        Err(problem) => return problem_for(problem, navigation),
    };
    let target = format!(
        "{}{}",
        upstream.as_str().trim_end_matches('/'),
        request.uri().path_and_query().map_or("/", |p| p.as_str())
    );
    let (parts, body) = request.into_parts();
    let mut headers = forwardable(&parts.headers);
    headers.remove(header::AUTHORIZATION);
    headers.remove(header::COOKIE);
    headers.remove(header::HOST);
    if let Some(token) = &token {
        if let Ok(mut value) = HeaderValue::from_str(&format!("Bearer {}", token.secret())) {
            value.set_sensitive(true);
            headers.insert(header::AUTHORIZATION, value);
        }
    }
    let mut forward = bff.proxy.request(parts.method, &target).headers(headers);
    // A request without a body (most GETs) goes on without one: a stream would be sent chunked.
    if axum::body::HttpBody::size_hint(&body).exact() != Some(0) {
        forward = forward.body(reqwest::Body::wrap_stream(body.into_data_stream()));
    }
    let answer = forward.send().await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) => {
            tracing::warn!("proxy: the upstream did not answer: {}", e.without_url());
            let problem = Problem::new(
                StatusCode::BAD_GATEWAY,
                "upstream_unavailable",
                "the application behind this server did not answer; try again",
            );
            return problem_for(problem, navigation);
        }
    };
    let mut response = Response::builder().status(answer.status());
    if let Some(h) = response.headers_mut() {
        *h = forwardable(answer.headers());
        if clear_cookie {
            if let Ok(value) = HeaderValue::from_str(&CookieAttributes.clear_cookie()) {
                h.append(header::SET_COOKIE, value);
            }
        }
    }
    response
        .body(Body::from_stream(answer.bytes_stream()))
        .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}

/// 405 with the allowed methods: the request goes nowhere (and no session is read).
fn method_not_allowed(allowed: &[axum::http::Method]) -> Response {
    let allow = allowed
        .iter()
        .map(axum::http::Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut response = (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::CACHE_CONTROL, "no-store")],
        "method not allowed\n",
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// The access token to forward, and whether the browser's cookie is no good (cleared on the way back). A browser
/// without a (valid) session goes on anonymously; a store that does not answer stops the request.
async fn bearer(bff: &Bff, headers: &HeaderMap) -> Result<(Option<AccessToken>, bool), Problem> {
    let Some(value) = session_cookie_value(headers) else {
        return Ok((None, false));
    };
    let Ok(reference) = bff.sessions().open_cookie(value) else {
        return Ok((None, true));
    };
    let session = match bff.sessions().load(&reference).await {
        Ok(Some(session)) => session,
        Ok(None) | Err(StoreError::Corrupt(_)) => return Ok((None, true)),
        Err(e) => return Err(e.into()),
    };
    match bff.access_token(&session).await {
        Ok(token) => Ok((Some(token), false)),
        Err(problem) if problem.status == StatusCode::UNAUTHORIZED => Ok((None, true)),
        Err(problem) => Err(problem),
    }
}

fn forwardable(headers: &HeaderMap) -> HeaderMap {
    let named_in_connection: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if HOP_BY_HOP.contains(&name.as_str()) || named_in_connection.contains(name) {
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    out
}
