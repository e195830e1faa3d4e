//! The session-store seam is async: a networked store (here an in-memory one whose every call waits like a round
//! trip, and whose lock is an async mutex) drives `current_tokens` on ONE thread, with many tasks at once and a
//! lock held elsewhere, without blocking that thread and without spending a one-time refresh token twice.

use idporten_desktop::{
    current_tokens, BlockingTokenStore, Client, Error, StoreKey, StoreLock, StoredSecret,
    TokenStore,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::sim_session::{config, seams, SimSession};

/// Sessions in memory, each call taking 2 ms as a round trip to Redis would; one async mutex per key as its lock.
#[derive(Default)]
struct NetworkedStore {
    secrets: Mutex<HashMap<StoreKey, StoredSecret>>,
    locks: Mutex<HashMap<StoreKey, Arc<tokio::sync::Mutex<()>>>>,
}

impl NetworkedStore {
    async fn round_trip() {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }

    fn lock_of(&self, key: &StoreKey) -> Arc<tokio::sync::Mutex<()>> {
        self.locks
            .lock()
            .unwrap()
            .entry(key.clone())
            .or_default()
            .clone()
    }
}

#[idporten_desktop::async_trait]
impl TokenStore for NetworkedStore {
    async fn load(&self, key: &StoreKey) -> Result<Option<StoredSecret>, Error> {
        Self::round_trip().await;
        Ok(self.secrets.lock().unwrap().get(key).cloned())
    }
    async fn save(&self, key: &StoreKey, value: &StoredSecret) -> Result<(), Error> {
        Self::round_trip().await;
        self.secrets
            .lock()
            .unwrap()
            .insert(key.clone(), value.clone());
        Ok(())
    }
    async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        Self::round_trip().await;
        self.secrets.lock().unwrap().remove(key);
        Ok(())
    }
    async fn lock(&self, key: &StoreKey) -> Result<StoreLock, Error> {
        Self::round_trip().await;
        Ok(StoreLock::new(self.lock_of(key).lock_owned().await))
    }
    fn describe(&self) -> String {
        "networked (test)".into()
    }
}

/// The logged-in session moved into a [`NetworkedStore`].
async fn networked(s: &SimSession) -> NetworkedStore {
    let store = NetworkedStore::default();
    let secret = BlockingTokenStore::load(&s.store, &s.key).unwrap().unwrap();
    TokenStore::save(&store, &s.key, &secret).await.unwrap();
    store
}

// `#[tokio::test]` runs on a current-thread runtime: one thread for every task below.
#[tokio::test]
async fn many_tasks_on_one_thread_refresh_once_through_an_async_store() {
    let s = SimSession::logged_in().await;
    let store = networked(&s).await;
    s.expire_access_token();
    let before = s.sim.stats()["refreshes"];
    let task = || {
        current_tokens(&store, &s.key, s.clock.as_ref(), || {
            Client::discover(config(&s.sim), seams(&s.clock))
        })
    };
    let (a, b, c, d, e, f, g, h) = tokio::join!(
        task(),
        task(),
        task(),
        task(),
        task(),
        task(),
        task(),
        task()
    );
    let tokens: Vec<_> = [a, b, c, d, e, f, g, h]
        .into_iter()
        .map(|r| r.expect("a token"))
        .collect();
    assert_eq!(
        s.sim.stats()["refreshes"],
        before + 1,
        "one refresh for eight tasks"
    );
    assert!(
        tokens.windows(2).all(|w| w[0] == w[1]),
        "all got the same tokens"
    );
    let stored = TokenStore::load(&store, &s.key).await.unwrap().unwrap();
    assert!(stored.secret().contains(tokens[0].access_token.secret()));
}

#[tokio::test]
async fn waiting_for_the_stores_lock_does_not_block_the_thread() {
    let s = SimSession::logged_in().await;
    let store = networked(&s).await;
    s.expire_access_token();
    // Another instance holds the session's lock for 300 ms.
    let held = store.lock_of(&s.key).lock_owned().await;
    let ticks = Arc::new(AtomicU64::new(0));
    let ticker = {
        let ticks = ticks.clone();
        async move {
            for _ in 0..20 {
                tokio::time::sleep(Duration::from_millis(10)).await;
                ticks.fetch_add(1, Ordering::SeqCst);
            }
        }
    };
    let release = async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(held);
    };
    let refresh = current_tokens(&store, &s.key, s.clock.as_ref(), || {
        Client::discover(config(&s.sim), seams(&s.clock))
    });
    let (result, (), ()) = tokio::join!(refresh, ticker, release);
    result.expect("a token once the lock is released");
    // A blocking lock wait would have frozen the only thread: no tick, and the release would never run.
    assert_eq!(ticks.load(Ordering::SeqCst), 20);
}
