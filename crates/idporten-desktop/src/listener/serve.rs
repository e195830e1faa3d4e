//! The accept loop of one listening socket: HTTP/1.1 connections with a header-read timeout, a connection cap that
//! makes room by closing the oldest idle connection, and a shutdown that returns only when every socket is closed.
//!
//! axum's own `serve` has neither a header-read timeout nor a cap, and its graceful shutdown cannot be bounded and
//! awaited, so the loop is written here on hyper's connection builder.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinSet};

/// How long open connections may take to finish their requests after the listener is told to stop; then they are
/// closed.
const GRACE: Duration = Duration::from_secs(2);

/// The limits of one listener.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// A connection must deliver a request's headers within this time (from its opening, or from the end of the
    /// previous response), else it is closed: a slow or silent client cannot hold a connection.
    pub header_timeout: Duration,
    /// At most this many connections at once; one more closes the oldest connection that has no request in progress.
    pub max_connections: usize,
}

/// The two ends of the connection a request came on (a request extension), for [`super::peer::same_user`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Endpoints {
    /// The listener's address.
    pub local: std::net::SocketAddr,
    /// The client's address.
    pub peer: std::net::SocketAddr,
}

/// One open connection, as the accept loop sees it.
struct Open {
    task: AbortHandle,
    /// Requests in progress on it; 0 means idle (reading headers, or kept alive between requests).
    busy: Arc<AtomicUsize>,
}

/// Decrements a connection's busy count when a request is done, however it ends.
struct BusyGuard(Arc<AtomicUsize>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Serves `app` on `listener` until `stop` fires (or its sender is dropped). Returns when the listening socket and
/// every connection are closed: connections get [`GRACE`] to finish, then are cut.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<()>,
) {
    let mut tasks = JoinSet::new();
    let mut open: Vec<Open> = Vec::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // EMFILE and the like: wait a moment rather than spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                open.retain(|c| !c.task.is_finished());
                if open.len() >= limits.max_connections.max(1) {
                    match open.iter().position(|c| c.busy.load(Ordering::SeqCst) == 0) {
                        Some(oldest_idle) => open.remove(oldest_idle).task.abort(),
                        // Every connection has a request in progress: the newcomer waits for none of them.
                        None => continue,
                    }
                }
                let busy = Arc::new(AtomicUsize::new(0));
                let task = tasks.spawn(connection(stream, app.clone(), limits, busy.clone(), stop.clone()));
                open.push(Open { task, busy });
            }
            _ = stop.changed() => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    drop(listener);
    let deadline = tokio::time::Instant::now() + GRACE;
    while !tasks.is_empty() {
        match tokio::time::timeout_at(deadline, tasks.join_next()).await {
            Ok(_) => {}
            Err(_) => {
                tasks.abort_all();
                while tasks.join_next().await.is_some() {}
            }
        }
    }
}

/// Serves one connection until the client closes it, it times out, or the listener stops (gracefully: a request in
/// progress gets its answer).
async fn connection(
    stream: tokio::net::TcpStream,
    app: Router,
    limits: Limits,
    busy: Arc<AtomicUsize>,
    mut stop: watch::Receiver<()>,
) {
    let endpoints = match (stream.local_addr(), stream.peer_addr()) {
        (Ok(local), Ok(peer)) => Some(Endpoints { local, peer }),
        _ => None,
    };
    let service = tower::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
        if let Some(endpoints) = endpoints {
            request.extensions_mut().insert(endpoints);
        }
        busy.fetch_add(1, Ordering::SeqCst);
        let guard = BusyGuard(busy.clone());
        let app = app.clone();
        async move {
            let response = tower::ServiceExt::oneshot(app, request).await;
            drop(guard);
            response
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(64 * 1024);
    let conn = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "loopback connection closed");
            }
        }
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
