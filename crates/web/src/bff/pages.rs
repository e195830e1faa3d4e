//! The few HTML answers of the BFF (an error page for navigations, the auto-submitting end-session form) and the
//! request helpers they need. Every value put in a page is escaped.

use crate::routes::Problem;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// Whether a request is a top-level navigation (a person's browser asking for a page) rather than a fetch/XHR:
/// `Sec-Fetch-Mode: navigate` when the browser sends Fetch Metadata, else an `Accept` that asks for HTML.
pub(super) fn is_navigation(headers: &HeaderMap) -> bool {
    match headers.get("sec-fetch-mode").and_then(|v| v.to_str().ok()) {
        Some(mode) => mode == "navigate",
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html")),
    }
}

/// The value of the first cookie called `name`.
pub(super) fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim_matches('"'))
}

/// Escapes text for HTML content and attribute values.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}";

/// An error page for a navigation: what happened and a way on, with no redirect (so never a loop).
pub(super) fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title}</title><style>{STYLE}</style><h1>{title}</h1><p>{message}</p>\
         <p><a href=\"/\">Front page</a> · <a href=\"/oauth2/login\">Log in</a></p></html>",
        title = escape(title),
        message = escape(message),
    );
    let mut response = (status, Html(body)).into_response();
    secure_page_headers(
        response.headers_mut(),
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    );
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    }
    response
}

/// A problem as a page for navigations, as JSON otherwise (keeping its cookie clearing).
pub(super) fn problem_for(problem: Problem, navigation: bool) -> Response {
    if !navigation {
        return problem.into_response();
    }
    let title = match problem.status {
        StatusCode::SERVICE_UNAVAILABLE => "Please try again in a moment",
        StatusCode::UNAUTHORIZED => "You are not logged in",
        StatusCode::FORBIDDEN => "Not allowed",
        _ => "Something went wrong",
    };
    let mut response = error_page(problem.status, title, &problem.message);
    if problem.clear_cookie {
        if let Ok(value) = HeaderValue::from_str(&crate::CookieAttributes.clear_cookie()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// A page that POSTs `fields` to `action` at once (the ID token stays out of every URL, history and log), with a
/// button for browsers without JavaScript. `own_origin` may receive the provider's redirect after the POST.
pub(super) fn form_post_page(
    action: &url::Url,
    fields: &[(String, String)],
    own_origin: &str,
) -> Response {
    let nonce = crate::seal::hex(&crate::seal::random_bytes::<16>());
    let inputs: String = fields
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(k),
                escape(v)
            )
        })
        .collect();
    let body = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Logging out</title><style>{STYLE}</style>\
         <p>Logging out of ID-porten…</p><form method=\"post\" action=\"{action}\">{inputs}\
         <noscript><button type=\"submit\">Continue</button></noscript></form>\
         <script nonce=\"{nonce}\">document.forms[0].submit()</script></html>",
        action = escape(action.as_str()),
    );
    let provider = action.origin().ascii_serialization();
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; form-action {provider} {own_origin}; frame-ancestors 'none'"
    );
    let mut response = (StatusCode::OK, Html(body)).into_response();
    secure_page_headers(response.headers_mut(), &csp);
    response
}

fn secure_page_headers(headers: &mut HeaderMap, csp: &str) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(value) = HeaderValue::from_str(csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_tells_navigations_from_fetches() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("text/html,*/*"));
        assert!(is_navigation(&headers));
        headers.insert("sec-fetch-mode", HeaderValue::from_static("cors"));
        assert!(!is_navigation(&headers));
        assert!(!is_navigation(&HeaderMap::new()));
    }
}
