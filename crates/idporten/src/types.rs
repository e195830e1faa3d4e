//! Newtypes for the protocol values that must not be mixed up.
//!
//! Public values (client id, state, issuer) print as themselves; secrets (tokens, verifier, client secret) print as
//! `[redacted]` in `Debug` and are reached only through an explicit `secret()`.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! public_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

macro_rules! secret_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }
            /// The secret itself. Never log it.
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}([redacted])", stringify!($name))
            }
        }
    };
}

public_value!(
    /// The `client_id` of an integration (Integrasjonens identifikator).
    ClientId
);
public_value!(
    /// The `state` of an authorization or end-session request (CSRF protection), random per request.
    State
);
public_value!(
    /// The `nonce` of an authorization request, bound into the ID token, random per request.
    Nonce
);
public_value!(
    /// The PKCE `code_challenge` (S256, base64url without padding).
    PkceChallenge
);
public_value!(
    /// The `jti` of a token (unique id).
    TokenId
);
secret_value!(
    /// The PKCE `code_verifier` (43 to 128 characters).
    PkceVerifier
);
secret_value!(
    /// A client secret (for `client_secret_basic` and `client_secret_post`).
    ClientSecret
);
secret_value!(
    /// The authorization code from the callback.
    AuthorizationCode
);
secret_value!(
    /// An access token (bearer).
    AccessToken
);
secret_value!(
    /// A refresh token.
    RefreshToken
);
secret_value!(
    /// A raw, signed ID token (JWS compact form).
    IdToken
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug() {
        let t = AccessToken::new("eyJsecret");
        assert_eq!(format!("{t:?}"), "AccessToken([redacted])");
        assert_eq!(t.secret(), "eyJsecret");
        assert_eq!(format!("{:?}", State::new("abc")), "State(\"abc\")");
    }
}
