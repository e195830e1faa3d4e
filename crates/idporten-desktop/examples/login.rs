//! Logs in with ID-porten through the browser and stores the session, like `mva login`.
//!
//! ```sh
//! # The Tax Administration's shared test client against ID-porten's test environment:
//! cargo run -p idporten-desktop --example login
//! # Any provider (the simulator, say), client and redirect URI:
//! cargo run -p idporten-desktop --example login -- http://127.0.0.1:7000 my-client-id http://localhost:8988/auth/loginsuccess
//! ```
//!
//! It prints who logged in and when the session ends; never a token.

use idporten_desktop::{
    login, Client, ClientConfig, ClientId, Environment, Issuer, ListenerOptions, LoginEvent,
    OpenOrPrint, RedirectUri, Seams, StoreKey, SystemBrowser,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let issuer = match args.first() {
        Some(i) => Issuer::parse(i)?,
        None => Environment::Test.issuer(),
    };
    let client_id = ClientId::new(
        args.get(1)
            .map(String::as_str)
            .unwrap_or(idporten_desktop::SHARED_TEST_CLIENT_ID),
    );
    let redirect = RedirectUri::parse(
        args.get(2)
            .map(String::as_str)
            .unwrap_or(idporten_desktop::SHARED_TEST_REDIRECT_URI),
    )?;
    let config = ClientConfig::new(issuer, client_id, redirect);
    let seams = Seams {
        cache_dir: Some(idporten_desktop::home_dir()?.join("cache")),
        ..Seams::default()
    };
    let client = Client::discover(config.clone(), seams).await?;
    let store = idporten_desktop::default_store()?;
    let tokens = login(
        &client,
        &OpenOrPrint(SystemBrowser),
        &ListenerOptions::default(),
        store.as_ref(),
        &StoreKey::new(config.issuer, config.client_id),
        |event| match event {
            LoginEvent::Listening { redirect_uri } => eprintln!("listening on {redirect_uri}"),
            LoginEvent::Waiting { time_left } => {
                eprint!("\rwaiting for the login ({}s left) ", time_left.as_secs())
            }
            LoginEvent::ExchangingCode => eprintln!("\nlogged in; fetching tokens"),
            _ => {}
        },
    )
    .await?;
    println!(
        "logged in at level {}; the session ends at the latest at {} (Unix time); tokens kept in {}",
        tokens.acr,
        tokens.session_expires_at,
        store.describe()
    );
    Ok(())
}
