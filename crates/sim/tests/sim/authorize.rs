//! `/authorize` strictness, headless login and PAR.

use crate::support::*;

fn shared() -> Auth {
    Auth::headless(SHARED_TEST_CLIENT_ID, SHARED_TEST_REDIRECT_URI, VAT_SCOPE)
}

/// The error of a redirect, checking state and iss.
async fn redirect_error(sim: &Sim, auth: &Auth, expect_state: bool) -> (String, String) {
    let r = sim.get(&auth.url(sim)).await;
    let (url, q) = redirect_params(&r);
    assert!(url.as_str().starts_with(auth.get("redirect_uri")), "{url}");
    assert_eq!(q["iss"], sim.handle.issuer());
    assert!(!q.contains_key("code"));
    if expect_state {
        assert_eq!(q["state"], auth.state);
    } else {
        assert!(!q.contains_key("state"));
    }
    (q["error"].clone(), q["error_description"].clone())
}

async fn error_page(sim: &Sim, url: &str) -> String {
    let r = sim.get(url).await;
    assert_eq!(r.status().as_u16(), 400);
    assert!(
        r.headers().get("location").is_none(),
        "an error page never redirects"
    );
    r.text().await.unwrap()
}

#[tokio::test]
async fn a_valid_request_redirects_with_code_state_and_iss() {
    let sim = sim().await;
    let auth = shared();
    let r = sim.get(&auth.url(&sim)).await;
    let (url, q) = redirect_params(&r);
    assert!(url.as_str().starts_with("http://localhost:12345/token?"));
    assert_eq!(q["state"], auth.state);
    assert_eq!(q["iss"], sim.handle.issuer());
    assert_eq!(q["code"].len(), 43);
}

#[tokio::test]
async fn unknown_client_or_redirect_uri_ends_on_an_error_page() {
    let sim = sim().await;
    let body = error_page(
        &sim,
        &shared().with("client_id", "no-such-client").url(&sim),
    )
    .await;
    assert!(body.contains("unknown client_id no-such-client"), "{body}");
    let body = error_page(
        &sim,
        &shared()
            .with("redirect_uri", "http://localhost:12346/token")
            .url(&sim),
    )
    .await;
    assert!(body.contains("is not registered for client"), "{body}");
    let body = error_page(&sim, &shared().without("redirect_uri").url(&sim)).await;
    assert!(body.contains("no redirect_uri"), "{body}");
}

#[tokio::test]
async fn native_clients_registered_on_port_zero_may_use_any_port() {
    let sim = sim().await;
    for port in [4711, 53123] {
        let redirect = format!("http://127.0.0.1:{port}/callback");
        let auth = Auth::headless(LOOPBACK_TEST_CLIENT_ID, &redirect, VAT_SCOPE);
        let code = code_for(&sim, &auth).await;
        assert_eq!(redeem(&sim, &auth, &code).await.0, 200);
    }
    for bad in [
        "http://127.0.0.1:4711/other",
        "http://localhost:4711/callback",
        "http://127.0.0.1/callback",
    ] {
        error_page(
            &sim,
            &Auth::headless(LOOPBACK_TEST_CLIENT_ID, bad, VAT_SCOPE).url(&sim),
        )
        .await;
    }
}

#[tokio::test]
async fn response_type_must_be_code() {
    let sim = sim().await;
    let (e, d) = redirect_error(&sim, &shared().with("response_type", "token"), true).await;
    assert_eq!(e, "unsupported_response_type", "{d}");
    let (e, _) = redirect_error(&sim, &shared().without("response_type"), true).await;
    assert_eq!(e, "invalid_request");
}

#[tokio::test]
async fn scope_must_hold_openid_and_only_granted_scopes() {
    let sim = sim().await;
    let (e, d) = redirect_error(
        &sim,
        &shared().with("scope", "skatteetaten:mvameldingvalidering"),
        true,
    )
    .await;
    assert_eq!(e, "invalid_scope", "{d}");
    let (e, d) = redirect_error(&sim, &shared().with("scope", "openid profile"), true).await;
    assert_eq!(e, "invalid_scope");
    assert!(d.contains("profile"), "{d}");
    // A subset of the granted scopes is fine.
    let auth = shared().with("scope", "openid skatteetaten:mvameldingvalidering");
    code_for(&sim, &auth).await;
}

