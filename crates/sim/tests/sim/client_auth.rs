//! Client authentication at `/token`: client_secret_basic, client_secret_post, private_key_jwt and its rules.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

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

async fn redeem_with(
    sim: &Sim,
    client: &str,
    extra: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (u16, Value) {
    let auth = Auth::headless(client, WEB_REDIRECT, "openid");
    let code = code_for(sim, &auth).await;
    let mut form = code_form(&auth, &code);
    form.extend_from_slice(extra);
    let mut req = sim.http.post(sim.url("/token")).form(&form);
    if let Some((u, p)) = basic {
        req = req.basic_auth(u, Some(p));
    }
    json_of(req.send().await.unwrap()).await
}

const NO_AUTH: &str = "Client authentication failed. No client authentication included.";

#[tokio::test]
async fn client_secret_basic_and_post() {
    let sim = sim().await;
    assert_eq!(
        redeem_with(&sim, BASIC_CLIENT, &[], Some((BASIC_CLIENT, BASIC_SECRET)))
            .await
            .0,
        200
    );
    // Form-encoded as RFC 6749 2.3.1 says ('+' for the space, %2B for the '+'): accepted too.
    let encoded: String = url::form_urlencoded::byte_serialize(BASIC_SECRET.as_bytes()).collect();
    assert!(
        encoded.contains('+') && encoded.contains("%2B"),
        "{encoded}"
    );
    assert_eq!(
        redeem_with(&sim, BASIC_CLIENT, &[], Some((BASIC_CLIENT, &encoded)))
            .await
            .0,
        200
    );
    let (s, e) = redeem_with(&sim, BASIC_CLIENT, &[], Some((BASIC_CLIENT, "wrong"))).await;
    assert_eq!((s, e["error"].as_str()), (401, Some("invalid_client")));
    let (s, e) = redeem_with(&sim, BASIC_CLIENT, &[], None).await;
    assert_eq!((s, e["error_description"].as_str()), (401, Some(NO_AUTH)));
    let (s, e) = redeem_with(&sim, BASIC_CLIENT, &[("client_secret", BASIC_SECRET)], None).await;
    assert_eq!(s, 401, "post is not the registered method: {e}");

    assert_eq!(
        redeem_with(&sim, POST_CLIENT, &[("client_secret", POST_SECRET)], None)
            .await
            .0,
        200
    );
    let (s, _) = redeem_with(&sim, POST_CLIENT, &[("client_secret", "nope")], None).await;
    assert_eq!(s, 401);
    let (s, e) = redeem_with(&sim, POST_CLIENT, &[], None).await;
    assert_eq!((s, e["error_description"].as_str()), (401, Some(NO_AUTH)));
    // A public client that sends a secret uses the wrong method.
    let auth = Auth::headless(SHARED_TEST_CLIENT_ID, SHARED_TEST_REDIRECT_URI, VAT_SCOPE);
    let code = code_for(&sim, &auth).await;
    let mut form = code_form(&auth, &code);
    form.push(("client_secret", "x"));
    assert_eq!(sim.post_form("/token", &form).await.0, 401);
}

#[tokio::test]
async fn private_key_jwt_accepts_a_correct_assertion() {
    let sim = sim().await;
    let token_url = sim.url("/token");
    for aud in [sim.handle.issuer(), token_url.clone()] {
        let a = assertion(&sim, |c, _| c["aud"] = aud.clone().into());
        let (s, t) = redeem_with(
            &sim,
            JWT_CLIENT,
            &[
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &a),
            ],
            None,
        )
        .await;
        assert_eq!(s, 200, "{t}");
        assert_eq!(
            claims(t["access_token"].as_str().unwrap())["client_amr"],
            "private_key_jwt"
        );
    }
    let (s, e) = redeem_with(&sim, JWT_CLIENT, &[], None).await;
    assert_eq!((s, e["error_description"].as_str()), (401, Some(NO_AUTH)));
}

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

#[tokio::test]
async fn private_key_jwt_enforces_every_rule() {
    let sim = sim().await;
    let now = sim.handle.clock().now();
    let other_key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
    let other_der = rsa::pkcs1::EncodeRsaPrivateKey::to_pkcs1_der(&other_key)
        .unwrap()
        .as_bytes()
        .to_vec();
    let fresh = |sim: &Sim| assertion(sim, |_, _| {});
    let hs256 = {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some(JWT_KID.into());
        let c = serde_json::json!({"iss": JWT_CLIENT, "sub": JWT_CLIENT, "aud": sim.handle.issuer(), "iat": now, "exp": now + 60, "jti": random()});
        jsonwebtoken::encode(&h, &c, &EncodingKey::from_secret(b"secret")).unwrap()
    };
    let wrong_key = {
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some(JWT_KID.into());
        let c = serde_json::json!({"iss": JWT_CLIENT, "sub": JWT_CLIENT, "aud": sim.handle.issuer(), "iat": now, "exp": now + 60, "jti": random()});
        jsonwebtoken::encode(&h, &c, &EncodingKey::from_rsa_der(&other_der)).unwrap()
    };
    let cases: Vec<(String, &str)> = vec![
        (hs256, "alg must be RS256"),
        (wrong_key, "signature does not verify"),
        (assertion(&sim, |_, h| h.kid = None), "no kid"),
        (
            assertion(&sim, |_, h| h.kid = Some("other".into())),
            "no key with kid other",
        ),
        (
            assertion(&sim, |c, _| c["sub"] = "someone".into()),
            "iss and sub",
        ),
        (
            assertion(&sim, |c, _| c["aud"] = "https://test.idporten.no".into()),
            "aud must be the issuer",
        ),
        (
            assertion(&sim, |c, _| {
                c["iat"] = now.into();
                c["exp"] = (now + 121).into();
            }),
            "at most 120 seconds",
        ),
        (
            assertion(&sim, |c, _| {
                c["iat"] = (now - 100).into();
                c["exp"] = (now - 1).into();
            }),
            "expired",
        ),
        (
            assertion(&sim, |c, _| {
                c.as_object_mut().unwrap().remove("jti");
            }),
            "jti is required",
        ),
    ];
    for (a, want) in cases {
        let (s, e) = redeem_with(
            &sim,
            JWT_CLIENT,
            &[
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &a),
            ],
            None,
        )
        .await;
        assert_eq!(
            (s, e["error"].as_str()),
            (401, Some("invalid_client")),
            "{want}"
        );
        let d = e["error_description"].as_str().unwrap();
        assert!(d.contains(want), "wanted {want:?} in {d:?}");
    }
    // Wrong assertion type.
    let a = fresh(&sim);
    let (s, e) = redeem_with(
        &sim,
        JWT_CLIENT,
        &[("client_assertion_type", "jwt"), ("client_assertion", &a)],
        None,
    )
    .await;
    assert_eq!(s, 401, "{e}");
    // jti reuse.
    let a = fresh(&sim);
    let form = [
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", a.as_str()),
    ];
    assert_eq!(redeem_with(&sim, JWT_CLIENT, &form, None).await.0, 200);
    let (s, e) = redeem_with(&sim, JWT_CLIENT, &form, None).await;
    assert_eq!(s, 401);
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("used already"),
        "{e}"
    );
    // An assertion whose iss names another client than client_id.
    let a = assertion(&sim, |c, _| {
        c["iss"] = POST_CLIENT.into();
        c["sub"] = POST_CLIENT.into();
    });
    let (s, e) = redeem_with(
        &sim,
        JWT_CLIENT,
        &[
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &a),
        ],
        None,
    )
    .await;
    assert_eq!(s, 401, "{e}");
}
