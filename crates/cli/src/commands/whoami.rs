//! `mva whoami`: who is logged in, at which level, with which scopes, until when. Never prints a token.

use anyhow::Result;
use serde::Serialize;

use crate::cli::WhoamiArgs;
use crate::commands::session;
use crate::exit;
use crate::lifetimes::{self, EndedBy, Registered};
use crate::output;
use crate::settings::{self, ProfileSettings};

#[derive(Serialize)]
struct Whoami<'a> {
    pid: Option<String>,
    sub: &'a str,
    acr: Option<&'a str>,
    amr: &'a [String],
    scopes: Vec<&'a str>,
    issuer: &'a str,
    client_id: &'a str,
    profile: &'a str,
    auth_time: Option<i64>,
    access_expires_at: i64,
    session_expires_at: i64,
    /// "authorization_lifetime" when the registered lifetime ends the session first, else "stored".
    session_ends_by: &'static str,
    refreshable: bool,
    /// The registered lifetimes (Levetider), when the integration file is known.
    registered_lifetimes: Option<&'a Registered>,
}

/// Shows the stored session. Reads only the store: no network, no async runtime.
pub fn run(ctx: &ProfileSettings, args: &WhoamiArgs) -> Result<u8> {
    let provider = settings::provider(ctx, &args.provider)?;
    let store = session::store()?;
    let key = provider.store_key();
    let tokens = session::load_at_once(store.as_ref(), &key)?.ok_or_else(|| {
        idporten::Error::NotLoggedIn {
            issuer: provider.issuer.to_string(),
            client_id: provider.client_id.to_string(),
        }
    })?;
    let registered = lifetimes::registered(ctx, &args.registration, &provider)?;
    let end = lifetimes::session_end(&tokens, registered.as_ref());
    let c = &tokens.id_claims;
    let pid = c.pid.as_ref().map(|p| {
        if args.show_pid {
            p.reveal().to_string()
        } else {
            p.to_string()
        }
    });
    let who = Whoami {
        pid,
        sub: &c.sub,
        acr: c.acr.as_deref(),
        amr: &c.amr,
        scopes: tokens.scope.split_whitespace().collect(),
        issuer: tokens.issuer.as_str(),
        client_id: tokens.client_id.as_str(),
        profile: &provider.profile,
        auth_time: c.auth_time,
        access_expires_at: tokens.access_expires_at.min(end.at),
        session_expires_at: end.at,
        session_ends_by: match end.by {
            EndedBy::Authorization { .. } => "authorization_lifetime",
            EndedBy::Stored => "stored",
        },
        refreshable: tokens.refresh_token.is_some(),
        registered_lifetimes: registered.as_ref(),
    };
    if args.json {
        output::json(&who)?;
        return Ok(exit::SUCCESS);
    }
    println!(
        "person      {}",
        who.pid.as_deref().unwrap_or("(no pid claim)")
    );
    println!("level       {}", who.acr.unwrap_or("(no acr claim)"));
    println!("amr         {}", who.amr.join(", "));
    println!("scopes      {}", who.scopes.join(" "));
    println!("issuer      {}", who.issuer);
    println!("client      {}", who.client_id);
    println!("profile     {}", who.profile);
    if let Some(t) = who.auth_time {
        println!("logged in   {}", output::when(t));
    }
    println!("access      until {}", output::when(who.access_expires_at));
    let refresh = if who.refreshable {
        "refreshed automatically"
    } else {
        "no refresh token: log in again then"
    };
    let why = match end.by {
        EndedBy::Authorization { secs } => format!(
            "; the integration's authorization lifetime, {} from the login",
            output::duration(secs as u64)
        ),
        EndedBy::Stored => String::new(),
    };
    println!(
        "session     until {} ({refresh}{why})",
        output::when(who.session_expires_at)
    );
    if let Some(r) = &registered {
        let l = &r.lifetimes;
        println!(
            "registered  authorization {}, access token {}, refresh token {} idle (Levetider in {})",
            output::duration(l.authorization),
            output::duration(l.access_token),
            output::duration(l.refresh_token),
            r.file.display()
        );
    }
    Ok(exit::SUCCESS)
}
