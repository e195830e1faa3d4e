//! The errors of the `idporten` crate. Each message says what happened and what to do.

/// Everything that can go wrong in an ID-porten login, refresh, logout or token storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An integration file (Samarbeidsportalen settings) could not be read or parsed.
    #[error("the integration file {path} cannot be read: {reason}")]
    IntegrationFile {
        /// The file.
        path: String,
        /// What is wrong, with the line where known.
        reason: String,
    },
    /// The issuer is not a usable issuer URL.
    #[error("the issuer {issuer} is not usable: {reason}")]
    InvalidIssuer {
        /// The issuer as given.
        issuer: String,
        /// Why it is refused.
        reason: String,
    },
    /// The redirect URI is not usable.
    #[error("the redirect URI {uri} is not usable: {reason}")]
    InvalidRedirectUri {
        /// The URI as given.
        uri: String,
        /// Why it is refused.
        reason: String,
    },
    // ---- protocol errors (owned by helper A: config, discovery, requests, tokens, validation, refresh, logout) ----

    // ---- end of protocol errors ----

    // ---- listener, browser and token store errors (owned by helper B) ----

    // ---- end of listener, browser and token store errors ----
}
