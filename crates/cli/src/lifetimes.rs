//! The lifetimes registered for the integration (Levetider in Samarbeidsportalen) and what they mean for a stored
//! session: ID-porten ends the grant at the authorization lifetime (Autorisasjonens levetid) after the login, and
//! the Tax Administration's scopes cap that at 8 hours. The stored session knows the 8-hour cap and the refresh
//! token's expiry; the registration, when the profile or `--integration` names its file, can only shorten it.

use anyhow::{Context, Result};
use idporten::integration::{IntegrationFile, Lifetimes, VAT_SCOPE_MAX_LIFETIME_SECS};
use serde::Serialize;
use std::path::PathBuf;

use crate::cli::RegistrationArgs;
use crate::exit::Refusal;
use crate::settings::{ProfileSettings, Provider};

/// The lifetimes registered for the client in use, and where they were read.
#[derive(Debug, Clone, Serialize)]
pub struct Registered {
    /// Levetider, in seconds.
    #[serde(flatten)]
    pub lifetimes: Lifetimes,
    /// The integration file.
    pub file: PathBuf,
}

/// The registration of the client in use, when the flag, `MVA_INTEGRATION` or the profile names an integration
/// file. A file without this client is a setting that cannot work (exit 2).
pub fn registered(
    ctx: &ProfileSettings,
    args: &RegistrationArgs,
    provider: &Provider,
) -> Result<Option<Registered>> {
    let Some(file) = args.integration.clone().or(ctx.profile.integration.clone()) else {
        return Ok(None);
    };
    let parsed = IntegrationFile::read(&file)
        .with_context(|| format!("cannot use the integration file {}", file.display()))?;
    let client = provider.client_id.as_str();
    let Some(integration) = parsed.integrations.iter().find(|i| i.client_id == client) else {
        return Err(Refusal::Usage(format!(
            "the integration file {} has no integration with client_id {client} (it has: {}); give the file \
             of the integration this client belongs to, or the client_id registered there",
            file.display(),
            parsed
                .integrations
                .iter()
                .map(|i| i.client_id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into());
    };
    Ok(Some(Registered {
        lifetimes: integration.lifetimes,
        file,
    }))
}

/// When the session ends at the latest and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionEnd {
    /// Unix seconds.
    pub at: i64,
    /// What sets it.
    pub by: EndedBy,
}

/// What ends a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedBy {
    /// The registered authorization lifetime (Autorisasjonens levetid), counted from the login.
    Authorization {
        /// The lifetime, seconds.
        secs: i64,
    },
    /// The Tax Administration's 8-hour cap, or the refresh token's expiry: what the stored session says.
    Stored,
}

/// The session's end: the stored one, or earlier when the registered authorization lifetime (capped at 8 hours)
/// ends before it.
pub fn session_end(tokens: &idporten::TokenSet, registered: Option<&Registered>) -> SessionEnd {
    let stored = SessionEnd {
        at: tokens.session_expires_at,
        by: EndedBy::Stored,
    };
    let Some(r) = registered else {
        return stored;
    };
    let secs = r.lifetimes.authorization.min(VAT_SCOPE_MAX_LIFETIME_SECS) as i64;
    let at = tokens.authenticated_at().saturating_add(secs);
    if at < stored.at {
        SessionEnd {
            at,
            by: EndedBy::Authorization { secs },
        }
    } else {
        stored
    }
}

/// Refuses a session the registration says is over (exit 3), before anything would spend its refresh token.
pub fn ensure_not_over(end: SessionEnd, login_at: i64, now: i64) -> Result<()> {
    if let (EndedBy::Authorization { secs }, true) = (end.by, now >= end.at) {
        return Err(Refusal::SessionOver(format!(
            "the session is over: the integration's authorization lifetime (Autorisasjonens levetid, {secs} s) \
             ended {} after the login at {}; run `mva login`",
            crate::output::duration(secs.max(0) as u64),
            crate::output::when(login_at)
        ))
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(authorization: u64) -> Registered {
        Registered {
            lifetimes: Lifetimes {
                authorization,
                ..Lifetimes::default()
            },
            file: "integration.toml".into(),
        }
    }

    #[test]
    fn the_authorization_lifetime_ends_the_session_when_it_comes_first() {
        let login = 1_000_000;
        let end = |stored: i64, r: Option<&Registered>| end_for(login, stored, r);
        assert_eq!(
            end(login + 8 * 3600, Some(&registered(7200))),
            SessionEnd {
                at: login + 7200,
                by: EndedBy::Authorization { secs: 7200 }
            }
        );
        // Never beyond the 8-hour cap, whatever is registered.
        assert_eq!(
            end(login + 9 * 3600, Some(&registered(36_000))).at,
            login + 8 * 3600
        );
        // The stored end (a refresh token that expires sooner) wins when it comes first.
        assert_eq!(
            end(login + 600, Some(&registered(7200))),
            SessionEnd {
                at: login + 600,
                by: EndedBy::Stored
            }
        );
        assert_eq!(end(login + 600, None).by, EndedBy::Stored);
    }

    #[test]
    fn a_session_past_its_authorization_lifetime_is_refused_with_the_reason() {
        let end = SessionEnd {
            at: 2000,
            by: EndedBy::Authorization { secs: 1000 },
        };
        assert!(ensure_not_over(end, 1000, 1999).is_ok());
        let err = ensure_not_over(end, 1000, 2000).unwrap_err();
        assert!(err.to_string().contains("Autorisasjonens levetid"), "{err}");
        assert_eq!(crate::exit::code_for(&err), crate::exit::NO_SESSION);
        let stored = SessionEnd {
            at: 2000,
            by: EndedBy::Stored,
        };
        assert!(
            ensure_not_over(stored, 1000, 5000).is_ok(),
            "the library judges its own end"
        );
    }

    /// `session_end` on a session whose login was at `login` and whose stored end is `stored`.
    fn end_for(login: i64, stored: i64, r: Option<&Registered>) -> SessionEnd {
        let json = serde_json::json!({
            "access_token": "a", "refresh_token": null, "id_token": "h.p.s",
            "id_claims": {"iss": "https://test.idporten.no", "sub": "s", "aud": ["c"], "exp": login + 120,
                          "iat": login, "amr": []},
            "scope": "openid", "token_type": "Bearer", "access_expires_at": login + 120,
            "session_expires_at": stored, "issuer": "https://test.idporten.no", "client_id": "c",
            "acr": "idporten-loa-substantial", "login_time": login
        });
        let tokens: idporten::TokenSet = serde_json::from_value(json).unwrap();
        session_end(&tokens, r)
    }
}
