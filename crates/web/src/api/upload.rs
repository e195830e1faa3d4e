//! Reading the page's multipart uploads, with the `mva` crate's caps enforced while the bytes arrive.

use super::errors::bad_request;
use crate::routes::Problem;
use axum::extract::multipart::{Field, Multipart};
use axum::http::StatusCode;
use mva::attachment::{ALLOWED_TYPES, MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES};
use mva::{Attachment, MAX_DOCUMENT_BYTES};

/// What the page sent.
#[derive(Debug, Default)]
pub(crate) struct Upload {
    /// `organisation`: the organisation number typed in.
    pub organisation: Option<String>,
    /// `return`: the VAT return.
    pub return_xml: Option<Vec<u8>>,
    /// `envelope`: an envelope made elsewhere (optional; otherwise one is built).
    pub envelope_xml: Option<Vec<u8>>,
    /// `attachment` (repeated).
    pub attachments: Vec<Attachment>,
    /// `offline`: local checks only.
    pub offline: bool,
}

fn too_large(what: &str, limit: usize) -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("{what} is larger than {limit} bytes; check that this is the right file"),
    )
}

/// Reads one field to its end, refusing it as soon as it passes `limit` bytes.
async fn read_capped(mut field: Field<'_>, what: &str, limit: usize) -> Result<Vec<u8>, Problem> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
        if bytes.len() + chunk.len() > limit {
            return Err(too_large(what, limit));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn unreadable(e: axum::extract::multipart::MultipartError) -> Problem {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return Problem::new(
            status,
            "too_large",
            "the upload is larger than this server accepts; send fewer or smaller files",
        );
    }
    Problem::new(
        StatusCode::BAD_REQUEST,
        "bad_upload",
        format!("the upload could not be read: {}", e.body_text()),
    )
}

/// An attachment's content type, from its file name's extension (what the browser says is not trusted).
fn content_type_of(file_name: &str) -> String {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    ALLOWED_TYPES
        .iter()
        .find(|(e, _)| *e == ext)
        .map(|(_, t)| (*t).to_owned())
        .unwrap_or_else(|| "application/octet-stream".into())
}

impl Upload {
    /// Reads the form. Unknown fields are refused (a typo should not silently drop a file).
    pub(crate) async fn read(mut form: Multipart) -> Result<Self, Problem> {
        let mut upload = Self::default();
        while let Some(field) = form.next_field().await.map_err(unreadable)? {
            let name = field.name().unwrap_or_default().to_owned();
            match name.as_str() {
                "organisation" => {
                    let bytes = read_capped(field, "the organisation number", 64).await?;
                    upload.organisation = Some(String::from_utf8_lossy(&bytes).trim().to_owned());
                }
                "offline" => {
                    let bytes = read_capped(field, "offline", 16).await?;
                    upload.offline = matches!(&bytes[..], b"1" | b"true" | b"on");
                }
                "return" => {
                    upload.return_xml =
                        Some(read_capped(field, "the return", MAX_DOCUMENT_BYTES).await?);
                }
                "envelope" => {
                    let bytes = read_capped(field, "the envelope", MAX_DOCUMENT_BYTES).await?;
                    // An empty file input sends an empty part: no envelope.
                    upload.envelope_xml = Some(bytes).filter(|b| !b.is_empty());
                }
                "attachment" => {
                    let file_name = field.file_name().unwrap_or_default().to_owned();
                    let bytes = read_capped(field, "an attachment", MAX_ATTACHMENT_BYTES).await?;
                    if file_name.is_empty() && bytes.is_empty() {
                        continue; // an empty file input
                    }
                    if upload.attachments.len() == MAX_ATTACHMENTS {
                        return Err(bad_request(
                            "too_many_attachments",
                            format!("at most {MAX_ATTACHMENTS} attachments may be sent with one return"),
                        ));
                    }
                    upload.attachments.push(Attachment {
                        content_type: content_type_of(&file_name),
                        file_name,
                        bytes,
                    });
                }
                _ => {
                    return Err(bad_request(
                        "bad_upload",
                        "unknown form field; expected organisation, return, envelope, attachment or offline",
                    ))
                }
            }
        }
        Ok(upload)
    }

    /// The return, or 400 when none was sent.
    pub(crate) fn take_return(&mut self) -> Result<Vec<u8>, Problem> {
        self.return_xml
            .take()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| bad_request("no_return", "choose a VAT return file (XML)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_comes_from_the_extension() {
        assert_eq!(content_type_of("Bilag.PDF"), "application/pdf");
        assert_eq!(content_type_of("x.exe"), "application/octet-stream");
        assert_eq!(content_type_of("noext"), "application/octet-stream");
    }
}
