//! The login link's choices (`level`, `locale`, `prompt`), the logout callback's `state`, and the proxy's
//! allow-list of methods, against the simulator over real sockets (sessions in memory: these are not about Redis).

use super::bff_support::*;

fn query_of(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_link_chooses_the_level_the_language_and_a_new_login() {
    let w = one_in_memory().await;
    let mut browser = Browser::new(&w.a.url);
    let start = browser
        .navigate(&format!(
            "{}/oauth2/login?redirect=%2Fmva&level=idporten-loa-high&locale=en&prompt=login",
            w.a.url
        ))
        .await;
    assert_eq!(start.status(), 303);
    let authorize = location(&start);
    let asked = query_of(&authorize);
    assert_eq!(param(&asked, "acr_values"), Some("idporten-loa-high"));
    assert_eq!(param(&asked, "ui_locales"), Some("en"));
    assert_eq!(param(&asked, "prompt"), Some("login"));
    let answer = browser
        .http
        .get(format!("{authorize}&sim_pid={PID}"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    let done = browser.navigate(&location(&answer)).await;
    assert_eq!(done.status(), 303, "{}", done.text().await.unwrap());
    assert_eq!(location(&done), "/mva");
    let info = browser.session_info(&w.a.url).await;
    assert_eq!(info["acr"], "idporten-loa-high", "{info}");

    // Without choices, the client's own settings (substantial, Norwegian, no prompt).
    let plain = browser.navigate(&format!("{}/oauth2/login", w.a.url)).await;
    let asked = query_of(&location(&plain));
    assert_eq!(
        param(&asked, "acr_values"),
        Some("idporten-loa-substantial")
    );
    assert_eq!(param(&asked, "ui_locales"), Some("nb"));
    assert_eq!(param(&asked, "prompt"), None);

    // A fetch is told the same link, choices included, to navigate to.
    let fetched: serde_json::Value = browser
        .request(
            reqwest::Method::GET,
            &format!(
                "{}/oauth2/login?redirect=/a&level=Level4&locale=nn",
                w.a.url
            ),
            false,
        )
        .fetch_json()
        .await;
    assert_eq!(
        fetched["location"],
        "/oauth2/login?redirect=%2Fa&level=idporten-loa-high&locale=nn"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_prompt_login_an_earlier_login_is_refused() {
    let w = one_in_memory().await;
    // The provider answers with a login 100 s old (its clock behind by more than the 60 s allowed for skew), as
    // one that ignored `prompt=login` and reused a live session would; its ID token is otherwise valid.
    w.sim.clock().advance(-100);
    let mut browser = Browser::new(&w.a.url);
    let start = browser
        .navigate(&format!("{}/oauth2/login?prompt=login", w.a.url))
        .await;
    let answer = browser
        .http
        .get(format!("{}&sim_pid={PID}", location(&start)))
        .send()
        .await
        .unwrap();
    let refused = browser.navigate(&location(&answer)).await;
    assert_eq!(refused.status(), 502);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("The login was not renewed"));
    assert!(browser.session_cookie().is_none(), "no session");

    // The same old login without prompt=login is accepted.
    let mut browser = Browser::new(&w.a.url);
    let (answer, _) = browser.login(&w.a.url, "/").await;
    assert_eq!(answer.status(), 303);
    assert!(browser.session_cookie().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_login_choices_are_refused_and_start_nothing() {
    let w = one_in_memory().await;
    for query in [
        "level=idporten-loa-low",
        "level=Level2",
        "locale=de",
        "locale=",
        "prompt=none",
        "prompt=consent",
    ] {
        let mut browser = Browser::new(&w.a.url);
        let answer = browser
            .navigate(&format!("{}/oauth2/login?{query}", w.a.url))
            .await;
        assert_eq!(answer.status(), 400, "{query}");
        assert!(browser.jar.is_empty(), "{query}: no login state was set");
        let page = answer.text().await.unwrap();
        assert!(page.contains("Cannot log in from this link"), "{page}");
    }
}

/// The fields of the auto-submitting end-session form.
fn form_fields(page: &str) -> Vec<(String, String)> {
    page.split("<input")
        .skip(1)
        .filter_map(|input| {
            let attr = |name: &str| {
                let start = input.find(&format!("{name}=\""))? + name.len() + 2;
                let end = input[start..].find('"')? + start;
                Some(input[start..end].replace("&amp;", "&"))
            };
            Some((attr("name")?, attr("value")?))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_logout_callback_needs_the_state_of_a_logout_started_here() {
    let w = one_in_memory().await;
    let mut browser = Browser::new(&w.a.url);
    let (answer, _) = browser.login(&w.a.url, "/").await;
    assert_eq!(answer.status(), 303);
    let logout = browser.post(&format!("{}/oauth2/logout", w.a.url)).await;
    assert_eq!(logout.status(), 200);
    let fields = form_fields(&logout.text().await.unwrap());
    let state = param(&fields, "state").expect("the end-session form has a state");
    assert!(state.len() >= 32, "{state}");
    let callback = format!("{}/oauth2/logout/callback", w.a.url);

    // Another browser (no logout-state cookie), a forged state, no state: refused, nothing set.
    let mut stranger = Browser::new(&w.a.url);
    let r = stranger
        .navigate(&format!("{callback}?state={state}"))
        .await;
    assert_eq!(r.status(), 400);
    for query in ["?state=forged", "", "?state="] {
        let mut copy = Browser::new(&w.a.url);
        copy.jar = browser.jar.clone();
        let r = copy.navigate(&format!("{callback}{query}")).await;
        assert_eq!(r.status(), 400, "{query:?}");
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("This logout was not started here"));
    }

    // ID-porten's redirect with the state of this browser's logout: home, and the cookie is spent.
    let back = browser.navigate(&format!("{callback}?state={state}")).await;
    assert_eq!(back.status(), 303);
    assert_eq!(location(&back), "/");
    assert!(browser.jar.is_empty(), "{:?}", browser.jar.keys());
    let replay = browser.navigate(&format!("{callback}?state={state}")).await;
    assert_eq!(replay.status(), 400, "a replayed callback");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_forwards_only_the_allowed_methods() {
    let w = one_in_memory().await;
    let mut browser = Browser::new(&w.a.url);
    browser.login(&w.a.url, "/").await;
    let send = |method: &str| {
        browser
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                &format!("{}/app", w.a.url),
                false,
            )
            .header("origin", &w.a.url)
            .send()
    };
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        assert_eq!(send(method).await.unwrap().status(), 200, "{method}");
    }
    // Bodies go through as they came; a request without one is sent without one (not as an empty chunked stream).
    let echo: serde_json::Value = browser
        .request(reqwest::Method::POST, &format!("{}/app", w.a.url), false)
        .header("origin", &w.a.url)
        .body("a=1&b=2")
        .fetch_json()
        .await;
    assert_eq!(echo["body"], "a=1&b=2");
    assert_eq!(echo["content-length"], "7");
    let echo: serde_json::Value = send("GET").await.unwrap().json().await.unwrap();
    assert_eq!(echo["transfer-encoding"], serde_json::Value::Null, "{echo}");
    assert_eq!(echo["body"], "");
    let forwarded = w.upstream.hits();
    for method in ["TRACE", "OPTIONS", "PROPFIND", "CONNECT"] {
        let r = send(method).await.unwrap();
        assert_eq!(r.status(), 405, "{method}");
        assert_eq!(
            r.headers()["allow"],
            "GET, HEAD, POST, PUT, PATCH, DELETE",
            "{method}"
        );
    }
    assert_eq!(
        w.upstream.hits(),
        forwarded,
        "nothing else reached the upstream"
    );
}
