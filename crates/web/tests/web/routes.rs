//! The routes over real sockets: health and readiness, the session endpoint, front-channel logout, CSRF.

use super::support::{instance, sample, RedisServer};
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;
use reqwest::header::{CONTENT_SECURITY_POLICY, COOKIE, ORIGIN, RETRY_AFTER, SET_COOKIE};
use reqwest::StatusCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use web::routes::{csrf_guard, router, WebState};
use web::{Limits, SealedCookie, SessionKeys, Sessions};

const ISSUER: &str = "https://test.idporten.no";
const ORIGIN_URL: &str = "https://mva.example.no";

/// Serves `app` on a free loopback port; returns its base URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

async fn bff(sessions: Sessions) -> String {
    let state = WebState {
        sessions,
        public_origin: ORIGIN_URL.into(),
        issuer: ISSUER.into(),
    };
    serve(router(state)).await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn session_of(base: &str, cookie: &str) -> reqwest::Response {
    let cookie = format!("theme=dark; __Host-mva-session={cookie}");
    client()
        .get(format!("{base}/oauth2/session"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

fn cookie_value(cookie: &SealedCookie) -> &str {
    cookie.secret()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_store_and_health_does_not() {
    let redis = RedisServer::start();
    let base = bff(instance(
        &redis,
        &SessionKeys::generate(),
        Limits::default(),
    ))
    .await;
    let get = |path: &'static str| {
        let base = base.clone();
        async move { client().get(format!("{base}{path}")).send().await.unwrap() }
    };
    assert_eq!(get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(get("/readyz").await.status(), StatusCode::OK);
    redis.pause();
    let started = Instant::now();
    let not_ready = get("/readyz").await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(not_ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(not_ready.headers()[RETRY_AFTER], "2");
    assert_eq!(get("/healthz").await.status(), StatusCode::OK);
    redis.resume();
    let deadline = Instant::now() + Duration::from_secs(5);
    while get("/readyz").await.status() != StatusCode::OK {
        assert!(
            Instant::now() < deadline,
            "not ready again after Redis came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_endpoint_shows_metadata_never_a_token_and_fails_closed() {
    let redis = RedisServer::start();
    let sessions = instance(&redis, &SessionKeys::generate(), Limits::default());
    let (_, cookie) = sessions
        .create(sample("endpoint", Some("sid-endpoint")))
        .await
        .unwrap();
    let base = bff(sessions).await;

    let answer = session_of(&base, cookie_value(&cookie)).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let body = answer.text().await.unwrap();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["pid"], "010170*****");
    assert_eq!(json["acr"], "idporten-loa-high");
    assert_eq!(json["refreshable"], true);
    for secret in [
        "endpoint",
        "01017012345",
        "sid-endpoint",
        cookie_value(&cookie),
    ] {
        assert!(!body.contains(secret), "{secret} in {body}");
    }

    // No cookie, junk, tampered: 401 and the cookie cleared.
    let none = client()
        .get(format!("{base}/oauth2/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let mut tampered = cookie_value(&cookie).to_owned();
    tampered.replace_range(10..11, if &tampered[10..11] == "A" { "B" } else { "A" });
    for bad in ["junk", "", &tampered, &cookie_value(&cookie)[..40]] {
        let refused = session_of(&base, bad).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{bad}");
        let set_cookie = refused.headers()[SET_COOKIE].to_str().unwrap().to_owned();
        assert!(
            set_cookie.starts_with("__Host-mva-session=;") && set_cookie.contains("Max-Age=0"),
            "{set_cookie}"
        );
        let json: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(json["error"], "not_logged_in");
    }

    // Redis paused: 503 with Retry-After within 2 s, and the cookie is kept (an outage logs no one out).
    redis.pause();
    let started = Instant::now();
    let unavailable = session_of(&base, cookie_value(&cookie)).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(unavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(unavailable.headers()[RETRY_AFTER], "2");
    assert!(unavailable.headers().get(SET_COOKIE).is_none());
    redis.resume();
    let deadline = Instant::now() + Duration::from_secs(5);
    while session_of(&base, cookie_value(&cookie)).await.status() != StatusCode::OK {
        assert!(
            Instant::now() < deadline,
            "the session did not come back with Redis"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn front_channel_logout_checks_iss_and_ends_the_sid_on_every_instance() {
    let redis = RedisServer::start();
    let keys = SessionKeys::generate();
    let (a, b) = (
        instance(&redis, &keys, Limits::default()),
        instance(&redis, &keys, Limits::default()),
    );
    let (_, first) = a.create(sample("fc1", Some("sid-X"))).await.unwrap();
    let (_, second) = b.create(sample("fc2", Some("sid-X"))).await.unwrap();
    let (_, other) = a.create(sample("fc3", Some("sid-Y"))).await.unwrap();
    let (base_a, base_b) = (bff(a).await, bff(b).await);
    let logout = |query: &'static str| {
        let base = base_b.clone();
        async move {
            client()
                .get(format!("{base}/oauth2/logout/frontchannel?{query}"))
                .send()
                .await
                .unwrap()
        }
    };

    for query in [
        "sid=sid-X",
        "iss=https%3A%2F%2Fevil.example&sid=sid-X",
        "iss=https%3A%2F%2Ftest.idporten.no",
    ] {
        assert_eq!(
            logout(query).await.status(),
            StatusCode::BAD_REQUEST,
            "{query}"
        );
    }
    assert_eq!(
        session_of(&base_a, cookie_value(&first)).await.status(),
        StatusCode::OK,
        "nothing ended yet"
    );

    let done = logout("iss=https%3A%2F%2Ftest.idporten.no&sid=sid-X").await;
    assert_eq!(done.status(), StatusCode::OK);
    assert_eq!(
        done.headers()[CONTENT_SECURITY_POLICY],
        "frame-ancestors https://test.idporten.no https://login.test.idporten.no"
    );
    assert_eq!(
        session_of(&base_a, cookie_value(&first)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        session_of(&base_b, cookie_value(&second)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        session_of(&base_a, cookie_value(&other)).await.status(),
        StatusCode::OK,
        "another sid lives on"
    );
}

#[tokio::test]
async fn the_csrf_guard_refuses_cross_site_and_unmarked_requests_before_any_handler() {
    let calls = Arc::new(AtomicUsize::new(0));
    let count = |calls: Arc<AtomicUsize>| {
        move || {
            let calls = calls.clone();
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                "done"
            }
        }
    };
    let app = Router::new()
        .route("/api/submit", post(count(calls.clone())))
        .route("/api/status", get(count(calls.clone())))
        .route("/oauth2/logout", post(count(calls.clone())))
        .route("/oauth2/logout/backchannel", post(count(calls.clone())))
        .layer(from_fn_with_state(Arc::<str>::from(ORIGIN_URL), csrf_guard));
    let base = serve(app).await;
    let cases: &[(&str, &str, Option<&str>, bool, StatusCode)] = &[
        (
            "POST",
            "/api/submit",
            Some(ORIGIN_URL),
            true,
            StatusCode::OK,
        ),
        (
            "POST",
            "/api/submit",
            Some(ORIGIN_URL),
            false,
            StatusCode::FORBIDDEN,
        ),
        (
            "POST",
            "/api/submit",
            Some("https://evil.example"),
            true,
            StatusCode::FORBIDDEN,
        ),
        ("POST", "/api/submit", None, true, StatusCode::FORBIDDEN),
        (
            "POST",
            "/api/submit",
            Some("null"),
            true,
            StatusCode::FORBIDDEN,
        ),
        (
            "POST",
            "/api/submit",
            Some("https://mva.example.no.evil.example"),
            true,
            StatusCode::FORBIDDEN,
        ),
        ("GET", "/api/status", None, true, StatusCode::OK),
        ("GET", "/api/status", None, false, StatusCode::FORBIDDEN),
        (
            "POST",
            "/oauth2/logout",
            Some(ORIGIN_URL),
            false,
            StatusCode::OK,
        ),
        (
            "POST",
            "/oauth2/logout",
            Some("https://evil.example"),
            false,
            StatusCode::FORBIDDEN,
        ),
        ("POST", "/oauth2/logout", None, false, StatusCode::FORBIDDEN),
        (
            "POST",
            "/oauth2/logout/backchannel",
            None,
            false,
            StatusCode::OK,
        ),
    ];
    let mut allowed = 0;
    for (method, path, origin, marked, expected) in cases {
        let mut request = client().request(method.parse().unwrap(), format!("{base}{path}"));
        if let Some(origin) = origin {
            request = request.header(ORIGIN, *origin);
        }
        if *marked {
            request = request.header("X-Mva-Request", "1");
        }
        let answer = request.send().await.unwrap();
        assert_eq!(
            answer.status(),
            *expected,
            "{method} {path} origin {origin:?} marked {marked}"
        );
        if *expected == StatusCode::OK {
            allowed += 1;
        } else {
            let json: serde_json::Value = answer.json().await.unwrap();
            assert_eq!(json["error"], "csrf");
        }
        assert_eq!(
            calls.load(Ordering::SeqCst),
            allowed,
            "a refused request reached a handler"
        );
    }
}
