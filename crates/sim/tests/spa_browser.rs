//! The guide's SPA model end to end: examples/spa-public/ served by a small static server started here, a simulator
//! with a `browser` client whose redirect URI is that server's /callback, and headless Chromium (tests/interop/
//! spa-login.mjs) logging in: PKCE in the page, the TestID page, back on /callback, the code exchanged at /token
//! across origins (CORS), the masked pid shown, then the logout through end_session. Needs `npm ci` in
//! tests/interop and /usr/bin/chromium; a missing prerequisite fails the test with the command to run.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Serves the SPA: `/` and `/callback` answer index.html (the page routes itself), `/app.js` the module.
async fn static_server() -> std::net::SocketAddr {
    let dir = repo_root().join("examples/spa-public");
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let js = std::fs::read_to_string(dir.join("app.js")).unwrap();
    let page = move || {
        let html = html.clone();
        async move { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response() }
    };
    let app = Router::new()
        .route("/", get(page.clone()))
        .route("/callback", get(page))
        .route(
            "/app.js",
            get(move || async move { ([(header::CONTENT_TYPE, "text/javascript")], js) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

#[tokio::test(flavor = "multi_thread")]
async fn the_public_spa_logs_in_with_pkce_in_chromium() {
    let interop = repo_root().join("tests/interop");
    assert!(
        interop.join("node_modules/playwright-core").is_dir(),
        "tests/interop/node_modules is missing: run (cd tests/interop && npm ci)"
    );
    assert!(
        Path::new("/usr/bin/chromium").exists() || std::env::var_os("CHROMIUM").is_some(),
        "Chromium is missing: apt-get install chromium (or set CHROMIUM)"
    );
    let spa = static_server().await;
    let origin = format!("http://{spa}");
    let toml = format!(
        r#"
[[integration]]
client_id = "spa-example"
scopes = ["openid", "profile"]
application_type = "browser"
redirect_uris = ["{origin}/callback"]
post_logout_redirect_uris = ["{origin}/"]
"#
    );
    let config = sim::SimConfig::parse(&toml).unwrap();
    let sim = sim::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let artifacts = repo_root().join("test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("spa-public-logged-in.png");
    let url = format!(
        "{origin}/?issuer={}&client_id=spa-example",
        url::form_urlencoded::byte_serialize(sim.issuer().as_bytes()).collect::<String>()
    );
    let mut command = tokio::process::Command::new("node");
    command
        .args([
            "spa-login.mjs",
            "--screenshot",
            shot.to_str().unwrap(),
            &url,
        ])
        .current_dir(&interop)
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(120), command.output())
        .await
        .expect("spa-login.mjs took more than 120 s")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "spa-login.mjs failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("PID 018185*****"), "{stdout}");
    assert!(
        stdout.contains("PATH /\n"),
        "the code left the address bar: {stdout}"
    );
    // Nothing in Web Storage looks like a token (JWTs start with eyJ), and the pending login is gone.
    let storage = stdout.lines().find(|l| l.starts_with("STORAGE ")).unwrap();
    assert!(!storage.contains("eyJ"), "{storage}");
    assert!(!storage.contains("mva-spa-login"), "{storage}");
    // The browser's /token request was cross-origin: the simulator answered it, so CORS let it through.
    assert_eq!(sim.stats()["tokens_issued"], 1, "{:?}", sim.stats());
    // Log out went through end_session and back to the SPA's start page, logged out there too.
    assert!(stdout.contains("LOGGED-OUT / Not logged in."), "{stdout}");
}
