//! The HTTP layer: one reqwest client (no redirects followed, timeouts, capped answers), the ONE place that renews a
//! refused token and tries again (`MvaClient::call`), the validation API, the Altinn token exchange, and calls to
//! the submission app that turn 403/404/409 into errors that name the cause. It knows nothing of the journal or the
//! flow.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use tokio::sync::Mutex;

use super::conflict::conflict;
use super::steps::{role_hint, STEP_CREATE, STEP_EXCHANGE, STEP_VALIDATION};
use crate::endpoints::Endpoints;
use crate::error::MvaError;
use crate::response::{read_capped, MAX_DOCUMENT_RESPONSE_BYTES, MAX_JSON_BYTES};
use crate::service_result::{parse_service_result, ServiceResult};
use crate::token::{AccessToken, TokenSource};

/// A body to send.
pub(crate) struct Body {
    pub content_type: String,
    pub disposition: Option<String>,
    pub bytes: Vec<u8>,
}

/// Which token a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Credential {
    /// The ID-porten access token (validation API, token exchange).
    IdPorten,
    /// The Altinn token (the submission app).
    Altinn,
}

/// One request, as [`MvaClient::call`] sends it (and, after a 401, sends again).
struct Request<'a> {
    step: &'static str,
    credential: Credential,
    method: Method,
    url: &'a str,
    body: Option<&'a Body>,
    accept: &'a str,
    /// The most the answer's body may hold.
    limit: usize,
}

/// The client for the three services.
pub struct MvaClient {
    http: reqwest::Client,
    endpoints: Endpoints,
    tokens: Arc<dyn TokenSource>,
    altinn: Mutex<Option<AccessToken>>,
    requests: AtomicU64,
}

impl std::fmt::Debug for MvaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MvaClient")
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

/// The start of an answer, for an error message.
fn excerpt(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() > 300 {
        format!("{}...", s.chars().take(300).collect::<String>())
    } else {
        s.to_string()
    }
}

