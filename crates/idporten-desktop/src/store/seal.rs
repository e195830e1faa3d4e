//! Sealing a session with the key kept in the keyring: XChaCha20-Poly1305 (random 24-byte nonces never repeat in
//! practice), the session's hashed name bound in as associated data (a file moved to another session's name does
//! not open), a format byte in front. Layout: `format (1) || nonce (24) || ciphertext || tag (16)`, base64 in the
//! file.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

const FORMAT: u8 = 1;
const NONCE_LEN: usize = 24;
/// How a key is written into the keyring: this prefix, then the 32 bytes in base64 (49 characters in all).
const KEY_PREFIX: &str = "mva-session-key-v1:";

/// A session's 256-bit key. Never printed.
pub(crate) struct SessionKey([u8; 32]);

impl SessionKey {
    /// A fresh key from the operating system's CSPRNG.
    pub(crate) fn random() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The key as kept in the keyring.
    pub(crate) fn to_keyring_text(&self) -> String {
        format!("{KEY_PREFIX}{}", STANDARD.encode(self.0))
    }

    /// A key read from the keyring; `None` when the text is not one (e.g. a session stored whole by an older
    /// version).
    pub(crate) fn from_keyring_text(text: &str) -> Option<Self> {
        let bytes = STANDARD.decode(text.strip_prefix(KEY_PREFIX)?).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    /// Seals `plaintext` for the session `name`, as base64 text.
    pub(crate) fn seal(&self, name: &str, plaintext: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher()
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: name.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any message shorter than 256 GiB");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(FORMAT);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        STANDARD.encode(out)
    }

    /// Opens what [`SessionKey::seal`] sealed for `name` with this key; `None` when it was sealed with another key
    /// or for another name, altered, truncated, or not UTF-8.
    pub(crate) fn open(&self, name: &str, text: &str) -> Option<String> {
        let sealed = STANDARD.decode(text.trim()).ok()?;
        if sealed.len() < 1 + NONCE_LEN || sealed[0] != FORMAT {
            return None;
        }
        let nonce: [u8; NONCE_LEN] = sealed[1..1 + NONCE_LEN].try_into().ok()?;
        let plain = self
            .cipher()
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &sealed[1 + NONCE_LEN..],
                    aad: name.as_bytes(),
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.0.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_sessions_open_only_with_their_key_and_name() {
        let key = SessionKey::random();
        let text = key.to_keyring_text();
        assert!(text.len() < 64, "{}", text.len());
        let again = SessionKey::from_keyring_text(&text).unwrap();
        let sealed = key.seal("a", "{\"access_token\":\"s3cret\"}");
        assert!(!sealed.contains("s3cret"));
        assert_eq!(
            again.open("a", &sealed).as_deref(),
            Some("{\"access_token\":\"s3cret\"}")
        );
        assert!(again.open("b", &sealed).is_none(), "another session's name");
        assert!(SessionKey::random().open("a", &sealed).is_none());
        let mut bytes = STANDARD.decode(&sealed).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        assert!(key.open("a", &STANDARD.encode(bytes)).is_none(), "altered");
        assert!(SessionKey::from_keyring_text("{\"access_token\":\"x\"}").is_none());
    }
}
