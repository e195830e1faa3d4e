//! A session survives what can go wrong around a refresh (against the simulator): the JWKS failing after the
//! refresh token was spent, a clock that is off, a store that fails once; and logins, logouts and refreshes of
//! several tasks at once never bring back an old or a logged-out session.

use idporten_desktop::{
    logout, save_tokens, BlockingTokenStore, BrowserLaunch, BrowserOpener, Client, Error,
    ListenerOptions, StoreKey, StoreLock, StoredSecret, TokenSet,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::sim_session::{headless_login, SimSession};

fn refreshes(s: &SimSession) -> u64 {
    s.sim.stats()["refreshes"]
}

/// After a failure, the stored session still works: the next call gives a token, and a refresh after that works.
async fn the_session_still_works(s: &SimSession) {
    let next = s.current().await.expect("the next call works");
    assert_eq!(Some(&next), s.stored().as_ref());
    s.expire_access_token();
    let before = refreshes(s);
    let later = s
        .current()
        .await
        .expect("the saved refresh token is the live one");
    assert_eq!(refreshes(s), before + 1);
    assert_ne!(later.refresh_token, next.refresh_token, "rotated again");
}

#[tokio::test]
async fn the_jwks_failing_after_the_refresh_keeps_the_new_tokens() {
    let s = SimSession::logged_in().await;
    let old = s.stored().unwrap();
    // This process holds the keys from before a rotation; the refreshed ID token is signed with a new key and
    // the refetch of the JWKS answers 503.
    let client = s.client().await;
    client.jwks().ensure_loaded().await.unwrap();
    s.sim.rotate_keys().await.unwrap();
    s.sim.faults().fail_next("jwks", 503, 1).unwrap();
    s.expire_access_token();
    let r = idporten_desktop::current_tokens(&s.store, &s.key, s.clock.as_ref(), || async {
        Ok::<Client, Error>(client)
    })
    .await;
    assert!(
        matches!(r, Err(Error::ProviderStatus { status: 503, .. })),
        "{r:?}"
    );
    let stored = s.stored().expect("the session is still stored");
    assert_ne!(
        stored.refresh_token, old.refresh_token,
        "the successor is stored"
    );
    assert_eq!(
        stored.id_token, old.id_token,
        "with the previous, checked ID token"
    );
    the_session_still_works(&s).await;
}

#[tokio::test]
async fn the_jwks_failing_before_the_refresh_spends_nothing() {
    let s = SimSession::logged_in().await;
    let old = s.stored().unwrap();
    s.sim.faults().fail_next("jwks", 503, 1).unwrap();
    s.expire_access_token();
    let r = s.current().await;
    assert!(
        matches!(r, Err(Error::ProviderStatus { status: 503, .. })),
        "{r:?}"
    );
    assert_eq!(
        refreshes(&s),
        0,
        "the keys are fetched before the refresh token is spent"
    );
    assert_eq!(s.stored(), Some(old));
    the_session_still_works(&s).await;
}

#[tokio::test]
async fn a_clock_90_seconds_off_keeps_the_new_tokens() {
    let s = SimSession::logged_in().await;
    let old = s.stored().unwrap();
    s.expire_access_token();
    // The provider's clock runs 90 s ahead of ours: the refreshed ID token is issued "in the future".
    s.sim.clock().advance(90);
    let r = s.current().await;
    assert!(
        matches!(r, Err(Error::IdTokenIssuedInFuture { .. })),
        "{r:?}"
    );
    let stored = s.stored().expect("the session is still stored");
    assert_ne!(
        stored.refresh_token, old.refresh_token,
        "the successor is stored"
    );
    // The next call uses the stored access token; once the clocks agree again, refreshing works.
    let next = s.current().await.expect("the next call works");
    assert_eq!(next, stored);
    s.sim.clock().advance(-90);
    the_session_still_works(&s).await;
}

/// A file store whose next save fails once when armed.
struct FailsOnce {
    inner: idporten_desktop::FileTokenStore,
    armed: AtomicBool,
}

impl BlockingTokenStore for FailsOnce {
    fn load(&self, key: &StoreKey) -> Result<Option<StoredSecret>, Error> {
        BlockingTokenStore::load(&self.inner, key)
    }
    fn save(&self, key: &StoreKey, value: &StoredSecret) -> Result<(), Error> {
        if self.armed.swap(false, Ordering::SeqCst) {
            return Err(Error::TokenStoreIo {
                action: "write".into(),
                path: "test".into(),
                reason: "disk full (injected)".into(),
            });
        }
        BlockingTokenStore::save(&self.inner, key, value)
    }
    fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        BlockingTokenStore::delete(&self.inner, key)
    }
    fn lock(&self, key: &StoreKey) -> Result<StoreLock, Error> {
        BlockingTokenStore::lock(&self.inner, key)
    }
    fn describe(&self) -> String {
        BlockingTokenStore::describe(&self.inner)
    }
}

