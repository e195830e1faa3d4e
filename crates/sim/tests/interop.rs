//! Third-party proof that the simulator speaks OpenID Connect as ID-porten does: panva's `openid-client` (Node) and
//! Python's Authlib run their checks against a simulator started here on a free port, and headless Chromium logs
//! in through the real login page. The scripts live in `tests/interop/` at the repository root.
//!
//! Needs Node 20 with `npm ci` run in tests/interop, the Python venv tests/interop/.venv, and /usr/bin/chromium.
//! A missing prerequisite FAILS the test with the command to run (the install step of `.ci/run`); nothing is
//! skipped silently.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PERSON: &str = "01818510078";
const SCOPE: &str = "openid skatteetaten:mvameldingvalidering skatteetaten:mvameldinginnsending";
const NPM_INSTALL: &str = "(cd tests/interop && npm ci)";
const VENV_INSTALL: &str = "python3 -m venv tests/interop/.venv && \
                            tests/interop/.venv/bin/pip install -r tests/interop/requirements.txt";

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/interop")
        .canonicalize()
        .expect("tests/interop exists")
}

fn repo_root() -> PathBuf {
    interop_dir().join("../..").canonicalize().unwrap()
}

/// Fails (never skips) when the Node packages are not installed.
fn require_node_modules() {
    for package in ["openid-client", "playwright-core", "jose", "oidc-provider"] {
        let dir = interop_dir().join("node_modules").join(package);
        assert!(
            dir.is_dir(),
            "tests/interop/node_modules/{package} is missing: run the install step of .ci/run ({NPM_INSTALL})"
        );
    }
}

fn venv_python() -> PathBuf {
    let python = interop_dir().join(".venv/bin/python");
    assert!(
        python.is_file(),
        "tests/interop/.venv is missing: run the install step of .ci/run ({VENV_INSTALL})"
    );
    python
}

/// Runs a child process with a time limit and returns its output.
async fn run(program: &Path, args: &[&str]) -> Output {
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .current_dir(interop_dir())
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(120), command.output())
        .await
        .unwrap_or_else(|_| panic!("{} {args:?} took more than 120 s", program.display()))
        .unwrap_or_else(|e| panic!("cannot run {}: {e} (is it installed?)", program.display()));
    output
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The client secret of `interop-web`, the check scripts' main client.
const WEB_SECRET: &str = "interop-web-secret-0123456789";

/// The simulator with headless login and the clients the check scripts use: a web client with refresh tokens
/// (client_secret_basic, as ID-porten requires for refresh) and a post-logout URI, and one client per
/// authentication method.
fn check_config(public_jwks: &str) -> sim::SimConfig {
    let toml = format!(
        r#"
[sim]
headless_login = true

[[integration]]
client_id = "interop-web"
name = "interop web client"
organisation_number = "310000019"
scopes = ["openid", "skatteetaten:mvameldingvalidering", "skatteetaten:mvameldinginnsending"]
grant_types = ["authorization_code", "refresh_token"]
client_authentication = "client_secret_basic"
client_secret = "{WEB_SECRET}"
application_type = "web"
redirect_uris = ["http://localhost:12345/token"]
post_logout_redirect_uris = ["http://localhost:12345/logout"]
refresh_token_type = "one-time"

[[integration]]
client_id = "interop-secret-basic"
organisation_number = "310000019"
scopes = ["openid", "skatteetaten:mvameldingvalidering", "skatteetaten:mvameldinginnsending"]
client_authentication = "client_secret_basic"
client_secret = "interop-basic-secret-0123456789"
application_type = "web"
redirect_uris = ["http://localhost:12345/token"]

[[integration]]
client_id = "interop-secret-post"
organisation_number = "310000019"
scopes = ["openid", "skatteetaten:mvameldingvalidering", "skatteetaten:mvameldinginnsending"]
client_authentication = "client_secret_post"
client_secret = "interop-post-secret-0123456789"
application_type = "web"
redirect_uris = ["http://localhost:12345/token"]

[[integration]]
client_id = "interop-private-key-jwt"
organisation_number = "310000019"
scopes = ["openid", "skatteetaten:mvameldingvalidering", "skatteetaten:mvameldinginnsending"]
client_authentication = "private_key_jwt"
client_public_key = '''{public_jwks}'''
application_type = "web"
redirect_uris = ["http://localhost:12345/token"]
"#
    );
    sim::SimConfig::parse(&toml).expect("the interop configuration parses")
}

