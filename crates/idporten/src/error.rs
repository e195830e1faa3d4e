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
}
