//! The JSON endpoints of the simulator's ID-porten: discovery, JWKS, token, PAR, userinfo, revoke, introspect,
//! and logout (a page).

pub mod client_auth;
pub mod discovery;
pub mod logout;
pub mod par;
pub mod token;
pub mod tokeninfo;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An OAuth error answer: JSON `{error, error_description}` with `Cache-Control: no-store`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// HTTP status (400, or 401 for invalid_client).
    pub status: StatusCode,
    /// The OAuth error code.
    pub error: &'static str,
    /// What is wrong.
    pub description: String,
}

impl OAuthError {
    /// A 400 error.
    pub fn bad(error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
        }
    }

    /// A 401 invalid_client error.
    pub fn client(description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: description.into(),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.error, "error_description": self.description});
        no_store((self.status, Json(body)).into_response())
    }
}

/// Adds `Cache-Control: no-store` and `Pragma: no-cache`.
pub fn no_store(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// Parses an `application/x-www-form-urlencoded` body, refusing other content types and repeated parameters.
pub fn parse_form(
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Result<Vec<(String, String)>, OAuthError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/x-www-form-urlencoded") {
        return Err(OAuthError::bad(
            "invalid_request",
            format!("the body must be application/x-www-form-urlencoded, not {ct:?}"),
        ));
    }
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|e| {
        OAuthError::bad("invalid_request", format!("the form cannot be parsed: {e}"))
    })?;
    crate::authorize::single_values(&form).map_err(|e| OAuthError::bad("invalid_request", e))?;
    Ok(form)
}

/// The value of a form field, when present and not empty.
pub fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}
