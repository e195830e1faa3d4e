//! Helpers shared by the protocol tests: the simulator with the tests' clients, headless logins, a scripted
//! browser; and the hand-written provider's helpers that `refresh.rs` and `concurrency.rs` still use.
#![allow(dead_code)]

use idporten_desktop::integration::{
    ApplicationType, ClientAuthMethod, Integration, RefreshTokenType,
};
use idporten_desktop::{
    AuthorizationCode, BrowserLaunch, BrowserOpener, Client, ClientAuth, ClientConfig, ClientId,
    ClientSecret, Error, Http, Issuer, ManualClock, RedirectUri, Seams, TokenSet,
};
use sim::{SimConfig, SimHandle};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use url::Url;

use crate::provider::{Provider, CLIENT_ID};

pub fn real_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The redirect URI of programmatic logins (nothing listens there: the test reads the redirect itself).
pub fn redirect_uri() -> RedirectUri {
    RedirectUri::parse("http://127.0.0.1:9/callback").unwrap()
}

pub fn config(provider: &Provider) -> ClientConfig {
    ClientConfig::new(provider.issuer(), ClientId::new(CLIENT_ID), redirect_uri())
}

pub fn seams(clock: &Arc<ManualClock>) -> Seams {
    Seams {
        http: Http::new().unwrap(),
        clock: clock.clone(),
        cache_dir: None,
    }
}

pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(real_now()))
}

pub async fn client(provider: &Provider, clock: &Arc<ManualClock>) -> Client {
    Client::discover(config(provider), seams(clock))
        .await
        .unwrap()
}

/// Plays the browser at the authorization endpoint: GET the URL, read the redirect's code, state and iss.
pub async fn authorize(url: &url::Url) -> Vec<(String, String)> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = http.get(url.clone()).send().await.unwrap();
    assert_eq!(
        response.status().as_u16(),
        302,
        "{:?}",
        response.text().await
    );
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    location.query_pairs().into_owned().collect()
}

pub fn param(params: &[(String, String)], name: &str) -> String {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap()
}

/// A whole login without the listener: request, browser, code exchange, validation.
pub async fn login(client: &Client) -> Result<TokenSet, Error> {
    let request = client.authorization_request(&redirect_uri()).await?;
    let params = authorize(&request.url).await;
    assert_eq!(param(&params, "state"), request.state.as_str());
    let code = AuthorizationCode::new(param(&params, "code"));
    client.exchange_code(&code, &request).await
}

// ---- the simulator (crates/sim): the provider of the protocol tests ----

/// The synthetic person of the headless logins.
pub const PID: &str = "01818510078";
/// A confidential web client with one-time refresh tokens, client_secret_basic, loopback redirect and post-logout
/// URIs on any port.
pub const WEB_CLIENT: &str = "protocol-web-client";
pub const WEB_SECRET: &str = "s3cret:with/odd chars";
/// The same kind of client, with client_secret_post.
pub const POST_CLIENT: &str = "protocol-post-client";
pub const POST_SECRET: &str = "s3cret-post";
/// The same kind of client, with private_key_jwt (the key of [`client_key`]).
pub const JWT_CLIENT: &str = "protocol-jwt-client";
pub const JWT_KID: &str = "protocol-client-key";

/// The private_key_jwt client's RSA key: (private PKCS#1 PEM, public JWKS text).
pub fn client_key() -> &'static (String, String) {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    static KEY: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        let pem = key
            .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
            .unwrap()
            .to_string();
        let jwks = serde_json::json!({"keys": [{"kty": "RSA", "kid": JWT_KID, "alg": "RS256", "use": "sig",
            "n": URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()), "e": URL_SAFE_NO_PAD.encode(key.e().to_bytes_be())}]});
        (pem, jwks.to_string())
    })
}

fn web_integration(client_id: &str, auth: ClientAuthMethod) -> Integration {
    Integration {
        client_id: client_id.into(),
        name: "idporten protocol tests".into(),
        description: "a confidential web client with one-time refresh tokens".into(),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        redirect_uris: vec!["http://127.0.0.1:0/callback".into()],
        post_logout_redirect_uris: vec!["http://127.0.0.1:0/logged-out".into()],
        refresh_token_type: RefreshTokenType::OneTime,
        application_type: ApplicationType::Web,
        client_authentication: auth,
        ..Integration::skatteetaten_shared_test_client()
    }
}

/// The simulator on 127.0.0.1, port 0, with headless login and the protocol tests' clients.
pub async fn start_sim() -> SimHandle {
    sim_with(SimConfig::default()).await
}

