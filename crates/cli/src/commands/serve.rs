//! `mva serve`: the backend-for-frontend for ID-porten (crate `web`): login, callback, logout, sessions in Redis
//! (or in memory), refresh across instances, and either the VAT web page with its API or, with `--upstream`, a
//! sidecar that forwards every other request with the session's access token. `--sim` runs it all on the
//! embedded simulator.

use anyhow::{bail, Context, Result};
use std::sync::Arc;
use url::Url;
use web::api::{ApiConfig, ApiState};
use web::bff::{self, Bff, BffConfig, BffTokens};
use web::{Limits, MemoryStore, RedisOptions, RedisStore, SessionKeys, SessionStore, Sessions};

use crate::cli::ServeArgs;
use crate::commands::vat;
use crate::settings::{self, ProfileSettings};

/// The web client `mva serve --sim` registers at the embedded simulator.
const SIM_CLIENT_ID: &str = "mva-serve-web";
/// Its secret: a published test value, as the simulator's other test secrets.
const SIM_CLIENT_SECRET: &str = "mva-serve-web-test-secret";

/// Runs the server until Ctrl-C.
pub async fn run(ctx: &ProfileSettings, args: ServeArgs) -> Result<u8> {
    let public_url = Url::parse(&args.public_url).context("--public-url is not a URL")?;
    let mut config = BffConfig::new(public_url.clone());
    if let Some(upstream) = &args.upstream {
        config.upstream = Some(Url::parse(upstream).context("--upstream is not a URL")?);
    }
    if !args.upstream_methods.is_empty() {
        config.upstream_methods = args
            .upstream_methods
            .iter()
            .map(|m| {
                axum::http::Method::from_bytes(m.trim().to_ascii_uppercase().as_bytes())
                    .with_context(|| format!("--upstream-methods: {m:?} is not an HTTP method"))
            })
            .collect::<Result<_>>()?;
    }
    let mut sim = None;
    let temporary_data = tempfile::tempdir().context("cannot create a temporary directory")?;
    let (client_config, endpoints, data_dir) = if args.sim {
        let handle = start_sim(&public_url).await?;
        let issuer = handle.issuer();
        println!("simulator of ID-porten, the validation API and Altinn 3: {issuer}");
        let mut client_config = config.client_config(
            idporten::Issuer::parse(&issuer)?,
            idporten::ClientId::new(SIM_CLIENT_ID),
        )?;
        client_config.client_auth =
            idporten::ClientAuth::ClientSecretBasic(idporten::ClientSecret::new(SIM_CLIENT_SECRET));
        let endpoints = mva::Endpoints::sim(&Url::parse(&issuer)?);
        sim = Some(handle);
        (
            client_config,
            endpoints,
            temporary_data.path().to_path_buf(),
        )
    } else {
        let provider = settings::provider(ctx, &args.provider)?;
        let mut client_config = settings::client_config(ctx, &provider, &args.login)?;
        let ours = config.client_config(provider.issuer.clone(), provider.client_id.clone())?;
        if args.login.redirect_uri.is_some() && client_config.redirect_uri != ours.redirect_uri {
            bail!(
                "mva serve receives the login at {}: register that redirect URI and leave out --redirect-uri",
                ours.redirect_uri.as_str()
            );
        }
        client_config.redirect_uri = ours.redirect_uri;
        client_config.post_logout_redirect_uri = ours.post_logout_redirect_uri;
        let endpoints = vat::endpoints(ctx, &provider, &args.services)?;
        let data_dir = args
            .data_dir
            .clone()
            .unwrap_or_else(|| ctx.home.join("serve"));
        (client_config, endpoints, data_dir)
    };
    let result = serve(&args, config, client_config, endpoints, data_dir).await;
    if let Some(handle) = sim {
        handle.shutdown().await;
    }
    result
}

