//! The HTTP seam: one `reqwest` client, built once, that never follows redirects, always times out, and reads no
//! more of an answer than its kind needs.

use base64::Engine;
use serde::de::DeserializeOwned;
use std::time::Duration;
use url::Url;

use crate::Error;

/// The HTTP client used for every call to the provider. Redirects are never followed (a token request that is
/// redirected must fail, not be replayed elsewhere); connections time out after 10 s and whole requests after 30 s
/// unless chosen otherwise. Cheap to clone (shares the connection pool).
#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
}

/// The most read of a discovery document or a JWKS (ID-porten's are a few KiB).
pub const MAX_METADATA_BYTES: usize = 256 * 1024;

/// The most read of a token, PAR or revocation answer (ID-porten's token responses are a few KiB).
pub const MAX_TOKEN_RESPONSE_BYTES: usize = 1024 * 1024;

/// Client authentication carried in an HTTP header (RFC 6749 2.3.1).
#[derive(Clone)]
pub(crate) struct BasicAuth {
    pub(crate) user: String,
    pub(crate) password: String,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BasicAuth({:?}, [redacted])", self.user)
    }
}

/// An HTTP answer: status and body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    /// The start of the body as text, for error messages.
    pub(crate) fn excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let mut out: String = text.chars().take(300).collect();
        if text.chars().count() > 300 {
            out.push_str("...");
        }
        out
    }
}

impl Http {
    /// The default client: connect timeout 10 s, overall timeout 30 s.
    pub fn new() -> Result<Self, Error> {
        Self::with_timeouts(Duration::from_secs(10), Duration::from_secs(30))
    }

    /// A client with chosen timeouts.
    pub fn with_timeouts(connect: Duration, overall: Duration) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect)
            .timeout(overall)
            .user_agent(concat!("idporten-rs/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::InvalidConfig {
                setting: "http client".into(),
                reason: e.to_string(),
            })?;
        Ok(Self { client })
    }

    /// GET a URL and parse a 200 JSON answer; `what` names the document in errors.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        url: &Url,
        what: &str,
    ) -> Result<T, Error> {
        let answer = self
            .send(self.client.get(url.clone()), url, MAX_METADATA_BYTES)
            .await?;
        if answer.status != 200 {
            return Err(Error::ProviderStatus {
                url: url.to_string(),
                status: answer.status,
                body: answer.excerpt(),
            });
        }
        parse_json(url, what, &answer.body)
    }

    /// GET a URL and return a 200 answer's body (at most [`MAX_METADATA_BYTES`]).
    pub(crate) async fn get_bytes(&self, url: &Url) -> Result<Vec<u8>, Error> {
        let answer = self
            .send(self.client.get(url.clone()), url, MAX_METADATA_BYTES)
            .await?;
        if answer.status != 200 {
            return Err(Error::ProviderStatus {
                url: url.to_string(),
                status: answer.status,
                body: answer.excerpt(),
            });
        }
        Ok(answer.body)
    }

    /// POST a form, with optional Basic authentication. The caller interprets the answer (at most
    /// [`MAX_TOKEN_RESPONSE_BYTES`]).
    pub(crate) async fn post_form(
        &self,
        url: &Url,
        form: &[(String, String)],
        basic: Option<&BasicAuth>,
    ) -> Result<Answer, Error> {
        let body = serde_urlencoded::to_string(form).map_err(|e| Error::InvalidConfig {
            setting: "form".into(),
            reason: e.to_string(),
        })?;
        let mut request = self
            .client
            .post(url.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body);
        if let Some(basic) = basic {
            request = request.header("authorization", basic_header(basic));
        }
        self.send(request, url, MAX_TOKEN_RESPONSE_BYTES).await
    }

    /// Sends the request and reads the answer, refusing one larger than `limit` bytes: by its Content-Length before
    /// reading, else (chunked) as soon as the bytes read pass the limit.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &Url,
        limit: usize,
    ) -> Result<Answer, Error> {
        let unreachable = |e: reqwest::Error| Error::ProviderUnreachable {
            url: url.to_string(),
            reason: describe(&e),
        };
        let too_large = || Error::ResponseTooLarge {
            url: url.to_string(),
            limit,
        };
        let mut response = request.send().await.map_err(unreachable)?;
        let status = response.status().as_u16();
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer { status, body })
    }
}

impl Default for Http {
    /// The default client. Panics only if the TLS backend cannot start, which `Http::new` reports as an error.
    fn default() -> Self {
        Self::new().expect("the HTTP client (rustls) can be built")
    }
}

/// Parses a JSON body, naming the URL and the document on failure.
pub(crate) fn parse_json<T: DeserializeOwned>(
    url: &Url,
    what: &str,
    body: &[u8],
) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| Error::ProviderResponse {
        url: url.to_string(),
        what: what.into(),
        reason: e.to_string(),
    })
}

/// `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 2.3.1).
pub(crate) fn basic_header(basic: &BasicAuth) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", enc(&basic.user), enc(&basic.password));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// The error and its sources in one line (reqwest hides the useful part in the source chain).
fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        "timed out".to_string()
    } else if error.is_connect() {
        "connection failed".to_string()
    } else {
        error.to_string()
    };
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_urlencodes_id_and_secret() {
        // RFC 6749 2.3.1: both parts are form-urlencoded before base64.
        let h = basic_header(&BasicAuth {
            user: "my client".into(),
            password: "p@ss:w/rd".into(),
        });
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(h.trim_start_matches("Basic "))
            .unwrap();
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            "my+client:p%40ss%3Aw%2Frd"
        );
    }
}
