//! The lock of one session while it is read and written: an async mutex per key in this process (so tasks queue
//! without blocking threads), then the store's cross-process lock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::{Error, StoreKey, StoreLock, TokenStore};

/// Held while a session is read, changed and written back; released when dropped (the store's lock first).
pub struct SessionLock {
    _store: StoreLock,
    _local: tokio::sync::OwnedMutexGuard<()>,
}

/// Takes the session's lock: in-process first, then across processes (waiting up to the store's timeout).
pub async fn lock_session(store: &dyn TokenStore, key: &StoreKey) -> Result<SessionLock, Error> {
    let local = local_lock(key).lock_owned().await;
    let store_lock = store.lock(key).await?;
    Ok(SessionLock {
        _store: store_lock,
        _local: local,
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
