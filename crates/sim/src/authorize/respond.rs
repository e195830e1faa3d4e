//! Answers of the authorization endpoint: pages with their security headers, redirects back to the client
//! (query or form_post), error redirects, and the single sign-on cookie.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use url::Url;

use super::page;
use super::request::AuthError;
use crate::model::Lang;
use crate::SimState;
/// The name of the single sign-on cookie.
pub const SSO_COOKIE: &str = "mva_sim_sso";

const PAGE_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; frame-src http: https:; frame-ancestors 'none'";

pub(super) fn no_store(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// An HTML page with the simulator's security headers.
pub fn html(status: StatusCode, body: String) -> Response {
    let mut r = no_store((status, Html(body)).into_response());
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    r.headers_mut()
        .insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

pub(super) fn error_page(lang: Lang, status: StatusCode, message: &str) -> Response {
    html(status, page::error_page(lang, message))
}

/// Sends the browser back to the client: `302` with the parameters in the query, or a form_post page.
pub fn redirect_with(redirect_uri: &str, params: &[(&str, &str)], form_post: bool) -> Response {
    if form_post {
        let mut r = no_store(Html(page::form_post_page(redirect_uri, params)).into_response());
        r.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; script-src 'unsafe-inline'; form-action http: https:",
            ),
        );
        return r;
    }
    let mut url = Url::parse(redirect_uri).expect("registered redirect URIs are URLs");
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    let location = HeaderValue::from_str(url.as_str()).expect("a URL is a header value");
    no_store((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}

pub(super) fn error_redirect(state: &SimState, e: AuthError) -> Response {
    match e {
        AuthError::Page(message) => error_page(Lang::Nb, StatusCode::BAD_REQUEST, &message),
        AuthError::Redirect {
            redirect_uri,
            state: st,
            error,
            description,
            form_post,
        } => {
            let mut params = vec![
                ("error", error),
                ("error_description", description.as_str()),
            ];
            if let Some(s) = &st {
                params.push(("state", s));
            }
            params.push(("iss", &state.issuer));
            redirect_with(&redirect_uri, &params, form_post)
        }
    }
}

pub(super) fn sso_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (name, value) = c.trim().split_once('=')?;
            (name == SSO_COOKIE && !value.is_empty()).then(|| value.to_string())
        })
}
