//! The loopback listener and the browser openers, over real sockets on 127.0.0.1 / [::1] with a real HTTP client.

#[path = "listener/binding.rs"]
mod binding;
#[path = "listener/browser.rs"]
mod browser;
#[path = "listener/callback.rs"]
mod callback;
#[path = "listener/common.rs"]
mod common;
#[path = "listener/held.rs"]
mod held;
#[path = "listener/limits.rs"]
mod limits;
#[path = "listener/logout.rs"]
mod logout;
