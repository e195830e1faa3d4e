//! Refresh across instances: one-time refresh tokens are never spent twice.

use super::support::{instance, sample, RedisServer};
use redis::AsyncCommands;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::Barrier;
use web::{
    AccessToken, Limits, MemoryStore, ProviderFailure, RefreshError, RefreshOptions, RefreshToken,
    Refreshed, Session, SessionKeys, SessionStore, Sessions, Tokens,
};

/// A token endpoint with one-time refresh tokens that records every reuse of a spent token.
struct Provider {
    state: Mutex<ProviderState>,
    redemptions: AtomicUsize,
    delay: Duration,
}

struct ProviderState {
    current: String,
    spent: HashSet<String>,
    reused: Vec<String>,
}

impl Provider {
    fn new(first: &str, delay: Duration) -> Arc<Self> {
        let state = ProviderState {
            current: first.to_owned(),
            spent: HashSet::new(),
            reused: Vec::new(),
        };
        Arc::new(Self {
            state: Mutex::new(state),
            redemptions: AtomicUsize::new(0),
            delay,
        })
    }

    async fn redeem(self: Arc<Self>, tokens: Tokens) -> Result<Tokens, ProviderFailure<String>> {
        let token = tokens
            .refresh_token
            .expect("a refresh token")
            .secret()
            .to_owned();
        let n = self.redemptions.fetch_add(1, Ordering::SeqCst) + 1;
        {
            let mut state = self.state.lock().unwrap();
            if !state.spent.insert(token.clone()) || token != state.current {
                state.reused.push(token);
                return Err(ProviderFailure::MaybeSpent(
                    "invalid_grant: refresh token reused".into(),
                ));
            }
        }
        tokio::time::sleep(self.delay).await;
        let next = format!("rt-{n}");
        self.state.lock().unwrap().current = next.clone();
        Ok(Tokens {
            access_token: AccessToken::new(format!("at-{n}")),
            access_expires_at: OffsetDateTime::now_utc() + time::Duration::seconds(120),
            refresh_token: Some(RefreshToken::new(next)),
            ..tokens
        })
    }

    fn assert_never_reused(&self) {
        let reused = &self.state.lock().unwrap().reused;
        assert!(reused.is_empty(), "refresh tokens spent twice: {reused:?}");
    }

    fn redemptions(&self) -> usize {
        self.redemptions.load(Ordering::SeqCst)
    }
}

fn fast() -> RefreshOptions {
    RefreshOptions {
        poll: Duration::from_millis(5),
        ..RefreshOptions::default()
    }
}

/// Starts a session whose refresh token is `rt-0`.
async fn start(sessions: &Sessions) -> (Session, web::SessionRef) {
    let mut data = sample("race", Some("sid-race"));
    data.tokens.refresh_token = Some(RefreshToken::new("rt-0"));
    let (session, cookie) = sessions.create(data).await.unwrap();
    (session, sessions.open_cookie(cookie.secret()).unwrap())
}

