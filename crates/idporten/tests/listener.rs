//! The loopback listener and the browser openers, over real sockets on 127.0.0.1 / [::1] with a real HTTP client.

use idporten::{
    BrowserLaunch, BrowserOpener, CommandBrowser, Error, Issuer, ListenerOptions, LoopbackListener,
    OpenOrPrint, PrintUrl, RedirectUri, State, SystemBrowser,
};
use reqwest::header;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ISSUER: &str = "https://test.idporten.no";

fn issuer() -> Issuer {
    Issuer::parse(ISSUER).unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn options() -> ListenerOptions {
    ListenerOptions {
        cancel_path: Some("/auth/logincancelled".into()),
        logout_path: Some("/auth/logoutsuccess".into()),
        timeout: Duration::from_secs(20),
    }
}

async fn bind(uri: &str) -> LoopbackListener {
    LoopbackListener::bind(&RedirectUri::parse(uri).unwrap(), options())
        .await
        .unwrap()
}

/// The URL of `path_and_query` on the listener.
fn at(l: &LoopbackListener, path_and_query: &str) -> String {
    let u = l.redirect_uri().url();
    format!(
        "http://{}:{}{path_and_query}",
        u.host_str().unwrap(),
        u.port().unwrap()
    )
}

struct Answer {
    status: u16,
    headers: header::HeaderMap,
    body: String,
}

async fn get(url: &str) -> Answer {
    let r = client().get(url).send().await.unwrap();
    Answer {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.text().await.unwrap(),
    }
}

fn no_tick() -> impl FnMut(Duration) + Send {
    |_| {}
}

async fn wait_cb(l: &mut LoopbackListener, state: &str) -> Result<idporten::Callback, Error> {
    l.wait_for_callback(&State::new(state), &issuer(), &mut no_tick())
        .await
}

async fn wait_logout(l: &mut LoopbackListener, state: &str) -> Result<(), Error> {
    l.wait_for_logout(&State::new(state), &mut no_tick()).await
}

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

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn wrong_or_missing_state_is_answered_and_the_wait_goes_on() {
    let mut l = bind("http://127.0.0.1:0/cb").await;
    let (wrong, missing, favicon, right) = (
        at(&l, "/cb?code=stolen&state=old-tab"),
        at(&l, "/cb?code=stolen"),
        at(&l, "/favicon.ico"),
        at(&l, "/cb?code=good&state=s1"),
    );
    let browser = async {
        let w = get(&wrong).await;
        let m = get(&missing).await;
        let f = get(&favicon).await;
        let r = get(&right).await;
        (w, m, f, r)
    };
    let (result, (w, m, f, r)) = tokio::join!(wait_cb(&mut l, "s1"), browser);
    assert_eq!(result.unwrap().code.secret(), "good");
    for a in [&w, &m] {
        assert_eq!(a.status, 400);
        assert!(
            a.body.contains("does not belong to this login") && a.body.contains("hører ikke til"),
            "{}",
            a.body
        );
        assert!(!a.body.contains("stolen"));
    }
    assert_eq!(f.status, 404);
    assert_eq!(r.status, 200);
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
        let mut all: Vec<_> = urls
            .iter()
            .map(|u| tokio::spawn(get_owned(u.clone())))
            .collect();
        all.push(tokio::spawn(get_owned(noise.clone())));
        for a in all {
            assert!(matches!(a.await.unwrap().status, 400 | 404));
        }
        get(&right).await
    };
    let (result, answer) = tokio::join!(wait_cb(&mut l, "s1"), browser);
    assert_eq!(result.unwrap().code.secret(), "good");
    assert_eq!(answer.status, 200);
}

async fn get_owned(url: String) -> Answer {
    get(&url).await
}

