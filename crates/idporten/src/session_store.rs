//! The session-store seam: where a session's tokens are kept between uses, as one opaque secret text per (issuer,
//! client_id, profile), with a lock held while a refresh spends a one-time refresh token. [`crate::current_tokens`]
//! and the other flows need only this trait.
//!
//! The seam, [`TokenStore`], is async: a server implements it over its own networked store (Redis, a database)
//! and every wait (a round trip, a lock held by another instance) yields the task instead of blocking a thread.
//! A store whose operations are local and quick (files, the OS keyring) implements the synchronous
//! [`BlockingTokenStore`] instead and gets [`TokenStore`] for free: its lock wait, the only slow part, runs off the
//! async workers. The desktop crate (`idporten-desktop`) does the latter.

use sha2::{Digest, Sha256};
use std::any::Any;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::{ClientId, Error, Issuer};

/// Which session: one per issuer, client and profile.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StoreKey {
    /// The provider.
    pub issuer: Issuer,
    /// The integration.
    pub client_id: ClientId,
    /// A name for one of several sessions with the same integration (e.g. one per user); `"default"` by default.
    pub profile: String,
}

impl StoreKey {
    /// The key of the `"default"` profile.
    pub fn new(issuer: Issuer, client_id: ClientId) -> Self {
        Self {
            issuer,
            client_id,
            profile: "default".to_string(),
        }
    }

