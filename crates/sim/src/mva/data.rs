//! Data elements: the envelope (PUT into data[0]), the return and attachments (POST), downloads (GET).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::access::{text, Need, MAX_ATTACHMENTS};
use super::rules::ENVELOPE_TYPE;
use super::store::SimData;
use super::MvaServices;

fn filename(headers: &HeaderMap) -> Option<String> {
    let v = headers.get("content-disposition")?.to_str().ok()?;
    let part = v
        .split(';')
        .map(str::trim)
        .find(|p| p.starts_with("filename="))?;
    Some(
        part.trim_start_matches("filename=")
            .trim_matches('"')
            .to_string(),
    )
    .filter(|n| !n.is_empty())
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

pub(crate) async fn put_data(
    State(s): State<Arc<MvaServices>>,
    headers: HeaderMap,
    Path((party, guid, data)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let inst = match s.load(&headers, &party, &guid, Need::FillIn) {
        Ok(i) => i,
        Err(r) => return r,
    };
    if inst.task != 1 {
        return text(
            StatusCode::CONFLICT,
            "Valideringsfeil: instansen er ikke lenger i utfylling; data kan ikke endres",
        );
    }
    if !inst
        .data
        .iter()
        .any(|d| d.id == data && d.data_type == ENVELOPE_TYPE)
    {
        return text(StatusCode::NOT_FOUND, "Data element not found");
    }
    if !matches!(
        content_type(&headers).as_str(),
        "application/xml" | "text/xml"
    ) {
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the envelope must be sent as application/xml",
        );
    }
    let name = filename(&headers);
    let out = s.store.update(&inst.id, |i| {
        let el = i?.data.iter_mut().find(|d| d.id == data)?;
        el.set_bytes(&body);
        el.filename = name;
        Some(el.clone())
    });
    match out {
        Some(el) => (
            StatusCode::CREATED,
            Json(json!({ "id": el.id, "dataType": el.data_type, "size": body.len() })),
        )
            .into_response(),
        None => text(StatusCode::NOT_FOUND, "Data element not found"),
    }
}

pub(crate) async fn add_data(
    State(s): State<Arc<MvaServices>>,
    headers: HeaderMap,
    Path((party, guid)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let inst = match s.load(&headers, &party, &guid, Need::FillIn) {
        Ok(i) => i,
        Err(r) => return r,
    };
    if inst.task != 1 {
        return text(
            StatusCode::CONFLICT,
            "Valideringsfeil: instansen er ikke lenger i utfylling; data kan ikke legges til",
        );
    }
    let data_type = q.get("dataType").cloned().unwrap_or_default();
    let ct = content_type(&headers);
    let Some(name) = filename(&headers) else {
        return text(
            StatusCode::BAD_REQUEST,
            "Content-Disposition with a filename is required",
        );
    };
    match data_type.as_str() {
        "mvamelding" => {
            if !matches!(ct.as_str(), "text/xml" | "application/xml") {
                return text(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "the return must be sent as text/xml",
                );
            }
            if inst.data.iter().any(|d| d.data_type == "mvamelding") {
                return text(
                    StatusCode::CONFLICT,
                    "Valideringsfeil: instansen har allerede en mva-melding",
                );
            }
        }
        "binaerVedlegg" => {
            if !mva::attachment::is_allowed_content_type(&ct) {
                return text(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("content type {ct} is not allowed for attachments"),
                );
            }
            if body.len() > mva::attachment::MAX_ATTACHMENT_BYTES {
                return text(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "attachments may be at most 25 MB",
                );
            }
            if inst
                .data
                .iter()
                .filter(|d| d.data_type == "binaerVedlegg")
                .count()
                >= MAX_ATTACHMENTS
            {
                return text(
                    StatusCode::CONFLICT,
                    format!("Valideringsfeil: høyst {MAX_ATTACHMENTS} vedlegg"),
                );
            }
        }
        other => return text(StatusCode::BAD_REQUEST, format!("unknown dataType {other}")),
    }
    let mut el = SimData {
        id: uuid::Uuid::new_v4().to_string(),
        data_type,
        filename: Some(name),
        content_type: ct,
        content: String::new(),
        created: (s.now)(),
        visible_from: 0,
    };
    el.set_bytes(&body);
    let reply = json!({ "id": el.id, "dataType": el.data_type, "filename": el.filename, "size": body.len() });
    s.store.update(&inst.id, |i| {
        if let Some(i) = i {
            i.data.push(el)
        }
    });
    (StatusCode::CREATED, Json(reply)).into_response()
}

pub(crate) async fn get_data(
    State(s): State<Arc<MvaServices>>,
    headers: HeaderMap,
    Path((party, guid, data)): Path<(String, String, String)>,
) -> Response {
    let inst = match s.load(&headers, &party, &guid, Need::Any) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let now = (s.now)();
    match inst
        .data
        .iter()
        .find(|d| d.id == data && now >= d.visible_from)
    {
        Some(d) => (
            StatusCode::OK,
            [("content-type", d.content_type.clone())],
            d.bytes(),
        )
            .into_response(),
        None => text(StatusCode::NOT_FOUND, "Data element not found"),
    }
}
