//! The HTTP layer: one reqwest client (no redirects followed, timeouts), the validation API, the Altinn token
//! exchange, and calls to the submission app that renew the token once on 401 and turn 403/404/409 into errors
//! that name the cause.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use tokio::sync::Mutex;

use crate::endpoints::Endpoints;
use crate::error::MvaError;
use crate::response::{read_capped, MAX_DOCUMENT_RESPONSE_BYTES, MAX_JSON_BYTES};
use crate::service_result::{parse_service_result, ServiceResult};
use crate::token::{AccessToken, TokenSource};

/// Roles that allow filling in (creating, uploading, the first `process/next`).
pub const FILL_IN_ROLES: [&str; 4] = [
    "Regnskapsmedarbeider",
    "Regnskapsfører uten signeringsrett",
    "Ansvarlig revisor",
    "Revisormedarbeider",
];
/// Roles that allow submitting (the second `process/next`).
pub const SUBMIT_ROLES: [&str; 4] = [
    "Regnskapsfører med signeringsrett",
    "Begrenset signeringsrett",
    "Kontaktperson NUF",
    "Daglig leder",
];

/// Which Altinn roles a step needs, in words.
pub(crate) fn role_hint(step: &str) -> String {
    if step == crate::submit::STEP_SUBMIT {
        format!(
            "Submitting needs one of these Altinn roles for the organisation: {}. Filling-in roles are not enough. \
             Ask the organisation's Altinn administrator to delegate the role, then run the same command again",
            SUBMIT_ROLES.join(", ")
        )
    } else {
        format!(
            "Filling in needs one of these Altinn roles for the organisation: {} (or a submitting role: {}). \
             Ask the organisation's Altinn administrator to delegate the role, then run the same command again",
            FILL_IN_ROLES.join(", "),
            SUBMIT_ROLES.join(", ")
        )
    }
}

/// A body to send.
pub(crate) struct Body {
    pub content_type: String,
    pub disposition: Option<String>,
    pub bytes: Vec<u8>,
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

    async fn id_token(&self, force: bool) -> Result<AccessToken, MvaError> {
        self.tokens
            .access_token(force)
            .await
            .map_err(|e| MvaError::Token(e.to_string()))
    }