async fn serve(
    args: &ServeArgs,
    config: BffConfig,
    client_config: idporten::ClientConfig,
    endpoints: mva::Endpoints,
    data_dir: std::path::PathBuf,
) -> Result<u8> {
    let origin = config.public_url.origin().ascii_serialization();
    let keys = match settings::secret_var(web::SESSION_KEY_ENV) {
        Some(value) => SessionKeys::parse(&value)?,
        None => {
            println!(
                "{} is not set: a random cookie key for this run; sessions do not survive a restart and other \
                 instances cannot read them (set it to `openssl rand -base64 32`)",
                web::SESSION_KEY_ENV
            );
            SessionKeys::generate()
        }
    };
    let store: Arc<dyn SessionStore> = match args.redis.as_deref().filter(|_| !args.sim) {
        Some(url) => {
            let store = RedisStore::connect(url, RedisOptions::default())?;
            store.ping().await.with_context(|| {
                "Redis does not answer; start it or check --redis / MVA_REDIS_URL".to_string()
            })?;
            println!("sessions: Redis (any number of instances may share it)");
            Arc::new(store)
        }
        None => {
            println!(
                "sessions: in memory, for this one instance only (give --redis URL to share them)"
            );
            Arc::new(MemoryStore::new())
        }
    };
    let sessions = Sessions::new(store, keys, Limits::default());
    println!("register for the client {}:", client_config.client_id);
    println!(
        "  redirect URI:              {origin}{}",
        bff::CALLBACK_PATH
    );
    println!(
        "  post-logout redirect URI:  {origin}{}",
        bff::LOGOUT_CALLBACK_PATH
    );
    println!(
        "  front-channel logout URI:  {origin}{}",
        bff::FRONTCHANNEL_PATH
    );
    println!(
        "  back-channel logout URI:   {origin}{} (optional)",
        bff::BACKCHANNEL_PATH
    );
    let client = idporten::Client::discover(client_config, idporten::Seams::default()).await?;
    let upstream = config.upstream.clone();
    let bff = Arc::new(Bff::new(client, sessions, config)?);
    let app = match &upstream {
        Some(upstream) => {
            println!("sidecar: every request outside /oauth2 goes to {upstream}");
            bff::router(bff)
        }
        None => {
            let api = ApiState::new(bff.web_state().clone(), ApiConfig::new(endpoints, data_dir))
                .with_tokens(Arc::new(BffTokens(bff.clone())));
            bff::router(bff).merge(web::api::router(api))
        }
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    println!(
        "listening on {}; open {origin}/ (Ctrl-C stops)",
        listener.local_addr()?
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("the server stopped")?;
    Ok(crate::exit::SUCCESS)
}

/// The embedded simulator with a web client for this server: a secret, one-time refresh tokens, the logout URIs.
async fn start_sim(public_url: &Url) -> Result<sim::SimHandle> {
    let origin = public_url.origin().ascii_serialization();
    let toml = format!(
        r#"
[[integration]]
client_id = "{SIM_CLIENT_ID}"
name = "mva serve"
organisation_number = "310000019"
scopes = ["openid", "skatteetaten:mvameldingvalidering", "skatteetaten:mvameldinginnsending"]
grant_types = ["authorization_code", "refresh_token"]
client_authentication = "client_secret_basic"
client_secret = "{SIM_CLIENT_SECRET}"
application_type = "web"
redirect_uris = ["{origin}{callback}"]
post_logout_redirect_uris = ["{origin}{logout}"]
frontchannel_logout_uri = "{origin}{frontchannel}"
frontchannel_logout_session_required = true
refresh_token_type = "one-time"
"#,
        callback = bff::CALLBACK_PATH,
        logout = bff::LOGOUT_CALLBACK_PATH,
        frontchannel = bff::FRONTCHANNEL_PATH,
    );
    let mut config = sim::SimConfig::parse(&toml)?;
    config.mva.feedback_delay_secs = 1;
    sim::start(config, "127.0.0.1:0".parse().expect("valid address"))
        .await
        .context("cannot start the embedded simulator")
}
