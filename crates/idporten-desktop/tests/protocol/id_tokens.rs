//! Forged ID tokens from the simulator: each is refused with its specific error.

use idporten_desktop::{AcrLevel, Client, Error, TokenSet};
use sim::Forgery;

use crate::common::{clock, seams, sim_client, sim_config, sim_login, start_sim};

/// Logs in once with the next ID token forged.
async fn forged(forgery: Forgery) -> Result<TokenSet, Error> {
    let sim = start_sim().await;
    let clock = clock();
    let client = sim_client(&sim, &clock).await;
    sim.faults().forge_next_id_token(forgery);
    sim_login(&client, &[]).await
}

#[tokio::test]
async fn an_honest_token_is_accepted() {
    let sim = start_sim().await;
    let clock = clock();
    let tokens = sim_login(&sim_client(&sim, &clock).await, &[])
        .await
        .unwrap();
    assert_eq!(tokens.id_claims.sub.len(), 43, "a pairwise sub");
    assert_eq!(tokens.id_claims.amr, vec!["TestID"]);
}

#[tokio::test]
async fn wrong_iss() {
    let r = forged(Forgery::WrongIss).await;
    assert!(matches!(r, Err(Error::IdTokenIssuer { .. })), "{r:?}");
}

#[tokio::test]
async fn wrong_aud() {
    let r = forged(Forgery::WrongAud).await;
    assert!(matches!(r, Err(Error::IdTokenAudience { .. })), "{r:?}");
}

#[tokio::test]
async fn several_aud_without_azp() {
    let r = forged(Forgery::SeveralAudNoAzp).await;
    assert!(
        matches!(r, Err(Error::IdTokenAuthorizedParty { found: None, .. })),
        "{r:?}"
    );
}

#[tokio::test]
async fn several_aud_with_wrong_azp() {
    let r = forged(Forgery::SeveralAudWrongAzp).await;
    assert!(
        matches!(r, Err(Error::IdTokenAuthorizedParty { found: Some(_), .. })),
        "{r:?}"
    );
}

#[tokio::test]
async fn expired() {
    let r = forged(Forgery::Expired).await;
    assert!(matches!(r, Err(Error::IdTokenExpired { .. })), "{r:?}");
}

#[tokio::test]
async fn iat_in_the_future() {
    let r = forged(Forgery::IatInFuture).await;
    assert!(
        matches!(r, Err(Error::IdTokenIssuedInFuture { .. })),
        "{r:?}"
    );
}

#[tokio::test]
async fn missing_sub() {
    let r = forged(Forgery::MissingSub).await;
    assert!(
        matches!(&r, Err(Error::IdTokenMissingClaim { claim }) if claim == "sub"),
        "{r:?}"
    );
}

#[tokio::test]
async fn wrong_nonce() {
    let r = forged(Forgery::WrongNonce).await;
    assert!(matches!(r, Err(Error::IdTokenNonce)), "{r:?}");
}

async fn high_client(sim: &sim::SimHandle) -> Client {
    let mut config = sim_config(sim);
    config.acr = AcrLevel::High;
    Client::discover(config, seams(&clock())).await.unwrap()
}

#[tokio::test]
async fn acr_below_the_request() {
    let sim = start_sim().await;
    let client = high_client(&sim).await;
    sim_login(&client, &[("sim_acr", "idporten-loa-high")])
        .await
        .expect("an honest high login");
    sim.faults().forge_next_id_token(Forgery::AcrBelowRequest);
    let r = sim_login(&client, &[("sim_acr", "idporten-loa-high")]).await;
    assert!(matches!(r, Err(Error::IdTokenAcr { .. })), "{r:?}");
}

#[tokio::test]
async fn high_satisfies_substantial() {
    let sim = start_sim().await;
    let clock = clock();
    let tokens = sim_login(
        &sim_client(&sim, &clock).await,
        &[("sim_acr", "idporten-loa-high")],
    )
    .await
    .unwrap();
    assert_eq!(tokens.id_claims.acr.as_deref(), Some("idporten-loa-high"));
}

#[tokio::test]
async fn alg_none() {
    let r = forged(Forgery::AlgNone).await;
    assert!(
        matches!(&r, Err(Error::IdTokenAlgorithm { alg }) if alg == "none"),
        "{r:?}"
    );
}

#[tokio::test]
async fn hs256_signed_with_the_public_key() {
    let r = forged(Forgery::Hs256PublicKey).await;
    assert!(
        matches!(&r, Err(Error::IdTokenAlgorithm { alg }) if alg == "HS256"),
        "{r:?}"
    );
}

#[tokio::test]
async fn bad_signature() {
    let r = forged(Forgery::BadSignature).await;
    assert!(matches!(r, Err(Error::IdTokenSignature)), "{r:?}");
}

#[tokio::test]
async fn no_kid_with_a_single_key_uses_it() {
    assert!(forged(Forgery::NoKid).await.is_ok());
}

#[tokio::test]
async fn an_unknown_kid_refetches_once_then_is_rate_limited() {
    let sim = start_sim().await;
    let clock = clock();
    let client = sim_client(&sim, &clock).await;
    sim_login(&client, &[]).await.unwrap();
    assert_eq!(sim.stats()["jwks_requests"], 1);

    // A minute later a token names a key nobody has: one refetch, then UnknownSigningKey with the kid itself.
    clock.advance(61);
    sim.faults().forge_next_id_token(Forgery::UnknownKid);
    let r = sim_login(&client, &[]).await;
    assert!(
        matches!(&r, Err(Error::UnknownSigningKey { kid: Some(k) }) if k == "mva-sim-unknown-kid"),
        "{r:?}"
    );
    assert_eq!(sim.stats()["jwks_requests"], 2);

    // Ten seconds later again: no third fetch (rate limit).
    clock.advance(10);
    sim.faults().forge_next_id_token(Forgery::UnknownKid);
    let r = sim_login(&client, &[]).await;
    assert!(matches!(&r, Err(Error::UnknownSigningKey { .. })), "{r:?}");
    assert_eq!(
        sim.stats()["jwks_requests"],
        2,
        "the rate limit kept a third fetch from happening"
    );
}
