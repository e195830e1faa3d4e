//! `GET /oauth2/logout/frontchannel?iss=...&sid=...`: ID-porten ends its session and loads this in an iframe,
//! without our cookie (third-party), so every session of that `sid` is ended on every instance.

use super::{Problem, WebState};
use crate::types::Sid;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub(super) struct Params {
    iss: Option<String>,
    sid: Option<String>,
}

pub(super) async fn logout(
    State(state): State<WebState>,
    Query(params): Query<Params>,
) -> Result<Response, Problem> {
    let bad = |message: &str| Problem::new(StatusCode::BAD_REQUEST, "invalid_request", message);
    // wonderwall ignores `iss`; the specification (OpenID Connect Front-Channel Logout 1.0, section 4) says to
    // check it when it is present, and ID-porten always sends it.
    match params.iss.as_deref() {
        Some(iss) if iss == &*state.issuer => {}
        Some(_) => {
            return Err(bad(
                "front-channel logout: iss is not this application's provider",
            ))
        }
        None => return Err(bad("front-channel logout: iss is missing")),
    }
    let sid = params
        .sid
        .filter(|sid| !sid.is_empty())
        .ok_or_else(|| bad("front-channel logout: sid is missing"))?;
    let ended = state.sessions.delete_by_sid(&Sid::new(sid)).await?;
    tracing::info!("front-channel logout ended {ended} session(s)");
    let mut response = (StatusCode::OK, "").into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!(
        "frame-ancestors {}",
        frame_ancestors(&state.issuer)
    )) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Ok(response)
}

/// Who may frame this endpoint: the issuer's origin and, for ID-porten, its login host, which shows the logout
/// iframes (`https://test.idporten.no` → also `https://login.test.idporten.no`).
fn frame_ancestors(issuer: &str) -> String {
    let origin = origin_of(issuer);
    match origin.strip_prefix("https://") {
        Some(host @ ("idporten.no" | "test.idporten.no")) => {
            format!("{origin} https://login.{host}")
        }
        _ => origin.to_owned(),
    }
}

/// `https://test.idporten.no/path` → `https://test.idporten.no`.
fn origin_of(issuer: &str) -> &str {
    let after_scheme = issuer.find("://").map_or(0, |i| i + 3);
    issuer[after_scheme..]
        .find('/')
        .map_or(issuer, |i| &issuer[..after_scheme + i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_porten_login_hosts_may_frame_the_endpoint() {
        assert_eq!(
            frame_ancestors("https://test.idporten.no"),
            "https://test.idporten.no https://login.test.idporten.no"
        );
        assert_eq!(
            frame_ancestors("https://idporten.no/"),
            "https://idporten.no https://login.idporten.no"
        );
        assert_eq!(
            frame_ancestors("http://127.0.0.1:4000/idporten"),
            "http://127.0.0.1:4000"
        );
    }
}
