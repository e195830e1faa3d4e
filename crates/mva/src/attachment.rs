//! Attachments (binaerVedlegg) and the submission app's rules for them, checked BEFORE anything is uploaded.

use std::collections::HashSet;
use std::path::Path;

use crate::error::MvaError;

/// At most this many attachments per submission (the API documentation says 57; the FAQ says 50).
pub const MAX_ATTACHMENTS: usize = 57;
/// At most this many bytes per attachment (25 MB).
pub const MAX_ATTACHMENT_BYTES: usize = 25 * 1024 * 1024;

/// The content types the submission app accepts, with the file extensions that map to them.
pub const ALLOWED_TYPES: [(&str, &str); 16] = [
    ("xml", "text/xml"),
    ("pdf", "application/pdf"),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    ("odp", "application/vnd.oasis.opendocument.presentation"),
    ("odg", "application/vnd.oasis.opendocument.graphics"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("doc", "application/msword"),
    ("xls", "application/vnd.ms-excel"),
    ("ppt", "application/vnd.ms-powerpoint"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("rtf", "application/rtf"),
];

/// Whether the submission app accepts this content type.
pub fn is_allowed_content_type(ct: &str) -> bool {
    let ct = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    ct != "application/rtf" && ALLOWED_TYPES.iter().any(|(_, t)| *t == ct)
}

/// One attachment to upload with a return.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name sent in Content-Disposition; unique within a submission.
    pub file_name: String,
    /// The content type, e.g. "application/pdf".
    pub content_type: String,
    /// The content.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Attachment {
    /// Reads a file; the content type comes from its extension. Refuses files over 25 MB without reading them all.
    pub fn from_path(path: &Path) -> Result<Self, MvaError> {
        use std::io::Read;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| MvaError::Attachment {
                name: path.display().to_string(),
                problem: "not a file name".into(),
            })?;
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let content_type = ALLOWED_TYPES
            .iter()
            .find(|(e, _)| *e == ext)
            .map(|(_, t)| t.to_string())
            .unwrap_or_else(|| "application/octet-stream".into());
        let io = |source| MvaError::Io {
            action: "cannot read attachment",
            path: path.to_path_buf(),
            source,
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .map_err(io)?
            .take(MAX_ATTACHMENT_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        Ok(Self {
            file_name,
            content_type,
            bytes,
        })
    }

    /// The file name without its extension, and the extension.
    pub fn stem_and_extension(&self) -> (&str, &str) {
        match self.file_name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => (stem, ext),
            _ => (&self.file_name, ""),
        }
    }
}

/// Checks the rules of the submission app: at most 57 attachments, each at most 25 MB, an allowed content type,
/// a plain file name, all names unique.
pub fn check_attachments(attachments: &[Attachment]) -> Result<(), MvaError> {
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(MvaError::Attachment {
            name: format!("({} files)", attachments.len()),
            problem: format!("at most {MAX_ATTACHMENTS} attachments may be sent with one return; combine files (e.g. into one PDF)"),
        });
    }
    let mut seen = HashSet::new();
    for a in attachments {
        let problem = |p: String| {
            Err(MvaError::Attachment {
                name: a.file_name.clone(),
                problem: p,
            })
        };
        if a.file_name.is_empty()
            || a.file_name.len() > 200
            || a.file_name
                .chars()
                .any(|c| c.is_control() || matches!(c, '/' | '\\' | '"' | ';'))
        {
            return problem("the file name must be a plain name (no path, quotes, semicolons or control characters, at most 200 bytes)".into());
        }
        if a.file_name == "mva-melding.xml" || a.file_name == "konvolutt.xml" {
            return problem(
                "this name is used by the return or the envelope; rename the attachment".into(),
            );
        }
        if a.bytes.len() > MAX_ATTACHMENT_BYTES {
            return problem(format!(
                "{} bytes is over the limit of {MAX_ATTACHMENT_BYTES} bytes (25 MB) per attachment; compress or split it",
                a.bytes.len()
            ));
        }
        if a.bytes.is_empty() {
            return problem("the file is empty".into());
        }
        if !is_allowed_content_type(&a.content_type) {
            return problem(format!(
                "content type {} is not accepted; allowed: PDF, XML, JPEG, PNG, OpenDocument and Microsoft Office files",
                a.content_type
            ));
        }
        if !seen.insert(a.file_name.to_lowercase()) {
            return problem("two attachments have this name; file names must be unique".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn att(name: &str, ct: &str, len: usize) -> Attachment {
        Attachment {
            file_name: name.into(),
            content_type: ct.into(),
            bytes: vec![1; len],
        }
    }

    #[test]
    fn rules() {
        assert!(check_attachments(&[
            att("a.pdf", "application/pdf", 10),
            att("b.png", "image/png", 10)
        ])
        .is_ok());
        let e = check_attachments(&[
            att("a.pdf", "application/pdf", 1),
            att("A.pdf", "application/pdf", 1),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("unique"), "{e}");
        let e = check_attachments(&[att("a.exe", "application/x-msdownload", 1)]).unwrap_err();
        assert!(e.to_string().contains("not accepted"), "{e}");
        let e = check_attachments(&[att("big.pdf", "application/pdf", MAX_ATTACHMENT_BYTES + 1)])
            .unwrap_err();
        assert!(e.to_string().contains("25 MB"), "{e}");
        let many: Vec<_> = (0..58)
            .map(|i| att(&format!("{i}.pdf"), "application/pdf", 1))
            .collect();
        assert!(check_attachments(&many)
            .unwrap_err()
            .to_string()
            .contains("57"));
        assert!(check_attachments(&many[..57]).is_ok());
        assert!(check_attachments(&[att("x\"y.pdf", "application/pdf", 1)]).is_err());
    }
}
