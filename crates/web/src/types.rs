//! Newtypes for the values a session holds. Secrets print as `[redacted]` in `Debug` and are reached only
//! through an explicit `secret()`; public values print as themselves.

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
    /// ID-porten's session id (`sid` claim of the ID token, `sid` of a front-channel or back-channel logout).
    /// Every session of one ID-porten login shares it, so logout finds the sessions by it.
    Sid
);
public_value!(
    /// The `acr` (level of assurance) the user logged in with, e.g. `idporten-loa-high`.
    Acr
);
/// The user's national identity number (`pid` claim): the `idporten` crate's type, masked in `Display` and `Debug`.
pub use idporten::Pid;
secret_value!(
    /// An access token (bearer).
    AccessToken
);
secret_value!(
    /// A refresh token (one-time or reusable).
    RefreshToken
);
secret_value!(
    /// A raw, signed ID token (JWS compact form), kept as `id_token_hint` for logout.
    IdToken
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug() {
        assert_eq!(
            format!("{:?}", AccessToken::new("eyJsecret")),
            "AccessToken([redacted])"
        );
        assert_eq!(format!("{:?}", Pid::new("01017012345")), "Pid(010170*****)");
        assert_eq!(format!("{:?}", Sid::new("abc")), "Sid(\"abc\")");
    }
}
