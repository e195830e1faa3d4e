//! Reading an answer's body with a size cap: a service (or anything pretending to be one) cannot make the client
//! hold more than it should in memory. An oversized `Content-Length` is refused before the body is read; a body
//! without one (chunked) is read only up to the cap.

use crate::error::MvaError;

/// The most a JSON or text answer may hold (instances, feedback status, the Altinn token): 2 MiB. Real ones are
/// a few kilobytes.
pub const MAX_JSON_BYTES: usize = 2 * 1024 * 1024;

/// The most a document answer may hold (validation results, receipts, payment information): 50 MiB. The
/// submission app accepts data elements of 25 MB; a receipt is a small PDF.
pub const MAX_DOCUMENT_RESPONSE_BYTES: usize = 50 * 1024 * 1024;

/// Reads `resp`'s body, refusing more than `limit` bytes.
pub(crate) async fn read_capped(
    step: &'static str,
    url: &str,
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, MvaError> {
    let too_large = |declared: Option<u64>| MvaError::ResponseTooLarge {
        step,
        url: url.to_string(),
        limit,
        declared,
    };
    if let Some(declared) = resp.content_length() {
        if declared > limit as u64 {
            return Err(too_large(Some(declared)));
        }
    }
    let mut body = Vec::with_capacity(resp.content_length().unwrap_or(0) as usize);
    while let Some(chunk) = resp.chunk().await.map_err(|e| MvaError::Network {
        step,
        url: url.to_string(),
        detail: if e.is_timeout() {
            "timed out while reading the answer".into()
        } else {
            e.without_url().to_string()
        },
    })? {
        if body.len() + chunk.len() > limit {
            return Err(too_large(None));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
