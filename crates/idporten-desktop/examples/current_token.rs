//! Prints a fingerprint of a currently valid access token (refreshing it if needed), the way `mva token` does.
//! Used by the cross-process test in `tests/protocol/concurrency.rs`; it never prints the token itself.
//!
//! Settings come from the environment: `MVA_TEST_ISSUER`, `MVA_TEST_CLIENT_ID`, `MVA_TEST_TOKEN_DIR` (a file token
//! store) and `MVA_TEST_CACHE_DIR` (the discovery cache).
//!
//! ```sh
//! MVA_TEST_ISSUER=http://127.0.0.1:8080 MVA_TEST_CLIENT_ID=test-client MVA_TEST_TOKEN_DIR=/tmp/t \
//!   MVA_TEST_CACHE_DIR=/tmp/c cargo run -p idporten-desktop --example current_token
//! ```

use idporten_desktop::{
    current_tokens, Client, ClientConfig, ClientId, FileTokenStore, Issuer, RedirectUri, Seams,
    StoreKey, SystemClock,
};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("set {name}"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = Issuer::parse(&var("MVA_TEST_ISSUER"))?;
    let client_id = ClientId::new(var("MVA_TEST_CLIENT_ID"));
    let store = FileTokenStore::new(PathBuf::from(var("MVA_TEST_TOKEN_DIR")));
    let key = StoreKey::new(issuer.clone(), client_id.clone());
    let config = ClientConfig::new(
        issuer,
        client_id,
        RedirectUri::parse("http://127.0.0.1:9/callback")?,
    );
    let seams = Seams {
        cache_dir: Some(PathBuf::from(var("MVA_TEST_CACHE_DIR"))),
        ..Seams::default()
    };
    let tokens = current_tokens(&store, &key, &SystemClock, || {
        Client::discover(config, seams)
    })
    .await?;
    let digest = Sha256::digest(tokens.access_token.secret().as_bytes());
    println!(
        "{}",
        digest[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    Ok(())
}
