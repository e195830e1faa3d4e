//! Settings resolution: flags, then `MVA_*` environment variables (both through clap), then the profile in the
//! config file, then built-in defaults (the test environment and the Tax Administration's shared test client).
//!
//! The config file (`$MVA_HOME/config.toml`, or `~/.config/mva/config.toml` on Linux, or `--config FILE`):
//!
//! ```toml
//! profile = "default"            # used when --profile / MVA_PROFILE is not given
//!
//! [profiles.default]
//! env = "test"
//! client_id = "23cc2587-ea4e-4a5f-aa5c-dfce3d6c5f09"
//! redirect_uri = "http://localhost:12345/token"
//!
//! [profiles.sim]
//! issuer = "http://127.0.0.1:7070"
//! services_url = "http://127.0.0.1:7070"
//! ```

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::choices::{Env, Level, Locale};
use crate::cli::{GlobalOptions, LoginSettings, ProviderArgs, ServiceArgs};
use crate::exit::Refusal;
use crate::last_login;

/// One profile of the config file. Every field is optional; flags and environment variables win.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// test or prod.
    pub env: Option<Env>,
    /// An issuer URL (instead of env).
    pub issuer: Option<String>,
    /// The integration's client_id.
    pub client_id: Option<String>,
    /// The registered redirect URI.
    pub redirect_uri: Option<String>,
    /// The registered post-logout redirect URI.
    pub post_logout_redirect_uri: Option<String>,
    /// The registered back URI (Tilbake-uri).
    pub back_uri: Option<String>,
    /// Scopes, space separated.
    pub scope: Option<String>,
    /// idporten-loa-substantial or idporten-loa-high.
    pub acr_values: Option<Level>,
    /// nb, nn, en, se.
    pub ui_locales: Option<Locale>,
    /// Always force a fresh login.
    pub prompt_login: Option<bool>,
    /// Use PAR.
    pub par: Option<bool>,
    /// none, client_secret_basic, client_secret_post, private_key_jwt.
    pub client_auth: Option<idporten::ClientAuthMethod>,
    /// The private key file for private_key_jwt.
    pub private_key: Option<PathBuf>,
    /// Its kid.
    pub key_id: Option<String>,
    /// A browser command.
    pub browser_command: Option<String>,
    /// The login timeout in seconds.
    pub timeout: Option<u64>,
    /// The base URL of all VAT services on one host (the simulator).
    pub services_url: Option<String>,
    /// The validation API's URL.
    pub validation_url: Option<String>,
    /// The integration file (as registered in Samarbeidsportalen): its lifetimes bound the session.
    pub integration: Option<PathBuf>,
}

/// The config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The default profile's name.
    pub profile: Option<String>,
    /// The profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// The config file and the chosen profile.
#[derive(Debug, Clone)]
pub struct ProfileSettings {
    /// The profile's name ("default" unless chosen).
    pub profile_name: String,
    /// The profile's settings (empty when the file or the profile does not exist).
    pub profile: Profile,
    /// `$MVA_HOME` or the platform's directory.
    pub home: PathBuf,
}

/// Reads the config file and picks the profile.
pub fn load(global: &GlobalOptions) -> Result<ProfileSettings> {
    let home = idporten_desktop::home_dir()
        .context("cannot find a directory for mva's files; set MVA_HOME")?;
    let (path, explicit) = match &global.config {
        Some(p) => (p.clone(), true),
        None => (home.join("config.toml"), false),
    };
    let file = read_config(&path, explicit)?;
    let profile_name = global
        .profile
        .clone()
        .or(file.profile.clone())
        .unwrap_or_else(|| "default".into());
    let profile = match file.profiles.get(&profile_name) {
        Some(p) => p.clone(),
        None if global.profile.is_some() && !file.profiles.is_empty() => bail!(
            "the profile \"{profile_name}\" is not in {}; it has: {}",
            path.display(),
            file.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
        None => Profile::default(),
    };
    Ok(ProfileSettings {
        profile_name,
        profile,
        home,
    })
}

fn read_config(path: &Path, explicit: bool) -> Result<ConfigFile> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text)
            .with_context(|| format!("the config file {} is not valid", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            Ok(ConfigFile::default())
        }
        Err(e) => Err(e).with_context(|| format!("cannot read the config file {}", path.display())),
    }
}

