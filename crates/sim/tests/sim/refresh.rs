//! The refresh_token grant: one-time rotation and reuse detection, reusable tokens, idle expiry, the 8-hour cap.

use serde_json::Value;

use crate::support::*;

async fn refresh(sim: &Sim, client: &str, token: &str, scope: Option<&str>) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("client_id", client),
    ];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    sim.post_form("/token", &form).await
}

async fn userinfo_status(sim: &Sim, at: &str) -> u16 {
    sim.http
        .get(sim.url("/userinfo"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn one_time_refresh_tokens_rotate_and_reuse_revokes_the_grant() {
    let sim = sim().await;
    let (_, t0) = login(&sim, REFRESH_TEST_CLIENT_ID, REFRESH_REDIRECT, VAT_SCOPE).await;
    let r1 = t0["refresh_token"].as_str().unwrap().to_string();
    let (s, t1) = refresh(&sim, REFRESH_TEST_CLIENT_ID, &r1, None).await;
    assert_eq!(s, 200, "{t1}");
    let r2 = t1["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    let (c0, c1) = (
        claims(t0["id_token"].as_str().unwrap()),
        claims(t1["id_token"].as_str().unwrap()),
    );
    for k in ["iss", "sub", "aud", "auth_time"] {
        assert_eq!(c0[k], c1[k], "{k} is kept on refresh");
    }
    assert!(c1.get("nonce").is_none());
    let at1 = t1["access_token"].as_str().unwrap();
    assert_eq!(userinfo_status(&sim, at1).await, 200);

    let (s, e) = refresh(&sim, REFRESH_TEST_CLIENT_ID, &r1, None).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
    assert!(
        e["error_description"].as_str().unwrap().contains("revoked"),
        "{e}"
    );
    let (s, _) = refresh(&sim, REFRESH_TEST_CLIENT_ID, &r2, None).await;
    assert_eq!(s, 400, "the whole grant is revoked");
    assert_eq!(userinfo_status(&sim, at1).await, 401);
    assert_eq!(sim.handle.stats()["refreshes"], 3);
}

#[tokio::test]
async fn reusable_refresh_tokens_stay_the_same() {
    let sim = sim().await;
    let (_, t0) = login(
        &sim,
        REUSABLE_CLIENT,
        REFRESH_REDIRECT,
        "openid skatteetaten:mvameldingvalidering",
    )
    .await;
    let r = t0["refresh_token"].as_str().unwrap();
    for _ in 0..2 {
        let (s, t) = refresh(&sim, REUSABLE_CLIENT, r, None).await;
        assert_eq!(s, 200, "{t}");
        assert_eq!(t["refresh_token"], r);
    }
    // Bound to its client.
    let (s, e) = refresh(&sim, REFRESH_TEST_CLIENT_ID, r, None).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn refresh_tokens_expire_when_idle() {
    let sim = sim().await;
    let (_, t) = login(&sim, REFRESH_TEST_CLIENT_ID, REFRESH_REDIRECT, VAT_SCOPE).await;
    let r = t["refresh_token"].as_str().unwrap();
    sim.handle.clock().advance(601);
    let (s, e) = refresh(&sim, REFRESH_TEST_CLIENT_ID, r, None).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
    assert!(
        e["error_description"].as_str().unwrap().contains("idle"),
        "{e}"
    );
}

#[tokio::test]
async fn skatteetaten_scopes_cap_the_grant_at_8_hours() {
    let sim = sim().await;
    let scope = "openid skatteetaten:mvameldingvalidering";
    let (_, t) = login(&sim, CAPPED_CLIENT, REFRESH_REDIRECT, scope).await;
    let mut r = t["refresh_token"].as_str().unwrap().to_string();
    sim.handle.clock().advance(8 * 3600 - 60);
    let (s, t) = refresh(&sim, CAPPED_CLIENT, &r, None).await;
    assert_eq!(s, 200, "{t}");
    assert!(
        t["expires_in"].as_i64().unwrap() <= 60,
        "the access token ends with the grant"
    );
    r = t["refresh_token"].as_str().unwrap().to_string();
    sim.handle.clock().advance(61);
    let (s, e) = refresh(&sim, CAPPED_CLIENT, &r, None).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
    assert!(
        e["error_description"].as_str().unwrap().contains("28800"),
        "{e}"
    );
}

#[tokio::test]
async fn refresh_may_narrow_but_not_widen_the_scope() {
    let sim = sim().await;
    let (_, t) = login(
        &sim,
        REFRESH_TEST_CLIENT_ID,
        REFRESH_REDIRECT,
        "openid skatteetaten:mvameldingvalidering",
    )
    .await;
    let r = t["refresh_token"].as_str().unwrap();
    let (s, e) = refresh(
        &sim,
        REFRESH_TEST_CLIENT_ID,
        r,
        Some("openid skatteetaten:mvameldinginnsending"),
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_scope")));
    let (s, t) = refresh(&sim, REFRESH_TEST_CLIENT_ID, r, Some("openid")).await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(
        claims(t["access_token"].as_str().unwrap())["scope"],
        "openid"
    );
}

#[tokio::test]
async fn public_native_clients_get_no_refresh_token() {
    let sim = sim().await;
    for (client, redirect) in [
        (LOOPBACK_TEST_CLIENT_ID, REFRESH_REDIRECT),
        (SHARED_TEST_CLIENT_ID, SHARED_TEST_REDIRECT_URI),
        (GUIDE_EXAMPLE_CLIENT_ID, GUIDE_REDIRECT),
    ] {
        let (_, t) = login(&sim, client, redirect, VAT_SCOPE).await;
        assert!(t.get("refresh_token").is_none(), "{client}: {t}");
        assert!(t["access_token"].is_string());
    }
    // The web client gets one, and must authenticate to use it.
    let (_, t) = login(&sim, REFRESH_TEST_CLIENT_ID, REFRESH_REDIRECT, VAT_SCOPE).await;
    let r = t["refresh_token"].as_str().unwrap();
    let (s, e) = json_of(
        sim.http
            .post(sim.url("/token"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", r),
                ("client_id", REFRESH_TEST_CLIENT_ID),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn registrations_the_integration_check_refuses_stop_the_start() {
    let public_with_refresh =
        "[[integration]]\nclient_id = \"c1\"\nredirect_uris = [\"http://localhost:1/cb\"]\n\
        grant_types = [\"authorization_code\", \"refresh_token\"]\napplication_type = \"native\"\n";
    let web_without_auth =
        "[[integration]]\nclient_id = \"c1\"\nredirect_uris = [\"http://localhost:1/cb\"]\n\
        grant_types = [\"authorization_code\", \"refresh_token\"]\napplication_type = \"web\"\n";
    let too_long =
        "[[integration]]\nclient_id = \"c1\"\nredirect_uris = [\"http://localhost:1/cb\"]\n\
        [integration.lifetimes]\nauthorization = 36000\n";
    let implicit =
        "[[integration]]\nclient_id = \"c1\"\nredirect_uris = [\"http://localhost:1/cb\"]\n\
        grant_types = [\"authorization_code\", \"implicit\"]\n";
    for (text, field, problem) in [
        (
            public_with_refresh,
            "Tillatte grant types",
            "refresh tokens are only available with web",
        ),
        (
            web_without_auth,
            "Klientautentiseringsmetode",
            "a client using refresh tokens must authenticate",
        ),
        (too_long, "Levetider", "cap it at 8 hours"),
        (
            implicit,
            "Tillatte grant types",
            "\"implicit\" is not a grant type",
        ),
    ] {
        let config = sim::SimConfig::parse(text).unwrap();
        let e = sim::start(config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("c1") && e.contains(field) && e.contains(problem) && e.contains("fix:"),
            "{problem}: {e}"
        );
    }
}
