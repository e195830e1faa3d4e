//! Sessions under a key in the OS keyring: each session is a file in the token directory, sealed with
//! XChaCha20-Poly1305 under a random key of its own that is kept in the keyring (service `mva-idporten`, user = the
//! key's hashed name). A session is 5-8 KB, more than some keyrings hold (Windows Credential Manager: at most 2,560
//! bytes); the key is 49 characters, so every platform works alike. Without the keyring entry the file cannot be
//! read; deleting a session removes both. Locks are files in the token directory, shared with the file store.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::seal::SessionKey;
use super::FileTokenStore;
use idporten::{BlockingTokenStore, Error, StoreKey, StoreLock, StoredSecret};

/// The keyring service under which the sessions' keys are kept.
pub const KEYRING_SERVICE: &str = "mva-idporten";

/// Where [`KeyringTokenStore`] keeps each session's key: one small secret text per name, as an OS keyring holds
/// them. [`OsKeyring`] is the real one; tests and other platforms' keyrings implement it too.
pub trait KeyringBackend: Send + Sync {
    /// The secret under `name`, or `None`.
    fn get(&self, name: &str) -> Result<Option<String>, Error>;
    /// Stores (replaces) the secret under `name`.
    fn set(&self, name: &str, secret: &str) -> Result<(), Error>;
    /// Removes the secret under `name`; removing nothing is fine.
    fn delete(&self, name: &str) -> Result<(), Error>;
    /// The keyring, for the user (e.g. `OS keyring (Secret Service)`).
    fn describe(&self) -> String;
}

/// Keeps each session in a sealed file whose key is in a keyring.
#[derive(Clone)]
pub struct KeyringTokenStore {
    files: FileTokenStore,
    backend: Arc<dyn KeyringBackend>,
}

impl std::fmt::Debug for KeyringTokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringTokenStore")
            .field("dir", &self.files.dir())
            .field("keyring", &self.backend.describe())
            .finish()
    }
}

impl KeyringTokenStore {
    /// A store with the OS keyring, its sealed files and lock files in `dir` (the token directory, created with
    /// mode 0700 when first used).
    #[cfg(feature = "keyring")]
    pub fn new(dir: PathBuf) -> Self {
        Self::with_backend(dir, Arc::new(OsKeyring))
    }

    /// A store whose keys are kept in `backend`.
    pub fn with_backend(dir: PathBuf, backend: Arc<dyn KeyringBackend>) -> Self {
        Self {
            files: FileTokenStore::new(dir).with_extension("sealed"),
            backend,
        }
    }

    /// The same store with another wait for [`BlockingTokenStore::lock`] (30 s by default).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.files = self.files.with_lock_timeout(timeout);
        self
    }

    /// The sealed file of a session.
    pub fn path_of(&self, key: &StoreKey) -> PathBuf {
        self.files.path_of(key)
    }

    /// Whether the OS keyring can be reached on this machine (see [`OsKeyring::probe`]).
    #[cfg(feature = "keyring")]
    pub fn probe() -> bool {
        OsKeyring::probe()
    }

    fn corrupt(&self, key: &StoreKey, reason: &str) -> Error {
        Error::TokenStoreCorrupt {
            path: self.files.path_of(key).display().to_string(),
            reason: reason.to_string(),
        }
    }
}

impl BlockingTokenStore for KeyringTokenStore {
    fn load(&self, key: &StoreKey) -> Result<Option<StoredSecret>, Error> {
        let name = key.hashed_name();
        let entry = self.backend.get(&name)?;
        let sealed = self.files.load(key)?;
        let (entry, sealed) = match (entry, sealed) {
            (None, None) => return Ok(None),
            (Some(entry), None) => {
                // A session stored whole in the keyring by an older version; the next save seals it.
                return Ok(SessionKey::from_keyring_text(&entry)
                    .is_none()
                    .then(|| StoredSecret::new(entry)));
            }
            (None, Some(_)) => {
                return Err(self.corrupt(key, "its key is missing from the keyring"));
            }
            (Some(entry), Some(sealed)) => (entry, sealed),
        };
        let session_key = SessionKey::from_keyring_text(&entry)
            .ok_or_else(|| self.corrupt(key, "the keyring entry holds no key for it"))?;
        let text = session_key.open(&name, sealed.secret()).ok_or_else(|| {
            self.corrupt(
                key,
                "it does not open with its key (altered, or sealed with another key)",
            )
        })?;
        Ok(Some(StoredSecret::new(text)))
    }

    fn save(&self, key: &StoreKey, value: &StoredSecret) -> Result<(), Error> {
        let name = key.hashed_name();
        let existing = self
            .backend
            .get(&name)?
            .and_then(|text| SessionKey::from_keyring_text(&text));
        let session_key = match existing {
            Some(k) => k,
            None => {
                let k = SessionKey::random();
                self.backend.set(&name, &k.to_keyring_text())?;
                k
            }
        };
        let sealed = session_key.seal(&name, value.secret());
        self.files.save(key, &StoredSecret::new(sealed))
    }

    fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        self.files.delete(key)?;
        self.backend.delete(&key.hashed_name())
    }

    fn lock(&self, key: &StoreKey) -> Result<StoreLock, Error> {
        self.files.lock(key)
    }

    fn describe(&self) -> String {
        format!(
            "{} key, sealed files in {}",
            self.backend.describe(),
            self.files.dir().display()
        )
    }
}

/// The OS keyring: Secret Service on Linux, Keychain on macOS, Credential Manager on Windows.
#[cfg(feature = "keyring")]
#[derive(Debug, Clone, Copy, Default)]
pub struct OsKeyring;

#[cfg(feature = "keyring")]
impl OsKeyring {
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

    fn entry(name: &str, action: &str) -> Result<keyring::Entry, Error> {
        keyring::Entry::new(KEYRING_SERVICE, name).map_err(|e| keyring_error(action, e))
    }
}

#[cfg(feature = "keyring")]
fn keyring_error(action: &str, e: keyring::Error) -> Error {
    Error::Keyring {
        action: action.to_string(),
        reason: e.to_string(),
    }
}

#[cfg(feature = "keyring")]
impl KeyringBackend for OsKeyring {
    fn get(&self, name: &str) -> Result<Option<String>, Error> {
        match Self::entry(name, "read a session key")?.get_password() {
            Ok(text) => Ok(Some(text)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(keyring::Error::BadEncoding(_)) => Err(Error::TokenStoreCorrupt {
                path: format!("keyring entry {KEYRING_SERVICE}/{name}"),
                reason: "it is not UTF-8 text".to_string(),
            }),
            Err(e) => Err(keyring_error("read a session key", e)),
        }
    }

    fn set(&self, name: &str, secret: &str) -> Result<(), Error> {
        Self::entry(name, "store a session key")?
            .set_password(secret)
            .map_err(|e| keyring_error("store a session key", e))
    }

    fn delete(&self, name: &str) -> Result<(), Error> {
        match Self::entry(name, "delete a session key")?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error("delete a session key", e)),
        }
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
