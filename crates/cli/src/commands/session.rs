//! What the session commands share: the token store, the client (discovery from the disk cache), the browser
//! opener, and a fresh access token.

use anyhow::Result;
use idporten::{Client, ClientConfig, Seams};
use idporten_desktop::{BrowserOpener, CommandBrowser, OpenOrPrint, PrintUrl, SystemBrowser};
use std::future::Future;
use std::sync::Arc;

use crate::cli::{BrowserArgs, LoginSettings};
use crate::settings::{self, ProfileSettings, Provider};

/// The store of sessions: the OS keyring where it works, else files under `$MVA_HOME/tokens`.
pub fn store() -> Result<Box<dyn idporten::TokenStore>> {
    Ok(idporten_desktop::default_store()?)
}

/// The stored session, read on this thread without an async runtime. The local stores (files, the OS keyring)
/// are synchronous under their async interface, so the load is done at its first poll; a store that would wait
/// is an error.
pub fn load_at_once(
    store: &dyn idporten::TokenStore,
    key: &idporten::StoreKey,
) -> Result<Option<idporten::TokenSet>> {
    let mut load = std::pin::pin!(idporten::load_tokens(store, key));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match load.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(loaded) => Ok(loaded?),
        std::task::Poll::Pending => anyhow::bail!(
            "the session store ({}) did not answer at once",
            store.describe()
        ),
    }
}

/// The real seams, with the discovery document cached under `$MVA_HOME/cache` for 24 h.
pub fn seams(ctx: &ProfileSettings) -> Seams {
    Seams {
        cache_dir: Some(ctx.home.join("cache")),
        ..Seams::default()
    }
}

/// Discovers the provider (or reads the cached discovery) for this configuration.
pub async fn client(ctx: &ProfileSettings, config: ClientConfig) -> Result<Client> {
    Ok(Client::discover(config, seams(ctx)).await?)
}

/// The browser opener the flags ask for: `--no-browser` prints, `--browser-command` runs a command, else the
/// system browser (honouring `$BROWSER`); when nothing can be started, the URL is printed.
pub fn opener(ctx: &ProfileSettings, args: &BrowserArgs) -> Box<dyn BrowserOpener> {
    if args.no_browser {
        return Box::new(PrintUrl::stderr());
    }
    match settings::browser_command(ctx, &args.browser_command) {
        Some(command) => Box::new(OpenOrPrint(CommandBrowser { command })),
        None => Box::new(OpenOrPrint(SystemBrowser)),
    }
}

/// A valid access token for the provider and client: from the store with no network when it is fresh, else
/// refreshed (under the store's cross-process lock).
pub async fn current_tokens(
    ctx: &ProfileSettings,
    provider: &Provider,
    login: &LoginSettings,
) -> Result<idporten::TokenSet> {
    current_tokens_with_margin(ctx, provider, login, idporten::DEFAULT_REFRESH_MARGIN_SECS).await
}

/// [`current_tokens`] that refreshes when the access token has less than `margin_secs` left.
pub async fn current_tokens_with_margin(
    ctx: &ProfileSettings,
    provider: &Provider,
    login: &LoginSettings,
    margin_secs: i64,
) -> Result<idporten::TokenSet> {
    let store = store()?;
    let key = provider.store_key();
    let clock = Arc::new(idporten::SystemClock);
    let make_client = || async {
        let config = settings::client_config(ctx, provider, login).map_err(|e| {
            idporten::Error::InvalidConfig {
                setting: "refresh settings".into(),
                reason: format!("{e:#}"),
            }
        })?;
        Client::discover(config, seams(ctx)).await
    };
    Ok(idporten::current_tokens_with_margin(
        store.as_ref(),
        &key,
        clock.as_ref(),
        margin_secs,
        make_client,
    )
    .await?)
}
