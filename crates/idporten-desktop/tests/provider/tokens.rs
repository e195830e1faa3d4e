//! Minting (and forging) the provider's ID tokens.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use super::{Grant, Inner};

/// How the ID token is signed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Alg {
    #[default]
    Rs256,
    /// `alg: none`, empty signature.
    None,
    /// HS256 with the provider's public key PEM as the HMAC secret (the classic key-confusion attack).
    Hs256PublicKey,
    /// RS256 with the last signature byte flipped.
    BadSignature,
}

/// Changes to the ID token's claims and signature.
#[derive(Clone, Debug, Default)]
pub struct Forge {
    pub set: Vec<(&'static str, Value)>,
    pub remove: Vec<&'static str>,
    pub alg: Alg,
}

impl Forge {
    pub fn set(claim: &'static str, value: Value) -> Self {
        Self {
            set: vec![(claim, value)],
            ..Self::default()
        }
    }
    pub fn remove(claim: &'static str) -> Self {
        Self {
            remove: vec![claim],
            ..Self::default()
        }
    }
    pub fn alg(alg: Alg) -> Self {
        Self {
            alg,
            ..Self::default()
        }
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An ID token for `grant`; `nonce` None after a refresh.
pub fn id_token(inner: &Inner, grant: &Grant, nonce: Option<&str>, refresh: bool) -> String {
    let knobs = inner.knobs.lock().unwrap().clone();
    let now = now();
    let mut claims = json!({
        "iss": inner.issuer, "aud": grant.client_id, "sub": grant.sub, "pid": "24014005880",
        "acr": knobs.acr, "amr": ["TestID"], "auth_time": now, "iat": now, "exp": now + 120,
        "jti": inner.next_id("jti"), "locale": "nb"
    });
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    if refresh {
        // OpenID Connect Core 12.2: a refresh is not a new authentication (this provider leaves auth_time out).
        claims.as_object_mut().unwrap().remove("auth_time");
    }
    let forge = if knobs.forge_refresh_only && !refresh {
        super::Forge::default()
    } else {
        knobs.forge
    };
    let map = claims.as_object_mut().unwrap();
    for (k, v) in &forge.set {
        map.insert(k.to_string(), v.clone());
    }
    for k in &forge.remove {
        map.remove(*k);
    }
    let key = *inner.signing.lock().unwrap();
    let kid = inner
        .header_kid
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| Some(key.kid.clone()));
    match forge.alg {
        Alg::Rs256 => sign(Algorithm::RS256, kid, &claims, &key.encoding),
        Alg::BadSignature => {
            let token = sign(Algorithm::RS256, kid, &claims, &key.encoding);
            let (rest, sig) = token.rsplit_once('.').unwrap();
            let mut bytes = URL_SAFE_NO_PAD.decode(sig).unwrap();
            *bytes.last_mut().unwrap() ^= 1;
            format!("{rest}.{}", URL_SAFE_NO_PAD.encode(bytes))
        }
        Alg::Hs256PublicKey => sign(
            Algorithm::HS256,
            kid,
            &claims,
            &EncodingKey::from_secret(key.public_pem.as_bytes()),
        ),
        Alg::None => {
            let header = json!({"alg": "none", "kid": kid});
            format!(
                "{}.{}.",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            )
        }
    }
}

fn sign(alg: Algorithm, kid: Option<String>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid;
    jsonwebtoken::encode(&header, claims, key).unwrap()
}
