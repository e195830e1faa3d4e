//! `mva login`: the browser login, with a countdown in the terminal, then the session is stored.

use anyhow::Result;
use idporten_desktop::{ListenerOptions, LoginEvent};
use serde::Serialize;
use std::time::Duration;

use crate::cli::LoginArgs;
use crate::commands::session;
use crate::exit;
use crate::output;
use crate::settings::{self, ProfileSettings};

#[derive(Serialize)]
struct LoginReport<'a> {
    issuer: &'a str,
    client_id: &'a str,
    pid: String,
    acr: &'a str,
    access_expires_at: i64,
    session_expires_at: i64,
    scope: &'a str,
}

/// Logs in and stores the session.
pub async fn run(ctx: &ProfileSettings, args: LoginArgs) -> Result<u8> {
    let provider = settings::provider(ctx, &args.provider)?;
    let config = settings::client_config(ctx, &provider, &args.login)?;
    let back_uri = settings::login_values(ctx, &args.login)?.back_uri;
    let options = listener_options(
        &config,
        back_uri.as_deref(),
        args.timeout.or(ctx.profile.timeout).unwrap_or(300),
    );
    let store = session::store()?;
    let client = session::client(ctx, config).await?;
    let opener = session::opener(ctx, &args.browser);
    let spinner = output::hidden_spinner();
    let env_name = provider.environment.clone();
    let key = provider.store_key();
    let tokens = idporten_desktop::login(
        &client,
        opener.as_ref(),
        &options,
        store.as_ref(),
        &key,
        |event| match event {
            LoginEvent::Listening { redirect_uri } => output::say(
                &spinner,
                format!("Listening on {redirect_uri} for ID-porten's answer"),
            ),
            LoginEvent::Pushed => output::say(&spinner, "Authorization request pushed (PAR)"),
            LoginEvent::BrowserOpened { .. } => output::say(
                &spinner,
                format!("Opened the browser at ID-porten ({env_name})"),
            ),
            LoginEvent::UrlPrinted { .. } => {}
            LoginEvent::Waiting { time_left } => {
                spinner.set_message(format!(
                    "Waiting for the login in the browser; {} left (Ctrl-C to stop)",
                    output::duration(time_left.as_secs())
                ));
                output::show(&spinner);
            }
            LoginEvent::ExchangingCode => {
                spinner.set_message("Logged in at ID-porten; fetching the tokens")
            }
        },
    )
    .await;
    spinner.finish_and_clear();
    let tokens = tokens?;
    crate::last_login::remember(
        &ctx.home,
        &provider.profile,
        crate::last_login::LastLogin {
            issuer: provider.issuer.to_string(),
            environment: provider.environment.clone(),
            client_id: provider.client_id.to_string(),
        },
    )?;
    let pid = tokens
        .id_claims
        .pid
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "(no pid)".into());
    if args.json {
        output::json(&LoginReport {
            issuer: tokens.issuer.as_str(),
            client_id: tokens.client_id.as_str(),
            pid,
            acr: tokens.id_claims.acr.as_deref().unwrap_or(""),
            access_expires_at: tokens.access_expires_at,
            session_expires_at: tokens.session_expires_at,
            scope: &tokens.scope,
        })?;
    } else {
        eprintln!(
            "Logged in as {pid} ({}) at {}.\nAccess token valid until {}; session until {}.\nStored in {}.",
            tokens.id_claims.acr.as_deref().unwrap_or("no acr"),
            tokens.issuer,
            output::when(tokens.access_expires_at),
            output::when(tokens.session_expires_at),
            store.describe(),
        );
    }
    Ok(exit::SUCCESS)
}

/// The back URI (Tilbake-uri, `--back-uri` or the profile's `back_uri`) is served when it is on the redirect URI's
/// host and port: a login cancelled in ID-porten lands there and ends the wait at once. So is the post-logout URI.
fn listener_options(
    config: &idporten::ClientConfig,
    back_uri: Option<&str>,
    timeout: u64,
) -> ListenerOptions {
    let cancel_path = back_uri.and_then(|uri| idporten::served_path(&config.redirect_uri, uri));
    let logout_path = config
        .post_logout_redirect_uri
        .as_ref()
        .and_then(|u| idporten::served_path(&config.redirect_uri, u.as_str()));
    ListenerOptions {
        cancel_path,
        logout_path,
        timeout: Duration::from_secs(timeout),
        ..ListenerOptions::default()
    }
}
