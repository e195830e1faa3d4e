//! The listener's limits: a header-read timeout (slowloris) and a connection cap that never keeps the browser out.

use super::common::*;
use idporten_desktop::{ListenerOptions, LoopbackListener, RedirectUri};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn bind_with(opts: ListenerOptions) -> LoopbackListener {
    LoopbackListener::bind(&RedirectUri::parse("http://127.0.0.1:0/cb").unwrap(), opts)
        .await
        .unwrap()
}

fn addr(l: &LoopbackListener) -> std::net::SocketAddr {
    l.local_addrs()[0]
}

/// Whether the server has closed the connection (a read sees EOF or an error) within `within`.
async fn is_closed(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue, // an error page before the close
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn a_client_sending_its_headers_one_byte_a_second_is_cut() {
    let l = bind_with(ListenerOptions {
        header_timeout: Duration::from_secs(2),
        ..options()
    })
    .await;
    let mut slow = TcpStream::connect(addr(&l)).await.unwrap();
    let started = Instant::now();
    let request = b"GET /cb?code=x&state=y HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let mut cut = false;
    for byte in request {
        if slow.write_all(&[*byte]).await.is_err() {
            cut = true;
            break;
        }
        if is_closed(&mut slow, Duration::from_secs(1)).await {
            cut = true;
            break;
        }
    }
    let took = started.elapsed();
    assert!(cut, "the slow client kept its connection for {took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    // A silent client (connects, sends nothing) is cut too.
    let mut silent = TcpStream::connect(addr(&l)).await.unwrap();
    assert!(is_closed(&mut silent, Duration::from_secs(4)).await);
    l.shutdown().await;
}

#[tokio::test]
async fn idle_connections_beyond_the_cap_do_not_keep_the_callback_out() {
    let mut l = bind_with(ListenerOptions {
        max_connections: 4,
        header_timeout: Duration::from_secs(60),
        ..options()
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..5 {
        idle.push(TcpStream::connect(addr(&l)).await.unwrap());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let url = at(&l, "/cb?code=good&state=s1");
    let (result, answer) = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::join!(wait_cb(&mut l, "s1"), get(&url))
    })
    .await
    .expect("the callback got through within 10 s");
    assert_eq!(result.unwrap().code.secret(), "good");
    assert_eq!(answer.status, 200);
    // The oldest idle connections made room; the cap holds.
    assert!(is_closed(&mut idle[0], Duration::from_secs(2)).await);
    assert!(is_closed(&mut idle[1], Duration::from_secs(2)).await);
    l.shutdown().await;
}
