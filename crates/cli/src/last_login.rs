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

/// Remembers the login of `profile`.
pub fn remember(home: &Path, profile: &str, login: LastLogin) -> std::io::Result<()> {
    let mut all = read_all(home);
    all.insert(profile.to_string(), login);
    std::fs::create_dir_all(home)?;
    write_all(home, &all)
}

/// Forgets the login of `profile`.
pub fn forget(home: &Path, profile: &str) -> std::io::Result<()> {
    let mut all = read_all(home);
    if all.remove(profile).is_some() {
        write_all(home, &all)?;
    }
    Ok(())
}

/// Writes the file atomically: a temporary file with a random name, created exclusively (never a planted file or
/// link followed), then renamed over the old one.
fn write_all(home: &Path, all: &BTreeMap<String, LastLogin>) -> std::io::Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".last-login.")
        .suffix(".tmp")
        .tempfile_in(home)?;
    std::io::Write::write_all(&mut tmp, &serde_json::to_vec_pretty(all)?)?;
    tmp.as_file().sync_all()?;
    tmp.persist(file(home)).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(issuer: &str) -> LastLogin {
        LastLogin {
            issuer: issuer.into(),
            environment: "custom".into(),
            client_id: "c".into(),
        }
    }

    /// The old code wrote `last-login.json.<pid>` with truncate: a link planted at that name was followed.
    #[cfg(unix)]
    #[test]
    fn a_link_planted_at_a_predictable_name_is_not_followed() {
        let home = tempfile::tempdir().unwrap();
        let victim = home.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let planted = home
            .path()
            .join(format!("last-login.json.{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        remember(home.path(), "default", login("http://a")).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(recall(home.path(), "default").unwrap().issuer, "http://a");
        forget(home.path(), "default").unwrap();
        assert!(recall(home.path(), "default").is_none());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        let left: Vec<_> = std::fs::read_dir(home.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
