//! The simulator's signing keys: fresh 2048-bit RSA keys per run, published as a JWKS, with key rotation in three
//! separately callable steps (publish a new key, sign with it, remove the old ones) so that clients' JWKS refetch
//! logic can be tested.
//!
//! RS256 signing uses `aws-lc-rs` (AWS-LC's RSA, with the AVX-512/ADX code paths of x86_64): on this project's
//! machine it signs several times faster than ring, the backend of `jsonwebtoken` 9 (see docs/benchmarks.md). The
//! private key is parsed once, when the key is made. `jsonwebtoken` still verifies, and makes the HS256 forgery.

use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::rngs::OsRng;
use rand::RngCore;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde::Serialize;
use std::sync::{Arc, RwLock};

use crate::Error;

/// One RSA key pair with its key id.
pub struct SigningKey {
    kid: String,
    /// The public key as PEM (SubjectPublicKeyInfo): the HMAC secret of the key-confusion forgery.
    public_pem: String,
    /// The private key, parsed once (AWS-LC).
    private: RsaKeyPair,
    decoding: DecodingKey,
    jwk: serde_json::Value,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SigningKey {{ kid: {:?}, private: [redacted] }}",
            self.kid
        )
    }
}

impl SigningKey {
    /// Generates a fresh 2048-bit RSA key from the operating system's CSPRNG. Takes a fraction of a second
    /// (blocking): call it from `spawn_blocking` in async code.
    pub fn generate() -> Result<Self, Error> {
        let private =
            RsaPrivateKey::new(&mut OsRng, 2048).map_err(|e| Error::Key(e.to_string()))?;
        let der = private
            .to_pkcs1_der()
            .map_err(|e| Error::Key(e.to_string()))?;
        let mut id = [0u8; 9];
        OsRng.fill_bytes(&mut id);
        let kid = format!("mva-sim-{}", URL_SAFE_NO_PAD.encode(id));
        let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
        let decoding =
            DecodingKey::from_rsa_components(&n, &e).map_err(|e| Error::Key(e.to_string()))?;
        let jwk = serde_json::json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": n, "e": e});
        let public_pem = private
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| Error::Key(e.to_string()))?;
        Ok(Self {
            kid,
            public_pem,
            private: RsaKeyPair::from_der(der.as_bytes())
                .map_err(|e| Error::Key(format!("AWS-LC refused the generated key: {e}")))?,
            decoding,
            jwk,
        })
    }

    /// The key id (`kid`).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Signs claims RS256 with this key, header `kid` and the given `typ`.
    pub fn sign(&self, claims: &impl Serialize, typ: &str, kid: Option<&str>) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.unwrap_or(&self.kid).to_string());
        header.typ = Some(typ.to_string());
        self.sign_rs256(&header, claims)
    }

    /// Signs RS256 with no `kid` in the header (a client must then use the single published key).
    pub fn sign_without_kid(&self, claims: &impl Serialize, typ: &str) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.typ = Some(typ.to_string());
        self.sign_rs256(&header, claims)
    }

    /// The JWS compact serialisation: base64url(header) . base64url(claims) . base64url(RSASSA-PKCS1-v1_5 SHA-256).
    fn sign_rs256(&self, header: &Header, claims: &impl Serialize) -> String {
        let header = serde_json::to_vec(header).expect("a JWS header serialises");
        let claims = serde_json::to_vec(claims).expect("JWT claims serialise");
        let mut jws = String::with_capacity(
            (header.len() + claims.len()) * 4 / 3 + 8 + self.private.public_modulus_len() * 4 / 3,
        );
        URL_SAFE_NO_PAD.encode_string(header, &mut jws);
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(claims, &mut jws);
        let mut signature = vec![0u8; self.private.public_modulus_len()];
        self.private
            .sign(
                &RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                jws.as_bytes(),
                &mut signature,
            )
            .expect("RS256 signing with a valid key");
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut jws);
        jws
    }

    /// The key-confusion forgery: HS256 with this key's public PEM as the HMAC secret, header `kid` of this key.
    /// A client that lets the token choose the algorithm would "verify" it with the public key it holds.
    pub fn sign_hs256_with_public_key(&self, claims: &impl Serialize, typ: &str) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some(typ.to_string());
        jsonwebtoken::encode(
            &header,
            claims,
            &EncodingKey::from_secret(self.public_pem.as_bytes()),
        )
        .expect("HS256 signing")
    }
}

