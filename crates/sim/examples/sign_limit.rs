//! The physical limit of the token endpoint: RSA-2048 RS256 signatures per second with each library the project can
//! sign with, on one core and on every core at once, and what that allows in token responses (two signatures each).
//!
//! `cargo run --release -p mva-sim --example sign_limit [-- SECONDS]`
//!
//! Prints one line per measurement and, last, `limit: BACKEND SIGNATURES_PER_S RESPONSES_PER_S` for the fastest
//! backend on every core (tests/interop/bench/run.sh reads it).

use std::time::{Duration, Instant};

use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;

/// Runs `sign` on `threads` threads for `secs` seconds; signatures per second over all threads.
fn rate(threads: usize, secs: f64, sign: impl Fn() + Sync) -> f64 {
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(secs);
    let total: u64 = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        sign();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    total as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
    let der = key.to_pkcs1_der().unwrap();
    // An ID token's claims, as the simulator signs them.
    let claims = serde_json::json!({"iss": "http://127.0.0.1:7070", "aud": "23cc2587-ea4e-4a5f-aa5c-dfce3d6c5f09",
        "sub": "kC5rF-xX96Y_aujQARwSz023g90RQ2_i20vprRkB7hk", "pid": "01818510078", "acr": "idporten-loa-substantial",
        "amr": ["TestID"], "nonce": "n-0S6_WzA2Mj", "locale": "nb", "auth_time": 1, "iat": 1, "exp": 121,
        "jti": "c2a2a0d0-8f6e-4b8e-9d61"});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"RS256","kid":"mva-sim-0123456789ab"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );

    let aws = RsaKeyPair::from_der(der.as_bytes()).unwrap();
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let aws_sign = || {
        let mut sig = vec![0u8; aws.public_modulus_len()];
        aws.sign(&RSA_PKCS1_SHA256, &rng, signing_input.as_bytes(), &mut sig)
            .unwrap();
    };
    let ring_key = EncodingKey::from_rsa_der(der.as_bytes());
    let header = Header::new(Algorithm::RS256);
    let ring_sign = || {
        jsonwebtoken::encode(&header, &claims, &ring_key).unwrap();
    };

    let mut best = ("", 0.0f64);
    for (name, sign) in [
        ("aws-lc-rs", &aws_sign as &(dyn Fn() + Sync)),
        ("ring (jsonwebtoken 9)", &ring_sign),
    ] {
        let one = rate(1, secs, sign);
        let all = rate(cores, secs, sign);
        println!("{name:<24} RS256 signatures/s: 1 core {one:>7.0}, {cores} cores {all:>7.0}");
        if all > best.1 {
            best = (name, all);
        }
    }
    println!(
        "limit: {} {:.0} {:.0}",
        best.0.split(' ').next().unwrap_or(best.0),
        best.1,
        best.1 / 2.0
    );
}
