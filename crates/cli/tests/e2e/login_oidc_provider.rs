//! `mva login`, `token`, `whoami`, `logout` against panva's oidc-provider (OpenID Certified), configured like
//! ID-porten, with headless Chromium completing the login form.

use std::process::Stdio;

use crate::harness::{browser_lock, chromium_browser, Home, OidcProvider, PERSON};

const REDIRECT: &str = "http://127.0.0.1:0/callback";

fn login(home: &Home, op: &OidcProvider, browser_extra: &str) -> crate::harness::Run {
    home.run(&[
        "login",
        "--issuer",
        &op.issuer,
        "--redirect-uri",
        REDIRECT,
        "--browser-command",
        &chromium_browser(browser_extra),
        "--timeout",
        "60",
    ])
}

#[test]
fn login_token_refresh_with_rotation_and_reuse_refused() {
    let _browser = browser_lock();
    let op = OidcProvider::start();
    let home = Home::new();
    let run = login(&home, &op, "").expect(0);
    assert!(run.stderr().contains("Logged in"), "{}", run.stderr());

    // The stored file is 0600 in a 0700 directory.
    use std::os::unix::fs::PermissionsExt;
    let file = &home.token_files()[0];
    assert_eq!(
        std::fs::metadata(file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let dir = file.parent().unwrap();
    assert_eq!(
        std::fs::metadata(dir).unwrap().permissions().mode() & 0o777,
        0o700
    );

    let first = home.run(&["token"]).expect(0).stdout();
    assert_eq!(first.lines().count(), 1, "only the token: {first:?}");
    let first = first.trim().to_string();
    assert!(first.len() >= 20);

    let whoami = home.run(&["whoami", "--json"]).expect(0).stdout();
    let who: serde_json::Value = serde_json::from_str(&whoami).unwrap();
    assert_eq!(who["pid"], "018185*****");
    assert_eq!(who["acr"], "idporten-loa-substantial");
    assert!(!whoami.contains(&first), "whoami must not print the token");

    // Refresh with rotation: an expired access token is renewed with the one-time refresh token.
    let spent_refresh = home.session()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let before = op.stats()["refreshes"].as_i64().unwrap();
    home.expire_access_token();
    let second = home.run(&["token"]).expect(0).stdout().trim().to_string();
    assert_ne!(first, second, "a new access token");
    assert_eq!(op.stats()["refreshes"].as_i64().unwrap(), before + 1);
    let rotated = home.session()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(rotated, spent_refresh, "one-time refresh tokens rotate");

    // The provider refuses the spent refresh token (and, as the BCP says, revokes the grant).
    let answer = reqwest::blocking::Client::new()
        .post(format!("{}/token", op.issuer))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", spent_refresh.as_str()),
            ("client_id", idporten::SHARED_TEST_CLIENT_ID),
        ])
        .send()
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = answer.json().unwrap();
    assert_eq!(body["error"], "invalid_grant");

    // The grant is gone: the next refresh ends the session, says what to do, and drops the dead tokens.
    home.expire_access_token();
    let run = home.run(&["token"]).expect(3);
    assert!(run.stderr().contains("mva login"), "{}", run.stderr());
    assert!(run.stdout().is_empty());
    assert!(home.token_files().is_empty(), "dead tokens are deleted");
}

#[test]
fn ten_processes_refresh_once() {
    let _browser = browser_lock();
    let op = OidcProvider::start();
    let home = Home::new();
    login(&home, &op, "").expect(0);
    home.expire_access_token();
    let before = op.stats()["refreshes"].as_i64().unwrap();
    let children: Vec<_> = (0..10)
        .map(|_| {
            home.mva(&["token"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for o in &outputs {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let tokens: std::collections::BTreeSet<_> = outputs
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .collect();
    assert_eq!(
        tokens.len(),
        1,
        "every process prints the same, refreshed token"
    );
    assert_eq!(
        op.stats()["refreshes"].as_i64().unwrap(),
        before + 1,
        "exactly one refresh"
    );
}

#[test]
fn cancelled_login_says_so_and_stores_nothing() {
    let _browser = browser_lock();
    let op = OidcProvider::start();
    let home = Home::new();
    let run = login(&home, &op, "--cancel").expect(4);
    assert!(
        run.stderr().to_lowercase().contains("cancel"),
        "{}",
        run.stderr()
    );
    assert!(home.token_files().is_empty());
    home.run(&["token"]).expect(3);
}

/// oidc-provider takes the end-session request only by GET unless its session cookies are SameSite=None (which
/// Chromium refuses without https), while `mva logout` POSTs it, as ID-porten recommends, to keep the ID token out
/// of URLs. So against oidc-provider this checks revocation and forgetting; the confirmed end of the provider's
/// session is tested against the simulator (login_sim.rs).
#[test]
fn logout_revokes_at_the_provider_and_forgets_the_tokens() {
    let _browser = browser_lock();
    let op = OidcProvider::start();
    let home = Home::new();
    login(&home, &op, "").expect(0);
    let token = home.run(&["token"]).expect(0).stdout().trim().to_string();
    let run = home
        .run(&[
            "logout",
            "--issuer",
            &op.issuer,
            "--post-logout-redirect-uri",
            "http://127.0.0.1:0/logout",
            "--no-browser",
            "--timeout",
            "2",
        ])
        .expect(0);
    assert!(
        run.stderr().contains("Revoked the tokens"),
        "{}",
        run.stderr()
    );
    assert!(home.token_files().is_empty());
    home.run(&["token"]).expect(3);
    let answer = reqwest::blocking::Client::new()
        .get(format!("{}/userinfo", op.issuer))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(answer.status(), 401, "the access token was revoked");
    let _ = PERSON;
}
