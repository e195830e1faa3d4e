//! RSA keys for the test provider and the test client, generated once per test binary.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{DecodingKey, EncodingKey};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use std::sync::OnceLock;

/// One RSA key pair in the forms the tests need.
pub struct TestKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    /// PKCS#1 PEM of the private key (for `ClientAuth::PrivateKeyJwt`).
    pub private_pem: String,
    /// SPKI PEM of the public key (the bytes of the "HS256 with the public key" attack).
    pub public_pem: String,
    pub n: String,
    pub e: String,
}

impl TestKey {
    fn generate(kid: &str) -> Self {
        let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        let private_pem = key.to_pkcs1_pem(LineEnding::LF).unwrap().to_string();
        let public_pem = key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        let n = URL_SAFE_NO_PAD.encode(key.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(key.e().to_bytes_be());
        Self {
            kid: kid.into(),
            encoding: EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap(),
            decoding: DecodingKey::from_rsa_components(&n, &e).unwrap(),
            private_pem,
            public_pem,
            n,
            e,
        }
    }

    /// The key as a JWK.
    pub fn jwk(&self) -> Value {
        json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": self.n, "e": self.e})
    }
}

/// The provider's first signing key (`k1`).
pub fn provider_key() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(|| TestKey::generate("k1"))
}

/// The provider's next key after a rotation (`k2`).
pub fn rotated_key() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(|| TestKey::generate("k2"))
}

/// The test client's key for `private_key_jwt` (`client-key`).
pub fn client_key() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(|| TestKey::generate("client-key"))
}
