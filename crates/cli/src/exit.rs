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

/// A line of advice for errors whose fix is not in the message itself.
pub fn help_for(err: &anyhow::Error) -> Option<&'static str> {
    match code_for(err) {
        UNAVAILABLE => {
            Some("check the network and the provider's status, then try again; nothing was lost")
        }
        _ => None,
    }
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