/// Makes a private_key_jwt key pair with the Node helper; returns (private JWK file, public JWKS text).
async fn client_key(dir: &Path) -> (PathBuf, String) {
    let file = dir.join("client-key.json");
    let out = run(
        Path::new("node"),
        &["lib/make-client-key.mjs", file.to_str().unwrap()],
    )
    .await;
    assert!(
        out.status.success(),
        "make-client-key.mjs failed: {}",
        text(&out.stderr)
    );
    (file, text(&out.stdout).trim().to_string())
}

/// Asserts that a check script passed: exit 0, no FAIL line, at least `min_ok` checks run.
fn assert_checks_passed(name: &str, out: &Output, min_ok: usize) {
    let stdout = text(&out.stdout);
    let oks = stdout.lines().filter(|l| l.starts_with("ok ")).count();
    let report = format!("{name} stdout:\n{stdout}\nstderr:\n{}", text(&out.stderr));
    assert!(out.status.success(), "{name} failed\n{report}");
    assert!(
        !stdout.contains("FAIL"),
        "{name} reported a failure\n{report}"
    );
    assert!(
        oks >= min_ok,
        "{name} ran only {oks} checks, expected at least {min_ok}\n{report}"
    );
    assert!(
        stdout.contains("all checks passed"),
        "{name} did not finish\n{report}"
    );
}

