//! The VAT page: plain HTML, CSS and JavaScript modules embedded in the binary, served with a strict
//! Content-Security-Policy (scripts, styles and requests only from this origin; no inline script, no framing).

use crate::routes::WebState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

const INDEX: &str = include_str!("../../assets/index.html");
const APP_JS: &str = include_str!("../../assets/app.js");
const I18N_JS: &str = include_str!("../../assets/i18n.js");
const APP_CSS: &str = include_str!("../../assets/app.css");

/// The page's policy, before `form-action` (which adds the provider, where logout goes on to).
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";

/// `/`, `/assets/app.js`, `/assets/i18n.js`, `/assets/app.css`.
pub fn page_router(web: &WebState) -> Router {
    Router::new()
        .route("/", get(index))
        .route(
            "/assets/app.js",
            get(|| async { asset(APP_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/i18n.js",
            get(|| async { asset(I18N_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/app.css",
            get(|| async { asset(APP_CSS, "text/css; charset=utf-8") }),
        )
        .with_state(web.clone())
}

/// The origin of a URL (`https://test.idporten.no/x` → `https://test.idporten.no`), if it has one.
fn origin_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    Some(u.origin().ascii_serialization()).filter(|o| o != "null")
}

fn secure(headers: &mut HeaderMap) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // `same-origin`, not `no-referrer`: under `no-referrer` browsers send `Origin: null` with the log-out form's
    // POST, which the CSRF guard rightly refuses; `same-origin` still sends nothing to other sites.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    secure(headers);
    response
}

/// Whether the browser prefers English to Norwegian (by `Accept-Language`, first listed wins).
fn prefers_english(headers: &HeaderMap) -> bool {
    let value = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    for part in value.split(',') {
        let tag = part
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let primary = tag.split('-').next().unwrap_or_default();
        match primary {
            "nb" | "nn" | "no" => return false,
            "en" => return true,
            _ => {}
        }
    }
    false
}

async fn index(State(web): State<WebState>, headers: HeaderMap) -> Response {
    let body = if prefers_english(&headers) {
        INDEX.replacen("<html lang=\"nb\">", "<html lang=\"en\">", 1)
    } else {
        INDEX.to_owned()
    };
    let form_action = match origin_of(&web.issuer) {
        Some(issuer) => format!("'self' {issuer}"),
        None => "'self'".to_owned(),
    };
    let mut response = axum::response::Html(body).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{CONTENT_SECURITY_POLICY}; form-action {form_action}"
    )) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    secure(headers);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_follows_accept_language() {
        let mut h = HeaderMap::new();
        assert!(!prefers_english(&h));
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en-GB,en;q=0.9,nb;q=0.8"),
        );
        assert!(prefers_english(&h));
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("de, nb-NO;q=0.9, en;q=0.5"),
        );
        assert!(!prefers_english(&h));
    }

    #[test]
    fn the_page_has_no_inline_script_or_handler() {
        assert!(!INDEX.contains("<script>"));
        let handler = INDEX.split(" on").skip(1).any(|rest| {
            let name: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
            !name.is_empty() && rest[name.len()..].starts_with('=')
        });
        assert!(!handler, "no inline event handler attributes");
        assert!(!INDEX.contains("style="), "no inline style");
        assert!(
            !APP_JS.contains("innerHTML"),
            "values go in with textContent only"
        );
    }
}