/// Runs one wait against one request and returns both outcomes.
async fn one(path_and_query: &str) -> (Result<idporten::Callback, Error>, Answer) {
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

#[tokio::test]
async fn a_taken_port_is_reported_with_the_port_and_the_uri() {
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = other.local_addr().unwrap().port();
    let uri = RedirectUri::parse(&format!("http://localhost:{port}/token")).unwrap();
    let e = LoopbackListener::bind(&uri, ListenerOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::PortInUse { port: p, .. } if p == port),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains(&format!("port {port}"))
            && text.contains(&format!("http://localhost:{port}/token")),
        "{text}"
    );
    assert!(text.contains("close the other program"), "{text}");
}

#[tokio::test]
async fn a_port_taken_only_on_ipv6_loopback_is_also_in_use() {
    if !ipv6_loopback_available() {
        eprintln!("note: this machine has no IPv6 loopback; skipped");
        return;
    }
    let other = std::net::TcpListener::bind("[::1]:0").unwrap();
    let port = other.local_addr().unwrap().port();
    if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
        eprintln!("note: port {port} is taken on 127.0.0.1 as well; skipped");
        return;
    }
    let uri = RedirectUri::parse(&format!("http://localhost:{port}/token")).unwrap();
    let e = LoopbackListener::bind(&uri, ListenerOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::PortInUse { port: p, .. } if p == port),
        "{e:?}"
    );
    // With port 0 a port free on both addresses is found instead.
    let l = bind("http://localhost:0/token").await;
    let port = l.redirect_uri().url().port().unwrap();
    assert_ne!(port, 0);
    assert!(
        l.local_addrs().iter().all(|a| a.port() == port) && l.local_addrs().len() == 2,
        "{:?}",
        l.local_addrs()
    );
}

fn ipv6_loopback_available() -> bool {
    std::net::TcpListener::bind("[::1]:0").is_ok()
}

/// A port free on both 127.0.0.1 and [::1] right now.
fn free_port() -> u16 {
    loop {
        let v4 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = v4.local_addr().unwrap().port();
        if !ipv6_loopback_available() || std::net::TcpListener::bind(("::1", port)).is_ok() {
            return port;
        }
    }
}

#[tokio::test]
async fn localhost_on_a_fixed_port_answers_on_both_loopback_addresses() {
    let port = free_port();
    let mut l = bind(&format!("http://localhost:{port}/auth/loginsuccess")).await;
    assert_eq!(
        l.redirect_uri().as_str(),
        format!("http://localhost:{port}/auth/loginsuccess")
    );
    let ips: Vec<_> = l.local_addrs().iter().map(|a| a.ip().to_string()).collect();
    assert!(ips.contains(&"127.0.0.1".to_string()), "{ips:?}");
    let v6 = ipv6_loopback_available();
    if v6 {
        assert!(ips.contains(&"::1".to_string()), "{ips:?}");
    } else {
        eprintln!(
            "note: this machine has no IPv6 loopback; the [::1] half of this test is skipped"
        );
    }
    let via_v6 = format!("http://[::1]:{port}/auth/loginsuccess?code=x&state=stale");
    let via_v4 = format!("http://127.0.0.1:{port}/auth/loginsuccess?code=good&state=s1");
    let browser = async {
        if v6 {
            assert_eq!(get(&via_v6).await.status, 400, "[::1] answers too");
        }
        get(&via_v4).await.status
    };
    let (result, status) = tokio::join!(wait_cb(&mut l, "s1"), browser);
    assert_eq!(result.unwrap().code.secret(), "good");
    assert_eq!(status, 200);
    // After shutdown the port is free again, on both addresses.
    l.shutdown().await;
    let again = bind(&format!("http://localhost:{port}/auth/loginsuccess")).await;
    assert_eq!(again.local_addrs().len(), if v6 { 2 } else { 1 });
}

