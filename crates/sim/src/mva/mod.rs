//! The VAT services of the simulator: the validation API, the Altinn token exchange and the submission app.
//! (Being written; the interface below is fixed.)

use std::sync::Arc;

use crate::person::Person;

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

/// Settings of the VAT services (`[mva]` table of the simulator's TOML file).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct MvaSimConfig {}

/// The VAT services.
pub struct MvaServices {
    _persons: Vec<Person>,
    _verifier: Arc<dyn AccessTokenVerifier>,
}

impl MvaServices {
    /// Creates the services for these persons, checking tokens with `verifier`.
    pub fn new(_config: MvaSimConfig, persons: Vec<Person>, verifier: Arc<dyn AccessTokenVerifier>) -> Self {
        Self { _persons: persons, _verifier: verifier }
    }

    /// The routes of the validation API, the token exchange and the submission app.
    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new()
    }
}