#[tokio::test]
async fn a_save_that_fails_once_loses_nothing() {
    let s = SimSession::logged_in().await;
    let old = s.stored().unwrap();
    let store = FailsOnce {
        inner: s.store.clone(),
        armed: AtomicBool::new(true),
    };
    s.expire_access_token();
    let fresh = s.current_in(&store).await.expect("the save is tried again");
    assert!(
        !store.armed.load(Ordering::SeqCst),
        "the save did fail once"
    );
    assert_ne!(fresh.refresh_token, old.refresh_token);
    assert_eq!(s.stored(), Some(fresh));
    the_session_still_works(&s).await;
}

/// A browser that cannot be opened (the end-session step then reports it and the logout goes on).
struct NoBrowser;

impl BrowserOpener for NoBrowser {
    fn open(&self, _url: &url::Url) -> Result<BrowserLaunch, Error> {
        Err(Error::BrowserNotOpened {
            reason: "no browser in tests".into(),
        })
    }
}

/// A refresh whose token request takes 1.5 s, started in the background.
async fn slow_refresh(
    s: &std::sync::Arc<SimSession>,
) -> tokio::task::JoinHandle<Result<TokenSet, Error>> {
    s.sim.faults().delay_next("token", 1500, 1).unwrap();
    s.expire_access_token();
    let task = {
        let s = s.clone();
        tokio::spawn(async move { s.current().await })
    };
    // Until the refresh token is on its way.
    for _ in 0..100 {
        if s.sim.stats()["token_requests"] > 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    task
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_during_a_refresh_stays_logged_out() {
    let s = std::sync::Arc::new(SimSession::logged_in().await);
    let refresh = slow_refresh(&s).await;
    let client = s.client().await;
    let outcome = logout(
        &client,
        &s.store,
        &s.key,
        &NoBrowser,
        &ListenerOptions::default(),
        false,
    )
    .await
    .unwrap();
    assert!(outcome.was_logged_in && outcome.revoked, "{outcome:?}");
    let refreshed = refresh.await.unwrap();
    assert!(refreshed.is_ok(), "{refreshed:?}");
    assert_eq!(
        s.stored(),
        None,
        "the refresh did not bring the session back"
    );
    let r = s.current().await;
    assert!(matches!(r, Err(Error::NotLoggedIn { .. })), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_during_a_refresh_is_not_overwritten_by_it() {
    let s = std::sync::Arc::new(SimSession::logged_in().await);
    let client = s.client().await;
    let new_login = headless_login(&client).await.unwrap();
    let refresh = slow_refresh(&s).await;
    save_tokens(&s.store, &s.key, &new_login).await.unwrap();
    refresh.await.unwrap().unwrap();
    assert_eq!(
        s.stored().map(|t| t.access_token),
        Some(new_login.access_token),
        "the later login is what stays stored"
    );
}

#[tokio::test]
async fn a_token_the_provider_will_not_revoke_does_not_stop_the_logout() {
    let s = SimSession::logged_in().await;
    // The first revocation (the refresh token) is refused; the access token is still revoked.
    s.sim.faults().fail_next("revoke", 400, 1).unwrap();
    let client = s.client().await;
    let outcome = logout(
        &client,
        &s.store,
        &s.key,
        &NoBrowser,
        &ListenerOptions::default(),
        false,
    )
    .await
    .unwrap();
    assert!(outcome.was_logged_in && outcome.revoked, "{outcome:?}");
    assert_eq!(outcome.not_revoked.len(), 1, "{outcome:?}");
    assert_eq!(
        outcome.not_revoked[0].token,
        idporten_desktop::refresh::TokenKind::RefreshToken
    );
    assert!(
        outcome.not_revoked[0].to_string().contains("refresh token"),
        "{}",
        outcome.not_revoked[0]
    );
    assert_eq!(s.stored(), None, "the session is forgotten");
    assert_eq!(
        s.sim.stats()["revocations"],
        1,
        "the access token was revoked"
    );
}

#[tokio::test]
async fn only_a_network_failure_keeps_the_tokens_for_another_logout() {
    let s = SimSession::logged_in().await;
    let before = s.stored();
    s.sim.faults().drop_next("revoke", 1).unwrap();
    let client = s.client().await;
    let r = logout(
        &client,
        &s.store,
        &s.key,
        &NoBrowser,
        &ListenerOptions::default(),
        false,
    )
    .await;
    assert!(matches!(r, Err(Error::RevocationFailed { .. })), "{r:?}");
    assert_eq!(s.stored(), before, "kept for a retry");
    let outcome = logout(
        &client,
        &s.store,
        &s.key,
        &NoBrowser,
        &ListenerOptions::default(),
        false,
    )
    .await
    .unwrap();
    assert!(
        outcome.revoked && outcome.not_revoked.is_empty(),
        "{outcome:?}"
    );
    assert_eq!(s.stored(), None);
}

/// The session's file store with a lock that locks nothing (another key's lock): a writer that ignores the lock,
/// as an older version of mva would be.
struct LockIgnored(idporten_desktop::FileTokenStore);

impl BlockingTokenStore for LockIgnored {
    fn load(&self, key: &StoreKey) -> Result<Option<StoredSecret>, Error> {
        BlockingTokenStore::load(&self.0, key)
    }
    fn save(&self, key: &StoreKey, value: &StoredSecret) -> Result<(), Error> {
        BlockingTokenStore::save(&self.0, key, value)
    }
    fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        BlockingTokenStore::delete(&self.0, key)
    }
    fn lock(&self, key: &StoreKey) -> Result<StoreLock, Error> {
        BlockingTokenStore::lock(
            &self.0,
            &key.clone()
                .with_profile(format!("unrelated-{}", rand_suffix())),
        )
    }
    fn describe(&self) -> String {
        BlockingTokenStore::describe(&self.0)
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::AtomicU64;
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_writes_back_only_over_the_refresh_token_it_spent() {
    let s = std::sync::Arc::new(SimSession::logged_in().await);
    s.expire_access_token();
    let client = s.client().await;
    let new_login = headless_login(&client).await.unwrap();
    s.sim.faults().delay_next("token", 1500, 1).unwrap();
    let refresh = {
        let s = s.clone();
        tokio::spawn(async move { s.current_in(&LockIgnored(s.store.clone())).await })
    };
    for _ in 0..100 {
        if s.sim.stats()["token_requests"] > 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A login that takes no lock stores its session while the refresh is in flight.
    save_tokens(&LockIgnored(s.store.clone()), &s.key, &new_login)
        .await
        .unwrap();
    let answer = refresh.await.unwrap().unwrap();
    assert_eq!(
        answer.access_token, new_login.access_token,
        "the refresh answers what is stored"
    );
    assert_eq!(
        s.stored().map(|t| t.access_token),
        Some(new_login.access_token),
        "compare-and-set: the refresh did not overwrite the login"
    );
}
