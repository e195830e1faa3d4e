//! The web flow across two instances sharing a real Redis: log in on A, use the session on B (upstream proxy with
//! the access token), log out with revocation and a POST to end_session; the refresh race.

use super::bff_support::*;
use super::support::{redis_store, RedisServer};
use web::SessionKeys;

struct World {
    redis: RedisServer,
    sim: sim::SimHandle,
    upstream: Upstream,
    a: Instance,
    b: Instance,
    public: String,
}

async fn world(auth: Auth) -> World {
    let redis = RedisServer::start();
    let sim = sim().await;
    let upstream = upstream().await;
    let keys = SessionKeys::generate();
    let (listener_a, public) = bind().await;
    let (listener_b, _) = bind().await;
    let a = instance(
        listener_a,
        &public,
        &sim,
        auth,
        redis_store(&redis),
        &keys,
        Some(&upstream.url),
    )
    .await;
    let b = instance(
        listener_b,
        &public,
        &sim,
        auth,
        redis_store(&redis),
        &keys,
        Some(&upstream.url),
    )
    .await;
    World {
        redis,
        sim,
        upstream,
        a,
        b,
        public,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn log_in_on_a_use_the_session_on_b_and_log_out() {
    for auth in [Auth::Secret, Auth::PrivateKeyJwt] {
        let w = world(auth).await;
        let mut browser = Browser::new(&w.public);
        let (answer, _) = browser.login(&w.a.url, "/mva?org=310000019").await;
        assert_eq!(answer.status(), 303);
        assert_eq!(location(&answer), "/mva?org=310000019");
        assert!(
            browser.session_cookie().is_some(),
            "a session cookie was set"
        );
        assert!(
            !browser
                .jar
                .keys()
                .any(|k| k.starts_with("__Host-mva-login-")),
            "the login-state cookie is cleared: {:?}",
            browser.jar.keys()
        );

        // On B: the upstream gets the session's access token, never the browser's own Authorization or Cookie.
        let echoed: serde_json::Value = browser
            .request(
                reqwest::Method::GET,
                &format!("{}/app/page", w.b.url),
                false,
            )
            .header("authorization", "Bearer forged-by-the-client")
            .fetch_json()
            .await;
        let bearer = echoed["authorization"]
            .as_str()
            .expect("an Authorization header");
        let token = bearer.strip_prefix("Bearer ").unwrap();
        assert_eq!(claims(token)["pid"], PID);
        assert_eq!(
            echoed["cookie"],
            serde_json::Value::Null,
            "the browser's cookies stay here"
        );
        assert_eq!(echoed["path"], "/app/page");
        let userinfo = reqwest::Client::new()
            .get(format!("{}/userinfo", w.sim.issuer()))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            userinfo.status(),
            200,
            "the forwarded token is valid at the provider"
        );

        assert_nothing_in_clear(&w.redis, &[token, PID, "Bearer"]).await;

        let info = browser.session_info(&w.b.url).await;
        assert_eq!(info["pid"], "018185*****");
        assert_eq!(info["refreshable"], true);
        assert!(!info.to_string().contains(token));

        // Logout on B: revoked, deleted, cookie cleared, then a POST form to end_session.
        let revocations = w.sim.stats()["revocations"];
        let logout = browser.post(&format!("{}/oauth2/logout", w.b.url)).await;
        assert_eq!(logout.status(), 200);
        assert!(
            logout.headers().get("location").is_none(),
            "never a redirect carrying the ID token"
        );
        assert!(browser.session_cookie().is_none(), "the cookie is cleared");
        let page = logout.text().await.unwrap();
        assert!(
            page.contains(&format!("action=\"{}/logout\"", w.sim.issuer())),
            "{page}"
        );
        assert!(page.contains("name=\"id_token_hint\""), "{page}");
        assert!(page.contains("method=\"post\""), "{page}");
        assert!(
            w.sim.stats()["revocations"] >= revocations + 2,
            "refresh and access token revoked"
        );
        let after = reqwest::Client::new()
            .get(format!("{}/userinfo", w.sim.issuer()))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(after.status(), 401, "the access token no longer works");
        let anonymous: serde_json::Value = browser
            .request(reqwest::Method::GET, &format!("{}/app", w.a.url), false)
            .header("authorization", "Bearer forged-by-the-client")
            .fetch_json()
            .await;
        assert_eq!(
            anonymous["authorization"],
            serde_json::Value::Null,
            "no session, no Authorization"
        );

        // ID-porten's way back needs the state of this browser's logout (see bff_login.rs): without it, refused.
        let back = browser
            .navigate(&format!("{}/oauth2/logout/callback", w.a.url))
            .await;
        assert_eq!(back.status(), 400);
        assert_eq!(w.upstream.hits(), 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn both_instances_refreshing_at_once_never_spend_a_token_twice() {
    let w = world(Auth::Secret).await;
    let mut browser = Browser::new(&w.public);
    browser.login(&w.a.url, "/").await;
    w.sim.state().log.clear();
    let refresh = |url: String| {
        let request = browser
            .request(reqwest::Method::POST, &url, false)
            .header("origin", &w.public);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    for round in 0..100 {
        let (a, b) = tokio::join!(
            refresh(format!("{}/oauth2/session/refresh", w.a.url)),
            refresh(format!("{}/oauth2/session/refresh", w.b.url)),
        );
        assert_eq!((a, b), (200, 200), "round {round}");
    }
    let refreshes: Vec<_> = w
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.grant_type.as_deref() == Some("refresh_token"))
        .collect();
    assert!(
        refreshes.len() >= 100,
        "at least one refresh per round: {}",
        refreshes.len()
    );
    assert!(
        refreshes.iter().all(|r| r.status == 200),
        "a refused refresh means a spent token was presented: {:?}",
        refreshes
            .iter()
            .filter(|r| r.status != 200)
            .collect::<Vec<_>>()
    );
    // The session survives, and its token is good at the provider.
    let echoed: serde_json::Value = browser
        .request(reqwest::Method::GET, &format!("{}/x", w.b.url), false)
        .fetch_json()
        .await;
    let token = echoed["authorization"]
        .as_str()
        .unwrap()
        .strip_prefix("Bearer ")
        .unwrap()
        .to_owned();
    let userinfo = reqwest::Client::new()
        .get(format!("{}/userinfo", w.sim.issuer()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 200);
}

/// Every key and value in Redis, searched for each of `needles` (the real tokens of a login, the person's number).
async fn assert_nothing_in_clear(redis: &RedisServer, needles: &[&str]) {
    use redis::AsyncCommands;
    let mut raw = redis.raw().await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(!keys.is_empty());
    let mut everything: Vec<Vec<u8>> = Vec::new();
    for key in keys {
        everything.push(key.clone().into_bytes());
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut raw)
            .await
            .unwrap();
        match kind.as_str() {
            "hash" => {
                let pairs: Vec<(Vec<u8>, Vec<u8>)> = raw.hgetall(&key).await.unwrap();
                everything.extend(pairs.into_iter().flat_map(|(f, v)| [f, v]));
            }
            "set" => everything.extend(raw.smembers::<_, Vec<Vec<u8>>>(&key).await.unwrap()),
            "string" => everything.push(raw.get(&key).await.unwrap()),
            other => panic!("unexpected {other} at {key}"),
        }
    }
    for needle in needles {
        // A token's signature part is enough to find it.
        let probe = needle.rsplit('.').next().unwrap().as_bytes();
        assert!(
            !everything
                .iter()
                .any(|b| b.windows(probe.len()).any(|w| w == probe)),
            "Redis holds {needle:.12}... in clear"
        );
    }
}