async fn race(instances: Vec<Sessions>, rounds: usize) {
    let provider = Provider::new("rt-0", Duration::from_millis(2));
    let (_, reference) = start(&instances[0]).await;
    let barrier = Arc::new(Barrier::new(instances.len()));
    for round in 1..=rounds {
        let mut tasks = Vec::new();
        for sessions in &instances {
            let (sessions, provider, barrier, reference) = (
                sessions.clone(),
                provider.clone(),
                barrier.clone(),
                reference.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let session = sessions
                    .load(&reference)
                    .await
                    .unwrap()
                    .expect("session survives");
                barrier.wait().await;
                sessions
                    .refresh_once(&session, &fast(), |tokens| provider.redeem(tokens))
                    .await
            }));
        }
        let mut by_this = 0;
        let mut access = HashSet::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(Refreshed::ByThisInstance(s)) => {
                    by_this += 1;
                    access.insert(s.data.tokens.access_token.secret().to_owned());
                }
                Ok(Refreshed::ByAnother(s)) => {
                    access.insert(s.data.tokens.access_token.secret().to_owned());
                }
                other => panic!("round {round}: {other:?}"),
            }
        }
        provider.assert_never_reused();
        assert_eq!(by_this, 1, "round {round}: exactly one instance refreshes");
        assert_eq!(
            access,
            HashSet::from([format!("at-{round}")]),
            "round {round}: all see the new tokens"
        );
        assert_eq!(provider.redemptions(), round);
    }
    let last = instances[1]
        .load(&reference)
        .await
        .unwrap()
        .expect("the session survives");
    assert_eq!(
        last.data.tokens.refresh_token,
        Some(RefreshToken::new(format!("rt-{rounds}")))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_refreshing_at_once_spend_each_refresh_token_once_100_times() {
    let redis = RedisServer::start();
    let keys = SessionKeys::generate();
    let instances = (0..3)
        .map(|_| instance(&redis, &keys, Limits::default()))
        .collect();
    race(instances, 100).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_memory_store_also_refreshes_once() {
    let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
    let keys = SessionKeys::generate();
    let one = Sessions::new(store, keys, Limits::default());
    race(vec![one.clone(), one], 30).await;
}

/// Two instances, the first refreshing slower than `lock_ttl`; returns the lock's TTL seen mid-refresh.
async fn slow_refresh(options: RefreshOptions) -> (usize, Option<i64>) {
    let redis = RedisServer::start();
    let keys = SessionKeys::generate();
    let (a, b) = (
        instance(&redis, &keys, Limits::default()),
        instance(&redis, &keys, Limits::default()),
    );
    let provider = Provider::new("rt-0", Duration::from_millis(1_200));
    let (session, _) = start(&a).await;
    let lock_key = format!("mva:lock:{}", session.reference().id().storage_key());
    let first = {
        let (a, session, provider, options) = (
            a.clone(),
            session.clone(),
            provider.clone(),
            options.clone(),
        );
        tokio::spawn(async move {
            a.refresh_once(&session, &options, |t| provider.redeem(t))
                .await
        })
    };
    // The second instance reads the session as it is now, mid-refresh (claimed), and wants to refresh it too.
    let seen = loop {
        let seen = b.load(session.reference()).await.unwrap().unwrap();
        if seen.version() > session.version() {
            break seen;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let second = {
        let (provider, options) = (provider.clone(), options.clone());
        tokio::spawn(async move {
            b.refresh_once(&seen, &options, |t| provider.redeem(t))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(900)).await;
    let ttl: i64 = redis.raw().await.pttl(&lock_key).await.unwrap();
    let (first, second) = (first.await.unwrap(), second.await.unwrap());
    provider.assert_never_reused();
    let (first, second) = (first.unwrap(), second.unwrap());
    assert!(matches!(first, Refreshed::ByThisInstance(_)), "{first:?}");
    assert!(matches!(second, Refreshed::ByAnother(_)), "{second:?}");
    assert_eq!(
        second.session().data.tokens.access_token,
        AccessToken::new("at-1")
    );
    provider.assert_never_reused();
    (provider.redemptions(), (ttl > 0).then_some(ttl))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refresh_slower_than_the_lock_ttl_keeps_its_lock_by_renewal() {
    let options = RefreshOptions {
        lock_ttl: Duration::from_millis(300),
        renew_every: Duration::from_millis(100),
        wait: Duration::from_secs(5),
        ..fast()
    };
    let (redemptions, ttl) = slow_refresh(options).await;
    assert_eq!(redemptions, 1);
    assert!(
        ttl.is_some(),
        "the lock is still held 1 s into a refresh with a 0.3 s lock TTL"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_lock_still_never_double_spends() {
    // Renewal too late to help: the lock expires mid-refresh, the second instance takes it, and the claim in
    // the session is what stops it.
    let options = RefreshOptions {
        lock_ttl: Duration::from_millis(300),
        renew_every: Duration::from_secs(60),
        wait: Duration::from_secs(5),
        ..fast()
    };
    let (redemptions, _) = slow_refresh(options).await;
    assert_eq!(redemptions, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_dying_mid_refresh_leaves_a_token_no_one_spends_again() {
    let redis = RedisServer::start();
    let keys = SessionKeys::generate();
    let (a, b) = (
        instance(&redis, &keys, Limits::default()),
        instance(&redis, &keys, Limits::default()),
    );
    let provider = Provider::new("rt-0", Duration::from_secs(30));
    let (session, reference) = start(&a).await;
    let options = RefreshOptions {
        lock_ttl: Duration::from_millis(300),
        renew_every: Duration::from_millis(100),
        abandon_after: Duration::from_millis(800),
        wait: Duration::from_secs(3),
        ..fast()
    };
    // Instance A sends the token and "dies" (its future is dropped) before the answer.
    let dying = a.refresh_once(&session, &options, |t| provider.clone().redeem(t));
    assert!(tokio::time::timeout(Duration::from_millis(200), dying)
        .await
        .is_err());
    assert_eq!(provider.redemptions(), 1);

    let result = b
        .refresh_once(&session, &options, |t| provider.clone().redeem(t))
        .await;
    assert!(
        matches!(result, Err(RefreshError::NoRefreshToken)),
        "{result:?}"
    );
    provider.assert_never_reused();
    assert_eq!(
        provider.redemptions(),
        1,
        "B never sent the token A may have spent"
    );
    let after = b
        .load(&reference)
        .await
        .unwrap()
        .expect("the session lives on with its access token");
    assert_eq!(after.data.tokens.refresh_token, None);
    assert_eq!(
        after.data.tokens.access_token,
        session.data.tokens.access_token
    );
}

#[tokio::test]
async fn a_failed_refresh_keeps_or_drops_the_refresh_token_as_the_provider_says() {
    let redis = RedisServer::start();
    let sessions = instance(&redis, &SessionKeys::generate(), Limits::default());
    let (session, reference) = start(&sessions).await;

    let not_sent = sessions
        .refresh_once(&session, &fast(), |_| async {
            Err(ProviderFailure::NotSpent("connection refused".to_owned()))
        })
        .await;
    assert!(
        matches!(not_sent, Err(RefreshError::Provider(_))),
        "{not_sent:?}"
    );
    assert_eq!(
        not_sent.unwrap_err().status(),
        http::StatusCode::BAD_GATEWAY
    );
    let kept = sessions.load(&reference).await.unwrap().unwrap();
    assert_eq!(
        kept.data.tokens.refresh_token,
        Some(RefreshToken::new("rt-0")),
        "never sent: kept"
    );

    let provider = Provider::new("rt-0", Duration::ZERO);
    let ok = sessions
        .refresh_once(&kept, &fast(), |t| provider.clone().redeem(t))
        .await
        .unwrap();
    assert!(
        matches!(ok, Refreshed::ByThisInstance(_)),
        "and it still works"
    );

    let maybe = sessions
        .refresh_once(ok.session(), &fast(), |_| async {
            Err(ProviderFailure::MaybeSpent("answer lost".to_owned()))
        })
        .await;
    assert!(matches!(maybe, Err(RefreshError::Provider(_))), "{maybe:?}");
    let dropped = sessions.load(&reference).await.unwrap().unwrap();
    assert_eq!(
        dropped.data.tokens.refresh_token, None,
        "maybe spent: never sent again"
    );
    let again = sessions
        .refresh_once(&dropped, &fast(), |t| provider.clone().redeem(t))
        .await;
    assert!(
        matches!(again, Err(RefreshError::NoRefreshToken)),
        "{again:?}"
    );
    provider.assert_never_reused();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_waiter_uses_the_still_valid_token_or_says_busy_when_it_has_expired() {
    let redis = RedisServer::start();
    let keys = SessionKeys::generate();
    let (a, b) = (
        instance(&redis, &keys, Limits::default()),
        instance(&redis, &keys, Limits::default()),
    );
    let short_wait = RefreshOptions {
        wait: Duration::from_millis(300),
        ..fast()
    };
    for (expired, tag) in [(false, "valid"), (true, "expired")] {
        let mut data = sample(tag, None);
        data.tokens.refresh_token = Some(RefreshToken::new("rt-0"));
        if expired {
            data.tokens.access_expires_at = OffsetDateTime::now_utc() - time::Duration::seconds(1);
        }
        let (session, _) = a.create(data).await.unwrap();
        let provider = Provider::new("rt-0", Duration::from_secs(2));
        let slow = {
            let (a, session, provider) = (a.clone(), session.clone(), provider.clone());
            tokio::spawn(async move {
                a.refresh_once(&session, &fast(), |t| provider.redeem(t))
                    .await
            })
        };
        while provider.redemptions() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let waited = b
            .refresh_once(&session, &short_wait, |t| provider.clone().redeem(t))
            .await;
        match (expired, &waited) {
            (false, Ok(Refreshed::StillValid(s))) => {
                assert_eq!(s.data.tokens.access_token, session.data.tokens.access_token)
            }
            (true, Err(e @ RefreshError::Busy(_))) => {
                assert_eq!(e.status(), http::StatusCode::SERVICE_UNAVAILABLE)
            }
            _ => panic!("{tag}: {waited:?}"),
        }
        assert!(matches!(
            slow.await.unwrap(),
            Ok(Refreshed::ByThisInstance(_))
        ));
        assert_eq!(provider.redemptions(), 1);
        provider.assert_never_reused();
    }
}

#[tokio::test]
async fn a_change_that_leaves_the_tokens_alone_does_not_pass_for_a_refresh() {
    // The API keeps the Altinn token in the session, which changes its version but not its tokens: a refresh
    // that started from the session as read before must still refresh, not take the unchanged tokens as new.
    let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
    let sessions = Sessions::new(store, SessionKeys::generate(), Limits::default());
    let (before, _) = start(&sessions).await;
    let web::Saved::Written(bumped) = sessions.save(&before, before.data.clone()).await.unwrap()
    else {
        panic!("saved")
    };
    assert!(bumped.version() > before.version());
    let provider = Provider::new("rt-0", Duration::ZERO);
    let p = provider.clone();
    let refreshed = sessions
        .refresh_once(&before, &fast(), move |tokens| p.redeem(tokens))
        .await
        .unwrap();
    assert!(
        matches!(refreshed, Refreshed::ByThisInstance(_)),
        "{refreshed:?}"
    );
    assert_eq!(provider.redemptions(), 1);
    assert_eq!(
        refreshed.session().data.tokens.access_token.secret(),
        "at-1"
    );
}
