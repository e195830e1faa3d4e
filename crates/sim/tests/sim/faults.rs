//! Fault injection (status, delay, drop), forged ID tokens, the admin API, the request log and counters.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

use crate::support::*;

#[tokio::test]
async fn fail_next_answers_the_status_then_recovers() {
    let sim = sim().await;
    sim.handle.faults().fail_next("token", 500, 1).unwrap();
    let auth = Auth::headless(SHARED_TEST_CLIENT_ID, SHARED_TEST_REDIRECT_URI, VAT_SCOPE);
    let code = code_for(&sim, &auth).await;
    let (s, e) = redeem(&sim, &auth, &code).await;
    assert_eq!((s, e["error"].as_str()), (500, Some("server_error")));
    let (s, _) = redeem(&sim, &auth, &code).await;
    assert_eq!(
        s, 200,
        "the fault answered before the handler: the code is still fresh"
    );

    let (s, _) = json_of(
        sim.http
            .post(sim.url("/sim/admin/faults"))
            .json(&json!({"endpoint": "jwks", "kind": "status", "status": 503, "count": 2}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 201);
    for want in [503, 503, 200] {
        assert_eq!(
            sim.get(&sim.url("/jwks.json")).await.status().as_u16(),
            want
        );
    }
    assert!(sim
        .handle
        .faults()
        .fail_next("tokens", 500, 1)
        .unwrap_err()
        .to_string()
        .contains("unknown endpoint"));
    let (s, e) = json_of(
        sim.http
            .post(sim.url("/sim/admin/faults"))
            .json(&json!({"endpoint": "token", "kind": "explode"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400, "{e}");
}

#[tokio::test]
async fn the_vat_routes_get_faults_too() {
    let sim = sim().await;
    sim.handle.faults().fail_next("validation", 503, 1).unwrap();
    let r = sim
        .http
        .post(sim.url("/api/mva/grensesnittstoette/mva-melding/valider"))
        .body("<x/>")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 503);
    sim.handle.faults().fail_next("exchange", 500, 1).unwrap();
    let r = sim
        .get(&sim.url("/authentication/api/v1/exchange/id-porten"))
        .await;
    assert_eq!(r.status().as_u16(), 500);
}

#[tokio::test]
async fn delay_next_answers_slowly() {
    let sim = sim().await;
    sim.handle.faults().delay_next("discovery", 400, 1).unwrap();
    let started = Instant::now();
    assert_eq!(
        sim.get(&sim.url("/.well-known/openid-configuration"))
            .await
            .status()
            .as_u16(),
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(400));
    let started = Instant::now();
    sim.get(&sim.url("/.well-known/openid-configuration")).await;
    assert!(started.elapsed() < Duration::from_millis(400));
}

#[tokio::test]
async fn drop_next_closes_the_connection_without_an_answer() {
    let sim = sim().await;
    sim.handle.faults().drop_next("token", 1).unwrap();
    let err = sim
        .http
        .post(sim.url("/token"))
        .form(&[("grant_type", "x")])
        .send()
        .await
        .unwrap_err();
    assert!(
        !err.is_status() && (err.is_request() || err.is_connect() || err.is_body()),
        "{err:?}"
    );
    let r = sim
        .http
        .post(sim.url("/token"))
        .form(&[("grant_type", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let last = sim.handle.requests().into_iter().rev().nth(1).unwrap();
    assert_eq!((last.path.as_str(), last.status), ("/token", 0));
}

async fn forged(sim: &Sim, forgery: sim::Forgery) -> (Auth, String) {
    sim.handle.faults().forge_next_id_token(forgery);
    let (auth, t) = login(
        sim,
        SHARED_TEST_CLIENT_ID,
        SHARED_TEST_REDIRECT_URI,
        VAT_SCOPE,
    )
    .await;
    (auth, t["id_token"].as_str().unwrap().to_string())
}

async fn verify(sim: &Sim, token: &str) -> Result<Value, String> {
    let (_, jwks) = json_of(sim.get(&sim.url("/jwks.json")).await).await;
    let kid = header(token)["kid"].as_str().ok_or("no kid")?.to_string();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .ok_or("unknown kid")?;
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[SHARED_TEST_CLIENT_ID]);
    v.set_issuer(&[sim.handle.issuer()]);
    jsonwebtoken::decode::<Value>(token, &key, &v)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn forged_id_tokens_are_produced_as_asked() {
    use sim::Forgery::*;
    let sim = sim().await;
    let (_, t) = forged(&sim, WrongIss).await;
    assert_ne!(claims(&t)["iss"], sim.handle.issuer());
    assert!(verify(&sim, &t).await.is_err());
    let (_, t) = forged(&sim, WrongAud).await;
    assert_ne!(claims(&t)["aud"], SHARED_TEST_CLIENT_ID);
    assert!(verify(&sim, &t).await.is_err());
    let (auth, t) = forged(&sim, WrongNonce).await;
    assert_ne!(claims(&t)["nonce"], auth.nonce.as_str());
    assert!(verify(&sim, &t).await.is_ok(), "only the nonce is wrong");
    let (_, t) = forged(&sim, Expired).await;
    assert!(claims(&t)["exp"].as_i64().unwrap() < sim.handle.clock().now());
    assert!(verify(&sim, &t).await.unwrap_err().contains("Expired"));
    let (_, t) = forged(&sim, BadSignature).await;
    assert_eq!(claims(&t)["iss"], sim.handle.issuer());
    assert!(verify(&sim, &t)
        .await
        .unwrap_err()
        .contains("InvalidSignature"));
    let (_, t) = forged(&sim, AlgNone).await;
    assert_eq!(header(&t)["alg"], "none");
    assert!(t.ends_with('.'));
    let (_, t) = forged(&sim, UnknownKid).await;
    assert_eq!(verify(&sim, &t).await.unwrap_err(), "unknown kid");
    // One forgery per response: the next token is genuine.
    let (_, t) = login(
        &sim,
        SHARED_TEST_CLIENT_ID,
        SHARED_TEST_REDIRECT_URI,
        VAT_SCOPE,
    )
    .await;
    assert!(verify(&sim, t["id_token"].as_str().unwrap()).await.is_ok());
    // Through the admin API.
    let r = sim
        .http
        .post(sim.url("/sim/admin/forge"))
        .json(&json!({"forgery": "wrong_aud"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let (_, t) = login(
        &sim,
        SHARED_TEST_CLIENT_ID,
        SHARED_TEST_REDIRECT_URI,
        VAT_SCOPE,
    )
    .await;
    assert_eq!(
        claims(t["id_token"].as_str().unwrap())["aud"],
        "some-other-client"
    );
}

#[tokio::test]
async fn the_request_log_and_stats_hold_no_token_values() {
    let sim = sim().await;
    let (auth, t) = login(&sim, REFRESH_TEST_CLIENT_ID, REFRESH_REDIRECT, VAT_SCOPE).await;
    let rt = t["refresh_token"].as_str().unwrap();
    sim.post_form(
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("client_id", REFRESH_TEST_CLIENT_ID),
        ],
    )
    .await;
    let (s, log) = json_of(sim.get(&sim.url("/sim/admin/requests")).await).await;
    assert_eq!(s, 200);
    let token_requests: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"] == "/token")
        .collect();
    assert_eq!(token_requests.len(), 2);
    assert_eq!(token_requests[0]["grant_type"], "authorization_code");
    assert_eq!(token_requests[1]["grant_type"], "refresh_token");
    assert_eq!(token_requests[1]["client_id"], REFRESH_TEST_CLIENT_ID);
    assert_eq!(token_requests[1]["method"], "POST");
    let authorize = log
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "/authorize")
        .unwrap();
    assert_eq!(authorize["client_id"], REFRESH_TEST_CLIENT_ID);
    let text = log.to_string();
    for secret in [
        rt,
        t["access_token"].as_str().unwrap(),
        t["id_token"].as_str().unwrap(),
        &auth.verifier,
        &auth.state,
    ] {
        assert!(!text.contains(secret));
    }
    let (_, stats) = json_of(sim.get(&sim.url("/sim/admin/stats")).await).await;
    assert_eq!(
        (
            stats["token_requests"].as_u64(),
            stats["refreshes"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(stats["logins"], 1);
    let r = sim
        .http
        .delete(sim.url("/sim/admin/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert!(sim
        .handle
        .requests()
        .iter()
        .all(|r| r.endpoint == "admin" || r.path != "/token"));
}

#[tokio::test]
async fn the_clock_through_the_admin_api() {
    let sim = sim().await;
    let (_, c) = json_of(
        sim.http
            .post(sim.url("/sim/admin/clock"))
            .json(&json!({"advance_secs": 3600}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(c["offset_secs"], 3600);
    let (_, c) = json_of(
        sim.http
            .post(sim.url("/sim/admin/clock"))
            .json(&json!({"offset_secs": -5}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(c["offset_secs"], -5);
    assert_eq!(sim.handle.clock().offset(), -5);
    let (s, _) = json_of(
        sim.http
            .post(sim.url("/sim/admin/clock"))
            .json(&json!({"offset_secs": 1, "advance_secs": 1}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    let started = sim_with("[sim]\nclock_offset_secs = 7200\n").await;
    assert_eq!(started.handle.clock().offset(), 7200);
}

#[tokio::test]
async fn the_forgeries_a_client_must_reject_are_produced_as_asked() {
    use sim::Forgery::*;
    let sim = sim().await;
    // Key confusion: HS256 with the published RSA key's PEM as the secret.
    let (_, t) = forged(&sim, Hs256PublicKey).await;
    assert_eq!(header(&t)["alg"], "HS256");
    assert!(header(&t)["kid"].is_string());
    assert_eq!(claims(&t)["iss"], sim.handle.issuer());
    let (_, t) = forged(&sim, NoKid).await;
    assert!(header(&t).get("kid").is_none());
    let (_, t) = forged(&sim, AcrBelowRequest).await;
    assert_eq!(claims(&t)["acr"], "idporten-loa-low");
    sim.handle.faults().forge_next_id_token(AcrBelowRequest);
    let auth = Auth::headless(SHARED_TEST_CLIENT_ID, SHARED_TEST_REDIRECT_URI, VAT_SCOPE)
        .with("acr_values", "idporten-loa-high")
        .with("sim_acr", "idporten-loa-high");
    let code = code_for(&sim, &auth).await;
    let (_, t) = redeem(&sim, &auth, &code).await;
    assert_eq!(
        claims(t["id_token"].as_str().unwrap())["acr"],
        "idporten-loa-substantial"
    );
    let (_, t) = forged(&sim, SeveralAudNoAzp).await;
    assert_eq!(
        claims(&t)["aud"],
        json!([SHARED_TEST_CLIENT_ID, "some-other-audience"])
    );
    assert!(claims(&t).get("azp").is_none());
    let (_, t) = forged(&sim, SeveralAudWrongAzp).await;
    assert_eq!(claims(&t)["azp"], "some-other-audience");
    let (_, t) = forged(&sim, MissingSub).await;
    assert!(claims(&t).get("sub").is_none());
    assert!(verify(&sim, &t).await.is_ok(), "only sub is missing");
    let (_, t) = forged(&sim, IatInFuture).await;
    assert!(claims(&t)["iat"].as_i64().unwrap() > sim.handle.clock().now() + 3000);
    // Through the admin API, by name.
    let r = sim
        .http
        .post(sim.url("/sim/admin/forge"))
        .json(&json!({"forgery": "missing_sub"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let (_, t) = login(
        &sim,
        SHARED_TEST_CLIENT_ID,
        SHARED_TEST_REDIRECT_URI,
        VAT_SCOPE,
    )
    .await;
    assert!(claims(t["id_token"].as_str().unwrap()).get("sub").is_none());
}

#[tokio::test]
async fn callback_forgeries_change_the_next_redirect_only() {
    use sim::CallbackForgery::*;
    let sim = sim().await;
    let callback = |sim: &Sim, auth: &Auth| {
        let url = auth.url(sim);
        let http = sim.http.clone();
        async move { redirect_params(&http.get(url).send().await.unwrap()).1 }
    };
    let auth = Auth::headless(SHARED_TEST_CLIENT_ID, SHARED_TEST_REDIRECT_URI, VAT_SCOPE);
    sim.handle.faults().forge_next_callback(ForeignState);
    let q = callback(&sim, &auth).await;
    assert!(q.contains_key("code"));
    assert_ne!(q["state"], auth.state);
    assert_eq!(q["iss"], sim.handle.issuer());
    sim.handle.faults().forge_next_callback(WrongIss);
    let q = callback(&sim, &auth).await;
    assert_eq!(q["state"], auth.state);
    assert_ne!(q["iss"], sim.handle.issuer());
    sim.handle.faults().forge_next_callback(NoIss);
    let q = callback(&sim, &auth).await;
    assert!(q.contains_key("code") && !q.contains_key("iss"));
    let q = callback(&sim, &auth).await;
    assert_eq!(
        (q["state"].as_str(), q["iss"].as_str()),
        (auth.state.as_str(), sim.handle.issuer().as_str()),
        "one forgery per login"
    );
    // Through the admin API.
    let r = sim
        .http
        .post(sim.url("/sim/admin/forge"))
        .json(&json!({"callback": "foreign_state"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    assert_ne!(callback(&sim, &auth).await["state"], auth.state);
    let r = sim
        .http
        .post(sim.url("/sim/admin/forge"))
        .json(&json!({"callback": "foreign_state", "forgery": "missing_sub"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}
