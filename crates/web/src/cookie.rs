//! The session cookie: an opaque, encrypted reference to a session, and the attributes it is set with.
//!
//! What the cookie holds, sealed with XChaCha20-Poly1305 under the server key (see [`crate::keys`]): the random
//! session id (32 bytes), a random per-session data key (32 bytes) that encrypts the session in the store, and the
//! session's absolute end. Neither the store alone nor the cookie alone reveals anything: the store keeps only a
//! hash of the session id and data it cannot decrypt; the cookie cannot be read without the server key.

use crate::keys::SessionKeys;
use crate::seal::{self, Key};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::fmt;
use std::time::Duration;
use time::OffsetDateTime;

/// The cookie's name. The `__Host-` prefix makes browsers refuse it unless it is `Secure`, has `Path=/` and no
/// `Domain`, so neither a sibling subdomain nor a plain-HTTP page can plant or overwrite it.
pub const COOKIE_NAME: &str = "__Host-mva-session";

/// Associated data of the cookie's seal: binds the ciphertext to this use and layout.
const COOKIE_PURPOSE: &[u8] = b"mva-web session cookie v1";
const PLAIN_LEN: usize = 32 + 32 + 8;

/// Why a session cookie is refused. Every case means "not logged in": HTTP 401, never a server error.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone, Copy)]
#[non_exhaustive]
pub enum CookieError {
    /// Not something this server ever issued: not base64url, or of the wrong length (truncated, padded).
    #[error("the session cookie is malformed; log in again")]
    Malformed,
    /// Sealed under neither the current nor the previous key, or altered: tampered with, from another server, or
    /// from before a key was retired.
    #[error(
        "the session cookie was not issued with this server's key or was altered; log in again"
    )]
    NotAuthentic,
    /// Authentic, but the session's absolute lifetime is over.
    #[error("the session has expired; log in again")]
    Expired,
}

impl CookieError {
    /// The HTTP status this maps to: always 401 Unauthorized.
    pub fn status(&self) -> http::StatusCode {
        http::StatusCode::UNAUTHORIZED
    }
}

/// A session's random id (32 bytes from the OS's CSPRNG). Never printed; stores see only its SHA-256.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId([u8; 32]);

impl SessionId {
    pub(crate) fn random() -> Self {
        Self(seal::random_bytes())
    }

    /// The name the store keeps the session under: the hex SHA-256 of the id, so a store dump cannot be turned
    /// back into a cookie.
    pub fn storage_key(&self) -> String {
        seal::hex(&Sha256::digest(self.0))
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId([redacted])")
    }
}

/// What a valid cookie refers to: the session id, the session's data key, and its absolute end.
#[derive(Clone)]
pub struct SessionRef {
    pub(crate) id: SessionId,
    pub(crate) data_key: Key,
    pub(crate) ends_at_ms: i64,
}

impl SessionRef {
    pub(crate) fn new(ends_at: OffsetDateTime) -> Self {
        Self {
            id: SessionId::random(),
            data_key: Key::random(),
            ends_at_ms: unix_ms(ends_at),
        }
    }

    /// The session's id.
    pub fn id(&self) -> &SessionId {
        &self.id
    }

    /// When the session ends at the latest (its absolute lifetime).
    pub fn ends_at(&self) -> OffsetDateTime {
        from_unix_ms(self.ends_at_ms)
    }

    /// Seals this reference into a cookie value under the current key.
    pub fn seal(&self, keys: &SessionKeys) -> SealedCookie {
        let mut plain = Vec::with_capacity(PLAIN_LEN);
        plain.extend_from_slice(&self.id.0);
        plain.extend_from_slice(self.data_key.bytes());
        plain.extend_from_slice(&self.ends_at_ms.to_be_bytes());
        SealedCookie(URL_SAFE_NO_PAD.encode(keys.current.seal(COOKIE_PURPOSE, &plain)))
    }

