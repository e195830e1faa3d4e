//! The token endpoint sees the right client authentication for each method; PAR when configured.

use base64::Engine;
use idporten::{Client, ClientAuth, ClientSecret, Error, PrivateKeyPem};

use crate::common::{clock, config, login, seams};
use crate::provider::keys::client_key;
use crate::provider::{Knobs, Provider, Registered};

async fn with_auth(
    registered: Registered,
    auth: ClientAuth,
) -> (Provider, Result<idporten::TokenSet, Error>) {
    let provider = Provider::start(Knobs {
        auth: registered,
        ..Knobs::default()
    })
    .await;
    let clock = clock();
    let mut config = config(&provider);
    config.client_auth = auth;
    let client = Client::discover(config, seams(&clock)).await.unwrap();
    let result = login(&client).await;
    (provider, result)
}

fn last_request(provider: &Provider) -> (Option<String>, Vec<(String, String)>) {
    provider
        .seen()
        .last_token_request
        .lock()
        .unwrap()
        .clone()
        .unwrap()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn none_sends_only_the_client_id() {
    let (provider, r) = with_auth(Registered::None, ClientAuth::None).await;
    r.unwrap();
    let (header, form) = last_request(&provider);
    assert!(header.is_none());
    assert_eq!(field(&form, "client_id"), Some("test-client"));
    assert!(field(&form, "code_verifier").is_some_and(|v| v.len() >= 43));
}

#[tokio::test]
async fn client_secret_basic_uses_the_header() {
    let secret = "s3cret:with/odd chars";
    let (provider, r) = with_auth(
        Registered::Basic(secret.into()),
        ClientAuth::ClientSecretBasic(ClientSecret::new(secret)),
    )
    .await;
    r.unwrap();
    let (header, form) = last_request(&provider);
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(header.unwrap().trim_start_matches("Basic "))
        .unwrap();
    assert_eq!(
        String::from_utf8(decoded).unwrap(),
        "test-client:s3cret%3Awith%2Fodd+chars"
    );
    assert!(field(&form, "client_secret").is_none());
}

#[tokio::test]
async fn client_secret_post_uses_the_body() {
    let (provider, r) = with_auth(
        Registered::Post("s3cret".into()),
        ClientAuth::ClientSecretPost(ClientSecret::new("s3cret")),
    )
    .await;
    r.unwrap();
    let (header, form) = last_request(&provider);
    assert!(header.is_none());
    assert_eq!(field(&form, "client_secret"), Some("s3cret"));
}

#[tokio::test]
async fn private_key_jwt_sends_a_verified_assertion() {
    let (provider, r) = with_auth(
        Registered::PrivateKeyJwt,
        ClientAuth::PrivateKeyJwt {
            key_pem: PrivateKeyPem::new(client_key().private_pem.clone()),
            kid: client_key().kid.clone(),
        },
    )
    .await;
    r.unwrap();
    // The provider verified the signature with the client's public key and the claims; read them back.
    let claims = provider
        .seen()
        .last_assertion
        .lock()
        .unwrap()
        .clone()
        .unwrap();
    assert_eq!(claims["iss"], "test-client");
    assert_eq!(claims["sub"], "test-client");
    assert_eq!(claims["aud"], provider.issuer().as_str());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        120
    );
    let (_, form) = last_request(&provider);
    assert_eq!(
        field(&form, "client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
}

#[tokio::test]
async fn a_wrong_secret_is_a_typed_invalid_client() {
    let (_provider, r) = with_auth(
        Registered::Post("right".into()),
        ClientAuth::ClientSecretPost(ClientSecret::new("wrong")),
    )
    .await;
    assert!(
        matches!(&r, Err(Error::TokenEndpoint { error, .. }) if error == "invalid_client"),
        "{r:?}"
    );
}

#[tokio::test]
async fn missing_client_authentication_is_refused() {
    // The integration is set to private_key_jwt but the client sends none (ID-porten's documented message).
    let (_provider, r) = with_auth(Registered::PrivateKeyJwt, ClientAuth::None).await;
    match r {
        Err(Error::TokenEndpoint { error, description }) => {
            assert_eq!(error, "invalid_client");
            assert!(description
                .unwrap()
                .contains("No client authentication included"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn par_is_used_when_on() {
    let provider = Provider::start(Knobs {
        par: true,
        auth: Registered::Post("s".into()),
        ..Knobs::default()
    })
    .await;
    let clock = clock();
    let mut config = config(&provider);
    config.use_par = true;
    config.client_auth = ClientAuth::ClientSecretPost(ClientSecret::new("s"));
    let client = Client::discover(config, seams(&clock)).await.unwrap();
    let request = client
        .authorization_request(&crate::common::redirect_uri())
        .await
        .unwrap();
    assert!(request.pushed);
    let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
    let names: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["client_id", "request_uri"],
        "the browser URL holds only client_id and request_uri"
    );
    let pushed = provider.seen().last_par.lock().unwrap().clone().unwrap();
    assert_eq!(
        field(&pushed, "client_secret"),
        Some("s"),
        "PAR carries client authentication"
    );
    assert_eq!(field(&pushed, "code_challenge_method"), Some("S256"));
    // And the whole login goes through with it.
    login(&client).await.unwrap();
    assert_eq!(Provider::count(&provider.seen().par), 2);
}
