//! Starting and stopping the simulator, and the handle tests and the CLI use.

use axum::middleware;
use axum::routing::{get, post};
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::authorize::{authorize, login_form};
use crate::clock::Clock;
use crate::conn::KillableListener;
use crate::endpoints::{discovery, logout, par, token, tokeninfo};
use crate::faults::Faults;
use crate::keys::SigningKey;
use crate::mva::MvaServices;
use crate::observe::{observe, RequestRecord, StatsSnapshot};
use crate::serve::{serve, Limits};
use crate::verifier::SimVerifier;
use crate::{admin, cors, guard, Error, SimConfig, SimState};

/// The simulator's whole app: ID-porten, the admin API and the VAT services, behind the middleware that applies
/// faults and logs requests. Usable without a socket (`tower::ServiceExt::oneshot`), though the "drop the
/// connection" fault needs the real listener of [`start`].
pub fn app(state: SimState) -> Router {
    app_and_services(state).0
}

/// [`app`], and the VAT services it serves (for the handle: tests read back the instances).
fn app_and_services(state: SimState) -> (Router, Arc<MvaServices>) {
    let verifier = Arc::new(SimVerifier(state.clone()));
    let clock_state = state.clone();
    let mva = Arc::new(
        MvaServices::new(state.mva.clone(), state.persons.clone(), verifier)
            .with_clock(Arc::new(move || clock_state.clock.now())),
    );
    let router = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::discovery),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(discovery::discovery),
        )
        .route("/jwks.json", get(discovery::jwks))
        .route("/authorize", get(authorize))
        .route("/authorize/login", post(login_form))
        .route("/token", post(token::token))
        .route("/par", post(par::par))
        .route(
            "/userinfo",
            get(tokeninfo::userinfo).post(tokeninfo::userinfo),
        )
        .route("/revoke", post(tokeninfo::revoke))
        .route("/introspect", post(tokeninfo::introspect))
        .route("/logout", get(logout::logout).post(logout::logout))
        .nest("/sim/admin", admin::router())
        .with_state(state.clone())
        .merge(mva.clone().router())
        .layer(middleware::from_fn_with_state(state.clone(), cors::cors))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(middleware::from_fn_with_state(state, guard::guard));
    (router, mva)
}

/// A running simulator.
pub struct SimHandle {
    state: SimState,
    mva: Arc<MvaServices>,
    addr: SocketAddr,
    stop: Option<watch::Sender<()>>,
    task: JoinHandle<()>,
    key_generation: Duration,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .field("issuer", &self.state.issuer)
            .finish()
    }
}

/// Starts the simulator on `addr` (port 0 = any free port) and returns once it accepts connections. The first
/// RSA key is generated fresh (see [`SimHandle::key_generation_time`]).
pub async fn start(config: SimConfig, addr: SocketAddr) -> Result<SimHandle, Error> {
    config.check()?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| Error::Bind { addr, source })?;
    let started = Instant::now();
    let key = tokio::task::spawn_blocking(SigningKey::generate)
        .await
        .map_err(|e| Error::Key(e.to_string()))??;
    let key_generation = started.elapsed();
    let issuer = match &config.sim.issuer {
        Some(issuer) => issuer.clone(),
        None if local.ip().is_unspecified() => format!("http://127.0.0.1:{}", local.port()),
        None => format!("http://{local}"),
    };
    let state = SimState::listening(&config, issuer, key, Some(local.port()))?;
    let (router, mva) = app_and_services(state.clone());
    let (stop, stopped) = watch::channel(());
    let limits = Limits {
        header_timeout: Duration::from_secs(config.sim.header_read_timeout_secs.max(1)),
        max_connections: config.sim.max_connections.max(1),
    };
    let task = tokio::spawn(serve(KillableListener(listener), router, limits, stopped));
    tracing::info!(issuer = %state.issuer, key_ms = key_generation.as_millis() as u64, "mva-sim started");
    Ok(SimHandle {
        state,
        mva,
        addr: local,
        stop: Some(stop),
        task,
        key_generation,
    })
}

impl SimHandle {
    /// The VAT services (validation API, token exchange, submission app): read back instances in tests.
    pub fn mva(&self) -> &MvaServices {
        &self.mva
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The issuer, e.g. `http://127.0.0.1:7070` (no trailing slash).
    pub fn issuer(&self) -> String {
        self.state.issuer.clone()
    }

    /// The endpoints by name, for `mva sim` to print.
    pub fn endpoints(&self) -> Vec<(&'static str, String)> {
        let s = &self.state;
        vec![
            ("discovery", s.url("/.well-known/openid-configuration")),
            ("authorize", s.url("/authorize")),
            ("par", s.url("/par")),
            ("token", s.url("/token")),
            ("jwks", s.url("/jwks.json")),
            ("userinfo", s.url("/userinfo")),
            ("revoke", s.url("/revoke")),
            ("introspect", s.url("/introspect")),
            ("logout", s.url("/logout")),
            ("admin", s.url("/sim/admin/")),
        ]
    }

    /// The shared state (clock, store, keys...).
    pub fn state(&self) -> &SimState {
        &self.state
    }

    /// Fault injection: `handle.faults().fail_next("token", 500, 1)`.
    pub fn faults(&self) -> &Faults {
        &self.state.faults
    }

    /// The clock: `handle.clock().advance(31)`.
    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }

    /// Key rotation step 1: generates a key and publishes it in the JWKS (not signing yet). Returns its kid.
    pub async fn publish_next_key(&self) -> Result<String, Error> {
        admin::publish_next(&self.state).await
    }

    /// Key rotation step 2: the newest published key signs from now on. `None` when it signs already.
    pub fn activate_next_key(&self) -> Option<String> {
        self.state.keys.activate_newest()
    }

    /// Key rotation step 3: removes the keys that no longer sign from the JWKS. Returns their kids.
    pub fn retire_old_keys(&self) -> Vec<String> {
        self.state.keys.retire_inactive()
    }

    /// All three rotation steps at once: publish a new key, sign with it, remove the old ones. Returns the new
    /// kid. (Use the three steps separately to test a client's JWKS refetch with both keys published.)
    pub async fn rotate_keys(&self) -> Result<String, Error> {
        let kid = self.publish_next_key().await?;
        self.activate_next_key();
        self.retire_old_keys();
        Ok(kid)
    }

    /// What clients sent (never token values).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.log.records()
    }

    /// The counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.state.stats.snapshot()
    }

    /// How long generating the first RSA key took at start.
    pub fn key_generation_time(&self) -> Duration {
        self.key_generation
    }

    /// Runs until `signal` completes (e.g. `tokio::signal::ctrl_c()`), then shuts down gracefully.
    ///
    /// ```no_run
    /// # async fn demo(handle: sim::SimHandle) {
    /// handle.run_until(async { let _ = tokio::signal::ctrl_c().await; }).await;
    /// # }
    /// ```
    pub async fn run_until(self, signal: impl std::future::Future<Output = ()>) {
        signal.await;
        self.shutdown().await;
    }

    /// Stops accepting, lets requests in flight finish (at most 5 s), and returns.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
            drop(stop);
        }
        if tokio::time::timeout(Duration::from_secs(5), &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }
}
