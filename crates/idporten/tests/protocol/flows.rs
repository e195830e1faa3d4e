//! The flows with the real loopback listener and a scripted browser: login, logout.

use idporten::{
    load_tokens, login, logout, Client, EndSessionOutcome, Error, FileTokenStore, ListenerOptions,
    LoginEvent, RedirectUri, StoreKey, TokenStore,
};
use std::time::Duration;

use crate::common::{clock, config, seams};
use crate::provider::browser::ScriptedBrowser;
use crate::provider::{Knobs, Provider, CLIENT_ID};

fn options() -> ListenerOptions {
    ListenerOptions {
        timeout: Duration::from_secs(20),
        ..ListenerOptions::default()
    }
}

async fn listening_client(
    provider: &Provider,
    clock: &std::sync::Arc<idporten::ManualClock>,
) -> Client {
    let mut config = config(provider);
    config.redirect_uri = RedirectUri::parse("http://127.0.0.1:0/callback").unwrap();
    config.post_logout_redirect_uri =
        Some(RedirectUri::parse("http://127.0.0.1:0/logged-out").unwrap());
    Client::discover(config, seams(clock)).await.unwrap()
}

/// A private token store in a temporary directory, and the key of the test client's session.
fn temp_store(provider: &Provider) -> (tempfile::TempDir, FileTokenStore, StoreKey) {
    let dir = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(dir.path().join("tokens"));
    let key = StoreKey::new(provider.issuer(), idporten::ClientId::new(CLIENT_ID));
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
    let provider = Provider::start(Knobs::default()).await;
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
    assert!(load_tokens(&store, &key).unwrap().is_some());
    assert_eq!(tokens.id_claims.sub, "pairwise-sub-1");
    assert_eq!(tokens.client_id.as_str(), CLIENT_ID);
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

#[tokio::test]
async fn a_callback_without_iss_is_refused_when_the_provider_promises_it() {
    let provider = Provider::start(Knobs {
        iss_in_callback: false,
        advertise_iss: Some(true),
        ..Knobs::default()
    })
    .await;
    let clock = clock();
    let client = listening_client(&provider, &clock).await;
    let (_dir, store, key) = temp_store(&provider);
    let r = login(
        &client,
        &ScriptedBrowser::default(),
        &options(),
        &store,
        &key,
        |_| {},
    )
    .await;
    assert!(
        matches!(r, Err(Error::CallbackIssuerMissing { .. })),
        "{r:?}"
    );
    assert_eq!(
        Provider::count(&provider.seen().code_grants),
        0,
        "the code was not exchanged"
    );
}

async fn logged_in(
    provider: &Provider,
    client: &Client,
) -> (
    tempfile::TempDir,
    FileTokenStore,
    StoreKey,
    idporten::TokenSet,
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
    let provider = Provider::start(Knobs::default()).await;
    let clock = clock();
    let client = listening_client(&provider, &clock).await;
    let (_dir, store, key, tokens) = logged_in(&provider, &client).await;
    let browser = ScriptedBrowser::default();
    let outcome = logout(&client, &store, &key, &browser, &options(), false)
        .await
        .unwrap();
    assert!(outcome.was_logged_in && outcome.revoked);
    assert_eq!(outcome.end_session, EndSessionOutcome::Confirmed);
    let revoked = provider.seen().revocations.lock().unwrap().clone();
    let hints: Vec<&str> = revoked.iter().map(|(_, h)| h.as_str()).collect();
    assert_eq!(hints, ["refresh_token", "access_token"]);
    let ended = provider.seen().end_sessions.lock().unwrap().clone();
    assert!(ended[0].contains(&("id_token_hint".into(), tokens.id_token.secret().into())));
    let id_token = tokens.id_token.secret();
    for url in browser.visited.lock().unwrap().iter() {
        assert!(
            !url.contains(id_token),
            "the ID token never appears in a URL: {url}"
        );
    }
    assert!(store.load(&key).unwrap().is_none());
}

#[tokio::test]
async fn local_logout_only_forgets() {
    let provider = Provider::start(Knobs::default()).await;
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
    assert!(provider.seen().revocations.lock().unwrap().is_empty());
    assert!(store.load(&key).unwrap().is_none());
}

#[tokio::test]
async fn a_failed_revocation_keeps_the_tokens() {
    let mut provider = Provider::start(Knobs::default()).await;
    let clock = clock();
    let client = listening_client(&provider, &clock).await;
    let (_dir, store, key, tokens) = logged_in(&provider, &client).await;
    provider.stop().await;
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
    assert!(r.unwrap_err().to_string().contains("mva logout --local"));
    assert_eq!(load_tokens(&store, &key).unwrap().unwrap(), tokens);
}

struct NoBrowser;

impl idporten::BrowserOpener for NoBrowser {
    fn open(&self, _url: &url::Url) -> Result<idporten::BrowserLaunch, Error> {
        Err(Error::BrowserNotOpened {
            reason: "no display".into(),
        })
    }
}

#[tokio::test]
async fn logout_without_a_browser_still_revokes_and_forgets() {
    let provider = Provider::start(Knobs::default()).await;
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
    assert!(store.load(&key).unwrap().is_none());
}

#[tokio::test]
async fn login_fails_before_the_browser_opens_when_the_port_is_taken() {
    let provider = Provider::start(Knobs::default()).await;
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
    assert_eq!(Provider::count(&provider.seen().authorize), 0);
}
