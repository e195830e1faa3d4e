//! `/userinfo`, `/revoke`, `/introspect` and `/logout`.

use serde_json::Value;

use crate::support::*;

async fn userinfo(sim: &Sim, at: &str) -> (u16, Value) {
    json_of(
        sim.http
            .get(sim.url("/userinfo"))
            .bearer_auth(at)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn userinfo_answers_sub_pid_locale_for_a_valid_bearer() {
    let sim = sim().await;
    let (_, t) = login(
        &sim,
        SHARED_TEST_CLIENT_ID,
        SHARED_TEST_REDIRECT_URI,
        VAT_SCOPE,
    )
    .await;
    let at = t["access_token"].as_str().unwrap();
    let (s, u) = userinfo(&sim, at).await;
    assert_eq!(s, 200);
    assert_eq!(
        u,
        serde_json::json!({"sub": claims(at)["sub"], "pid": KARI, "locale": "nb"})
    );

    let r = sim.get(&sim.url("/userinfo")).await;
    assert_eq!(r.status().as_u16(), 401);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer error=\"invalid_token\""));
    let r = sim
        .get(&format!("{}?access_token={at}", sim.url("/userinfo")))
        .await;
    assert_eq!(r.status().as_u16(), 401, "tokens in URLs are not accepted");
    let (s, _) = userinfo(&sim, t["id_token"].as_str().unwrap()).await;
    assert_eq!(s, 401, "an ID token is not an access token");
    sim.handle.clock().advance(121);
    let (s, e) = userinfo(&sim, at).await;
    assert_eq!(s, 401);
    assert!(e["error_description"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn revoke_revokes_the_whole_grant_for_its_client_only() {
    let sim = sim().await;
    let (_, t) = login(&sim, REFRESH_TEST_CLIENT_ID, REFRESH_REDIRECT, VAT_SCOPE).await;
    let at = t["access_token"].as_str().unwrap();
    let rt = t["refresh_token"].as_str().unwrap();
    // Another client cannot revoke it.
    let (s, _) = sim
        .post_form(
            "/revoke",
            &[("token", at), ("client_id", SHARED_TEST_CLIENT_ID)],
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(userinfo(&sim, at).await.0, 200);
    // Unknown tokens are fine (RFC 7009 2.2).
    let (s, _) = sim
        .post_form(
            "/revoke",
            &[("token", "nonsense"), ("client_id", REFRESH_TEST_CLIENT_ID)],
        )
        .await;
    assert_eq!(s, 200);
    // Revoking the refresh token kills the access token too.
    let (s, _) = sim
        .post_form(
            "/revoke",
            &[
                ("token", rt),
                ("token_type_hint", "refresh_token"),
                ("client_id", REFRESH_TEST_CLIENT_ID),
            ],
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(userinfo(&sim, at).await.0, 401);
    let (s, e) = sim
        .post_form(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt),
                ("client_id", REFRESH_TEST_CLIENT_ID),
            ],
        )
        .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(sim.handle.stats()["revocations"], 1);
    // Confidential clients must authenticate.
    let (s, e) = sim
        .post_form("/revoke", &[("token", at), ("client_id", POST_CLIENT)])
        .await;
    assert_eq!((s, e["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn introspection_needs_the_tokeninfo_scope() {
    let sim = sim().await;
    let (_, t) = login(&sim, REFRESH_TEST_CLIENT_ID, REFRESH_REDIRECT, VAT_SCOPE).await;
    let at = t["access_token"].as_str().unwrap();
    let form = |token: &str| {
        vec![
            ("token", token.to_string()),
            ("client_id", INTROSPECTOR.into()),
            ("client_secret", "introspect-secret".into()),
        ]
    };
    let (s, i) = json_of(
        sim.http
            .post(sim.url("/introspect"))
            .form(&form(at))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{i}");
    assert_eq!(i["active"], true);
    assert_eq!(i["client_id"], REFRESH_TEST_CLIENT_ID);
    assert_eq!(i["pid"], KARI);
    let (_, i) = json_of(
        sim.http
            .post(sim.url("/introspect"))
            .form(&form(t["refresh_token"].as_str().unwrap()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (i["active"].as_bool(), i["token_type"].as_str()),
        (Some(true), Some("refresh_token"))
    );
    let (_, i) = json_of(
        sim.http
            .post(sim.url("/introspect"))
            .form(&form("garbage"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(i, serde_json::json!({"active": false}));
    let (s, e) = sim
        .post_form(
            "/introspect",
            &[("token", at), ("client_id", REFRESH_TEST_CLIENT_ID)],
        )
        .await;
    assert_eq!((s, e["error"].as_str()), (401, Some("invalid_client")));
    assert!(e["error_description"]
        .as_str()
        .unwrap()
        .contains("idporten:tokeninfo"));
}

#[tokio::test]
async fn logout_with_a_valid_hint_and_session_redirects_back_with_state() {
    let sim = sim().await;
    let (_, t) = login(&sim, GUIDE_EXAMPLE_CLIENT_ID, GUIDE_REDIRECT, VAT_SCOPE).await;
    let url = sim.url("/logout");
    let r = sim
        .http
        .get(&url)
        .query(&[
            ("id_token_hint", t["id_token"].as_str().unwrap()),
            (
                "post_logout_redirect_uri",
                "http://localhost:8988/auth/logoutsuccess",
            ),
            ("state", "st ate/1"),
        ])
        .send()
        .await
        .unwrap();
    let (u, q) = redirect_params(&r);
    assert!(u
        .as_str()
        .starts_with("http://localhost:8988/auth/logoutsuccess?"));
    assert_eq!(q["state"], "st ate/1");
    // The SSO session is over: the next login shows the page again.
    let r = sim
        .get(&Auth::new(GUIDE_EXAMPLE_CLIENT_ID, GUIDE_REDIRECT, VAT_SCOPE).url(&sim))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("TestID"));
    // Logging out again (no session) shows the page, no redirect.
    let r = sim
        .http
        .post(&url)
        .form(&[
            ("id_token_hint", t["id_token"].as_str().unwrap()),
            (
                "post_logout_redirect_uri",
                "http://localhost:8988/auth/logoutsuccess",
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("Du er logget ut"));
}

#[tokio::test]
async fn logout_without_valid_hint_or_registered_uri_stays_on_the_page() {
    let sim = sim().await;
    let (_, t) = login(&sim, GUIDE_EXAMPLE_CLIENT_ID, GUIDE_REDIRECT, VAT_SCOPE).await;
    let r = sim
        .http
        .post(sim.url("/logout"))
        .form(&[
            ("id_token_hint", t["id_token"].as_str().unwrap()),
            (
                "post_logout_redirect_uri",
                "http://localhost:8988/elsewhere",
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        200,
        "unregistered post_logout_redirect_uri"
    );
    let (_, t) = login(&sim, GUIDE_EXAMPLE_CLIENT_ID, GUIDE_REDIRECT, VAT_SCOPE).await;
    let mut bad = t["id_token"].as_str().unwrap().to_string();
    bad.push('x');
    let r = sim
        .http
        .post(sim.url("/logout"))
        .form(&[
            ("id_token_hint", bad.as_str()),
            (
                "post_logout_redirect_uri",
                "http://localhost:8988/auth/logoutsuccess",
            ),
            ("ui_locales", "en"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "invalid hint");
    assert!(r.text().await.unwrap().contains("You are logged out"));
}

#[tokio::test]
async fn logout_revokes_only_tokens_with_openid_profile_scopes() {
    let sim = sim().await;
    let (_, vat) = login(&sim, GUIDE_EXAMPLE_CLIENT_ID, GUIDE_REDIRECT, VAT_SCOPE).await;
    // Same browser (cookie jar): SSO for the second client.
    let auth = Auth::new(OPENID_CLIENT, "http://localhost:9200/cb", "openid profile");
    let code = code_for(&sim, &auth).await;
    let (_, plain) = redeem(&sim, &auth, &code).await;
    let hint = plain["id_token"].as_str().unwrap();
    let r = sim
        .http
        .get(sim.url("/logout"))
        .query(&[
            ("id_token_hint", hint),
            ("post_logout_redirect_uri", "http://localhost:9200/bye"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302);
    assert_eq!(
        userinfo(&sim, plain["access_token"].as_str().unwrap())
            .await
            .0,
        401
    );
    assert_eq!(
        userinfo(&sim, vat["access_token"].as_str().unwrap())
            .await
            .0,
        200,
        "skatteetaten tokens survive"
    );
}

#[tokio::test]
async fn frontchannel_logout_iframes_carry_iss_and_sid() {
    let sim = sim().await;
    let auth = Auth::headless(BASIC_CLIENT, WEB_REDIRECT, "openid");
    let code = code_for(&sim, &auth).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", WEB_REDIRECT),
        ("code_verifier", auth.verifier.as_str()),
    ];
    let r = sim
        .http
        .post(sim.url("/token"))
        .basic_auth(BASIC_CLIENT, Some(BASIC_SECRET))
        .form(&form)
        .send()
        .await
        .unwrap();
    let (_, t) = json_of(r).await;
    let id = t["id_token"].as_str().unwrap();
    let sid = claims(id)["sid"].as_str().unwrap().to_string();
    let r = sim
        .http
        .post(sim.url("/logout"))
        .form(&[
            ("id_token_hint", id),
            ("post_logout_redirect_uri", "http://localhost:9100/bye"),
            ("state", "s1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body = r.text().await.unwrap();
    let iss =
        url::form_urlencoded::byte_serialize(sim.handle.issuer().as_bytes()).collect::<String>();
    assert!(
        body.contains(&format!(
            "<iframe src=\"http://localhost:9100/frontchannel?iss={iss}&amp;sid={sid}\""
        )),
        "{body}"
    );
    assert!(
        body.contains("url=http://localhost:9100/bye?state=s1"),
        "{body}"
    );
}
