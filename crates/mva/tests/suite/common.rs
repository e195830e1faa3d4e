//! Test helpers: the simulator's VAT router on 127.0.0.1:0 with a verifier of our own, token sources, returns.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use mva::token::{TokenFuture, TokenSource};
use mva::AccessToken;
use sim::mva::{AccessTokenVerifier, MvaServices, MvaSimConfig, VerifiedAccessToken};
use url::Url;

pub const KARI: &str = "01818510078"; // submit role for 310000019 and 310000027
pub const OLA: &str = "15929210775"; // fill-in role (Regnskapsmedarbeider) for 310000019
pub const PER: &str = "24827010770"; // no roles
pub const ORG: &str = "310000019";
pub const SCOPES: &str =
    "openid skatteetaten:mvameldingvalidering skatteetaten:mvameldinginnsending";

/// Accepts the tokens minted by the test, with their pid, scopes and expiry.
#[derive(Default)]
pub struct TestVerifier {
    tokens: Mutex<HashMap<String, VerifiedAccessToken>>,
    pub calls: AtomicUsize,
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl TestVerifier {
    pub fn mint(&self, pid: &str, scopes: &str, ttl_secs: i64) -> String {
        let token = format!("test-{}", uuid::Uuid::new_v4());
        self.tokens.lock().unwrap().insert(
            token.clone(),
            VerifiedAccessToken {
                pid: pid.into(),
                scopes: scopes.split(' ').map(str::to_string).collect(),
                expires_at: now() + ttl_secs,
                client_id: "test-client".into(),
            },
        );
        token
    }
}

impl AccessTokenVerifier for TestVerifier {
    fn verify(&self, bearer: &str) -> Option<VerifiedAccessToken> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.tokens
            .lock()
            .unwrap()
            .get(bearer)
            .filter(|t| t.expires_at > now())
            .cloned()
    }
}

pub struct TestSim {
    pub base: Url,
    pub verifier: Arc<TestVerifier>,
    pub services: Arc<MvaServices>,
    task: tokio::task::JoinHandle<()>,
}

impl TestSim {
    pub fn endpoints(&self) -> mva::Endpoints {
        mva::Endpoints::sim(&self.base)
    }
    pub fn stop(self) {
        self.task.abort();
    }
}

pub fn config(delay: u64, state_file: Option<PathBuf>) -> MvaSimConfig {
    MvaSimConfig {
        feedback_delay_secs: delay,
        state_file,
        ..MvaSimConfig::default()
    }
}

pub async fn start_with(config: MvaSimConfig, verifier: Arc<TestVerifier>) -> TestSim {
    let services = Arc::new(MvaServices::new(
        config,
        sim::person::default_persons(),
        verifier.clone(),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = services.clone().router();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    TestSim {
        base: format!("http://{addr}/").parse().unwrap(),
        verifier,
        services,
        task,
    }
}

pub async fn start(delay: u64) -> TestSim {
    start_with(config(delay, None), Arc::new(TestVerifier::default())).await
}

/// A token source that hands out `first`, and on a forced refresh mints a fresh token; counts refreshes.
pub struct ScriptedTokens {
    pub current: Mutex<String>,
    pub verifier: Arc<TestVerifier>,
    pub pid: String,
    pub refreshes: AtomicUsize,
}

impl ScriptedTokens {
    pub fn new(verifier: Arc<TestVerifier>, pid: &str, first_ttl: i64) -> Arc<Self> {
        let first = verifier.mint(pid, SCOPES, first_ttl);
        Arc::new(Self {
            current: Mutex::new(first),
            verifier,
            pid: pid.into(),
            refreshes: AtomicUsize::new(0),
        })
    }
}

impl TokenSource for ScriptedTokens {
    fn access_token(&self, force_refresh: bool) -> TokenFuture<'_> {
        Box::pin(async move {
            if force_refresh {
                self.refreshes.fetch_add(1, Ordering::Relaxed);
                *self.current.lock().unwrap() = self.verifier.mint(&self.pid, SCOPES, 3600);
            }
            Ok(AccessToken::new(self.current.lock().unwrap().clone()))
        })
    }
}

/// A valid return for `org` built from a published example (VAT code 3, 25 000 to pay).
pub fn return_for(org: &str, reference: &str) -> Vec<u8> {
    let src = std::fs::read_to_string(
        crate::local_validation::data()
            .join("examples/feedback/exampleSuccessfulFeedback17062021/mvamelding.xml"),
    )
    .unwrap();
    src.replace("911158612", org)
        .replace(
            "<regnskapssystemsreferanse>3<",
            &format!("<regnskapssystemsreferanse>{reference}<"),
        )
        .into_bytes()
}

pub fn envelope_options() -> mva::EnvelopeOptions {
    mva::EnvelopeOptions {
        created_by: "Kari Regnskapsfører".into(),
        created_at: time::OffsetDateTime::now_utc(),
    }
}

pub fn pdf_attachment(name: &str) -> mva::Attachment {
    mva::Attachment {
        file_name: name.into(),
        content_type: "application/pdf".into(),
        bytes: b"%PDF-1.4\n%%EOF\n".to_vec(),
    }
}

pub fn options(dir: &std::path::Path) -> mva::SubmitOptions {
    let mut o = mva::SubmitOptions::new(dir.join("journal"), dir.join("out"));
    o.poll_interval = std::time::Duration::from_millis(100);
    o.feedback_timeout = std::time::Duration::from_secs(20);
    o
}
