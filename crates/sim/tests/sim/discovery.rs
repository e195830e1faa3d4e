//! Discovery, JWKS, key rotation.

use crate::support::*;

#[tokio::test]
async fn discovery_has_the_fields_of_the_test_environment() {
    let sim = sim().await;
    let issuer = sim.handle.issuer();
    assert!(!issuer.ends_with('/'));
    assert_eq!(issuer, format!("http://{}", sim.handle.addr()));
    let (status, d) = json_of(sim.get(&sim.url("/.well-known/openid-configuration")).await).await;
    assert_eq!(status, 200);
    assert_eq!(d["issuer"], issuer.as_str());
    for (field, path) in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("jwks_uri", "/jwks.json"),
        ("userinfo_endpoint", "/userinfo"),
        ("end_session_endpoint", "/logout"),
        ("pushed_authorization_request_endpoint", "/par"),
        ("revocation_endpoint", "/revoke"),
        ("introspection_endpoint", "/introspect"),
    ] {
        assert_eq!(d[field], format!("{issuer}{path}"), "{field}");
    }
    assert_eq!(d["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        d["response_modes_supported"],
        serde_json::json!(["query", "form_post", "query.jwt", "form_post.jwt"])
    );
    assert_eq!(
        d["grant_types_supported"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        d["token_endpoint_auth_methods_supported"],
        serde_json::json!([
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none"
        ])
    );
    assert_eq!(
        d["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        d["ui_locales_supported"],
        serde_json::json!(["en", "nb", "nn", "se"])
    );
    assert_eq!(
        d["prompt_values_supported"],
        serde_json::json!(["consent", "login", "none"])
    );
    let acr = d["acr_values_supported"].as_array().unwrap();
    assert!(
        acr.contains(&"idporten-loa-substantial".into())
            && acr.contains(&"idporten-loa-high".into())
    );
    assert_eq!(
        d["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    assert_eq!(d["frontchannel_logout_supported"], true);
    sim.handle.shutdown().await;
}

#[tokio::test]
async fn issuer_override_is_published() {
    let sim = sim_with("[sim]\nissuer = \"http://localhost:7070\"\n").await;
    assert_eq!(sim.handle.issuer(), "http://localhost:7070");
    let url = format!(
        "http://{}/.well-known/openid-configuration",
        sim.handle.addr()
    );
    let (_, d) = json_of(sim.get(&url).await).await;
    assert_eq!(d["issuer"], "http://localhost:7070");
    assert_eq!(d["token_endpoint"], "http://localhost:7070/token");
    let e = sim::SimConfig::parse("[sim]\nissuer = \"http://localhost:7070/\"\n").unwrap_err();
    assert!(e.to_string().contains("trailing slash"), "{e}");
    let e = sim::SimConfig::parse("[sim]\nissuer = \"http://example.com\"\n").unwrap_err();
    assert!(e.to_string().contains("loopback"), "{e}");
}

#[tokio::test]
async fn jwks_has_rs256_keys_with_kid_use_alg() {
    let sim = sim().await;
    let (status, jwks) = json_of(sim.get(&sim.url("/jwks.json")).await).await;
    assert_eq!(status, 200);
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let k = &keys[0];
    assert_eq!(k["kty"], "RSA");
    assert_eq!(k["use"], "sig");
    assert_eq!(k["alg"], "RS256");
    assert!(k["kid"].as_str().unwrap().len() > 8);
    // 2048-bit modulus: 256 bytes -> 342 base64url characters.
    assert_eq!(k["n"].as_str().unwrap().len(), 342);
    assert!(sim.handle.key_generation_time().as_secs() < 10);
}

async fn kids(sim: &Sim) -> Vec<String> {
    let (_, jwks) = json_of(sim.get(&sim.url("/jwks.json")).await).await;
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn key_rotation_in_three_steps_through_the_handle() {
    let sim = sim().await;
    let first = kids(&sim).await;
    let (_, t1) = login(
        &sim,
        SHARED_TEST_CLIENT_ID,
        SHARED_TEST_REDIRECT_URI,
        VAT_SCOPE,
    )
    .await;
    assert_eq!(
        header(t1["id_token"].as_str().unwrap())["kid"],
        first[0].as_str()
    );

    // Step 1: the new key is published, the old one still signs.
    let next = sim.handle.publish_next_key().await.unwrap();
    assert_eq!(kids(&sim).await, vec![first[0].clone(), next.clone()]);
    let (_, t2) = login(
        &sim,
        SHARED_TEST_CLIENT_ID,
        SHARED_TEST_REDIRECT_URI,
        VAT_SCOPE,
    )
    .await;
    assert_eq!(
        header(t2["id_token"].as_str().unwrap())["kid"],
        first[0].as_str()
    );

    // Step 2: the new key signs.
    assert_eq!(sim.handle.activate_next_key(), Some(next.clone()));
    assert_eq!(sim.handle.activate_next_key(), None);
    let (_, t3) = login(
        &sim,
        SHARED_TEST_CLIENT_ID,
        SHARED_TEST_REDIRECT_URI,
        VAT_SCOPE,
    )
    .await;
    assert_eq!(
        header(t3["id_token"].as_str().unwrap())["kid"],
        next.as_str()
    );

    // Step 3: the old key is gone.
    assert_eq!(sim.handle.retire_old_keys(), first);
    assert_eq!(kids(&sim).await, vec![next]);
}

#[tokio::test]
async fn key_rotation_through_the_admin_api() {
    let sim = sim().await;
    let first = kids(&sim).await;
    let (s, r) = json_of(
        sim.http
            .post(sim.url("/sim/admin/keys/publish"))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 201);
    let next = r["kid"].as_str().unwrap().to_string();
    let (s, r) = json_of(
        sim.http
            .post(sim.url("/sim/admin/keys/activate"))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, r["kid"].as_str()), (200, Some(next.as_str())));
    let (s, _) = json_of(
        sim.http
            .post(sim.url("/sim/admin/keys/activate"))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 409, "nothing newer to activate");
    let (_, r) = json_of(
        sim.http
            .post(sim.url("/sim/admin/keys/retire"))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r["removed"], serde_json::json!(first));
    let (_, r) = json_of(sim.get(&sim.url("/sim/admin/keys")).await).await;
    assert_eq!(r["active"], next.as_str());
}

#[tokio::test]
async fn config_refuses_unknown_keys_naming_them() {
    for (text, key) in [
        ("[sim]\nheadless = true\n", "headless"),
        ("[simulator]\nport = 1\n", "simulator"),
        (
            "[[person]]\npid = \"01818510078\"\nname = \"x\"\nage = 3\n",
            "age",
        ),
        (
            "[[integration]]\nclient_id = \"x\"\nredirect_uri = \"y\"\n",
            "redirect_uri",
        ),
    ] {
        let e = sim::SimConfig::parse(text).unwrap_err().to_string();
        assert!(e.contains(key), "{key}: {e}");
    }
    let e = sim::SimConfig::parse("[[person]]\npid = \"01818510079\"\nname = \"x\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("check digits"), "{e}");
    let c = sim::SimConfig::default();
    assert_eq!(c.sim.port, 7070);
    assert!(!c.sim.headless_login);
    let ids: Vec<_> = c
        .integrations
        .iter()
        .map(|i| i.client_id.as_str())
        .collect();
    assert_eq!(
        ids,
        vec![
            SHARED_TEST_CLIENT_ID,
            GUIDE_EXAMPLE_CLIENT_ID,
            REFRESH_TEST_CLIENT_ID,
            LOOPBACK_TEST_CLIENT_ID
        ]
    );
}

#[tokio::test]
async fn a_taken_port_is_reported() {
    let sim = sim().await;
    let e = sim::start(sim::SimConfig::default(), sim.handle.addr())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&sim.handle.addr().to_string()) && e.contains("another program"),
        "{e}"
    );
}

#[tokio::test]
async fn shutdown_stops_the_listener() {
    let sim = sim().await;
    let url = sim.url("/jwks.json");
    sim.handle.shutdown().await;
    assert!(reqwest::get(&url).await.is_err());
}

#[tokio::test]
async fn integrations_that_cannot_work_are_refused_at_start() {
    for (table, want) in [
        ("client_authentication = \"private_key_jwt\"", "client_public_key is not set"),
        ("client_authentication = \"client_secret_basic\"", "client_secret is not set"),
        ("client_authentication = \"private_key_jwt\"\nclient_public_key = \"/no/such/key.pem\"", "/no/such/key.pem"),
        ("client_authentication = \"private_key_jwt\"\nclient_public_key = '{\"keys\":[{\"kty\":\"EC\"}]}'", "kty RSA"),
    ] {
        let text = format!("[[integration]]\nclient_id = \"c1\"\nredirect_uris = [\"http://localhost:1/cb\"]\n{table}\n");
        let config = sim::SimConfig::parse(&text).unwrap();
        let e = sim::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap_err().to_string();
        assert!(e.contains("c1") && e.contains(want), "{want}: {e}");
    }
    let text = "[[integration]]\nclient_id = \"c2\"\nredirect_uris = [\"http://example.com/cb\"]\n";
    let e = sim::start(
        sim::SimConfig::parse(text).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("only for localhost"), "{e}");
    let e = sim::SimConfig::read(std::path::Path::new("/no/such/sim.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("/no/such/sim.toml"), "{e}");
}

#[tokio::test]
async fn the_app_answers_without_a_socket() {
    use tower::ServiceExt;
    let config = sim::SimConfig::default();
    let key = sim::keys::SigningKey::generate().unwrap();
    let state = sim::SimState::new(&config, "http://127.0.0.1:9".into(), key).unwrap();
    let request = axum::http::Request::get("/.well-known/openid-configuration")
        .header("host", "127.0.0.1:9")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = sim::app(state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let d: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(d["token_endpoint"], "http://127.0.0.1:9/token");
    assert_eq!(state.stats.snapshot()["discovery_requests"], 1);
}

#[tokio::test]
async fn rotate_keys_does_all_three_steps() {
    let sim = sim().await;
    let old = kids(&sim).await;
    let new = sim.handle.rotate_keys().await.unwrap();
    assert_eq!(kids(&sim).await, vec![new.clone()]);
    assert_ne!(old, vec![new.clone()]);
    let (_, t) = login(
        &sim,
        SHARED_TEST_CLIENT_ID,
        SHARED_TEST_REDIRECT_URI,
        VAT_SCOPE,
    )
    .await;
    assert_eq!(header(t["id_token"].as_str().unwrap())["kid"], new.as_str());
}