#[tokio::test]
async fn the_logout_form_page_posts_hidden_fields_and_is_served_once() {
    let mut l = bind("http://127.0.0.1:0/cb").await;
    let action = url::Url::parse("https://login.test.idporten.no/logout").unwrap();
    let hint = "eyJhbGciOi.secret\"<x>&y";
    let page_url = l.serve_form_post(
        &action,
        vec![
            ("id_token_hint".into(), hint.into()),
            ("state".into(), "st".into()),
        ],
    );
    assert!(
        !page_url.as_str().contains("eyJ") && !page_url.as_str().contains("secret"),
        "{page_url}"
    );
    assert!(page_url.query().is_none());
    assert_eq!(page_url.port(), l.redirect_uri().url().port());
    let page = get(page_url.as_str()).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(
            "<form id=\"f\" method=\"post\" action=\"https://login.test.idporten.no/logout\">"
        ),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<input type=\"hidden\" name=\"id_token_hint\" value=\"eyJhbGciOi.secret&quot;&lt;x&gt;&amp;y\">"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("<input type=\"hidden\" name=\"state\" value=\"st\">"));
    assert!(page.body.contains("<button type=\"submit\">"));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(
        page.body.contains(&format!("<script nonce=\"{nonce}\">")),
        "{csp}"
    );
    assert_eq!(page.headers["cache-control"], "no-store");
    assert_eq!(get(page_url.as_str()).await.status, 404, "one-time page");
}

#[tokio::test]
async fn the_post_logout_redirect_with_the_right_state_ends_the_wait() {
    let mut l = bind("http://127.0.0.1:0/auth/loginsuccess").await;
    let (wrong, right) = (
        at(&l, "/auth/logoutsuccess?state=other"),
        at(&l, "/auth/logoutsuccess?state=lo%201"),
    );
    let browser = async { (get(&wrong).await, get(&right).await) };
    let (result, (w, r)) = tokio::join!(wait_logout(&mut l, "lo 1"), browser);
    result.unwrap();
    assert_eq!(w.status, 400);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("You are logged out") && r.body.contains("Du er logget ut"));
}

#[tokio::test]
async fn the_logout_wait_times_out() {
    let uri = RedirectUri::parse("http://127.0.0.1:0/cb").unwrap();
    let opts = ListenerOptions {
        timeout: Duration::from_millis(300),
        ..options()
    };
    let mut l = LoopbackListener::bind(&uri, opts).await.unwrap();
    let e = l
        .wait_for_logout(&State::new("x"), &mut no_tick())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::LogoutTimedOut { .. }), "{e:?}");
}

#[tokio::test]
async fn bad_options_are_refused() {
    let uri = RedirectUri::parse("http://127.0.0.1:0/cb").unwrap();
    let same = ListenerOptions {
        cancel_path: Some("/cb".into()),
        ..ListenerOptions::default()
    };
    let e = LoopbackListener::bind(&uri, same).await.unwrap_err();
    assert!(e.to_string().contains("must differ"), "{e}");
    let relative = ListenerOptions {
        logout_path: Some("logout".into()),
        ..ListenerOptions::default()
    };
    assert!(LoopbackListener::bind(&uri, relative).await.is_err());
    let https = RedirectUri::parse("https://app.example/cb").unwrap();
    let e = LoopbackListener::bind(&https, ListenerOptions::default())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("loopback"), "{e}");
}

// ---- browser openers ----

/// A scripted browser: a shell script that records its arguments, one per line, in a file.
fn recording_script(dir: &std::path::Path) -> (String, std::path::PathBuf) {
    let script = dir.join("browser.sh");
    let out = dir.join("args.txt");
    std::fs::write(&script, "#!/bin/sh\nout=\"$1\"; shift\nprintf '%s\\n' \"$@\" > \"$out.tmp\" && mv \"$out.tmp\" \"$out\"\n").unwrap();
    (
        format!("sh '{}' '{}' --new-window", script.display(), out.display()),
        out,
    )
}

