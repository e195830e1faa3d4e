//! The keyring store as far as this machine allows, and its lock files shared with the file store.

use super::common::*;
use idporten_desktop::{
    BlockingTokenStore, Error, FileTokenStore, KeyringTokenStore, StoredSecret,
};
use std::time::Duration;

#[test]
fn the_keyring_store_works_or_reports_clearly_and_shares_the_lock_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tokens");
    let keyring = KeyringTokenStore::new(dir.clone()).with_lock_timeout(Duration::from_millis(100));
    if KeyringTokenStore::probe() {
        let k = key(&format!("test-{}", std::process::id()));
        keyring.save(&k, &StoredSecret::new("kr")).unwrap();
        assert_eq!(keyring.load(&k).unwrap().unwrap().secret(), "kr");
        keyring.delete(&k).unwrap();
        assert!(keyring.load(&k).unwrap().is_none());
    } else {
        eprintln!("note: no OS keyring on this machine (no D-Bus session / Secret Service); only the error is checked");
        let e = keyring
            .save(&key("default"), &StoredSecret::new("x"))
            .unwrap_err();
        assert!(matches!(e, Error::Keyring { .. }), "{e:?}");
        assert!(e.to_string().contains("files instead"), "{e}");
    }
    // A lock taken through the file store excludes the keyring store's lock of the same key, and back.
    let files = FileTokenStore::new(dir);
    let held = files.lock(&key("default")).unwrap();
    assert!(matches!(
        keyring.lock(&key("default")),
        Err(Error::StoreLockTimeout { .. })
    ));
    drop(held);
    let held = keyring.lock(&key("default")).unwrap();
    assert!(matches!(
        files
            .with_lock_timeout(Duration::from_millis(100))
            .lock(&key("default")),
        Err(Error::StoreLockTimeout { .. })
    ));
    drop(held);
}
