//! Helpers of the simulator's tests: start a simulator, build requests, log in headless, decode tokens.

#![allow(dead_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use url::Url;

pub use sim::{
    GUIDE_EXAMPLE_CLIENT_ID, LOOPBACK_TEST_CLIENT_ID, REFRESH_TEST_CLIENT_ID,
    REFRESH_TEST_CLIENT_SECRET, SHARED_TEST_CLIENT_ID, SHARED_TEST_REDIRECT_URI,
};

/// A synthetic test person of the default set.
pub const KARI: &str = "01818510078";
pub const VAT_SCOPE: &str =
    "openid skatteetaten:mvameldingvalidering skatteetaten:mvameldinginnsending";
pub const REFRESH_REDIRECT: &str = "http://127.0.0.1:4711/callback";
pub const GUIDE_REDIRECT: &str = "http://localhost:8988/auth/loginsuccess";

pub const BASIC_CLIENT: &str = "secret-basic-client";
pub const BASIC_SECRET: &str = "s3cret+basic/with:odd chars";
pub const POST_CLIENT: &str = "secret-post-client";
pub const POST_SECRET: &str = "s3cret-post";
pub const JWT_CLIENT: &str = "jwt-client";
pub const JWT_KID: &str = "client-key-1";
pub const OPENID_CLIENT: &str = "openid-only-client";
pub const INTROSPECTOR: &str = "introspector";
pub const CAPPED_CLIENT: &str = "capped-client";
pub const REUSABLE_CLIENT: &str = "reusable-client";
pub const REFRESH_CLIENTS_SECRET: &str = "s3cret-of-a-refresh-client";
pub const WEB_REDIRECT: &str = "http://localhost:9100/cb";
pub const SPA_CLIENT: &str = "spa-client";
pub const SPA_ORIGIN: &str = "http://localhost:9300";
pub const SPA_REDIRECT: &str = "http://localhost:9300/callback";

/// The tracing output of the whole test binary (for the test that checks no token is logged).
pub fn log_buffer() -> Arc<Mutex<Vec<u8>>> {
    static BUF: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUF.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || BufWriter(writer.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buf
    })
    .clone()
}

pub struct BufWriter(Arc<Mutex<Vec<u8>>>);
impl std::io::Write for BufWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The RSA key of the private_key_jwt test client: (private DER, JWKS JSON).
pub fn client_key() -> &'static (Vec<u8>, String) {
    static KEY: OnceLock<(Vec<u8>, String)> = OnceLock::new();
    KEY.get_or_init(|| {
        let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        let der = key.to_pkcs1_der().unwrap().as_bytes().to_vec();
        let n = URL_SAFE_NO_PAD.encode(key.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(key.e().to_bytes_be());
        let jwks = json!({"keys": [{"kty": "RSA", "kid": JWT_KID, "n": n, "e": e, "alg": "RS256", "use": "sig"}]});
        (der, jwks.to_string())
    })
}

