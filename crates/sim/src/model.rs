//! Small protocol values of the simulator: levels of assurance, languages, random tokens.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A level of assurance (`acr`). The order is the order of strength: high satisfies substantial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `idporten-loa-low`.
    Low,
    /// `idporten-loa-substantial` (was `Level3`).
    Substantial,
    /// `idporten-loa-high` (was `Level4`).
    High,
}

/// The acr values discovery advertises (as the test environment does).
pub const ACR_VALUES: [&str; 6] = [
    "idporten-loa-low",
    "idporten-loa-substantial",
    "idporten-loa-high",
    "eidas-loa-low",
    "eidas-loa-substantial",
    "eidas-loa-high",
];

impl Level {
    /// Parses an acr value: the current names, the old `Level3`/`Level4`, and the eIDAS names.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "idporten-loa-low" | "eidas-loa-low" => Some(Self::Low),
            "idporten-loa-substantial" | "eidas-loa-substantial" | "Level3" => {
                Some(Self::Substantial)
            }
            "idporten-loa-high" | "eidas-loa-high" | "Level4" => Some(Self::High),
            _ => None,
        }
    }

    /// The `acr` claim value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "idporten-loa-low",
            Self::Substantial => "idporten-loa-substantial",
            Self::High => "idporten-loa-high",
        }
    }
}

/// The language of the pages and the `locale` claim (`ui_locales`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Norsk bokmål (default).
    Nb,
    /// Nynorsk.
    Nn,
    /// English.
    En,
    /// Northern Sami: accepted as ID-porten does; the simulator's pages fall back to bokmål.
    Se,
}

/// The ui_locales discovery advertises.
pub const UI_LOCALES: [&str; 4] = ["en", "nb", "nn", "se"];

impl Lang {
    /// Parses one ui_locales entry.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "nb" | "no" => Some(Self::Nb),
            "nn" => Some(Self::Nn),
            "en" => Some(Self::En),
            "se" => Some(Self::Se),
            _ => None,
        }
    }

    /// The `locale` claim value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nb => "nb",
            Self::Nn => "nn",
            Self::En => "en",
            Self::Se => "se",
        }
    }
}

/// 32 random bytes from the OS CSPRNG, base64url without padding (codes, refresh tokens, cookies, CSRF tokens).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a secret, base64url: secrets are stored only as digests.
pub fn digest(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
}

/// The PKCE S256 challenge of a verifier (RFC 7636 4.2).
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `value` is base64url without padding of exactly `len` characters.
pub fn is_base64url(value: &str, len: usize) -> bool {
    value.len() == len
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether a PKCE verifier has the form RFC 7636 4.1 demands: 43 to 128 unreserved characters.
pub fn is_valid_verifier(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Whether a test number is synthetic (TestID accepts only those: the month is increased by 80).
pub fn is_synthetic_pid(pid: &str) -> bool {
    pid.get(2..4)
        .and_then(|m| m.parse::<u32>().ok())
        .is_some_and(|m| (81..=92).contains(&m))
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_and_old_names_map() {
        assert!(Level::High > Level::Substantial);
        assert_eq!(Level::parse("Level3"), Some(Level::Substantial));
        assert_eq!(Level::parse("Level4"), Some(Level::High));
        assert_eq!(Level::parse("loa-high"), None);
    }

    #[test]
    fn pkce_and_escaping() {
        // RFC 7636 appendix B.
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(is_valid_verifier(
            "dBjftJeZ4CVP-1mB8sYV3Ehdc1AfyGZzNo8vUGwGcR8"
        ));
        assert!(!is_valid_verifier("short"));
        assert!(is_base64url(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            43
        ));
        assert!(!is_base64url(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c=",
            43
        ));
        assert_eq!(
            html_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert!(is_synthetic_pid("01818510078"));
        assert!(!is_synthetic_pid("01018510078"));
    }
}
