//! What keeps web pages out: every request must name one of the simulator's own hosts (no DNS rebinding), and every
//! admin POST must be `application/json` (which a page cannot send across sites without a CORS preflight, which the
//! simulator never answers).

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use url::Url;

use crate::SimState;

/// The `host[:port]` names the simulator answers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHosts(Vec<(String, u16)>);

impl AllowedHosts {
    /// The issuer's own host and port, and when the issuer is on loopback or `local_port` is given, `127.0.0.1`,
    /// `localhost` and `[::1]` with that port.
    ///
    /// ```
    /// let hosts = sim::guard::AllowedHosts::new("https://sim.example", Some(7070));
    /// assert!(hosts.allows("sim.example") && hosts.allows("SIM.example:443"));
    /// assert!(hosts.allows("localhost:7070") && hosts.allows("[::1]:7070"));
    /// assert!(!hosts.allows("evil.example:7070") && !hosts.allows("localhost:7071"));
    /// ```
    pub fn new(issuer: &str, local_port: Option<u16>) -> Self {
        let mut hosts = vec![];
        let mut ports: Vec<u16> = local_port.into_iter().collect();
        if let Ok(url) = Url::parse(issuer) {
            if let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) {
                hosts.push((host.to_ascii_lowercase(), port));
                if idporten::is_loopback_host(&url) {
                    ports.push(port);
                }
            }
        }
        for port in ports {
            for host in ["127.0.0.1", "localhost", "[::1]"] {
                hosts.push((host.into(), port));
            }
        }
        hosts.dedup();
        Self(hosts)
    }

    /// Whether a `Host` header value names the simulator. A missing port means 80.
    pub fn allows(&self, host: &str) -> bool {
        let Ok(url) = Url::parse(&format!("http://{host}/")) else {
            return false;
        };
        if url.username() != "" || url.password().is_some() || url.path() != "/" {
            return false;
        }
        let Some(name) = url.host_str() else {
            return false;
        };
        // Without a port the client used its scheme's default; behind a proxy we cannot tell which.
        self.0.iter().any(|(h, p)| {
            h == name
                && match url.port() {
                    Some(port) => port == *p,
                    None => *p == 80 || *p == 443,
                }
        })
    }
}

/// The middleware: 421 for a foreign `Host`, 415 for an admin POST that is not JSON.
pub async fn guard(State(state): State<SimState>, request: Request, next: Next) -> Response {
    let host = request
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            request
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        });
    match host {
        Some(h) if state.allowed_hosts.allows(&h) => {}
        other => {
            tracing::warn!(
                host = other.as_deref().unwrap_or("-"),
                "request for a host that is not the simulator refused"
            );
            return (
                StatusCode::MISDIRECTED_REQUEST,
                format!(
                    "this is mva-sim at {}; the Host {:?} is not one of its names (use {} or 127.0.0.1/localhost \
                     with its port)\n",
                    state.issuer,
                    other.unwrap_or_default(),
                    state.issuer
                ),
            )
                .into_response();
        }
    }
    if request.uri().path().starts_with("/sim/admin") && request.method() == Method::POST {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                axum::Json(serde_json::json!({"error":
                    "the admin API takes only Content-Type: application/json (send -H 'Content-Type: application/json')"})),
            )
                .into_response();
        }
    }
    next.run(request).await
}