    /// The same key for another profile.
    pub fn with_profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = profile.into();
        self
    }

    /// The name under which the session is kept: the hex SHA-256 of `issuer \n client_id \n profile` (so that no
    /// issuer or client id appears in file names).
    pub fn hashed_name(&self) -> String {
        let digest = Sha256::digest(format!(
            "{}\n{}\n{}",
            self.issuer, self.client_id, self.profile
        ));
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A session as stored: an opaque secret text (the protocol side's JSON of its token set).
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSecret(String);

impl StoredSecret {
    /// Wraps the secret text.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret text itself. Never log it.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredSecret([redacted])")
    }
}

/// Keeps sessions between uses: the async seam the flows work with.
///
/// Implement it directly for a networked store; implement [`BlockingTokenStore`] for a local one.
///
/// ```
/// use idporten::{Error, StoreKey, StoreLock, StoredSecret, TokenStore};
/// use std::collections::HashMap;
/// use std::sync::{Arc, Mutex};
///
/// /// One process's sessions in memory; the lock is an async mutex per key.
/// #[derive(Default)]
/// struct MemoryTokens {
///     secrets: Mutex<HashMap<StoreKey, StoredSecret>>,
///     locks: Mutex<HashMap<StoreKey, Arc<tokio::sync::Mutex<()>>>>,
/// }
///
/// #[idporten::async_trait]
/// impl TokenStore for MemoryTokens {
///     async fn load(&self, key: &StoreKey) -> Result<Option<StoredSecret>, Error> {
///         Ok(self.secrets.lock().unwrap().get(key).cloned())
///     }
///     async fn save(&self, key: &StoreKey, value: &StoredSecret) -> Result<(), Error> {
///         self.secrets.lock().unwrap().insert(key.clone(), value.clone());
///         Ok(())
///     }
///     async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
///         self.secrets.lock().unwrap().remove(key);
///         Ok(())
///     }
///     async fn lock(&self, key: &StoreKey) -> Result<StoreLock, Error> {
///         let mutex = self.locks.lock().unwrap().entry(key.clone()).or_default().clone();
///         Ok(StoreLock::new(mutex.lock_owned().await))
///     }
///     fn describe(&self) -> String {
///         "memory".to_string()
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait TokenStore: Send + Sync {
    /// The stored session, or `None` when there is none.
    async fn load(&self, key: &StoreKey) -> Result<Option<StoredSecret>, Error>;
    /// Stores (replaces) the session, atomically: a reader sees the old or the new one, never a mix.
    async fn save(&self, key: &StoreKey, value: &StoredSecret) -> Result<(), Error>;
    /// Removes the session; removing nothing is fine.
    async fn delete(&self, key: &StoreKey) -> Result<(), Error>;
    /// An exclusive lock across processes (or instances) for this key, waiting a bounded time (then
    /// [`Error::StoreLockTimeout`]). Held while a refresh runs, so that two processes never spend a one-time
    /// refresh token twice.
    async fn lock(&self, key: &StoreKey) -> Result<StoreLock, Error>;
    /// Where the sessions are kept, for the user: e.g. `file /home/x/.config/mva/tokens`.
    fn describe(&self) -> String;
}

/// A local store whose operations are quick and synchronous (files, the OS keyring); it is a [`TokenStore`]
/// through a blanket implementation.
///
/// `load`, `save` and `delete` run on the calling task (they take microseconds); `lock`, which may wait for
/// another process, runs off the async workers (`block_in_place` on a multi-threaded runtime).
pub trait BlockingTokenStore: Send + Sync {
    /// The stored session, or `None` when there is none.
    fn load(&self, key: &StoreKey) -> Result<Option<StoredSecret>, Error>;
    /// Stores (replaces) the session, atomically: a reader sees the old or the new one, never a mix.
    fn save(&self, key: &StoreKey, value: &StoredSecret) -> Result<(), Error>;
    /// Removes the session; removing nothing is fine.
    fn delete(&self, key: &StoreKey) -> Result<(), Error>;
    /// An exclusive lock across processes for this key, waiting at most 30 s (then [`Error::StoreLockTimeout`]).
    /// The wait blocks the thread.
    fn lock(&self, key: &StoreKey) -> Result<StoreLock, Error>;
    /// Where the sessions are kept, for the user: e.g. `file /home/x/.config/mva/tokens`.
    fn describe(&self) -> String;
}

#[async_trait::async_trait]
impl<T: BlockingTokenStore> TokenStore for T {
    async fn load(&self, key: &StoreKey) -> Result<Option<StoredSecret>, Error> {
        BlockingTokenStore::load(self, key)
    }
    async fn save(&self, key: &StoreKey, value: &StoredSecret) -> Result<(), Error> {
        BlockingTokenStore::save(self, key, value)
    }
    async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        BlockingTokenStore::delete(self, key)
    }
    async fn lock(&self, key: &StoreKey) -> Result<StoreLock, Error> {
        let multi = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        if multi {
            tokio::task::block_in_place(|| BlockingTokenStore::lock(self, key))
        } else {
            BlockingTokenStore::lock(self, key)
        }
    }
    fn describe(&self) -> String {
        BlockingTokenStore::describe(self)
    }
}

/// An exclusive lock on one session, held until dropped: whatever guard the store uses (an OS file lock, ...).
pub struct StoreLock {
    _guard: Box<dyn Any + Send + Sync>,
    path: Option<PathBuf>,
}

impl StoreLock {
    /// Wraps the store's guard; the lock is released when the guard is dropped.
    pub fn new(guard: impl Any + Send + Sync) -> Self {
        Self {
            _guard: Box::new(guard),
            path: None,
        }
    }

    /// Wraps a guard that locks the file at `path`.
    pub fn with_path(guard: impl Any + Send + Sync, path: PathBuf) -> Self {
        Self {
            _guard: Box::new(guard),
            path: Some(path),
        }
    }

    /// The lock file, when the lock is one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

impl fmt::Debug for StoreLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreLock")
            .field("path", &self.path)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> StoreKey {
        StoreKey::new(
            Issuer::parse("https://test.idporten.no").unwrap(),
            ClientId::new("c"),
        )
    }

    #[test]
    fn names_are_hashes_that_hide_the_issuer() {
        let name = key().hashed_name();
        assert_eq!(name.len(), 64);
        assert!(name.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(name, key().with_profile("other").hashed_name());
        assert_eq!(
            format!("{:?}", StoredSecret::new("tok")),
            "StoredSecret([redacted])"
        );
    }
}
