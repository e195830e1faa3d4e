//! `POST /api/mva/grensesnittstoette/mva-melding/valider`: XSD and rules of the `mva` crate, answered in the v1 or
//! the legacy format (config `[mva] validation_format`, or per request the header `X-Sim-Result-Format`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::auth::SCOPE_VALIDATE;
use super::{MvaServices, ValidationFormat};

pub(crate) async fn validate(
    State(s): State<Arc<MvaServices>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = s.id_porten(&headers, SCOPE_VALIDATE) {
        return r;
    }
    let format = match headers
        .get("x-sim-result-format")
        .and_then(|v| v.to_str().ok())
    {
        Some("legacy") => ValidationFormat::Legacy,
        Some("v1") => ValidationFormat::V1,
        Some(other) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("X-Sim-Result-Format must be v1 or legacy, not {other}"),
            )
                .into_response()
        }
        None => s.config.validation_format,
    };
    // libxml2 and the scan are blocking, CPU-bound work (up to 25 MB): off the async runtime, so other requests go on.
    let checked = match tokio::task::spawn_blocking(move || {
        mva::check(&body, Some(mva::DocumentKind::Return))
    })
    .await
    {
        Ok(c) => c,
        Err(e) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the validation failed: {e}"),
            )
                .into_response()
        }
    };
    let xml = match format {
        ValidationFormat::V1 => mva::service_result::write_v1(&checked.report.findings),
        ValidationFormat::Legacy => mva::service_result::write_legacy(&checked.report.findings),
    };
    match xml {
        Ok(x) => (StatusCode::OK, [("content-type", "application/xml")], x).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
