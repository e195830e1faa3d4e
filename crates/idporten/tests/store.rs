//! The token stores on a real file system, and the session lock across real processes.
#![cfg(unix)]

use idporten::{ClientId, Error, FileTokenStore, Issuer, StoreKey, StoredSecret, TokenStore};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn key(profile: &str) -> StoreKey {
    StoreKey::new(
        Issuer::parse("https://test.idporten.no").unwrap(),
        ClientId::new("client-1"),
    )
    .with_profile(profile)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

/// Whether this process ignores file permissions (root): then permission-denied cases cannot be shown.
fn permissions_are_bypassed(dir: &Path) -> bool {
    let probe = dir.join("ro");
    std::fs::create_dir(&probe).unwrap();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o500)).unwrap();
    let bypassed = std::fs::write(probe.join("x"), "x").is_ok();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o700)).unwrap();
    bypassed
}

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
        assert!(text.contains("MVA_HOME"), "{text}");
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

#[test]
fn mva_home_is_honoured() {
    // The only test of this binary that touches the environment.
    let tmp = tempfile::tempdir().unwrap();
    std::env::set_var("MVA_HOME", tmp.path());
    assert_eq!(idporten::home_dir().unwrap(), tmp.path());
    let store = idporten::default_store().unwrap();
    assert_eq!(
        store.describe(),
        format!("file {}", tmp.path().join("tokens").display())
    );
    store
        .save(&key("default"), &StoredSecret::new("s"))
        .unwrap();
    assert!(tmp
        .path()
        .join("tokens")
        .join(format!("{}.json", key("default").hashed_name()))
        .exists());
    std::env::set_var("MVA_HOME", "");
    let home = idporten::home_dir().unwrap();
    std::env::remove_var("MVA_HOME");
    if cfg!(target_os = "linux") {
        assert!(
            home.ends_with("mva") && home.to_string_lossy().contains(".config"),
            "{}",
            home.display()
        );
    }
}

// ---- the lock ----

#[test]
fn the_lock_excludes_a_second_holder_until_released() {
    let tmp = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(tmp.path().join("tokens"))
        .with_lock_timeout(Duration::from_millis(200));
    let held = store.lock(&key("default")).unwrap();
    assert_eq!(mode(held.path()), 0o600);
    let started = Instant::now();
    let e = store.lock(&key("default")).unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert!(matches!(e, Error::StoreLockTimeout { .. }), "{e:?}");
    assert!(
        e.to_string().contains(&held.path().display().to_string()),
        "{e}"
    );
    let other = store.lock(&key("other")).unwrap();
    drop(other);
    drop(held);
    store.lock(&key("default")).unwrap();
}

/// The helper process of the cross-process test: takes the lock in `$LOCK_HOLDER_DIR`, says `LOCKED`, and holds the
/// lock until its standard input closes. Ignored in normal runs; started by the test below.
#[test]
#[ignore = "helper process for the cross-process lock test, started by it"]
fn lock_holder_process() {
    let dir = PathBuf::from(std::env::var("LOCK_HOLDER_DIR").expect("started by the lock test"));
    let lock = FileTokenStore::new(dir).lock(&key("default")).unwrap();
    println!("\nLOCKED");
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    drop(lock);
}

#[test]
fn the_lock_holds_across_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tokens");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "lock_holder_process",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LOCK_HOLDER_DIR", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while line.trim_end() != "LOCKED" {
        line.clear();
        assert_ne!(
            out.read_line(&mut line).unwrap(),
            0,
            "the helper process ended without taking the lock"
        );
    }
    // Held by the other process: a short wait times out.
    let store = FileTokenStore::new(dir.clone()).with_lock_timeout(Duration::from_millis(300));
    let e = store.lock(&key("default")).unwrap_err();
    assert!(
        matches!(e, Error::StoreLockTimeout { after, .. } if after == Duration::from_millis(300)),
        "{e:?}"
    );
    // A longer wait gets the lock once the other process lets go (here: 500 ms later).
    let waiter = std::thread::spawn(move || {
        let started = Instant::now();
        let lock = FileTokenStore::new(dir)
            .with_lock_timeout(Duration::from_secs(20))
            .lock(&key("default"));
        (lock.map(|_| ()), started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !waiter.is_finished(),
        "the lock was granted while another process held it"
    );
    drop(child.stdin.take()); // the helper process releases and ends
    let (result, waited) = waiter.join().unwrap();
    result.unwrap();
    assert!(waited >= Duration::from_millis(500), "{waited:?}");
    assert!(child.wait().unwrap().success());
}

#[cfg(feature = "keyring")]
#[test]
fn the_keyring_store_works_or_reports_clearly_and_shares_the_lock_files() {
    use idporten::KeyringTokenStore;
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
        assert!(e.to_string().contains("MVA_HOME"), "{e}");
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
