//! The errors of the simulator crate. Each message says what happened and what to do.

/// Everything that can go wrong when configuring or starting the simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration file could not be read.
    #[error("the simulator configuration {path} cannot be read: {source}")]
    ReadConfig {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The configuration text is not valid TOML for the simulator (an unknown key is named here).
    #[error("the simulator configuration {path} is not valid: {reason}")]
    ParseConfig {
        /// The file, or `<text>`.
        path: String,
        /// What is wrong, with the line where known.
        reason: String,
    },
    /// A value in the configuration is refused.
    #[error("the simulator configuration is not usable: {0}")]
    InvalidConfig(String),
    /// An integration (client) in the configuration cannot be registered.
    #[error("the integration {client_id} cannot be registered in the simulator: {reason}")]
    InvalidIntegration {
        /// The client_id.
        client_id: String,
        /// Why.
        reason: String,
    },
    /// The listening address is taken or not allowed.
    #[error("the simulator cannot listen on {addr}: {source} (is another program using the port? try --port 0 or another port)")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Generating or encoding the signing key failed.
    #[error("the simulator cannot create its signing key: {0}")]
    Key(String),
    /// The fault name is not one of the simulator's endpoints.
    #[error("unknown endpoint {0:?} for fault injection; use one of: authorize, token, jwks, discovery, userinfo, revoke, introspect, par, logout, validation, exchange, app")]
    UnknownEndpoint(String),
}
