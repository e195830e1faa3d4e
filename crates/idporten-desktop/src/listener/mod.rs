//! The loopback listener of a desktop login (RFC 8252 7.3): it listens on the registered redirect URI, receives the
//! authorization response from the browser and shows the user a short page.
//!
//! ```no_run
//! # async fn run() -> Result<(), idporten_desktop::Error> {
//! use idporten_desktop::{Issuer, ListenerOptions, LoopbackListener, RedirectUri, State};
//! let uri = RedirectUri::parse("http://localhost:12345/token")?;
//! let mut listener = LoopbackListener::bind(&uri, ListenerOptions::default()).await?;
//! // ... build the authorization request with listener.redirect_uri() and open the browser ...
//! let state = State::new("random-state-from-the-request");
//! let issuer = Issuer::parse("https://test.idporten.no")?;
//! let callback = listener
//!     .wait_for_callback(&state, &issuer, &mut |left| eprint!("\r{}s left ", left.as_secs()))
//!     .await?;
//! // ... exchange the code, check the ID token, store the session; only then does the browser hear the outcome ...
//! listener.finish_login(Ok(()));
//! listener.shutdown().await;
//! # let _ = callback; Ok(()) }
//! ```

mod bind;
mod callback;
mod pages;
mod paths;
mod peer;
mod serve;
mod server;

pub use callback::Callback;

use base64::Engine as _;
use rand::RngCore as _;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::{Error, Issuer, RedirectUri, State};
use callback::Verdict;
use server::{Event, Request, Shared};

/// What the listener serves besides the redirect URI, and how long it waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerOptions {
    /// The path of the back URI (Tilbake-uri) on the same host and port, e.g. `/auth/logincancelled`: a request to
    /// it ends the login as cancelled.
    pub cancel_path: Option<String>,
    /// The path of the post-logout redirect URI on the same host and port, e.g. `/auth/logoutsuccess`.
    pub logout_path: Option<String>,
    /// How long [`LoopbackListener::wait_for_callback`] and [`LoopbackListener::wait_for_logout`] wait.
    pub timeout: Duration,
    /// How long the browser's callback request is held open for the flow's outcome (code exchange, ID-token checks,
    /// storing the session); then it gets a page saying the program is still working.
    pub answer_timeout: Duration,
    /// A connection must send a request's headers within this time (from its opening, or after the previous
    /// answer), else it is closed: a slow or silent client cannot hold the listener.
    pub header_timeout: Duration,
    /// At most this many connections at once; one more closes the oldest idle one (no request in progress), so idle
    /// connections never keep the browser's callback out.
    pub max_connections: usize,
}

impl Default for ListenerOptions {
    /// No cancel or logout path; five minutes; the browser held at most 60 s; headers within 10 s; 32 connections.
    fn default() -> Self {
        Self {
            cancel_path: None,
            logout_path: None,
            timeout: Duration::from_secs(300),
            answer_timeout: Duration::from_secs(60),
            header_timeout: Duration::from_secs(10),
            max_connections: 32,
        }
    }
}

/// A small HTTP server on the redirect URI's loopback address(es). Dropping it stops the server.
pub struct LoopbackListener {
    redirect_uri: RedirectUri,
    addrs: Vec<SocketAddr>,
    timeout: Duration,
    shared: Arc<Shared>,
    events: mpsc::Receiver<Event>,
    shutdown: Option<watch::Sender<()>>,
    servers: Vec<JoinHandle<()>>,
    /// The browser request that delivered this login's code, waiting for [`Self::finish_login`].
    held: Option<oneshot::Sender<pages::Page>>,
}

impl std::fmt::Debug for LoopbackListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopbackListener")
            .field("redirect_uri", &self.redirect_uri)
            .field("addrs", &self.addrs)
            .finish_non_exhaustive()
    }
}

