//! The authorization callback: success, stale or forged answers, provider errors, cancel, timeout, odd requests.

use super::common::*;
use idporten_desktop::{Error, ListenerOptions, LoopbackListener, RedirectUri, State};
use reqwest::header;
use std::time::Duration;

#[tokio::test]
async fn a_matching_callback_gives_the_code_on_a_port_chosen_by_the_system() {
    let mut l = bind("http://127.0.0.1:0/token").await;
    let port = l.redirect_uri().url().port().unwrap();
    assert_ne!(port, 0);
    assert_eq!(
        l.redirect_uri().as_str(),
        format!("http://127.0.0.1:{port}/token")
    );
    assert_eq!(l.local_addrs().len(), 1);
    let url = at(
        &l,
        &format!(
            "/token?code=the-code-123&state=s%2F1&iss={}",
            urlencode(ISSUER)
        ),
    );
    let (result, answer) = tokio::join!(wait_cb(&mut l, "s/1"), get(&url));
    let cb = result.unwrap();
    assert_eq!(cb.code.secret(), "the-code-123");
    assert_eq!(cb.state, State::new("s/1"));
    assert_eq!(cb.iss.as_deref(), Some(ISSUER));
    assert_eq!(answer.status, 200);
    assert!(
        answer.body.contains("Du er logget inn") && answer.body.contains("You are logged in"),
        "{}",
        answer.body
    );
    assert!(
        !answer.body.contains("the-code-123"),
        "the page must not echo the code"
    );
    assert_eq!(answer.headers["cache-control"], "no-store");
    assert_eq!(answer.headers["referrer-policy"], "no-referrer");
    assert!(answer.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    // A reload of the callback URL after the login says so at once.
    let again = get(&url).await;
    assert!(again.body.contains("Already done"), "{}", again.body);
}

#[tokio::test]
async fn a_top_level_navigation_with_a_foreign_state_stops_the_login_at_once() {
    for query in ["/cb?code=stolen&state=old-tab", "/cb?code=stolen"] {
        let mut l = bind("http://127.0.0.1:0/cb").await;
        let url = at(&l, query);
        let started = std::time::Instant::now();
        let navigation = [
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "navigate"),
            ("sec-fetch-dest", "document"),
        ];
        let (result, a) = tokio::join!(wait_cb(&mut l, "s1"), get_with(&url, &navigation));
        assert!(
            matches!(result, Err(Error::CallbackForeignState)),
            "{result:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(a.status, 400);
        assert!(
            a.body.contains("does not belong to this login") && a.body.contains("hører ikke til"),
            "{}",
            a.body
        );
        assert!(a.body.contains("stopped") && a.body.contains("stoppet"));
        assert!(!a.body.contains("stolen"));
    }
}

#[tokio::test]
async fn subresource_requests_from_other_pages_are_ignored_even_on_the_back_uri() {
    let mut l = bind("http://127.0.0.1:0/auth/loginsuccess").await;
    let foreign = at(&l, "/auth/loginsuccess?error=access_denied&state=forged");
    let back = at(&l, "/auth/logincancelled");
    let right = at(&l, "/auth/loginsuccess?code=good&state=s1");
    let marks: [&[(&str, &str)]; 4] = [
        // <img src=...> on another site
        &[
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "no-cors"),
            ("sec-fetch-dest", "image"),
        ],
        // fetch() from another site
        &[
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "cors"),
            ("sec-fetch-dest", "empty"),
        ],
        // an <iframe> (a navigation, but not a top-level one)
        &[
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "navigate"),
            ("sec-fetch-dest", "iframe"),
        ],
        // a page on another localhost port is same-site
        &[
            ("sec-fetch-site", "same-site"),
            ("sec-fetch-mode", "no-cors"),
            ("sec-fetch-dest", "script"),
        ],
    ];
    let browser = async {
        for headers in marks {
            for url in [&foreign, &back] {
                let a = get_with(url, headers).await;
                assert_eq!(a.status, 403, "{headers:?} {url}: {}", a.body);
            }
        }
        get(&right).await
    };
    let (result, answer) = tokio::join!(wait_cb(&mut l, "s1"), browser);
    assert_eq!(result.unwrap().code.secret(), "good");
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn a_callback_that_comes_before_the_wait_is_kept_for_it() {
    let mut l = bind("http://127.0.0.1:0/cb").await;
    let early = tokio::spawn(get_owned(at(&l, "/cb?code=fast&state=s1")));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !early.is_finished(),
        "the browser waits for the flow's answer"
    );
    assert_eq!(wait_cb(&mut l, "s1").await.unwrap().code.secret(), "fast");
    assert_eq!(early.await.unwrap().status, 200);
}

