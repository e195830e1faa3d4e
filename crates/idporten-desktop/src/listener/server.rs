//! The HTTP side of the loopback listener: one axum fallback handler that routes by path, queues callbacks for the
//! waiting flow and answers each request with the page the flow chooses.

use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

use super::pages::{self, Page};
use super::peer;
use super::serve::Endpoints;

/// How many requests may wait in the queue for the flow; more get "busy".
pub(crate) const QUEUE: usize = 32;

/// A request the waiting flow decides about.
#[derive(Debug)]
pub(crate) enum Request {
    /// The redirect URI was called with these parameters (query, or form body for `response_mode=form_post`).
    Callback(Vec<(String, String)>),
    /// The cancel path (the back URI) was called.
    Cancel,
    /// The post-logout redirect URI was called with these query parameters.
    Logout(Vec<(String, String)>),
}

/// A queued request and the way back to its browser.
#[derive(Debug)]
pub(crate) struct Event {
    pub request: Request,
    pub reply: oneshot::Sender<Page>,
}

/// What the servers (one per bound address) share with the [`super::LoopbackListener`].
pub(crate) struct Shared {
    pub callback_path: String,
    pub cancel_path: Option<String>,
    pub logout_path: Option<String>,
    /// `Host` header values accepted (lowercase): localhost, 127.0.0.1 and [::1] with the port (DNS rebinding).
    pub hosts: Vec<String>,
    /// One-time pages by path (form-post pages for logout).
    pub forms: Mutex<HashMap<String, Page>>,
    pub events: mpsc::Sender<Event>,
    /// Set when a login succeeded: later callbacks (a reload) get "already done" at once.
    pub callback_done: AtomicBool,
    /// Set when the logout came back.
    pub logout_done: AtomicBool,
    /// How long a browser request waits for the flow's answer (the held login page waits for the code exchange and
    /// the save) before it gets a page saying the program is still working.
    pub answer_timeout: Duration,
}

/// Turns a page into a response with the headers every page carries.
pub(crate) fn respond(page: Page) -> Response {
    let csp = match &page.script_nonce {
        Some(nonce) => format!(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; base-uri 'none'; frame-ancestors 'none'"
        ),
        None => "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
            .to_string(),
    };
    let mut response = (page.status, page.html).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}

fn parse_pairs(text: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text).into_owned().collect()
}

/// Hands a request to the waiting flow and waits for its page.
async fn ask_flow(shared: &Shared, request: Request) -> Page {
    let (reply, answer) = oneshot::channel();
    match shared.events.try_send(Event { request, reply }) {
        Ok(()) => match tokio::time::timeout(shared.answer_timeout, answer).await {
            Ok(Ok(page)) => page,
            Ok(Err(_)) => pages::not_waiting(),
            Err(_) => pages::still_working(),
        },
        Err(mpsc::error::TrySendError::Full(_)) => pages::busy(),
        Err(mpsc::error::TrySendError::Closed(_)) => pages::not_waiting(),
    }
}

/// The one handler of the listener's router.
pub(crate) async fn handle(
    AxumState(shared): AxumState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    endpoints: Option<axum::Extension<Endpoints>>,
    body: Bytes,
) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_ascii_lowercase);
    if !host.is_some_and(|h| shared.hosts.contains(&h)) {
        return respond(pages::bad_request(StatusCode::MISDIRECTED_REQUEST));
    }
    if is_subresource(&headers) {
        // An image, script, fetch or frame that some web page points at the listener: never part of a login, and
        // it must not end one (every real step is a top-level navigation).
        return respond(pages::bad_request(StatusCode::FORBIDDEN));
    }
    let path = uri.path();
    let query = uri.query().unwrap_or("").as_bytes();
    let page = if path == shared.callback_path {
        let params = match method {
            Method::GET => parse_pairs(query),
            Method::POST if is_form(&headers) => parse_pairs(&body),
            _ => return respond(pages::bad_request(StatusCode::METHOD_NOT_ALLOWED)),
        };
        if shared.callback_done.load(Ordering::SeqCst) {
            pages::already_done()
        } else {
            ask_flow(&shared, Request::Callback(params)).await
        }
    } else if shared.cancel_path.as_deref() == Some(path) {
        if method != Method::GET {
            return respond(pages::bad_request(StatusCode::METHOD_NOT_ALLOWED));
        }
        if shared.callback_done.load(Ordering::SeqCst) {
            pages::already_done()
        } else {
            ask_flow(&shared, Request::Cancel).await
        }
    } else if shared.logout_path.as_deref() == Some(path) {
        if method != Method::GET {
            return respond(pages::bad_request(StatusCode::METHOD_NOT_ALLOWED));
        }
        if shared.logout_done.load(Ordering::SeqCst) {
            pages::already_done()
        } else {
            ask_flow(&shared, Request::Logout(parse_pairs(query))).await
        }
    } else if method == Method::GET {
        let known = shared
            .forms
            .lock()
            .map(|f| f.contains_key(path))
            .unwrap_or(false);
        if !known {
            pages::not_found()
        } else if !from_this_user(endpoints.map(|e| e.0)) {
            pages::not_yours()
        } else {
            let form = shared
                .forms
                .lock()
                .map(|mut f| f.remove(path))
                .unwrap_or(None);
            form.unwrap_or_else(pages::not_found)
        }
    } else {
        pages::not_found()
    };
    respond(page)
}

/// Whether the request's client socket belongs to this process's user; unknown counts as no.
fn from_this_user(endpoints: Option<Endpoints>) -> bool {
    let Some(e) = endpoints else { return false };
    match peer::same_user(e.local, e.peer) {
        Ok(same) => same,
        Err(reason) => {
            tracing::warn!(%reason, "cannot tell who asks for a one-time page; refused");
            false
        }
    }
}

/// Whether the browser marks the request as something other than a top-level navigation (Fetch Metadata:
/// `Sec-Fetch-Mode` other than `navigate`, or `Sec-Fetch-Dest` other than `document`). Requests without these
/// headers (older browsers, command-line clients) count as navigations.
///
/// The rule holds for every site, not only `cross-site`: a page on another localhost port is `same-site` (sites
/// ignore the port), and the listener's own pages load nothing from it.
pub(crate) fn is_subresource(headers: &HeaderMap) -> bool {
    let value = |name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase())
    };
    let mode = value("sec-fetch-mode");
    let dest = value("sec-fetch-dest");
    mode.is_some_and(|m| m != "navigate") || dest.is_some_and(|d| d != "document")
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}
