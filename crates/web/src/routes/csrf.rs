//! The CSRF guard: a state-changing request (anything but GET, HEAD, OPTIONS) must carry an `Origin` equal to the
//! public URL, and every `/api` request the header `X-Mva-Request: 1` (a custom header forces a CORS preflight,
//! which no other site passes). Anything else is 403 and reaches no handler.

use super::Problem;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The header every `/api` request must carry, with the value `1`.
pub const API_REQUEST_HEADER: &str = "x-mva-request";

/// Paths a server, not a browser, posts to: they have no `Origin` and their own proof (a signed logout token).
const SERVER_TO_SERVER: &[&str] = &["/oauth2/logout/backchannel"];

/// The guard, as middleware over the public origin (`https://mva.example.no`):
/// `router.layer(axum::middleware::from_fn_with_state(origin, csrf_guard))`.
pub async fn csrf_guard(
    State(public_origin): State<Arc<str>>,
    request: Request,
    next: Next,
) -> Response {
    match check(&request, &public_origin) {
        Ok(()) => next.run(request).await,
        Err(problem) => problem.into_response(),
    }
}

fn check(request: &Request, public_origin: &str) -> Result<(), Problem> {
    let path = request.uri().path();
    let forbidden = |message: &str| Problem::new(StatusCode::FORBIDDEN, "csrf", message);
    if path == "/api" || path.starts_with("/api/") {
        let marked = request
            .headers()
            .get(API_REQUEST_HEADER)
            .is_some_and(|v| v.as_bytes() == b"1");
        if !marked {
            return Err(forbidden("API requests need the header X-Mva-Request: 1"));
        }
    }
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || SERVER_TO_SERVER.contains(&path) {
        return Ok(());
    }
    match request.headers().get(header::ORIGIN).map(|v| v.as_bytes()) {
        Some(origin) if origin == public_origin.as_bytes() => Ok(()),
        Some(_) => Err(forbidden(
            "a request from another site may not change anything here",
        )),
        None => Err(forbidden(
            "a request that changes something must carry the Origin header",
        )),
    }
}
