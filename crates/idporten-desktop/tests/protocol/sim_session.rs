//! A session with the simulator (crates/sim): a confidential `web` client with a secret, registered for one-time
//! refresh tokens, logged in headlessly, its tokens in a file store in a temporary directory.

use idporten_desktop::integration::{
    ApplicationType, ClientAuthMethod, Integration, RefreshTokenType,
};
use idporten_desktop::{
    current_tokens, AuthorizationCode, Client, ClientAuth, ClientConfig, ClientId, ClientSecret,
    Error, FileTokenStore, Http, Issuer, ManualClock, RedirectUri, Seams, StoreKey, TokenSet,
};
use sim::{SimConfig, SimHandle};
use std::sync::Arc;

use crate::common::{authorize, real_now};

pub const WEB_CLIENT_ID: &str = "session-test-web-client";
const WEB_SECRET: &str = "a-secret-of-the-web-client";
pub const PID: &str = "01818510078";
const REDIRECT: &str = "http://127.0.0.1:9/callback";

pub struct SimSession {
    pub sim: SimHandle,
    pub clock: Arc<ManualClock>,
    pub store: FileTokenStore,
    pub key: StoreKey,
    pub _dir: tempfile::TempDir,
}

fn web_client() -> Integration {
    Integration {
        client_id: WEB_CLIENT_ID.into(),
        name: "session tests".into(),
        description: "a confidential web client with one-time refresh tokens".into(),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        redirect_uris: vec![REDIRECT.into()],
        refresh_token_type: RefreshTokenType::OneTime,
        application_type: ApplicationType::Web,
        client_authentication: ClientAuthMethod::ClientSecretBasic,
        client_secret: Some(WEB_SECRET.into()),
        ..Integration::skatteetaten_shared_test_client()
    }
}

pub async fn start_sim() -> SimHandle {
    let mut config = SimConfig::default();
    config.sim.headless_login = true;
    config.integrations.push(web_client());
    sim::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

pub fn issuer(sim: &SimHandle) -> Issuer {
    Issuer::parse(&sim.issuer()).unwrap()
}

pub fn config(sim: &SimHandle) -> ClientConfig {
    let mut config = ClientConfig::new(
        issuer(sim),
        ClientId::new(WEB_CLIENT_ID),
        RedirectUri::parse(REDIRECT).unwrap(),
    );
    config.client_auth = ClientAuth::ClientSecretBasic(ClientSecret::new(WEB_SECRET));
    config
}

pub fn seams(clock: &Arc<ManualClock>) -> Seams {
    Seams {
        http: Http::new().unwrap(),
        clock: clock.clone(),
        cache_dir: None,
    }
}

/// A login without browser or listener: the simulator's headless login (`sim_pid`) answers the redirect at once.
pub async fn headless_login(client: &Client) -> Result<TokenSet, Error> {
    let redirect = RedirectUri::parse(REDIRECT).unwrap();
    let request = client.authorization_request(&redirect).await?;
    let mut url = request.url.clone();
    url.query_pairs_mut().append_pair("sim_pid", PID);
    let params = authorize(&url).await;
    let code = params.iter().find(|(k, _)| k == "code").unwrap().1.clone();
    client
        .exchange_code(&AuthorizationCode::new(code), &request)
        .await
}

impl SimSession {
    /// Starts the simulator, logs in and saves the session.
    pub async fn logged_in() -> Self {
        let sim = start_sim().await;
        let clock = Arc::new(ManualClock::new(real_now()));
        let client = Client::discover(config(&sim), seams(&clock)).await.unwrap();
        let tokens = headless_login(&client).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = FileTokenStore::new(dir.path().join("tokens"));
        let key = StoreKey::new(issuer(&sim), ClientId::new(WEB_CLIENT_ID));
        idporten_desktop::save_tokens(&store, &key, &tokens)
            .await
            .unwrap();
        Self {
            sim,
            clock,
            store,
            key,
            _dir: dir,
        }
    }

    /// A new client (as a new process would make: no keys held yet).
    pub async fn client(&self) -> Client {
        Client::discover(config(&self.sim), seams(&self.clock))
            .await
            .unwrap()
    }

    /// `current_tokens` with this session's store and a new client.
    pub async fn current(&self) -> Result<TokenSet, Error> {
        self.current_in(&self.store).await
    }

    /// `current_tokens` with another store (e.g. one that fails).
    pub async fn current_in(
        &self,
        store: &dyn idporten_desktop::TokenStore,
    ) -> Result<TokenSet, Error> {
        let config = config(&self.sim);
        let seams = seams(&self.clock);
        current_tokens(store, &self.key, self.clock.as_ref(), move || {
            Client::discover(config, seams)
        })
        .await
    }

    /// The stored session.
    pub fn stored(&self) -> Option<TokenSet> {
        let secret = idporten_desktop::BlockingTokenStore::load(&self.store, &self.key).unwrap()?;
        Some(TokenSet::from_json(secret.secret()).unwrap())
    }

    /// Makes the stored access token stale, so that the next `current` refreshes: both clocks move 100 s.
    pub fn expire_access_token(&self) {
        self.clock.advance(100);
        self.sim.clock().advance(100);
    }
}
