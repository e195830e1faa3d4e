//! The VAT services of the simulator: the validation API, the Altinn token exchange and the submission app
//! (`/skd/mva-melding-innsending-etm2`), strict like the real ones, reusing the `mva` crate's validator.
//!
//! Configured by the `[mva]` table of the simulator's TOML file:
//!
//! ```toml
//! [mva]
//! validation_format = "v1"        # or "legacy"; per request: header X-Sim-Result-Format: v1 | legacy
//! feedback_delay_secs = 2         # feedback becomes available this long after submission
//! state_file = "mva-state.json"   # optional: instances survive a restart of the simulator
//! ```

// Handlers return the refusal itself (an axum Response) as their error; boxing it would only add noise.
#[allow(clippy::result_large_err)]
mod access;
mod app;
#[allow(clippy::result_large_err)]
mod auth;
mod data;
mod documents;
mod feedback;
mod rules;
mod store;
mod validation;

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};

use crate::person::Person;

pub use documents::receipt_pdf;
pub use store::{SimData, SimInstance};

/// What the simulator's ID-porten knows about an access token it issued.
#[derive(Debug, Clone)]
pub struct VerifiedAccessToken {
    /// The person's national identity number.
    pub pid: String,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
    /// The client the token was issued to.
    pub client_id: String,
}

/// Checks bearer tokens against the simulator's ID-porten (signature, issuer, expiry, not revoked).
pub trait AccessTokenVerifier: Send + Sync {
    /// The verified token, or `None` when it is not a valid access token of this simulator.
    fn verify(&self, bearer: &str) -> Option<VerifiedAccessToken>;
}

/// The format of the validation API's answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValidationFormat {
    /// The v1 schema (avvikVedMeldingslevering + avvik).
    #[default]
    V1,
    /// The legacy format (status + valideringsfeil).
    Legacy,
}

/// Settings of the VAT services (`[mva]` table of the simulator's TOML file).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MvaSimConfig {
    /// Format of the validation API's answers ("v1" or "legacy"); a request can choose with the header
    /// `X-Sim-Result-Format`.
    pub validation_format: ValidationFormat,
    /// Seconds between the submission and the feedback (default 2).
    pub feedback_delay_secs: u64,
    /// When set, instances are kept in this JSON file and survive a restart.
    pub state_file: Option<PathBuf>,
}

impl Default for MvaSimConfig {
    fn default() -> Self {
        Self {
            validation_format: ValidationFormat::V1,
            feedback_delay_secs: 2,
            state_file: None,
        }
    }
}

/// The clock of the services: Unix seconds.
pub type NowFn = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The VAT services.
pub struct MvaServices {
    config: MvaSimConfig,
    persons: Vec<Person>,
    verifier: Arc<dyn AccessTokenVerifier>,
    altinn_secret: [u8; 32],
    now: NowFn,
    store: store::Store,
    /// Altinn tokens handed out by the exchange.
    exchanges: std::sync::atomic::AtomicU64,
}

impl MvaServices {
    /// Creates the services for these persons, checking tokens with `verifier`. With `[mva] state_file` set, the
    /// instances of an earlier run are loaded from it; a damaged file is moved aside to `<file>.damaged` (and
    /// logged), and the services start empty.
    pub fn new(
        config: MvaSimConfig,
        persons: Vec<Person>,
        verifier: Arc<dyn AccessTokenVerifier>,
    ) -> Self {
        use rand::RngCore;
        let mut altinn_secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut altinn_secret);
        let store = store::Store::load(config.state_file.clone());
        let now: NowFn = Arc::new(|| time::OffsetDateTime::now_utc().unix_timestamp());
        Self {
            config,
            persons,
            verifier,
            altinn_secret,
            now,
            store,
            exchanges: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Uses another clock (e.g. the simulator's clock with its offset) for token expiry.
    pub fn with_clock(mut self, now: NowFn) -> Self {
        self.now = now;
        self
    }

    /// How many Altinn tokens the exchange has handed out (for tests).
    pub fn exchanges(&self) -> u64 {
        self.exchanges.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The instances (for tests and the admin API).
    pub fn instances(&self) -> Vec<SimInstance> {
        self.store.all()
    }

    /// The routes of the validation API, the token exchange and the submission app.
    pub fn router(self: Arc<Self>) -> axum::Router {
        const APP: &str = "/skd/mva-melding-innsending-etm2";
        axum::Router::new()
            .route(
                "/api/mva/grensesnittstoette/mva-melding/valider",
                post(validation::validate),
            )
            .route(
                "/authentication/api/v1/exchange/id-porten",
                get(auth::exchange),
            )
            .route(&format!("{APP}/instances"), post(app::create))
            .route(&format!("{APP}/instances/"), post(app::create))
            .route(
                &format!("{APP}/instances/{{party}}/{{guid}}"),
                get(app::read),
            )
            .route(
                &format!("{APP}/instances/{{party}}/{{guid}}/data"),
                post(data::add_data),
            )
            .route(
                &format!("{APP}/instances/{{party}}/{{guid}}/data/{{data}}"),
                put(data::put_data).get(data::get_data),
            )
            .route(
                &format!("{APP}/instances/{{party}}/{{guid}}/process/next"),
                put(app::next),
            )
            .route(
                &format!("{APP}/instances/{{party}}/{{guid}}/feedback/status"),
                get(feedback::feedback_status),
            )
            .route(
                &format!("{APP}/instances/{{party}}/{{guid}}/feedback"),
                get(feedback::feedback),
            )
            .layer(DefaultBodyLimit::max(mva::MAX_DOCUMENT_BYTES + 1024 * 1024))
            .with_state(self)
    }
}
