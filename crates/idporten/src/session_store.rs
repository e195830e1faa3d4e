//! The session-store seam: where a session's tokens are kept between uses, as one opaque secret text per (issuer,
//! client_id, profile), with a lock held while a refresh spends a one-time refresh token. [`crate::current_tokens`]
//! and the other flows need only this trait; the desktop crate (`idporten-desktop`) implements it with files and
//! the OS keyring, and a server can implement it over its own session store.
//!
//! The seam is synchronous: an implementation that waits (a lock held by another process) blocks its thread, and
//! the flows move that wait off the async workers.

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

/// Keeps sessions between runs.
pub trait TokenStore: Send + Sync {
    /// The stored session, or `None` when there is none.
    fn load(&self, key: &StoreKey) -> Result<Option<StoredSecret>, Error>;
    /// Stores (replaces) the session, atomically: a reader sees the old or the new one, never a mix.
    fn save(&self, key: &StoreKey, value: &StoredSecret) -> Result<(), Error>;
    /// Removes the session; removing nothing is fine.
    fn delete(&self, key: &StoreKey) -> Result<(), Error>;
    /// An exclusive lock across processes for this key, waiting at most 30 s (then [`Error::StoreLockTimeout`]).
    /// Hold it while a refresh runs, so two processes never spend a one-time refresh token twice. The wait blocks
    /// the thread: from async code call it in `spawn_blocking` or `block_in_place`.
    fn lock(&self, key: &StoreKey) -> Result<StoreLock, Error>;
    /// Where the sessions are kept, for the user: e.g. `file /home/x/.config/mva/tokens`.
    fn describe(&self) -> String;
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
