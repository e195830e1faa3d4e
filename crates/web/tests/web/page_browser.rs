//! The VAT page in a real headless Chromium (Debian's `chromium`, driven by tests/interop/web-page.mjs through
//! playwright-core): logged out, logged in, a hostile finding shown as text, the example return validated and
//! submitted through the page, the receipt and the payment information offered, the language toggled.
//! Screenshots are kept in `test-artifacts/web-page/` (git-ignored).

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
