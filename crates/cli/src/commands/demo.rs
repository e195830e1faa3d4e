//! `mva demo`: the whole job on the embedded simulator, with no network and no configuration: start the simulator,
//! log a test person in (headless), validate the bundled example return locally and with the validation API,
//! submit it through the simulated Altinn 3, wait for the feedback, and save the receipt and payment information.

use anyhow::{Context, Result};
use idporten::{ClientConfig, ClientId, RedirectUri, TokenSet};
use idporten_desktop::{BrowserLaunch, BrowserOpener, ListenerOptions};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use url::Url;

use crate::cli::DemoArgs;
use crate::commands::submit;
use crate::exit;

/// The bundled example return: the Tax Administration's example for VAT code 3, for the simulator's test
/// organisation 310000019 (see assets/NOTICE).
const DEMO_RETURN: &[u8] = include_bytes!("../../assets/demo-mvamelding.xml");
/// The simulator's first built-in test person, who holds the submit role for 310000019.
const DEMO_PERSON: &str = "01818510078";

/// Runs the demo.
pub async fn run(args: DemoArgs) -> Result<u8> {
    let mut config = sim::SimConfig::default();
    config.sim.headless_login = true;
    config.mva.feedback_delay_secs = 1;
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("valid address");
    let sim = sim::start(config, addr)
        .await
        .context("cannot start the embedded simulator")?;
    let issuer = sim.issuer();
    println!("1. Started the simulator of ID-porten, the validation API and Altinn 3 at {issuer}");

    let result = demo(&issuer, &args).await;
    sim.shutdown().await;
    result
}

async fn demo(issuer: &str, args: &DemoArgs) -> Result<u8> {
    let mut config = ClientConfig::new(
        idporten::Issuer::parse(issuer)?,
        ClientId::new(sim::REFRESH_TEST_CLIENT_ID),
        RedirectUri::parse("http://127.0.0.1:0/callback")?,
    );
    // A web client, as ID-porten requires for refresh tokens; the secret is the simulator's published test value.
    config.client_auth = idporten::ClientAuth::ClientSecretBasic(idporten::ClientSecret::new(
        sim::REFRESH_TEST_CLIENT_SECRET,
    ));
    let key = idporten::StoreKey::new(config.issuer.clone(), config.client_id.clone());
    let client = idporten::Client::discover(config, idporten::Seams::default()).await?;
    // The demo keeps its session only for this run: in a private temporary directory, removed at the end.
    let session_dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let store = idporten_desktop::FileTokenStore::new(session_dir.path().join("tokens"));
    let tokens = idporten_desktop::login(
        &client,
        &HeadlessBrowser::new(),
        &ListenerOptions::default(),
        &store,
        &key,
        |_| {},
    )
    .await?;
    println!(
        "2. Logged in test person {} at {} (headless, through the simulator's switch)",
        tokens
            .id_claims
            .pid
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        tokens.id_claims.acr.as_deref().unwrap_or("?")
    );

    let return_xml = match &args.file {
        Some(path) => {
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?
        }
        None => DEMO_RETURN.to_vec(),
    };
    let local = mva::validate(&return_xml);
    for f in &local.findings {
        println!("   {f}");
    }
    if !local.is_valid() {
        println!("The return is invalid; nothing was sent.");
        return Ok(exit::FINDINGS);
    }
    let endpoints = mva::Endpoints::sim(&Url::parse(issuer)?);
    let vat = mva::MvaClient::new(endpoints, Arc::new(DemoTokens::new(client, tokens)))?;
    let service = vat.validate_remote(&return_xml).await?;
    println!("3. Validated the return: locally against the XSD (valid), and by the validation API ({:?})", service.verdict);

    let submission = mva::Submission::build(return_xml, vec![], &submit::envelope_options())?;
    println!(
        "4. Submitting for organisation {} through Altinn 3",
        submission.organisation()
    );
    let out = args.out.clone().unwrap_or_else(|| "mva-demo".into());
    let journal = tempfile::tempdir()?;
    let mut options = mva::SubmitOptions::new(journal.path(), &out);
    options.poll_interval = std::time::Duration::from_millis(500);
    let outcome = submit::submit_with_progress(&vat, &submission, &options).await?;
    println!(
        "5. Done: {} HTTP requests to the VAT services",
        vat.request_count()
    );
    submit::report(&outcome, false)?;
    Ok(exit::SUCCESS)
}

/// Plays the browser for the simulator's headless login: asks for the authorization URL with `sim_pid` and
/// follows the redirect to the loopback listener, as a browser would.
struct HeadlessBrowser {
    http: reqwest::Client,
}

impl HeadlessBrowser {
    fn new() -> Self {
        Self {
            http: reqwest::Client::new(),
        }
    }
}

impl BrowserOpener for HeadlessBrowser {
    fn open(&self, url: &Url) -> Result<BrowserLaunch, idporten::Error> {
        let mut url = url.clone();
        url.query_pairs_mut().append_pair("sim_pid", DEMO_PERSON);
        let http = self.http.clone();
        tokio::spawn(async move {
            if let Err(e) = http.get(url).send().await {
                eprintln!("mva demo: the headless login failed: {e}");
            }
        });
        Ok(BrowserLaunch::Opened)
    }
}

/// The demo's session, in memory: refreshed when the simulator's short-lived access token runs out.
struct DemoTokens {
    client: idporten::Client,
    tokens: Mutex<TokenSet>,
}

impl DemoTokens {
    fn new(client: idporten::Client, tokens: TokenSet) -> Self {
        Self {
            client,
            tokens: Mutex::new(tokens),
        }
    }
}

impl mva::TokenSource for DemoTokens {
    fn access_token(&self, force_refresh: bool) -> mva::token::TokenFuture<'_> {
        Box::pin(async move {
            let current = self.tokens.lock().expect("not poisoned").clone();
            let now = self.client.now();
            if !force_refresh && !current.needs_refresh(now, idporten::DEFAULT_REFRESH_MARGIN_SECS)
            {
                return Ok(mva::AccessToken::new(current.access_token.secret()));
            }
            let fresh = self.client.refresh(&current).await?;
            let token = mva::AccessToken::new(fresh.access_token.secret());
            *self.tokens.lock().expect("not poisoned") = fresh;
            Ok(token)
        })
    }
}
