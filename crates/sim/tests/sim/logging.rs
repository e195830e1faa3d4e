//! Every request is logged on one line, and never with a token, code, secret or assertion.

use crate::support::*;

#[tokio::test]
async fn the_tracing_log_never_contains_secrets() {
    let sim = sim().await;
    let buffer = log_buffer();
    let auth = Auth::headless(BASIC_CLIENT, WEB_REDIRECT, "openid profile");
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
    let rt = t["refresh_token"].as_str().unwrap();
    let r = sim
        .http
        .post(sim.url("/token"))
        .basic_auth(BASIC_CLIENT, Some(BASIC_SECRET))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
        .send()
        .await
        .unwrap();
    let (_, t2) = json_of(r).await;
    let at = t2["access_token"].as_str().unwrap();
    sim.http
        .get(sim.url("/userinfo"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    sim.http
        .get(sim.url("/logout"))
        .query(&[("id_token_hint", t2["id_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    let a = assertion(&sim, |_, _| {});
    sim.post_form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("client_assertion", &a),
            ("code", "c0de-value-xyz"),
        ],
    )
    .await;

    let log = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
    let port = sim.handle.addr().port().to_string();
    let _ = port;
    assert!(
        log.contains("path=\"/token\"") || log.contains("path=/token"),
        "requests are logged"
    );
    assert!(
        log.contains(&format!("client=\"{BASIC_CLIENT}\""))
            || log.contains(&format!("client={BASIC_CLIENT}")),
        "{log}"
    );
    assert!(log.contains("status=200"));
    for secret in [
        code.as_str(),
        rt,
        at,
        t["access_token"].as_str().unwrap(),
        t["id_token"].as_str().unwrap(),
        t2["id_token"].as_str().unwrap(),
        BASIC_SECRET,
        auth.verifier.as_str(),
        a.as_str(),
        "c0de-value-xyz",
    ] {
        assert!(!log.contains(secret), "a secret reached the log");
    }
}
