//! Client authentication at `/token`, `/par`, `/revoke` and `/introspect`: none, client_secret_basic,
//! client_secret_post and private_key_jwt, with every rule ID-porten applies.

use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use idporten::integration::ClientAuthMethod;
use jsonwebtoken::{Algorithm, Validation};
use std::sync::Arc;

use super::{field, OAuthError};
use crate::clients::Client;
use crate::SimState;

/// The only client assertion type.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The longest a client assertion may live (exp - iat), seconds.
pub const MAX_ASSERTION_LIFETIME: i64 = 120;

const NO_AUTH: &str = "Client authentication failed. No client authentication included.";

fn basic(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || {
        OAuthError::client(
            "Client authentication failed. The Authorization header is not valid HTTP Basic.",
        )
    };
    let value = value.to_str().map_err(|_| bad())?;
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return Err(bad());
    };
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).map_err(|_| bad())?)
        .map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    Ok(Some((lenient_decode(id), secret.to_string())))
}

/// Form-decodes a Basic credential with `+` kept as `+` (for clients that put a raw secret in the header).
fn lenient_decode(s: &str) -> String {
    strict_decode(&s.replace('+', "%2B"))
}

/// Form-decodes a Basic credential as RFC 6749 2.3.1 says (application/x-www-form-urlencoded: `+` is a space).
fn strict_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("v={}", s.replace('&', "%26")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The claims of a JWS without checking anything: only to learn which client claims to send it.
pub fn unverified_claims(jws: &str) -> Option<serde_json::Value> {
    let payload = jws.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn secrets_equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Authenticates the client of a request. `endpoint_url` is the URL of the endpoint called (an assertion's `aud`
/// may be the issuer or that URL; at /par the token endpoint URL is accepted too).
pub fn authenticate(
    state: &SimState,
    headers: &HeaderMap,
    form: &[(String, String)],
    endpoint_url: &str,
) -> Result<(Arc<Client>, ClientAuthMethod), OAuthError> {
    let basic = basic(headers)?;
    let post_secret = field(form, "client_secret");
    let assertion = field(form, "client_assertion");
    let used = [basic.is_some(), post_secret.is_some(), assertion.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if used > 1 {
        return Err(OAuthError::bad(
            "invalid_request",
            "more than one client authentication method is used",
        ));
    }
    let assertion_claims = match assertion {
        Some(a) => Some(unverified_claims(a).ok_or_else(|| {
            OAuthError::client("Client authentication failed. client_assertion is not a JWT.")
        })?),
        None => None,
    };
    let form_id = field(form, "client_id");
    let claimed = basic
        .as_ref()
        .map(|(id, _)| id.as_str())
        .or_else(|| assertion_claims.as_ref().and_then(|c| c["iss"].as_str()))
        .or(form_id)
        .ok_or_else(|| OAuthError::client(format!("{NO_AUTH} (and no client_id)")))?;
    if form_id.is_some_and(|f| f != claimed) {
        return Err(OAuthError::client(
            "Client authentication failed. client_id does not match the authenticated client.",
        ));
    }
    let client = state.clients.get(claimed).ok_or_else(|| {
        OAuthError::client(format!(
            "Client authentication failed. Unknown client {claimed}."
        ))
    })?;
    let registered = client.integration.client_authentication;
    let sent = if basic.is_some() {
        ClientAuthMethod::ClientSecretBasic
    } else if post_secret.is_some() {
        ClientAuthMethod::ClientSecretPost
    } else if assertion.is_some() {
        ClientAuthMethod::PrivateKeyJwt
    } else {
        ClientAuthMethod::None
    };
    if sent == ClientAuthMethod::None && registered != ClientAuthMethod::None {
        return Err(OAuthError::client(NO_AUTH));
    }
    if sent != registered {
        return Err(OAuthError::client(format!(
            "Client authentication failed. The client is registered for {}, but {} was used.",
            registered.as_str(),
            sent.as_str()
        )));
    }
    let expected = client.integration.client_secret.as_deref().unwrap_or("");
    match sent {
        ClientAuthMethod::None => {}
        ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost => {
            // A Basic secret is form-encoded by RFC 6749 2.3.1, but many clients send it raw: either reading
            // that gives the registered secret is accepted.
            let matches = match (&basic, post_secret) {
                (Some((_, raw)), _) => {
                    secrets_equal(&strict_decode(raw), expected)
                        | secrets_equal(&lenient_decode(raw), expected)
                }
                (None, given) => secrets_equal(given.unwrap_or(""), expected),
            };
            if !matches {
                return Err(OAuthError::client(
                    "Client authentication failed. The client secret is wrong.",
                ));
            }
        }
        ClientAuthMethod::PrivateKeyJwt => {
            if field(form, "client_assertion_type") != Some(JWT_BEARER) {
                return Err(OAuthError::client(format!(
                    "Client authentication failed. client_assertion_type must be {JWT_BEARER}."
                )));
            }
            check_assertion(state, &client, assertion.unwrap_or(""), endpoint_url)?;
        }
    }
    Ok((client, sent))
}

fn check_assertion(
    state: &SimState,
    client: &Client,
    assertion: &str,
    endpoint_url: &str,
) -> Result<(), OAuthError> {
    let fail = |why: &str| {
        OAuthError::client(format!(
            "Client authentication failed. client_assertion: {why}."
        ))
    };
    let header =
        jsonwebtoken::decode_header(assertion).map_err(|_| fail("the header cannot be read"))?;
    if header.alg != Algorithm::RS256 {
        return Err(fail(&format!("alg must be RS256, not {:?}", header.alg)));
    }
    let kid = header.kid.ok_or_else(|| {
        fail(if header.x5c.is_some() {
            "x5c (business certificates) is not supported by the simulator; register a key and send its kid"
        } else {
            "the header has no kid"
        })
    })?;
    let keys = client.keys_for(&kid);
    if keys.is_empty() {
        return Err(fail(&format!(
            "no key with kid {kid} is registered for the client"
        )));
    }
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = keys
        .iter()
        .find_map(|k| jsonwebtoken::decode::<serde_json::Value>(assertion, k, &validation).ok())
        .ok_or_else(|| fail("the signature does not verify with the registered key"))?
        .claims;
    let id = client.id();
    if claims["iss"].as_str() != Some(id) || claims["sub"].as_str() != Some(id) {
        return Err(fail("iss and sub must both be the client_id"));
    }
    let accepted = [
        state.issuer.clone(),
        state.url("/token"),
        endpoint_url.to_string(),
    ];
    let aud_ok = match &claims["aud"] {
        serde_json::Value::String(a) => accepted.contains(a),
        serde_json::Value::Array(list) => list
            .iter()
            .any(|a| a.as_str().is_some_and(|a| accepted.iter().any(|x| x == a))),
        _ => false,
    };
    if !aud_ok {
        return Err(fail(&format!("aud must be the issuer {}", state.issuer)));
    }
    let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) else {
        return Err(fail("iat and exp are required"));
    };
    if exp - iat > MAX_ASSERTION_LIFETIME {
        return Err(fail("exp may be at most 120 seconds after iat"));
    }
    let now = state.clock.now();
    if exp <= now {
        return Err(fail("it has expired"));
    }
    if iat > now + 10 {
        return Err(fail("iat is in the future"));
    }
    let jti = claims["jti"]
        .as_str()
        .filter(|j| !j.is_empty())
        .ok_or_else(|| fail("jti is required"))?;
    let mut store = state.store();
    let key = (id.to_string(), jti.to_string());
    if store.assertion_jtis.contains_key(&key) {
        return Err(fail("this jti has been used already (replay)"));
    }
    store.assertion_jtis.insert(key, exp);
    Ok(())
}
