//! The flows with the real loopback listener, a scripted browser and the simulator: login (and the callback
//! forgeries a client must refuse), logout.

use idporten_desktop::{
    load_tokens, login, logout, Client, EndSessionOutcome, Error, FileTokenStore, ListenerOptions,
    LoginEvent, RedirectUri, StoreKey, TokenStore,
};
use sim::{CallbackForgery, SimHandle};
use std::time::Duration;

use crate::common::{
    clock, seams, seen, sim_config as config, sim_issuer, start_sim, ScriptedBrowser, WEB_CLIENT,
};

fn options() -> ListenerOptions {
    ListenerOptions {
        timeout: Duration::from_secs(20),
        ..ListenerOptions::default()
    }
}

async fn listening_client(
    provider: &SimHandle,
    clock: &std::sync::Arc<idporten_desktop::ManualClock>,
) -> Client {
    let mut config = config(provider);
    config.redirect_uri = RedirectUri::parse("http://127.0.0.1:0/callback").unwrap();
    config.post_logout_redirect_uri =
        Some(RedirectUri::parse("http://127.0.0.1:0/logged-out").unwrap());
    Client::discover(config, seams(clock)).await.unwrap()
}

/// A private token store in a temporary directory, and the key of the test client's session.
fn temp_store(provider: &SimHandle) -> (tempfile::TempDir, FileTokenStore, StoreKey) {
    let dir = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(dir.path().join("tokens"));
    let key = StoreKey::new(
        sim_issuer(provider),
        idporten_desktop::ClientId::new(WEB_CLIENT),
    );
    (dir, store, key)
}

/// The final page of the first URL the scripted browser opened (it arrives just after the flow answers it).
async fn first_final(browser: &ScriptedBrowser) -> (u16, String) {
    for _ in 0..200 {
        if let Some(f) = browser.finals.lock().unwrap().first() {
            return f.clone();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the browser never got its final page");
}

#[tokio::test]
async fn login_through_the_listener_and_a_scripted_browser() {
    let provider = start_sim().await;
    let clock = clock();
    let client = listening_client(&provider, &clock).await;
    let browser = ScriptedBrowser::default();
    let mut events = vec![];
    let (_dir, store, key) = temp_store(&provider);
    let tokens = login(&client, &browser, &options(), &store, &key, |e| {
        events.push(e)
    })
    .await
    .unwrap();
    assert!(load_tokens(&store, &key).await.unwrap().is_some());
    assert_eq!(tokens.id_claims.sub.len(), 43, "a pairwise sub");
    assert_eq!(tokens.client_id.as_str(), WEB_CLIENT);
    // The listener was bound before the browser opened, on a real port, and the URL the browser got holds no
    // verifier.
    let Some(LoginEvent::Listening { redirect_uri }) = events.first() else {
        panic!("{events:?}")
    };
    assert_ne!(redirect_uri.url().port(), Some(0));
    assert!(
        matches!(events.get(1), Some(LoginEvent::BrowserOpened { .. })),
        "{events:?}"
    );
    assert!(events.contains(&LoginEvent::ExchangingCode));
    let opened = browser.opened.lock().unwrap()[0].clone();
    assert!(
        opened.as_str().contains("code_challenge=") && !opened.as_str().contains("code_verifier")
    );
    let (status, page) = first_final(&browser).await;
    assert_eq!(status, 200, "{page}");
}

/// A login whose callback the simulator forges: the error, and whether a code was exchanged.
async fn forged_callback(
    forgery: CallbackForgery,
) -> (Result<idporten_desktop::TokenSet, Error>, usize) {
    let provider = start_sim().await;
    let clock = clock();
    let client = listening_client(&provider, &clock).await;
    let (_dir, store, key) = temp_store(&provider);
    provider.faults().forge_next_callback(forgery);
    let options = ListenerOptions {
        timeout: Duration::from_secs(5),
        ..options()
    };
    let r = login(
        &client,
        &ScriptedBrowser::default(),
        &options,
        &store,
        &key,
        |_| {},
    )
    .await;
    assert!(
        store.load(&key).await.unwrap().is_none(),
        "nothing was stored"
    );
    (r, seen(&provider, "/token").len())
}

#[tokio::test]
async fn a_callback_without_iss_is_refused_when_the_provider_promises_it() {
    let (r, exchanged) = forged_callback(CallbackForgery::NoIss).await;
    assert!(
        matches!(r, Err(Error::CallbackIssuerMissing { .. })),
        "{r:?}"
    );
    assert_eq!(exchanged, 0, "the code was not exchanged");
}

#[tokio::test]
async fn a_callback_with_a_wrong_iss_is_refused() {
    let (r, exchanged) = forged_callback(CallbackForgery::WrongIss).await;
    assert!(
        matches!(&r, Err(Error::CallbackIssuerMismatch { found, .. }) if found == "https://not-the-issuer.example"),
        "{r:?}"
    );
    assert_eq!(exchanged, 0, "the code was not exchanged");
}

#[tokio::test]
async fn a_callback_with_a_foreign_state_ends_the_login() {
    let started = std::time::Instant::now();
    let (r, exchanged) = forged_callback(CallbackForgery::ForeignState).await;
    assert!(matches!(r, Err(Error::CallbackForeignState)), "{r:?}");
    assert_eq!(exchanged, 0, "the code was not exchanged");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "ended at once, not by the timeout"
    );
}

async fn logged_in(
    provider: &SimHandle,
    client: &Client,
) -> (
    tempfile::TempDir,
    FileTokenStore,
    StoreKey,
    idporten_desktop::TokenSet,
) {
    let (dir, store, key) = temp_store(provider);
    let tokens = login(
        client,
        &ScriptedBrowser::default(),
        &options(),
        &store,
        &key,
        |_| {},
    )
    .await
    .unwrap();
    (dir, store, key, tokens)
}

#[tokio::test]
async fn logout_revokes_ends_the_session_by_form_post_and_forgets() {
    let provider = start_sim().await;
    let clock = clock();
    let client = listening_client(&provider, &clock).await;
    let (_dir, store, key, tokens) = logged_in(&provider, &client).await;
    let browser = ScriptedBrowser::default();
    let outcome = logout(&client, &store, &key, &browser, &options(), false)
        .await
        .unwrap();
    assert!(outcome.was_logged_in && outcome.revoked, "{outcome:?}");
    assert!(outcome.not_revoked.is_empty(), "{outcome:?}");
    assert_eq!(outcome.end_session, EndSessionOutcome::Confirmed);
    // Both tokens were revoked by the web client (the simulator revokes the whole grant).
    let revocations = seen(&provider, "/revoke");
    assert_eq!(revocations.len(), 2, "{revocations:?}");
    assert!(revocations
        .iter()
        .all(|r| r.status == 200 && r.client_id.as_deref() == Some(WEB_CLIENT)));
    assert_eq!(provider.stats()["revocations"], 2);
    let userinfo = reqwest::Client::new()
        .get(format!("{}/userinfo", provider.issuer()))
        .bearer_auth(tokens.access_token.secret())
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status().as_u16(), 401, "the access token is dead");
    // The session was ended by a form POST (the ID token never in a URL), and the simulator confirmed it by
    // redirecting to the listener.
    let ended = seen(&provider, "/logout");
    assert_eq!(
        ended.iter().map(|r| r.method.as_str()).collect::<Vec<_>>(),
        ["POST"]
    );
    let id_token = tokens.id_token.secret();
    for url in browser.visited.lock().unwrap().iter() {
        assert!(
            !url.contains(id_token),
            "the ID token never appears in a URL: {url}"
        );
    }
    assert!(store.load(&key).await.unwrap().is_none());
}

