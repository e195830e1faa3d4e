//! The listener's limits: a slow or silent client is cut after the header-read timeout, and a flood of
//! connections meets the connection cap without hurting the simulator.

use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;

async fn limited(timeout_secs: u64, cap: usize) -> Sim {
    sim_with(&format!(
        "[sim]\nheadless_login = true\nheader_read_timeout_secs = {timeout_secs}\nmax_connections = {cap}\n"
    ))
    .await
}

/// Reads until the peer closes (or 10 s pass): what was answered, and when the connection ended.
async fn read_to_close(stream: &mut TcpStream) -> (String, Instant) {
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    (
        String::from_utf8_lossy(&answer).into_owned(),
        Instant::now(),
    )
}

#[tokio::test]
async fn a_slow_header_connection_is_cut() {
    let sim = limited(1, 16).await;
    let addr = sim.handle.addr();
    // A slowloris: one header byte every 200 ms, never finishing.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    slow.write_all(b"GET /jwks.json HTTP/1.1\r\n")
        .await
        .unwrap();
    let trickle = async {
        for byte in
            b"Host: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".iter()
        {
            if slow.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), trickle).await;
    let (answer, ended) = read_to_close(&mut slow).await;
    assert!(!answer.contains("200 OK"), "{answer}");
    assert!(
        ended - started < Duration::from_secs(6),
        "cut after the header timeout, not left open"
    );
    // A silent connection is cut too.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    let (answer, ended) = read_to_close(&mut silent).await;
    assert!(!answer.contains("200 OK"), "{answer}");
    assert!(
        ended - started < Duration::from_secs(4),
        "{:?}",
        ended - started
    );
    // And the simulator still serves.
    assert_eq!(sim.get(&sim.url("/jwks.json")).await.status().as_u16(), 200);
}

#[tokio::test]
async fn the_connection_cap_closes_idle_ones_and_refuses_when_all_are_busy() {
    let sim = limited(10, 4).await;
    let addr = sim.handle.addr();
    // Four idle connections: a fifth client still gets served (the oldest idle one makes room).
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let fresh = http_client();
    let r = fresh.get(sim.url("/jwks.json")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    drop(idle);
    drop(fresh);
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Four connections, each with a slow request in progress: a fifth is refused with 503, not queued or crashed.
    sim.handle.faults().delay_next("jwks", 1500, 4).unwrap();
    let host = format!("Host: {addr}\r\n");
    let mut busy = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(
            format!("GET /jwks.json HTTP/1.1\r\n{host}Connection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
        busy.push(s);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut extra = TcpStream::connect(addr).await.unwrap();
    let _ = extra
        .write_all(format!("GET /jwks.json HTTP/1.1\r\n{host}\r\n").as_bytes())
        .await;
    let (answer, _) = read_to_close(&mut extra).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("Retry-After"), "{answer}");
    // The busy ones get their answers, and afterwards the simulator serves as before.
    for mut s in busy {
        let (answer, _) = read_to_close(&mut s).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    let r = http_client()
        .get(sim.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}
