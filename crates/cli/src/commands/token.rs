//! `mva token`: a valid access token on stdout and nothing else, so `$(mva token)` works. With a fresh stored
//! token it touches no network.

use anyhow::Result;
use serde::Serialize;
use std::io::Write;

use crate::cli::TokenArgs;
use crate::commands::session;
use crate::exit;
use crate::lifetimes;
use crate::settings::{self, ProfileSettings};

#[derive(Serialize)]
struct TokenJson<'a> {
    access_token: &'a str,
    token_type: &'a str,
    expires_at: i64,
    scope: &'a str,
}

/// Prints the stored access token when it is fresh (more than the refresh margin left) and the session is not
/// over: on this thread, with no async runtime and no network. `None`: nothing is stored or the token must be
/// refreshed; [`run`] does the rest.
pub fn from_store(ctx: &ProfileSettings, args: &TokenArgs) -> Result<Option<u8>> {
    let (_, registered, Some(tokens)) = stored_session(ctx, args)? else {
        return Ok(None);
    };
    if tokens.needs_refresh(now(), idporten::DEFAULT_REFRESH_MARGIN_SECS) {
        return Ok(None);
    }
    let end = lifetimes::session_end(&tokens, registered.as_ref());
    print(&tokens, end.at, args.json)?;
    Ok(Some(exit::SUCCESS))
}

/// Prints the access token (refreshed when needed).
pub async fn run(ctx: &ProfileSettings, args: TokenArgs) -> Result<u8> {
    let (provider, registered, _) = stored_session(ctx, &args)?;
    let tokens = session::current_tokens(ctx, &provider, &args.login).await?;
    let end = lifetimes::session_end(&tokens, registered.as_ref());
    print(&tokens, end.at, args.json)?;
    Ok(exit::SUCCESS)
}

/// The provider, its registered lifetimes, and the stored session, if any, once it is checked not to be over
/// (by the stored expiry or the integration's authorization lifetime, whichever ends first).
fn stored_session(
    ctx: &ProfileSettings,
    args: &TokenArgs,
) -> Result<(
    settings::Provider,
    Option<lifetimes::Registered>,
    Option<idporten::TokenSet>,
)> {
    let provider = settings::provider(ctx, &args.provider)?;
    let registered = lifetimes::registered(ctx, &args.registration, &provider)?;
    let stored = session::load_at_once(session::store()?.as_ref(), &provider.store_key())?;
    if let Some(tokens) = &stored {
        let end = lifetimes::session_end(tokens, registered.as_ref());
        lifetimes::ensure_not_over(end, tokens.authenticated_at(), now())?;
    }
    Ok((provider, registered, stored))
}

/// The bare token on a line, or `--json` (its expiry capped at the session's end).
fn print(tokens: &idporten::TokenSet, session_end: i64, json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer(
            &mut out,
            &TokenJson {
                access_token: tokens.access_token.secret(),
                token_type: &tokens.token_type,
                expires_at: tokens.access_expires_at.min(session_end),
                scope: &tokens.scope,
            },
        )?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", tokens.access_token.secret())?;
    }
    out.flush()?;
    Ok(())
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