/// [`start_sim`] with more settings in `config` (the protocol tests' clients are added).
pub async fn sim_with(mut config: SimConfig) -> SimHandle {
    config.sim.headless_login = true;
    let mut basic = web_integration(WEB_CLIENT, ClientAuthMethod::ClientSecretBasic);
    basic.client_secret = Some(WEB_SECRET.into());
    let mut post = web_integration(POST_CLIENT, ClientAuthMethod::ClientSecretPost);
    post.client_secret = Some(POST_SECRET.into());
    let mut jwt = web_integration(JWT_CLIENT, ClientAuthMethod::PrivateKeyJwt);
    jwt.client_public_key = Some(client_key().1.clone());
    config.integrations.extend([basic, post, jwt]);
    sim::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// The issuer of a running simulator.
pub fn sim_issuer(sim: &SimHandle) -> Issuer {
    Issuer::parse(&sim.issuer()).unwrap()
}

/// The web client's configuration (client_secret_basic), redirect URI [`redirect_uri`].
pub fn sim_config(sim: &SimHandle) -> ClientConfig {
    let mut config = ClientConfig::new(sim_issuer(sim), ClientId::new(WEB_CLIENT), redirect_uri());
    config.client_auth = ClientAuth::ClientSecretBasic(ClientSecret::new(WEB_SECRET));
    config
}

/// A client of the web client, discovered, with `clock`.
pub async fn sim_client(sim: &SimHandle, clock: &Arc<ManualClock>) -> Client {
    Client::discover(sim_config(sim), seams(clock))
        .await
        .unwrap()
}

/// A whole login without the listener against the simulator: headless (`sim_pid`, plus `extra` parameters),
/// code exchange, validation.
pub async fn sim_login(client: &Client, extra: &[(&str, &str)]) -> Result<TokenSet, Error> {
    let request = client.authorization_request(&redirect_uri()).await?;
    let mut url = request.url.clone();
    url.query_pairs_mut()
        .append_pair("sim_pid", PID)
        .extend_pairs(extra);
    let params = authorize(&url).await;
    assert_eq!(param(&params, "state"), request.state.as_str());
    let code = AuthorizationCode::new(param(&params, "code"));
    client.exchange_code(&code, &request).await
}

/// What the simulator saw at `path` (method, client, grant type, status), oldest first.
pub fn seen(sim: &SimHandle, path: &str) -> Vec<sim::observe::RequestRecord> {
    sim.requests()
        .into_iter()
        .filter(|r| r.path == path)
        .collect()
}

/// A scripted browser: a `BrowserOpener` that plays the user's browser with reqwest. It logs in headlessly at the
/// simulator (adds `sim_pid` to an authorization URL), follows redirects by hand, and submits a page's
/// auto-posting form (as the page's script would).
#[derive(Clone, Default)]
pub struct ScriptedBrowser {
    /// Every URL opened.
    pub opened: Arc<Mutex<Vec<Url>>>,
    /// Every URL visited (opened, redirected to, posted to).
    pub visited: Arc<Mutex<Vec<String>>>,
    /// The final page's status and body of each opened URL.
    pub finals: Arc<Mutex<Vec<(u16, String)>>>,
}

impl BrowserOpener for ScriptedBrowser {
    fn open(&self, url: &Url) -> Result<BrowserLaunch, Error> {
        self.opened.lock().unwrap().push(url.clone());
        let me = self.clone();
        let mut url = url.clone();
        if url.path() == "/authorize" {
            url.query_pairs_mut().append_pair("sim_pid", PID);
        }
        tokio::runtime::Handle::current().spawn(async move {
            let result = me.browse(url).await;
            me.finals.lock().unwrap().push(result);
        });
        Ok(BrowserLaunch::Opened)
    }
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let end = tag[start..].find('"')? + start;
    Some(
        tag[start..end]
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// The action and hidden fields of the first form of a page.
fn parse_form(html: &str) -> Option<(String, Vec<(String, String)>)> {
    let form_start = html.find("<form")?;
    let form_tag = &html[form_start..form_start + html[form_start..].find('>')?];
    let action = attr(form_tag, "action")?;
    let mut fields = vec![];
    let mut rest = &html[form_start..];
    while let Some(i) = rest.find("<input") {
        let tag = &rest[i..i + rest[i..].find('>')?];
        if let (Some(n), Some(v)) = (attr(tag, "name"), attr(tag, "value")) {
            fields.push((n, v));
        }
        rest = &rest[i + 6..];
    }
    Some((action, fields))
}

impl ScriptedBrowser {
    async fn browse(&self, url: Url) -> (u16, String) {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut request = http.get(url.clone());
        let mut current = url;
        for _ in 0..8 {
            self.visited.lock().unwrap().push(current.to_string());
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) => return (0, e.to_string()),
            };
            let status = response.status().as_u16();
            if (300..400).contains(&status) {
                let location = response.headers()["location"].to_str().unwrap().to_string();
                current = current.join(&location).unwrap();
                request = http.get(current.clone());
                continue;
            }
            let body = response.text().await.unwrap_or_default();
            let lower = body.to_ascii_lowercase();
            if status == 200 && lower.contains("<form") && lower.contains("method=\"post\"") {
                let Some((action, fields)) = parse_form(&body) else {
                    return (status, body);
                };
                current = current.join(&action).unwrap();
                request = http.post(current.clone()).form(&fields);
                continue;
            }
            return (status, body);
        }
        (0, "too many redirects".into())
    }
}
