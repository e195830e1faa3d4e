//! The name of a person's folder in the data folder: a keyed hash of the pid, never the pid, and never a plain
//! hash of it (a national identity number has so few possible values that a plain SHA-256 is reversed by trying
//! them all).
//!
//! The key is 32 random bytes kept in `{data}/persons/salt` (0600), made by the first instance that needs it and
//! shared by every instance that shares the data folder, so all of them find the same journals. It is created
//! atomically (written aside, then hard-linked into place, which fails if another instance was first), so two
//! instances starting at once agree on one key. A folder named by the unkeyed hash of an earlier version is renamed
//! the first time its person is seen, so no journal is lost and nothing is filed twice.

use mva::MvaError;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The data folder's key for naming persons' folders.
#[derive(Clone)]
pub(crate) struct PersonKey([u8; 32]);

impl std::fmt::Debug for PersonKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonKey([redacted])")
    }
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> MvaError {
    let path = path.to_path_buf();
    move |source| MvaError::Io {
        action,
        path,
        source,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl PersonKey {
    /// Reads `{persons}/salt`, or makes it when there is none yet. Blocking: call it off the async workers.
    pub(crate) fn load_or_create(persons: &Path) -> Result<Self, MvaError> {
        let path = persons.join("salt");
        loop {
            match std::fs::read_to_string(&path) {
                Ok(text) => return Self::parse(&text, &path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io("cannot read", &path)(e)),
            }
            create_private_dir(persons)?;
            let mut key = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
            let mut aside =
                tempfile::NamedTempFile::new_in(persons).map_err(io("cannot create", persons))?;
            aside
                .write_all(hex(&key).as_bytes())
                .and_then(|()| aside.as_file().sync_all())
                .map_err(io("cannot write", aside.path()))?;
            match std::fs::hard_link(aside.path(), &path) {
                // Made here, or by another instance a moment ago: either way, read what is in place.
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io("cannot create", &path)(e)),
            }
        }
    }

    fn parse(text: &str, path: &Path) -> Result<Self, MvaError> {
        let text = text.trim();
        let bytes: Option<Vec<u8>> = (text.len() == 64)
            .then(|| {
                (0..32)
                    .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
                    .collect()
            })
            .flatten();
        match bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()) {
            Some(key) => Ok(Self(key)),
            None => Err(MvaError::Journal {
                path: path.to_path_buf(),
                detail: "the key that names persons' folders is damaged (64 hex digits expected); restore it \
                         from a backup: without it no journal of this data folder is found"
                    .into(),
            }),
        }
    }

    /// The folder name of the person with this pid: hex SHA-256 of the key and the pid.
    pub(crate) fn folder_name(&self, pid: &str) -> String {
        let mut hash = Sha256::new();
        hash.update(self.0);
        hash.update(pid.as_bytes());
        hex(&hash.finalize())
    }

    /// The person's folder under `persons`, after renaming the folder an earlier version named by the unkeyed
    /// hash, if there is one. Blocking.
    pub(crate) fn person_folder(&self, persons: &Path, pid: &str) -> Result<PathBuf, MvaError> {
        let keyed = persons.join(self.folder_name(pid));
        let legacy = persons.join(hex(&Sha256::digest(pid.as_bytes())));
        if legacy.is_dir() && !keyed.exists() {
            match std::fs::rename(&legacy, &keyed) {
                Ok(()) => {
                    tracing::info!("web API: a person's folder was renamed to its keyed name")
                }
                // Another instance renamed it first.
                Err(_) if keyed.is_dir() => {}
                Err(e) => return Err(io("cannot rename", &legacy)(e)),
            }
        }
        Ok(keyed)
    }
}

/// Makes `dir` (and its parents) readable by the server's user only.
fn create_private_dir(dir: &Path) -> Result<(), MvaError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io("cannot create folder", dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PID: &str = "01818510078";

    #[test]
    fn the_key_is_made_once_and_shared() {
        let dir = tempfile::tempdir().unwrap();
        let persons = dir.path().join("persons");
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let persons = persons.clone();
                std::thread::spawn(move || PersonKey::load_or_create(&persons).unwrap())
            })
            .collect();
        let names: Vec<String> = threads
            .into_iter()
            .map(|t| t.join().unwrap().folder_name(PID))
            .collect();
        assert!(
            names.windows(2).all(|w| w[0] == w[1]),
            "one key for all: {names:?}"
        );
        assert_ne!(
            names[0],
            hex(&Sha256::digest(PID.as_bytes())),
            "not the plain hash"
        );
        assert!(!names[0].contains(PID));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&persons.join("salt")), 0o600);
            assert_eq!(mode(&persons), 0o700);
        }
        let leftovers: Vec<_> = std::fs::read_dir(&persons).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "only the key file: {leftovers:?}");
    }

    #[test]
    fn a_damaged_key_is_an_error_that_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("salt"), "not hex").unwrap();
        let e = PersonKey::load_or_create(dir.path()).unwrap_err();
        assert!(e.to_string().contains("restore it from a backup"), "{e}");
    }

    #[test]
    fn a_folder_of_an_earlier_version_is_renamed_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let key = PersonKey::load_or_create(dir.path()).unwrap();
        let legacy = dir.path().join(hex(&Sha256::digest(PID.as_bytes())));
        std::fs::create_dir_all(legacy.join("310000019/journal")).unwrap();
        let folder = key.person_folder(dir.path(), PID).unwrap();
        assert!(folder.join("310000019/journal").is_dir());
        assert!(!legacy.exists());
        assert_eq!(key.person_folder(dir.path(), PID).unwrap(), folder);
    }
}
