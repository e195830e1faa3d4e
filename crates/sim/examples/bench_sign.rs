//! Tokens signed per second by the simulator vs raw RS256 signing with the same library (jsonwebtoken).
//!
//! `cargo run --release -p mva-sim --example bench_sign [-- SECONDS]`
//!
//! Three numbers: (1) raw `jsonwebtoken::encode` RS256 of ID-token-sized claims, (2) the simulator's
//! `SigningKey::sign` (the same plus a header with kid), (3) whole token responses over HTTP on loopback: a
//! refresh_token grant of the built-in refresh client (access token + ID token + new refresh token = 2 signatures
//! per response), one client, sequential.

use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;

fn rate(label: &str, secs: f64, mut f: impl FnMut()) -> f64 {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let mut n = 0u64;
    while Instant::now() < deadline {
        f();
        n += 1;
    }
    let r = n as f64 / started.elapsed().as_secs_f64();
    println!(
        "{label:<58} {r:>9.0} /s  ({n} in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    r
}

#[tokio::main]
async fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let t = Instant::now();
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
    println!("RSA-2048 key generation: {} ms", t.elapsed().as_millis());
    let mut gen_times: Vec<u128> = (0..5)
        .map(|_| {
            let t = Instant::now();
            sim::keys::SigningKey::generate().unwrap();
            t.elapsed().as_millis()
        })
        .collect();
    gen_times.sort();
    println!("SigningKey::generate, 5 runs (ms, sorted): {gen_times:?}");

    let claims = serde_json::json!({"iss": "http://127.0.0.1:7070", "aud": "23cc2587-ea4e-4a5f-aa5c-dfce3d6c5f09",
        "sub": "kC5rF-xX96Y_aujQARwSz023g90RQ2_i20vprRkB7hk", "pid": "01818510078", "acr": "idporten-loa-substantial",
        "amr": ["TestID"], "nonce": "n-0S6_WzA2Mj", "locale": "nb", "auth_time": 1, "iat": 1, "exp": 121,
        "jti": "c2a2a0d0-8f6e-4b8e-9d61"});
    let der = key.to_pkcs1_der().unwrap();
    let enc = EncodingKey::from_rsa_der(der.as_bytes());
    let header = Header::new(Algorithm::RS256);
    let raw = rate("raw jsonwebtoken::encode RS256", secs, || {
        jsonwebtoken::encode(&header, &claims, &enc).unwrap();
    });
    let sk = sim::keys::SigningKey::generate().unwrap();
    rate("sim SigningKey::sign (kid header)", secs, || {
        sk.sign(&claims, "JWT", None);
    });

    let handle = sim::start(
        sim::SimConfig::parse("[sim]\nheadless_login = true\n").unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let verifier = "bench-verifier-0123456789-0123456789-0123456789";
    let challenge = sim::model::s256(verifier);
    let redirect = "http://127.0.0.1:4711/callback";
    let mut url = url::Url::parse(&format!("{}/authorize", handle.issuer())).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", sim::REFRESH_TEST_CLIENT_ID),
        ("redirect_uri", redirect),
        ("scope", "openid skatteetaten:mvameldingvalidering"),
        ("state", "s"),
        ("nonce", "n"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("sim_pid", "01818510078"),
    ]);
    let r = http.get(url).send().await.unwrap();
    let loc = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let code = loc
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let t: serde_json::Value = http
        .post(format!("{}/token", handle.issuer()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
            ("client_id", sim::REFRESH_TEST_CLIENT_ID),
        ])
        .basic_auth(
            sim::REFRESH_TEST_CLIENT_ID,
            Some(sim::REFRESH_TEST_CLIENT_SECRET),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut refresh = t["refresh_token"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let mut n = 0u64;
    while Instant::now() < deadline {
        let t: serde_json::Value = http
            .post(format!("{}/token", handle.issuer()))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.as_str()),
                ("client_id", sim::REFRESH_TEST_CLIENT_ID),
            ])
            .basic_auth(
                sim::REFRESH_TEST_CLIENT_ID,
                Some(sim::REFRESH_TEST_CLIENT_SECRET),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        refresh = t["refresh_token"]
            .as_str()
            .expect("refresh answered")
            .to_string();
        n += 1;
    }
    let per = n as f64 / started.elapsed().as_secs_f64();
    println!(
        "{:<58} {per:>9.0} /s  ({n} in {:.1} s)",
        "sim /token refresh responses over HTTP (2 signatures each)",
        started.elapsed().as_secs_f64()
    );
    println!(
        "signatures/s in token responses: {:.0} = {:.0}% of raw signing",
        per * 2.0,
        per * 2.0 / raw * 100.0
    );
    handle.shutdown().await;
}