#[tokio::test]
async fn local_logout_only_forgets() {
    let provider = start_sim().await;
    let clock = clock();
    let client = listening_client(&provider, &clock).await;
    let (_dir, store, key, _) = logged_in(&provider, &client).await;
    let outcome = logout(
        &client,
        &store,
        &key,
        &ScriptedBrowser::default(),
        &options(),
        true,
    )
    .await
    .unwrap();
    assert!(outcome.was_logged_in && !outcome.revoked);
    assert_eq!(outcome.end_session, EndSessionOutcome::Skipped);
    assert!(seen(&provider, "/revoke").is_empty());
    assert!(seen(&provider, "/logout").is_empty());
    assert!(store.load(&key).await.unwrap().is_none());
}

#[tokio::test]
async fn a_failed_revocation_keeps_the_tokens() {
    let provider = start_sim().await;
    let clock = clock();
    let client = listening_client(&provider, &clock).await;
    let (_dir, store, key, tokens) = logged_in(&provider, &client).await;
    provider.shutdown().await;
    let r = logout(
        &client,
        &store,
        &key,
        &ScriptedBrowser::default(),
        &options(),
        false,
    )
    .await;
    assert!(matches!(r, Err(Error::RevocationFailed { .. })), "{r:?}");
    assert!(r
        .unwrap_err()
        .to_string()
        .contains("only forget them on this computer"));
    assert_eq!(load_tokens(&store, &key).await.unwrap().unwrap(), tokens);
}

struct NoBrowser;

impl idporten_desktop::BrowserOpener for NoBrowser {
    fn open(&self, _url: &url::Url) -> Result<idporten_desktop::BrowserLaunch, Error> {
        Err(Error::BrowserNotOpened {
            reason: "no display".into(),
        })
    }
}

#[tokio::test]
async fn logout_without_a_browser_still_revokes_and_forgets() {
    let provider = start_sim().await;
    let clock = clock();
    let client = listening_client(&provider, &clock).await;
    let (_dir, store, key, _) = logged_in(&provider, &client).await;
    let outcome = logout(&client, &store, &key, &NoBrowser, &options(), false)
        .await
        .unwrap();
    assert!(outcome.revoked);
    assert!(
        matches!(outcome.end_session, EndSessionOutcome::NotConfirmed { .. }),
        "{outcome:?}"
    );
    assert!(store.load(&key).await.unwrap().is_none());
}

#[tokio::test]
async fn login_fails_before_the_browser_opens_when_the_port_is_taken() {
    let provider = start_sim().await;
    let clock = clock();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = config(&provider);
    config.redirect_uri = RedirectUri::parse(&format!(
        "http://127.0.0.1:{}/callback",
        taken.local_addr().unwrap().port()
    ))
    .unwrap();
    let client = Client::discover(config, seams(&clock)).await.unwrap();
    let browser = ScriptedBrowser::default();
    let (_dir, store, key) = temp_store(&provider);
    let r = login(&client, &browser, &options(), &store, &key, |_| {}).await;
    assert!(matches!(r, Err(Error::PortInUse { .. })), "{r:?}");
    assert!(
        browser.opened.lock().unwrap().is_empty(),
        "the browser was not opened"
    );
    assert_eq!(provider.stats()["authorize_requests"], 0);
}
