//! The session store seam: where encrypted session records, the `sid` index and the refresh locks live.
//!
//! Two implementations: [`MemoryStore`] (one instance only) and [`RedisStore`] (any number of instances). The
//! store sees only sealed bytes keyed by hashes; encryption happens above it, in [`crate::Sessions`].

mod memory;
mod redis;

pub use self::memory::MemoryStore;
pub use self::redis::{RedisOptions, RedisStore};

use async_trait::async_trait;
use std::time::Duration;

/// A session as stored: sealed data plus what the store needs to expire it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Starts at 1; every successful [`SessionStore::compare_and_set`] adds one.
    pub version: u64,
    /// The session data, sealed with the session's data key.
    pub sealed: Vec<u8>,
    /// The absolute end of the session (unix milliseconds).
    pub ends_at_ms: i64,
    /// The idle timeout (milliseconds).
    pub idle_ms: i64,
}

impl Record {
    /// How long the record may live from `now_ms` without use: the lesser of what is left of its absolute lifetime
    /// and its idle timeout. Zero or less means it has expired.
    pub fn ttl_ms(&self, now_ms: i64) -> i64 {
        (self.ends_at_ms - now_ms).min(self.idle_ms)
    }
}

/// The result of a [`SessionStore::compare_and_set`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CasOutcome {
    /// Written; the record now has this version.
    Written(u64),
    /// Not written: the record's version is no longer the one expected.
    Changed,
    /// Not written: there is no such record (deleted, expired, or the store lost it).
    Missing,
}

/// Why the store could not do what was asked. A store error is never taken as "not logged in" nor as "logged
/// in": requests fail closed with 503.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The store did not answer in time, refused the connection, or failed the command.
    #[error("the session store is unavailable ({operation}: {reason}); sessions are kept, try again shortly")]
    Unavailable {
        /// The operation that failed.
        operation: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// A record is there but cannot be read with the cookie's key: altered in the store, or not ours.
    #[error("the stored session cannot be read ({0}); log in again")]
    Corrupt(&'static str),
    /// The store's address or options are not usable.
    #[error("the session store settings are not usable: {0}")]
    Config(String),
}

impl StoreError {
    /// The HTTP status this maps to: 503 while the store is unavailable (with `Retry-After`), 401 for a session
    /// that cannot be read, 500 for settings.
    pub fn status(&self) -> http::StatusCode {
        match self {
            Self::Unavailable { .. } => http::StatusCode::SERVICE_UNAVAILABLE,
            Self::Corrupt(_) => http::StatusCode::UNAUTHORIZED,
            Self::Config(_) => http::StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Storage of sealed session records, an index of them by ID-porten `sid`, and per-session locks.
///
/// `key` is a session's storage key (hex SHA-256 of its id), `sid_key` the hex SHA-256 of an ID-porten `sid`.
/// `now_ms` is the caller's clock (unix milliseconds); records expire at `now + ttl_ms`.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Stores a new record at version 1, in the `sid` index when `sid_key` is given. Returns false if a record
    /// with that key exists already (it is left alone).
    async fn insert(
        &self,
        key: &str,
        record: &Record,
        sid_key: Option<&str>,
        now_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Reads a record and, as this counts as use, restarts its idle timeout.
    async fn load(&self, key: &str, now_ms: i64) -> Result<Option<Record>, StoreError>;

    /// Replaces the sealed data if the record is still at `expected_version`, adding one to the version.
    async fn compare_and_set(
        &self,
        key: &str,
        expected_version: u64,
        sealed: &[u8],
        now_ms: i64,
    ) -> Result<CasOutcome, StoreError>;

    /// Deletes a record (and its entry in the `sid` index). Returns whether there was one.
    async fn remove(&self, key: &str) -> Result<bool, StoreError>;

    /// Deletes every record of a `sid`. Returns how many there were.
    async fn remove_sid(&self, sid_key: &str) -> Result<usize, StoreError>;

    /// Takes the lock `name` for `owner` for `ttl` if no one holds it.
    async fn try_lock(&self, name: &str, owner: &str, ttl: Duration) -> Result<bool, StoreError>;

    /// Extends the lock to `ttl` from now if `owner` still holds it; false if it does not.
    async fn renew_lock(&self, name: &str, owner: &str, ttl: Duration) -> Result<bool, StoreError>;

    /// Releases the lock if `owner` still holds it; false if it does not.
    async fn unlock(&self, name: &str, owner: &str) -> Result<bool, StoreError>;

    /// Checks that the store answers (for readiness).
    async fn ping(&self) -> Result<(), StoreError>;
}
