//! The seam to the login: whoever holds the ID-porten session gives access tokens on request.

use std::future::Future;
use std::pin::Pin;

/// A bearer token. Prints as `[redacted]`; the value is reached through [`AccessToken::secret`].
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }
    /// The token itself. Never log it, never put it in a URL.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

/// The error a token source gives (shown to the user; must not contain tokens).
pub type TokenError = Box<dyn std::error::Error + Send + Sync>;

/// The future a [`TokenSource`] returns.
pub type TokenFuture<'a> =
    Pin<Box<dyn Future<Output = Result<AccessToken, TokenError>> + Send + 'a>>;

/// The future of [`TokenSource::kept_altinn_token`].
pub type KeptFuture<'a> = Pin<Box<dyn Future<Output = Option<AccessToken>> + Send + 'a>>;

/// The future of [`TokenSource::keep_altinn_token`].
pub type KeepFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Gives ID-porten access tokens (scopes `skatteetaten:mvameldingvalidering skatteetaten:mvameldinginnsending`).
///
/// `force_refresh` is true after a service refused the current token (401): the source must then refresh it (or log
/// in again) rather than return a cached one.
///
/// A source that outlives one [`crate::MvaClient`] (a web session shared by instances) may also keep the Altinn
/// token that a client exchanged, so that the next client (the next request, on any instance) does not exchange
/// again: [`TokenSource::kept_altinn_token`] and [`TokenSource::keep_altinn_token`]. By default nothing is kept.
pub trait TokenSource: Send + Sync {
    /// An access token.
    fn access_token(&self, force_refresh: bool) -> TokenFuture<'_>;

    /// The Altinn token kept from an earlier exchange of this login, if any. The client uses it only while it has
    /// more than a minute left (read from its `exp`), and exchanges again when Altinn refuses it.
    fn kept_altinn_token(&self) -> KeptFuture<'_> {
        Box::pin(async { None })
    }

    /// Keeps an Altinn token just exchanged for this login. Keeping is best effort: a failure only costs the next
    /// client an exchange, so it is not reported.
    fn keep_altinn_token(&self, _token: &AccessToken) -> KeepFuture<'_> {
        Box::pin(async {})
    }
}

/// A fixed token (for tests, examples and scripts that already hold a token).
#[derive(Debug, Clone)]
pub struct StaticToken(pub AccessToken);

impl TokenSource for StaticToken {
    fn access_token(&self, _force_refresh: bool) -> TokenFuture<'_> {
        let t = self.0.clone();
        Box::pin(async move { Ok(t) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn debug_redacts() {
        assert_eq!(
            format!("{:?}", AccessToken::new("eyJsecret")),
            "AccessToken([redacted])"
        );
    }
}