#[tokio::test]
async fn a_request_nobody_waits_for_is_answered_when_the_listener_closes() {
    let l = bind("http://127.0.0.1:0/cb").await;
    let pending = tokio::spawn(get_owned(at(&l, "/cb?code=late&state=s1")));
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(l);
    let answer = pending.await.unwrap();
    assert_eq!(answer.status, 410);
    assert!(answer.body.contains("no longer waiting"), "{}", answer.body);
    // The same through shutdown(), which also waits until the port is closed.
    let l = bind("http://127.0.0.1:0/cb").await;
    let url = at(&l, "/cb?code=late&state=s1");
    let pending = tokio::spawn(get_owned(url.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    l.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(pending.await.unwrap().status, 410);
    assert!(
        client().get(&url).send().await.is_err(),
        "nothing listens after shutdown"
    );
}

#[tokio::test]
async fn many_requests_at_once_do_not_disturb_the_login() {
    let mut l = bind("http://127.0.0.1:0/cb").await;
    let urls: Vec<String> = (0..8)
        .map(|i| at(&l, &format!("/cb?code=x&state=stale{i}")))
        .collect();
    let noise = at(&l, "/favicon.ico");
    let right = at(&l, "/cb?code=good&state=s1");
    let browser = async {
        let image = [("sec-fetch-mode", "no-cors"), ("sec-fetch-dest", "image")];
        let mut all: Vec<_> = urls
            .iter()
            .map(|u| {
                let u = u.clone();
                tokio::spawn(async move { get_with(&u, &image).await })
            })
            .collect();
        all.push(tokio::spawn(get_owned(noise.clone())));
        for a in all {
            assert!(matches!(a.await.unwrap().status, 403 | 404));
        }
        get(&right).await
    };
    let (result, answer) = tokio::join!(wait_cb(&mut l, "s1"), browser);
    assert_eq!(result.unwrap().code.secret(), "good");
    assert_eq!(answer.status, 200);
}

/// Runs one wait against one request and returns both outcomes.
async fn one(path_and_query: &str) -> (Result<idporten_desktop::Callback, Error>, Answer) {
    let mut l = bind("http://127.0.0.1:0/auth/loginsuccess").await;
    let url = at(&l, path_and_query);
    tokio::join!(wait_cb(&mut l, "s1"), get(&url))
}

#[tokio::test]
async fn an_iss_of_another_provider_stops_the_login() {
    let (result, answer) =
        one("/auth/loginsuccess?code=c&state=s1&iss=https%3A%2F%2Fevil.example").await;
    let e = result.unwrap_err();
    assert!(
        matches!(&e, Error::CallbackIssuerMismatch { found, .. } if found == "https://evil.example"),
        "{e:?}"
    );
    assert!(e.to_string().contains("RFC 9207"));
    assert_eq!(answer.status, 400);
    assert!(answer.body.contains("The login failed"));
}

#[tokio::test]
async fn access_denied_means_cancelled() {
    let (result, answer) = one("/auth/loginsuccess?error=access_denied&state=s1").await;
    assert!(matches!(result, Err(Error::LoginCancelled)), "{result:?}");
    assert!(
        answer.body.contains("The login was cancelled")
            && answer.body.contains("Innloggingen ble avbrutt")
    );
}

#[tokio::test]
async fn another_error_is_reported_and_escaped_in_the_page() {
    let (result, answer) =
        one("/auth/loginsuccess?error=invalid_scope&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state=s1").await;
    match result {
        Err(Error::AuthorizationError { error, description }) => {
            assert_eq!(error, "invalid_scope");
            assert_eq!(description.as_deref(), Some("<script>alert(1)</script>"));
        }
        other => panic!("{other:?}"),
    }
    assert!(!answer.body.contains("<script>alert"), "{}", answer.body);
    assert!(
        answer
            .body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("invalid_scope"));
}

#[tokio::test]
async fn a_callback_without_code_is_an_error() {
    let (result, answer) = one("/auth/loginsuccess?state=s1").await;
    assert!(
        matches!(result, Err(Error::CallbackMissingCode)),
        "{result:?}"
    );
    assert_eq!(answer.status, 400);
}

#[tokio::test]
async fn the_back_uri_cancels() {
    let (result, answer) = one("/auth/logincancelled").await;
    assert!(matches!(result, Err(Error::LoginCancelled)), "{result:?}");
    assert!(answer.body.contains("cancelled"));
}

#[tokio::test]
async fn other_paths_methods_and_hosts_are_refused() {
    let l = bind("http://127.0.0.1:0/cb").await;
    assert_eq!(get(&at(&l, "/somewhere?code=a&state=b")).await.status, 404);
    assert_eq!(get(&at(&l, "/cb/")).await.status, 404);
    let put = client()
        .put(at(&l, "/cb?code=a&state=b"))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 405);
    assert_eq!(put.headers()["cache-control"], "no-store");
    // A page of a rebound DNS name (Host: evil.example) gets nothing.
    let rebound = client()
        .get(at(&l, "/cb?code=a&state=b"))
        .header(header::HOST, "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status().as_u16(), 421);
}

#[tokio::test]
async fn response_mode_form_post_is_accepted() {
    let mut l = bind("http://127.0.0.1:0/cb").await;
    let url = at(&l, "/cb");
    let post = async {
        client()
            .post(&url)
            .form(&[("code", "posted"), ("state", "s1"), ("iss", ISSUER)])
            .send()
            .await
            .unwrap()
            .status()
    };
    let (result, status) = tokio::join!(wait_cb(&mut l, "s1"), post);
    assert_eq!(result.unwrap().code.secret(), "posted");
    assert_eq!(status.as_u16(), 200);
}

#[tokio::test]
async fn the_wait_times_out_and_ticks_meanwhile() {
    let uri = RedirectUri::parse("http://127.0.0.1:0/cb").unwrap();
    let opts = ListenerOptions {
        timeout: Duration::from_millis(2200),
        ..ListenerOptions::default()
    };
    let mut l = LoopbackListener::bind(&uri, opts).await.unwrap();
    let mut ticks = Vec::new();
    let started = std::time::Instant::now();
    let result = l
        .wait_for_callback(&State::new("s1"), &issuer(), &mut |left| ticks.push(left))
        .await;
    let e = result.unwrap_err();
    assert!(
        matches!(e, Error::LoginTimedOut { after } if after == Duration::from_millis(2200)),
        "{e:?}"
    );
    assert!(e.to_string().contains("2.2s"), "{e}");
    assert!(started.elapsed() >= Duration::from_millis(2200));
    assert!((2..=4).contains(&ticks.len()), "{ticks:?}");
    assert!(
        ticks.windows(2).all(|w| w[0] > w[1]),
        "the time left goes down: {ticks:?}"
    );
}
