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
