//! One test per validation rule, each asserting the specific error variant.

use super::*;
use jsonwebtoken::{DecodingKey, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use std::sync::OnceLock;

const NOW: i64 = 1_800_000_000;

struct Keys {
    encoding: EncodingKey,
    jwks: Jwks,
    n_bytes: Vec<u8>,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        let pem = key.to_pkcs1_pem(rsa::pkcs8::LineEnding::LF).unwrap();
        let n = key.n().to_bytes_be();
        let e = key.e().to_bytes_be();
        Keys {
            encoding: EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
            jwks: Jwks::from_keys(vec![(
                Some("k1".into()),
                DecodingKey::from_rsa_raw_components(&n, &e),
            )]),
            n_bytes: n,
        }
    })
}

fn expect() -> Expectations {
    Expectations {
        issuer: Issuer::parse("https://test.idporten.no").unwrap(),
        client_id: ClientId::new("cid"),
        nonce: Some(Nonce::new("n-1")),
        acr: AcrLevel::Substantial,
        skew_secs: 60,
    }
}

fn claims() -> Value {
    json!({
        "iss": "https://test.idporten.no", "aud": "cid", "sub": "pairwise-sub", "pid": "24014005880",
        "acr": "idporten-loa-substantial", "amr": ["TestID"], "nonce": "n-1", "auth_time": NOW - 10,
        "iat": NOW - 5, "exp": NOW + 115, "jti": "j", "locale": "nb"
    })
}

fn sign(claims: &Value) -> String {
    let mut header = Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("k1".into());
    jsonwebtoken::encode(&header, claims, &keys().encoding).unwrap()
}

fn with(f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut c = claims();
    f(c.as_object_mut().unwrap());
    sign(&c)
}

fn check(token: &str) -> Result<IdTokenClaims, Error> {
    validate_id_token(token, &keys().jwks, &expect(), NOW)
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

#[test]
fn a_good_token_passes_and_keeps_every_claim() {
    let c = check(&sign(&claims())).unwrap();
    assert_eq!(c.sub, "pairwise-sub");
    assert_eq!(c.aud, vec!["cid"]);
    assert_eq!(c.amr, vec!["TestID"]);
    assert_eq!(c.pid.as_ref().map(Pid::reveal), Some("24014005880"));
    assert_eq!(c.auth_time, Some(NOW - 10));
    assert!(
        !format!("{c:?}").contains("24014005880") && format!("{c:?}").contains("240140*****"),
        "pid masked in Debug"
    );
}

#[test]
fn legacy_amr_string_and_level4_are_accepted() {
    let c = check(&with(|m| {
        m.insert("amr".into(), json!("Minid-PIN"));
        m.insert("acr".into(), json!("Level4"));
    }))
    .unwrap();
    assert_eq!(c.amr, vec!["Minid-PIN"]);
}

#[test]
fn step7_alg_none_is_refused() {
    let token = format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&claims()));
    assert!(matches!(check(&token), Err(Error::IdTokenAlgorithm { alg }) if alg == "none"));
}

#[test]
fn step7_hs256_with_the_public_key_as_secret_is_refused() {
    let mut header = Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("k1".into());
    let token = jsonwebtoken::encode(
        &header,
        &claims(),
        &EncodingKey::from_secret(&keys().n_bytes),
    )
    .unwrap();
    assert!(matches!(check(&token), Err(Error::IdTokenAlgorithm { alg }) if alg == "HS256"));
}

#[test]
fn step6_a_changed_payload_fails_the_signature() {
    let token = sign(&claims());
    let mut parts: Vec<&str> = token.split('.').collect();
    let mut changed = claims();
    changed["sub"] = json!("someone-else");
    let payload = b64(&changed);
    parts[1] = &payload;
    assert!(matches!(
        check(&parts.join(".")),
        Err(Error::IdTokenSignature)
    ));
}

#[test]
fn unknown_kid_is_refused() {
    let mut header = Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("k2".into());
    let token = jsonwebtoken::encode(&header, &claims(), &keys().encoding).unwrap();
    assert!(matches!(check(&token), Err(Error::UnknownSigningKey { kid: Some(k) }) if k == "k2"));
}

#[test]
fn no_kid_and_a_single_key_uses_it() {
    let header = Header::new(jsonwebtoken::Algorithm::RS256);
    let token = jsonwebtoken::encode(&header, &claims(), &keys().encoding).unwrap();
    assert!(check(&token).is_ok());
}

#[test]
fn malformed_tokens() {
    for t in [
        "",
        "a.b",
        "a.b.c.d",
        "!!.b.c",
        &format!("{}.%%.c", b64(&json!({"alg":"RS256"}))),
    ] {
        let r = check(t);
        assert!(
            matches!(
                r,
                Err(Error::IdTokenMalformed { .. }) | Err(Error::IdTokenSignature)
            ),
            "{t}: {r:?}"
        );
    }
    let crit = format!(
        "{}.{}.sig",
        b64(&json!({"alg": "RS256", "kid": "k1", "crit": ["x"]})),
        b64(&claims())
    );
    assert!(matches!(check(&crit), Err(Error::IdTokenMalformed { .. })));
}

#[test]
fn step2_wrong_issuer() {
    let r = check(&with(|m| {
        drop(m.insert("iss".into(), json!("https://test.idporten.no/")))
    }));
    assert!(matches!(r, Err(Error::IdTokenIssuer { .. })), "{r:?}");
}

