//! No answer is read without limit: a provider (here a raw local server) that announces or streams more than an
//! answer of its kind needs is refused with `Error::ResponseTooLarge`, without reading it all.

use idporten_desktop::{Client, ClientConfig, ClientId, Error, Issuer, RedirectUri, TokenSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::{clock, seams};

/// How each path answers.
#[derive(Clone, Copy)]
enum Answer {
    /// A good discovery document pointing every endpoint at this server.
    Discovery,
    /// `Content-Length` far beyond any limit, then a few bytes.
    HugeLength,
    /// A chunked body that never ends (64 KiB chunks).
    EndlessChunks,
}

struct Server {
    issuer: String,
    /// Bytes of body the server managed to write before the client hung up.
    written: Arc<AtomicUsize>,
}

async fn serve(routes: Vec<(&'static str, Answer)>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let written = Arc::new(AtomicUsize::new(0));
    let (issuer2, written2) = (issuer.clone(), written.clone());
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let routes = routes.clone();
            let (issuer, written) = (issuer2.clone(), written2.clone());
            tokio::spawn(async move { answer(socket, &routes, &issuer, &written).await });
        }
    });
    Server { issuer, written }
}

async fn answer(
    mut socket: TcpStream,
    routes: &[(&'static str, Answer)],
    issuer: &str,
    written: &AtomicUsize,
) {
    let mut request = vec![0u8; 8192];
    let n = socket.read(&mut request).await.unwrap_or(0);
    let line = String::from_utf8_lossy(&request[..n]);
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let Some((_, kind)) = routes.iter().find(|(p, _)| *p == path) else {
        let _ = socket
            .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
            .await;
        return;
    };
    match kind {
        Answer::Discovery => {
            let doc = serde_json::json!({
                "issuer": issuer,
                "authorization_endpoint": format!("{issuer}/authorize"),
                "token_endpoint": format!("{issuer}/token"),
                "jwks_uri": format!("{issuer}/jwks"),
                "response_types_supported": ["code"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"]
            })
            .to_string();
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                doc.len()
            );
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(doc.as_bytes()).await;
        }
        Answer::HugeLength => {
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000000000\r\n\r\n{\"a\":")
                .await;
            // Hold the connection: a client that waited for the body would hang here.
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        }
        Answer::EndlessChunks => {
            let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
            if socket.write_all(head).await.is_err() {
                return;
            }
            let chunk = vec![b' '; 64 * 1024];
            let frame = [
                format!("{:x}\r\n", chunk.len()).into_bytes(),
                chunk,
                b"\r\n".to_vec(),
            ]
            .concat();
            while socket.write_all(&frame).await.is_ok() {
                written.fetch_add(64 * 1024, Ordering::SeqCst);
            }
        }
    }
}

fn config(server: &Server) -> ClientConfig {
    ClientConfig::new(
        Issuer::parse(&server.issuer).unwrap(),
        ClientId::new("c"),
        RedirectUri::parse("http://127.0.0.1:9/callback").unwrap(),
    )
}

fn assert_too_large(r: Result<impl std::fmt::Debug, Error>, limit: usize) {
    match r {
        Err(Error::ResponseTooLarge { limit: l, .. }) if l == limit => {}
        other => panic!("expected ResponseTooLarge({limit}): {other:?}"),
    }
}

#[tokio::test]
async fn an_announced_huge_discovery_document_is_refused_before_reading() {
    let server = serve(vec![(
        "/.well-known/openid-configuration",
        Answer::HugeLength,
    )])
    .await;
    let started = std::time::Instant::now();
    let r = Client::discover(config(&server), seams(&clock())).await;
    assert_too_large(r, idporten_desktop::MAX_METADATA_BYTES);
    assert!(started.elapsed().as_secs() < 10, "refused up front");
}

#[tokio::test]
async fn an_endless_jwks_is_cut_off_at_the_limit() {
    let server = serve(vec![
        ("/.well-known/openid-configuration", Answer::Discovery),
        ("/jwks", Answer::EndlessChunks),
    ])
    .await;
    let client = Client::discover(config(&server), seams(&clock()))
        .await
        .unwrap();
    let r = client.jwks().ensure_loaded().await;
    assert_too_large(r, idporten_desktop::MAX_METADATA_BYTES);
    // The server could write at most the limit plus what the socket buffers hold.
    assert!(
        server.written.load(Ordering::SeqCst) < 64 * 1024 * 1024,
        "{} bytes",
        server.written.load(Ordering::SeqCst)
    );
}

#[tokio::test]
async fn an_endless_token_response_is_cut_off_at_the_limit() {
    let server = serve(vec![
        ("/.well-known/openid-configuration", Answer::Discovery),
        ("/token", Answer::EndlessChunks),
    ])
    .await;
    let client = Client::discover(config(&server), seams(&clock()))
        .await
        .unwrap();
    let request = client
        .authorization_request(&RedirectUri::parse("http://127.0.0.1:9/callback").unwrap())
        .await
        .unwrap();
    let r: Result<TokenSet, Error> = client
        .exchange_code(&idporten_desktop::AuthorizationCode::new("code"), &request)
        .await;
    assert_too_large(r, idporten_desktop::MAX_TOKEN_RESPONSE_BYTES);
}
