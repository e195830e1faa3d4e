//! Refresh: rotation, reuse, checks on the refreshed ID token, and `current_tokens` with a real file store.

use idporten_desktop::{
    current_tokens, load_tokens, save_tokens, Client, Error, FileTokenStore, StoreKey, TokenSet,
    TokenStore,
};
use serde_json::json;
use std::sync::Arc;

use crate::common::{client, clock, config, login, seams};
use crate::provider::{Forge, Knobs, Provider};

#[tokio::test]
async fn one_time_refresh_tokens_rotate_and_the_old_one_is_dead() {
    let provider = Provider::start(Knobs::default()).await;
    let clock = clock();
    let client = client(&provider, &clock).await;
    let first = login(&client).await.unwrap();
    clock.advance(100);
    let second = client.refresh(&first).await.unwrap();
    assert_ne!(second.refresh_token, first.refresh_token, "rotated");
    assert_ne!(second.access_token, first.access_token);
    assert_eq!(second.access_expires_at, clock_now(&clock) + 120);
    assert_eq!(second.id_claims.sub, first.id_claims.sub);
    assert_eq!(
        second.session_expires_at, first.session_expires_at,
        "the 8-hour cap does not move"
    );
    // Spending the old one-time token again: the provider says invalid_grant, we say the session ended.
    let r = client.refresh(&first).await;
    assert!(matches!(r, Err(Error::SessionEnded)), "{r:?}");
}

fn clock_now(clock: &Arc<idporten_desktop::ManualClock>) -> i64 {
    idporten_desktop::Clock::now(clock.as_ref())
}

#[tokio::test]
async fn reusable_refresh_tokens_are_kept() {
    let provider = Provider::start(Knobs {
        one_time_refresh: false,
        ..Knobs::default()
    })
    .await;
    let clock = clock();
    let client = client(&provider, &clock).await;
    let first = login(&client).await.unwrap();
    let second = client.refresh(&first).await.unwrap();
    assert_eq!(second.refresh_token, first.refresh_token);
    let third = client.refresh(&second).await.unwrap();
    assert_eq!(third.refresh_token, first.refresh_token);
    assert_eq!(Provider::count(&provider.seen().refreshes), 2);
}

#[tokio::test]
async fn a_refresh_that_changes_sub_is_refused() {
    let provider = Provider::start(Knobs {
        forge: Forge::set("sub", json!("another-person")),
        forge_refresh_only: true,
        ..Knobs::default()
    })
    .await;
    let clock = clock();
    let client = client(&provider, &clock).await;
    let first = login(&client).await.unwrap();
    let r = client.refresh(&first).await;
    assert!(
        matches!(&r, Err(Error::RefreshedIdTokenMismatch { claim }) if claim == "sub"),
        "{r:?}"
    );
}

struct Stored {
    provider: Provider,
    clock: Arc<idporten_desktop::ManualClock>,
    store: FileTokenStore,
    key: StoreKey,
    tokens: TokenSet,
    _dir: tempfile::TempDir,
}

async fn logged_in(knobs: Knobs) -> Stored {
    let provider = Provider::start(knobs).await;
    let clock = clock();
    let client = client(&provider, &clock).await;
    let tokens = login(&client).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(dir.path().join("tokens"));
    let key = StoreKey::new(
        provider.issuer(),
        idporten_desktop::ClientId::new(crate::provider::CLIENT_ID),
    );
    save_tokens(&store, &key, &tokens).await.unwrap();
    Stored {
        provider,
        clock,
        store,
        key,
        tokens,
        _dir: dir,
    }
}

impl Stored {
    async fn current(&self) -> Result<TokenSet, Error> {
        let config = config(&self.provider);
        let seams = seams(&self.clock);
        current_tokens(&self.store, &self.key, self.clock.as_ref(), move || {
            Client::discover(config, seams)
        })
        .await
    }
}

#[tokio::test]
async fn a_fresh_token_comes_from_the_store_without_network() {
    let mut s = logged_in(Knobs::default()).await;
    s.provider.stop().await;
    let tokens = current_tokens(&s.store, &s.key, s.clock.as_ref(), || async {
        Err::<Client, Error>(Error::SessionEnded)
    })
    .await
    .unwrap();
    assert_eq!(tokens, s.tokens);
}

#[tokio::test]
async fn a_stale_token_is_refreshed_and_saved() {
    let s = logged_in(Knobs::default()).await;
    s.clock.advance(95); // 25 s left: inside the 30 s margin
    let fresh = s.current().await.unwrap();
    assert_ne!(fresh.access_token, s.tokens.access_token);
    assert_eq!(load_tokens(&s.store, &s.key).await.unwrap().unwrap(), fresh);
    assert_eq!(Provider::count(&s.provider.seen().refreshes), 1);
    // Fresh now: the next call does not refresh.
    s.current().await.unwrap();
    assert_eq!(Provider::count(&s.provider.seen().refreshes), 1);
}

