//! `mva logout`: revoke, end the ID-porten session through the browser, forget the tokens. `--local` only forgets.

use anyhow::Result;
use idporten_desktop::{EndSessionOutcome, ListenerOptions};
use std::time::Duration;

use crate::cli::LogoutArgs;
use crate::commands::session;
use crate::exit;
use crate::settings::{self, ProfileSettings};

/// Logs out.
pub async fn run(ctx: &ProfileSettings, args: LogoutArgs) -> Result<u8> {
    let provider = settings::provider(ctx, &args.provider)?;
    let store = session::store()?;
    let key = provider.store_key();
    if args.local {
        let was = idporten::load_tokens(store.as_ref(), &key)
            .await
            .ok()
            .flatten()
            .is_some();
        store.delete(&key).await?;
        crate::last_login::forget(&ctx.home, &provider.profile)?;
        eprintln!(
            "{} (the tokens stay valid at ID-porten until they expire; `mva logout` also revokes them)",
            if was { "Forgot the stored session" } else { "No session was stored" }
        );
        return Ok(exit::SUCCESS);
    }
    if idporten::load_tokens(store.as_ref(), &key)
        .await
        .ok()
        .flatten()
        .is_none()
    {
        store.delete(&key).await?;
        eprintln!(
            "Not logged in at {} with client {}; nothing to do",
            provider.issuer, provider.client_id
        );
        return Ok(exit::SUCCESS);
    }
    let config = settings::client_config(ctx, &provider, &args.login)?;
    let client = session::client(ctx, config).await?;
    let opener = session::opener(ctx, &args.browser);
    let options = ListenerOptions {
        timeout: Duration::from_secs(args.timeout.unwrap_or(120)),
        ..ListenerOptions::default()
    };
    let outcome = idporten_desktop::logout(
        &client,
        store.as_ref(),
        &key,
        opener.as_ref(),
        &options,
        false,
    )
    .await?;
    for not_revoked in &outcome.not_revoked {
        eprintln!(
            "The provider did not revoke a token: {not_revoked}; it stays valid until it expires"
        );
    }
    if outcome.revoked {
        eprintln!("Revoked the tokens at the provider");
    } else if outcome.not_revoked.is_empty() {
        eprintln!("The provider offers no revocation; the tokens stay valid until they expire");
    }
    match outcome.end_session {
        EndSessionOutcome::Confirmed => {
            eprintln!("Ended the ID-porten session (confirmed by the provider)")
        }
        EndSessionOutcome::Opened => {
            eprintln!("Sent the browser to ID-porten to end the session (no post-logout URI is configured to confirm it)")
        }
        EndSessionOutcome::NotAdvertised => eprintln!("The provider has no end-session endpoint"),
        EndSessionOutcome::NotConfirmed { reason } => {
            eprintln!("The ID-porten session may still be open: {reason}")
        }
        EndSessionOutcome::Skipped => {}
    }
    crate::last_login::forget(&ctx.home, &provider.profile)?;
    eprintln!("Forgot the stored session");
    Ok(exit::SUCCESS)
}
