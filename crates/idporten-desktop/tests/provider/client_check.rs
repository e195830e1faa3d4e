//! The provider's check of client authentication at the token, PAR and revocation endpoints, per registered method.

use axum::http::HeaderMap;
use base64::Engine;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{json, Value};

use super::endpoints::one;
use super::tokens::now;
use super::{keys, Inner, Registered};

/// Client authentication as registered; Err is the `error_description` of an `invalid_client` answer.
pub(super) fn authenticate_client(
    s: &Inner,
    headers: &HeaderMap,
    form: &[(String, String)],
) -> Result<(), String> {
    let auth = s.knobs.lock().unwrap().auth.clone();
    let header = headers.get("authorization").and_then(|v| v.to_str().ok());
    let fail = |why: &str| Err(why.to_string());
    match auth {
        Registered::None => {
            if header.is_some()
                || one(form, "client_secret").is_some()
                || one(form, "client_assertion").is_some()
            {
                return fail("a public client sends no credentials");
            }
            if one(form, "client_id") != Some(&s.client_id) {
                return fail("client_id missing");
            }
        }
        Registered::Basic(secret) => {
            let Some(b64) = header.and_then(|h| h.strip_prefix("Basic ")) else {
                return fail("Basic authentication expected");
            };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_default();
            let text = String::from_utf8(decoded).unwrap_or_default();
            let Some((user, pass)) = text.split_once(':') else {
                return fail("bad Basic header");
            };
            let dec = |x: &str| {
                url::form_urlencoded::parse(format!("x={x}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            if dec(user) != s.client_id
                || dec(pass) != secret
                || one(form, "client_secret").is_some()
            {
                return fail("Client authentication failed.");
            }
        }
        Registered::Post(secret) => {
            if header.is_some()
                || one(form, "client_id") != Some(&s.client_id)
                || one(form, "client_secret") != Some(&secret)
            {
                return fail("Client authentication failed.");
            }
        }
        Registered::PrivateKeyJwt => {
            if one(form, "client_assertion_type")
                != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
                || one(form, "client_id") != Some(&s.client_id)
            {
                return fail("Client authentication failed. No client authentication included.");
            }
            let Some(assertion) = one(form, "client_assertion") else {
                return fail("no client_assertion");
            };
            let header =
                jsonwebtoken::decode_header(assertion).map_err(|_| "bad assertion".to_string())?;
            if header.alg != Algorithm::RS256
                || header.kid.as_deref() != Some(&keys::client_key().kid)
            {
                return fail("assertion must be RS256 with the registered kid");
            }
            let mut validation = Validation::new(Algorithm::RS256);
            validation.set_audience(&[&s.issuer]);
            validation.set_issuer(&[&s.client_id]);
            validation.set_required_spec_claims(&["exp", "iat", "iss", "sub", "aud", "jti"]);
            validation.leeway = 0;
            let data = match jsonwebtoken::decode::<Value>(
                assertion,
                &keys::client_key().decoding,
                &validation,
            ) {
                Ok(d) => d,
                Err(e) => return fail(&format!("assertion rejected: {e}")),
            };
            let c = &data.claims;
            let (iat, exp) = (
                c["iat"].as_i64().unwrap_or(0),
                c["exp"].as_i64().unwrap_or(0),
            );
            if c["sub"] != json!(s.client_id)
                || exp - iat > 120
                || exp <= iat
                || (iat - now()).abs() > 60
            {
                return fail("assertion claims wrong (sub, iat/exp)");
            }
            let jti = c["jti"].as_str().unwrap_or("").to_string();
            if jti.is_empty() || !s.jtis.lock().unwrap().insert(jti) {
                return fail("assertion jti reused");
            }
            *s.seen.last_assertion.lock().unwrap() = Some(c.clone());
        }
    }
    Ok(())
}
