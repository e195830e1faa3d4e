//! Fixed exit codes, documented in the README. `main` maps every error to one of them.

/// Success.
pub const SUCCESS: u8 = 0;
/// Any error not listed below.
pub const FAILURE: u8 = 1;
/// The command line or a setting is wrong (clap's own usage errors, and [`Refusal::Usage`]).
pub const USAGE: u8 = 2;
/// No valid session: not logged in, or the session is over. `mva login` fixes it.
pub const NO_SESSION: u8 = 3;
/// The login did not complete: cancelled, refused by ID-porten, timed out, or the listener could not start.
pub const LOGIN_FAILED: u8 = 4;
/// A provider or service could not be reached or failed (network, HTTP 5xx, bad answer).
pub const UNAVAILABLE: u8 = 5;
/// The input has errors: an invalid VAT return, or an integration check with errors.
pub const FINDINGS: u8 = 6;
/// The service refused the request: missing role (403), unknown organisation (404), rejected submission (409).
pub const REFUSED: u8 = 7;

/// An error of the CLI's own with an exit code other than 1. The message says why and what to do.
#[derive(Debug)]
pub enum Refusal {
    /// A setting or a combination of settings that cannot work (exit 2).
    Usage(String),
    /// The session is over by the integration's registered lifetimes (exit 3).
    SessionOver(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Usage(m) | Self::SessionOver(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Refusal {}

/// The exit code for an error.
pub fn code_for(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<Refusal>() {
            return match e {
                Refusal::Usage(_) => USAGE,
                Refusal::SessionOver(_) => NO_SESSION,
            };
        }
        if let Some(e) = cause.downcast_ref::<idporten::Error>() {
            return idporten_code(e);
        }
        if let Some(e) = cause.downcast_ref::<mva::MvaError>() {
            return mva_code(e);
        }
    }
    FAILURE
}

/// A line of advice for errors whose fix is not in the message itself: the `mva` commands and variables that fix
/// a library error (the `idporten` library does not know this command line), else by exit code.
pub fn help_for(err: &anyhow::Error) -> Option<&'static str> {
    let idporten_error = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<idporten::Error>());
    if let Some(advice) = idporten_error.and_then(idporten_help) {
        return Some(advice);
    }
    match code_for(err) {
        NO_SESSION => Some("run `mva login`"),
        UNAVAILABLE => {
            Some("check the network and the provider's status, then try again; nothing was lost")
        }
        _ => None,
    }
}

/// What `mva` offers for an `idporten` error.
fn idporten_help(e: &idporten::Error) -> Option<&'static str> {
    use idporten::Error as E;
    Some(match e {
        E::SessionEnded | E::NotLoggedIn { .. } => "run `mva login`",
        E::StoredTokensCorrupt { .. } | E::TokenStoreCorrupt { .. } => {
            "run `mva logout --local` to forget the stored session, then `mva login`"
        }
        E::RevocationFailed { .. } => {
            "run `mva logout` again, or `mva logout --local` to only forget the tokens on this computer"
        }
        E::TokenStoreIo { .. } | E::TokenStoreNotOwned { .. } | E::NoHomeDir => {
            "set MVA_HOME to a directory of your own where mva may keep its files"
        }
        E::Keyring { .. } => "set MVA_HOME to keep the tokens in files there instead of the OS keyring",
        _ => return None,
    })
}

/// Whether the error is a closed stdout (`mva token | head -c1`): not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn idporten_code(e: &idporten::Error) -> u8 {
    use idporten::Error as E;
    match e {
        E::SessionEnded | E::NotLoggedIn { .. } | E::StoredTokensCorrupt { .. } => NO_SESSION,
        E::PortInUse { .. }
        | E::ListenerBind { .. }
        | E::LoginCancelled
        | E::AuthorizationError { .. }
        | E::LoginTimedOut { .. }
        | E::CallbackIssuerMismatch { .. }
        | E::CallbackIssuerMissing { .. }
        | E::CallbackMissingCode
        | E::CallbackMalformed { .. }
        | E::CallbackForeignState
        | E::ScopeNotGranted { .. }
        | E::BrowserCommandFailed { .. }
        | E::BrowserNotOpened { .. } => LOGIN_FAILED,
        E::ProviderUnreachable { .. }
        | E::ProviderStatus { .. }
        | E::ProviderResponse { .. }
        | E::ResponseTooLarge { .. } => UNAVAILABLE,
        _ => FAILURE,
    }
}

fn mva_code(e: &mva::MvaError) -> u8 {
    use mva::MvaError as E;
    match e {
        E::InvalidDocument { .. } | E::Attachment { .. } => FINDINGS,
        E::Token(_) | E::Unauthorized { .. } => NO_SESSION,
        E::Forbidden { .. } | E::UnknownOrganisation { .. } | E::Conflict { .. } => REFUSED,
        E::Network { .. } | E::UnexpectedStatus { .. } | E::FeedbackTimeout { .. } => UNAVAILABLE,
        _ => FAILURE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_errors_get_the_cli_advice_at_the_edge() {
        let ended = anyhow::Error::new(idporten::Error::SessionEnded).context("cannot get a token");
        assert_eq!(code_for(&ended), NO_SESSION);
        assert_eq!(help_for(&ended), Some("run `mva login`"));
        assert!(
            !format!("{ended:#}").contains("mva login"),
            "the library's message"
        );
        let keyring = anyhow::Error::new(idporten::Error::Keyring {
            action: "read a session key".into(),
            reason: "no D-Bus".into(),
        });
        assert!(help_for(&keyring).unwrap().contains("MVA_HOME"));
        let down = anyhow::Error::new(idporten::Error::ProviderUnreachable {
            url: "https://test.idporten.no/token".into(),
            reason: "timed out".into(),
        });
        assert!(help_for(&down).unwrap().contains("nothing was lost"));
    }
}
