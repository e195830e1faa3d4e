//! The Redis store: sessions shared by every instance, atomic through small Lua scripts, every command bounded by
//! a timeout so a slow or stopped Redis is an error within two seconds, never a hang; the connection manager
//! reconnects by itself when Redis comes back.
//!
//! Keys, under a prefix (default `mva:`):
//! - `s:{hash}`: a hash with `v` (version), `d` (sealed data), `a` (absolute end, unix ms), `i` (idle timeout, ms),
//!   `x` (the key of its `sid` set, or empty); TTL = min(rest of absolute lifetime, idle timeout), renewed on use.
//! - `sid:{hash}`: a set of session hashes of one ID-porten `sid`, living as long as its longest session.
//! - `lock:{name}`: a lock, its value the owner's random token, with a PX TTL.
//!
//! A record with a missing or unreadable lifetime field is deleted and read as missing.
//!
//! The scripts touch keys they find in the data (a session's `sid` set, the sessions of a `sid`), which a
//! standalone Redis or a Sentinel set-up allows and Redis Cluster does not.

use super::{CasOutcome, Record, SessionStore, StoreError};
use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Script, Value};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

const INSERT: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local now = tonumber(ARGV[4])
local ttl = math.min(tonumber(ARGV[2]) - now, tonumber(ARGV[3]))
if ttl <= 0 then return 1 end
redis.call('HSET', KEYS[1], 'v', 1, 'd', ARGV[1], 'a', ARGV[2], 'i', ARGV[3], 'x', KEYS[2] or '')
redis.call('PEXPIRE', KEYS[1], ttl)
if KEYS[2] then
  redis.call('SADD', KEYS[2], ARGV[5])
  local rest = tonumber(ARGV[2]) - now
  if redis.call('PTTL', KEYS[2]) < rest then redis.call('PEXPIRE', KEYS[2], rest) end
end
return 1
";

const LOAD: &str = r"
local r = redis.call('HMGET', KEYS[1], 'v', 'd', 'a', 'i')
if not r[1] then return false end
local a, i = tonumber(r[3]), tonumber(r[4])
if not a or not i or not r[2] then redis.call('DEL', KEYS[1]) return false end
local ttl = math.min(a - tonumber(ARGV[1]), i)
if ttl <= 0 then redis.call('DEL', KEYS[1]) return false end
redis.call('PEXPIRE', KEYS[1], ttl)
return r
";

const COMPARE_AND_SET: &str = r"
local r = redis.call('HMGET', KEYS[1], 'v', 'a', 'i')
if not r[1] then return -1 end
if r[1] ~= ARGV[1] then return 0 end
local a, i = tonumber(r[2]), tonumber(r[3])
if not a or not i then redis.call('DEL', KEYS[1]) return -1 end
local ttl = math.min(a - tonumber(ARGV[3]), i)
if ttl <= 0 then redis.call('DEL', KEYS[1]) return -1 end
local v = tonumber(ARGV[1]) + 1
redis.call('HSET', KEYS[1], 'v', v, 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ttl)
return v
";

const REMOVE: &str = r"
local x = redis.call('HGET', KEYS[1], 'x')
local n = redis.call('DEL', KEYS[1])
if x and x ~= '' then redis.call('SREM', x, ARGV[1]) end
return n
";

const REMOVE_SID: &str = r"
local n = 0
for _, h in ipairs(redis.call('SMEMBERS', KEYS[1])) do n = n + redis.call('DEL', ARGV[1] .. h) end
redis.call('DEL', KEYS[1])
return n
";

const RENEW_LOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
";

const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

struct Scripts {
    insert: Script,
    load: Script,
    compare_and_set: Script,
    remove: Script,
    remove_sid: Script,
    renew_lock: Script,
    unlock: Script,
}

static SCRIPTS: LazyLock<Scripts> = LazyLock::new(|| Scripts {
    insert: Script::new(INSERT),
    load: Script::new(LOAD),
    compare_and_set: Script::new(COMPARE_AND_SET),
    remove: Script::new(REMOVE),
    remove_sid: Script::new(REMOVE_SID),
    renew_lock: Script::new(RENEW_LOCK),
    unlock: Script::new(UNLOCK),
});

/// How to reach Redis.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// The prefix of every key, so several applications can share one Redis.
    pub key_prefix: String,
    /// The longest any command (including connecting) may take before it is an error. Default 1.5 s, so a
    /// request learns within 2 s that the store is unavailable.
    pub command_timeout: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            key_prefix: "mva:".to_owned(),
            command_timeout: Duration::from_millis(1500),
        }
    }
}

/// Sessions in Redis (standalone or behind Sentinel), shared by every instance.
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    options: Arc<RedisOptions>,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password: never printed.
        write!(f, "RedisStore(prefix: {:?})", self.options.key_prefix)
    }
}

