//! CORS for `browser` clients (single-page applications): `/token`, `/jwks.json` and the discovery documents answer
//! cross-origin requests, preflights included, from the origins of the registered browser clients' redirect URIs
//! and from no other origin. Credentials are never allowed: a browser client has no secret and no cookie to send.
//! Every other path (the login page, logout, the admin API) never answers CORS.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::SimState;

/// The paths a browser client calls with `fetch`, and the methods each takes.
fn cors_methods(path: &str) -> Option<&'static str> {
    match path {
        "/token" => Some("POST"),
        "/jwks.json"
        | "/.well-known/openid-configuration"
        | "/.well-known/oauth-authorization-server" => Some("GET"),
        _ => None,
    }
}

/// The middleware: answers preflights on the CORS paths and adds `Access-Control-Allow-Origin` to their answers,
/// only for a registered browser client's origin. A preflight from any other origin gets `403` without CORS headers.
pub async fn cors(State(state): State<SimState>, request: Request, next: Next) -> Response {
    let Some(methods) = cors_methods(request.uri().path()) else {
        return next.run(request).await;
    };
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_string);
    let allowed = origin
        .as_deref()
        .filter(|o| state.clients.browser_origins().iter().any(|b| b == o))
        .and_then(|o| HeaderValue::from_str(o).ok());
    if request.method() == Method::OPTIONS {
        let Some(origin) = allowed else {
            tracing::info!(
                origin = origin.as_deref().unwrap_or("-"),
                "CORS preflight from an origin of no registered browser client refused"
            );
            return (StatusCode::FORBIDDEN, [(header::VARY, "Origin")]).into_response();
        };
        let mut response = StatusCode::NO_CONTENT.into_response();
        let h = response.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(methods),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
        return response;
    }
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = allowed {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    response
}