    async fn send(
        &self,
        step: &'static str,
        method: Method,
        url: &str,
        token: &AccessToken,
        body: Option<&Body>,
        accept: &str,
    ) -> Result<reqwest::Response, MvaError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut rb = self
            .http
            .request(method, url)
            .bearer_auth(token.secret())
            .header("Accept", accept);
        if let Some(b) = body {
            rb = rb
                .header("Content-Type", &b.content_type)
                .body(b.bytes.clone());
            if let Some(d) = &b.disposition {
                rb = rb.header("Content-Disposition", d);
            }
        }
        rb.send().await.map_err(|e| MvaError::Network {
            step,
            url: url.to_string(),
            detail: if e.is_timeout() {
                "timed out".into()
            } else {
                e.without_url().to_string()
            },
        })
    }

    /// Validates a return with the Tax Administration's validation API. A 401 makes the token source refresh
    /// once.
    pub async fn validate_remote(&self, return_xml: &[u8]) -> Result<ServiceResult, MvaError> {
        const STEP: &str = "validation API";
        let url = self.endpoints.validation.as_str().to_string();
        let body = Body {
            content_type: "application/xml".into(),
            disposition: None,
            bytes: return_xml.to_vec(),
        };
        let mut token = self.id_token(false).await?;
        for attempt in 0..2 {
            let resp = self
                .send(
                    STEP,
                    Method::POST,
                    &url,
                    &token,
                    Some(&body),
                    "application/xml",
                )
                .await?;
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED && attempt == 0 {
                token = self.id_token(true).await?;
                continue;
            }
            let bytes = read_capped(STEP, &url, resp, MAX_DOCUMENT_RESPONSE_BYTES).await?;
            let text = String::from_utf8_lossy(&bytes);
            return match status {
                s if s.is_success() => parse_service_result(&bytes),
                StatusCode::UNAUTHORIZED => Err(MvaError::Unauthorized { step: STEP }),
                StatusCode::FORBIDDEN => Err(MvaError::Forbidden {
                    step: STEP,
                    org: "-".into(),
                    hint: "The token lacks the scope skatteetaten:mvameldingvalidering: add it to the integration and to the login request".into(),
                }),
                s => Err(MvaError::UnexpectedStatus { step: STEP, status: s.as_u16(), body: excerpt(&text) }),
            };
        }
        Err(MvaError::Unauthorized { step: STEP })
    }

    /// Exchanges the ID-porten token for an Altinn token (cached until a 401).
    async fn altinn_token(&self, renew: bool) -> Result<AccessToken, MvaError> {
        const STEP: &str = "token exchange";
        let mut cached = self.altinn.lock().await;
        if !renew {
            if let Some(t) = cached.as_ref() {
                return Ok(t.clone());
            }
        }
        let url = self.endpoints.exchange.as_str().to_string();
        let mut id = self.id_token(renew).await?;
        for attempt in 0..2 {
            let resp = self
                .send(STEP, Method::GET, &url, &id, None, "text/plain")
                .await?;
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED && attempt == 0 {
                id = self.id_token(true).await?;
                continue;
            }
            let bytes = read_capped(STEP, &url, resp, MAX_JSON_BYTES).await?;
            let text = String::from_utf8_lossy(&bytes);
            return match status {
                s if s.is_success() => {
                    let t = text.trim().trim_matches('"');
                    if t.split('.').count() != 3 {
                        return Err(MvaError::Protocol {
                            step: STEP,
                            detail: "the Altinn token is not a JWT".into(),
                        });
                    }
                    let t = AccessToken::new(t);
                    *cached = Some(t.clone());
                    Ok(t)
                }
                StatusCode::UNAUTHORIZED => Err(MvaError::Unauthorized { step: STEP }),
                StatusCode::FORBIDDEN => Err(MvaError::Forbidden {
                    step: STEP,
                    org: "-".into(),
                    hint: "The token lacks the scope skatteetaten:mvameldinginnsending".into(),
                }),
                s => Err(MvaError::UnexpectedStatus {
                    step: STEP,
                    status: s.as_u16(),
                    body: excerpt(&text),
                }),
            };
        }
        Err(MvaError::Unauthorized { step: STEP })
    }

    /// Makes sure an Altinn token is at hand (the exchange step).
    pub(crate) async fn ensure_altinn_token(&self) -> Result<(), MvaError> {
        self.altinn_token(false).await.map(|_| ())
    }

    /// Calls the submission app with the Altinn token; on 401 gets a fresh ID-porten token, exchanges it again and
    /// retries once. Maps 403, 404, 409 to errors that name the cause. Returns status and body of a success, which
    /// (like an error's body) may hold at most `limit` bytes.
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
    ) -> Result<(StatusCode, Vec<u8>), MvaError> {
        self.check_same_origin(step, url)?;
        let mut token = self.altinn_token(false).await?;
        for attempt in 0..2 {
            let resp = self
                .send(step, method.clone(), url, &token, body, accept)
                .await?;
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED && attempt == 0 {
                token = self.altinn_token(true).await?;
                continue;
            }
            let bytes = read_capped(step, url, resp, limit).await?;
            let text = String::from_utf8_lossy(&bytes).to_string();
            return match status {
                s if s.is_success() => Ok((s, bytes)),
                StatusCode::UNAUTHORIZED => Err(MvaError::Unauthorized { step }),
                StatusCode::FORBIDDEN => Err(MvaError::Forbidden {
                    step,
                    org: org.to_string(),
                    hint: role_hint(step),
                }),
                StatusCode::NOT_FOUND if step == crate::submit::STEP_CREATE => {
                    Err(MvaError::UnknownOrganisation {
                        step,
                        org: org.to_string(),
                        detail: excerpt(&text),
                    })
                }
                StatusCode::CONFLICT => Err(conflict(step, &text)),
                s => Err(MvaError::UnexpectedStatus {
                    step,
                    status: s.as_u16(),
                    body: excerpt(&text),
                }),
            };
        }
        Err(MvaError::Unauthorized { step })
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

/// Reads a 409 answer: reasons in text or JSON, and a validation result XML when one is included.
fn conflict(step: &'static str, text: &str) -> MvaError {
    let (head, xml) = match text
        .find("<?xml")
        .or_else(|| text.find("<valideringsresultat"))
    {
        Some(i) => (&text[..i], Some(&text[i..])),
        None => (text, None),
    };
    let mut reasons: Vec<String> = Vec::new();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(head.trim()) {
        for key in ["detail", "title", "message", "error"] {
            if let Some(s) = v.get(key).and_then(|x| x.as_str()) {
                reasons.push(s.to_string());
            }
        }
        if reasons.is_empty() {
            reasons.push(v.to_string());
        }
    } else {
        reasons.extend(
            head.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
    }
    if reasons.is_empty() {
        reasons.push("no reason given".into());
    }
    let findings = xml
        .and_then(|x| parse_service_result(x.as_bytes()).ok())
        .map(|r| r.findings)
        .unwrap_or_default();
    MvaError::Conflict {
        step,
        reasons,
        findings,
    }
}