/// The provider and client, resolved.
#[derive(Debug, Clone)]
pub struct Provider {
    /// The issuer.
    pub issuer: idporten::Issuer,
    /// "test", "prod", or "custom" for an issuer given by URL.
    pub environment: String,
    /// The client.
    pub client_id: idporten::ClientId,
    /// The profile name.
    pub profile: String,
}

impl Provider {
    /// The key of this session in the token store.
    pub fn store_key(&self) -> idporten::StoreKey {
        idporten::StoreKey::new(self.issuer.clone(), self.client_id.clone())
            .with_profile(self.profile.clone())
    }
}

/// Resolves the provider and the client. When neither flags, environment nor the profile name a provider or a
/// client, the provider and client of the profile's last `mva login` are used, so that `mva login --issuer X`
/// followed by `mva token` works.
pub fn provider(ctx: &ProfileSettings, args: &ProviderArgs) -> Result<Provider> {
    let p = &ctx.profile;
    let nothing_chosen = [&args.issuer, &args.client_id, &p.issuer, &p.client_id]
        .iter()
        .all(|v| v.is_none())
        && args.env.or(p.env).is_none();
    if nothing_chosen {
        if let Some(last) = last_login::recall(&ctx.home, &ctx.profile_name) {
            return Ok(Provider {
                issuer: idporten::Issuer::parse(&last.issuer)?,
                environment: last.environment,
                client_id: idporten::ClientId::new(last.client_id),
                profile: ctx.profile_name.clone(),
            });
        }
    }
    let issuer_text = args.issuer.clone().or(p.issuer.clone());
    let (issuer, environment) = match issuer_text {
        Some(issuer) => (idporten::Issuer::parse(&issuer)?, "custom".to_string()),
        None => {
            let env = args.env.or(p.env).unwrap_or(Env::Test);
            (
                idporten::Environment::from(env).issuer(),
                env.as_str().to_string(),
            )
        }
    };
    let client_id = args
        .client_id
        .clone()
        .or(p.client_id.clone())
        .unwrap_or_else(|| idporten::SHARED_TEST_CLIENT_ID.into());
    refuse_shared_test_client_in_prod(&issuer, &client_id)?;
    Ok(Provider {
        issuer,
        environment,
        client_id: idporten::ClientId::new(client_id),
        profile: ctx.profile_name.clone(),
    })
}

/// The Tax Administration's shared test client exists for trying things out in the test environment only, and is
/// to be removed; production needs the vendor's own integration.
fn refuse_shared_test_client_in_prod(issuer: &idporten::Issuer, client_id: &str) -> Result<()> {
    if client_id == idporten::SHARED_TEST_CLIENT_ID
        && *issuer == idporten::Environment::Prod.issuer()
    {
        return Err(Refusal::Usage(format!(
            "the Tax Administration's shared test client {client_id} is for the test environment only (and is to \
             be removed), so it cannot log in to production ID-porten; register your own integration in \
             Samarbeidsportalen and give its --client-id and --redirect-uri (or set them in the profile)"
        ))
        .into());
    }
    Ok(())
}

/// The URIs, scopes and client authentication method the software uses, resolved from flags, environment,
/// profile and defaults, as text: what `mva login` sends and `mva integration check` compares.
#[derive(Debug, Clone)]
pub struct LoginValues {
    /// The redirect URI.
    pub redirect_uri: String,
    /// The post-logout redirect URI, if any.
    pub post_logout_redirect_uri: Option<String>,
    /// The back URI (Tilbake-uri), if any.
    pub back_uri: Option<String>,
    /// The scopes requested.
    pub scopes: Vec<String>,
    /// none, client_secret_basic, client_secret_post or private_key_jwt.
    pub client_auth: idporten::ClientAuthMethod,
}

