//! The submission app's instance API and its state machine: filling in (Task_1) -> confirmation (Task_2) ->
//! feedback (Task_3) -> ended, with the role checks of each step.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::access::{party_id, text, Need};
use super::rules::{fill_in_problems, ENVELOPE_TYPE};
use super::store::{SimData, SimInstance};
use super::MvaServices;

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    instance_owner: Owner,
}
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Owner {
    organisation_number: String,
}

pub(crate) async fn create(
    State(s): State<Arc<MvaServices>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = s.altinn(&headers) {
        return r;
    }
    let is_json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    let parsed: Result<CreateBody, _> = serde_json::from_slice(&body);
    let org = match (is_json, parsed) {
        (true, Ok(b)) => b.instance_owner.organisation_number,
        _ => {
            return text(
                StatusCode::BAD_REQUEST,
                "the body must be JSON: {\"instanceOwner\":{\"organisationNumber\":\"...\"}}",
            )
        }
    };
    if !s.org_known(&org) {
        return text(StatusCode::NOT_FOUND, format!("Cannot lookup party: {org}"));
    }
    let pid = match s.authorize(&headers, &org, Need::FillIn) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let now = (s.now)();
    let guid = uuid::Uuid::new_v4();
    let inst = SimInstance {
        id: format!("{}/{guid}", party_id(&org)),
        org,
        created_by: pid,
        created: now,
        task: 1,
        feedback_at: None,
        substatus: None,
        data: vec![SimData {
            id: uuid::Uuid::new_v4().to_string(),
            data_type: ENVELOPE_TYPE.into(),
            filename: None,
            content_type: "application/xml".into(),
            content: String::new(),
            created: now,
            visible_from: 0,
        }],
    };
    s.store.insert(inst.clone());
    (StatusCode::CREATED, Json(s.instance_json(&inst, &headers))).into_response()
}

pub(crate) async fn read(
    State(s): State<Arc<MvaServices>>,
    headers: HeaderMap,
    Path((party, guid)): Path<(String, String)>,
) -> Response {
    match s.load(&headers, &party, &guid, Need::Any) {
        Ok(inst) => Json(s.instance_json(&inst, &headers)).into_response(),
        Err(r) => r,
    }
}

pub(crate) async fn next(
    State(s): State<Arc<MvaServices>>,
    headers: HeaderMap,
    Path((party, guid)): Path<(String, String)>,
) -> Response {
    let inst = match s.load(&headers, &party, &guid, Need::Any) {
        Ok(i) => i,
        Err(r) => return r,
    };
    match inst.task {
        1 => {
            if let Err(r) = s.authorize(&headers, &inst.org, Need::FillIn) {
                return r;
            }
            // Schema validation of both documents is CPU work: off the async workers.
            let checked = inst.clone();
            let (reasons, xml) =
                match tokio::task::spawn_blocking(move || fill_in_problems(&checked)).await {
                    Ok(found) => found,
                    Err(e) => return validation_failed(e),
                };
            if !reasons.is_empty() {
                let mut body = reasons.join("\n");
                if let Some(x) = xml {
                    body.push('\n');
                    body.push_str(&String::from_utf8_lossy(&x));
                }
                return text(StatusCode::CONFLICT, body);
            }
            s.store.update(&inst.id, |i| {
                if let Some(i) = i {
                    i.task = 2
                }
            });
            Json(json!({ "currentTask": { "elementId": "Task_2", "altId": "confirmation" } }))
                .into_response()
        }
        2 => {
            if let Err(r) = s.authorize(&headers, &inst.org, Need::Submit) {
                return r;
            }
            // Validation, the feedback documents and the state file write are blocking work: off the async
            // workers.
            let services = s.clone();
            let submitted = tokio::task::spawn_blocking(move || {
                let done = services.submit_and_prepare_feedback(&inst);
                services.store.update(&inst.id, |i| {
                    if let Some(i) = i {
                        *i = done
                    }
                });
            })
            .await;
            if let Err(e) = submitted {
                return validation_failed(e);
            }
            Json(json!({ "currentTask": { "elementId": "Task_3", "altId": "feedback" } }))
                .into_response()
        }
        _ => text(
            StatusCode::CONFLICT,
            "the process has no next task: the return is already submitted",
        ),
    }
}

/// The answer when the blocking validation task did not finish (it panicked, or the runtime is shutting down).
fn validation_failed(e: tokio::task::JoinError) -> Response {
    tracing::error!(error = %e, "the validation task failed");
    text(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the simulator could not validate the instance's documents; see its log",
    )
}