async fn wait_for_file(path: &std::path::Path) -> String {
    for _ in 0..200 {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the browser command never wrote {}", path.display());
}

#[tokio::test]
async fn a_browser_command_gets_the_url_as_last_argument_and_the_login_completes() {
    let dir = tempfile::tempdir().unwrap();
    let (command, out) = recording_script(dir.path());
    let mut l = bind("http://127.0.0.1:0/cb").await;
    let login_url = url::Url::parse(&at(&l, "/cb?code=via-browser&state=s1")).unwrap();
    let opener = CommandBrowser { command };
    assert_eq!(opener.open(&login_url).unwrap(), BrowserLaunch::Opened);
    let args = wait_for_file(&out).await;
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(args, ["--new-window", login_url.as_str()]);
    // The "browser" follows the URL it was given.
    let (result, answer) = tokio::join!(wait_cb(&mut l, "s1"), get(args[1]));
    assert_eq!(result.unwrap().code.secret(), "via-browser");
    assert_eq!(answer.status, 200);
}

#[test]
fn a_missing_browser_command_is_named_in_the_error() {
    let url = url::Url::parse("http://localhost:1/x").unwrap();
    let e = CommandBrowser {
        command: "/no/such/browser --flag".into(),
    }
    .open(&url)
    .unwrap_err();
    assert!(
        matches!(&e, Error::BrowserCommandFailed { command, .. } if command == "/no/such/browser --flag"),
        "{e:?}"
    );
    assert!(e.to_string().contains("/no/such/browser"));
    let e = CommandBrowser {
        command: "  ".into(),
    }
    .open(&url)
    .unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
    let e = CommandBrowser {
        command: "firefox 'unclosed".into(),
    }
    .open(&url)
    .unwrap_err();
    assert!(matches!(e, Error::BrowserCommandFailed { .. }), "{e:?}");
}

#[test]
fn open_or_print_falls_back_to_printing() {
    let url = url::Url::parse("http://localhost:1/x").unwrap();
    let opener = OpenOrPrint(CommandBrowser {
        command: "/no/such/browser".into(),
    });
    assert_eq!(opener.open(&url).unwrap(), BrowserLaunch::Printed);
    let dir = tempfile::tempdir().unwrap();
    let (command, out) = recording_script(dir.path());
    assert_eq!(
        OpenOrPrint(CommandBrowser { command }).open(&url).unwrap(),
        BrowserLaunch::Opened
    );
    assert!(wait_for_file_blocking(&out).ends_with("http://localhost:1/x\n"));
}

fn wait_for_file_blocking(path: &std::path::Path) -> String {
    for _ in 0..200 {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("the browser command never wrote {}", path.display());
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn print_url_writes_the_url_for_the_user() {
    let out = Shared::default();
    let url =
        url::Url::parse("https://login.test.idporten.no/authorize?client_id=c&state=s").unwrap();
    assert_eq!(
        PrintUrl::new(Box::new(out.clone())).open(&url).unwrap(),
        BrowserLaunch::Printed
    );
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    assert_eq!(
        text,
        format!("Open this URL in a browser to log in:\n  {url}\n")
    );
}

#[test]
fn the_system_browser_honours_the_browser_variable() {
    // The only test of this binary that touches $BROWSER.
    let dir = tempfile::tempdir().unwrap();
    let (command, out) = recording_script(dir.path());
    let url = url::Url::parse("http://localhost:1/x?y=z").unwrap();
    std::env::set_var("BROWSER", format!("/no/such/browser:{command} --url=%s"));
    let launch = SystemBrowser.open(&url);
    std::env::remove_var("BROWSER");
    assert_eq!(launch.unwrap(), BrowserLaunch::Opened);
    let args = wait_for_file_blocking(&out);
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        ["--new-window", "--url=http://localhost:1/x?y=z"]
    );
    let headless = ["DISPLAY", "WAYLAND_DISPLAY", "WSL_DISTRO_NAME"]
        .iter()
        .all(|v| std::env::var_os(v).is_none());
    if cfg!(target_os = "linux") && headless {
        let e = SystemBrowser.open(&url).unwrap_err();
        assert!(matches!(e, Error::BrowserNotOpened { .. }), "{e:?}");
        assert!(e.to_string().contains("no graphical display"), "{e}");
    } else {
        eprintln!("note: this machine has a display; the headless half of this test is skipped");
    }
}
