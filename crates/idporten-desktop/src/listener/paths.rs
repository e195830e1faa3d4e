//! The paths a listener serves besides the redirect URI's own: the back URI and the post-logout URI.

use crate::{Error, RedirectUri};

/// Checks a configured extra path: a plain path, not the redirect URI's own.
pub(super) fn check_path(
    uri: &RedirectUri,
    what: &str,
    path: &Option<String>,
) -> Result<Option<String>, Error> {
    let Some(path) = path else { return Ok(None) };
    let refuse = |reason: String| Error::InvalidRedirectUri {
        uri: uri.to_string(),
        reason,
    };
    if !path.starts_with('/') || path.contains(['?', '#']) {
        return Err(refuse(format!(
            "the {what} path {path:?} must be a plain path starting with /"
        )));
    }
    if path == uri.url().path() {
        return Err(refuse(format!(
            "the {what} path {path} is the redirect URI's own path; they must differ"
        )));
    }
    Ok(Some(path.clone()))
}
