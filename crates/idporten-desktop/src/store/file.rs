//! Sessions as files: one file per key, `<hex SHA-256>.json`, mode 0600 from creation, in a private 0700 directory,
//! replaced atomically (temporary file, fsync, rename, fsync of the directory).

use rand::RngCore as _;
use std::fs::OpenOptions;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{dir, lock, DEFAULT_LOCK_TIMEOUT};
use idporten::{BlockingTokenStore, Error, StoreKey, StoreLock, StoredSecret};

/// Keeps each session in a file of its own in a private directory (`~/.config/mva/tokens` by default).
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    dir: PathBuf,
    lock_timeout: Duration,
    extension: &'static str,
}

impl FileTokenStore {
    /// A store in `dir`; the directory is created (mode 0700) when a session is first saved or locked.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            extension: "json",
        }
    }

    /// The same store naming its files `<hashed name>.<extension>` (the keyring store's sealed files).
    pub(crate) fn with_extension(mut self, extension: &'static str) -> Self {
        self.extension = extension;
        self
    }

    /// The same store with another wait for [`BlockingTokenStore::lock`] (30 s by default).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of a session.
    pub fn path_of(&self, key: &StoreKey) -> PathBuf {
        self.dir
            .join(format!("{}.{}", key.hashed_name(), self.extension))
    }

    fn write_new(path: &Path, text: &str) -> io::Result<()> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()
    }
}

impl BlockingTokenStore for FileTokenStore {
    fn load(&self, key: &StoreKey) -> Result<Option<StoredSecret>, Error> {
        if !dir::ensure_private(&self.dir, false)? {
            return Ok(None);
        }
        let path = self.path_of(key);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(dir::io_error("read", &path, &e)),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::{MetadataExt, PermissionsExt};
            let meta = std::fs::metadata(&path).map_err(|e| dir::io_error("read", &path, &e))?;
            if meta.mode() & 0o077 != 0 {
                tracing::warn!(file = %path.display(), "a token file was open to others; narrowing it to 0600");
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| dir::io_error("make private (chmod 600)", &path, &e))?;
            }
        }
        let text = String::from_utf8(bytes).map_err(|_| Error::TokenStoreCorrupt {
            path: path.display().to_string(),
            reason: "it is not UTF-8 text".to_string(),
        })?;
        Ok(Some(StoredSecret::new(text)))
    }

    fn save(&self, key: &StoreKey, value: &StoredSecret) -> Result<(), Error> {
        dir::ensure_private(&self.dir, true)?;
        let path = self.path_of(key);
        let mut suffix = [0u8; 8];
        rand::rngs::OsRng.fill_bytes(&mut suffix);
        let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
        let temp = self
            .dir
            .join(format!(".{}.{suffix}.tmp", key.hashed_name()));
        let written = Self::write_new(&temp, value.secret())
            .map_err(|e| dir::io_error("write", &temp, &e))
            .and_then(|()| {
                std::fs::rename(&temp, &path).map_err(|e| dir::io_error("write", &path, &e))
            });
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
        dir::sync(&self.dir)
    }

    fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        if !dir::ensure_private(&self.dir, false)? {
            return Ok(());
        }
        let path = self.path_of(key);
        match std::fs::remove_file(&path) {
            Ok(()) => dir::sync(&self.dir),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(dir::io_error("delete", &path, &e)),
        }
    }

    fn lock(&self, key: &StoreKey) -> Result<StoreLock, Error> {
        lock::acquire(&self.dir, &key.hashed_name(), self.lock_timeout)
    }

    fn describe(&self) -> String {
        format!("file {}", self.dir.display())
    }
}
