//! The guide's example integration on the simulator, through headless Chromium and the simulator's real login
//! page: `http://localhost:8988/auth/loginsuccess`, the back URI `/auth/logincancelled` and the post-logout URI
//! `/auth/logoutsuccess` all served by `mva`'s listener; a logout that ID-porten (the simulator) confirms.

use crate::harness::{browser_lock, chromium_browser, Home, Sim};

const REDIRECT: &str = "http://localhost:8988/auth/loginsuccess";
const LOGOUT: &str = "http://localhost:8988/auth/logoutsuccess";
const BACK: &str = "http://localhost:8988/auth/logincancelled";

fn login(home: &Home, sim: &Sim, browser_extra: &str) -> crate::harness::Run {
    home.run(&[
        "login",
        "--issuer",
        &sim.issuer(),
        "--client-id",
        sim::GUIDE_EXAMPLE_CLIENT_ID,
        "--redirect-uri",
        REDIRECT,
        "--post-logout-redirect-uri",
        LOGOUT,
        "--back-uri",
        BACK,
        "--browser-command",
        &chromium_browser(browser_extra),
        "--timeout",
        "60",
    ])
}

#[test]
fn login_page_then_logout_confirmed_by_the_provider() {
    let _browser = browser_lock();
    let sim = Sim::start();
    let home = Home::new();
    let profile = home.dir.path().join("chromium-profile");
    let profile_arg = format!("--profile-dir {} --level high", profile.display());
    let run = login(&home, &sim, &profile_arg).expect(0);
    assert!(
        run.stderr().contains("idporten-loa-high"),
        "{}",
        run.stderr()
    );

    let run = home
        .run(&[
            "logout",
            "--issuer",
            &sim.issuer(),
            "--client-id",
            sim::GUIDE_EXAMPLE_CLIENT_ID,
            "--redirect-uri",
            REDIRECT,
            "--post-logout-redirect-uri",
            LOGOUT,
            "--browser-command",
            &chromium_browser(&format!("--logout --profile-dir {}", profile.display())),
            "--timeout",
            "60",
        ])
        .expect(0);
    let err = run.stderr();
    assert!(err.contains("Revoked the tokens"), "{err}");
    assert!(
        err.contains("Ended the ID-porten session (confirmed"),
        "{err}"
    );
    assert!(home.token_files().is_empty());
    home.run(&["token"]).expect(3);
}

#[test]
fn cancel_on_the_login_page_lands_on_the_back_uri() {
    let _browser = browser_lock();
    let sim = Sim::start();
    let home = Home::new();
    let run = login(&home, &sim, "--cancel").expect(4);
    assert!(
        run.stderr().to_lowercase().contains("cancel"),
        "{}",
        run.stderr()
    );
    assert!(home.token_files().is_empty());
}
