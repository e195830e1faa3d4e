//! The cross-process lock of one session: an exclusive OS file lock on `<hashed name>.lock` in the token directory.
//! The file store and the keyring store use the same lock files, so every mva process agrees.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use super::dir;
use idporten::{Error, StoreLock};

/// How often a held lock is tried again.
const RETRY: Duration = Duration::from_millis(25);

/// The OS lock on one lock file, held until dropped (inside a [`StoreLock`]).
struct FileLock {
    file: File,
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Closing the file releases the lock as well; unlocking first makes the release immediate and explicit.
        #[allow(clippy::incompatible_msrv)]
        // File::unlock is stable since 1.89; the toolchain is newer.
        let _ = self.file.unlock();
    }
}

/// Takes the lock `<name>.lock` in `dir` (a private directory, created when missing), waiting at most `timeout`.
pub(crate) fn acquire(dir_path: &Path, name: &str, timeout: Duration) -> Result<StoreLock, Error> {
    dir::ensure_private(dir_path, true)?;
    let path = dir_path.join(format!("{name}.lock"));
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options
        .open(&path)
        .map_err(|e| dir::io_error("open the lock file", &path, &e))?;
    let start = Instant::now();
    loop {
        #[allow(clippy::incompatible_msrv)]
        // File::try_lock is stable since 1.89; the toolchain is newer.
        match file.try_lock() {
            Ok(()) => return Ok(StoreLock::with_path(FileLock { file }, path)),
            Err(TryLockError::WouldBlock) if start.elapsed() < timeout => std::thread::sleep(RETRY),
            Err(TryLockError::WouldBlock) => {
                return Err(Error::StoreLockTimeout {
                    path: path.display().to_string(),
                    after: timeout,
                })
            }
            Err(TryLockError::Error(e)) => return Err(dir::io_error("lock", &path, &e)),
        }
    }
}