#[tokio::test]
async fn state_nonce_and_pkce_are_required() {
    let sim = sim().await;
    let (e, d) = redirect_error(&sim, &shared().without("state"), false).await;
    assert_eq!(
        (e.as_str(), d.contains("state")),
        ("invalid_request", true),
        "{d}"
    );
    for missing in ["nonce", "code_challenge", "code_challenge_method"] {
        let (e, d) = redirect_error(&sim, &shared().without(missing), true).await;
        assert_eq!(e, "invalid_request");
        assert!(d.contains(missing), "{d}");
    }
}

#[tokio::test]
async fn plain_and_padded_challenges_are_refused() {
    let sim = sim().await;
    let auth = shared();
    let verifier = auth.verifier.clone();
    let (e, d) = redirect_error(
        &sim,
        &auth
            .clone()
            .with("code_challenge_method", "plain")
            .with("code_challenge", &verifier),
        true,
    )
    .await;
    assert_eq!(e, "invalid_request");
    assert!(d.contains("plain"), "{d}");
    let padded = format!("{}=", auth.get("code_challenge"));
    let (e, d) = redirect_error(&sim, &shared().with("code_challenge", &padded), true).await;
    assert_eq!(e, "invalid_request");
    assert!(d.contains("without padding"), "{d}");
}

#[tokio::test]
async fn acr_values_ui_locales_and_prompt_come_from_the_supported_lists() {
    let sim = sim().await;
    let (e, _) = redirect_error(&sim, &shared().with("acr_values", "loa-max"), true).await;
    assert_eq!(e, "invalid_request");
    let (e, _) = redirect_error(&sim, &shared().with("ui_locales", "de"), true).await;
    assert_eq!(e, "invalid_request");
    let (e, _) = redirect_error(&sim, &shared().with("prompt", "select_account"), true).await;
    assert_eq!(e, "invalid_request");
    let (e, _) = redirect_error(&sim, &shared().with("response_mode", "query.jwt"), true).await;
    assert_eq!(e, "invalid_request");

    // Accepted values reach the tokens.
    let auth = shared()
        .with("acr_values", "idporten-loa-high")
        .with("ui_locales", "en");
    let code = code_for(&sim, &auth).await;
    let (_, t) = redeem(&sim, &auth, &code).await;
    let c = claims(t["id_token"].as_str().unwrap());
    assert_eq!(
        (c["acr"].as_str(), c["locale"].as_str()),
        (Some("idporten-loa-high"), Some("en"))
    );
    let auth = shared()
        .with("acr_values", "Level3")
        .with("ui_locales", "nn")
        .with("prompt", "login");
    let code = code_for(&sim, &auth).await;
    let (_, t) = redeem(&sim, &auth, &code).await;
    let c = claims(t["id_token"].as_str().unwrap());
    assert_eq!(
        (c["acr"].as_str(), c["locale"].as_str()),
        (Some("idporten-loa-substantial"), Some("nn"))
    );
}

#[tokio::test]
async fn repeated_parameters_are_refused() {
    let sim = sim().await;
    let auth = shared();
    let url = format!("{}&scope=openid", auth.url(&sim));
    let body = error_page(&sim, &url).await;
    assert!(body.contains("more than once"), "{body}");
}

#[tokio::test]
async fn prompt_none_without_a_session_gives_login_required() {
    let sim = sim().await;
    let auth = Auth::new(SHARED_TEST_CLIENT_ID, SHARED_TEST_REDIRECT_URI, VAT_SCOPE)
        .with("prompt", "none");
    let (e, _) = redirect_error(&sim, &auth, true).await;
    assert_eq!(e, "login_required");
}

#[tokio::test]
async fn form_post_response_mode_posts_the_code() {
    let sim = sim().await;
    let r = sim
        .get(&shared().with("response_mode", "form_post").url(&sim))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("method=\"post\" action=\"http://localhost:12345/token\""),
        "{body}"
    );
    assert!(
        body.contains("name=\"code\"") && body.contains("name=\"iss\""),
        "{body}"
    );
}

