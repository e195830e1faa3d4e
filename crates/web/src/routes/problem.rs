//! Error answers: JSON `{"error": "...", "message": "..."}` with the status of the error, `Retry-After` when the
//! store is unavailable, and the session cookie cleared when the session is no good.

use crate::cookie::{CookieAttributes, CookieError};
use crate::store::StoreError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error answer.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The HTTP status.
    pub status: StatusCode,
    /// A short machine-readable code (`not_logged_in`, `store_unavailable`, `csrf`, ...).
    pub code: &'static str,
    /// What happened, for people. Never a token or a session id.
    pub message: String,
    /// Whether to clear the session cookie.
    pub clear_cookie: bool,
}

impl Problem {
    /// A problem with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            clear_cookie: false,
        }
    }

    /// 401: no session, or an ended one.
    pub fn not_logged_in(message: impl Into<String>) -> Self {
        Self {
            clear_cookie: true,
            ..Self::new(StatusCode::UNAUTHORIZED, "not_logged_in", message)
        }
    }
}

impl From<CookieError> for Problem {
    fn from(e: CookieError) -> Self {
        Self::not_logged_in(e.to_string())
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable { .. } => {
                tracing::warn!("{e}");
                Self::new(
                    e.status(),
                    "store_unavailable",
                    "sessions are unavailable for a moment; try again in a few seconds",
                )
            }
            StoreError::Corrupt(_) => Self::not_logged_in(e.to_string()),
            StoreError::Config(_) => Self::new(e.status(), "server_error", e.to_string()),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.code, "message": self.message });
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        if self.clear_cookie {
            if let Ok(value) = HeaderValue::from_str(&CookieAttributes.clear_cookie()) {
                headers.insert(header::SET_COOKIE, value);
            }
        }
        response
    }
}
