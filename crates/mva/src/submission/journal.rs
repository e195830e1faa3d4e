//! The submission journal, the flow's only state on disk: one folder per submission (keyed by a hash of what is filed), holding a copy of the
//! documents and `journal.json`, which records each step BEFORE the flow moves on. Files are written atomically
//! (temporary file, fsync, rename) with mode 0600. Tokens are never written.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::model::Feedback;
use crate::error::MvaError;
use crate::InstanceId;
use serde::{Deserialize, Serialize};

/// The state of one submission, as recorded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Journal {
    /// Format version.
    pub version: u32,
    /// The submission key (hash of return, envelope, organisation number and attachments).
    pub key: String,
    /// The organisation filed for.
    pub organisation: String,
    /// When the journal was started (RFC 3339).
    pub started_at: String,
    /// The instance, once created.
    pub instance: Option<InstanceId>,
    /// The envelope's data element id (`data[0]` of the new instance).
    pub envelope_element: Option<String>,
    /// The envelope is uploaded.
    pub envelope_uploaded: bool,
    /// The return is uploaded.
    pub return_uploaded: bool,
    /// Names of the attachments uploaded.
    pub attachments_uploaded: Vec<String>,
    /// The first process/next is done.
    pub filled_in: bool,
    /// The second process/next is done: the return is filed.
    pub submitted: bool,
    /// The feedback, once fetched.
    pub feedback: Option<Feedback>,
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> MvaError + 'a {
    move |source| MvaError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Creates a folder readable only by the user.
pub(crate) fn private_dir(path: &Path) -> Result<(), MvaError> {
    std::fs::create_dir_all(path).map_err(io("cannot create folder", path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
            .map_err(io("cannot protect folder", path))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically with mode 0600: a new temporary file with a random name in the same folder
/// (created exclusively, never opening an existing file or a planted link), written, flushed to disk, then renamed
/// over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), MvaError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // tempfile creates the file with O_CREAT|O_EXCL and mode 0600 under a random name.
    let mut tmp = tempfile::Builder::new()
        .prefix(".mva-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io("cannot create a temporary file in", dir))?;
    tmp.write_all(bytes)
        .map_err(io("cannot write", tmp.path()))?;
    tmp.as_file()
        .sync_all()
        .map_err(io("cannot write", tmp.path()))?;
    tmp.persist(path)
        .map_err(|e| io("cannot write", path)(e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// An exclusive lock on one journal entry, held for a whole submission: two processes filing the same return at
/// once would otherwise both find no journal and both file it. The lock is the operating system's advisory file
/// lock (`flock` on Unix, `LockFileEx` on Windows) on `{journal_dir}/{key}.lock`; it is released when this value is
/// dropped or the process dies, so a killed submission never leaves a stale lock. The lock file itself stays (it
/// holds nothing; removing it would let two processes lock two different files).
#[derive(Debug)]
pub struct EntryLock {
    _file: std::fs::File,
}

impl EntryLock {
    /// The lock file of entry `key`.
    pub fn path(root: &Path, key: &str) -> PathBuf {
        root.join(format!("{key}.lock"))
    }

    /// Takes the lock of entry `key` if no other submission holds it; `None` when one does.
    pub fn try_acquire(root: &Path, key: &str) -> Result<Option<Self>, MvaError> {
        private_dir(root)?;
        let path = Self::path(root, key);
        let mut opts = std::fs::OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts
            .open(&path)
            .map_err(io("cannot open lock file", &path))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Self { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(MvaError::Io {
                action: "cannot lock",
                path,
                source: e,
            }),
        }
    }
}

/// A journal on disk.
#[derive(Debug)]
pub struct JournalFile {
    dir: PathBuf,
    /// The recorded state.
    pub state: Journal,
}

impl JournalFile {
    /// The folder of submission `key` under `root`.
    pub fn dir_for(root: &Path, key: &str) -> PathBuf {
        root.join(key)
    }

    /// Opens the journal of `key`, if there is one.
    pub fn open(root: &Path, key: &str) -> Result<Option<Self>, MvaError> {
        let dir = Self::dir_for(root, key);
        let path = dir.join("journal.json");
        match std::fs::read(&path) {
            Ok(bytes) => {
                let state: Journal =
                    serde_json::from_slice(&bytes).map_err(|e| MvaError::Journal {
                        path: path.clone(),
                        detail: e.to_string(),
                    })?;
                if state.key != key {
                    return Err(MvaError::Journal {
                        path,
                        detail: "the key inside does not match its folder".into(),
                    });
                }
                Ok(Some(Self { dir, state }))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(MvaError::Io {
                action: "cannot read",
                path,
                source: e,
            }),
        }
    }

    /// Starts a journal, keeping a copy of what will be filed next to it.
    pub fn create(root: &Path, state: Journal, docs: &[(&str, &[u8])]) -> Result<Self, MvaError> {
        private_dir(root)?;
        let dir = Self::dir_for(root, &state.key);
        private_dir(&dir)?;
        for (name, bytes) in docs {
            write_atomic(&dir.join(name), bytes)?;
        }
        let j = Self { dir, state };
        j.save()?;
        Ok(j)
    }

    /// Moves an old journal aside (for `force_new`), so a new submission of the same content can start.
    pub fn supersede(root: &Path, key: &str) -> Result<(), MvaError> {
        let dir = Self::dir_for(root, key);
        if dir.exists() {
            let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
            let to = root.join(format!("{key}.superseded-{stamp}"));
            std::fs::rename(&dir, &to).map_err(io("cannot move aside", &dir))?;
        }
        Ok(())
    }

    /// Records the current state (atomically, before the flow moves on).
    pub fn save(&self) -> Result<(), MvaError> {
        let bytes = serde_json::to_vec_pretty(&self.state).map_err(|e| MvaError::Journal {
            path: self.path(),
            detail: e.to_string(),
        })?;
        write_atomic(&self.path(), &bytes)
    }

    /// The journal file.
    pub fn path(&self) -> PathBuf {
        self.dir.join("journal.json")
    }

    /// The envelope kept when the journal was started (the one to upload on a resumed run).
    pub fn kept_envelope(&self) -> Option<Vec<u8>> {
        std::fs::read(self.dir.join("konvolutt.xml")).ok()
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// The journals under `journal_dir` that are not finished (no feedback recorded).
pub fn unfinished(journal_dir: &Path) -> Result<Vec<Journal>, MvaError> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(journal_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(source) => {
            return Err(MvaError::Io {
                action: "cannot read",
                path: journal_dir.to_path_buf(),
                source,
            })
        }
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.len() == 64 {
            if let Some(j) = JournalFile::open(journal_dir, &name)? {
                if j.state.feedback.is_none() {
                    out.push(j.state);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The temporary file has a random name and is created exclusively: a link planted where an older version put
    /// its predictable temporary file (`.NAME.tmp-PID`) is neither followed nor truncated.
    #[cfg(unix)]
    #[test]
    fn write_atomic_does_not_follow_a_planted_link() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let target = dir.path().join("journal.json");
        let planted = dir
            .path()
            .join(format!(".journal.json.tmp-{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        write_atomic(&target, b"{}").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(std::fs::read(&target).unwrap(), b"{}");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // nothing but the planted link, the victim and the file itself is left
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }
}
