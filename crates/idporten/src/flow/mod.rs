//! The flows: the only place where protocol logic meets the I/O seams (HTTP, clock, token store). Rust programs get
//! here what a server or the `mva` command needs: a client for one provider, a valid access token from a store, and
//! the locked compare-and-set writes that the desktop login and logout (`idporten-desktop`) build on.

mod client;
mod current;
mod lock;
mod persist;

pub use client::{Client, Seams};
pub use current::{current_tokens, current_tokens_with_margin};
pub use lock::{lock_session, SessionLock};
pub use persist::{load_tokens, save_tokens, write_if};