impl MvaClient {
    /// A client for `endpoints` getting ID-porten tokens from `tokens`.
    pub fn new(endpoints: Endpoints, tokens: Arc<dyn TokenSource>) -> Result<Self, MvaError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .pool_max_idle_per_host(1)
            .user_agent(concat!("mva-rs/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| MvaError::Network {
                step: "setup",
                url: String::new(),
                detail: e.to_string(),
            })?;
        Ok(Self {
            http,
            endpoints,
            tokens,
            altinn: Mutex::new(None),
            requests: AtomicU64::new(0),
        })
    }

    /// The endpoints in use.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// How many HTTP requests this client has sent.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    async fn id_token(&self, fresh: bool) -> Result<AccessToken, MvaError> {
        self.tokens
            .access_token(fresh)
            .await
            .map_err(|e| MvaError::Token(e.to_string()))
    }

    async fn token(&self, credential: Credential, fresh: bool) -> Result<AccessToken, MvaError> {
        match credential {
            Credential::IdPorten => self.id_token(fresh).await,
            // Boxed: the exchange itself goes through `call` (with the ID-porten token), a recursion in types.
            Credential::Altinn => Box::pin(self.altinn_token(fresh)).await,
        }
    }

    async fn send(
        &self,
        req: &Request<'_>,
        token: &AccessToken,
    ) -> Result<reqwest::Response, MvaError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut rb = self
            .http
            .request(req.method.clone(), req.url)
            .bearer_auth(token.secret())
            .header("Accept", req.accept);
        if let Some(b) = req.body {
            rb = rb
                .header("Content-Type", &b.content_type)
                .body(b.bytes.clone());
            if let Some(d) = &b.disposition {
                rb = rb.header("Content-Disposition", d);
            }
        }
        rb.send().await.map_err(|e| MvaError::Network {
            step: req.step,
            url: req.url.to_string(),
            detail: if e.is_timeout() {
                "timed out".into()
            } else {
                e.without_url().to_string()
            },
        })
    }

    /// Sends `req` with its token (a fresh one when `fresh`); when the service answers 401, gets a fresh token and
    /// sends it once more. A second 401 is [`MvaError::Unauthorized`]. Returns any other status with its body (read
    /// with the request's cap). The one place a refused token is renewed.
    async fn call(
        &self,
        req: &Request<'_>,
        fresh: bool,
    ) -> Result<(StatusCode, Vec<u8>), MvaError> {
        let token = self.token(req.credential, fresh).await?;
        let mut resp = self.send(req, &token).await?;
        if resp.status() == StatusCode::UNAUTHORIZED {
            let token = self.token(req.credential, true).await?;
            resp = self.send(req, &token).await?;
        }
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED {
            return Err(MvaError::Unauthorized { step: req.step });
        }
        let body = read_capped(req.step, req.url, resp, req.limit).await?;
        Ok((status, body))
    }

    /// Validates a return with the Tax Administration's validation API.
    pub async fn validate_remote(&self, return_xml: &[u8]) -> Result<ServiceResult, MvaError> {
        let url = self.endpoints.validation.as_str().to_string();
        let body = Body {
            content_type: "application/xml".into(),
            disposition: None,
            bytes: return_xml.to_vec(),
        };
        let req = Request {
            step: STEP_VALIDATION,
            credential: Credential::IdPorten,
            method: Method::POST,
            url: &url,
            body: Some(&body),
            accept: "application/xml",
            limit: MAX_DOCUMENT_RESPONSE_BYTES,
        };
        let (status, bytes) = self.call(&req, false).await?;
        match status {
            s if s.is_success() => parse_service_result(&bytes),
            StatusCode::FORBIDDEN => Err(MvaError::Forbidden {
                step: STEP_VALIDATION,
                org: "-".into(),
                hint: "The token lacks the scope skatteetaten:mvameldingvalidering: add it to the integration and to the login request".into(),
            }),
            s => Err(MvaError::UnexpectedStatus {
                step: STEP_VALIDATION,
                status: s.as_u16(),
                body: excerpt(&String::from_utf8_lossy(&bytes)),
            }),
        }
    }

    /// The Altinn token: the cached one, or (when `renew`, or none is cached) one exchanged for the ID-porten token,
    /// which is then refreshed first.
    async fn altinn_token(&self, renew: bool) -> Result<AccessToken, MvaError> {
        let mut cached = self.altinn.lock().await;
        if !renew {
            if let Some(t) = cached.as_ref() {
                return Ok(t.clone());
            }
            if let Some(t) = self.tokens.kept_altinn_token().await {
                if altinn_token_fresh(&t, now_unix()) {
                    *cached = Some(t.clone());
                    return Ok(t);
                }
            }
        }
        let url = self.endpoints.exchange.as_str().to_string();
        let req = Request {
            step: STEP_EXCHANGE,
            credential: Credential::IdPorten,
            method: Method::GET,
            url: &url,
            body: None,
            accept: "text/plain",
            limit: MAX_JSON_BYTES,
        };
        let (status, bytes) = self.call(&req, renew).await?;
        let text = String::from_utf8_lossy(&bytes);
        match status {
            s if s.is_success() => {
                let t = text.trim().trim_matches('"');
                if t.split('.').count() != 3 {
                    return Err(MvaError::Protocol {
                        step: STEP_EXCHANGE,
                        detail: "the Altinn token is not a JWT".into(),
                    });
                }
                let t = AccessToken::new(t);
                *cached = Some(t.clone());
                self.tokens.keep_altinn_token(&t).await;
                Ok(t)
            }
            StatusCode::FORBIDDEN => Err(MvaError::Forbidden {
                step: STEP_EXCHANGE,
                org: "-".into(),
                hint: "The token lacks the scope skatteetaten:mvameldinginnsending".into(),
            }),
            s => Err(MvaError::UnexpectedStatus {
                step: STEP_EXCHANGE,
                status: s.as_u16(),
                body: excerpt(&text),
            }),
        }
    }

    /// Makes sure an Altinn token is at hand (the exchange step).
    pub(crate) async fn ensure_altinn_token(&self) -> Result<(), MvaError> {
        self.altinn_token(false).await.map(|_| ())
    }

    /// Calls the submission app with the Altinn token (renewed once on 401, see [`MvaClient::call`]). Maps 403,
    /// 404, 409 to errors that name the cause. Returns the body of a success, which (like an error's body) may hold
    /// at most `limit` bytes.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn app_call(
        &self,
        step: &'static str,
        org: &str,
        method: Method,
        url: &str,
        body: Option<&Body>,
        accept: &str,
        limit: usize,
    ) -> Result<Vec<u8>, MvaError> {
        self.check_same_origin(step, url)?;
        let req = Request {
            step,
            credential: Credential::Altinn,
            method,
            url,
            body,
            accept,
            limit,
        };
        let (status, bytes) = self.call(&req, false).await?;
        if status.is_success() {
            return Ok(bytes);
        }
        let text = String::from_utf8_lossy(&bytes);
        Err(match status {
            StatusCode::FORBIDDEN => MvaError::Forbidden {
                step,
                org: org.to_string(),
                hint: role_hint(step),
            },
            StatusCode::NOT_FOUND if step == STEP_CREATE => MvaError::UnknownOrganisation {
                step,
                org: org.to_string(),
                detail: excerpt(&text),
            },
            StatusCode::CONFLICT => conflict(step, &text),
            s => MvaError::UnexpectedStatus {
                step,
                status: s.as_u16(),
                body: excerpt(&text),
            },
        })
    }

    /// Refuses to send the Altinn token anywhere but the submission app's own origin (links come from answers).
    fn check_same_origin(&self, step: &'static str, url: &str) -> Result<(), MvaError> {
        let u = url::Url::parse(url).map_err(|e| MvaError::Protocol {
            step,
            detail: format!("bad link {url}: {e}"),
        })?;
        if u.origin() != self.endpoints.app.origin() {
            return Err(MvaError::Protocol {
                step,
                detail: format!(
                    "link {url} points outside the submission app ({}); refused",
                    self.endpoints.app.origin().ascii_serialization()
                ),
            });
        }
        Ok(())
    }
}

