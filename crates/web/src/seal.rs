//! XChaCha20-Poly1305 sealing shared by the cookie and the session data: a random 24-byte nonce per message
//! (large enough that random nonces never repeat in practice), the purpose bound in as associated data, and a
//! format byte in front so the layout can change later without guessing.
//!
//! Layout: `format (1) || nonce (24) || ciphertext || tag (16)`.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::rngs::OsRng;
use rand::RngCore;

/// The format byte of everything sealed by this crate today.
const FORMAT: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// Bytes a sealed message adds to its plaintext.
pub(crate) const OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;

/// A 256-bit symmetric key. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Key([u8; 32]);

impl Key {
    /// Wraps 32 key bytes.
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A fresh key from the operating system's CSPRNG.
    pub(crate) fn random() -> Self {
        Self(random_bytes())
    }

    /// The key bytes (to seal them into a cookie).
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Seals `plaintext` bound to `purpose`.
    pub(crate) fn seal(&self, purpose: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let nonce_bytes: [u8; NONCE_LEN] = random_bytes();
        let nonce = XNonce::from(nonce_bytes);
        let sealed = self
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: purpose,
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any message shorter than 256 GiB");
        let mut out = Vec::with_capacity(OVERHEAD + plaintext.len());
        out.push(FORMAT);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`Key::seal`] sealed with the same key and purpose; `None` if it was sealed under another key or
    /// purpose, altered, truncated, or is of an unknown format.
    pub(crate) fn open(&self, purpose: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < OVERHEAD || sealed[0] != FORMAT {
            return None;
        }
        let nonce_bytes: [u8; NONCE_LEN] = sealed[1..1 + NONCE_LEN].try_into().ok()?;
        let nonce = XNonce::from(nonce_bytes);
        self.cipher()
            .decrypt(
                &nonce,
                Payload {
                    msg: &sealed[1 + NONCE_LEN..],
                    aad: purpose,
                },
            )
            .ok()
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.0.into())
    }
}

/// `N` bytes from the operating system's CSPRNG.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// Lower-case hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_what_it_sealed_for_the_same_purpose() {
        let key = Key::random();
        let sealed = key.seal(b"a", b"hello");
        assert_eq!(key.open(b"a", &sealed).as_deref(), Some(&b"hello"[..]));
        assert_eq!(key.open(b"b", &sealed), None, "another purpose");
        assert_eq!(Key::random().open(b"a", &sealed), None, "another key");
        assert_eq!(
            key.open(b"a", &sealed[..sealed.len() - 1]),
            None,
            "truncated"
        );
        for i in 0..sealed.len() {
            let mut bent = sealed.clone();
            bent[i] ^= 0x40;
            assert_eq!(key.open(b"a", &bent), None, "byte {i} altered");
        }
        assert_ne!(key.seal(b"a", b"hello"), sealed, "a fresh nonce every time");
    }
}
