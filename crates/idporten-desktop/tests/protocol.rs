//! The protocol half of `idporten` against the simulator (crates/sim, started on 127.0.0.1 port 0): discovery,
//! client authentication, every forged ID token and callback a client must refuse, the flows, refresh and
//! concurrency. (`refresh.rs` and `concurrency.rs` still use the small hand-written provider in `tests/provider/`.)

mod provider;

#[path = "protocol/async_store.rs"]
mod async_store;
#[path = "protocol/client_auth.rs"]
mod client_auth;
#[path = "protocol/common.rs"]
mod common;
#[path = "protocol/concurrency.rs"]
mod concurrency;
#[path = "protocol/discovery.rs"]
mod discovery;
#[path = "protocol/flows.rs"]
mod flows;
#[path = "protocol/granted_scopes.rs"]
mod granted_scopes;
#[path = "protocol/id_tokens.rs"]
mod id_tokens;
#[path = "protocol/key_rotation.rs"]
mod key_rotation;
#[path = "protocol/refresh.rs"]
mod refresh;
#[path = "protocol/response_limits.rs"]
mod response_limits;
#[path = "protocol/session_safety.rs"]
mod session_safety;
#[path = "protocol/sim_session.rs"]
mod sim_session;
