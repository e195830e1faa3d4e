//! What the browser's page says at the end of `mva login` against the simulator: "logged in" only when the session is
//! stored; otherwise which step failed, in Norwegian and English. And a foreign callback ends the login at once.

use std::path::Path;
use std::time::Duration;

use crate::harness::{Home, Sim, PERSON};

/// The simulator's web client (`Home::web_client()` sends its secret).
const CLIENT: &str = sim::REFRESH_TEST_CLIENT_ID;
const REDIRECT: &str = "http://127.0.0.1:0/callback";

/// A browser command (curl through the simulator's headless switch) that keeps the last page and its status in
/// `dir` (`page.html`, `status`).
fn page_browser(dir: &Path, extra_query: &str) -> String {
    let d = dir.display();
    format!(
        "sh -c 'curl -sS -o {d}/page.html -w %{{http_code}} -L \"$0{extra_query}\" > {d}/status.tmp; mv {d}/status.tmp {d}/status'"
    )
}

/// The page the browser ended on: (status, html).
fn final_page(dir: &Path) -> (u16, String) {
    for _ in 0..400 {
        if let Ok(status) = std::fs::read_to_string(dir.join("status")) {
            let html = std::fs::read_to_string(dir.join("page.html")).unwrap_or_default();
            return (status.trim().parse().unwrap_or(0), html);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("the browser command never finished");
}

fn login(home: &Home, sim: &Sim, browser: &str, extra: &[&str]) -> crate::harness::Run {
    let issuer = sim.issuer();
    let mut args = vec![
        "login",
        "--issuer",
        &issuer,
        "--client-id",
        CLIENT,
        "--redirect-uri",
        REDIRECT,
        "--browser-command",
        browser,
        "--timeout",
        "30",
    ];
    args.extend_from_slice(extra);
    home.run(&args)
}

fn headless(dir: &Path) -> String {
    page_browser(dir, &format!("&sim_pid={PERSON}"))
}

#[test]
fn the_page_says_logged_in_only_after_the_session_is_stored() {
    let sim = Sim::start();
    let home = Home::web_client();
    let dir = tempfile::tempdir().unwrap();
    login(&home, &sim, &headless(dir.path()), &[]).expect(0);
    let (status, html) = final_page(dir.path());
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Du er logget inn") && html.contains("checked and stored"),
        "{html}"
    );
    assert_eq!(home.token_files().len(), 1);
}

#[test]
fn a_failed_code_exchange_is_on_the_page() {
    let sim = Sim::start();
    let home = Home::web_client();
    let dir = tempfile::tempdir().unwrap();
    sim.handle().faults().fail_next("token", 500, 1).unwrap();
    login(&home, &sim, &headless(dir.path()), &[]).expect(5);
    let (status, html) = final_page(dir.path());
    assert_eq!(status, 400, "{html}");
    assert!(
        html.contains("Innløsningen av innloggingskoden")
            && html.contains("Exchanging the login code at ID-porten failed")
            && html.contains("500"),
        "{html}"
    );
    assert!(!html.contains("logget inn</h1>"), "{html}");
    assert!(home.token_files().is_empty());
}

#[test]
fn a_forged_id_token_is_on_the_page() {
    let sim = Sim::start();
    let home = Home::web_client();
    for forgery in [sim::Forgery::WrongNonce, sim::Forgery::BadSignature] {
        let dir = tempfile::tempdir().unwrap();
        sim.handle().faults().forge_next_id_token(forgery);
        login(&home, &sim, &headless(dir.path()), &[]).expect(1);
        let (status, html) = final_page(dir.path());
        assert_eq!(status, 400, "{forgery:?}: {html}");
        assert!(
            html.contains("ID-tokenet besto ikke kontrollen")
                && html.contains("The ID token failed the checks"),
            "{forgery:?}: {html}"
        );
        assert!(home.token_files().is_empty());
    }
}

#[test]
fn a_session_that_cannot_be_stored_is_on_the_page() {
    let sim = Sim::start();
    let home = Home::web_client();
    let dir = tempfile::tempdir().unwrap();
    // A file where the token directory should be: the save fails after a valid login.
    std::fs::write(home.dir.path().join("tokens"), "not a directory").unwrap();
    let run = login(&home, &sim, &headless(dir.path()), &[]).expect(1);
    let (status, html) = final_page(dir.path());
    assert_eq!(status, 400, "{html}");
    assert!(
        html.contains("økten kunne ikke lagres") && html.contains("could not be stored"),
        "{html} / {}",
        run.stderr()
    );
    let stored = std::fs::read(home.dir.path().join("tokens")).unwrap();
    assert_eq!(stored, b"not a directory");
}

#[test]
fn a_provider_error_in_the_callback_is_on_the_page() {
    let sim = Sim::start();
    let home = Home::web_client();
    let dir = tempfile::tempdir().unwrap();
    let run = login(
        &home,
        &sim,
        &headless(dir.path()),
        &["--scope", "openid no:such-scope"],
    )
    .expect(4);
    assert!(run.stderr().contains("invalid_scope"), "{}", run.stderr());
    let (status, html) = final_page(dir.path());
    assert_eq!(status, 400, "{html}");
    assert!(
        html.contains("ID-porten avviste innloggingen")
            && html.contains("ID-porten refused the login")
            && html.contains("invalid_scope"),
        "{html}"
    );
}

#[test]
fn a_foreign_state_ends_the_login_at_once_with_exit_4() {
    let sim = Sim::start();
    let home = Home::web_client();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    // The "browser" goes straight to the redirect URI with an old tab's answer (the URL it was given is ignored).
    let d = dir.path().display();
    let browser = format!(
        "sh -c 'curl -sS -o {d}/page.html -w %{{http_code}} \"{redirect}?code=old&state=old-tab\" > {d}/status.tmp; mv {d}/status.tmp {d}/status' --"
    );
    let started = std::time::Instant::now();
    let run = home
        .run(&[
            "login",
            "--issuer",
            &sim.issuer(),
            "--client-id",
            CLIENT,
            "--redirect-uri",
            &redirect,
            "--browser-command",
            &browser,
            "--timeout",
            "60",
        ])
        .expect(4);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert!(
        run.stderr().contains("does not belong to this login"),
        "{}",
        run.stderr()
    );
    let (status, html) = final_page(dir.path());
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("hører ikke til denne innloggingen"), "{html}");
}

