//! VAT documents are UTF-8 (the official format): anything else is refused before any parser reads it.
//!
//! The safe scan ([`crate::scan`]) reads bytes as UTF-8 while libxml2 honours the encoding a document declares or a
//! byte order mark implies. A document in another encoding could therefore show the scan one thing and libxml2
//! another (UTF-7 can hide a `<!DOCTYPE ... SYSTEM "...">` inside what reads as a comment in UTF-8). Refusing every
//! encoding but UTF-8 makes both read the same characters from the same bytes.

use crate::finding::{Finding, FindingKind, Severity};

/// The encodings a document may declare (`<?xml ... encoding="..."?>`), compared without regard to case.
const UTF8_NAMES: [&str; 2] = ["UTF-8", "UTF8"];

/// Whether `declared` (the value of an XML declaration's `encoding`) names UTF-8.
pub(crate) fn is_utf8_name(declared: &[u8]) -> bool {
    UTF8_NAMES
        .iter()
        .any(|n| n.as_bytes().eq_ignore_ascii_case(declared))
}

fn refuse(message: String) -> Finding {
    Finding::new(Severity::Error, FindingKind::Encoding, message)
}

/// The finding for a document whose XML declaration names another encoding than UTF-8.
pub(crate) fn declared_encoding_refused(declared: &[u8]) -> Finding {
    refuse(format!(
        "the XML declaration says encoding=\"{}\"; VAT documents must be UTF-8 (the official format). Save the file as \
         UTF-8 and declare encoding=\"UTF-8\" (or nothing)",
        String::from_utf8_lossy(declared)
    ))
}

/// UTF-16 or UTF-32, told by a byte order mark or by the zero bytes around the first `<` (XML 1.0 appendix F).
fn wide_encoding(bytes: &[u8]) -> Option<&'static str> {
    const PATTERNS: [(&[u8], &str); 8] = [
        (
            &[0x00, 0x00, 0xFE, 0xFF],
            "UTF-32 (big endian, with a byte order mark)",
        ),
        (
            &[0xFF, 0xFE, 0x00, 0x00],
            "UTF-32 (little endian, with a byte order mark)",
        ),
        (&[0x00, 0x00, 0x00, b'<'], "UTF-32 (big endian)"),
        (&[b'<', 0x00, 0x00, 0x00], "UTF-32 (little endian)"),
        (&[0xFE, 0xFF], "UTF-16 (big endian, with a byte order mark)"),
        (
            &[0xFF, 0xFE],
            "UTF-16 (little endian, with a byte order mark)",
        ),
        (&[0x00, b'<'], "UTF-16 (big endian)"),
        (&[b'<', 0x00], "UTF-16 (little endian)"),
    ];
    PATTERNS
        .iter()
        .find(|(p, _)| bytes.starts_with(p))
        .map(|(_, name)| *name)
}

/// Refuses UTF-16 and UTF-32, binary input (NUL bytes) and bytes that are not UTF-8, with a finding that says
/// which and where. A UTF-8 byte order mark is fine. Gives the document as text.
pub(crate) fn require_utf8(bytes: &[u8]) -> Result<&str, Finding> {
    if let Some(name) = wide_encoding(bytes) {
        return Err(refuse(format!(
            "the file is encoded as {name}; VAT documents must be UTF-8 (the official format). Save the file as UTF-8"
        )));
    }
    if bytes.contains(&0) {
        return Err(Finding::new(
            Severity::Error,
            FindingKind::Binary,
            "the file is binary (it contains NUL bytes), not an XML document",
        ));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let at = e.valid_up_to();
            let line = 1 + bytes[..at].iter().filter(|b| **b == b'\n').count();
            let mut f = refuse(format!(
            "the file is not valid UTF-8 (byte {} on line {line}, offset {at}, cannot be read as UTF-8); VAT documents \
             must be UTF-8 (the official format). Save the file as UTF-8",
            bytes.get(at).map(|b| format!("0x{b:02X}")).unwrap_or_default()
        ));
            f.line = u32::try_from(line).ok();
            Err(f)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_names() {
        assert!(is_utf8_name(b"utf-8"));
        assert!(is_utf8_name(b"UTF8"));
        assert!(!is_utf8_name(b"UTF-7"));
        assert!(!is_utf8_name(b"UTF-8 "));
    }

    #[test]
    fn wide_encodings_are_named() {
        let e = require_utf8(b"\xFF\xFE<\x00").unwrap_err();
        assert!(e.message.contains("UTF-16 (little endian"), "{e}");
        let e = require_utf8(b"\x00\x00\x00<").unwrap_err();
        assert!(e.message.contains("UTF-32"), "{e}");
        assert!(require_utf8("\u{feff}<a>æøå</a>".as_bytes()).is_ok());
    }
}
