//! The VAT page in a real headless Chromium (Debian's `chromium`, driven by tests/interop/web-page.mjs through
//! playwright-core): logged out, logged in, a hostile finding shown as text, the example return validated and
//! submitted through the page, the receipt and the payment information offered, the language toggled.
//! The second test runs the page behind the whole BFF on two instances sharing a Redis (login on one, filing on
//! the other). Screenshots are kept in `test-artifacts/web-page/` and `test-artifacts/web-page-bff/`
//! (git-ignored).

use super::page_support::{example_return, instance, log_in, sessions, vat_sim, KARI, ORG};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_validates_and_submits_in_chromium() {
    let sim = vat_sim().await;
    let sessions = sessions();
    let data = tempfile::tempdir().unwrap();
    // `localhost`: a secure context for Chromium, where a `__Host-` (Secure) cookie is kept over plain HTTP.
    let server = instance(&sessions, &sim, data.path(), "localhost").await;
    let cookie = log_in(&sessions, &sim, KARI).await;

    let files = tempfile::tempdir().unwrap();
    let ret = example_return(ORG);
    let return_path = files.path().join("mva-melding.xml");
    std::fs::write(&return_path, &ret).unwrap();
    let hostile = String::from_utf8(ret).unwrap().replacen(
        &format!("<organisasjonsnummer>{ORG}<"),
        "<organisasjonsnummer>&lt;script&gt;alert(1)&lt;/script&gt;<",
        1,
    );
    let hostile_path = files.path().join("hostile.xml");
    std::fs::write(&hostile_path, hostile).unwrap();

    let root = repo_root();
    let artifacts = root.join("test-artifacts/web-page");
    let script = root.join("tests/interop/web-page.mjs");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .current_dir(root.join("tests/interop"))
            .env("MVA_BASE", &server.base)
            .env("MVA_COOKIE", cookie)
            .env("MVA_ORG", ORG)
            .env("MVA_RETURN", &return_path)
            .env("MVA_HOSTILE", &hostile_path)
            .env("MVA_ARTIFACTS", &artifacts)
            .env("MVA_LOGOUT", "none")
            .output()
            .expect("node must be installed (and tests/interop/node_modules present)")
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "the browser run failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        sim.services.instances().len(),
        1,
        "filed exactly once through the page"
    );
}

/// The same page behind the whole BFF, on TWO instances sharing a real Redis behind a load balancer: a real login
/// through `/oauth2/login` and the simulator (its headless switch) on instance A; then the balancer moves the
/// traffic to instance B (A's connections cut), where the page validates and files the return with the session
/// that A created, follows the feedback, and logs out (the end-session round trip with its `state`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_logs_in_on_one_instance_and_files_on_another_through_the_bff_in_chromium() {
    use super::balancer::Balancer;
    use super::bff_support::{sim, PID, WEB_CLIENT, WEB_SECRET};
    use super::support::{redis_store, RedisServer};
    use std::sync::Arc;
    use web::api::{ApiConfig, ApiState};
    use web::bff::{self, Bff, BffConfig, BffTokens};
    use web::{Limits, SessionKeys, Sessions};

    let sim = sim().await;
    let redis = RedisServer::start();
    let keys = SessionKeys::generate();
    let data = tempfile::tempdir().unwrap();
    let (public_listener, base) = Balancer::bind().await;
    let mut targets = vec![];
    for _ in 0..2 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        targets.push(listener.local_addr().unwrap());
        let config = BffConfig::new(url::Url::parse(&base).unwrap());
        let issuer = idporten::Issuer::parse(&sim.issuer()).unwrap();
        let mut client_config = config
            .client_config(issuer, idporten::ClientId::new(WEB_CLIENT))
            .unwrap();
        client_config.client_auth =
            idporten::ClientAuth::ClientSecretBasic(idporten::ClientSecret::new(WEB_SECRET));
        let client = idporten::Client::discover(client_config, idporten::Seams::default())
            .await
            .unwrap();
        let sessions = Sessions::new(redis_store(&redis), keys.clone(), Limits::default());
        let bff = Arc::new(Bff::new(client, sessions, config).unwrap());
        let sim_base = url::Url::parse(&sim.issuer()).unwrap();
        let mut api_config = ApiConfig::new(mva::Endpoints::sim(&sim_base), data.path());
        api_config.poll_interval = std::time::Duration::from_millis(300);
        let api = ApiState::new(bff.web_state().clone(), api_config)
            .with_tokens(Arc::new(BffTokens(bff.clone())));
        let app = bff::router(bff).merge(web::api::router(api));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    }
    let balancer = Balancer::start(public_listener, [targets[0], targets[1]]).await;
    assert_eq!(balancer.public, base);

    let files = tempfile::tempdir().unwrap();
    let ret = example_return(ORG);
    let return_path = files.path().join("mva-melding.xml");
    std::fs::write(&return_path, &ret).unwrap();
    let hostile = String::from_utf8(ret).unwrap().replacen(
        &format!("<organisasjonsnummer>{ORG}<"),
        "<organisasjonsnummer>&lt;script&gt;alert(1)&lt;/script&gt;<",
        1,
    );
    let hostile_path = files.path().join("hostile.xml");
    std::fs::write(&hostile_path, hostile).unwrap();

    let root = repo_root();
    let artifacts = root.join("test-artifacts/web-page-bff");
    let switch = format!("{}/switch", balancer.control);
    let script = root.join("tests/interop/web-page.mjs");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .current_dir(root.join("tests/interop"))
            .env("MVA_BASE", &base)
            .env("MVA_PERSON", PID)
            .env("MVA_HEADLESS", "1")
            .env("MVA_ORG", ORG)
            .env("MVA_RETURN", &return_path)
            .env("MVA_HOSTILE", &hostile_path)
            .env("MVA_ARTIFACTS", &artifacts)
            .env("MVA_SWITCH", &switch)
            .output()
            .expect("node must be installed (and tests/interop/node_modules present)")
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "the browser run failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let [on_a, on_b] = balancer.connections();
    assert!(
        on_a > 0 && on_b > 0,
        "both instances served the page: {on_a}, {on_b}"
    );
    assert_eq!(
        sim.mva().instances().len(),
        1,
        "filed exactly once through the page"
    );
}