#[test]
fn the_browser_never_inherits_the_client_secret() {
    let sim = Sim::start();
    let home = Home::new();
    for via_browser_var in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let dump = format!(
            "sh -c 'env > {}/env.tmp; mv {0}/env.tmp {0}/env' --",
            dir.path().display()
        );
        let mut cmd = home.mva(&[
            "login",
            "--issuer",
            &sim.issuer(),
            "--client-id",
            CLIENT,
            "--redirect-uri",
            REDIRECT,
            "--client-auth",
            "client_secret_basic",
            "--timeout",
            "2",
        ]);
        if via_browser_var {
            cmd.env("BROWSER", &dump);
        } else {
            cmd.args(["--browser-command", &dump]);
        }
        let out = cmd
            .env("MVA_CLIENT_SECRET", "s3cret-of-the-integration")
            .env("MVA_UNRELATED_SETTING", "x")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(4),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let env = std::fs::read_to_string(dir.path().join("env")).expect("the browser ran");
        assert!(env.contains("PATH="), "{env}");
        assert!(!env.contains("s3cret-of-the-integration"), "{env}");
        assert!(!env.contains("MVA_"), "{env}");
    }
}

#[test]
fn the_back_uri_is_served_from_the_setting_not_guessed_from_the_redirect_path() {
    let sim = Sim::start();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // A redirect path that does not end in /loginsuccess, and a back URI on the same host and port.
    let redirect = format!("http://127.0.0.1:{port}/oidc/callback");
    let back = format!("http://127.0.0.1:{port}/oidc/avbrutt");
    let run_with = |home: &Home, dir: &Path, extra: &[&str]| {
        let d = dir.display();
        let browser = format!(
            "sh -c 'curl -sS -o {d}/page.html -w %{{http_code}} \"{back}\" > {d}/status.tmp; mv {d}/status.tmp {d}/status' --"
        );
        let issuer = sim.issuer();
        let mut args = vec![
            "login",
            "--issuer",
            &issuer,
            "--client-id",
            CLIENT,
            "--redirect-uri",
            &redirect,
            "--browser-command",
            &browser,
            "--timeout",
            "3",
        ];
        args.extend_from_slice(extra);
        home.run(&args)
    };
    // As a flag: the user who cancels in ID-porten lands there, and the login ends at once as cancelled.
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    let run = run_with(&home, dir.path(), &["--back-uri", &back]).expect(4);
    assert!(run.stderr().contains("cancelled"), "{}", run.stderr());
    let (status, html) = final_page(dir.path());
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Innloggingen ble avbrutt"), "{html}");
    // As a profile key.
    let home = Home::new();
    std::fs::write(
        home.dir.path().join("config.toml"),
        format!("[profiles.default]\nback_uri = \"{back}\"\n"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = run_with(&home, dir.path(), &[]).expect(4);
    assert!(run.stderr().contains("cancelled"), "{}", run.stderr());
    // Without the setting nothing is served there: the page is 404 and the login waits for its timeout.
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    let run = run_with(&home, dir.path(), &[]).expect(4);
    assert!(run.stderr().contains("within 3"), "{}", run.stderr());
    assert_eq!(final_page(dir.path()).0, 404);
}
