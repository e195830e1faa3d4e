//! The token stores on a real file system, and the session lock across real processes.
#![cfg(unix)]

#[path = "store/common.rs"]
mod common;
#[path = "store/files.rs"]
mod files;
#[cfg(feature = "keyring")]
#[path = "store/keyring.rs"]
mod keyring;
#[path = "store/lock.rs"]
mod lock;
#[path = "store/sealed.rs"]
mod sealed;
