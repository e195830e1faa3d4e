//! The flows: the only place where protocol logic meets the I/O seams (HTTP, clock, browser, listener, store).
//! Rust programs get here what the `mva` command does: log in, keep a valid access token, log out.

mod client;
mod current;
mod lock;
mod login;
mod logout;
mod persist;

pub use client::{Client, Seams};
pub use current::{current_tokens, current_tokens_with_margin};
pub use login::{login, LoginEvent};
pub use logout::{logout, EndSessionOutcome, LogoutOutcome};
pub use persist::{load_tokens, save_tokens};
