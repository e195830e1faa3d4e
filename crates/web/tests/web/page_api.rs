//! The VAT page's JSON API over real sockets, against the simulator's VAT services.

use super::page_support::{
    example_return, instance, log_in, multipart, sessions, vat_sim, Instance, KARI, OLA, ORG, PER,
};
use reqwest::header::{CONTENT_TYPE, COOKIE, ORIGIN};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::Digest;
use std::time::{Duration, Instant};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A request from the page: the session cookie, `X-Mva-Request: 1`, and the page's `Origin`.
fn from_page(
    server: &Instance,
    method: reqwest::Method,
    path: &str,
    cookie: &str,
) -> reqwest::RequestBuilder {
    client()
        .request(method, format!("{}{path}", server.base))
        .header(COOKIE, format!("__Host-mva-session={cookie}"))
        .header("X-Mva-Request", "1")
        .header(ORIGIN, &server.base)
}

async fn post_form(
    server: &Instance,
    path: &str,
    cookie: &str,
    parts: &[(&str, Option<&str>, &[u8])],
) -> reqwest::Response {
    let (content_type, body) = multipart(parts);
    from_page(server, reqwest::Method::POST, path, cookie)
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Polls the submission until it is no longer running.
async fn until_finished(server: &Instance, cookie: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let r = from_page(
            server,
            reqwest::Method::GET,
            &format!("/api/submissions/{id}"),
            cookie,
        )
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let s: Value = r.json().await.unwrap();
        if s["state"] != "running" {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "the submission did not finish: {s}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_route_needs_a_session_and_the_csrf_proofs() {
    let sim = vat_sim().await;
    let sessions = sessions();
    let data = tempfile::tempdir().unwrap();
    let server = instance(&sessions, &sim, data.path(), "127.0.0.1").await;
    let cookie = log_in(&sessions, &sim, KARI).await;
    let ret = example_return(ORG);
    let (content_type, body) = multipart(&[("return", Some("r.xml"), &ret)]);

    // No session: 401 JSON, nothing validated.
    let r = client()
        .post(format!("{}/api/validate", server.base))
        .header("X-Mva-Request", "1")
        .header(ORIGIN, &server.base)
        .header(CONTENT_TYPE, &content_type)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "not_logged_in");
    let r = client()
        .get(format!(
            "{}/api/submissions/{ORG}-{}",
            server.base,
            "a".repeat(64)
        ))
        .header("X-Mva-Request", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // A session, but no X-Mva-Request, or a foreign Origin: 403, and the simulator saw nothing.
    let r = client()
        .post(format!("{}/api/submissions", server.base))
        .header(COOKIE, format!("__Host-mva-session={cookie}"))
        .header(ORIGIN, &server.base)
        .header(CONTENT_TYPE, &content_type)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = client()
        .post(format!("{}/api/submissions", server.base))
        .header(COOKIE, format!("__Host-mva-session={cookie}"))
        .header("X-Mva-Request", "1")
        .header(ORIGIN, "https://evil.example")
        .header(CONTENT_TYPE, &content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(sim.services.instances().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_gives_local_findings_with_lines_and_asks_the_service_when_valid() {
    let sim = vat_sim().await;
    let sessions = sessions();
    let data = tempfile::tempdir().unwrap();
    let server = instance(&sessions, &sim, data.path(), "127.0.0.1").await;
    let cookie = log_in(&sessions, &sim, KARI).await;

    let ret = example_return(ORG);
    let r = post_form(
        &server,
        "/api/validate",
        &cookie,
        &[("return", Some("mva-melding.xml"), &ret)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["organisation"], ORG);
    assert_ne!(
        v["service"], "not_asked",
        "the validation API was asked: {v}"
    );

    // Offline: the service is not asked.
    let r = post_form(
        &server,
        "/api/validate",
        &cookie,
        &[("return", Some("r.xml"), &ret), ("offline", None, b"1")],
    )
    .await;
    assert_eq!(r.json::<Value>().await.unwrap()["service"], "not_asked");

    // A hostile value in the return: the finding names the line, and carries the value as data only.
    let hostile = String::from_utf8(ret.clone()).unwrap().replacen(
        &format!("<organisasjonsnummer>{ORG}<"),
        "<organisasjonsnummer>&lt;script&gt;alert(1)&lt;/script&gt;<",
        1,
    );
    let r = post_form(
        &server,
        "/api/validate",
        &cookie,
        &[("return", Some("r.xml"), hostile.as_bytes())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(
        v["service"], "not_asked",
        "an invalid return is not sent: {v}"
    );
    let findings = v["findings"].as_array().unwrap();
    let line = hostile
        .lines()
        .position(|l| l.contains("&lt;script&gt;"))
        .unwrap() as u64
        + 1;
    assert!(
        findings
            .iter()
            .any(|f| f["severity"] == "error" && f["line"] == line),
        "a finding on line {line}: {v}"
    );
    assert!(
        v.to_string().contains("<script>"),
        "the value is in the JSON as text: {v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_is_filed_once_and_offers_receipt_and_payment() {
    let sim = vat_sim().await;
    let sessions = sessions();
    let data = tempfile::tempdir().unwrap();
    let a = instance(&sessions, &sim, data.path(), "127.0.0.1").await;
    let b = instance(&sessions, &sim, data.path(), "127.0.0.1").await;
    let cookie = log_in(&sessions, &sim, KARI).await;
    let ret = example_return(ORG);
    let pdf = b"%PDF-1.4\n%%EOF\n";
    let parts: &[(&str, Option<&str>, &[u8])] = &[
        ("organisation", None, ORG.as_bytes()),
        ("return", Some("mva-melding.xml"), &ret),
        ("attachment", Some("bilag.pdf"), pdf),
    ];

    // The same return posted to two instances at once (a double click, two tabs): one filing.
    let (ra, rb) = tokio::join!(
        post_form(&a, "/api/submissions", &cookie, parts),
        post_form(&b, "/api/submissions", &cookie, parts)
    );
    assert_eq!(ra.status(), StatusCode::ACCEPTED);
    assert_eq!(rb.status(), StatusCode::ACCEPTED);
    let id = ra.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(rb.json::<Value>().await.unwrap()["id"], id.as_str());

    let s = until_finished(&a, &cookie, &id).await;
    assert_eq!(s["state"], "done", "{s}");
    assert_eq!(s["submitted"], true);
    let fb = &s["feedback"];
    assert_eq!(fb["receipt"], true, "{s}");
    assert!(
        !fb["payment"]["kid"].as_str().unwrap_or_default().is_empty(),
        "{s}"
    );
    // The other instance sees the same journal.
    let s_b = until_finished(&b, &cookie, &id).await;
    assert_eq!(s_b["instance"], s["instance"]);

    // Posted again after it is done: reported, not filed again.
    let again = post_form(&b, "/api/submissions", &cookie, parts).await;
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    let s = until_finished(&b, &cookie, &id).await;
    assert_eq!(s["state"], "done");
    assert_eq!(sim.services.instances().len(), 1, "filed exactly once");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let persons = data.path().join("persons");
        // The person's folder is named by a keyed hash (the pid's plain SHA-256 is reversed by trying every pid).
        let plain: String = sha2::Sha256::digest(KARI.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut names: Vec<String> = std::fs::read_dir(&persons)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), 2, "{names:?}");
        assert_eq!(names[1], "salt");
        assert_eq!(names[0].len(), 64);
        assert_ne!(names[0], plain);
        let mode = std::fs::metadata(&persons).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o700,
            "the journals are the server user's only"
        );
    }

    let receipt = from_page(
        &a,
        reqwest::Method::GET,
        &format!("/api/submissions/{id}/receipt"),
        &cookie,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(receipt.status(), StatusCode::OK);
    assert_eq!(receipt.headers()[CONTENT_TYPE], "application/pdf");
    assert!(receipt.bytes().await.unwrap().starts_with(b"%PDF"));
    let payment = from_page(
        &a,
        reqwest::Method::GET,
        &format!("/api/submissions/{id}/payment"),
        &cookie,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(payment.status(), StatusCode::OK);
    assert!(
        String::from_utf8_lossy(&payment.bytes().await.unwrap()).contains("betalingsinformasjon")
    );

    // Another person does not see it.
    let per = log_in(&sessions, &sim, PER).await;
    for path in [
        format!("/api/submissions/{id}"),
        format!("/api/submissions/{id}/receipt"),
    ] {
        let r = from_page(&a, reqwest::Method::GET, &path, &per)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_inputs_say_why_and_send_nothing() {
    let sim = vat_sim().await;
    let sessions = sessions();
    let data = tempfile::tempdir().unwrap();
    let server = instance(&sessions, &sim, data.path(), "127.0.0.1").await;
    let cookie = log_in(&sessions, &sim, KARI).await;
    let ret = example_return(ORG);

    // The number typed is not the one in the return.
    let r = post_form(
        &server,
        "/api/submissions",
        &cookie,
        &[
            ("organisation", None, b"310000027"),
            ("return", Some("r.xml"), &ret),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "organisation_mismatch"
    );
    // Not an organisation number.
    let r = post_form(
        &server,
        "/api/submissions",
        &cookie,
        &[
            ("organisation", None, b"123"),
            ("return", Some("r.xml"), &ret),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // An invalid return: findings, nothing sent.
    let r = post_form(
        &server,
        "/api/submissions",
        &cookie,
        &[
            ("organisation", None, ORG.as_bytes()),
            ("return", Some("r.xml"), b"<mvaMeldingDto"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "invalid_document");
    assert!(!v["findings"].as_array().unwrap().is_empty());
    // A return over the mva crate's 25 MB cap: refused while it arrives.
    let big = vec![b' '; mva::MAX_DOCUMENT_BYTES + 1];
    let r = post_form(
        &server,
        "/api/validate",
        &cookie,
        &[("return", Some("r.xml"), &big)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // An attachment of a refused type.
    let r = post_form(
        &server,
        "/api/submissions",
        &cookie,
        &[
            ("organisation", None, ORG.as_bytes()),
            ("return", Some("r.xml"), &ret),
            ("attachment", Some("x.exe"), b"MZ"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A path in the id: not found, never a file outside the person's folder.
    let r = from_page(
        &server,
        reqwest::Method::GET,
        "/api/submissions/..%2F..%2Fetc",
        &cookie,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(sim.services.instances().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_served_with_a_strict_policy() {
    let sim = vat_sim().await;
    let sessions = sessions();
    let data = tempfile::tempdir().unwrap();
    let server = instance(&sessions, &sim, data.path(), "127.0.0.1").await;
    let r = client()
        .get(format!("{}/", server.base))
        .header("Accept-Language", "en-GB,en;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self' http://127.0.0.1:9",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    // Not `no-referrer`: it makes browsers send `Origin: null` with the log-out form, which the CSRF guard refuses.
    assert_eq!(r.headers()["referrer-policy"], "same-origin");
    let html = r.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    for asset in ["/assets/app.js", "/assets/i18n.js", "/assets/app.css"] {
        let r = client()
            .get(format!("{}{asset}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{asset}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    }
}

/// Stops every submission at one checkpoint, for good (as if its process died there).
struct StopAt(mva::submission::Checkpoint);

impl mva::submission::CheckpointHook for StopAt {
    fn reached(&self, at: mva::submission::Checkpoint) -> mva::submission::CheckpointFuture<'_> {
        let stop = at == self.0;
        Box::pin(async move {
            if stop {
                std::future::pending::<()>().await;
            }
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_whose_process_stopped_is_resumed_by_the_next_look_and_filed_once() {
    use mva::submission::{Checkpoint, Step};
    use sha2::{Digest, Sha256};
    let sim = vat_sim().await;
    let sessions = sessions();
    let data = tempfile::tempdir().unwrap();
    let server = instance(&sessions, &sim, data.path(), "127.0.0.1").await;
    let cookie = log_in(&sessions, &sim, KARI).await;

    // Another process filed as KARI into the shared data folder and died after creating the instance.
    let person: String = Sha256::digest(KARI.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let folder = data.path().join("persons").join(person).join(ORG);
    let options = mva::EnvelopeOptions {
        created_by: "test".into(),
        created_at: time::OffsetDateTime::now_utc(),
    };
    let submission = mva::Submission::build(example_return(ORG), vec![], &options).unwrap();
    let id = format!("{ORG}-{}", submission.key());
    let mut submit_options = mva::SubmitOptions::new(folder.join("journal"), folder.join("out"));
    submit_options.checkpoints = Some(std::sync::Arc::new(StopAt(Checkpoint::recorded(
        Step::InstanceCreated,
    ))));
    let token = sim.verifier.mint(KARI);
    let client = mva::MvaClient::new(
        mva::Endpoints::sim(&sim.base),
        std::sync::Arc::new(mva::StaticToken(mva::AccessToken::new(token))),
    )
    .unwrap();
    let dying = tokio::spawn(async move {
        let _ = client
            .submit(&submission, &submit_options, &mut |_| {})
            .await;
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while sim.services.instances().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the first process did not create its instance"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    dying.abort();
    let _ = dying.await;

    // The page looks at it (a reload, another instance): it is resumed and finished, on the same instance.
    let s = until_finished(&server, &cookie, &id).await;
    assert_eq!(s["state"], "done", "{s}");
    assert_eq!(s["instance"], sim.services.instances()[0].id.as_str());
    assert_eq!(sim.services.instances().len(), 1, "filed exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_persons_filing_the_same_return_each_get_their_own_submission() {
    let sim = vat_sim().await;
    let sessions = sessions();
    let data = tempfile::tempdir().unwrap();
    let server = instance(&sessions, &sim, data.path(), "127.0.0.1").await;
    let kari = log_in(&sessions, &sim, KARI).await;
    let ola = log_in(&sessions, &sim, OLA).await;
    let ret = example_return(ORG);
    let parts: &[(&str, Option<&str>, &[u8])] = &[
        ("organisation", None, ORG.as_bytes()),
        ("return", Some("mva-melding.xml"), &ret),
    ];
    let (rk, ro) = tokio::join!(
        post_form(&server, "/api/submissions", &kari, parts),
        post_form(&server, "/api/submissions", &ola, parts)
    );
    let id = rk.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        ro.json::<Value>().await.unwrap()["id"],
        id.as_str(),
        "the same content, the same id"
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    let (k, o) = loop {
        let k = until_finished(&server, &kari, &id).await;
        let o: Value = from_page(
            &server,
            reqwest::Method::GET,
            &format!("/api/submissions/{id}"),
            &ola,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        if o["state"] != "running" {
            break (k, o);
        }
        assert!(Instant::now() < deadline, "Ola's submission never ran: {o}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(k["state"], "done", "{k}");
    // Ola may fill in but not submit (Regnskapsmedarbeider): his own run stops at the submit step and says why.
    assert_eq!(o["state"], "failed", "{o}");
    assert!(o["error"].as_str().unwrap().contains("403"), "{o}");
    assert_ne!(o["instance"], k["instance"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_altinn_token_is_exchanged_once_per_login_on_any_instance() {
    let sim = vat_sim().await;
    let sessions = sessions();
    let data = tempfile::tempdir().unwrap();
    let a = instance(&sessions, &sim, data.path(), "127.0.0.1").await;
    let b = instance(&sessions, &sim, data.path(), "127.0.0.1").await;
    let kari = log_in(&sessions, &sim, KARI).await;
    let january = example_return(ORG);
    let march = String::from_utf8(january.clone())
        .unwrap()
        .replace("januar-februar", "mars-april")
        .into_bytes();
    for (server, ret) in [(&a, &january), (&b, &march)] {
        let parts: &[(&str, Option<&str>, &[u8])] = &[
            ("organisation", None, ORG.as_bytes()),
            ("return", Some("mva-melding.xml"), ret),
        ];
        let r = post_form(server, "/api/submissions", &kari, parts).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let id = r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let s = until_finished(server, &kari, &id).await;
        assert_eq!(s["state"], "done", "{s}");
    }
    assert_eq!(sim.services.instances().len(), 2, "two returns filed");
    assert_eq!(
        sim.services.exchanges(),
        1,
        "the second submission, on the other instance, used the Altinn token kept in the session"
    );
    // Another login (another session) exchanges its own.
    let again = log_in(&sessions, &sim, KARI).await;
    let may = String::from_utf8(january)
        .unwrap()
        .replace("januar-februar", "mai-juni")
        .into_bytes();
    let parts: &[(&str, Option<&str>, &[u8])] = &[
        ("organisation", None, ORG.as_bytes()),
        ("return", Some("mva-melding.xml"), &may),
    ];
    let r = post_form(&a, "/api/submissions", &again, parts).await;
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(until_finished(&a, &again, &id).await["state"], "done");
    assert_eq!(sim.services.exchanges(), 2);
}
