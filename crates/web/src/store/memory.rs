//! The in-memory store: for a single instance (`mva serve` without Redis, `mva serve --sim`, tests). Sessions are
//! lost at restart, and two instances with their own memory stores do not share sessions or refresh locks.

use super::{CasOutcome, Record, SessionStore, StoreError};
use async_trait::async_trait;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Sessions, the `sid` index and locks in this process's memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    records: HashMap<String, Entry>,
    sids: HashMap<String, HashSet<String>>,
    locks: HashMap<String, (String, Instant)>,
}

#[derive(Debug)]
struct Entry {
    record: Record,
    expires_ms: i64,
    sid_key: Option<String>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves consistent maps behind (every change is one insert or
        // remove), so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Inner {
    /// The live entry under `key`; an expired one is removed.
    fn live(&mut self, key: &str, now_ms: i64) -> Option<&mut Entry> {
        if self
            .records
            .get(key)
            .is_some_and(|e| e.expires_ms <= now_ms)
        {
            self.remove(key);
        }
        self.records.get_mut(key)
    }

    fn remove(&mut self, key: &str) -> bool {
        let Some(entry) = self.records.remove(key) else {
            return false;
        };
        if let Some(sid_key) = entry.sid_key {
            if let Some(set) = self.sids.get_mut(&sid_key) {
                set.remove(key);
                if set.is_empty() {
                    self.sids.remove(&sid_key);
                }
            }
        }
        true
    }

    fn lock_holder(&mut self, name: &str) -> Option<&str> {
        if self
            .locks
            .get(name)
            .is_some_and(|(_, until)| *until <= Instant::now())
        {
            self.locks.remove(name);
        }
        self.locks.get(name).map(|(owner, _)| owner.as_str())
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn insert(
        &self,
        key: &str,
        record: &Record,
        sid_key: Option<&str>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut inner = self.inner();
        if inner.live(key, now_ms).is_some() {
            return Ok(false);
        }
        let ttl = record.ttl_ms(now_ms);
        if ttl <= 0 {
            return Ok(true);
        }
        let record = Record {
            version: 1,
            ..record.clone()
        };
        let entry = Entry {
            record,
            expires_ms: now_ms + ttl,
            sid_key: sid_key.map(str::to_owned),
        };
        inner.records.insert(key.to_owned(), entry);
        if let Some(sid_key) = sid_key {
            inner
                .sids
                .entry(sid_key.to_owned())
                .or_default()
                .insert(key.to_owned());
        }
        Ok(true)
    }

    async fn load(&self, key: &str, now_ms: i64) -> Result<Option<Record>, StoreError> {
        let mut inner = self.inner();
        let Some(entry) = inner.live(key, now_ms) else {
            return Ok(None);
        };
        entry.expires_ms = now_ms + entry.record.ttl_ms(now_ms);
        Ok(Some(entry.record.clone()))
    }

    async fn compare_and_set(
        &self,
        key: &str,
        expected_version: u64,
        sealed: &[u8],
        now_ms: i64,
    ) -> Result<CasOutcome, StoreError> {
        let mut inner = self.inner();
        let Some(entry) = inner.live(key, now_ms) else {
            return Ok(CasOutcome::Missing);
        };
        if entry.record.version != expected_version {
            return Ok(CasOutcome::Changed);
        }
        entry.record.version += 1;
        entry.record.sealed = sealed.to_vec();
        entry.expires_ms = now_ms + entry.record.ttl_ms(now_ms);
        Ok(CasOutcome::Written(entry.record.version))
    }

    async fn remove(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.inner().remove(key))
    }

    async fn remove_sid(&self, sid_key: &str) -> Result<usize, StoreError> {
        let mut inner = self.inner();
        let keys = inner.sids.remove(sid_key).unwrap_or_default();
        Ok(keys.iter().filter(|key| inner.remove(key)).count())
    }

    async fn try_lock(&self, name: &str, owner: &str, ttl: Duration) -> Result<bool, StoreError> {
        let mut inner = self.inner();
        if inner.lock_holder(name).is_some() {
            return Ok(false);
        }
        inner
            .locks
            .insert(name.to_owned(), (owner.to_owned(), Instant::now() + ttl));
        Ok(true)
    }

    async fn renew_lock(&self, name: &str, owner: &str, ttl: Duration) -> Result<bool, StoreError> {
        let mut inner = self.inner();
        if inner.lock_holder(name) != Some(owner) {
            return Ok(false);
        }
        inner
            .locks
            .insert(name.to_owned(), (owner.to_owned(), Instant::now() + ttl));
        Ok(true)
    }

    async fn unlock(&self, name: &str, owner: &str) -> Result<bool, StoreError> {
        let mut inner = self.inner();
        if inner.lock_holder(name) != Some(owner) {
            return Ok(false);
        }
        inner.locks.remove(name);
        Ok(true)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
