//! A TCP listener whose connections can be closed from a request handler, so a "drop the connection" fault closes
//! the socket with no answer.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Per-connection control, available to handlers as `ConnectInfo<ConnControl>`.
#[derive(Debug, Clone)]
pub struct ConnControl {
    kill: Arc<AtomicBool>,
    /// The peer.
    pub remote: SocketAddr,
}

impl ConnControl {
    /// Closes the connection: nothing more is written to it and hyper drops it.
    pub fn kill(&self) {
        self.kill.store(true, Ordering::SeqCst);
    }
}

/// The simulator's listener.
pub struct KillableListener(pub TcpListener);

/// A TCP stream that fails every read and write once killed.
pub struct KillableStream {
    inner: TcpStream,
    control: ConnControl,
}

impl KillableListener {
    /// The next connection, with its control. Accept errors (out of file descriptors, ...) are waited out.
    pub async fn accept_stream(&mut self) -> (KillableStream, ConnControl) {
        loop {
            match self.0.accept().await {
                Ok((inner, remote)) => {
                    let _ = inner.set_nodelay(true);
                    let control = ConnControl {
                        kill: Arc::default(),
                        remote,
                    };
                    let stream = KillableStream {
                        inner,
                        control: control.clone(),
                    };
                    return (stream, control);
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        }
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

fn killed() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection dropped by fault injection",
    )
}

impl KillableStream {
    fn is_killed(&self) -> bool {
        self.control.kill.load(Ordering::SeqCst)
    }
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.is_killed() {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.is_killed() {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.is_killed() {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.is_killed() {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
