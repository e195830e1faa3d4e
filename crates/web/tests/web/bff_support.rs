//! The web flow end to end: the simulator (a web client with a secret, one with private_key_jwt), BFF instances on
//! real sockets sharing one session store, a small upstream that echoes what it was sent, and a browser stand-in
//! that keeps the BFF's cookies itself (the `__Host-` cookies are `Secure`; this one sends them over loopback http,
//! as browsers do for http://localhost and 127.0.0.1).

use axum::extract::Request;
use axum::routing::any;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::net::TcpListener;
use url::Url;
use web::bff::{self, Bff, BffConfig};
use web::{Limits, SessionKeys, SessionStore, Sessions};

pub const WEB_CLIENT: &str = "bff-web-secret";
pub const WEB_SECRET: &str = "bff-web-secret-value-for-tests-only";
pub const JWT_CLIENT: &str = "bff-web-jwt";
pub const JWT_KID: &str = "bff-test-key";
pub const PID: &str = "01818510078";

/// The RSA key of the private_key_jwt client: (PKCS#8 PEM, JWKS JSON).
pub fn client_key() -> &'static (String, String) {
    static KEY: OnceLock<(String, String)> = OnceLock::new();
    KEY.get_or_init(|| {
        let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        let pem = key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
        let n = URL_SAFE_NO_PAD.encode(key.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(key.e().to_bytes_be());
        let jwks = serde_json::json!({"keys": [{"kty": "RSA", "kid": JWT_KID, "n": n, "e": e, "alg": "RS256", "use": "sig"}]});
        (pem, jwks.to_string())
    })
}

/// The simulator with headless login and the two web clients (one-time refresh tokens, front-channel logout).
pub async fn sim() -> sim::SimHandle {
    let jwks = &client_key().1;
    let toml = format!(
        r#"
[sim]
headless_login = true

[[integration]]
client_id = "{WEB_CLIENT}"
name = "BFF web client"
organisation_number = "310000019"
scopes = ["openid", "skatteetaten:mvameldingvalidering", "skatteetaten:mvameldinginnsending"]
grant_types = ["authorization_code", "refresh_token"]
client_authentication = "client_secret_basic"
client_secret = "{WEB_SECRET}"
application_type = "web"
redirect_uris = ["http://127.0.0.1:0/oauth2/callback"]
post_logout_redirect_uris = ["http://127.0.0.1:0/oauth2/logout/callback"]
frontchannel_logout_uri = "http://127.0.0.1:0/oauth2/logout/frontchannel"
frontchannel_logout_session_required = true
refresh_token_type = "one-time"

[[integration]]
client_id = "{JWT_CLIENT}"
name = "BFF web client with a key"
organisation_number = "310000019"
scopes = ["openid", "skatteetaten:mvameldingvalidering", "skatteetaten:mvameldinginnsending"]
grant_types = ["authorization_code", "refresh_token"]
client_authentication = "private_key_jwt"
client_public_key = '{jwks}'
application_type = "web"
redirect_uris = ["http://127.0.0.1:0/oauth2/callback"]
post_logout_redirect_uris = ["http://127.0.0.1:0/oauth2/logout/callback"]
frontchannel_logout_uri = "http://127.0.0.1:0/oauth2/logout/frontchannel"
frontchannel_logout_session_required = true
refresh_token_type = "one-time"
"#
    );
    sim::start(
        sim::SimConfig::parse(&toml).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap()
}

/// How a test instance authenticates.
#[derive(Clone, Copy)]
pub enum Auth {
    Secret,
    PrivateKeyJwt,
}

/// One BFF instance on its own socket.
pub struct Instance {
    pub url: String,
    pub bff: Arc<Bff>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds a socket for an instance (the first one's address is the public URL of all).
pub async fn bind() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    (listener, url)
}

/// Starts an instance on `listener` for `public_url`, over `store`.
pub async fn instance(
    listener: TcpListener,
    public_url: &str,
    sim: &sim::SimHandle,
    auth: Auth,
    store: Arc<dyn SessionStore>,
    keys: &SessionKeys,
    upstream: Option<&str>,
) -> Instance {
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut config = BffConfig::new(Url::parse(public_url).unwrap());
    config.upstream = upstream.map(|u| Url::parse(u).unwrap());
    let issuer = idporten::Issuer::parse(&sim.issuer()).unwrap();
    let (client_id, client_auth) = match auth {
        Auth::Secret => (
            WEB_CLIENT,
            idporten::ClientAuth::ClientSecretBasic(idporten::ClientSecret::new(WEB_SECRET)),
        ),
        Auth::PrivateKeyJwt => (
            JWT_CLIENT,
            idporten::ClientAuth::PrivateKeyJwt {
                key_pem: idporten::PrivateKeyPem::new(client_key().0.clone()),
                kid: JWT_KID.into(),
            },
        ),
    };
    let mut client_config = config
        .client_config(issuer, idporten::ClientId::new(client_id))
        .unwrap();
    client_config.client_auth = client_auth;
    let client = idporten::Client::discover(client_config, idporten::Seams::default())
        .await
        .unwrap();
    let sessions = Sessions::new(store, keys.clone(), Limits::default());
    let bff = Arc::new(Bff::new(client, sessions, config).unwrap());
    let app = bff::router(bff.clone());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Instance { url, bff, task }
}

/// An upstream that answers every request with what it was sent: path, Authorization, Cookie. Counts requests.
pub struct Upstream {
    pub url: String,
    pub hits: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Upstream {
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::SeqCst)
    }
}

pub async fn upstream() -> Upstream {
    let hits = Arc::new(AtomicU64::new(0));
    let counter = hits.clone();
    let app = Router::new().fallback(any(move |request: Request| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut echo = {
                let header = |name: &str| {
                    request
                        .headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                serde_json::json!({
                    "path": request.uri().path(),
                    "authorization": header("authorization"),
                    "cookie": header("cookie"),
                    "transfer-encoding": header("transfer-encoding"),
                    "content-length": header("content-length"),
                })
            };
            let body = axum::body::to_bytes(request.into_body(), 1 << 20)
                .await
                .unwrap();
            echo["body"] = String::from_utf8_lossy(&body).into();
            Json(echo)
        }
    }));
    let (listener, url) = bind().await;
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Upstream { url, hits, task }
}