#[test]
fn step3_wrong_audience() {
    let r = check(&with(|m| drop(m.insert("aud".into(), json!("other")))));
    assert!(matches!(r, Err(Error::IdTokenAudience { .. })), "{r:?}");
}

#[test]
fn steps4_5_several_audiences_need_our_azp() {
    let r = check(&with(|m| {
        drop(m.insert("aud".into(), json!(["cid", "other"])))
    }));
    assert!(
        matches!(r, Err(Error::IdTokenAuthorizedParty { found: None, .. })),
        "{r:?}"
    );
    let r = check(&with(|m| {
        m.insert("aud".into(), json!(["cid", "other"]));
        m.insert("azp".into(), json!("other"));
    }));
    assert!(
        matches!(r, Err(Error::IdTokenAuthorizedParty { found: Some(_), .. })),
        "{r:?}"
    );
    let ok = check(&with(|m| {
        m.insert("aud".into(), json!(["cid", "other"]));
        m.insert("azp".into(), json!("cid"));
    }));
    assert!(ok.is_ok());
}

#[test]
fn step9_expired_beyond_the_skew() {
    let r = check(&with(|m| drop(m.insert("exp".into(), json!(NOW - 61)))));
    assert!(matches!(r, Err(Error::IdTokenExpired { .. })), "{r:?}");
    // Within the skew it still passes.
    assert!(check(&with(|m| drop(m.insert("exp".into(), json!(NOW - 59))))).is_ok());
}

#[test]
fn step10_issued_in_the_future() {
    let r = check(&with(|m| drop(m.insert("iat".into(), json!(NOW + 61)))));
    assert!(
        matches!(r, Err(Error::IdTokenIssuedInFuture { .. })),
        "{r:?}"
    );
}

#[test]
fn required_claims() {
    for claim in ["iss", "aud", "exp", "iat", "sub"] {
        let r = check(&with(|m| drop(m.remove(claim))));
        assert!(
            matches!(&r, Err(Error::IdTokenMissingClaim { claim: c }) if c == claim),
            "{claim}: {r:?}"
        );
    }
}

#[test]
fn step11_wrong_or_missing_nonce() {
    let r = check(&with(|m| drop(m.insert("nonce".into(), json!("n-2")))));
    assert!(matches!(r, Err(Error::IdTokenNonce)), "{r:?}");
    let r = check(&with(|m| drop(m.remove("nonce"))));
    assert!(matches!(r, Err(Error::IdTokenNonce)), "{r:?}");
}

#[test]
fn step12_acr_too_low_or_missing() {
    let mut high = expect();
    high.acr = AcrLevel::High;
    let r = validate_id_token(&sign(&claims()), &keys().jwks, &high, NOW);
    assert!(matches!(r, Err(Error::IdTokenAcr { .. })), "{r:?}");
    let r = check(&with(|m| {
        drop(m.insert("acr".into(), json!("idporten-loa-low")))
    }));
    assert!(matches!(r, Err(Error::IdTokenAcr { .. })), "{r:?}");
    let r = check(&with(|m| drop(m.remove("acr"))));
    assert!(
        matches!(r, Err(Error::IdTokenAcr { found: None, .. })),
        "{r:?}"
    );
}

#[test]
fn refreshed_token_keeps_iss_sub_aud_and_nonce() {
    let original = check(&sign(&claims())).unwrap();
    let fresh = with(|m| drop(m.remove("nonce")));
    assert!(validate_refreshed_id_token(&fresh, &keys().jwks, &expect(), &original, NOW).is_ok());
    let other_sub = with(|m| drop(m.insert("sub".into(), json!("x"))));
    let r = validate_refreshed_id_token(&other_sub, &keys().jwks, &expect(), &original, NOW);
    assert!(
        matches!(&r, Err(Error::RefreshedIdTokenMismatch { claim }) if claim == "sub"),
        "{r:?}"
    );
    let other_nonce = with(|m| drop(m.insert("nonce".into(), json!("n-9"))));
    let r = validate_refreshed_id_token(&other_nonce, &keys().jwks, &expect(), &original, NOW);
    assert!(
        matches!(&r, Err(Error::RefreshedIdTokenMismatch { claim }) if claim == "nonce"),
        "{r:?}"
    );
}

#[test]
fn refreshed_token_keeps_the_original_auth_time_iss_and_aud() {
    let original = check(&sign(&claims())).unwrap();
    let refused = |f: fn(&mut serde_json::Map<String, Value>), claim: &str| {
        let token = with(f);
        let r = validate_refreshed_id_token(&token, &keys().jwks, &expect(), &original, NOW);
        assert!(
            matches!(&r, Err(Error::RefreshedIdTokenMismatch { claim: c }) if c == claim),
            "{claim}: {r:?}"
        );
    };
    // OpenID Connect Core 12.2: auth_time is the original authentication's, not the refresh's.
    refused(
        |m| drop(m.insert("auth_time".into(), json!(NOW - 1))),
        "auth_time",
    );
    // aud with another audience next to ours (and azp ours, so 3.1.3.7 passes): not the original aud.
    refused(
        |m| {
            m.insert("aud".into(), json!(["cid", "other"]));
            m.insert("azp".into(), json!("cid"));
        },
        "aud",
    );
    // A token without auth_time is accepted (the session keeps the login time, see TokenSet).
    let no_auth_time = with(|m| drop(m.remove("auth_time")));
    assert!(
        validate_refreshed_id_token(&no_auth_time, &keys().jwks, &expect(), &original, NOW).is_ok()
    );
}
