//! The TestID login page with a cookie-jar browser: form POST, CSRF, SSO, prompt=login, cancel, languages.

use std::collections::HashMap;

use crate::support::*;

fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {body}"))
        + marker.len();
    body[start..].split('"').next().unwrap().to_string()
}

async fn page(sim: &Sim, auth: &Auth) -> String {
    let r = sim.get(&auth.url(sim)).await;
    assert_eq!(r.status().as_u16(), 200, "expected the login page");
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    r.text().await.unwrap()
}

async fn submit(sim: &Sim, body: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut form: HashMap<&str, String> = HashMap::new();
    form.insert("tx", hidden(body, "tx"));
    form.insert("csrf", hidden(body, "csrf"));
    for (k, v) in fields {
        form.insert(k, v.to_string());
    }
    sim.http
        .post(sim.url("/authorize/login"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

fn guide() -> Auth {
    Auth::new(GUIDE_EXAMPLE_CLIENT_ID, GUIDE_REDIRECT, VAT_SCOPE)
}

#[tokio::test]
async fn login_through_the_page_then_single_sign_on() {
    let sim = sim().await;
    let auth = guide();
    let body = page(&sim, &auth).await;
    assert!(body.contains("<form method=\"post\" action=\"/authorize/login\">"));
    assert!(
        body.contains("Example integration (the guide&#39;s)"),
        "the client's name is shown"
    );
    for p in sim::person::default_persons() {
        assert!(
            body.contains(&p.pid) && body.contains(&p.name),
            "{} listed",
            p.name
        );
    }
    assert!(!body.contains("<script"), "no JavaScript");
    let r = submit(
        &sim,
        &body,
        &[
            ("pid_typed", KARI),
            ("acr", "idporten-loa-substantial"),
            ("action", "login"),
        ],
    )
    .await;
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("mva_sim_sso=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let (_, q) = redirect_params(&r);
    assert_eq!(q["state"], auth.state);
    let (s, t) = redeem(&sim, &auth, &q["code"]).await;
    assert_eq!(s, 200);
    assert_eq!(claims(t["id_token"].as_str().unwrap())["pid"], KARI);

    // Second login: no page.
    let auth2 = guide();
    let (_, q) = redirect_params(&sim.get(&auth2.url(&sim)).await);
    let (_, t2) = redeem(&sim, &auth2, &q["code"]).await;
    let (c1, c2) = (
        claims(t["id_token"].as_str().unwrap()),
        claims(t2["id_token"].as_str().unwrap()),
    );
    assert_eq!(c1["auth_time"], c2["auth_time"], "the same authentication");
    assert_eq!(sim.handle.stats()["logins"], 1);

    // prompt=login forces the page; so does a higher level than the session's.
    page(&sim, &guide().with("prompt", "login")).await;
    page(&sim, &guide().with("acr_values", "idporten-loa-high")).await;
}

#[tokio::test]
async fn picking_a_person_and_the_high_level() {
    let sim = sim().await;
    let auth = guide().with("acr_values", "idporten-loa-high");
    let body = page(&sim, &auth).await;
    assert!(
        !body.contains("value=\"idporten-loa-substantial\""),
        "only levels that satisfy the request"
    );
    let r = submit(
        &sim,
        &body,
        &[("pid_pick", "15929210775"), ("acr", "idporten-loa-high")],
    )
    .await;
    let (_, q) = redirect_params(&r);
    let (_, t) = redeem(&sim, &auth, &q["code"]).await;
    let c = claims(t["id_token"].as_str().unwrap());
    assert_eq!(
        (c["pid"].as_str(), c["acr"].as_str()),
        (Some("15929210775"), Some("idporten-loa-high"))
    );
}

#[tokio::test]
async fn the_page_says_what_is_wrong_with_the_number() {
    let sim = sim().await;
    // A number with valid check digits but a real (not synthetic) month.
    let real = (0..1000)
        .map(|i| format!("010185{i:03}"))
        .flat_map(|p| (0..100).map(move |k| format!("{p}{k:02}")))
        .find(|n| sim::person::is_valid_pid(n))
        .unwrap();
    let cases = [
        ("", "Skriv inn et fødselsnummer."),
        ("1234", "nøyaktig 11 siffer"),
        ("01818510079", "Kontrollsifrene stemmer ikke"),
        (real.as_str(), "bare syntetiske testnummer"),
    ];
    for (pid, want) in cases {
        let body = page(&sim, &guide()).await;
        let r = submit(&sim, &body, &[("pid_typed", pid), ("action", "login")]).await;
        assert_eq!(r.status().as_u16(), 200, "{pid}");
        let again = r.text().await.unwrap();
        assert!(again.contains(want), "{pid}: wanted {want}");
        assert!(again.contains("role=\"alert\""));
    }
    // A level below the request is refused.
    let body = page(&sim, &guide().with("acr_values", "idporten-loa-high")).await;
    let r = submit(
        &sim,
        &body,
        &[("pid_typed", KARI), ("acr", "idporten-loa-substantial")],
    )
    .await;
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("krever høyt sikkerhetsnivå"));
}

#[tokio::test]
async fn csrf_token_and_transaction_are_checked() {
    let sim = sim().await;
    let body = page(&sim, &guide()).await;
    let tx = hidden(&body, "tx");
    let r = sim
        .http
        .post(sim.url("/authorize/login"))
        .form(&[("tx", tx.as_str()), ("csrf", "forged"), ("pid_typed", KARI)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = sim
        .http
        .post(sim.url("/authorize/login"))
        .form(&[("tx", "unknown"), ("csrf", "x"), ("pid_typed", KARI)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // Each page has its own token.
    let other = page(&sim, &guide()).await;
    assert_ne!(hidden(&other, "csrf"), hidden(&body, "csrf"));
}

#[tokio::test]
async fn cancel_goes_to_the_back_uri_or_redirects_with_access_denied() {
    let sim = sim().await;
    let body = page(&sim, &guide()).await;
    let r = submit(&sim, &body, &[("action", "cancel")]).await;
    assert_eq!(r.status().as_u16(), 302);
    assert_eq!(
        r.headers()["location"],
        "http://localhost:8988/auth/logincancelled"
    );

    let auth = Auth::new(SHARED_TEST_CLIENT_ID, SHARED_TEST_REDIRECT_URI, VAT_SCOPE);
    let body = page(&sim, &auth).await;
    let r = submit(&sim, &body, &[("action", "cancel")]).await;
    let (_, q) = redirect_params(&r);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], auth.state);
    assert_eq!(q["iss"], sim.handle.issuer());
}

#[tokio::test]
async fn texts_follow_ui_locales() {
    let sim = sim().await;
    for (locale, title, level) in [
        ("nb", "Logg inn med TestID", "Sikkerhetsnivå"),
        ("nn", "Logg inn med TestID", "Tryggleiksnivå"),
        ("en", "Log in with TestID", "Level of assurance"),
        ("de en", "Log in with TestID", "Level of assurance"),
    ] {
        let body = page(&sim, &guide().with("ui_locales", locale)).await;
        assert!(body.contains(title) && body.contains(level), "{locale}");
    }
    let body = page(&sim, &guide().with("ui_locales", "en")).await;
    let r = submit(&sim, &body, &[("pid_typed", "1")]).await;
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("must be exactly 11 digits"));
}

#[tokio::test]
async fn sso_session_ends_after_30_idle_minutes_and_120_in_all() {
    let sim = sim().await;
    let body = page(&sim, &guide()).await;
    redirect_params(&submit(&sim, &body, &[("pid_typed", KARI)]).await);
    sim.handle.clock().advance(29 * 60);
    redirect_params(&sim.get(&guide().url(&sim)).await);
    sim.handle.clock().advance(31 * 60);
    page(&sim, &guide()).await;

    let body = page(&sim, &guide()).await;
    redirect_params(&submit(&sim, &body, &[("pid_typed", KARI)]).await);
    for _ in 0..4 {
        sim.handle.clock().advance(25 * 60);
        redirect_params(&sim.get(&guide().url(&sim)).await);
    }
    sim.handle.clock().advance(25 * 60);
    page(&sim, &guide()).await;
}
