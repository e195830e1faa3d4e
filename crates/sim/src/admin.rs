//! The admin API on the simulator's own port, under `/sim/admin/` (JSON): faults, forged ID tokens, the clock,
//! key rotation, the request log and counters. Unauthenticated: the simulator listens on loopback only.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::faults::{CallbackForgery, Fault, Forgery};
use crate::keys::SigningKey;
use crate::SimState;

/// The admin routes (mounted at `/sim/admin`).
pub fn router() -> Router<SimState> {
    Router::new()
        .route("/requests", get(requests).delete(clear_requests))
        .route("/stats", get(stats))
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/forge", post(forge))
        .route("/clock", get(clock).post(set_clock))
        .route("/keys", get(keys))
        .route("/keys/publish", post(publish_key))
        .route("/keys/activate", post(activate_key))
        .route("/keys/retire", post(retire_keys))
}

fn bad(message: impl std::fmt::Display) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": message.to_string()})),
    )
        .into_response()
}

async fn requests(State(state): State<SimState>) -> Response {
    Json(state.log.records()).into_response()
}

async fn clear_requests(State(state): State<SimState>) -> StatusCode {
    state.log.clear();
    StatusCode::NO_CONTENT
}

async fn stats(State(state): State<SimState>) -> Response {
    Json(state.stats.snapshot()).into_response()
}

#[derive(Deserialize)]
struct FaultRequest {
    endpoint: String,
    #[serde(default = "one")]
    count: u32,
    #[serde(flatten)]
    fault: Fault,
}

fn one() -> u32 {
    1
}

async fn add_fault(State(state): State<SimState>, body: axum::body::Bytes) -> Response {
    let request: FaultRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return bad(format!(
                "{e}; send e.g. {{\"endpoint\":\"token\",\"kind\":\"status\",\"status\":503,\"count\":1}}, \
                 kind one of status, delay (with ms), drop"
            ))
        }
    };
    match state
        .faults
        .inject(&request.endpoint, request.fault, request.count)
    {
        Ok(()) => (StatusCode::CREATED, Json(json!({"armed": true}))).into_response(),
        Err(e) => bad(e),
    }
}

async fn list_faults(State(state): State<SimState>) -> Response {
    let list: Vec<_> = state
        .faults
        .armed()
        .into_iter()
        .map(|(endpoint, fault, remaining)| json!({"endpoint": endpoint, "fault": fault, "remaining": remaining}))
        .collect();
    Json(list).into_response()
}

async fn clear_faults(State(state): State<SimState>) -> StatusCode {
    state.faults.clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForgeRequest {
    forgery: Option<Forgery>,
    callback: Option<CallbackForgery>,
}

async fn forge(State(state): State<SimState>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<ForgeRequest>(&body) {
        Ok(ForgeRequest {
            forgery: Some(f),
            callback: None,
        }) => {
            state.faults.forge_next_id_token(f);
            (StatusCode::CREATED, Json(json!({"forgery": f}))).into_response()
        }
        Ok(ForgeRequest {
            forgery: None,
            callback: Some(c),
        }) => {
            state.faults.forge_next_callback(c);
            (StatusCode::CREATED, Json(json!({"callback": c}))).into_response()
        }
        Ok(_) => bad("send exactly one of forgery or callback"),
        Err(e) => bad(format!(
            "{e}; send {{\"forgery\": X}} with X one of wrong_iss, wrong_aud, wrong_nonce, expired, bad_signature, \
             alg_none, unknown_kid, hs256_public_key, no_kid, acr_below_request, several_aud_no_azp, \
             several_aud_wrong_azp, missing_sub, iat_in_future; or {{\"callback\": Y}} with Y one of foreign_state, \
             wrong_iss, no_iss"
        )),
    }
}

async fn clock(State(state): State<SimState>) -> Response {
    Json(json!({"offset_secs": state.clock.offset(), "now": state.clock.now()})).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockRequest {
    offset_secs: Option<i64>,
    advance_secs: Option<i64>,
}

async fn set_clock(State(state): State<SimState>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<ClockRequest>(&body) {
        Ok(ClockRequest {
            offset_secs: Some(o),
            advance_secs: None,
        }) => state.clock.set_offset(o),
        Ok(ClockRequest {
            offset_secs: None,
            advance_secs: Some(a),
        }) => state.clock.advance(a),
        Ok(_) => return bad("send exactly one of offset_secs or advance_secs"),
        Err(e) => return bad(e),
    }
    clock(State(state)).await
}

async fn keys(State(state): State<SimState>) -> Response {
    Json(json!({"published": state.keys.published_kids(), "active": state.keys.active().kid()}))
        .into_response()
}

/// Rotation step 1 for the admin API and [`crate::SimHandle::publish_next_key`].
pub async fn publish_next(state: &SimState) -> Result<String, crate::Error> {
    let key = tokio::task::spawn_blocking(SigningKey::generate)
        .await
        .map_err(|e| crate::Error::Key(e.to_string()))??;
    Ok(state.keys.publish(key))
}

async fn publish_key(State(state): State<SimState>) -> Response {
    match publish_next(&state).await {
        Ok(kid) => (StatusCode::CREATED, Json(json!({"kid": kid}))).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": e.to_string()})),
        )
            .into_response(),
    }
}

async fn activate_key(State(state): State<SimState>) -> Response {
    match state.keys.activate_newest() {
        Some(kid) => Json(json!({"kid": kid})).into_response(),
        None => (
            StatusCode::CONFLICT,
            Json(
                json!({"error": "the newest published key signs already; publish a new key first"}),
            ),
        )
            .into_response(),
    }
}

async fn retire_keys(State(state): State<SimState>) -> Response {
    Json(json!({"removed": state.keys.retire_inactive()})).into_response()
}
