//! A Rust web application behind the BFF: it mounts `web::bff::router_with` with a route of its own that reads the
//! session through `CurrentSession` and gets a valid access token (refreshed when needed) from `Bff::access_token`.
//! It runs on the embedded simulator, so no registration is needed:
//!
//! ```text
//! cargo run -p mva-web --example bff_app
//! # open http://localhost:8080/oauth2/login?redirect=/me and log in as a test person (e.g. 01818510078)
//! ```

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;
use web::bff::{self, Bff, BffConfig};
use web::routes::{CurrentSession, Problem};
use web::{Limits, MemoryStore, SessionKeys, Sessions};

const CLIENT_ID: &str = "bff-example";
const SECRET: &str = "bff-example-test-secret";

/// The application's own route: who is logged in, and proof that it holds a usable access token.
async fn me(
    State(bff): State<Arc<Bff>>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<serde_json::Value>, Problem> {
    let token = bff.access_token(&session).await?;
    Ok(Json(serde_json::json!({
        "pid": session.data.identity.pid.to_string(),
        "acr": session.data.identity.acr.as_str(),
        "access_token_length": token.secret().len(),
    })))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let public = url::Url::parse("http://localhost:8080")?;
    let toml = format!(
        r#"
[[integration]]
client_id = "{CLIENT_ID}"
name = "BFF example"
organisation_number = "310000019"
scopes = ["openid", "skatteetaten:mvameldingvalidering", "skatteetaten:mvameldinginnsending"]
grant_types = ["authorization_code", "refresh_token"]
client_authentication = "client_secret_basic"
client_secret = "{SECRET}"
application_type = "web"
redirect_uris = ["http://localhost:8080/oauth2/callback"]
post_logout_redirect_uris = ["http://localhost:8080/oauth2/logout/callback"]
frontchannel_logout_uri = "http://localhost:8080/oauth2/logout/frontchannel"
frontchannel_logout_session_required = true
"#
    );
    let sim = sim::start(sim::SimConfig::parse(&toml)?, "127.0.0.1:0".parse()?).await?;
    let config = BffConfig::new(public);
    let mut client_config = config.client_config(
        idporten::Issuer::parse(&sim.issuer())?,
        idporten::ClientId::new(CLIENT_ID),
    )?;
    client_config.client_auth =
        idporten::ClientAuth::ClientSecretBasic(idporten::ClientSecret::new(SECRET));
    let client = idporten::Client::discover(client_config, idporten::Seams::default()).await?;
    let sessions = Sessions::new(
        Arc::new(MemoryStore::new()),
        SessionKeys::generate(),
        Limits::default(),
    );
    let bff = Arc::new(Bff::new(client, sessions, config)?);
    let app: Router<Arc<Bff>> = Router::new().route("/me", get(me));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    println!("provider (simulator): {}", sim.issuer());
    println!("open http://localhost:8080/oauth2/login?redirect=/me");
    axum::serve(listener, bff::router_with(bff, app)).await?;
    Ok(())
}
