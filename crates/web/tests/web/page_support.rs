//! The VAT page's server over real sockets: the simulator's VAT services (validation API, Altinn token exchange,
//! submission app) on a free port, accepting tokens minted here, and `mva serve`'s routes (session routes, API,
//! page) on another, with sessions created through the store API.

use axum::Router;
use sim::mva::{AccessTokenVerifier, MvaServices, MvaSimConfig, VerifiedAccessToken};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use web::api::{ApiConfig, ApiState};
use web::routes::WebState;
use web::{
    AccessToken, Acr, Identity, Limits, MemoryStore, Pid, SessionData, SessionKeys, Sessions, Sid,
    Tokens,
};

pub const KARI: &str = "01818510078"; // may submit for 310000019
pub const OLA: &str = "15929210775"; // may fill in for 310000019, not submit
pub const PER: &str = "24827010770"; // no roles
pub const ORG: &str = "310000019";
pub const ISSUER: &str = "http://127.0.0.1:9/idporten";
const SCOPES: &str = "openid skatteetaten:mvameldingvalidering skatteetaten:mvameldinginnsending";

/// Accepts the tokens minted by the test.
#[derive(Default)]
pub struct Verifier(Mutex<HashMap<String, VerifiedAccessToken>>);

impl Verifier {
    pub fn mint(&self, pid: &str) -> String {
        let token = format!("test-{}", uuid_like());
        self.0.lock().unwrap().insert(
            token.clone(),
            VerifiedAccessToken {
                pid: pid.into(),
                scopes: SCOPES.split(' ').map(str::to_string).collect(),
                expires_at: OffsetDateTime::now_utc().unix_timestamp() + 3600,
                client_id: "web-test".into(),
            },
        );
        token
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::thread_rng().gen();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl AccessTokenVerifier for Verifier {
    fn verify(&self, bearer: &str) -> Option<VerifiedAccessToken> {
        self.0.lock().unwrap().get(bearer).cloned()
    }
}

/// The simulator's VAT services on a free port.
pub struct VatSim {
    pub base: url::Url,
    pub services: Arc<MvaServices>,
    pub verifier: Arc<Verifier>,
}

pub async fn vat_sim() -> VatSim {
    let verifier = Arc::new(Verifier::default());
    let config = MvaSimConfig {
        feedback_delay_secs: 1,
        ..MvaSimConfig::default()
    };
    let services = Arc::new(MvaServices::new(
        config,
        sim::person::default_persons(),
        verifier.clone(),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = services.clone().router();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    VatSim {
        base: format!("http://{addr}/").parse().unwrap(),
        services,
        verifier,
    }
}

/// One instance of the server: its base URL (and public origin).
pub struct Instance {
    pub base: String,
}

/// Serves the session routes, the API and the page on a free port of `host` (`127.0.0.1` or `localhost`), with
/// `data_dir` as the API's data folder.
pub async fn instance(sessions: &Sessions, sim: &VatSim, data_dir: &Path, host: &str) -> Instance {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://{host}:{port}");
    let web = WebState {
        sessions: sessions.clone(),
        public_origin: base.clone().into(),
        issuer: ISSUER.into(),
    };
    let mut config = ApiConfig::new(mva::Endpoints::sim(&sim.base), data_dir);
    config.poll_interval = Duration::from_millis(200);
    config.feedback_timeout = Duration::from_secs(30);
    config.max_upload_bytes = 40 * 1024 * 1024;
    let app: Router =
        web::routes::router(web.clone()).merge(web::api::router(ApiState::new(web, config)));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Instance { base }
}

/// Sessions in memory (one store shared by the instances of a test).
pub fn sessions() -> Sessions {
    Sessions::new(
        Arc::new(MemoryStore::new()),
        SessionKeys::generate(),
        Limits::default(),
    )
}

/// A logged-in session of `pid` with a token the simulator accepts; returns the cookie value.
pub async fn log_in(sessions: &Sessions, sim: &VatSim, pid: &str) -> String {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let data = SessionData::new(
        Tokens {
            access_token: AccessToken::new(sim.verifier.mint(pid)),
            access_expires_at: now + time::Duration::seconds(3600),
            refresh_token: None,
            id_token: None,
            scope: SCOPES.into(),
        },
        Identity {
            pid: Pid::new(pid),
            acr: Acr::new("idporten-loa-high"),
            auth_time: now,
            sid: Some(Sid::new(format!("sid-{}", uuid_like()))),
        },
    );
    let (_, cookie) = sessions.create(data).await.unwrap();
    cookie.secret().to_owned()
}

pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../mva/testdata/mva-meldingen")
}

/// The official example return that the Tax Administration answered with feedback, for `org`.
pub fn example_return(org: &str) -> Vec<u8> {
    let path =
        testdata().join("examples/feedback/exampleSuccessfulFeedback17062021/mvamelding.xml");
    std::fs::read_to_string(path)
        .unwrap()
        .replace("911158612", org)
        .into_bytes()
}

/// A multipart/form-data body, built by hand: (field name, file name, bytes).
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = format!("----mva-test-{}", uuid_like());
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
