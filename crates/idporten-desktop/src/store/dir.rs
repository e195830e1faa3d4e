//! The private token directory: created with mode 0700, narrowed to 0700 when it is wider, refused when it belongs
//! to another user.

use std::io;
use std::path::Path;

use crate::Error;

/// An I/O error of the store, naming the action and the path.
pub(crate) fn io_error(action: &str, path: &Path, e: &io::Error) -> Error {
    let reason = match e.kind() {
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    Error::TokenStoreIo {
        action: action.to_string(),
        path: path.display().to_string(),
        reason,
    }
}

/// Makes sure `dir` is a private directory of this user. With `create`, a missing one is created (with its
/// parents); without, `Ok(false)` says it does not exist.
pub(crate) fn ensure_private(dir: &Path, create: bool) -> Result<bool, Error> {
    let meta = match std::fs::metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound && !create => return Ok(false),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
                .create(dir)
                .map_err(|e| io_error("create the directory", dir, &e))?;
            std::fs::metadata(dir).map_err(|e| io_error("read the directory", dir, &e))?
        }
        Err(e) => return Err(io_error("read the directory", dir, &e)),
    };
    if !meta.is_dir() {
        return Err(Error::TokenStoreIo {
            action: "use as the token directory".to_string(),
            path: dir.display().to_string(),
            reason: "it exists but is not a directory".to_string(),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            return Err(Error::TokenStoreNotOwned {
                path: dir.display().to_string(),
                owner: meta.uid(),
            });
        }
        if meta.mode() & 0o077 != 0 {
            let mode = format!("{:o}", meta.mode() & 0o777);
            tracing::warn!(dir = %dir.display(), mode, "the token directory was open to others; narrowing it to 0700");
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| io_error("make private (chmod 700)", dir, &e))?;
        }
    }
    Ok(true)
}

/// Flushes a directory's entries (a rename or removal in it) to disk.
pub(crate) fn sync(dir: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("flush the directory", dir, &e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
