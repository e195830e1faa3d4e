//! A Rust web application on the BFF's sessions: it mounts `web::routes::router` and reads the session in its own
//! handler through the `CurrentSession` extractor.
//!
//! ```text
//! cargo run -p mva-web --example session_app            # in-memory sessions
//! MVA_REDIS_URL=redis://127.0.0.1:6379 cargo run -p mva-web --example session_app
//! ```
//!
//! There is no login here (that is `mva serve`'s job): one session is created at start, and the example prints
//! the `curl` commands that use it.

use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;
use time::OffsetDateTime;
use web::routes::{csrf_guard, router, CurrentSession, WebState};
use web::{
    AccessToken, Acr, Identity, Limits, MemoryStore, Pid, RedisOptions, RedisStore, SessionData,
    SessionKeys, SessionStore, Sessions, Sid, Tokens,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keys = match std::env::var(web::SESSION_KEY_ENV) {
        Ok(value) => SessionKeys::parse(&value)?,
        Err(_) => SessionKeys::generate(),
    };
    let store: Arc<dyn SessionStore> = match std::env::var("MVA_REDIS_URL") {
        Ok(url) => Arc::new(RedisStore::connect(&url, RedisOptions::default())?),
        Err(_) => Arc::new(MemoryStore::new()),
    };
    let sessions = Sessions::new(store, keys, Limits::default());

    // Stands in for a login.
    let now = OffsetDateTime::now_utc();
    let tokens = Tokens {
        access_token: AccessToken::new("example-access-token"),
        access_expires_at: now + time::Duration::minutes(2),
        refresh_token: None,
        id_token: None,
        scope: "openid".into(),
    };
    let identity = Identity {
        pid: Pid::new("01017012345"),
        acr: Acr::new("idporten-loa-high"),
        auth_time: now,
        sid: Some(Sid::new("example-sid")),
    };
    let (_, cookie) = sessions.create(SessionData::new(tokens, identity)).await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let state = WebState {
        sessions,
        public_origin: base.clone().into(),
        issuer: "http://127.0.0.1".into(),
    };
    let app = Router::new()
        .route("/api/hello", get(hello))
        .with_state(state.clone())
        .layer(from_fn_with_state(state.public_origin.clone(), csrf_guard))
        .merge(router(state));

    let cookie = format!("__Host-mva-session={}", cookie.secret());
    println!("curl -H 'Cookie: {cookie}' {base}/oauth2/session");
    println!("curl -H 'Cookie: {cookie}' -H 'X-Mva-Request: 1' {base}/api/hello");
    axum::serve(listener, app).await?;
    Ok(())
}

/// An application handler: the session is there, or the request was answered 401/503 before reaching it.
async fn hello(CurrentSession(session): CurrentSession) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "hello": session.data.identity.pid.to_string(),
        "acr": session.data.identity.acr.as_str(),
    }))
}
