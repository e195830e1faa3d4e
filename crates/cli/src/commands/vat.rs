//! What the VAT commands share: the services' addresses and the ID-porten token source.

use anyhow::{bail, Result};
use std::sync::Arc;

use crate::cli::{LoginSettings, ServiceArgs};
use crate::commands::session;
use crate::settings::{self, ProfileSettings, Provider};

/// The addresses of the validation API, the Altinn token exchange and the submission app: `--services-url` (all
/// on one host: the simulator), else the environment's (test or prod), else, for an issuer given by URL, the
/// issuer's host (the simulator serves ID-porten and the services on one port).
pub fn endpoints(
    ctx: &ProfileSettings,
    provider: &Provider,
    services: &ServiceArgs,
) -> Result<mva::Endpoints> {
    if let Some(url) = settings::services_url(ctx, services) {
        return Ok(mva::Endpoints::sim(&url::Url::parse(&url)?));
    }
    Ok(match provider.environment.as_str() {
        "test" => mva::Endpoints::test(),
        "prod" => mva::Endpoints::prod(),
        _ => {
            let issuer = url::Url::parse(provider.issuer.as_str())?;
            if !idporten::is_loopback_host(&issuer) {
                bail!(
                    "no VAT services are known for the issuer {}; give --services-url URL",
                    provider.issuer
                );
            }
            mva::Endpoints::sim(&issuer)
        }
    })
}

/// Gives the `mva` library ID-porten access tokens from the stored session, refreshing when needed (or when a
/// service refused the current one).
pub struct SessionTokens {
    ctx: ProfileSettings,
    provider: Provider,
    login: LoginSettings,
}

impl SessionTokens {
    /// The token source of the profile's session with this provider.
    pub fn new(ctx: &ProfileSettings, provider: &Provider) -> Arc<Self> {
        Arc::new(Self {
            ctx: ctx.clone(),
            provider: provider.clone(),
            login: LoginSettings::default(),
        })
    }
}

impl mva::TokenSource for SessionTokens {
    fn access_token(&self, force_refresh: bool) -> mva::token::TokenFuture<'_> {
        Box::pin(async move {
            // A refused token is refreshed whatever its expiry says: ask for more validity than it can have.
            let margin = if force_refresh {
                i64::MAX / 4
            } else {
                idporten::DEFAULT_REFRESH_MARGIN_SECS
            };
            let tokens =
                session::current_tokens_with_margin(&self.ctx, &self.provider, &self.login, margin)
                    .await
                    .map_err(|e| -> mva::token::TokenError { format!("{e:#}").into() })?;
            Ok(mva::AccessToken::new(tokens.access_token.secret()))
        })
    }
}
