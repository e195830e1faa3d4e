//! Sessions: the store seam plus the encryption, so no store ever sees a token, a session id or a data key.

use crate::cookie::{self, CookieError, SealedCookie, SessionRef};
use crate::keys::SessionKeys;
use crate::seal;
use crate::session::{Limits, Session, SessionData};
use crate::store::{CasOutcome, Record, SessionStore, StoreError};
use crate::types::Sid;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use time::OffsetDateTime;

/// Associated data of a session record's seal, followed by the record's storage key: a record cannot be moved to
/// another key and still open.
const DATA_PURPOSE: &[u8] = b"mva-web session data v1 ";

/// Creates, reads, updates and ends sessions in a [`SessionStore`].
#[derive(Clone)]
pub struct Sessions {
    pub(crate) store: Arc<dyn SessionStore>,
    keys: SessionKeys,
    limits: Limits,
}

/// The result of [`Sessions::save`].
// Returned once per call, never stored in bulk: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Saved {
    /// Written; the session as it now is.
    Written(Session),
    /// Not written: the session changed in the store since it was read. Read it again and decide anew.
    Changed,
    /// Not written: the session is gone (logged out, expired, or lost by the store).
    Gone,
}

impl Sessions {
    /// Sessions in `store`, cookies sealed with `keys`, living as long as `limits` allow.
    pub fn new(store: Arc<dyn SessionStore>, keys: SessionKeys, limits: Limits) -> Self {
        Self {
            store,
            keys,
            limits,
        }
    }

    /// The session limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The server's cookie keys (for the login-state cookies).
    pub fn keys(&self) -> &SessionKeys {
        &self.keys
    }

    /// The store (for readiness checks).
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.store
    }

    /// Starts a session holding `data`; returns it with the cookie value that refers to it.
    pub async fn create(&self, data: SessionData) -> Result<(Session, SealedCookie), StoreError> {
        let now = OffsetDateTime::now_utc();
        let reference = SessionRef::new(now + self.limits.absolute());
        let key = reference.id.storage_key();
        let record = Record {
            version: 1,
            sealed: seal_data(&reference, &key, &data)?,
            ends_at_ms: reference.ends_at_ms,
            idle_ms: self.limits.idle().as_millis() as i64,
        };
        let sid_key = data.identity.sid.as_ref().map(sid_storage_key);
        if !self
            .store
            .insert(&key, &record, sid_key.as_deref(), cookie::unix_ms(now))
            .await?
        {
            // 256 random bits collided: the OS's random source is broken. Refuse rather than share a session.
            return Err(StoreError::Corrupt("a new session id is already in use"));
        }
        let sealed = reference.seal(&self.keys);
        Ok((
            Session {
                reference,
                version: 1,
                data,
            },
            sealed,
        ))
    }

    /// Opens a cookie value: a [`CookieError`] (HTTP 401) if it is not an authentic, unexpired session cookie.
    pub fn open_cookie(&self, value: &str) -> Result<SessionRef, CookieError> {
        SessionRef::open(value, &self.keys, OffsetDateTime::now_utc())
    }

    /// Reads the session a cookie refers to, restarting its idle timeout; `None` if it has ended (logged out, idle
    /// or absolute timeout, or lost by the store). A record that cannot be read, or does not open with the cookie's
    /// key, is deleted and reported as [`StoreError::Corrupt`].
    pub async fn load(&self, reference: &SessionRef) -> Result<Option<Session>, StoreError> {
        let now = OffsetDateTime::now_utc();
        if reference.ends_at() <= now {
            return Ok(None);
        }
        let key = reference.id.storage_key();
        let record = match self.store.load(&key, cookie::unix_ms(now)).await {
            Ok(Some(record)) => record,
            Ok(None) => return Ok(None),
            Err(corrupt @ StoreError::Corrupt(_)) => {
                self.store.remove(&key).await?;
                return Err(corrupt);
            }
            Err(e) => return Err(e),
        };
        match open_data(reference, &key, &record.sealed) {
            Some(data) => Ok(Some(Session {
                reference: reference.clone(),
                version: record.version,
                data,
            })),
            None => {
                self.store.remove(&key).await?;
                Err(StoreError::Corrupt(
                    "the session record does not open with the cookie's key",
                ))
            }
        }
    }

    /// Replaces the session's data, only if no one changed the session since `session` was read.
    pub async fn save(&self, session: &Session, data: SessionData) -> Result<Saved, StoreError> {
        let key = session.reference.id.storage_key();
        let sealed = seal_data(&session.reference, &key, &data)?;
        let now_ms = cookie::unix_ms(OffsetDateTime::now_utc());
        Ok(
            match self
                .store
                .compare_and_set(&key, session.version, &sealed, now_ms)
                .await?
            {
                CasOutcome::Written(version) => Saved::Written(Session {
                    reference: session.reference.clone(),
                    version,
                    data,
                }),
                CasOutcome::Changed => Saved::Changed,
                CasOutcome::Missing => Saved::Gone,
            },
        )
    }

    /// Ends one session. Returns whether it existed.
    pub async fn delete(&self, reference: &SessionRef) -> Result<bool, StoreError> {
        self.store.remove(&reference.id.storage_key()).await
    }

    /// Ends every session of an ID-porten `sid` (front- and back-channel logout), on every instance sharing the
    /// store. Returns how many there were.
    pub async fn delete_by_sid(&self, sid: &Sid) -> Result<usize, StoreError> {
        self.store.remove_sid(&sid_storage_key(sid)).await
    }
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sessions({:?}, {:?})", self.keys, self.limits)
    }
}

/// The hex SHA-256 of a `sid`: hostile characters never reach a store key.
fn sid_storage_key(sid: &Sid) -> String {
    seal::hex(&Sha256::digest(sid.as_str().as_bytes()))
}

fn purpose(key: &str) -> Vec<u8> {
    [DATA_PURPOSE, key.as_bytes()].concat()
}

fn seal_data(reference: &SessionRef, key: &str, data: &SessionData) -> Result<Vec<u8>, StoreError> {
    let json = serde_json::to_vec(data)
        .map_err(|_| StoreError::Corrupt("the session data cannot be encoded"))?;
    Ok(reference.data_key.seal(&purpose(key), &json))
}

fn open_data(reference: &SessionRef, key: &str, sealed: &[u8]) -> Option<SessionData> {
    let json = reference.data_key.open(&purpose(key), sealed)?;
    serde_json::from_slice(&json).ok()
}
