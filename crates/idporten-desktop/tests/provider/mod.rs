//! A small OpenID provider for the tests, with knobs to forge its tokens and to fail, and counters of what it saw.
//! Only `protocol/refresh.rs` and `protocol/concurrency.rs` still use it (they are being moved to the simulator);
//! delete it with them.
//! It is strict where the real ID-porten is strict (PKCE S256, single-use codes, one-time refresh tokens, client
//! authentication per registered method), so the tests show the library does the protocol right.
#![allow(dead_code)]

mod client_check;
mod endpoints;
pub mod keys;
mod tokens;

use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub use tokens::Forge;

/// The client authentication the provider requires of the registered client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Registered {
    None,
    Basic(String),
    Post(String),
    PrivateKeyJwt,
}

/// Knobs: change them at any time through `Provider::knobs`.
#[derive(Clone, Debug)]
pub struct Knobs {
    /// The client authentication required.
    pub auth: Registered,
    /// The issuer written in the discovery document (None: the real one).
    pub discovery_issuer: Option<String>,
    /// Advertise a PAR endpoint.
    pub par: bool,
    /// Advertise a revocation endpoint.
    pub revocation: bool,
    /// Add `iss` to the callback (and advertise it).
    pub iss_in_callback: bool,
    /// Advertise `authorization_response_iss_parameter_supported` (None: as `iss_in_callback`).
    pub advertise_iss: Option<bool>,
    /// One-time (rotating) refresh tokens; else reusable.
    pub one_time_refresh: bool,
    /// Issue refresh tokens at all.
    pub issue_refresh_tokens: bool,
    /// Access token lifetime, seconds.
    pub expires_in: i64,
    /// Answer the token endpoint with this status and a non-JSON body.
    pub token_status: Option<u16>,
    /// How the next ID tokens are forged.
    pub forge: Forge,
    /// Forge only ID tokens from refreshes.
    pub forge_refresh_only: bool,
    /// The `acr` written in ID tokens.
    pub acr: String,
    /// Milliseconds to wait before answering a refresh (widens race windows in concurrency tests).
    pub refresh_delay_ms: u64,
    /// Scopes left out of the grant although asked for (a client not given them in Samarbeidsportalen).
    pub withheld_scopes: Vec<String>,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            auth: Registered::None,
            discovery_issuer: None,
            par: false,
            revocation: true,
            iss_in_callback: true,
            advertise_iss: None,
            one_time_refresh: true,
            issue_refresh_tokens: true,
            expires_in: 120,
            token_status: None,
            forge: Forge::default(),
            forge_refresh_only: false,
            acr: "idporten-loa-substantial".into(),
            refresh_delay_ms: 0,
            withheld_scopes: Vec::new(),
        }
    }
}

/// A pending authorization (between /authorize and /token).
#[derive(Clone, Debug)]
pub struct Grant {
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: String,
    pub nonce: String,
    pub scope: String,
    pub sub: String,
}

/// A recorded token request: the Authorization header and the form.
pub type RecordedRequest = (Option<String>, Vec<(String, String)>);

/// What the provider saw.
#[derive(Default)]
pub struct Seen {
    pub discovery: AtomicU64,
    pub jwks: AtomicU64,
    pub par: AtomicU64,
    pub authorize: AtomicU64,
    pub code_grants: AtomicU64,
    pub refreshes: AtomicU64,
    pub revocations: Mutex<Vec<(String, String)>>,
    pub end_sessions: Mutex<Vec<Vec<(String, String)>>>,
    /// The last token request: Authorization header and form.
    pub last_token_request: Mutex<Option<RecordedRequest>>,
    /// The last verified client assertion's claims.
    pub last_assertion: Mutex<Option<Value>>,
    /// The last PAR request's form.
    pub last_par: Mutex<Option<Vec<(String, String)>>>,
}

pub struct Inner {
    pub issuer: String,
    pub client_id: String,
    pub knobs: Mutex<Knobs>,
    pub seen: Seen,
    /// The JWKS document served.
    pub jwks: Mutex<Value>,
    /// The key tokens are signed with.
    pub signing: Mutex<&'static keys::TestKey>,
    /// Override of the kid written in the header.
    pub header_kid: Mutex<Option<Option<String>>>,
    pub codes: Mutex<HashMap<String, Grant>>,
    pub par_requests: Mutex<HashMap<String, Vec<(String, String)>>>,
    pub refresh_tokens: Mutex<HashMap<String, Grant>>,
    pub jtis: Mutex<HashSet<String>>,
    pub counter: AtomicU64,
}

impl Inner {
    pub fn next_id(&self, prefix: &str) -> String {
        format!(
            "{prefix}-{}-{}",
            self.counter.fetch_add(1, Ordering::SeqCst),
            uuid::Uuid::new_v4()
        )
    }
}

/// A running test provider.
pub struct Provider {
    pub inner: Arc<Inner>,
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

pub const CLIENT_ID: &str = "test-client";

impl Provider {
    /// Starts on 127.0.0.1, port 0.
    pub async fn start(knobs: Knobs) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let key = keys::provider_key();
        let broken_key =
            serde_json::json!({"kty": "RSA", "kid": "broken", "n": "not base64!", "e": "AQAB"});
        let inner = Arc::new(Inner {
            issuer: format!("http://127.0.0.1:{}", addr.port()),
            client_id: CLIENT_ID.into(),
            knobs: Mutex::new(knobs),
            seen: Seen::default(),
            jwks: Mutex::new(serde_json::json!({"keys": [broken_key, key.jwk()]})),
            signing: Mutex::new(key),
            header_kid: Mutex::new(None),
            codes: Mutex::default(),
            par_requests: Mutex::default(),
            refresh_tokens: Mutex::default(),
            jtis: Mutex::default(),
            counter: AtomicU64::new(1),
        });
        let app = endpoints::app(inner.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        Self {
            inner,
            addr,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    pub fn issuer(&self) -> idporten_desktop::Issuer {
        idporten_desktop::Issuer::parse(&self.inner.issuer).unwrap()
    }

    pub fn knobs(&self) -> std::sync::MutexGuard<'_, Knobs> {
        self.inner.knobs.lock().unwrap()
    }

    pub fn seen(&self) -> &Seen {
        &self.inner.seen
    }

    pub fn count(c: &AtomicU64) -> u64 {
        c.load(Ordering::SeqCst)
    }

    /// Signs with `key` from now on and publishes `jwks`.
    pub fn rotate(&self, key: &'static keys::TestKey, jwks: Vec<Value>) {
        *self.inner.signing.lock().unwrap() = key;
        *self.inner.jwks.lock().unwrap() = serde_json::json!({ "keys": jwks });
    }

    /// Writes this kid in token headers (None inside: no kid at all).
    pub fn header_kid(&self, kid: Option<Option<&str>>) {
        *self.inner.header_kid.lock().unwrap() = kid.map(|k| k.map(str::to_string));
    }

    /// Stops the server (the port is closed afterwards).
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}