async fn check_script_args(tmp: &Path) -> (sim::SimHandle, Vec<String>) {
    let (key_file, public_jwks) = client_key(tmp).await;
    let sim = sim::start(check_config(&public_jwks), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("sim starts");
    let args = vec![
        sim.issuer(),
        "--profile".into(),
        "sim".into(),
        "--client".into(),
        "interop-web".into(),
        "--client-secret".into(),
        WEB_SECRET.into(),
        "--post-logout-uri".into(),
        "http://localhost:12345/logout".into(),
        "--secret-basic".into(),
        "interop-secret-basic:interop-basic-secret-0123456789".into(),
        "--secret-post".into(),
        "interop-secret-post:interop-post-secret-0123456789".into(),
        "--private-key-jwt".into(),
        format!("interop-private-key-jwt:{}", key_file.display()),
    ];
    (sim, args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_passes_every_check_against_the_sim() {
    require_node_modules();
    let tmp = tempfile::tempdir().unwrap();
    let (sim, args) = check_script_args(tmp.path()).await;
    let mut argv = vec!["openid-client-check.mjs"];
    argv.extend(args.iter().map(String::as_str));
    let out = run(Path::new("node"), &argv).await;
    assert_checks_passed("openid-client-check.mjs", &out, 25);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authlib_passes_every_check_against_the_sim() {
    require_node_modules(); // for the key helper
    let python = venv_python();
    let tmp = tempfile::tempdir().unwrap();
    let (sim, args) = check_script_args(tmp.path()).await;
    let mut argv = vec!["authlib_check.py"];
    argv.extend(args.iter().map(String::as_str));
    let out = run(&python, &argv).await;
    assert_checks_passed("authlib_check.py", &out, 23);
    sim.shutdown().await;
}

/// The checks can fail: every forged ID token the sim can produce is caught by both third-party clients (and the
/// same login without a forgery passes, so the failure comes from the forgery).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn third_party_clients_reject_every_forged_id_token() {
    use sim::Forgery::*;
    require_node_modules();
    let python = venv_python();
    let config = check_config(r#"{"keys":[]}"#); // no private_key_jwt login here
    let sim = sim::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("sim starts");
    let issuer = sim.issuer();
    let node = |first: &'static str| {
        let issuer = issuer.clone();
        async move {
            let args = [
                "openid-client-check.mjs",
                &issuer,
                "--client",
                "interop-web",
                "--client-secret",
                WEB_SECRET,
                "--only",
                first,
            ];
            run(Path::new("node"), &args).await
        }
    };
    let authlib = |first: &'static str| {
        let (issuer, python) = (issuer.clone(), python.clone());
        async move {
            let args = [
                "authlib_check.py",
                &issuer,
                "--client",
                "interop-web",
                "--client-secret",
                WEB_SECRET,
                "--only",
                first,
            ];
            run(&python, &args).await
        }
    };
    for (name, check) in [
        ("openid-client", "login-code-pkce"),
        ("authlib", "login-code-pkce-id-token"),
    ] {
        let control = if name == "authlib" {
            authlib(check).await
        } else {
            node(check).await
        };
        assert!(
            control.status.success(),
            "{name} without a forgery: {}",
            text(&control.stdout)
        );
        for forgery in [
            WrongIss,
            WrongAud,
            WrongNonce,
            Expired,
            BadSignature,
            AlgNone,
            UnknownKid,
            Hs256PublicKey,
            MissingSub,
        ] {
            sim.faults().forge_next_id_token(forgery);
            let out = if name == "authlib" {
                authlib(check).await
            } else {
                node(check).await
            };
            let stdout = text(&out.stdout);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{name} accepted an ID token forged with {forgery:?}:\n{stdout}"
            );
            assert!(
                stdout.contains(&format!("FAIL {check}")),
                "{name}, {forgery:?}:\n{stdout}"
            );
            let why = stdout
                .lines()
                .find(|l| l.starts_with("FAIL"))
                .unwrap_or_default();
            eprintln!("{name} {forgery:?}: {why}"); // shown with --nocapture
        }
    }
    sim.shutdown().await;
}

/// A loopback listener standing in for the client: records each callback's query, answers a small page.
async fn listener() -> (u16, Arc<Mutex<Vec<String>>>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/callback",
        axum::routing::get(move |axum::extract::RawQuery(q): axum::extract::RawQuery| {
            let record = record.clone();
            async move {
                record.lock().unwrap().push(q.unwrap_or_default());
                axum::response::Html(
                    "<h1>Login finished</h1><p>The provider sent the browser back.</p>",
                )
            }
        }),
    );
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = socket.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(socket, app).await.unwrap() });
    (port, seen)
}

struct AuthRequest {
    url: String,
    verifier: String,
    state: String,
    redirect_uri: String,
}

fn random() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    B64.encode(bytes)
}

fn auth_request(issuer: &str, port: u16, locale: &str, acr: &str) -> AuthRequest {
    let verifier = random();
    let state = random();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
    let query = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", sim::LOOPBACK_TEST_CLIENT_ID),
        ("redirect_uri", &redirect_uri),
        ("scope", SCOPE),
        ("state", &state),
        ("nonce", &random()),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("acr_values", acr),
        ("ui_locales", locale),
    ])
    .unwrap();
    AuthRequest {
        url: format!("{issuer}/authorize?{query}"),
        verifier,
        state,
        redirect_uri,
    }
}