/// Resolves [`LoginValues`].
pub fn login_values(ctx: &ProfileSettings, args: &LoginSettings) -> Result<LoginValues> {
    let p = &ctx.profile;
    let scopes: Vec<String> = match args.scope.clone().or(p.scope.clone()) {
        Some(scope) => scope.split_whitespace().map(str::to_string).collect(),
        None => idporten::integration::VAT_SCOPES
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    if scopes.is_empty() {
        bail!("--scope is empty; give at least openid");
    }
    Ok(LoginValues {
        redirect_uri: args
            .redirect_uri
            .clone()
            .or(p.redirect_uri.clone())
            .unwrap_or_else(|| idporten::SHARED_TEST_REDIRECT_URI.into()),
        post_logout_redirect_uri: args
            .post_logout_redirect_uri
            .clone()
            .or(p.post_logout_redirect_uri.clone()),
        back_uri: args.back_uri.clone().or(p.back_uri.clone()),
        scopes,
        client_auth: args.client_auth.or(p.client_auth).unwrap_or_default(),
    })
}

/// Resolves everything a login needs into the library's client configuration.
pub fn client_config(
    ctx: &ProfileSettings,
    provider: &Provider,
    args: &LoginSettings,
) -> Result<idporten::ClientConfig> {
    let p = &ctx.profile;
    let values = login_values(ctx, args)?;
    let mut config = idporten::ClientConfig::new(
        provider.issuer.clone(),
        provider.client_id.clone(),
        idporten::RedirectUri::parse(&values.redirect_uri)?,
    );
    if let Some(uri) = &values.post_logout_redirect_uri {
        config.post_logout_redirect_uri = Some(idporten::RedirectUri::parse(uri)?);
    }
    config.scopes = values.scopes;
    if let Some(level) = args.acr_values.or(p.acr_values) {
        config.acr = level.into();
    }
    if let Some(locale) = args.ui_locales.or(p.ui_locales) {
        config.ui_locale = locale.into();
    }
    config.prompt_login = args.prompt_login || p.prompt_login.unwrap_or(false);
    config.use_par = args.par || p.par.unwrap_or(false);
    config.client_auth = client_auth(values.client_auth, args, p)?;
    Ok(config)
}

/// The variables holding secrets, read once and then removed from this process's environment.
const SECRET_VARS: [&str; 2] = ["MVA_CLIENT_SECRET", "MVA_SESSION_KEY"];

static SECRETS: std::sync::OnceLock<Vec<(&'static str, String)>> = std::sync::OnceLock::new();

/// Moves the secrets out of the process environment (call first in `main`, before any thread starts): no child
/// process (the browser, whatever `$BROWSER` or the platform's opener starts) can inherit them.
pub fn take_secrets_from_env() {
    let mut taken = Vec::new();
    for name in SECRET_VARS {
        if let Some(value) = std::env::var_os(name) {
            taken.push((name, value.to_string_lossy().into_owned()));
            // Sound here: main calls this before the runtime or any other thread exists.
            std::env::remove_var(name);
        }
    }
    let _ = SECRETS.set(taken);
}

/// A secret taken by [`take_secrets_from_env`] (or, when that was not called, from the environment).
pub fn secret_var(name: &str) -> Option<String> {
    match SECRETS.get() {
        Some(taken) => taken
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone()),
        None => std::env::var(name).ok(),
    }
}

fn client_auth(
    method: idporten::ClientAuthMethod,
    args: &LoginSettings,
    p: &Profile,
) -> Result<idporten::ClientAuth> {
    use idporten::ClientAuthMethod as M;
    let secret = || -> Result<idporten::ClientSecret> {
        match secret_var("MVA_CLIENT_SECRET") {
            Some(s) if !s.is_empty() => Ok(idporten::ClientSecret::new(s)),
            _ => bail!("client authentication {method} needs the client secret in the environment variable MVA_CLIENT_SECRET"),
        }
    };
    Ok(match method {
        M::None => idporten::ClientAuth::None,
        M::ClientSecretBasic => idporten::ClientAuth::ClientSecretBasic(secret()?),
        M::ClientSecretPost => idporten::ClientAuth::ClientSecretPost(secret()?),
        M::PrivateKeyJwt => {
            let path = args.private_key.clone().or(p.private_key.clone()).context(
                "client authentication private_key_jwt needs the private key: --private-key FILE or MVA_PRIVATE_KEY",
            )?;
            let pem = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read the private key {}", path.display()))?;
            let kid = args
                .key_id
                .clone()
                .or(p.key_id.clone())
                .context("private_key_jwt needs the key id registered with the key: --key-id KID or MVA_KEY_ID")?;
            idporten::ClientAuth::PrivateKeyJwt {
                key_pem: idporten::PrivateKeyPem::new(pem),
                kid,
            }
        }
    })
}

/// The browser command: the flag, else the profile's.
pub fn browser_command(ctx: &ProfileSettings, flag: &Option<String>) -> Option<String> {
    flag.clone().or(ctx.profile.browser_command.clone())
}

/// The base URL of the VAT services when they all live on one host (the simulator).
pub fn services_url(ctx: &ProfileSettings, args: &ServiceArgs) -> Option<String> {
    args.services_url
        .clone()
        .or(ctx.profile.services_url.clone())
}