/// A request sent and its JSON answer read; the test fails on a network error or a body that is not JSON.
#[allow(async_fn_in_trait)]
pub trait FetchJson {
    /// Sends the request and reads the answer as JSON.
    async fn fetch_json(self) -> serde_json::Value;
}

impl FetchJson for reqwest::RequestBuilder {
    async fn fetch_json(self) -> serde_json::Value {
        self.send().await.unwrap().json().await.unwrap()
    }
}

/// A browser stand-in: follows nothing by itself, keeps the cookies the BFF sets.
pub struct Browser {
    pub http: reqwest::Client,
    pub jar: BTreeMap<String, String>,
    pub public_url: String,
}

impl Browser {
    pub fn new(public_url: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: BTreeMap::new(),
            public_url: public_url.to_owned(),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn session_cookie(&self) -> Option<&String> {
        self.jar.get(web::COOKIE_NAME)
    }

    /// Takes the `Set-Cookie` headers of a BFF answer.
    pub fn absorb(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            assert!(
                attributes.contains("Secure") && attributes.contains("HttpOnly"),
                "{text}"
            );
            if attributes.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    /// A request with this browser's cookies; `navigate` adds the headers of a top-level navigation.
    pub fn request(
        &self,
        method: reqwest::Method,
        url: &str,
        navigate: bool,
    ) -> reqwest::RequestBuilder {
        let mut builder = self.http.request(method, url);
        if !self.jar.is_empty() {
            builder = builder.header("cookie", self.cookie_header());
        }
        if navigate {
            builder = builder
                .header("sec-fetch-mode", "navigate")
                .header("accept", "text/html,application/xhtml+xml");
        }
        builder
    }

    pub async fn navigate(&mut self, url: &str) -> reqwest::Response {
        let response = self
            .request(reqwest::Method::GET, url, true)
            .send()
            .await
            .unwrap();
        self.absorb(&response);
        response
    }

    /// `GET {bff_url}/oauth2/session` as the page's fetch would: the session's metadata as JSON.
    pub async fn session_info(&self, bff_url: &str) -> serde_json::Value {
        self.request(
            reqwest::Method::GET,
            &format!("{bff_url}/oauth2/session"),
            false,
        )
        .fetch_json()
        .await
    }

    /// A state-changing request from the application's own page (Origin = the public URL).
    pub async fn post(&mut self, url: &str) -> reqwest::Response {
        let response = self
            .request(reqwest::Method::POST, url, false)
            .header("origin", &self.public_url)
            .send()
            .await
            .unwrap();
        self.absorb(&response);
        response
    }

    /// Starts a login at `bff_url` and returns the callback URL the simulator sends the browser to (logged in
    /// headlessly as [`PID`]), without visiting it.
    pub async fn start_login(&mut self, bff_url: &str, redirect: &str) -> String {
        let start = self
            .navigate(&format!(
                "{bff_url}/oauth2/login?redirect={}",
                urlencode(redirect)
            ))
            .await;
        assert_eq!(start.status(), 303, "{}", start.text().await.unwrap());
        let authorize = location(&start);
        let sim_answer = self
            .http
            .get(format!("{authorize}&sim_pid={PID}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            sim_answer.status(),
            302,
            "{}",
            sim_answer.text().await.unwrap()
        );
        location(&sim_answer)
    }

    /// A whole login at `bff_url`; returns the callback's answer (303 to `redirect`) and the callback URL.
    pub async fn login(&mut self, bff_url: &str, redirect: &str) -> (reqwest::Response, String) {
        let callback = self.start_login(bff_url, redirect).await;
        let answer = self.navigate(&callback).await;
        (answer, callback)
    }
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location in a {} answer", response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

pub fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The claims of a JWT, unverified.
pub fn claims(jwt: &str) -> serde_json::Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// One BFF instance with sessions in memory, the simulator and an echoing upstream.
pub struct One {
    pub sim: sim::SimHandle,
    pub upstream: Upstream,
    pub a: Instance,
    pub public: String,
}

pub async fn one_in_memory() -> One {
    let sim = sim().await;
    let upstream = upstream().await;
    let (listener, public) = bind().await;
    let store = Arc::new(web::MemoryStore::new());
    let a = instance(
        listener,
        &public,
        &sim,
        Auth::Secret,
        store,
        &SessionKeys::generate(),
        Some(&upstream.url),
    )
    .await;
    One {
        sim,
        upstream,
        a,
        public,
    }
}