#[derive(Debug)]
struct Keys {
    published: Vec<Arc<SigningKey>>,
    active: Arc<SigningKey>,
}

/// The published keys and the one that signs.
#[derive(Debug)]
pub struct KeySet {
    keys: RwLock<Keys>,
}

impl KeySet {
    /// A key set with one key, published and signing.
    pub fn new(first: SigningKey) -> Self {
        let first = Arc::new(first);
        Self {
            keys: RwLock::new(Keys {
                published: vec![first.clone()],
                active: first,
            }),
        }
    }

    /// The key that signs tokens now.
    pub fn active(&self) -> Arc<SigningKey> {
        self.keys.read().unwrap().active.clone()
    }

    /// The kids of the published keys, in publication order.
    pub fn published_kids(&self) -> Vec<String> {
        self.keys
            .read()
            .unwrap()
            .published
            .iter()
            .map(|k| k.kid.clone())
            .collect()
    }

    /// The JWKS document (`{"keys": [...]}`), every published key with `kid`, `use`, `alg`.
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<_> = self
            .keys
            .read()
            .unwrap()
            .published
            .iter()
            .map(|k| k.jwk.clone())
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// Rotation step 1: publishes `key` in the JWKS without signing with it yet. Returns its kid.
    pub fn publish(&self, key: SigningKey) -> String {
        let kid = key.kid.clone();
        self.keys.write().unwrap().published.push(Arc::new(key));
        kid
    }

    /// Rotation step 2: signs with the newest published key from now on. Returns its kid, or `None` when the
    /// newest key already signs (publish one first).
    pub fn activate_newest(&self) -> Option<String> {
        let mut keys = self.keys.write().unwrap();
        let newest = keys.published.last().cloned()?;
        if newest.kid == keys.active.kid {
            return None;
        }
        keys.active = newest.clone();
        Some(newest.kid.clone())
    }

    /// Rotation step 3: removes every published key except the signing one. Returns the removed kids.
    pub fn retire_inactive(&self) -> Vec<String> {
        let mut keys = self.keys.write().unwrap();
        let active = keys.active.kid.clone();
        let removed = keys
            .published
            .iter()
            .filter(|k| k.kid != active)
            .map(|k| k.kid.clone())
            .collect();
        keys.published.retain(|k| k.kid == active);
        removed
    }

    /// Verifies an RS256 JWS made by one of the published keys and returns its claims. Time claims are NOT checked
    /// here (the simulator's clock has an offset): callers check `exp` themselves.
    pub fn verify(&self, token: &str) -> Result<serde_json::Value, String> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| format!("not a JWS: {e}"))?;
        if header.alg != Algorithm::RS256 {
            return Err("not signed RS256".into());
        }
        let kid = header.kid.ok_or("no kid in the header")?;
        let key = {
            let keys = self.keys.read().unwrap();
            keys.published
                .iter()
                .find(|k| k.kid == kid)
                .cloned()
                .ok_or("unknown kid")?
        };
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<serde_json::Value>(token, &key.decoding, &validation)
            .map(|d| d.claims)
            .map_err(|e| format!("bad signature or format: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_in_three_steps() {
        let set = KeySet::new(SigningKey::generate().unwrap());
        let first = set.active().kid().to_string();
        assert_eq!(set.activate_newest(), None);
        let second = set.publish(SigningKey::generate().unwrap());
        assert_eq!(set.published_kids(), vec![first.clone(), second.clone()]);
        assert_eq!(set.active().kid(), first);
        let old_token = set.active().sign(&serde_json::json!({"a": 1}), "JWT", None);
        assert_eq!(set.activate_newest().as_deref(), Some(second.as_str()));
        assert!(set.verify(&old_token).is_ok(), "old key still published");
        assert_eq!(set.retire_inactive(), vec![first]);
        assert_eq!(set.verify(&old_token).unwrap_err(), "unknown kid");
        assert_eq!(set.jwks()["keys"].as_array().unwrap().len(), 1);
    }
}
