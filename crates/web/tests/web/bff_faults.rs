//! Hostile input and failing parts against the web flow: replayed and foreign callbacks, open redirects, cross-site
//! POSTs, tampered cookies, forged logout tokens, a failing token endpoint, and Redis stopped, paused or restarted.

use super::bff_support::*;
use super::support::{redis_store, RedisServer};
use std::time::{Duration, Instant};
use web::SessionKeys;

async fn session_status(browser: &Browser, url: &str) -> u16 {
    browser
        .request(
            reqwest::Method::GET,
            &format!("{url}/oauth2/session"),
            false,
        )
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_and_foreign_callbacks_make_no_session() {
    let o = one_in_memory().await;
    // Replay: the same callback again after the login finished.
    let mut browser = Browser::new(&o.public);
    let (answer, callback) = browser.login(&o.a.url, "/").await;
    assert_eq!(answer.status(), 303);
    let first = browser.session_cookie().cloned().unwrap();
    let replay = browser.navigate(&callback).await;
    assert_eq!(replay.status(), 400);
    assert_eq!(
        browser.session_cookie(),
        Some(&first),
        "the replay set no new session"
    );
    assert!(replay.text().await.unwrap().contains("not in progress"));

    // Another flow's state: the attacker's callback (its own state and code) opened in the victim's browser,
    // which has a login of its own in progress.
    let mut victim = Browser::new(&o.public);
    let _own = victim.start_login(&o.a.url, "/").await;
    let mut attacker = Browser::new(&o.public);
    let foreign = attacker.start_login(&o.a.url, "/").await;
    let answer = victim.navigate(&foreign).await;
    assert_eq!(answer.status(), 400);
    assert!(
        victim.session_cookie().is_none(),
        "no session from another flow's callback"
    );

    // Two tabs of one browser log in at once: each flow finds its own state.
    let mut tabs = Browser::new(&o.public);
    let one = tabs.start_login(&o.a.url, "/one").await;
    let two = tabs.start_login(&o.a.url, "/two").await;
    let second = tabs.navigate(&two).await;
    assert_eq!(
        (second.status().as_u16(), location(&second)),
        (303, "/two".to_owned())
    );
    let first = tabs.navigate(&one).await;
    assert_eq!(
        (first.status().as_u16(), location(&first)),
        (303, "/one".to_owned())
    );
    assert_eq!(session_status(&tabs, &o.a.url).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_change_nothing() {
    let o = one_in_memory().await;
    let mut browser = Browser::new(&o.public);
    for hostile in ["//evil.example", "https://evil.example/", "/\\evil.example"] {
        let answer = browser
            .navigate(&format!(
                "{}/oauth2/login?redirect={}",
                o.a.url,
                urlencode(hostile)
            ))
            .await;
        assert_eq!(answer.status(), 400, "{hostile}");
        assert!(answer.headers().get("location").is_none());
    }
    // A fetch asking to log in gets JSON, not a redirect to the provider.
    let fetch = browser
        .request(
            reqwest::Method::GET,
            &format!("{}/oauth2/login?redirect=/x", o.a.url),
            false,
        )
        .header("sec-fetch-mode", "cors")
        .send()
        .await
        .unwrap();
    assert_eq!(fetch.status(), 401);
    let body: serde_json::Value = fetch.json().await.unwrap();
    assert_eq!(body["location"], "/oauth2/login?redirect=%2Fx");

    browser.login(&o.a.url, "/").await;
    // A cross-site POST: 403, and the session lives on.
    for origin in [Some("https://evil.example"), None] {
        let mut request = browser.request(
            reqwest::Method::POST,
            &format!("{}/oauth2/logout", o.a.url),
            false,
        );
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        assert_eq!(request.send().await.unwrap().status(), 403);
    }
    let revocations = o.sim.stats()["revocations"];
    assert_eq!(session_status(&browser, &o.a.url).await, 200);
    assert_eq!(o.sim.stats()["revocations"], revocations);

    // A tampered cookie: 401 JSON, and the proxy goes on anonymously with the cookie cleared.
    let mut tampered = browser.session_cookie().unwrap().clone();
    let flipped = if tampered.ends_with('A') { 'B' } else { 'A' };
    tampered.pop();
    tampered.push(flipped);
    let mut forger = Browser::new(&o.public);
    forger.jar.insert(web::COOKIE_NAME.into(), tampered);
    assert_eq!(session_status(&forger, &o.a.url).await, 401);
    let answer = forger
        .request(reqwest::Method::GET, &format!("{}/page", o.a.url), false)
        .header("authorization", "Bearer forged")
        .send()
        .await
        .unwrap();
    assert!(answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("__Host-mva-session=;")));
    let echoed: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(echoed["authorization"], serde_json::Value::Null);
    assert_eq!(o.upstream.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_channel_logout_needs_a_token_signed_by_the_provider() {
    let o = one_in_memory().await;
    let mut browser = Browser::new(&o.public);
    let (_, _) = browser.login(&o.a.url, "/").await;
    let echoed: serde_json::Value = browser
        .request(reqwest::Method::GET, &format!("{}/p", o.a.url), false)
        .fetch_json()
        .await;
    let access = echoed["authorization"]
        .as_str()
        .unwrap()
        .strip_prefix("Bearer ")
        .unwrap()
        .to_owned();
    let sub = claims(&access)["sub"].as_str().unwrap().to_owned();
    // The sid is in the ID token only; the simulator's session id for this login is found from a fresh login token.
    let session = o.a.bff.sessions();
    let reference = session
        .open_cookie(browser.session_cookie().unwrap())
        .unwrap();
    let sid = session
        .load(&reference)
        .await
        .unwrap()
        .unwrap()
        .data
        .identity
        .sid
        .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let good = serde_json::json!({
        "iss": o.sim.issuer(), "aud": WEB_CLIENT, "iat": now, "exp": now + 120, "jti": "j1",
        "sid": sid.as_str(), "sub": sub,
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
    });
    let post = |token: String| {
        let url = format!("{}/oauth2/logout/backchannel", o.a.url);
        async move {
            reqwest::Client::new()
                .post(url)
                .form(&[("logout_token", token)])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let key = o.sim.state().keys.active();
    let stranger = sim::keys::SigningKey::generate().unwrap();
    let unsigned = format!(
        "{}.{}.",
        base64_url(br#"{"alg":"none","typ":"logout+jwt"}"#),
        base64_url(good.to_string().as_bytes())
    );
    let mut with_nonce = good.clone();
    with_nonce["nonce"] = "n".into();
    let mut no_event = good.clone();
    no_event["events"] = serde_json::json!({});
    let mut other_aud = good.clone();
    other_aud["aud"] = "someone-else".into();
    for (what, token) in [
        (
            "signed by another key",
            stranger.sign(&good, "logout+jwt", Some(key.kid())),
        ),
        ("unsigned", unsigned),
        ("with a nonce", key.sign(&with_nonce, "logout+jwt", None)),
        ("without the event", key.sign(&no_event, "logout+jwt", None)),
        (
            "for another client",
            key.sign(&other_aud, "logout+jwt", None),
        ),
        ("not a JWT", "garbage".to_owned()),
    ] {
        assert_eq!(post(token).await, 400, "{what}");
        assert_eq!(
            session_status(&browser, &o.a.url).await,
            200,
            "{what}: the session lives on"
        );
    }
    assert_eq!(post(key.sign(&good, "logout+jwt", None)).await, 200);
    assert_eq!(
        session_status(&browser, &o.a.url).await,
        401,
        "the session of that sid has ended"
    );
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_token_endpoint_leaves_the_session_usable() {
    let o = one_in_memory().await;
    let mut browser = Browser::new(&o.public);
    browser.login(&o.a.url, "/").await;
    o.sim.faults().fail_next("token", 503, 1).unwrap();
    let failed = browser
        .post(&format!("{}/oauth2/session/refresh", o.a.url))
        .await;
    assert_eq!(failed.status(), 502);
    assert_eq!(
        session_status(&browser, &o.a.url).await,
        200,
        "the session survives"
    );
    let again = browser
        .post(&format!("{}/oauth2/session/refresh", o.a.url))
        .await;
    let status = again.status();
    assert_eq!(
        status,
        200,
        "the refresh token was not dropped: nothing was spent: {}",
        again.text().await.unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_paused_or_restarted_fails_closed_and_recovers() {
    let mut redis = RedisServer::start();
    let sim = sim().await;
    let upstream = upstream().await;
    let (listener, public) = bind().await;
    let a = instance(
        listener,
        &public,
        &sim,
        Auth::Secret,
        redis_store(&redis),
        &SessionKeys::generate(),
        Some(&upstream.url),
    )
    .await;
    let mut browser = Browser::new(&public);
    browser.login(&a.url, "/").await;
    let hits = upstream.hits();

    redis.pause();
    let started = Instant::now();
    let api = browser
        .request(reqwest::Method::GET, &format!("{}/data", a.url), false)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 503);
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(api.headers()["retry-after"], "2");
    let page = browser.navigate(&format!("{}/page", a.url)).await;
    assert_eq!(page.status(), 503, "a navigation gets an error page");
    assert!(
        page.headers().get("location").is_none(),
        "never a redirect (no loop)"
    );
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(upstream.hits(), hits, "nothing went through anonymously");
    assert!(
        browser.session_cookie().is_some(),
        "an outage logs no one out"
    );

    redis.resume();
    let back = browser
        .request(reqwest::Method::GET, &format!("{}/data", a.url), false)
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 200);
    let echoed: serde_json::Value = back.json().await.unwrap();
    assert!(
        echoed["authorization"]
            .as_str()
            .unwrap()
            .starts_with("Bearer "),
        "the session survived the pause"
    );

    // Logout while Redis is stopped: the cookie goes at once; revocation and deletion follow when it is back.
    redis.pause();
    let revocations = sim.stats()["revocations"];
    let logout = browser.post(&format!("{}/oauth2/logout", a.url)).await;
    assert_eq!(logout.status(), 200);
    assert!(browser.session_cookie().is_none());
    redis.resume();
    let deadline = Instant::now() + Duration::from_secs(10);
    while sim.stats()["revocations"] < revocations + 2 {
        assert!(
            Instant::now() < deadline,
            "the background logout revoked the tokens"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Restarted without persistence: the session is gone; the browser is simply not logged in (no 500, no loop).
    browser.login(&a.url, "/").await;
    redis.restart();
    let mut status = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while status != 401 {
        assert!(Instant::now() < deadline, "Redis came back: {status}");
        status = session_status(&browser, &a.url).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.login(&a.url, "/").await;
    assert_eq!(
        session_status(&browser, &a.url).await,
        200,
        "logging in again works at once"
    );
}