/// How long a kept Altinn token must still be valid to be used again, in seconds.
const ALTINN_TOKEN_MARGIN_SECS: i64 = 60;

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Whether a kept Altinn token (a JWT) expires more than [`ALTINN_TOKEN_MARGIN_SECS`] after `now`. Its signature
/// is Altinn's to check; only `exp` is read. A token without a readable `exp` is not used again.
fn altinn_token_fresh(token: &AccessToken, now: i64) -> bool {
    use base64::Engine;
    let Some(payload) = token.secret().split('.').nth(1) else {
        return false;
    };
    let Ok(json) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload) else {
        return false;
    };
    #[derive(serde::Deserialize)]
    struct Exp {
        exp: i64,
    }
    serde_json::from_slice::<Exp>(&json).is_ok_and(|c| c.exp > now + ALTINN_TOKEN_MARGIN_SECS)
}

#[cfg(test)]
mod altinn_token_tests {
    use super::*;
    use base64::Engine;

    fn jwt(payload: &str) -> AccessToken {
        let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        AccessToken::new(format!("{}.{}.sig", b("{\"alg\":\"RS256\"}"), b(payload)))
    }

    #[test]
    fn a_kept_token_is_used_only_with_a_minute_left() {
        assert!(altinn_token_fresh(&jwt(r#"{"exp":1061}"#), 1000));
        assert!(!altinn_token_fresh(&jwt(r#"{"exp":1060}"#), 1000));
        assert!(!altinn_token_fresh(&jwt(r#"{"exp":900}"#), 1000));
        assert!(!altinn_token_fresh(&jwt(r#"{"iat":900}"#), 1000));
        assert!(!altinn_token_fresh(&jwt("not json"), 1000));
        assert!(!altinn_token_fresh(&AccessToken::new("opaque"), 1000));
        assert!(!altinn_token_fresh(&AccessToken::new("a.%%%.c"), 1000));
    }
}
