//! The file store: round trip, private modes, atomic replacement, clear errors, MVA_HOME.

use super::common::*;
use idporten_desktop::{
    BlockingTokenStore, ClientId, Error, FileTokenStore, Issuer, StoreKey, StoredSecret,
};
use std::os::unix::fs::PermissionsExt;

#[test]
fn save_load_delete_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(tmp.path().join("a/b/tokens"));
    assert!(
        store.load(&key("default")).unwrap().is_none(),
        "no directory yet: no session"
    );
    store.delete(&key("default")).unwrap();
    store
        .save(
            &key("default"),
            &StoredSecret::new("{\"refresh_token\":\"r1\"}"),
        )
        .unwrap();
    assert_eq!(
        store.load(&key("default")).unwrap().unwrap().secret(),
        "{\"refresh_token\":\"r1\"}"
    );
    store
        .save(&key("default"), &StoredSecret::new("second"))
        .unwrap();
    assert_eq!(
        store.load(&key("default")).unwrap().unwrap().secret(),
        "second"
    );
    store.delete(&key("default")).unwrap();
    assert!(store.load(&key("default")).unwrap().is_none());
    store.delete(&key("default")).unwrap();
    assert_eq!(
        store.describe(),
        format!("file {}", tmp.path().join("a/b/tokens").display())
    );
}

#[test]
fn files_are_private_from_creation_and_writes_leave_no_temporary_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tokens");
    let store = FileTokenStore::new(dir.clone());
    for i in 0..5 {
        store
            .save(&key("default"), &StoredSecret::new(format!("v{i}")))
            .unwrap();
    }
    assert_eq!(mode(&dir), 0o700);
    let file = store.path_of(&key("default"));
    assert_eq!(mode(&file), 0o600);
    assert_eq!(
        names(&dir),
        [format!("{}.json", key("default").hashed_name())],
        "only the session file remains"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text, "v4");
    assert!(
        !file.to_string_lossy().contains("idporten"),
        "no issuer in file names"
    );
}

#[test]
fn a_directory_open_to_others_is_narrowed_and_so_is_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tokens");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let store = FileTokenStore::new(dir.clone());
    store
        .save(&key("default"), &StoredSecret::new("x"))
        .unwrap();
    assert_eq!(mode(&dir), 0o700);
    let file = store.path_of(&key("default"));
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(store.load(&key("default")).unwrap().unwrap().secret(), "x");
    assert_eq!(mode(&file), 0o600);
}

#[test]
fn keys_do_not_collide() {
    let tmp = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(tmp.path().to_path_buf());
    let other_client = StoreKey::new(
        Issuer::parse("https://test.idporten.no").unwrap(),
        ClientId::new("client-2"),
    );
    let other_issuer = StoreKey::new(
        Issuer::parse("https://idporten.no").unwrap(),
        ClientId::new("client-1"),
    );
    let keys = [key("default"), key("anne"), other_client, other_issuer];
    for (i, k) in keys.iter().enumerate() {
        store
            .save(k, &StoredSecret::new(format!("session {i}")))
            .unwrap();
    }
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(
            store.load(k).unwrap().unwrap().secret(),
            format!("session {i}")
        );
    }
    store.delete(&keys[1]).unwrap();
    assert!(store.load(&keys[1]).unwrap().is_none());
    assert!(store.load(&keys[0]).unwrap().is_some());
}

#[test]
fn a_file_where_the_directory_should_be_gives_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("tokens");
    std::fs::write(&path, "not a directory").unwrap();
    let store = FileTokenStore::new(path.clone());
    for e in [
        store
            .save(&key("default"), &StoredSecret::new("x"))
            .unwrap_err(),
        store.load(&key("default")).unwrap_err(),
        store.lock(&key("default")).unwrap_err(),
    ] {
        let text = e.to_string();
        assert!(
            text.contains(&path.display().to_string()) && text.contains("not a directory"),
            "{text}"
        );
        assert!(text.contains("another directory"), "{text}");
    }
}

#[test]
fn a_corrupt_session_file_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(tmp.path().join("tokens"));
    store
        .save(&key("default"), &StoredSecret::new("x"))
        .unwrap();
    std::fs::write(store.path_of(&key("default")), [0xff, 0xfe, 0x00]).unwrap();
    let e = store.load(&key("default")).unwrap_err();
    assert!(matches!(e, Error::TokenStoreCorrupt { .. }), "{e:?}");
    assert!(e.to_string().contains("log in again"), "{e}");
}

#[test]
fn an_unwritable_directory_names_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    if permissions_are_bypassed(tmp.path()) {
        eprintln!(
            "note: running as root, so a read-only directory cannot be shown to fail; skipped"
        );
        return;
    }
    let dir = tmp.path().join("tokens");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).unwrap();
    let e = FileTokenStore::new(dir.clone())
        .save(&key("default"), &StoredSecret::new("x"))
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains(&dir.display().to_string()) && text.contains("permission denied"),
        "{text}"
    );
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
}

#[test]
fn a_directory_of_another_user_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tokens");
    std::fs::create_dir(&dir).unwrap();
    if std::os::unix::fs::chown(&dir, Some(54321), None).is_err() {
        eprintln!("note: not root, so a directory of another user cannot be made; skipped");
        return;
    }
    let store = FileTokenStore::new(dir.clone());
    let e = store.load(&key("default")).unwrap_err();
    assert!(
        matches!(e, Error::TokenStoreNotOwned { owner: 54321, .. }),
        "{e:?}"
    );
    assert!(store
        .save(&key("default"), &StoredSecret::new("x"))
        .is_err());
    assert!(e.to_string().contains(&dir.display().to_string()));
}

#[tokio::test]
async fn mva_home_is_honoured() {
    // The only test of this binary that touches the environment.
    let tmp = tempfile::tempdir().unwrap();
    std::env::set_var("MVA_HOME", tmp.path());
    assert_eq!(idporten_desktop::home_dir().unwrap(), tmp.path());
    let store = idporten_desktop::default_store().unwrap();
    assert_eq!(
        store.describe(),
        format!("file {}", tmp.path().join("tokens").display())
    );
    idporten_desktop::TokenStore::save(store.as_ref(), &key("default"), &StoredSecret::new("s"))
        .await
        .unwrap();
    assert!(tmp
        .path()
        .join("tokens")
        .join(format!("{}.json", key("default").hashed_name()))
        .exists());
    std::env::set_var("MVA_HOME", "");
    let home = idporten_desktop::home_dir().unwrap();
    std::env::remove_var("MVA_HOME");
    if cfg!(target_os = "linux") {
        assert!(
            home.ends_with("mva") && home.to_string_lossy().contains(".config"),
            "{}",
            home.display()
        );
    }
}
