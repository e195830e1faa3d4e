//! Sessions in the OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows): service
//! `mva-idporten`, user = the key's hashed name. Locks are files in the token directory, shared with the file store.

use std::path::PathBuf;
use std::time::Duration;

use super::{lock, StoreKey, StoreLock, StoredSecret, TokenStore, DEFAULT_LOCK_TIMEOUT};
use crate::Error;

/// The keyring service under which sessions are kept.
pub const KEYRING_SERVICE: &str = "mva-idporten";

/// Keeps each session as one entry of the OS keyring.
#[derive(Debug, Clone)]
pub struct KeyringTokenStore {
    lock_dir: PathBuf,
    lock_timeout: Duration,
}

fn keyring_error(action: &str, e: keyring::Error) -> Error {
    Error::Keyring {
        action: action.to_string(),
        reason: e.to_string(),
    }
}

impl KeyringTokenStore {
    /// A keyring store whose lock files live in `lock_dir` (the token directory, created with mode 0700 on first
    /// lock).
    pub fn new(lock_dir: PathBuf) -> Self {
        Self {
            lock_dir,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// The same store with another wait for [`TokenStore::lock`] (30 s by default).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Whether a keyring can be reached on this machine: reading a probe entry answers "found" or "no entry" (a
    /// missing D-Bus session or Secret Service answers with a platform error).
    pub fn probe() -> bool {
        match keyring::Entry::new(KEYRING_SERVICE, "probe").and_then(|e| e.get_password()) {
            Ok(_) | Err(keyring::Error::NoEntry) => true,
            Err(e) => {
                tracing::debug!(error = %e, "no usable OS keyring; sessions go to files");
                false
            }
        }
    }

    fn entry(key: &StoreKey, action: &str) -> Result<keyring::Entry, Error> {
        keyring::Entry::new(KEYRING_SERVICE, &key.hashed_name())
            .map_err(|e| keyring_error(action, e))
    }
}

impl TokenStore for KeyringTokenStore {
    fn load(&self, key: &StoreKey) -> Result<Option<StoredSecret>, Error> {
        match Self::entry(key, "read a session")?.get_password() {
            Ok(text) => Ok(Some(StoredSecret::new(text))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(keyring::Error::BadEncoding(_)) => Err(Error::TokenStoreCorrupt {
                path: format!("keyring entry {KEYRING_SERVICE}/{}", key.hashed_name()),
                reason: "it is not UTF-8 text".to_string(),
            }),
            Err(e) => Err(keyring_error("read a session", e)),
        }
    }

    fn save(&self, key: &StoreKey, value: &StoredSecret) -> Result<(), Error> {
        Self::entry(key, "store a session")?
            .set_password(value.secret())
            .map_err(|e| keyring_error("store a session", e))
    }

    fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        match Self::entry(key, "delete a session")?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error("delete a session", e)),
        }
    }

    fn lock(&self, key: &StoreKey) -> Result<StoreLock, Error> {
        lock::acquire(&self.lock_dir, &key.hashed_name(), self.lock_timeout)
    }

    fn describe(&self) -> String {
        if cfg!(target_os = "macos") {
            "OS keyring (macOS Keychain)".to_string()
        } else if cfg!(windows) {
            "OS keyring (Windows Credential Manager)".to_string()
        } else {
            "OS keyring (Secret Service)".to_string()
        }
    }
}
