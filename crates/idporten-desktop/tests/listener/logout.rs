//! Logout: the form-post page that carries `id_token_hint`, and the wait for the post-logout redirect.

use super::common::*;
use idporten_desktop::{Error, ListenerOptions, LoopbackListener, RedirectUri, State};
use std::time::Duration;

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

/// The logout page's URL is on the browser's command line, readable by every user of the machine: another user who
/// fetches it gets 403 and no ID token, and the page stays for the user's own browser.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn another_user_who_reads_the_logout_url_does_not_get_the_id_token() {
    use std::os::unix::process::CommandExt;
    let mut l = bind("http://127.0.0.1:0/cb").await;
    let action = url::Url::parse("https://login.test.idporten.no/logout").unwrap();
    let hint = "eyJ.the-id-token.sig";
    let page_url = l.serve_form_post(&action, vec![("id_token_hint".into(), hint.into())]);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!(
            "note: not root, so no second user can be played; only the owner's fetch is checked"
        );
    } else {
        let url = page_url.to_string();
        let _turn = PROCESSES_OR_FIXED_PORTS.lock().await;
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new("curl")
                .args(["-sS", "-w", "\n%{http_code}", &url])
                .uid(65534)
                .gid(65534)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(text.ends_with("403"), "{text}");
        assert!(!text.contains(hint), "{text}");
        assert!(text.contains("Not for you"), "{text}");
    }
    let mine = get(page_url.as_str()).await;
    assert_eq!(mine.status, 200);
    assert!(mine.body.contains(hint), "{}", mine.body);
    assert_eq!(get(page_url.as_str()).await.status, 404, "one-time page");
}