    /// Opens a cookie value sealed by [`SessionRef::seal`] under the current or the previous key, and checks that
    /// the session has not outlived its absolute lifetime at `now`.
    pub fn open(value: &str, keys: &SessionKeys, now: OffsetDateTime) -> Result<Self, CookieError> {
        let sealed = URL_SAFE_NO_PAD
            .decode(value.trim())
            .map_err(|_| CookieError::Malformed)?;
        if sealed.len() != PLAIN_LEN + seal::OVERHEAD {
            return Err(CookieError::Malformed);
        }
        let plain = keys
            .for_opening()
            .find_map(|key| key.open(COOKIE_PURPOSE, &sealed))
            .ok_or(CookieError::NotAuthentic)?;
        let id: [u8; 32] = plain[..32].try_into().map_err(|_| CookieError::Malformed)?;
        let data_key: [u8; 32] = plain[32..64]
            .try_into()
            .map_err(|_| CookieError::Malformed)?;
        let ends: [u8; 8] = plain[64..].try_into().map_err(|_| CookieError::Malformed)?;
        let reference = Self {
            id: SessionId(id),
            data_key: Key::from_bytes(data_key),
            ends_at_ms: i64::from_be_bytes(ends),
        };
        if reference.ends_at_ms <= unix_ms(now) {
            return Err(CookieError::Expired);
        }
        Ok(reference)
    }
}

impl fmt::Debug for SessionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionRef([redacted], ends_at: {})", self.ends_at())
    }
}

/// A sealed cookie value, ready for [`CookieAttributes::set_cookie`]. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedCookie(String);

impl SealedCookie {
    /// The cookie value. Never log it.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SealedCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealedCookie([redacted])")
    }
}

/// Builds the `Set-Cookie` header values of the session cookie.
///
/// Fixed: `Secure` (and the `__Host-` prefix, which requires it), `HttpOnly` (no script reads it), `Path=/`, no
/// `Domain` (this host only). `SameSite=Lax`, not `Strict`: the way back from ID-porten to the callback is a
/// cross-site top-level GET, and a `Strict` cookie set in that chain is not sent on the immediate redirect to the
/// page the user asked for, nor when a user follows a link to the application from another site. `Lax` is still
/// never sent on a cross-site POST, fetch, iframe or image, and every state-changing request is checked separately
/// (an `Origin` equal to the public URL and a custom request header), which is the CSRF defence the BFF relies on.
#[derive(Debug, Clone, Copy, Default)]
pub struct CookieAttributes;

impl CookieAttributes {
    /// `Set-Cookie` for a session that lives at most `max_age` (the rest of its absolute lifetime).
    pub fn set_cookie(&self, value: &SealedCookie, max_age: Duration) -> String {
        format!(
            "{COOKIE_NAME}={}; {}; Max-Age={}",
            value.0,
            Self::FIXED,
            max_age.as_secs()
        )
    }

    /// `Set-Cookie` that removes the session cookie (logout, or a cookie that was refused).
    pub fn clear_cookie(&self) -> String {
        format!("{COOKIE_NAME}=; {}; Max-Age=0", Self::FIXED)
    }

    const FIXED: &'static str = "Path=/; Secure; HttpOnly; SameSite=Lax";
}

pub(crate) fn unix_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub(crate) fn from_unix_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_cookie_has_every_required_attribute_and_no_domain() {
        let value = SessionRef::new(OffsetDateTime::now_utc()).seal(&SessionKeys::generate());
        let header = CookieAttributes.set_cookie(&value, Duration::from_secs(60));
        assert!(header.starts_with("__Host-mva-session="));
        for attribute in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax", "Max-Age=60"] {
            assert!(
                header.split("; ").any(|a| a == attribute),
                "{attribute} missing in {header}"
            );
        }
        assert!(!header.to_ascii_lowercase().contains("domain"));
        assert!(CookieAttributes.clear_cookie().ends_with("Max-Age=0"));
    }
}
