//! The JSON API of the VAT web page (`/api/...`), run server-side with the session's tokens, and the page itself
//! (`/` and `/assets/...`, embedded in the binary).
//!
//! | route | what |
//! |---|---|
//! | `POST /api/validate` | multipart `return` (+ optional `envelope`, `attachment`s, `offline`): local checks, then the validation API |
//! | `POST /api/submissions` | multipart `organisation`, `return` (+ optional `envelope`, `attachment`s): files it in the background; 202 with the id |
//! | `GET /api/submissions/{id}` | where it stands: steps done, feedback, payment information, an error |
//! | `POST /api/submissions/{id}/resume` | tries a stopped submission again (after an error) |
//! | `GET /api/submissions/{id}/receipt` | the receipt (PDF) |
//! | `GET /api/submissions/{id}/payment` | the payment information (XML as the Tax Administration sent it) |
//!
//! Every route needs a session (401 JSON otherwise) and is behind the CSRF guard (`X-Mva-Request: 1`, `Origin`).
//! Submissions are journalled on disk per person and organisation (`{data}/persons/{sha256(pid)}/{org}/`) with the
//! `mva` library's journal, whose entries are locked by the operating system: a reload, a restart or a second
//! instance sharing the folder resumes a submission and never files it twice.

mod errors;
mod journal;
mod page;
mod person_folder;
mod submissions;
mod tokens;
mod upload;
mod validate;

pub use page::{page_router, CONTENT_SECURITY_POLICY};
pub use tokens::{StoredAccessToken, TokenHook};

use crate::routes::{CurrentSession, Problem, WebState};
use axum::extract::{DefaultBodyLimit, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the API runs the `mva` library.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The validation API, the Altinn token exchange and the submission app.
    pub endpoints: mva::Endpoints,
    /// Where submissions are journalled (created `0700`); instances sharing it share the journals.
    pub data_dir: PathBuf,
    /// Time between feedback polls.
    pub poll_interval: Duration,
    /// How long a submission waits for feedback.
    pub feedback_timeout: Duration,
    /// The largest request body of an upload, all files together.
    pub max_upload_bytes: usize,
}

impl ApiConfig {
    /// The defaults: the official sample's waiting times (10 s polls, 6 minutes), uploads up to 100 MB in all
    /// (each file within the `mva` crate's caps: 25 MB per document or attachment, at most 57 attachments).
    pub fn new(endpoints: mva::Endpoints, data_dir: impl Into<PathBuf>) -> Self {
        Self {
            endpoints,
            data_dir: data_dir.into(),
            poll_interval: Duration::from_secs(10),
            feedback_timeout: Duration::from_secs(360),
            max_upload_bytes: 100 * 1024 * 1024,
        }
    }
}

/// What the API's handlers share.
#[derive(Clone)]
pub struct ApiState {
    /// The sessions and the public origin.
    pub web: WebState,
    /// How to run the library.
    pub config: Arc<ApiConfig>,
    /// Where a submission gets the session's access token from.
    pub tokens: Arc<dyn TokenHook>,
    /// Submissions this process is running (by id), so a second request does not start another task.
    running: Arc<Mutex<HashSet<String>>>,
    /// The data folder's key for naming persons' folders, read (or made) on first use.
    person_key: Arc<std::sync::OnceLock<person_folder::PersonKey>>,
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ApiState {
    /// The API over `web`'s sessions; access tokens are read from the session as stored (see
    /// [`StoredAccessToken`]); [`ApiState::with_tokens`] puts in one that refreshes.
    pub fn new(web: WebState, config: ApiConfig) -> Self {
        let tokens = Arc::new(StoredAccessToken::new(web.sessions.clone()));
        Self {
            web,
            config: Arc::new(config),
            tokens,
            running: Arc::default(),
            person_key: Arc::default(),
        }
    }

    /// The same API, with access tokens from `tokens` (e.g. one that refreshes through the provider).
    pub fn with_tokens(mut self, tokens: Arc<dyn TokenHook>) -> Self {
        self.tokens = tokens;
        self
    }
}

impl FromRef<ApiState> for WebState {
    fn from_ref(state: &ApiState) -> Self {
        state.web.clone()
    }
}

/// The session of an API request (the same rules as [`CurrentSession`]).
pub(crate) struct ApiSession(pub crate::Session);

impl FromRequestParts<ApiState> for ApiSession {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Problem> {
        let CurrentSession(session) = CurrentSession::from_request_parts(parts, &state.web).await?;
        Ok(Self(session))
    }
}

/// The API routes (`/api/...`) and the page (`/`, `/assets/...`), behind the CSRF guard. Merge it into the BFF's
/// router: `routes::router(web).merge(api::router(state))`.
pub fn router(state: ApiState) -> Router {
    let origin = state.web.public_origin.clone();
    let web = state.web.clone();
    let limit = state.config.max_upload_bytes;
    Router::new()
        .route("/api/validate", post(validate::validate))
        .route("/api/submissions", post(submissions::create))
        .route("/api/submissions/{id}", get(submissions::status))
        .route("/api/submissions/{id}/resume", post(submissions::resume))
        .route("/api/submissions/{id}/receipt", get(submissions::receipt))
        .route("/api/submissions/{id}/payment", get(submissions::payment))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
        .merge(page_router(&web))
        .layer(axum::middleware::from_fn_with_state(
            origin,
            crate::routes::csrf_guard,
        ))
}
