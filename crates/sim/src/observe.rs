//! What the simulator saw: a log of requests (method, path, client, grant type, status; never a token, code,
//! secret or assertion), counters, and the middleware that applies faults and writes one `tracing` line per request.

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::conn::ConnControl;
use crate::faults::{endpoint_of, Fault};
use crate::SimState;

/// How many requests the log keeps.
pub const LOG_CAPACITY: usize = 2000;

/// One request as the simulator saw it. Holds no token, code, secret or assertion.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// The endpoint name (see [`crate::faults::ENDPOINTS`]), or "admin".
    pub endpoint: String,
    /// The client_id the request named (query, form or HTTP Basic), if any.
    pub client_id: Option<String>,
    /// The grant_type of a token request.
    pub grant_type: Option<String>,
    /// The HTTP status answered (0 when the connection was dropped).
    pub status: u16,
}

/// The request log.
#[derive(Debug, Default)]
pub struct RequestLog(Mutex<VecDeque<RequestRecord>>);

impl RequestLog {
    fn push(&self, record: RequestRecord) {
        let mut log = self.0.lock().unwrap();
        if log.len() == LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(record);
    }

    /// Every logged request, oldest first.
    pub fn records(&self) -> Vec<RequestRecord> {
        self.0.lock().unwrap().iter().cloned().collect()
    }

    /// Empties the log.
    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

/// Counters.
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests to /authorize (including the login form).
    pub authorize_requests: AtomicU64,
    /// Completed logins (page or headless).
    pub logins: AtomicU64,
    /// Requests to /token.
    pub token_requests: AtomicU64,
    /// Token requests with grant_type=refresh_token.
    pub refreshes: AtomicU64,
    /// Token responses with tokens.
    pub tokens_issued: AtomicU64,
    /// Requests to /jwks.json.
    pub jwks_requests: AtomicU64,
    /// Requests to discovery.
    pub discovery_requests: AtomicU64,
    /// Requests to /userinfo.
    pub userinfo_requests: AtomicU64,
    /// Grants revoked through /revoke.
    pub revocations: AtomicU64,
    /// Requests to /logout.
    pub logouts: AtomicU64,
    /// Requests to /par.
    pub par_requests: AtomicU64,
    /// Answers with status 400 and above.
    pub errors: AtomicU64,
    /// Faults applied.
    pub faults_applied: AtomicU64,
}

/// A snapshot of [`Stats`] (`GET /sim/admin/stats`).
pub type StatsSnapshot = std::collections::BTreeMap<&'static str, u64>;

impl Stats {
    /// Adds one to a counter.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters by name.
    pub fn snapshot(&self) -> StatsSnapshot {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        [
            ("authorize_requests", g(&self.authorize_requests)),
            ("logins", g(&self.logins)),
            ("token_requests", g(&self.token_requests)),
            ("refreshes", g(&self.refreshes)),
            ("tokens_issued", g(&self.tokens_issued)),
            ("jwks_requests", g(&self.jwks_requests)),
            ("discovery_requests", g(&self.discovery_requests)),
            ("userinfo_requests", g(&self.userinfo_requests)),
            ("revocations", g(&self.revocations)),
            ("logouts", g(&self.logouts)),
            ("par_requests", g(&self.par_requests)),
            ("errors", g(&self.errors)),
            ("faults_applied", g(&self.faults_applied)),
        ]
        .into_iter()
        .collect()
    }
}

/// The largest form body the middleware reads to find client_id and grant_type.
const MAX_FORM: usize = 256 * 1024;

fn form_field(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

fn basic_client_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let user = decoded.split(':').next()?;
    url::form_urlencoded::parse(format!("u={user}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

/// The middleware: applies faults, counts, logs one line per request, records what the client sent.
pub async fn observe(State(state): State<SimState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let endpoint = endpoint_of(&path);
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(request.uri().query().unwrap_or("")).unwrap_or_default();
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let (request, form) = if is_form && endpoint.is_some() {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = to_bytes(body, MAX_FORM).await else {
            return (StatusCode::PAYLOAD_TOO_LARGE, "form body too large").into_response();
        };
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        (Request::from_parts(parts, Body::from(bytes)), form)
    } else {
        (request, vec![])
    };
    let client_id = form_field(&form, "client_id")
        .or_else(|| form_field(&query, "client_id"))
        .or_else(|| basic_client_id(request.headers()));
    let grant_type = form_field(&form, "grant_type");
    count(&state, endpoint, grant_type.as_deref());

    let mut response = None;
    if let Some(name) = endpoint {
        let (delay, failure) = state.faults.take(name);
        if let Some(ms) = delay {
            Stats::bump(&state.stats.faults_applied);
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
        match failure {
            Some(Fault::Status { status }) => {
                Stats::bump(&state.stats.faults_applied);
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let body = serde_json::json!({"error": if status == StatusCode::SERVICE_UNAVAILABLE {
                    "temporarily_unavailable" } else { "server_error" },
                    "error_description": format!("fault injected by the simulator: {name} answers {}", status.as_u16())});
                response = Some((status, axum::Json(body)).into_response());
            }
            Some(Fault::Drop) => {
                Stats::bump(&state.stats.faults_applied);
                if let Some(ConnectInfo(conn)) =
                    request.extensions().get::<ConnectInfo<ConnControl>>()
                {
                    conn.kill();
                }
                let record = record(
                    &method,
                    &path,
                    endpoint,
                    client_id.clone(),
                    grant_type.clone(),
                    0,
                );
                tracing::warn!(
                    method,
                    path,
                    client = client_id.as_deref().unwrap_or("-"),
                    outcome = "dropped",
                    ms = started.elapsed().as_millis() as u64,
                    "connection dropped by fault"
                );
                state.log.push(record);
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
            _ => {}
        }
    }
    let response = match response {
        Some(r) => r,
        None => next.run(request).await,
    };
    let status = response.status().as_u16();
    if status >= 400 {
        Stats::bump(&state.stats.errors);
    }
    if endpoint.is_some() {
        state.log.push(record(
            &method,
            &path,
            endpoint,
            client_id.clone(),
            grant_type.clone(),
            status,
        ));
    }
    tracing::info!(
        method,
        path,
        client = client_id.as_deref().unwrap_or("-"),
        grant_type = grant_type.as_deref().unwrap_or("-"),
        status,
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

fn record(
    method: &str,
    path: &str,
    endpoint: Option<&str>,
    client_id: Option<String>,
    grant_type: Option<String>,
    status: u16,
) -> RequestRecord {
    RequestRecord {
        method: method.into(),
        path: path.into(),
        endpoint: endpoint.unwrap_or("admin").into(),
        client_id,
        grant_type,
        status,
    }
}

fn count(state: &SimState, endpoint: Option<&str>, grant_type: Option<&str>) {
    let s = &state.stats;
    let counter = match endpoint {
        Some("authorize") => &s.authorize_requests,
        Some("token") => {
            if grant_type == Some("refresh_token") {
                Stats::bump(&s.refreshes);
            }
            &s.token_requests
        }
        Some("jwks") => &s.jwks_requests,
        Some("discovery") => &s.discovery_requests,
        Some("userinfo") => &s.userinfo_requests,
        Some("logout") => &s.logouts,
        Some("par") => &s.par_requests,
        _ => return,
    };
    Stats::bump(counter);
}
