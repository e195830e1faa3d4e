//! Forged ID tokens from the test provider: each is refused with its specific error.

use idporten::{AcrLevel, Error};
use serde_json::json;

use crate::common::{client, clock, config, login, seams};
use crate::provider::keys::{provider_key, rotated_key};
use crate::provider::{Alg, Forge, Knobs, Provider};

async fn forged(forge: Forge) -> Result<idporten::TokenSet, Error> {
    let provider = Provider::start(Knobs {
        forge,
        ..Knobs::default()
    })
    .await;
    let clock = clock();
    login(&client(&provider, &clock).await).await
}

#[tokio::test]
async fn an_honest_token_is_accepted() {
    let tokens = forged(Forge::default()).await.unwrap();
    assert_eq!(tokens.id_claims.sub, "pairwise-sub-1");
    assert_eq!(tokens.id_claims.amr, vec!["TestID"]);
}

#[tokio::test]
async fn wrong_iss() {
    let r = forged(Forge::set("iss", json!("http://127.0.0.1:1"))).await;
    assert!(matches!(r, Err(Error::IdTokenIssuer { .. })), "{r:?}");
}

#[tokio::test]
async fn wrong_aud() {
    let r = forged(Forge::set("aud", json!("someone-else"))).await;
    assert!(matches!(r, Err(Error::IdTokenAudience { .. })), "{r:?}");
}

#[tokio::test]
async fn several_aud_without_azp() {
    let r = forged(Forge::set("aud", json!(["test-client", "other"]))).await;
    assert!(
        matches!(r, Err(Error::IdTokenAuthorizedParty { found: None, .. })),
        "{r:?}"
    );
}

#[tokio::test]
async fn several_aud_with_wrong_azp() {
    let mut forge = Forge::set("aud", json!(["test-client", "other"]));
    forge.set.push(("azp", json!("other")));
    let r = forged(forge).await;
    assert!(
        matches!(r, Err(Error::IdTokenAuthorizedParty { found: Some(_), .. })),
        "{r:?}"
    );
}

#[tokio::test]
async fn expired() {
    let r = forged(Forge::set("exp", json!(crate::common::real_now() - 120))).await;
    assert!(matches!(r, Err(Error::IdTokenExpired { .. })), "{r:?}");
}

#[tokio::test]
async fn iat_in_the_future() {
    let r = forged(Forge::set("iat", json!(crate::common::real_now() + 600))).await;
    assert!(
        matches!(r, Err(Error::IdTokenIssuedInFuture { .. })),
        "{r:?}"
    );
}

#[tokio::test]
async fn missing_sub() {
    let r = forged(Forge::remove("sub")).await;
    assert!(
        matches!(&r, Err(Error::IdTokenMissingClaim { claim }) if claim == "sub"),
        "{r:?}"
    );
}

#[tokio::test]
async fn wrong_nonce() {
    let r = forged(Forge::set("nonce", json!("replayed-nonce"))).await;
    assert!(matches!(r, Err(Error::IdTokenNonce)), "{r:?}");
}

#[tokio::test]
async fn acr_too_low() {
    let provider = Provider::start(Knobs::default()).await;
    let clock = clock();
    let mut config = config(&provider);
    config.acr = AcrLevel::High;
    let client = idporten::Client::discover(config, seams(&clock))
        .await
        .unwrap();
    let r = login(&client).await;
    assert!(matches!(r, Err(Error::IdTokenAcr { .. })), "{r:?}");
}

#[tokio::test]
async fn high_satisfies_substantial() {
    let provider = Provider::start(Knobs {
        acr: "idporten-loa-high".into(),
        ..Knobs::default()
    })
    .await;
    let clock = clock();
    assert!(login(&client(&provider, &clock).await).await.is_ok());
}

#[tokio::test]
async fn alg_none() {
    let r = forged(Forge::alg(Alg::None)).await;
    assert!(
        matches!(&r, Err(Error::IdTokenAlgorithm { alg }) if alg == "none"),
        "{r:?}"
    );
}

#[tokio::test]
async fn hs256_signed_with_the_public_key() {
    let r = forged(Forge::alg(Alg::Hs256PublicKey)).await;
    assert!(
        matches!(&r, Err(Error::IdTokenAlgorithm { alg }) if alg == "HS256"),
        "{r:?}"
    );
}

#[tokio::test]
async fn bad_signature() {
    let r = forged(Forge::alg(Alg::BadSignature)).await;
    assert!(matches!(r, Err(Error::IdTokenSignature)), "{r:?}");
}

#[tokio::test]
async fn the_unparseable_extra_key_in_the_jwks_is_skipped() {
    // The provider always publishes a broken key next to the real one; an honest login works, and the JWKS
    // parser reports the skip.
    let provider = Provider::start(Knobs::default()).await;
    let clock = clock();
    let client = client(&provider, &clock).await;
    login(&client).await.unwrap();
    let keys = client.jwks().keys_for(Some("k1")).await.unwrap();
    assert_eq!((keys.len(), keys.skipped()), (1, 1));
}

#[tokio::test]
async fn no_kid_with_a_single_key_uses_it() {
    let provider = Provider::start(Knobs::default()).await;
    provider.header_kid(Some(None));
    let clock = clock();
    assert!(login(&client(&provider, &clock).await).await.is_ok());
}

#[tokio::test]
async fn unknown_kid_refetches_once_then_is_rate_limited() {
    let provider = Provider::start(Knobs::default()).await;
    let clock = clock();
    let client = client(&provider, &clock).await;
    login(&client).await.unwrap();
    assert_eq!(Provider::count(&provider.seen().jwks), 1);

    // The provider rotates to k2; a minute later a token signed with k2 arrives: one refetch finds it.
    provider.rotate(
        rotated_key(),
        vec![provider_key().jwk(), rotated_key().jwk()],
    );
    clock.advance(61);
    login(&client).await.unwrap();
    assert_eq!(Provider::count(&provider.seen().jwks), 2);

    // A token naming a key nobody has, ten seconds later: no third fetch (rate limit), UnknownSigningKey.
    provider.header_kid(Some(Some("k3")));
    clock.advance(10);
    let r = login(&client).await;
    assert!(
        matches!(&r, Err(Error::UnknownSigningKey { kid: Some(k) }) if k == "k3"),
        "{r:?}"
    );
    assert_eq!(
        Provider::count(&provider.seen().jwks),
        2,
        "the rate limit kept a third fetch from happening"
    );
}

#[tokio::test]
async fn a_key_rotated_right_after_the_first_fetch_earns_one_refetch() {
    let provider = Provider::start(Knobs::default()).await;
    let clock = clock();
    let client = client(&provider, &clock).await;
    login(&client).await.unwrap();
    provider.rotate(rotated_key(), vec![rotated_key().jwk()]);
    clock.advance(5);
    login(&client).await.unwrap();
    assert_eq!(Provider::count(&provider.seen().jwks), 2);
}
