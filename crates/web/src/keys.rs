//! The server's cookie keys, from `MVA_SESSION_KEY`.
//!
//! Format: one or two keys separated by a comma, `current[,previous]`, each the base64 (standard or URL-safe
//! alphabet, padding optional) of exactly 32 random bytes, e.g. from `openssl rand -base64 32`. Cookies are
//! sealed with the current key and opened with either, so a rotation (new key first, old key second) logs no one
//! out; once every cookie sealed under the old key has expired (at most the absolute session lifetime, 8 hours),
//! the previous key can be dropped.

use crate::seal::Key;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use std::fmt;

/// The name of the environment variable that holds the keys.
pub const SESSION_KEY_ENV: &str = "MVA_SESSION_KEY";

/// Why `MVA_SESSION_KEY` is not usable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// No key at all.
    #[error("{SESSION_KEY_ENV} is empty; it must hold the base64 of 32 random bytes (current key), optionally followed by a comma and the previous key")]
    Empty,
    /// More than a current and a previous key.
    #[error("{SESSION_KEY_ENV} holds {count} keys; it holds at most two: current,previous")]
    TooMany {
        /// How many comma-separated keys were given.
        count: usize,
    },
    /// A key is not base64.
    #[error("the {which} key in {SESSION_KEY_ENV} is not base64")]
    NotBase64 {
        /// `current` or `previous`.
        which: &'static str,
    },
    /// A key does not decode to 32 bytes.
    #[error("the {which} key in {SESSION_KEY_ENV} is {len} bytes long; it must be exactly 32 random bytes")]
    WrongLength {
        /// `current` or `previous`.
        which: &'static str,
        /// The decoded length.
        len: usize,
    },
}

/// The key cookies are sealed with and the previous one they may still be sealed with. Never printed.
#[derive(Clone)]
pub struct SessionKeys {
    pub(crate) current: Key,
    pub(crate) previous: Option<Key>,
}

impl SessionKeys {
    /// Parses the value of `MVA_SESSION_KEY` (`current[,previous]`, see the module documentation).
    pub fn parse(value: &str) -> Result<Self, KeyError> {
        let parts: Vec<&str> = value.split(',').map(str::trim).collect();
        match parts.as_slice() {
            [""] => Err(KeyError::Empty),
            [current] => Ok(Self {
                current: decode(current, "current")?,
                previous: None,
            }),
            [current, previous] => Ok(Self {
                current: decode(current, "current")?,
                previous: Some(decode(previous, "previous")?),
            }),
            more => Err(KeyError::TooMany { count: more.len() }),
        }
    }

    /// A fresh random key, for a single instance whose sessions need not survive a restart (`mva serve --sim`).
    pub fn generate() -> Self {
        Self {
            current: Key::random(),
            previous: None,
        }
    }

    /// A freshly generated key in the format [`SessionKeys::parse`] reads.
    pub fn new_key_text() -> String {
        base64::engine::general_purpose::STANDARD.encode(Key::random().bytes())
    }

    /// The keys to try when opening, current first.
    pub(crate) fn for_opening(&self) -> impl Iterator<Item = &Key> {
        std::iter::once(&self.current).chain(self.previous.as_ref())
    }
}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SessionKeys([redacted], previous: {})",
            self.previous.is_some()
        )
    }
}

fn decode(text: &str, which: &'static str) -> Result<Key, KeyError> {
    let lenient =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let bytes = GeneralPurpose::new(&alphabet::STANDARD, lenient)
        .decode(text)
        .or_else(|_| GeneralPurpose::new(&alphabet::URL_SAFE, lenient).decode(text))
        .map_err(|_| KeyError::NotBase64 { which })?;
    let len = bytes.len();
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| KeyError::WrongLength { which, len })?;
    Ok(Key::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_or_two_keys_and_refuses_anything_else() {
        let a = SessionKeys::new_key_text();
        let b = SessionKeys::new_key_text();
        assert!(SessionKeys::parse(&a).unwrap().previous.is_none());
        assert!(SessionKeys::parse(&format!(" {a} , {b}\n"))
            .unwrap()
            .previous
            .is_some());
        let url_safe_unpadded = a
            .replace('+', "-")
            .replace('/', "_")
            .trim_end_matches('=')
            .to_owned();
        assert!(SessionKeys::parse(&url_safe_unpadded).is_ok());
        assert_eq!(SessionKeys::parse("").unwrap_err(), KeyError::Empty);
        assert_eq!(
            SessionKeys::parse(&format!("{a},{b},{a}")).unwrap_err(),
            KeyError::TooMany { count: 3 }
        );
        assert_eq!(
            SessionKeys::parse("not base64!").unwrap_err(),
            KeyError::NotBase64 { which: "current" }
        );
        assert_eq!(
            SessionKeys::parse(&format!("{a},c2hvcnQ=")).unwrap_err(),
            KeyError::WrongLength {
                which: "previous",
                len: 5
            }
        );
        assert!(!format!("{:?}", SessionKeys::parse(&a).unwrap()).contains(&a[..8]));
    }
}
