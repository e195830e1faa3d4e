//! The protocol half of `idporten` against a real test OpenID provider on 127.0.0.1 (see `tests/provider/`).

mod provider;

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
