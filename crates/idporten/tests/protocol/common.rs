//! Helpers shared by the protocol tests.

use idporten::{
    AuthorizationCode, Client, ClientConfig, ClientId, Error, Http, ManualClock, RedirectUri,
    Seams, TokenSet,
};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

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

fn param(params: &[(String, String)], name: &str) -> String {
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
