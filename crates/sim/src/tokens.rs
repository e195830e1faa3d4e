//! The tokens the simulator issues, with exactly the claims of ID-porten (see the spec's "Tokens" section), and
//! the forged ID tokens of fault injection.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::clients::Client;
use crate::faults::Forgery;
use crate::keys::SigningKey;
use crate::store::Grant;

/// Lifetime of ID tokens, seconds.
pub const ID_TOKEN_LIFETIME: i64 = 120;

/// The `typ` header of access tokens (RFC 9068), which tells them apart from ID tokens.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// The pairwise subject of a person at a client: base64url(SHA-256(client_id | pid | salt)).
pub fn pairwise_sub(client_id: &str, pid: &str, salt: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(
        format!("{client_id}|{pid}|{salt}").as_bytes(),
    ))
}

/// The claims of an ID token. `nonce` is absent on refresh; `sid` only for clients registered with
/// `frontchannel_logout_session_required`.
pub fn id_token_claims(
    issuer: &str,
    grant: &Grant,
    client: &Client,
    sub: &str,
    nonce: Option<&str>,
    now: i64,
    jti: &str,
) -> Value {
    let mut claims = json!({
        "iss": issuer,
        "aud": client.id(),
        "sub": sub,
        "pid": grant.pid,
        "acr": grant.acr.as_str(),
        "amr": ["TestID"],
        "locale": grant.locale,
        "auth_time": grant.auth_time,
        "iat": now,
        "exp": now + ID_TOKEN_LIFETIME,
        "jti": jti,
    });
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    if client.integration.frontchannel_logout_session_required {
        claims["sid"] = json!(grant.sid);
    }
    claims
}

/// The claims of a JWT access token. `aud` only when the client sent `resource`.
pub fn access_token_claims(
    issuer: &str,
    grant: &Grant,
    client: &Client,
    sub: &str,
    now: i64,
    exp: i64,
    jti: &str,
) -> Value {
    let mut claims = json!({
        "iss": issuer,
        "sub": sub,
        "pid": grant.pid,
        "acr": grant.acr.as_str(),
        "scope": grant.scopes.join(" "),
        "client_id": client.id(),
        "client_amr": client.integration.client_authentication.as_str(),
        "consumer": {
            "authority": "iso6523-actorid-upis",
            "ID": format!("0192:{}", client.integration.organisation_number),
        },
        "iat": now,
        "exp": exp,
        "jti": jti,
    });
    if let Some(resource) = &grant.resource {
        claims["aud"] = json!(resource);
    }
    claims
}

/// Signs ID token claims, forged as asked.
pub fn sign_id_token(
    key: &SigningKey,
    mut claims: Value,
    forgery: Option<Forgery>,
    now: i64,
) -> String {
    match forgery {
        None => key.sign(&claims, "JWT", None),
        Some(Forgery::WrongIss) => {
            claims["iss"] = json!("https://not-the-issuer.example");
            key.sign(&claims, "JWT", None)
        }
        Some(Forgery::WrongAud) => {
            claims["aud"] = json!("some-other-client");
            key.sign(&claims, "JWT", None)
        }
        Some(Forgery::WrongNonce) => {
            claims["nonce"] = json!(crate::model::random_token());
            key.sign(&claims, "JWT", None)
        }
        Some(Forgery::Expired) => {
            claims["iat"] = json!(now - 3600);
            claims["exp"] = json!(now - 3600 + ID_TOKEN_LIFETIME);
            key.sign(&claims, "JWT", None)
        }
        Some(Forgery::BadSignature) => {
            let token = key.sign(&claims, "JWT", None);
            let (head, sig) = token.rsplit_once('.').expect("a JWS has dots");
            let mut bytes = URL_SAFE_NO_PAD.decode(sig).expect("own signature decodes");
            bytes[0] ^= 0x01;
            format!("{head}.{}", URL_SAFE_NO_PAD.encode(bytes))
        }
        Some(Forgery::AlgNone) => {
            let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
            let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
            format!("{header}.{payload}.")
        }
        Some(Forgery::UnknownKid) => key.sign(&claims, "JWT", Some("mva-sim-unknown-kid")),
        Some(Forgery::Hs256PublicKey) => key.sign_hs256_with_public_key(&claims, "JWT"),
        Some(Forgery::NoKid) => key.sign_without_kid(&claims, "JWT"),
        Some(Forgery::AcrBelowRequest) => {
            claims["acr"] = json!(if claims["acr"] == "idporten-loa-high" {
                "idporten-loa-substantial"
            } else {
                "idporten-loa-low"
            });
            key.sign(&claims, "JWT", None)
        }
        Some(Forgery::SeveralAudNoAzp) => {
            claims["aud"] = json!([claims["aud"].clone(), "some-other-audience"]);
            key.sign(&claims, "JWT", None)
        }
        Some(Forgery::SeveralAudWrongAzp) => {
            claims["aud"] = json!([claims["aud"].clone(), "some-other-audience"]);
            claims["azp"] = json!("some-other-audience");
            key.sign(&claims, "JWT", None)
        }
        Some(Forgery::MissingSub) => {
            claims
                .as_object_mut()
                .expect("claims are an object")
                .remove("sub");
            key.sign(&claims, "JWT", None)
        }
        Some(Forgery::IatInFuture) => {
            claims["iat"] = json!(now + 3600);
            claims["exp"] = json!(now + 3600 + ID_TOKEN_LIFETIME);
            key.sign(&claims, "JWT", None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_sub_differs_per_client() {
        let a = pairwise_sub("client-a", "01818510078", "salt");
        assert_ne!(a, pairwise_sub("client-b", "01818510078", "salt"));
        assert_eq!(a, pairwise_sub("client-a", "01818510078", "salt"));
        assert_eq!(a.len(), 43);
    }
}
