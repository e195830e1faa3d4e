//! ID-token validations per second: `validate_id_token` (every check of OpenID Connect Core 3.1.3.7) against a bare
//! `jsonwebtoken::decode` RS256 verification of the same token with the same key.
//!
//! ```sh
//! cargo run --release -p idporten --example bench_validate
//! ```

use idporten::id_token::{validate_id_token, Expectations};
use idporten::jwks::Jwks;
use idporten::{AcrLevel, ClientId, Issuer, Nonce};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use std::time::Instant;

const ROUNDS: u32 = 20_000;

fn main() {
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
    let pem = key.to_pkcs1_pem(rsa::pkcs8::LineEnding::LF).unwrap();
    let (n, e) = (key.n().to_bytes_be(), key.e().to_bytes_be());
    let now = 1_800_000_000i64;
    let claims = serde_json::json!({
        "iss": "https://test.idporten.no", "aud": "cid", "sub": "pairwise", "pid": "24014005880",
        "acr": "idporten-loa-substantial", "amr": ["TestID"], "nonce": "n", "auth_time": now,
        "iat": now, "exp": now + 120, "jti": "j", "locale": "nb"
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("k1".into());
    let token = jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap();

    let decoding = DecodingKey::from_rsa_raw_components(&n, &e);
    let jwks = Jwks::from_keys(vec![(Some("k1".into()), decoding.clone())]);
    let expect = Expectations {
        issuer: Issuer::parse("https://test.idporten.no").unwrap(),
        client_id: ClientId::new("cid"),
        nonce: Some(Nonce::new("n")),
        acr: AcrLevel::Substantial,
        skew_secs: 60,
    };
    let mut raw = Validation::new(Algorithm::RS256);
    raw.validate_exp = false; // the fixed `now` of the token is in the future of no real clock; time is not the point
    raw.set_audience(&["cid"]);
    raw.set_issuer(&["https://test.idporten.no"]);

    // Warm up, and check both accept the token.
    validate_id_token(&token, &jwks, &expect, now + 1).unwrap();
    jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &raw).unwrap();

    let mut best = (0f64, 0f64);
    for _ in 0..3 {
        let start = Instant::now();
        for _ in 0..ROUNDS {
            std::hint::black_box(validate_id_token(&token, &jwks, &expect, now + 1).unwrap());
        }
        let ours = ROUNDS as f64 / start.elapsed().as_secs_f64();
        let start = Instant::now();
        for _ in 0..ROUNDS {
            std::hint::black_box(
                jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &raw).unwrap(),
            );
        }
        let bare = ROUNDS as f64 / start.elapsed().as_secs_f64();
        best = (best.0.max(ours), best.1.max(bare));
    }
    println!("validate_id_token:        {:>8.0} validations/s", best.0);
    println!(
        "jsonwebtoken::decode RS256: {:>6.0} verifications/s",
        best.1
    );
    println!(
        "ratio: {:.1}% of raw (best of 3 runs of {ROUNDS})",
        100.0 * best.0 / best.1
    );
}