fn query_value(query: &str, key: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap()
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

fn claims(jwt: &str) -> serde_json::Value {
    let payload = jwt.split('.').nth(1).expect("a JWT has a payload");
    serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap()
}

async fn browser(args: &[&str]) -> Output {
    let mut argv = vec!["browser-login.mjs"];
    argv.extend_from_slice(args);
    run(Path::new("node"), &argv).await
}

/// Logs in with Chromium through the login page, then redeems the code the listener received.
async fn browser_login(
    sim: &sim::SimHandle,
    locale: &str,
    level: &str,
    screenshot: &Path,
) -> serde_json::Value {
    let (port, seen) = listener().await;
    let acr = format!("idporten-loa-{level}");
    let req = auth_request(&sim.issuer(), port, locale, "idporten-loa-substantial");
    let out = browser(&[
        "--level",
        level,
        "--screenshot",
        screenshot.to_str().unwrap(),
        &req.url,
    ])
    .await;
    assert!(
        out.status.success(),
        "browser-login.mjs failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("Login finished"),
        "the browser did not land on the listener's page"
    );

    let query = seen
        .lock()
        .unwrap()
        .pop()
        .expect("the listener got the callback");
    assert_eq!(
        query_value(&query, "state").as_deref(),
        Some(req.state.as_str()),
        "state comes back"
    );
    assert_eq!(
        query_value(&query, "iss"),
        Some(sim.issuer()),
        "iss comes back (RFC 9207)"
    );
    let code = query_value(&query, "code").expect("a code");
    let response = reqwest::Client::new()
        .post(format!("{}/token", sim.issuer()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &req.redirect_uri),
            ("code_verifier", &req.verifier),
            ("client_id", sim::LOOPBACK_TEST_CLIENT_ID),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "the code from the browser login is redeemed"
    );
    let tokens: serde_json::Value = response.json().await.unwrap();
    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["pid"], PERSON);
    assert_eq!(id["acr"], acr.as_str());
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_logs_in_through_the_login_page() {
    require_node_modules();
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "/usr/bin/chromium is missing: apt-get install chromium"
    );
    let sim = sim::start(sim::SimConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let artifacts = repo_root().join("test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();

    // The page itself, in bokmål, nynorsk and English (ui_locales).
    let http = reqwest::Client::new();
    for (locale, expected) in [
        (
            "nb",
            [
                "Logg inn med TestID",
                "Fødselsnummer",
                "Sikkerhetsnivå",
                "Avbryt",
            ],
        ),
        (
            "nn",
            [
                "Logg inn med TestID",
                "Fødselsnummer",
                "Tryggleiksnivå",
                "Avbryt",
            ],
        ),
        (
            "en",
            [
                "Log in with TestID",
                "National identity number",
                "Level of assurance",
                "Cancel",
            ],
        ),
    ] {
        let req = auth_request(&sim.issuer(), 9, locale, "idporten-loa-substantial");
        let page = http
            .get(&req.url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for text in expected {
            assert!(
                page.contains(text),
                "the {locale} login page lacks {text:?}"
            );
        }
    }

    let nb = artifacts.join("sim-login.png");
    let en = artifacts.join("sim-login-en.png");
    browser_login(&sim, "nb", "substantial", &nb).await;
    browser_login(&sim, "en", "high", &en).await;
    for shot in [&nb, &en] {
        let png = std::fs::read(shot).unwrap();
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is a PNG",
            shot.display()
        );
        assert!(
            png.len() > 10_000,
            "{} is {} bytes: an empty page?",
            shot.display(),
            png.len()
        );
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_cancel_and_refused_person_are_reported() {
    require_node_modules();
    let sim = sim::start(sim::SimConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();

    // Cancel: the loopback test client has no back URI, so the browser returns with error=access_denied.
    let (port, seen) = listener().await;
    let req = auth_request(&sim.issuer(), port, "nb", "idporten-loa-substantial");
    let out = browser(&["--cancel", &req.url]).await;
    assert!(out.status.success(), "cancel: {}", text(&out.stderr));
    let query = seen
        .lock()
        .unwrap()
        .pop()
        .expect("the listener got the cancel");
    assert_eq!(
        query_value(&query, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_value(&query, "code"), None);

    // A number with wrong check digits: the page says so and the script fails with that message.
    let req = auth_request(&sim.issuer(), port, "en", "idporten-loa-substantial");
    let out = browser(&["--person", "01818510079", "--timeout", "30", &req.url]).await;
    assert_eq!(out.status.code(), Some(1), "a refused login is a failure");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("refused the login") && stderr.contains("check digits"),
        "stderr: {stderr}"
    );

    // No listener: the browser cannot load the redirect, and the script says so.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let req = auth_request(&sim.issuer(), closed, "nb", "idporten-loa-substantial");
    let out = browser(&["--timeout", "30", &req.url]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is the listener running?"),
        "stderr: {}",
        text(&out.stderr)
    );
    sim.shutdown().await;
}
