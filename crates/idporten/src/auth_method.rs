//! The client authentication methods (Klientautentiseringsmetode), by their registry names
//! (`token_endpoint_auth_method`, RFC 7591 / the OAuth Token Endpoint Authentication Methods registry): the one list
//! every crate uses, in configuration files, on the command line and in discovery documents.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How a client authenticates at the token, PAR, revocation and introspection endpoints.
///
/// ```
/// use idporten::ClientAuthMethod;
/// let m: ClientAuthMethod = "client_secret_basic".parse().unwrap();
/// assert_eq!(m, ClientAuthMethod::ClientSecretBasic);
/// assert_eq!(m.to_string(), "client_secret_basic");
/// assert!("basic".parse::<ClientAuthMethod>().unwrap_err().to_string().contains("private_key_jwt"));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthMethod {
    /// No client authentication (public clients): only `client_id` in the body.
    #[default]
    None,
    /// HTTP Basic with the form-urlencoded id and secret (RFC 6749 2.3.1).
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// A client assertion JWT signed RS256 with the client's RSA key (RFC 7523).
    PrivateKeyJwt,
}

impl ClientAuthMethod {
    /// Every method, in the order ID-porten lists them.
    pub const ALL: [Self; 4] = [
        Self::ClientSecretBasic,
        Self::ClientSecretPost,
        Self::PrivateKeyJwt,
        Self::None,
    ];

    /// Every method's name, for a command line's possible values (e.g. clap's `PossibleValuesParser`).
    pub const NAMES: [&'static str; 4] = [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    ];

    /// The registry name (`token_endpoint_auth_method`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
        }
    }

    /// Whether the method needs a client secret.
    pub fn uses_secret(self) -> bool {
        matches!(self, Self::ClientSecretBasic | Self::ClientSecretPost)
    }
}

impl fmt::Display for ClientAuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a client authentication method.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown client authentication method \"{0}\"; use one of client_secret_basic, client_secret_post, private_key_jwt, none")]
pub struct UnknownClientAuthMethod(pub String);

impl FromStr for ClientAuthMethod {
    type Err = UnknownClientAuthMethod;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownClientAuthMethod(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_display_fromstr_and_serde() {
        for (m, name) in ClientAuthMethod::ALL.iter().zip(ClientAuthMethod::NAMES) {
            assert_eq!(m.as_str(), name);
            assert_eq!(name.parse::<ClientAuthMethod>().unwrap(), *m);
            assert_eq!(serde_json::to_value(m).unwrap(), name);
        }
    }
}