#[tokio::test]
async fn invalid_grant_ends_the_session_and_deletes_the_tokens() {
    let s = logged_in(Knobs::default()).await;
    s.provider.inner.refresh_tokens.lock().unwrap().clear(); // the grant was revoked elsewhere
    s.clock.advance(200);
    let r = s.current().await;
    assert!(matches!(r, Err(Error::SessionEnded)), "{r:?}");
    assert!(
        s.store.load(&s.key).await.unwrap().is_none(),
        "tokens deleted"
    );
    let r = s.current().await;
    assert!(matches!(r, Err(Error::NotLoggedIn { .. })), "{r:?}");
}

#[tokio::test]
async fn the_8_hour_cap_ends_the_session_without_asking_the_provider() {
    let s = logged_in(Knobs::default()).await;
    s.clock.advance(8 * 3600);
    let r = s.current().await;
    assert!(matches!(r, Err(Error::SessionEnded)), "{r:?}");
    assert_eq!(Provider::count(&s.provider.seen().refreshes), 0);
    assert!(s.store.load(&s.key).await.unwrap().is_none());
}

#[tokio::test]
async fn http_500_during_refresh_keeps_the_tokens() {
    let s = logged_in(Knobs::default()).await;
    s.provider.knobs().token_status = Some(500);
    s.clock.advance(200);
    let r = s.current().await;
    assert!(
        matches!(r, Err(Error::ProviderStatus { status: 500, .. })),
        "{r:?}"
    );
    assert_eq!(
        load_tokens(&s.store, &s.key).await.unwrap().unwrap(),
        s.tokens,
        "no lost data"
    );
}

#[tokio::test]
async fn provider_down_during_refresh_keeps_the_tokens() {
    let mut s = logged_in(Knobs::default()).await;
    // Discovery comes from the disk cache, so the failure is the refresh itself.
    let cache = s._dir.path().join("cache");
    let cached_seams = idporten_desktop::Seams {
        cache_dir: Some(cache.clone()),
        ..seams(&s.clock)
    };
    Client::discover(config(&s.provider), cached_seams.clone())
        .await
        .unwrap();
    s.provider.stop().await;
    s.clock.advance(200);
    let config = config(&s.provider);
    let r = current_tokens(&s.store, &s.key, s.clock.as_ref(), move || {
        Client::discover(config, cached_seams)
    })
    .await;
    // The keys are fetched before the refresh token is spent: that is where the unreachable provider shows.
    assert!(matches!(r, Err(Error::ProviderUnreachable { .. })), "{r:?}");
    assert_eq!(
        load_tokens(&s.store, &s.key).await.unwrap().unwrap(),
        s.tokens,
        "no lost data"
    );
}

#[tokio::test]
async fn without_refresh_token_an_expired_session_ends() {
    let s = logged_in(Knobs {
        issue_refresh_tokens: false,
        ..Knobs::default()
    })
    .await;
    s.clock.advance(121);
    let r = s.current().await;
    assert!(matches!(r, Err(Error::SessionEnded)), "{r:?}");
}

#[tokio::test]
async fn concurrent_tasks_in_one_process_refresh_once() {
    let s = Arc::new(
        logged_in(Knobs {
            refresh_delay_ms: 200,
            ..Knobs::default()
        })
        .await,
    );
    s.clock.advance(100);
    let mut tasks = vec![];
    for _ in 0..8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.current().await.map(|t| t.access_token)
        }));
    }
    let mut tokens = vec![];
    for t in tasks {
        tokens.push(t.await.unwrap().unwrap());
    }
    assert!(
        tokens.windows(2).all(|w| w[0] == w[1]),
        "everyone got the same fresh token"
    );
    assert_eq!(Provider::count(&s.provider.seen().refreshes), 1);
}

#[tokio::test]
async fn tokens_stored_for_another_client_are_refused() {
    let s = logged_in(Knobs::default()).await;
    let other = StoreKey::new(
        s.provider.issuer(),
        idporten_desktop::ClientId::new("another-client"),
    );
    // Simulate a mix-up: the secret of one key saved under another.
    let secret = s.store.load(&s.key).await.unwrap().unwrap();
    s.store.save(&other, &secret).await.unwrap();
    let r = load_tokens(&s.store, &other).await;
    assert!(matches!(r, Err(Error::StoredTokensCorrupt { .. })), "{r:?}");
}
