//! A valid access token now: from the store without any network when it is fresh, else refreshed under the
//! store's cross-process lock so that a one-time refresh token is spent once, whatever the number of processes.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};

use crate::flow::persist::{load_tokens, save_tokens};
use crate::flow::Client;
use crate::{Clock, Error, StoreKey, TokenSet, TokenStore, DEFAULT_REFRESH_MARGIN_SECS};

/// [`current_tokens_with_margin`] with the default margin of 30 s.
pub async fn current_tokens<F, Fut>(
    store: &dyn TokenStore,
    key: &StoreKey,
    clock: &dyn Clock,
    make_client: F,
) -> Result<TokenSet, Error>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Client, Error>>,
{
    current_tokens_with_margin(store, key, clock, DEFAULT_REFRESH_MARGIN_SECS, make_client).await
}

/// The stored session with an access token valid for more than `margin_secs`.
///
/// 1. Load; nothing stored: [`Error::NotLoggedIn`]. Fresh enough: return it (no network, no discovery).
/// 2. Else take the store's lock for the key (after an in-process lock, so tasks of one process queue without
///    blocking threads), and load AGAIN: another process may have refreshed meanwhile.
/// 3. Still stale: `make_client()` (discovery, normally from the disk cache), refresh, save, release.
///
/// Session over (the 8-hour cap, no refresh token) or the provider's `invalid_grant`: the stored tokens are deleted
/// and the answer is [`Error::SessionEnded`]. Any other failure (provider down, HTTP 500) leaves them stored.
pub async fn current_tokens_with_margin<F, Fut>(
    store: &dyn TokenStore,
    key: &StoreKey,
    clock: &dyn Clock,
    margin_secs: i64,
    make_client: F,
) -> Result<TokenSet, Error>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Client, Error>>,
{
    let tokens = load_or_not_logged_in(store, key)?;
    if !tokens.needs_refresh(clock.now(), margin_secs) {
        return Ok(tokens);
    }
    let local = local_lock(key);
    let _local = local.lock().await;
    let _lock = lock_blocking(store, key)?;
    let tokens = load_or_not_logged_in(store, key)?;
    let now = clock.now();
    if !tokens.needs_refresh(now, margin_secs) {
        return Ok(tokens);
    }
    if tokens.is_session_over(now) {
        store.delete(key)?;
        return Err(Error::SessionEnded);
    }
    let client = make_client().await?;
    match client.refresh(&tokens).await {
        Ok(fresh) => {
            save_tokens(store, key, &fresh)?;
            Ok(fresh)
        }
        Err(Error::SessionEnded) => {
            store.delete(key)?;
            Err(Error::SessionEnded)
        }
        Err(other) => Err(other),
    }
}

fn load_or_not_logged_in(store: &dyn TokenStore, key: &StoreKey) -> Result<TokenSet, Error> {
    load_tokens(store, key)?.ok_or_else(|| Error::NotLoggedIn {
        issuer: key.issuer.to_string(),
        client_id: key.client_id.to_string(),
    })
}

/// One async mutex per store key in this process.
fn local_lock(key: &StoreKey) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<StoreKey, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let mut map = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    map.entry(key.clone()).or_default().clone()
}

/// The store's lock blocks (up to its timeout) while another process holds it; on a multi-threaded runtime the
/// wait is moved off the async worker.
fn lock_blocking(store: &dyn TokenStore, key: &StoreKey) -> Result<crate::StoreLock, Error> {
    let multi = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi {
        tokio::task::block_in_place(|| store.lock(key))
    } else {
        store.lock(key)
    }
}
