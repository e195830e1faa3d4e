//! Helpers of the listener tests: a listener on 127.0.0.1, a real HTTP client as the browser, and a scripted
//! browser command.

use idporten_desktop::{Error, Issuer, ListenerOptions, LoopbackListener, RedirectUri, State};
use reqwest::header;
use std::time::Duration;

pub(crate) const ISSUER: &str = "https://test.idporten.no";

pub(crate) fn issuer() -> Issuer {
    Issuer::parse(ISSUER).unwrap()
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) fn options() -> ListenerOptions {
    ListenerOptions {
        cancel_path: Some("/auth/logincancelled".into()),
        logout_path: Some("/auth/logoutsuccess".into()),
        timeout: Duration::from_secs(20),
        ..ListenerOptions::default()
    }
}

pub(crate) async fn bind(uri: &str) -> LoopbackListener {
    LoopbackListener::bind(&RedirectUri::parse(uri).unwrap(), options())
        .await
        .unwrap()
}

/// The URL of `path_and_query` on the listener.
pub(crate) fn at(l: &LoopbackListener, path_and_query: &str) -> String {
    let u = l.redirect_uri().url();
    format!(
        "http://{}:{}{path_and_query}",
        u.host_str().unwrap(),
        u.port().unwrap()
    )
}

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: header::HeaderMap,
    pub(crate) body: String,
}

pub(crate) async fn get(url: &str) -> Answer {
    get_with(url, &[]).await
}

/// GET with extra headers (e.g. the Fetch Metadata a browser adds).
pub(crate) async fn get_with(url: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = client().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let r = request.send().await.unwrap();
    Answer {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.text().await.unwrap(),
    }
}

pub(crate) fn no_tick() -> impl FnMut(Duration) + Send {
    |_| {}
}

/// Waits for the callback; a code is taken as a finished login (the held browser request gets "logged in").
pub(crate) async fn wait_cb(
    l: &mut LoopbackListener,
    state: &str,
) -> Result<idporten_desktop::Callback, Error> {
    let result = l
        .wait_for_callback(&State::new(state), &issuer(), &mut no_tick())
        .await;
    if result.is_ok() {
        l.finish_login(Ok(()));
    }
    result
}

pub(crate) async fn wait_logout(l: &mut LoopbackListener, state: &str) -> Result<(), Error> {
    l.wait_for_logout(&State::new(state), &mut no_tick()).await
}

pub(crate) fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub(crate) async fn get_owned(url: String) -> Answer {
    get(&url).await
}

pub(crate) fn ipv6_loopback_available() -> bool {
    std::net::TcpListener::bind("[::1]:0").is_ok()
}

/// Tests that start a process and tests that bind a fixed port again take turns. A process starts as a copy of
/// this test binary, with a copy of every socket it has open, until it executes its program (close-on-exec
/// closes them only then); a listener another test has just shut down can stay bound for that moment, and
/// binding its port again fails with "another program listens".
pub(crate) static PROCESSES_OR_FIXED_PORTS: tokio::sync::Mutex<()> =
    tokio::sync::Mutex::const_new(());

/// A port free on both 127.0.0.1 and [::1] right now, chosen below Linux's ephemeral range (32768 and up).
///
/// A port from the ephemeral range can be taken, between two binds of a test, as the source port of any outgoing
/// connection on the machine (another test's HTTP client), which made rebinding tests flaky under load. Fixed
/// redirect URIs in real use (8988, 12345) are below that range for the same reason.
pub(crate) fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let seed = std::process::id()
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
    loop {
        let n = seed.wrapping_add(NEXT.fetch_add(7919, Ordering::Relaxed));
        let port = 20_000 + (n % 12_000) as u16;
        let v4 = std::net::TcpListener::bind(("127.0.0.1", port));
        if v4.is_ok()
            && (!ipv6_loopback_available() || std::net::TcpListener::bind(("::1", port)).is_ok())
        {
            return port;
        }
    }
}

/// A scripted browser: a shell script that records its arguments, one per line, in a file.
pub(crate) fn recording_script(dir: &std::path::Path) -> (String, std::path::PathBuf) {
    let script = dir.join("browser.sh");
    let out = dir.join("args.txt");
    let text = "#!/bin/sh\nout=\"$1\"; shift\nprintf '%s\\n' \"$@\" > \"$out.tmp\" && mv \"$out.tmp\" \"$out\"\n";
    std::fs::write(&script, text).unwrap();
    (
        format!("sh '{}' '{}' --new-window", script.display(), out.display()),
        out,
    )
}

pub(crate) async fn wait_for_file(path: &std::path::Path) -> String {
    for _ in 0..200 {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the browser command never wrote {}", path.display());
}

pub(crate) fn wait_for_file_blocking(path: &std::path::Path) -> String {
    for _ in 0..200 {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("the browser command never wrote {}", path.display());
}
