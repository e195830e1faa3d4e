//! The simulator's accept loop: HTTP/1.1 connections with a header-read timeout and a connection cap, so a slow
//! or silent client, or a flood of connections, cannot hold the simulator.
//!
//! axum's own `serve` has neither, so the loop is written on hyper's connection builder. At the cap, the oldest
//! connection with no request in progress is closed to make room; when every connection is busy the newcomer gets
//! `503` with `Retry-After` and is closed.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinSet};

use crate::conn::{ConnControl, KillableListener, KillableStream};

/// How long connections may take to finish their requests after the simulator is told to stop.
const GRACE: Duration = Duration::from_secs(3);

/// The answer to a connection over the cap when every open connection is busy.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain\r\n\
Content-Length: 61\r\nConnection: close\r\n\r\nmva-sim: too many connections at once; try again in a second\n";

/// The limits of the simulator's listener (`[sim] header_read_timeout_secs`, `[sim] max_connections`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A connection must deliver a request's headers within this time, else it is closed.
    pub header_timeout: Duration,
    /// At most this many connections at once.
    pub max_connections: usize,
}

struct Open {
    task: AbortHandle,
    /// Requests in progress on the connection; 0 = idle.
    busy: Arc<AtomicUsize>,
}

struct BusyGuard(Arc<AtomicUsize>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Serves `app` until `stop` changes (or its sender is dropped); returns once every connection is closed.
pub(crate) async fn serve(
    mut listener: KillableListener,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<()>,
) {
    let mut tasks = JoinSet::new();
    let mut open: Vec<Open> = Vec::new();
    loop {
        tokio::select! {
            (stream, control) = listener.accept_stream() => {
                open.retain(|c| !c.task.is_finished());
                if open.len() >= limits.max_connections.max(1) {
                    match open.iter().position(|c| c.busy.load(Ordering::SeqCst) == 0) {
                        Some(oldest_idle) => open.remove(oldest_idle).task.abort(),
                        None => {
                            tracing::warn!(cap = limits.max_connections, "connection refused: every connection is busy");
                            tasks.spawn(refuse(stream));
                            continue;
                        }
                    }
                }
                let busy = Arc::new(AtomicUsize::new(0));
                let task = tasks.spawn(connection(stream, control, app.clone(), limits, busy.clone(), stop.clone()));
                open.push(Open { task, busy });
            }
            _ = stop.changed() => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    drop(listener);
    let deadline = tokio::time::Instant::now() + GRACE;
    while !tasks.is_empty() {
        if tokio::time::timeout_at(deadline, tasks.join_next())
            .await
            .is_err()
        {
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
    }
}

async fn refuse(mut stream: KillableStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(BUSY).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

async fn connection(
    stream: KillableStream,
    control: ConnControl,
    app: Router,
    limits: Limits,
    busy: Arc<AtomicUsize>,
    mut stop: watch::Receiver<()>,
) {
    let service = tower::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
        busy.fetch_add(1, Ordering::SeqCst);
        let guard = BusyGuard(busy.clone());
        request
            .extensions_mut()
            .insert(ConnectInfo(control.clone()));
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
        .max_buf_size(256 * 1024);
    let conn = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection closed");
            }
        }
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
