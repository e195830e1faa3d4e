//! Client authentication at the simulator's token endpoint, which accepts only the registered method done exactly
//! right (one method per request, the Basic encoding of RFC 6749 2.3.1, a verified assertion); PAR when configured.

use idporten_desktop::{
    Client, ClientAuth, ClientId, ClientSecret, Error, PrivateKeyPem, TokenSet,
};
use sim::SimHandle;

use crate::common::{
    client_key, clock, redirect_uri, seams, seen, sim_config, sim_login, start_sim, JWT_CLIENT,
    JWT_KID, POST_CLIENT, POST_SECRET, WEB_CLIENT, WEB_SECRET,
};

async fn with_auth(client_id: &str, auth: ClientAuth) -> (SimHandle, Result<TokenSet, Error>) {
    let sim = start_sim().await;
    let mut config = sim_config(&sim);
    config.client_id = ClientId::new(client_id);
    config.client_auth = auth;
    let client = Client::discover(config, seams(&clock())).await.unwrap();
    let result = sim_login(&client, &[]).await;
    (sim, result)
}

/// The client_id of every token request the simulator saw.
fn token_clients(sim: &SimHandle) -> Vec<Option<String>> {
    seen(sim, "/token")
        .into_iter()
        .map(|r| r.client_id)
        .collect()
}

#[tokio::test]
async fn none_sends_only_the_client_id() {
    // The built-in public desktop client; the simulator refuses any authentication it is not registered for.
    let (sim, r) = with_auth(sim::LOOPBACK_TEST_CLIENT_ID, ClientAuth::None).await;
    let tokens = r.unwrap();
    assert!(
        tokens.refresh_token.is_none(),
        "a public client gets no refresh token"
    );
    assert_eq!(
        token_clients(&sim),
        [Some(sim::LOOPBACK_TEST_CLIENT_ID.to_string())]
    );
}

#[tokio::test]
async fn client_secret_basic_with_odd_characters_is_encoded_right() {
    // The secret holds ':' '/' and ' ': the simulator decodes the header by RFC 6749 2.3.1 and compares exactly.
    let (sim, r) = with_auth(
        WEB_CLIENT,
        ClientAuth::ClientSecretBasic(ClientSecret::new(WEB_SECRET)),
    )
    .await;
    r.unwrap();
    assert_eq!(token_clients(&sim), [Some(WEB_CLIENT.to_string())]);
}

#[tokio::test]
async fn client_secret_post_uses_the_body() {
    let (_sim, r) = with_auth(
        POST_CLIENT,
        ClientAuth::ClientSecretPost(ClientSecret::new(POST_SECRET)),
    )
    .await;
    r.unwrap();
}

#[tokio::test]
async fn private_key_jwt_sends_an_assertion_the_provider_verifies() {
    // The simulator checks the signature with the registered key, iss = sub = client_id, aud, exp - iat <= 120 s,
    // and a jti never seen.
    let (sim, r) = with_auth(
        JWT_CLIENT,
        ClientAuth::PrivateKeyJwt {
            key_pem: PrivateKeyPem::new(client_key().0.clone()),
            kid: JWT_KID.into(),
        },
    )
    .await;
    r.unwrap();
    assert_eq!(token_clients(&sim), [Some(JWT_CLIENT.to_string())]);
}

#[tokio::test]
async fn a_wrong_secret_is_a_typed_invalid_client() {
    let (_sim, r) = with_auth(
        POST_CLIENT,
        ClientAuth::ClientSecretPost(ClientSecret::new("wrong")),
    )
    .await;
    assert!(
        matches!(&r, Err(Error::TokenEndpoint { error, .. }) if error == "invalid_client"),
        "{r:?}"
    );
}

#[tokio::test]
async fn the_wrong_method_is_refused() {
    // Registered for client_secret_post, the client sends Basic.
    let (_sim, r) = with_auth(
        POST_CLIENT,
        ClientAuth::ClientSecretBasic(ClientSecret::new(POST_SECRET)),
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
    let (_sim, r) = with_auth(JWT_CLIENT, ClientAuth::None).await;
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
    let sim = start_sim().await;
    let mut config = sim_config(&sim);
    config.use_par = true;
    config.client_id = ClientId::new(POST_CLIENT);
    config.client_auth = ClientAuth::ClientSecretPost(ClientSecret::new(POST_SECRET));
    let client = Client::discover(config, seams(&clock())).await.unwrap();
    let request = client.authorization_request(&redirect_uri()).await.unwrap();
    assert!(request.pushed);
    let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
    let names: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["client_id", "request_uri"],
        "the browser URL holds only client_id and request_uri"
    );
    // The push was authenticated (the simulator refuses an unauthenticated push of a confidential client).
    assert_eq!(
        seen(&sim, "/par")
            .iter()
            .map(|r| (r.client_id.as_deref(), r.status))
            .collect::<Vec<_>>(),
        [(Some(POST_CLIENT), 201)]
    );
    // And the whole login goes through with it.
    sim_login(&client, &[]).await.unwrap();
    assert_eq!(sim.stats()["par_requests"], 2);
}
