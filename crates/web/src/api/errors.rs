//! Findings as the page shows them, and the `mva` library's errors as JSON answers.

use crate::routes::Problem;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use mva::{Finding, MvaError};
use serde::Serialize;

/// One finding, as JSON for the page.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FindingView {
    /// Where it comes from: `local`, `envelope`, `consistency` or `service`.
    pub source: &'static str,
    /// `error`, `deviation` or `warning`.
    pub severity: &'static str,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub path: Option<String>,
    pub mva_code: Option<String>,
    pub code: Option<String>,
    pub message: String,
}

impl FindingView {
    pub(crate) fn new(source: &'static str, f: &Finding) -> Self {
        Self {
            source,
            severity: f.severity.as_str(),
            line: f.line,
            column: f.column,
            path: f.path.clone(),
            mva_code: f.mva_code.clone(),
            code: f.code.clone(),
            message: f.message.clone(),
        }
    }
}

/// 400 with a code and a message.
pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, code, message)
}

/// 422 with findings: the documents are not valid, nothing was sent.
pub(crate) fn invalid(what: &str, findings: Vec<FindingView>) -> Response {
    let body = serde_json::json!({
        "error": "invalid_document",
        "message": format!("the {what} is not valid; nothing was sent"),
        "findings": findings,
    });
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// An error of the `mva` library as an answer. File paths of the server are never shown (logged instead).
pub(crate) fn mva_problem(e: &MvaError) -> Problem {
    let status = match e {
        MvaError::InvalidOrganisationNumber(_)
        | MvaError::Attachment { .. }
        | MvaError::InvalidDocument { .. }
        | MvaError::UnknownOrganisation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        MvaError::Token(_) => StatusCode::UNAUTHORIZED,
        MvaError::Forbidden { .. } => StatusCode::FORBIDDEN,
        MvaError::Conflict { .. } => StatusCode::CONFLICT,
        MvaError::FeedbackTimeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        MvaError::Io { .. } | MvaError::Journal { .. } | MvaError::XmlWrite(_) => {
            tracing::error!("web API: {e}");
            return Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the server could not keep the submission's journal; try again later",
            );
        }
        _ => StatusCode::BAD_GATEWAY,
    };
    let code = match status {
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_input",
        StatusCode::UNAUTHORIZED => "token",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::CONFLICT => "conflict",
        StatusCode::GATEWAY_TIMEOUT => "feedback_timeout",
        _ => "service_error",
    };
    Problem::new(status, code, e.to_string())
}
