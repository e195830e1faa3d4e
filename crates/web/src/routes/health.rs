//! `GET /healthz` (the process answers) and `GET /readyz` (the session store answers too).

use super::{Problem, WebState};
use axum::extract::State;

/// Always 200 while the process serves requests.
pub(super) async fn healthz() -> &'static str {
    "ok\n"
}

/// 200 when the session store answers; 503 with `Retry-After` while it does not.
pub(super) async fn readyz(State(state): State<WebState>) -> Result<&'static str, Problem> {
    state.sessions.store().ping().await?;
    Ok("ready\n")
}