/// The test configuration: headless login on, plus confidential and special clients.
pub fn test_config_toml() -> String {
    let jwks = client_key().1.replace('\'', "");
    format!(
        r#"
[sim]
headless_login = true

[[integration]]
client_id = "{BASIC_CLIENT}"
name = "Basic web client"
organisation_number = "310000019"
scopes = ["openid", "profile", "skatteetaten:mvameldingvalidering", "skatteetaten:mvameldinginnsending"]
grant_types = ["authorization_code", "refresh_token"]
client_authentication = "client_secret_basic"
client_secret = "{BASIC_SECRET}"
application_type = "web"
redirect_uris = ["{WEB_REDIRECT}"]
post_logout_redirect_uris = ["http://localhost:9100/bye"]
frontchannel_logout_uri = "http://localhost:9100/frontchannel"
frontchannel_logout_session_required = true

[[integration]]
client_id = "{POST_CLIENT}"
organisation_number = "310000027"
scopes = ["openid", "skatteetaten:mvameldingvalidering"]
client_authentication = "client_secret_post"
client_secret = "{POST_SECRET}"
application_type = "web"
redirect_uris = ["{WEB_REDIRECT}"]

[[integration]]
client_id = "{JWT_CLIENT}"
organisation_number = "310000019"
scopes = ["openid", "skatteetaten:mvameldingvalidering", "skatteetaten:mvameldinginnsending"]
client_authentication = "private_key_jwt"
client_public_key = '{jwks}'
application_type = "web"
redirect_uris = ["{WEB_REDIRECT}"]

[[integration]]
client_id = "{OPENID_CLIENT}"
scopes = ["openid", "profile"]
redirect_uris = ["http://localhost:9200/cb"]
post_logout_redirect_uris = ["http://localhost:9200/bye"]

[[integration]]
client_id = "{INTROSPECTOR}"
scopes = ["openid", "idporten:tokeninfo"]
client_authentication = "client_secret_post"
client_secret = "introspect-secret"
application_type = "web"
redirect_uris = ["{WEB_REDIRECT}"]

[[integration]]
client_id = "{CAPPED_CLIENT}"
scopes = ["openid", "skatteetaten:mvameldingvalidering"]
grant_types = ["authorization_code", "refresh_token"]
application_type = "web"
client_authentication = "client_secret_basic"
client_secret = "{REFRESH_CLIENTS_SECRET}"
redirect_uris = ["{REFRESH_REDIRECT}"]
[integration.lifetimes]
authorization = 28800
access_token = 120
refresh_token = 28800

[[integration]]
client_id = "{SPA_CLIENT}"
scopes = ["openid", "profile"]
application_type = "browser"
redirect_uris = ["{SPA_REDIRECT}"]
post_logout_redirect_uris = ["http://localhost:9300/"]

[[integration]]
client_id = "{REUSABLE_CLIENT}"
scopes = ["openid", "skatteetaten:mvameldingvalidering"]
grant_types = ["authorization_code", "refresh_token"]
application_type = "web"
client_authentication = "client_secret_basic"
client_secret = "{REFRESH_CLIENTS_SECRET}"
refresh_token_type = "reusable"
redirect_uris = ["{REFRESH_REDIRECT}"]
"#
    )
}

/// A running simulator and an HTTP client that does not follow redirects and keeps cookies.
pub struct Sim {
    pub handle: sim::SimHandle,
    pub http: reqwest::Client,
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// A simulator with the test configuration.
pub async fn sim() -> Sim {
    sim_with(&test_config_toml()).await
}

/// A simulator with this configuration text.
pub async fn sim_with(toml: &str) -> Sim {
    log_buffer();
    let config = sim::SimConfig::parse(toml).unwrap();
    let handle = sim::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    Sim {
        handle,
        http: http_client(),
    }
}

impl Sim {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.handle.issuer(), path)
    }

    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.http.get(url).send().await.unwrap()
    }

    /// POST a form to /token (or another path). The web clients with refresh tokens (the built-in refresh client,
    /// the capped and the reusable one) authenticate with HTTP Basic when the form names them and carries no
    /// other client authentication; every other client sends only the form.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let mut request = self.http.post(self.url(path)).form(form);
        let has = |k: &str| form.iter().any(|(a, _)| *a == k);
        let client = form
            .iter()
            .find(|(k, _)| *k == "client_id")
            .map(|(_, v)| *v);
        if let Some((id, secret)) = client.and_then(|c| basic_secret(c).map(|s| (c, s))) {
            if !has("client_secret") && !has("client_assertion") {
                request = request.basic_auth(id, Some(secret));
            }
        }
        json_of(request.send().await.unwrap()).await
    }

    /// The authorize URL for these parameters.
    pub fn authorize_url(&self, params: &[(&str, &str)]) -> String {
        let mut url = Url::parse(&self.url("/authorize")).unwrap();
        url.query_pairs_mut().extend_pairs(params);
        url.to_string()
    }
}

/// The client_secret_basic secret of the web clients with refresh tokens.
pub fn basic_secret(client_id: &str) -> Option<&'static str> {
    match client_id {
        REFRESH_TEST_CLIENT_ID => Some(REFRESH_TEST_CLIENT_SECRET),
        CAPPED_CLIENT | REUSABLE_CLIENT => Some(REFRESH_CLIENTS_SECRET),
        _ => None,
    }
}

