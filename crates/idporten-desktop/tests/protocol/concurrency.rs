//! Ten PROCESSES ask for a token at once with an expired access token and a one-time refresh token: all succeed,
//! and the provider sees exactly one refresh (the store's cross-process lock and the re-read under it).

use idporten_desktop::{save_tokens, FileTokenStore, StoreKey, TokenStore};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::common::{client, clock, login};
use crate::provider::{Knobs, Provider, CLIENT_ID};

/// The `current_token` example, (re)built now so that it is never stale (cargo builds examples only for a full
/// `cargo test`, not for `--test protocol`).
fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target_profile_dir = exe.parent().unwrap().parent().unwrap();
    let mut build = Command::new(env!("CARGO"));
    build.args([
        "build",
        "--quiet",
        "-p",
        "idporten-desktop",
        "--example",
        "current_token",
    ]);
    if target_profile_dir
        .file_name()
        .is_some_and(|n| n == "release")
    {
        build.arg("--release");
    }
    let target_dir = target_profile_dir.parent().unwrap();
    let status = build.env("CARGO_TARGET_DIR", target_dir).status().unwrap();
    assert!(status.success(), "cannot build the current_token example");
    target_profile_dir
        .join("examples")
        .join(format!("current_token{}", std::env::consts::EXE_SUFFIX))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_processes_refresh_exactly_once() {
    let provider = Provider::start(Knobs {
        refresh_delay_ms: 300, // a wide window for a race, if there were one
        ..Knobs::default()
    })
    .await;
    let clock = clock();
    let client = client(&provider, &clock).await;
    let mut tokens = login(&client).await.unwrap();
    tokens.access_expires_at = crate::common::real_now() - 10; // expired
    let dir = tempfile::tempdir().unwrap();
    let store = FileTokenStore::new(dir.path().join("tokens"));
    let key = StoreKey::new(
        provider.issuer(),
        idporten_desktop::ClientId::new(CLIENT_ID),
    );
    save_tokens(&store, &key, &tokens).await.unwrap();

    let binary = example_binary();
    let children: Vec<_> = (0..10)
        .map(|_| {
            Command::new(&binary)
                .env("MVA_TEST_ISSUER", provider.issuer().as_str())
                .env("MVA_TEST_CLIENT_ID", CLIENT_ID)
                .env("MVA_TEST_TOKEN_DIR", dir.path().join("tokens"))
                .env("MVA_TEST_CACHE_DIR", dir.path().join("cache"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let mut fingerprints = vec![];
    for out in &outputs {
        assert!(
            out.status.success(),
            "stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        fingerprints.push(String::from_utf8_lossy(&out.stdout).trim().to_string());
    }
    assert_eq!(
        Provider::count(&provider.seen().refreshes),
        1,
        "exactly one refresh for ten processes"
    );
    assert!(
        fingerprints.windows(2).all(|w| w[0] == w[1]),
        "all got the same token: {fingerprints:?}"
    );
    assert!(store.load(&key).await.unwrap().is_some());
}
