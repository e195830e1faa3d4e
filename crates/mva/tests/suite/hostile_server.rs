//! Answers no real service gives but a compromised or buggy one could: an owner organisation number that would
//! name a folder outside `--out`, and bodies larger than any the client should hold in memory. A small server on
//! 127.0.0.1 plays the hostile Altinn (the simulator only gives well-formed answers).

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use url::Url;

use mva::{AccessToken, Endpoints, InstanceId, MvaClient, MvaError, StaticToken};

pub const GUID: &str = "55604b08-1690-4a8d-bf6b-95c11dc40c58";
pub const PARTY: &str = "50000019";

/// Serves `handler` for every request on 127.0.0.1:0 and returns its base URL.
pub async fn serve<F, Fut>(handler: F) -> Url
where
    F: Fn(Request<Body>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(move |req: Request<Body>| handler.clone()(req));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/").parse().unwrap()
}

pub fn client(base: &Url) -> MvaClient {
    MvaClient::new(
        Endpoints::sim(base),
        Arc::new(StaticToken(AccessToken::new("id-porten-token"))),
    )
    .unwrap()
}

pub fn instance_id() -> InstanceId {
    format!("{PARTY}/{GUID}").parse().unwrap()
}

/// The Altinn token exchange, answered as the real one does (a JWT as text).
pub fn exchange(path: &str) -> Option<Response> {
    path.starts_with("/authentication/")
        .then(|| (StatusCode::OK, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln").into_response())
}

/// A finished instance owned by `org`, with a receipt element.
fn finished_instance(base: &str, org: &str) -> serde_json::Value {
    let inst = format!("{base}skd/mva-melding-innsending-etm2/instances/{PARTY}/{GUID}");
    serde_json::json!({
        "id": format!("{PARTY}/{GUID}"),
        "instanceOwner": { "partyId": PARTY, "organisationNumber": org },
        "process": { "currentTask": null, "ended": "2026-01-01T00:00:00Z" },
        "status": { "isArchived": true, "substatus": { "label": "Godkjent", "description": "ok" } },
        "data": [{
            "id": "0b5c2a4e-1111-4c1e-9d9e-222233334444",
            "dataType": "kvittering",
            "contentType": "application/pdf",
            "size": 15,
            "selfLinks": { "apps": format!("{inst}/data/0b5c2a4e-1111-4c1e-9d9e-222233334444") }
        }]
    })
}

/// Every file under `root`.
fn files_under(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_owner_organisation_number_is_refused_and_nothing_leaves_out() {
    for hostile in [
        "../../escaped",
        "310000019/../../escaped",
        "/tmp/escaped",
        "",
    ] {
        let base_cell: Arc<std::sync::OnceLock<String>> = Arc::default();
        let cell = base_cell.clone();
        let org = hostile.to_string();
        let base = serve(move |req: Request<Body>| {
            let (cell, org) = (cell.clone(), org.clone());
            async move {
                let path = req.uri().path().to_string();
                if let Some(r) = exchange(&path) {
                    return r;
                }
                let base = cell.get().cloned().unwrap_or_default();
                if path.ends_with("/feedback/status") {
                    axum::Json(serde_json::json!({ "isFeedbackProvided": true })).into_response()
                } else if path.contains("/data/") {
                    (
                        [(header::CONTENT_TYPE, "application/pdf")],
                        "%PDF-1.4\n%%EOF\n",
                    )
                        .into_response()
                } else {
                    axum::Json(finished_instance(&base, &org)).into_response()
                }
            }
        })
        .await;
        base_cell.set(base.to_string()).unwrap();
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("a/out");
        std::fs::create_dir_all(&out).unwrap();
        let e = client(&base)
            .status(&instance_id(), &out)
            .await
            .expect_err(hostile);
        assert!(matches!(e, MvaError::Protocol { .. }), "{hostile}: {e}");
        assert!(e.to_string().contains("organisation number"), "{e}");
        let written = files_under(root.path());
        assert!(written.is_empty(), "{hostile}: wrote {written:?}");
    }
}

/// What the raw server sends for a request.
#[derive(Clone)]
enum Raw {
    /// A complete answer.
    Body(&'static str, String),
    /// Headers declaring `Content-Length: n`, a little of the body, then silence.
    Declares(u64),
    /// A chunked body that never ends.
    Endless,
}

/// A server written straight on TCP (so it can lie about sizes and never end a body). Returns its base URL and the
/// number of body bytes it managed to send in endless answers.
async fn raw_server(
    answer: impl Fn(&str) -> Raw + Send + Sync + 'static,
) -> (Url, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let answer = Arc::new(answer);
    let counter = sent.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let (answer, counter) = (answer.clone(), counter.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let path = head.split(' ').nth(1).unwrap_or("/").to_string();
                match answer(&path) {
                    Raw::Body(ct, body) => {
                        let _ = sock
                            .write_all(
                                format!(
                                    "HTTP/1.1 200 OK\r\ncontent-type: {ct}\r\ncontent-length: {}\r\n\r\n{body}",
                                    body.len()
                                )
                                .as_bytes(),
                            )
                            .await;
                    }
                    Raw::Declares(n) => {
                        let _ = sock
                            .write_all(format!("HTTP/1.1 200 OK\r\ncontent-type: application/pdf\r\ncontent-length: {n}\r\n\r\n%PDF-").as_bytes())
                            .await;
                        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                    }
                    Raw::Endless => {
                        if sock
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/xml\r\ntransfer-encoding: chunked\r\n\r\n")
                            .await
                            .is_err()
                        {
                            return;
                        }
                        let chunk = vec![b'x'; 64 * 1024];
                        let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
                        frame.extend_from_slice(&chunk);
                        frame.extend_from_slice(b"\r\n");
                        while sock.write_all(&frame).await.is_ok() {
                            counter.fetch_add(chunk.len(), Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    (format!("http://{addr}/").parse().unwrap(), sent)
}

fn instance_json_for(base: &str) -> String {
    finished_instance(base, "310000019").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_content_length_is_refused_up_front() {
    // the receipt declares 60 MB: over the 50 MiB accepted for documents
    let base_cell: Arc<std::sync::OnceLock<String>> = Arc::default();
    let cell = base_cell.clone();
    let (base, _) = raw_server(move |path| {
        if path.starts_with("/authentication/") {
            Raw::Body("text/plain", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln".into())
        } else if path.ends_with("/feedback/status") {
            Raw::Body("application/json", r#"{"isFeedbackProvided":true}"#.into())
        } else if path.contains("/data/") {
            Raw::Declares(60_000_000)
        } else {
            Raw::Body("application/json", instance_json_for(cell.get().unwrap()))
        }
    })
    .await;
    base_cell.set(base.to_string()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let e = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        client(&base).status(&instance_id(), out.path()),
    )
    .await
    .expect("the client waited for a body it should have refused")
    .unwrap_err();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "not refused up front"
    );
    match &e {
        MvaError::ResponseTooLarge {
            declared, limit, ..
        } => {
            assert_eq!(*declared, Some(60_000_000));
            assert_eq!(*limit, mva::response::MAX_DOCUMENT_RESPONSE_BYTES);
        }
        other => panic!("{other}"),
    }
    let text = e.to_string();
    assert!(
        text.contains("60000000") && text.contains("52428800"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_body_is_cut_at_the_cap() {
    // the Altinn token exchange (a small text answer) and the validation API (a document) both never end
    for exchange_endless in [true, false] {
        let (base, sent) = raw_server(move |path| {
            if path.starts_with("/authentication/") && !exchange_endless {
                Raw::Body("text/plain", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln".into())
            } else {
                Raw::Endless
            }
        })
        .await;
        let c = client(&base);
        let (call, limit) = if exchange_endless {
            let out = tempfile::tempdir().unwrap();
            let r = tokio::time::timeout(
                std::time::Duration::from_secs(60),
                c.status(&instance_id(), out.path()),
            )
            .await;
            (r.map(|r| r.map(|_| ())), mva::response::MAX_JSON_BYTES)
        } else {
            let r = tokio::time::timeout(
                std::time::Duration::from_secs(60),
                c.validate_remote(b"<mvaMeldingDto/>"),
            )
            .await;
            (
                r.map(|r| r.map(|_| ())),
                mva::response::MAX_DOCUMENT_RESPONSE_BYTES,
            )
        };
        let e = call
            .expect("the client read an endless body for a minute")
            .unwrap_err();
        match &e {
            MvaError::ResponseTooLarge {
                declared: None,
                limit: l,
                ..
            } => assert_eq!(*l, limit),
            other => panic!("{other}"),
        }
        assert!(e.to_string().contains(&limit.to_string()), "{e}");
        // the client stopped reading: the server could not send much more than the cap (socket buffers aside)
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let sent = sent.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            sent < limit + 16 * 1024 * 1024,
            "{sent} bytes sent for a cap of {limit}"
        );
    }
}
