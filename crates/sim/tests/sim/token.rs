//! `/token`: the code grant's rules, errors, and the tokens' claims.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use std::collections::BTreeSet;

use crate::support::*;

fn code_form<'a>(auth: &'a Auth, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", auth.get("redirect_uri")),
        ("code_verifier", &auth.verifier),
        ("client_id", auth.get("client_id")),
    ]
}

fn set(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn token_response_and_claims_are_exactly_id_portens() {
    let sim = sim().await;
    let (auth, t) = login(
        &sim,
        SHARED_TEST_CLIENT_ID,
        SHARED_TEST_REDIRECT_URI,
        VAT_SCOPE,
    )
    .await;
    assert_eq!(
        set(&t),
        names(&[
            "access_token",
            "id_token",
            "token_type",
            "expires_in",
            "scope"
        ])
    );
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 120);
    assert_eq!(t["scope"], VAT_SCOPE);

    let id = t["id_token"].as_str().unwrap();
    let h = header(id);
    assert_eq!(h["alg"], "RS256");
    assert!(h["kid"].is_string());
    let c = claims(id);
    assert_eq!(
        set(&c),
        names(&[
            "iss",
            "aud",
            "sub",
            "pid",
            "acr",
            "amr",
            "nonce",
            "locale",
            "auth_time",
            "iat",
            "exp",
            "jti"
        ])
    );
    assert_eq!(c["iss"], sim.handle.issuer());
    assert_eq!(c["aud"], SHARED_TEST_CLIENT_ID);
    assert_eq!(c["pid"], KARI);
    assert_eq!(c["acr"], "idporten-loa-substantial");
    assert_eq!(c["amr"], serde_json::json!(["TestID"]));
    assert_eq!(c["nonce"], auth.nonce.as_str());
    assert_eq!(c["locale"], "nb");
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 120);
    assert_ne!(c["sub"], KARI, "sub is pairwise, not the pid");

    let at = t["access_token"].as_str().unwrap();
    assert_eq!(header(at)["typ"], "at+jwt");
    let a = claims(at);
    assert_eq!(
        set(&a),
        names(&[
            "iss",
            "sub",
            "pid",
            "acr",
            "scope",
            "client_id",
            "client_amr",
            "consumer",
            "iat",
            "exp",
            "jti"
        ])
    );
    assert_eq!(a["client_id"], SHARED_TEST_CLIENT_ID);
    assert_eq!(a["client_amr"], "none");
    assert_eq!(a["scope"], VAT_SCOPE);
    assert_eq!(
        a["consumer"],
        serde_json::json!({"authority": "iso6523-actorid-upis", "ID": "0192:974761076"})
    );
    assert_eq!(a["sub"], c["sub"]);
    assert_eq!(a["exp"].as_i64().unwrap() - a["iat"].as_i64().unwrap(), 120);
}

#[tokio::test]
async fn sub_is_pairwise_per_client_and_aud_only_with_resource() {
    let sim = sim().await;
    let (_, t1) = login(
        &sim,
        SHARED_TEST_CLIENT_ID,
        SHARED_TEST_REDIRECT_URI,
        VAT_SCOPE,
    )
    .await;
    let (_, t2) = login(&sim, GUIDE_EXAMPLE_CLIENT_ID, GUIDE_REDIRECT, VAT_SCOPE).await;
    let (_, t3) = login(
        &sim,
        SHARED_TEST_CLIENT_ID,
        SHARED_TEST_REDIRECT_URI,
        VAT_SCOPE,
    )
    .await;
    let sub = |t: &Value| claims(t["id_token"].as_str().unwrap())["sub"].clone();
    assert_ne!(sub(&t1), sub(&t2));
    assert_eq!(sub(&t1), sub(&t3));

    let auth = Auth::headless(SHARED_TEST_CLIENT_ID, SHARED_TEST_REDIRECT_URI, VAT_SCOPE)
        .with("resource", "https://mp-test.sits.no/api/mva");
    let code = code_for(&sim, &auth).await;
    let (_, t) = redeem(&sim, &auth, &code).await;
    assert_eq!(
        claims(t["access_token"].as_str().unwrap())["aud"],
        "https://mp-test.sits.no/api/mva"
    );
}

#[tokio::test]
async fn id_token_verifies_with_jsonwebtoken_and_the_jwks() {
    let sim = sim().await;
    let (auth, t) = login(
        &sim,
        SHARED_TEST_CLIENT_ID,
        SHARED_TEST_REDIRECT_URI,
        VAT_SCOPE,
    )
    .await;
    let (_, jwks) = json_of(sim.get(&sim.url("/jwks.json")).await).await;
    let id = t["id_token"].as_str().unwrap();
    let kid = header(id)["kid"].as_str().unwrap().to_string();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap();
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[SHARED_TEST_CLIENT_ID]);
    v.set_issuer(&[sim.handle.issuer()]);
    let data = jsonwebtoken::decode::<Value>(id, &key, &v).unwrap();
    assert_eq!(data.claims["nonce"], auth.nonce.as_str());
    // The wrong audience fails: the check above is not vacuous.
    v.set_audience(&["someone-else"]);
    assert!(jsonwebtoken::decode::<Value>(id, &key, &v).is_err());
}