impl RedisStore {
    /// Prepares a store for `url` (`redis://[user:password@]host:port[/db]`, or `rediss://` for TLS). Connects
    /// lazily: a Redis that is down at start is an error on first use (see [`SessionStore::ping`]), and the
    /// store starts working as soon as Redis is up.
    pub fn connect(url: &str, options: RedisOptions) -> Result<Self, StoreError> {
        let client = redis::Client::open(url)
            .map_err(|e| StoreError::Config(format!("the Redis URL: {e}")))?;
        let timeout = options.command_timeout;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| StoreError::Config(format!("the Redis connection: {e}")))?;
        Ok(Self {
            connection,
            options: Arc::new(options),
        })
    }

    fn session_key(&self, key: &str) -> String {
        format!("{}s:{key}", self.options.key_prefix)
    }

    fn sid_key(&self, sid_key: &str) -> String {
        format!("{}sid:{sid_key}", self.options.key_prefix)
    }

    fn lock_key(&self, name: &str) -> String {
        format!("{}lock:{name}", self.options.key_prefix)
    }

    /// Runs one command with the timeout; any failure is [`StoreError::Unavailable`].
    async fn run<T, F>(&self, operation: &'static str, command: F) -> Result<T, StoreError>
    where
        F: Future<Output = redis::RedisResult<T>>,
    {
        match tokio::time::timeout(self.options.command_timeout, command).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(StoreError::Unavailable {
                operation,
                reason: error.to_string(),
            }),
            Err(_) => Err(StoreError::Unavailable {
                operation,
                reason: format!(
                    "no answer within {} ms",
                    self.options.command_timeout.as_millis()
                ),
            }),
        }
    }
}

#[async_trait]
impl SessionStore for RedisStore {
    async fn insert(
        &self,
        key: &str,
        record: &Record,
        sid_key: Option<&str>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut invocation = SCRIPTS.insert.key(self.session_key(key));
        if let Some(sid_key) = sid_key {
            invocation.key(self.sid_key(sid_key));
        }
        invocation
            .arg(&record.sealed)
            .arg(record.ends_at_ms)
            .arg(record.idle_ms)
            .arg(now_ms)
            .arg(key);
        let mut connection = self.connection.clone();
        let inserted: i64 = self
            .run("insert", invocation.invoke_async(&mut connection))
            .await?;
        Ok(inserted == 1)
    }

    async fn load(&self, key: &str, now_ms: i64) -> Result<Option<Record>, StoreError> {
        let mut invocation = SCRIPTS.load.key(self.session_key(key));
        invocation.arg(now_ms);
        let mut connection = self.connection.clone();
        let value: Value = self
            .run("load", invocation.invoke_async(&mut connection))
            .await?;
        let fields: Option<(u64, Vec<u8>, i64, i64)> = redis::from_redis_value(value)
            .map_err(|_| StoreError::Corrupt("the record's fields"))?;
        Ok(fields.map(|(version, sealed, ends_at_ms, idle_ms)| Record {
            version,
            sealed,
            ends_at_ms,
            idle_ms,
        }))
    }

    async fn compare_and_set(
        &self,
        key: &str,
        expected_version: u64,
        sealed: &[u8],
        now_ms: i64,
    ) -> Result<CasOutcome, StoreError> {
        let mut invocation = SCRIPTS.compare_and_set.key(self.session_key(key));
        invocation.arg(expected_version).arg(sealed).arg(now_ms);
        let mut connection = self.connection.clone();
        let result: i64 = self
            .run("compare-and-set", invocation.invoke_async(&mut connection))
            .await?;
        Ok(match result {
            -1 => CasOutcome::Missing,
            0 => CasOutcome::Changed,
            version => CasOutcome::Written(version as u64),
        })
    }

    async fn remove(&self, key: &str) -> Result<bool, StoreError> {
        let mut invocation = SCRIPTS.remove.key(self.session_key(key));
        invocation.arg(key);
        let mut connection = self.connection.clone();
        let removed: i64 = self
            .run("remove", invocation.invoke_async(&mut connection))
            .await?;
        Ok(removed > 0)
    }

    async fn remove_sid(&self, sid_key: &str) -> Result<usize, StoreError> {
        let mut invocation = SCRIPTS.remove_sid.key(self.sid_key(sid_key));
        invocation.arg(format!("{}s:", self.options.key_prefix));
        let mut connection = self.connection.clone();
        let removed: i64 = self
            .run("remove by sid", invocation.invoke_async(&mut connection))
            .await?;
        Ok(removed.max(0) as usize)
    }

    async fn try_lock(&self, name: &str, owner: &str, ttl: Duration) -> Result<bool, StoreError> {
        let mut command = redis::cmd("SET");
        command
            .arg(self.lock_key(name))
            .arg(owner)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms(ttl));
        let mut connection = self.connection.clone();
        let set: Option<String> = self
            .run("lock", command.query_async(&mut connection))
            .await?;
        Ok(set.is_some())
    }

    async fn renew_lock(&self, name: &str, owner: &str, ttl: Duration) -> Result<bool, StoreError> {
        let mut invocation = SCRIPTS.renew_lock.key(self.lock_key(name));
        invocation.arg(owner).arg(ttl_ms(ttl));
        let mut connection = self.connection.clone();
        let renewed: i64 = self
            .run("renew lock", invocation.invoke_async(&mut connection))
            .await?;
        Ok(renewed == 1)
    }

    async fn unlock(&self, name: &str, owner: &str) -> Result<bool, StoreError> {
        let mut invocation = SCRIPTS.unlock.key(self.lock_key(name));
        invocation.arg(owner);
        let mut connection = self.connection.clone();
        let released: i64 = self
            .run("unlock", invocation.invoke_async(&mut connection))
            .await?;
        Ok(released == 1)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        let _: String = self
            .run("ping", redis::cmd("PING").query_async(&mut connection))
            .await?;
        Ok(())
    }
}

fn ttl_ms(ttl: Duration) -> u64 {
    (ttl.as_millis() as u64).max(1)
}
