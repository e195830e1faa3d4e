//! The provider and client of each profile's last login (`$MVA_HOME/last-login.json`; no secrets in it), so that
//! `mva token`, `whoami` and `logout` follow `mva login --issuer X --client-id Y` without repeating the flags.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What is remembered of a login.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LastLogin {
    /// The issuer.
    pub issuer: String,
    /// test, prod or custom.
    pub environment: String,
    /// The client.
    pub client_id: String,
}

fn file(home: &Path) -> PathBuf {
    home.join("last-login.json")
}

fn read_all(home: &Path) -> BTreeMap<String, LastLogin> {
    std::fs::read_to_string(file(home))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// The last login of `profile`, if any.
pub fn recall(home: &Path, profile: &str) -> Option<LastLogin> {
    read_all(home).remove(profile)
}

/// Remembers the login of `profile` (written atomically: a temporary file renamed over the old one).
pub fn remember(home: &Path, profile: &str, login: LastLogin) -> std::io::Result<()> {
    let mut all = read_all(home);
    all.insert(profile.to_string(), login);
    std::fs::create_dir_all(home)?;
    let tmp = home.join(format!("last-login.json.{}", std::process::id()));
    std::fs::write(&tmp, serde_json::to_vec_pretty(&all)?)?;
    std::fs::rename(tmp, file(home))
}

/// Forgets the login of `profile`.
pub fn forget(home: &Path, profile: &str) -> std::io::Result<()> {
    let mut all = read_all(home);
    if all.remove(profile).is_some() {
        let tmp = home.join(format!("last-login.json.{}", std::process::id()));
        std::fs::write(&tmp, serde_json::to_vec_pretty(&all)?)?;
        std::fs::rename(tmp, file(home))?;
    }
    Ok(())
}
