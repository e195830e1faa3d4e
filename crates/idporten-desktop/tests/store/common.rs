//! Helpers of the store tests.

use idporten_desktop::{ClientId, Issuer, StoreKey};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

pub(crate) fn key(profile: &str) -> StoreKey {
    StoreKey::new(
        Issuer::parse("https://test.idporten.no").unwrap(),
        ClientId::new("client-1"),
    )
    .with_profile(profile)
}

pub(crate) fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

pub(crate) fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

/// Whether this process ignores file permissions (root): then permission-denied cases cannot be shown.
pub(crate) fn permissions_are_bypassed(dir: &Path) -> bool {
    let probe = dir.join("ro");
    std::fs::create_dir(&probe).unwrap();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o500)).unwrap();
    let bypassed = std::fs::write(probe.join("x"), "x").is_ok();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o700)).unwrap();
    bypassed
}
