//! The simulator's integration tests: one test binary, real sockets on 127.0.0.1, the simulator started on port 0.

#[path = "sim/support.rs"]
mod support;

#[path = "sim/authorize.rs"]
mod authorize;
#[path = "sim/browser.rs"]
mod browser;
#[path = "sim/client_auth.rs"]
mod client_auth;
#[path = "sim/discovery.rs"]
mod discovery;
#[path = "sim/endpoints.rs"]
mod endpoints;
#[path = "sim/faults.rs"]
mod faults;
#[path = "sim/guard.rs"]
mod guard;
#[path = "sim/limits.rs"]
mod limits;
#[path = "sim/logging.rs"]
mod logging;
#[path = "sim/login_page.rs"]
mod login_page;
#[path = "sim/refresh.rs"]
mod refresh;
#[path = "sim/token.rs"]
mod token;