#[tokio::test]
async fn sid_only_for_clients_with_frontchannel_logout_session_required() {
    let sim = sim().await;
    let auth = Auth::headless(BASIC_CLIENT, WEB_REDIRECT, "openid profile");
    let code = code_for(&sim, &auth).await;
    let r = sim
        .http
        .post(sim.url("/token"))
        .basic_auth(BASIC_CLIENT, Some(BASIC_SECRET))
        .form(&code_form(&auth, &code))
        .send()
        .await
        .unwrap();
    let (status, t) = json_of(r).await;
    assert_eq!(status, 200, "{t}");
    assert!(claims(t["id_token"].as_str().unwrap())["sid"].is_string());
    assert!(
        t["refresh_token"].is_string(),
        "registered with refresh_token"
    );
    assert_eq!(
        claims(t["access_token"].as_str().unwrap())["client_amr"],
        "client_secret_basic"
    );
}

#[tokio::test]
async fn code_is_single_use_and_reuse_revokes_the_grant() {
    let sim = sim().await;
    let auth = Auth::headless(SHARED_TEST_CLIENT_ID, SHARED_TEST_REDIRECT_URI, VAT_SCOPE);
    let code = code_for(&sim, &auth).await;
    let (status, t) = redeem(&sim, &auth, &code).await;
    assert_eq!(status, 200);
    let at = t["access_token"].as_str().unwrap();
    let r = sim
        .http
        .get(sim.url("/userinfo"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (status, e) = redeem(&sim, &auth, &code).await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")));
    assert!(e["error_description"]
        .as_str()
        .unwrap()
        .contains("used already"));
    let r = sim
        .http
        .get(sim.url("/userinfo"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        401,
        "the first access token is revoked"
    );
}

#[tokio::test]
async fn code_lives_30_seconds() {
    let sim = sim().await;
    let auth = Auth::headless(SHARED_TEST_CLIENT_ID, SHARED_TEST_REDIRECT_URI, VAT_SCOPE);
    let fresh = code_for(&sim, &auth).await;
    let auth2 = Auth::headless(SHARED_TEST_CLIENT_ID, SHARED_TEST_REDIRECT_URI, VAT_SCOPE);
    let stale = code_for(&sim, &auth2).await;
    sim.handle.clock().advance(28);
    assert_eq!(redeem(&sim, &auth, &fresh).await.0, 200);
    sim.handle.clock().advance(3);
    let (status, e) = redeem(&sim, &auth2, &stale).await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")));
    assert!(
        e["error_description"].as_str().unwrap().contains("expired"),
        "{e}"
    );
}

#[tokio::test]
async fn code_is_bound_to_client_redirect_uri_and_verifier() {
    let sim = sim().await;
    let auth = Auth::headless(SHARED_TEST_CLIENT_ID, SHARED_TEST_REDIRECT_URI, VAT_SCOPE);
    let code = code_for(&sim, &auth).await;
    let mut form = code_form(&auth, &code);
    form[4] = ("client_id", GUIDE_EXAMPLE_CLIENT_ID);
    let (s, e) = sim.post_form("/token", &form).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("invalid_grant")),
        "another client"
    );

    let check = |edit: fn(&mut Vec<(&str, &str)>), want: (u16, &'static str)| {
        let sim = &sim;
        async move {
            let auth = Auth::headless(SHARED_TEST_CLIENT_ID, SHARED_TEST_REDIRECT_URI, VAT_SCOPE);
            let code = code_for(sim, &auth).await;
            let mut form = code_form(&auth, &code);
            edit(&mut form);
            let (s, e) = sim.post_form("/token", &form).await;
            assert_eq!((s, e["error"].as_str().unwrap()), want, "{e}");
            e["error_description"].as_str().unwrap().to_string()
        }
    };
    check(
        |f| f[2] = ("redirect_uri", "http://localhost:12345/other"),
        (400, "invalid_grant"),
    )
    .await;
    check(
        |f| {
            f.remove(2);
        },
        (400, "invalid_request"),
    )
    .await;
    check(
        |f| {
            f[3] = (
                "code_verifier",
                "0123456789012345678901234567890123456789abcdefgh",
            )
        },
        (400, "invalid_grant"),
    )
    .await;
    check(
        |f| {
            f.remove(3);
        },
        (400, "invalid_request"),
    )
    .await;
    let d = check(
        |f| f[3] = ("code_verifier", "too-short"),
        (400, "invalid_request"),
    )
    .await;
    assert!(d.contains("43 to 128"), "{d}");
    check(|f| f[1] = ("code", "not-a-code"), (400, "invalid_grant")).await;
    check(
        |f| {
            f.remove(1);
        },
        (400, "invalid_request"),
    )
    .await;
}

#[tokio::test]
async fn grant_type_errors_and_no_store() {
    let sim = sim().await;
    let r = sim
        .http
        .post(sim.url("/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", SHARED_TEST_CLIENT_ID),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    let (s, e) = json_of(r).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let (s, e) = sim
        .post_form("/token", &[("client_id", SHARED_TEST_CLIENT_ID)])
        .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_request")));
    let r = sim
        .http
        .post(sim.url("/token"))
        .json(&serde_json::json!({"grant_type": "authorization_code"}))
        .send()
        .await
        .unwrap();
    let (s, e) = json_of(r).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_request")));
    // Refresh for a client without the refresh_token grant.
    let (s, e) = sim
        .post_form(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "x"),
                ("client_id", SHARED_TEST_CLIENT_ID),
            ],
        )
        .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("unauthorized_client")));
    let (_, t) = login(
        &sim,
        SHARED_TEST_CLIENT_ID,
        SHARED_TEST_REDIRECT_URI,
        VAT_SCOPE,
    )
    .await;
    assert!(
        t.get("refresh_token").is_none(),
        "not registered for refresh"
    );
}
