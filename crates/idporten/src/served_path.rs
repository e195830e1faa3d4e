//! The path a loopback listener on a redirect URI serves another registered URI under (the back URI, the
//! post-logout URI): a pure function, used by the integration check and by the desktop listener.

use crate::RedirectUri;

/// The path under which a listener on `redirect_uri` serves `uri` (the back URI or the post-logout URI): `Some` when
/// `uri` is plain `http` on the same port and a host the listener answers for (the same host; for `localhost`, also
/// 127.0.0.1 and [::1], which it binds too), with no query or fragment; `None` when another server must serve it.
///
/// ```
/// use idporten::{served_path, RedirectUri};
/// let redirect = RedirectUri::parse("http://localhost:8988/auth/loginsuccess").unwrap();
/// let back = "http://localhost:8988/auth/logincancelled";
/// assert_eq!(served_path(&redirect, back).as_deref(), Some("/auth/logincancelled"));
/// assert_eq!(served_path(&redirect, "http://127.0.0.1:8988/x").as_deref(), Some("/x"));
/// assert_eq!(served_path(&redirect, "http://localhost:8989/auth/logincancelled"), None);
/// assert_eq!(served_path(&redirect, "https://example.com/cancelled"), None);
/// assert_eq!(served_path(&redirect, "http://localhost:8988/auth/loginsuccess"), None);
/// ```
pub fn served_path(redirect_uri: &RedirectUri, uri: &str) -> Option<String> {
    let uri = url::Url::parse(uri).ok()?;
    let redirect = redirect_uri.url();
    let (host, redirect_host) = (uri.host_str()?, redirect.host_str()?);
    let host_ok = host.eq_ignore_ascii_case(redirect_host)
        || (redirect_host.eq_ignore_ascii_case("localhost")
            && matches!(host, "127.0.0.1" | "[::1]"));
    let served = uri.scheme() == "http"
        && host_ok
        && redirect.port().is_some_and(|p| p != 0)
        && uri.port_or_known_default() == redirect.port_or_known_default()
        && uri.query().is_none()
        && uri.fragment().is_none()
        && uri.path() != redirect.path();
    served.then(|| uri.path().to_string())
}
