//! The desktop flows: the protocol core's steps combined with the loopback listener, the browser and a token store.

mod login;
mod logout;

pub use login::{login, LoginEvent};
pub use logout::{logout, EndSessionOutcome, LogoutOutcome};
