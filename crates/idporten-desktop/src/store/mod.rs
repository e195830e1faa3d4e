//! Where a session's tokens are kept between runs: one opaque secret text per (issuer, client_id, profile), in a
//! private directory of files: sealed with a key kept in the OS keyring when one works, else plain (0600).
//!
//! ```
//! use idporten_desktop::{BlockingTokenStore, ClientId, FileTokenStore, Issuer, StoreKey, StoredSecret};
//! let dir = tempfile::tempdir().unwrap();
//! let store = FileTokenStore::new(dir.path().join("tokens"));
//! let key = StoreKey::new(Issuer::parse("https://test.idporten.no").unwrap(), ClientId::new("my-client"));
//! {
//!     let _lock = store.lock(&key).unwrap(); // held while a refresh spends the one-time refresh token
//!     store.save(&key, &StoredSecret::new("{\"access_token\":\"...\"}")).unwrap();
//! }
//! assert_eq!(store.load(&key).unwrap().unwrap().secret(), "{\"access_token\":\"...\"}");
//! store.delete(&key).unwrap();
//! assert!(store.load(&key).unwrap().is_none());
//! ```

mod dir;
mod file;
mod keyring;
mod lock;
mod seal;

pub use file::FileTokenStore;
#[cfg(feature = "keyring")]
pub use keyring::OsKeyring;
pub use keyring::{KeyringBackend, KeyringTokenStore, KEYRING_SERVICE};
use std::path::PathBuf;
use std::time::Duration;

use idporten::{Error, TokenStore};

/// How long [`BlockingTokenStore::lock`] of the file and keyring stores waits for another process by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// The environment variable that moves all of mva's files (and forces the file store).
pub const HOME_VAR: &str = "MVA_HOME";

/// mva's own directory: `$MVA_HOME` when set and not empty, else the platform's configuration directory
/// (`~/.config/mva` on Linux, `~/Library/Application Support/no.mva` on macOS, `%APPDATA%\mva\config` on Windows).
pub fn home_dir() -> Result<PathBuf, Error> {
    home_dir_from(std::env::var_os(HOME_VAR))
}

fn home_dir_from(mva_home: Option<std::ffi::OsString>) -> Result<PathBuf, Error> {
    match mva_home {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => directories::ProjectDirs::from("no", "", "mva")
            .map(|d| d.config_dir().to_path_buf())
            .ok_or(Error::NoHomeDir),
    }
}

/// The store to use on this machine: the OS keyring when the `keyring` feature is on, `$MVA_HOME` is not set and a
/// probe shows a keyring works here; else files in `home_dir()/tokens`.
pub fn default_store() -> Result<Box<dyn TokenStore>, Error> {
    let mva_home = std::env::var_os(HOME_VAR).filter(|v| !v.is_empty());
    choose_store(mva_home, keyring_works)
}

#[cfg(feature = "keyring")]
fn keyring_works() -> bool {
    KeyringTokenStore::probe()
}

#[cfg(not(feature = "keyring"))]
fn keyring_works() -> bool {
    false
}

/// The choice of [`default_store`], with the environment and the keyring probe passed in.
fn choose_store(
    mva_home: Option<std::ffi::OsString>,
    keyring_works: impl FnOnce() -> bool,
) -> Result<Box<dyn TokenStore>, Error> {
    let forced_files = mva_home.is_some();
    let tokens = home_dir_from(mva_home)?.join("tokens");
    #[cfg(feature = "keyring")]
    if !forced_files && keyring_works() {
        return Ok(Box::new(KeyringTokenStore::new(tokens)));
    }
    #[cfg(not(feature = "keyring"))]
    let _ = (forced_files, keyring_works);
    Ok(Box::new(FileTokenStore::new(tokens)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mva_home_forces_files_there() {
        let store = choose_store(Some("/tmp/x-mva".into()), || {
            panic!("no probe when MVA_HOME is set")
        })
        .unwrap();
        assert_eq!(store.describe(), "file /tmp/x-mva/tokens");
    }

    #[test]
    fn without_a_working_keyring_the_files_are_used() {
        let store = choose_store(None, || false).unwrap();
        assert!(
            store.describe().starts_with("file ") && store.describe().ends_with("tokens"),
            "{}",
            store.describe()
        );
    }

    #[cfg(feature = "keyring")]
    #[test]
    fn a_working_keyring_is_preferred() {
        let store = choose_store(None, || true).unwrap();
        assert!(
            store.describe().starts_with("OS keyring"),
            "{}",
            store.describe()
        );
    }
}