#[tokio::test]
async fn headless_login_is_refused_when_switched_off() {
    let sim = sim_with("").await;
    let body = error_page(&sim, &shared().url(&sim)).await;
    assert!(body.contains("headless_login = true"), "{body}");
    // Without sim_pid the same request shows the login page.
    let r = sim.get(&shared().without("sim_pid").url(&sim)).await;
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn headless_login_checks_its_parameters() {
    let sim = sim().await;
    let body = error_page(&sim, &shared().with("sim_pid", "01818510079").url(&sim)).await;
    assert!(body.contains("check digits"), "{body}");
    let body = error_page(&sim, &shared().with("sim_acr", "top").url(&sim)).await;
    assert!(body.contains("sim_acr top"), "{body}");
    let auth = shared()
        .with("sim_pid", "15929210775")
        .with("sim_acr", "idporten-loa-high");
    let code = code_for(&sim, &auth).await;
    let (_, t) = redeem(&sim, &auth, &code).await;
    let c = claims(t["id_token"].as_str().unwrap());
    assert_eq!(
        (c["pid"].as_str(), c["acr"].as_str()),
        (Some("15929210775"), Some("idporten-loa-high"))
    );
}

fn par_form(auth: &Auth) -> Vec<(String, String)> {
    auth.params.clone()
}

#[tokio::test]
async fn par_request_uri_is_single_use() {
    let sim = sim().await;
    let auth = shared();
    let r = sim
        .http
        .post(sim.url("/par"))
        .form(&par_form(&auth))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(r).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["expires_in"], 120);
    let uri = body["request_uri"].as_str().unwrap();
    assert!(uri.starts_with("urn:idporten:"));
    let url = sim.authorize_url(&[("client_id", SHARED_TEST_CLIENT_ID), ("request_uri", uri)]);
    let (_, q) = redirect_params(&sim.get(&url).await);
    assert_eq!(q["state"], auth.state);
    assert!(redeem(&sim, &auth, &q["code"]).await.0 == 200);
    let body = error_page(&sim, &url).await;
    assert!(body.contains("single-use"), "{body}");
}

#[tokio::test]
async fn par_request_uri_expires_after_120_seconds() {
    let sim = sim().await;
    let push = |auth: Auth| {
        let sim = &sim;
        async move {
            let r = sim
                .http
                .post(sim.url("/par"))
                .form(&auth.params)
                .send()
                .await
                .unwrap();
            json_of(r).await.1["request_uri"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let fresh = push(shared()).await;
    let stale = push(shared()).await;
    sim.handle.clock().advance(118);
    let url = sim.authorize_url(&[
        ("client_id", SHARED_TEST_CLIENT_ID),
        ("request_uri", &fresh),
    ]);
    assert_eq!(sim.get(&url).await.status().as_u16(), 302);
    sim.handle.clock().advance(3);
    let url = sim.authorize_url(&[
        ("client_id", SHARED_TEST_CLIENT_ID),
        ("request_uri", &stale),
    ]);
    error_page(&sim, &url).await;
}

#[tokio::test]
async fn par_checks_client_authentication_and_the_request() {
    let sim = sim().await;
    let auth = Auth::headless(POST_CLIENT, WEB_REDIRECT, "openid");
    let (status, body) = json_of(
        sim.http
            .post(sim.url("/par"))
            .form(&auth.params)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let mut form = auth.params.clone();
    form.push(("client_secret".into(), POST_SECRET.into()));
    let (status, body) = json_of(
        sim.http
            .post(sim.url("/par"))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let uri = body["request_uri"].as_str().unwrap();
    // Another client cannot use it.
    let url = sim.authorize_url(&[("client_id", SHARED_TEST_CLIENT_ID), ("request_uri", uri)]);
    let page = error_page(&sim, &url).await;
    assert!(page.contains("another client"), "{page}");
    // A bad request is refused at /par with a JSON error.
    let bad = shared().with("code_challenge_method", "plain");
    let (status, body) = json_of(
        sim.http
            .post(sim.url("/par"))
            .form(&bad.params)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}