pub async fn json_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub fn random() -> String {
    let mut b = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// A fresh PKCE pair (verifier, S256 challenge).
pub fn pkce() -> (String, String) {
    let verifier = random() + &random();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// A complete, valid authorization request.
#[derive(Clone, Debug)]
pub struct Auth {
    pub params: Vec<(String, String)>,
    pub verifier: String,
    pub nonce: String,
    pub state: String,
}

impl Auth {
    pub fn new(client_id: &str, redirect_uri: &str, scope: &str) -> Self {
        let (verifier, challenge) = pkce();
        let nonce = random();
        let state = random();
        let params = [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("scope", scope),
            ("state", &state),
            ("nonce", &nonce),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Self {
            params,
            verifier,
            nonce,
            state,
        }
    }

    pub fn headless(client_id: &str, redirect_uri: &str, scope: &str) -> Self {
        Self::new(client_id, redirect_uri, scope).with("sim_pid", KARI)
    }

    pub fn with(mut self, k: &str, v: &str) -> Self {
        self.params.retain(|(a, _)| a != k);
        self.params.push((k.into(), v.into()));
        self
    }

    pub fn without(mut self, k: &str) -> Self {
        self.params.retain(|(a, _)| a != k);
        self
    }

    pub fn get(&self, k: &str) -> &str {
        self.params
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.as_str())
            .unwrap()
    }

    pub fn url(&self, sim: &Sim) -> String {
        let p: Vec<(&str, &str)> = self
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        sim.authorize_url(&p)
    }
}

/// The query parameters of a redirect's Location.
pub fn redirect_params(r: &reqwest::Response) -> (Url, HashMap<String, String>) {
    assert_eq!(
        r.status().as_u16(),
        302,
        "expected a redirect, got {}",
        r.status()
    );
    let location = r.headers()["location"].to_str().unwrap();
    let url = Url::parse(location).unwrap();
    let q = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    (url, q)
}

/// Follows an authorization request (headless) to its code.
pub async fn code_for(sim: &Sim, auth: &Auth) -> String {
    let r = sim.get(&auth.url(sim)).await;
    let (_, q) = redirect_params(&r);
    assert_eq!(
        q.get("state").map(String::as_str),
        Some(auth.state.as_str()),
        "{q:?}"
    );
    q.get("code")
        .unwrap_or_else(|| panic!("no code: {q:?}"))
        .clone()
}

/// Redeems a code (with HTTP Basic for the web clients of [`basic_secret`]).
pub async fn redeem(sim: &Sim, auth: &Auth, code: &str) -> (u16, Value) {
    sim.post_form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", auth.get("redirect_uri")),
            ("code_verifier", &auth.verifier),
            ("client_id", auth.get("client_id")),
        ],
    )
    .await
}

/// Headless login and code exchange: the token response.
pub async fn login(sim: &Sim, client_id: &str, redirect_uri: &str, scope: &str) -> (Auth, Value) {
    let auth = Auth::headless(client_id, redirect_uri, scope);
    let code = code_for(sim, &auth).await;
    let (status, body) = redeem(sim, &auth, &code).await;
    assert_eq!(status, 200, "{body}");
    (auth, body)
}

/// The claims of a JWT, not verified (tests check the signature separately).
pub fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

pub fn header(jwt: &str) -> Value {
    let head = jwt.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(head).unwrap()).unwrap()
}

/// A client assertion of the private_key_jwt client, with claims adjusted by `edit`.
pub fn assertion(sim: &Sim, edit: impl FnOnce(&mut Value, &mut Header)) -> String {
    let now = sim.handle.clock().now();
    let mut claims = json!({"iss": JWT_CLIENT, "sub": JWT_CLIENT, "aud": sim.handle.issuer(), "iat": now,
                            "exp": now + 60, "jti": random()});
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(JWT_KID.into());
    edit(&mut claims, &mut header);
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_rsa_der(&client_key().0),
    )
    .unwrap()
}