/// A random, unguessable URL-safe token (256 bits from the operating system's CSPRNG).
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl LoopbackListener {
    /// Binds exactly the redirect URI's host and port; the path is matched per request.
    ///
    /// For `localhost` it binds both 127.0.0.1 and `[::1]` on that port (browsers try either first); without IPv6 on
    /// the machine, 127.0.0.1 alone. A taken port gives [`Error::PortInUse`]. Port 0 (RFC 8252 native clients
    /// registered as `http://127.0.0.1:0/...`) picks a free port, and [`Self::redirect_uri`] then has the real one.
    pub async fn bind(redirect_uri: &RedirectUri, options: ListenerOptions) -> Result<Self, Error> {
        let cancel_path = paths::check_path(redirect_uri, "cancel", &options.cancel_path)?;
        let logout_path = paths::check_path(redirect_uri, "logout", &options.logout_path)?;
        if cancel_path.is_some() && cancel_path == logout_path {
            return Err(Error::InvalidRedirectUri {
                uri: redirect_uri.to_string(),
                reason: "the cancel path and the logout path must differ".to_string(),
            });
        }
        let bound = bind::bind(redirect_uri).await?;
        let mut url = redirect_uri.url().clone();
        if url.port() == Some(0) {
            let _ = url.set_port(Some(bound.port));
        }
        let redirect_uri = RedirectUri::parse(url.as_str())?;
        let port = bound.port;
        let mut hosts = vec![
            format!("localhost:{port}"),
            format!("127.0.0.1:{port}"),
            format!("[::1]:{port}"),
        ];
        if let Some(host) = url.host_str() {
            hosts.push(format!("{}:{port}", host.to_ascii_lowercase()));
        }
        let (tx, events) = mpsc::channel(server::QUEUE);
        let shared = Arc::new(Shared {
            callback_path: url.path().to_string(),
            cancel_path,
            logout_path,
            hosts,
            forms: Mutex::new(HashMap::new()),
            events: tx,
            callback_done: AtomicBool::new(false),
            logout_done: AtomicBool::new(false),
            answer_timeout: options.answer_timeout,
        });
        let limits = serve::Limits {
            header_timeout: options.header_timeout,
            max_connections: options.max_connections,
        };
        let (shutdown, stop) = watch::channel(());
        let mut addrs = Vec::new();
        let mut servers = Vec::new();
        for listener in bound.listeners {
            if let Ok(addr) = listener.local_addr() {
                addrs.push(addr);
            }
            let app = axum::Router::new()
                .fallback(server::handle)
                .with_state(shared.clone());
            servers.push(tokio::spawn(serve::serve(
                listener,
                app,
                limits,
                stop.clone(),
            )));
        }
        Ok(Self {
            redirect_uri,
            addrs,
            timeout: options.timeout,
            shared,
            events,
            shutdown: Some(shutdown),
            servers,
            held: None,
        })
    }

    /// The redirect URI to send in the authorization request (with the real port when the configured one was 0).
    pub fn redirect_uri(&self) -> &RedirectUri {
        &self.redirect_uri
    }

    /// The addresses listened on (127.0.0.1 and, when the machine has IPv6, `[::1]` for `localhost`).
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Waits for the authorization callback.
    ///
    /// Requests to other paths get 404. Requests the browser marks as subresources (Fetch Metadata: an image,
    /// script, fetch or frame from some web page) are refused with 403 and never end the wait. A top-level
    /// navigation with a wrong or missing `state` ends the login at once with [`Error::CallbackForeignState`] (a
    /// user on an old tab should not wait for the timeout). For this login's `state`: `iss` present and not
    /// `expected_issuer` gives [`Error::CallbackIssuerMismatch`] (RFC 9207); `error=access_denied` or the cancel path
    /// gives [`Error::LoginCancelled`]; another `error` gives [`Error::AuthorizationError`]; no code gives
    /// [`Error::CallbackMissingCode`]. Each of these errors answers the browser at once with a page in bokmål and
    /// English. A code is returned while the browser's request is HELD: call [`Self::finish_login`] with the outcome
    /// of the exchange and the save, so the page says "logged in" only when it is true (it gets a "still working"
    /// page after `options.answer_timeout`, and a "stopped" page if the listener shuts down first). After
    /// `options.timeout`: [`Error::LoginTimedOut`]. `on_tick` is called about once a second with the time left.
    pub async fn wait_for_callback(
        &mut self,
        expected_state: &State,
        expected_issuer: &Issuer,
        on_tick: &mut (dyn FnMut(Duration) + Send),
    ) -> Result<Callback, Error> {
        let timeout = self.timeout;
        let shared = self.shared.clone();
        self.wait(on_tick, |request| match request {
            Request::Callback(params) => {
                match callback::judge(params, expected_state, expected_issuer) {
                    Verdict::Code(callback) => {
                        shared.callback_done.store(true, Ordering::SeqCst);
                        (Some(Ok(callback)), None)
                    }
                    Verdict::Failed(e, page) => (Some(Err(e)), Some(page)),
                }
            }
            Request::Cancel => (Some(Err(Error::LoginCancelled)), Some(pages::cancelled())),
            Request::Logout(_) => (None, Some(pages::not_waiting())),
        })
        .await
        .unwrap_or(Err(Error::LoginTimedOut { after: timeout }))
    }

    /// Answers the browser whose callback [`Self::wait_for_callback`] returned: "logged in" for `Ok`, else a page
    /// saying which step failed (code exchange, ID-token checks, storing the session...) with the error's message.
    /// Does nothing when no request is held (the browser gave up, or it was answered already).
    pub fn finish_login(&mut self, outcome: Result<(), &Error>) {
        if let Some(held) = self.held.take() {
            let _ = held.send(match outcome {
                Ok(()) => pages::logged_in(),
                Err(e) => pages::failed(e),
            });
        }
    }

    /// Serves a one-time page at a random path and returns its URL: the page POSTs `fields` (hidden inputs) to
    /// `action` with a tiny inline script, plus a visible button for browsers without JavaScript.
    ///
    /// Used for logout: the end-session request carries `id_token_hint`, which must never appear in a URL. Open the
    /// returned URL in the browser, then call [`Self::wait_for_logout`].
    ///
    /// The URL is on the browser's command line, which other users of the machine can read; so the page is served
    /// once, and (on Linux) only to a connection whose client socket belongs to this process's user, as the
    /// kernel's socket table says. Anyone else gets 403 and the page stays for the user's browser.
    pub fn serve_form_post(
        &mut self,
        action: &url::Url,
        fields: Vec<(String, String)>,
    ) -> url::Url {
        let path = format!("/post-{}", random_token());
        let page = pages::form_post(action.as_str(), &fields, &random_token());
        if let Ok(mut forms) = self.shared.forms.lock() {
            forms.insert(path.clone(), page);
        }
        let mut url = self.redirect_uri.url().clone();
        url.set_path(&path);
        url.set_query(None);
        url
    }

    /// Waits for the post-logout redirect at the logout path with a matching `state`; the browser gets a success
    /// page. A wrong or missing `state` gets an error page and the wait goes on. After `options.timeout`:
    /// [`Error::LogoutTimedOut`].
    pub async fn wait_for_logout(
        &mut self,
        expected_state: &State,
        on_tick: &mut (dyn FnMut(Duration) + Send),
    ) -> Result<(), Error> {
        let timeout = self.timeout;
        let shared = self.shared.clone();
        self.wait(on_tick, |request| match request {
            Request::Logout(params) => {
                let states: Vec<&str> = params
                    .iter()
                    .filter(|(k, _)| k == "state")
                    .map(|(_, v)| v.as_str())
                    .collect();
                if states == [expected_state.as_str()] {
                    shared.logout_done.store(true, Ordering::SeqCst);
                    (Some(Ok(())), Some(pages::logged_out()))
                } else {
                    (None, Some(pages::logout_not_ours()))
                }
            }
            Request::Callback(_) | Request::Cancel => (None, Some(pages::not_waiting())),
        })
        .await
        .unwrap_or(Err(Error::LogoutTimedOut { after: timeout }))
    }

    /// Stops the server and returns when its sockets are closed: the listening sockets at once, open connections
    /// after their requests are answered (at most two seconds, then they are cut). The port can be bound again as
    /// soon as this returns.
    pub async fn shutdown(mut self) {
        // Requests still queued (and a held callback) get their answer now, so that no browser tab hangs while the
        // servers stop.
        if let Some(held) = self.held.take() {
            let _ = held.send(pages::stopped());
        }
        self.events.close();
        while let Ok(event) = self.events.try_recv() {
            let _ = event.reply.send(pages::not_waiting());
        }
        self.shutdown.take();
        for server in self.servers.drain(..) {
            // Each server bounds its own connections' grace period, so this wait is bounded too.
            if let Err(e) = server.await {
                tracing::warn!(error = %e, "a loopback server task failed");
            }
        }
    }

    /// The wait loop: hands each queued request to `decide`, which returns the page for the browser (`None`: hold
    /// the request for [`Self::finish_login`]) and, when the wait is over, its result. `None` means the time ran out.
    async fn wait<T>(
        &mut self,
        on_tick: &mut (dyn FnMut(Duration) + Send),
        mut decide: impl FnMut(&Request) -> (Option<Result<T, Error>>, Option<pages::Page>),
    ) -> Option<Result<T, Error>> {
        let deadline = Instant::now() + self.timeout;
        let mut ticker = tokio::time::interval(Duration::from_secs(1));
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                Some(event) = self.events.recv() => {
                    let (result, page) = decide(&event.request);
                    match page {
                        Some(page) => { let _ = event.reply.send(page); }
                        None => self.held = Some(event.reply),
                    }
                    if result.is_some() {
                        return result;
                    }
                }
                _ = tokio::time::sleep_until(deadline) => return None,
                _ = ticker.tick() => on_tick(deadline.saturating_duration_since(Instant::now())),
            }
        }
    }
}

impl Drop for LoopbackListener {
    fn drop(&mut self) {
        // Dropping the sender signals every server to stop accepting; queued requests get "no longer waiting".
        if let Some(held) = self.held.take() {
            let _ = held.send(pages::stopped());
        }
        self.shutdown.take();
    }
}
