//! The keyring store through its keyring seam, with a keyring that holds at most 2,560 bytes per entry (as Windows
//! Credential Manager): a whole session does not fit, its key does; the session itself is a sealed file.

use super::common::*;
use idporten_desktop::{
    BlockingTokenStore, Error, KeyringBackend, KeyringTokenStore, StoredSecret,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Windows Credential Manager's limit on a credential's blob: 2,560 bytes (the keyring crate writes UTF-16).
const CREDENTIAL_MAX_BYTES: usize = 2560;

/// A keyring in memory with Windows' size limit.
#[derive(Default)]
struct SmallKeyring {
    entries: Mutex<HashMap<String, String>>,
}

impl KeyringBackend for SmallKeyring {
    fn get(&self, name: &str) -> Result<Option<String>, Error> {
        Ok(self.entries.lock().unwrap().get(name).cloned())
    }
    fn set(&self, name: &str, secret: &str) -> Result<(), Error> {
        let bytes = secret.encode_utf16().count() * 2;
        if bytes > CREDENTIAL_MAX_BYTES {
            return Err(Error::Keyring {
                action: "store a session key".into(),
                reason: format!(
                    "the credential is {bytes} bytes; at most {CREDENTIAL_MAX_BYTES} fit"
                ),
            });
        }
        self.entries
            .lock()
            .unwrap()
            .insert(name.to_string(), secret.to_string());
        Ok(())
    }
    fn delete(&self, name: &str) -> Result<(), Error> {
        self.entries.lock().unwrap().remove(name);
        Ok(())
    }
    fn describe(&self) -> String {
        "small test keyring".into()
    }
}

/// A session as large as a real one with long tokens (8 KB).
fn big_session() -> String {
    format!(
        "{{\"access_token\":\"{}\",\"refresh_token\":\"{}\",\"id_token\":\"{}\"}}",
        "A".repeat(3000),
        "R".repeat(1000),
        "I".repeat(4000)
    )
}

#[test]
fn a_session_larger_than_a_keyring_entry_is_stored_sealed_under_a_small_key() {
    let tmp = tempfile::tempdir().unwrap();
    let keyring = Arc::new(SmallKeyring::default());
    let store = KeyringTokenStore::with_backend(tmp.path().join("tokens"), keyring.clone());
    let k = key("default");
    let session = big_session();
    // The limit is real: the session itself does not fit in one entry.
    assert!(keyring.set("whole", &session).is_err());

    store.save(&k, &StoredSecret::new(session.clone())).unwrap();
    assert_eq!(store.load(&k).unwrap().unwrap().secret(), session);
    let entries = keyring.entries.lock().unwrap().clone();
    assert_eq!(entries.len(), 1);
    assert!(
        entries.values().all(|v| v.len() < 100),
        "only a key is in the keyring"
    );
    let file = store.path_of(&k);
    assert_eq!(mode(&file), 0o600);
    let on_disk = std::fs::read_to_string(&file).unwrap();
    assert!(
        !on_disk.contains("AAAA") && !on_disk.contains("access_token"),
        "sealed"
    );

    // A second save keeps the key; the file changes.
    store.save(&k, &StoredSecret::new("{\"v\":2}")).unwrap();
    assert_eq!(keyring.entries.lock().unwrap().clone(), entries);
    assert_eq!(store.load(&k).unwrap().unwrap().secret(), "{\"v\":2}");

    // Another session's file put in its place does not open.
    let other = key("other");
    store.save(&other, &StoredSecret::new("{\"v\":3}")).unwrap();
    std::fs::copy(store.path_of(&other), &file).unwrap();
    assert!(matches!(
        store.load(&k),
        Err(Error::TokenStoreCorrupt { .. })
    ));

    store.delete(&k).unwrap();
    assert!(store.load(&k).unwrap().is_none());
    assert!(!file.exists());
    assert_eq!(
        keyring.entries.lock().unwrap().len(),
        1,
        "only the other key is left"
    );
}

#[test]
fn a_sealed_file_without_its_key_is_reported_and_a_whole_session_from_before_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let keyring = Arc::new(SmallKeyring::default());
    let store = KeyringTokenStore::with_backend(tmp.path().join("tokens"), keyring.clone());
    let k = key("default");
    store.save(&k, &StoredSecret::new("{\"v\":1}")).unwrap();
    keyring.entries.lock().unwrap().clear();
    let e = store.load(&k).unwrap_err();
    assert!(e.to_string().contains("key is missing"), "{e}");
    store.delete(&k).unwrap();

    // An older version kept the session whole in the entry: it is read, and the next save seals it.
    keyring
        .entries
        .lock()
        .unwrap()
        .insert(k.hashed_name(), "{\"old\":true}".into());
    assert_eq!(store.load(&k).unwrap().unwrap().secret(), "{\"old\":true}");
    store
        .save(&k, &StoredSecret::new("{\"old\":false}"))
        .unwrap();
    assert!(keyring.entries.lock().unwrap()[&k.hashed_name()].starts_with("mva-session-key-v1:"));
    assert_eq!(store.load(&k).unwrap().unwrap().secret(), "{\"old\":false}");
}
