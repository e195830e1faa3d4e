//! The simulator's shared state, handed to every handler.

use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::clients::ClientRegistry;
use crate::clock::Clock;
use crate::config::{SimConfig, SimSettings};
use crate::faults::Faults;
use crate::guard::AllowedHosts;
use crate::keys::{KeySet, SigningKey};
use crate::model::random_token;
use crate::observe::{RequestLog, Stats};
use crate::person::Person;
use crate::store::Store;
use crate::Error;

/// Everything the simulator's handlers share. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SimState(Arc<Inner>);

/// The contents of [`SimState`].
#[derive(Debug)]
pub struct Inner {
    /// The issuer, e.g. `http://127.0.0.1:7070` (no trailing slash).
    pub issuer: String,
    /// The `[sim]` settings.
    pub settings: SimSettings,
    /// The registered clients.
    pub clients: ClientRegistry,
    /// The test persons.
    pub persons: Vec<Person>,
    /// The signing keys.
    pub keys: KeySet,
    /// The clock (with offset).
    pub clock: Clock,
    /// Armed faults and forgeries.
    pub faults: Faults,
    /// Grants, codes, sessions...
    pub store: Mutex<Store>,
    /// What clients sent.
    pub log: RequestLog,
    /// Counters.
    pub stats: Stats,
    /// Per-run salt of the pairwise `sub`.
    pub salt: String,
    /// The `[mva]` table, for the VAT services.
    pub mva: crate::mva::MvaSimConfig,
    /// The `Host` names the simulator answers to.
    pub allowed_hosts: AllowedHosts,
}

impl Deref for SimState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl SimState {
    /// Builds the state for `config` with the given issuer and first signing key. It answers to the issuer's host
    /// (and to 127.0.0.1, localhost and [::1] when the issuer is on loopback).
    pub fn new(config: &SimConfig, issuer: String, key: SigningKey) -> Result<Self, Error> {
        Self::listening(config, issuer, key, None)
    }

    /// [`SimState::new`] for a simulator listening on `local_port`, which it also answers to on loopback.
    pub fn listening(
        config: &SimConfig,
        issuer: String,
        key: SigningKey,
        local_port: Option<u16>,
    ) -> Result<Self, Error> {
        config.check()?;
        let issuer = issuer.trim_end_matches('/').to_string();
        Ok(Self(Arc::new(Inner {
            allowed_hosts: AllowedHosts::new(&issuer, local_port),
            issuer,
            settings: config.sim.clone(),
            clients: ClientRegistry::new(&config.integrations)?,
            persons: config.persons.clone(),
            keys: KeySet::new(key),
            clock: Clock::with_offset(config.sim.clock_offset_secs),
            faults: Faults::default(),
            store: Mutex::new(Store::default()),
            log: RequestLog::default(),
            stats: Stats::default(),
            salt: random_token(),
            mva: config.mva.clone(),
        })))
    }

    /// The store, locked, with expired entries swept.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        let mut store = self.store.lock().unwrap();
        store.sweep(self.clock.now());
        store
    }

    /// An endpoint URL: the issuer plus `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }
}
