//! The two URL-valued protocol values: the provider's [`Issuer`] and the client's [`RedirectUri`].

use serde::{Deserialize, Serialize};
use std::fmt;
use url::Url;

use crate::Error;

/// Whether a host is a loopback name or address (`localhost`, `127.0.0.0/8`, `::1`).
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// An OpenID provider's issuer identifier, kept exactly as configured (ID-porten's has no trailing slash, and the
/// discovered issuer must equal it character for character). `https` is required; plain `http` only for loopback
/// issuers (tests and the simulator).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Issuer(String);

impl Issuer {
    /// Parses and checks an issuer URL.
    ///
    /// ```
    /// use idporten::Issuer;
    /// assert!(Issuer::parse("https://test.idporten.no").is_ok());
    /// assert!(Issuer::parse("http://127.0.0.1:8080").is_ok());
    /// assert!(Issuer::parse("http://idporten.example").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::InvalidIssuer {
            issuer: text.to_string(),
            reason: reason.to_string(),
        };
        let url = Url::parse(text).map_err(|e| bad(&e.to_string()))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback_host(&url) => {}
            "http" => {
                return Err(bad(
                    "plain http is accepted only for loopback issuers; use https",
                ))
            }
            _ => return Err(bad("the scheme must be https")),
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("an issuer has no query or fragment"));
        }
        Ok(Self(text.to_string()))
    }

    /// The issuer exactly as configured.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL of the discovery document (`/.well-known/openid-configuration` appended to the issuer's path).
    pub fn discovery_url(&self) -> Url {
        let base = self.0.trim_end_matches('/');
        Url::parse(&format!("{base}/.well-known/openid-configuration")).expect("issuer was checked")
    }
}

impl TryFrom<String> for Issuer {
    type Error = Error;
    fn try_from(value: String) -> Result<Self, Error> {
        Self::parse(&value)
    }
}

impl From<Issuer> for String {
    fn from(value: Issuer) -> Self {
        value.0
    }
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Issuer({:?})", self.0)
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A redirect URI as registered for the client (Gyldig(e) redirect uri-er). For a desktop login it is a loopback
/// `http` URI with an explicit port, where our listener waits for the callback.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RedirectUri(Url);

impl RedirectUri {
    /// Parses a redirect URI: `https`, or `http` on a loopback host; no fragment.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::InvalidRedirectUri {
            uri: text.to_string(),
            reason: reason.to_string(),
        };
        let url = Url::parse(text).map_err(|e| bad(&e.to_string()))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback_host(&url) => {}
            "http" => {
                return Err(bad(
                    "plain http is allowed only for localhost / 127.0.0.1 / [::1]",
                ))
            }
            _ => return Err(bad("the scheme must be http (loopback) or https")),
        }
        if url.fragment().is_some() {
            return Err(bad("a redirect URI has no fragment"));
        }
        Ok(Self(url))
    }

    /// The URI as a parsed URL.
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// The URI as text, exactly as sent in `redirect_uri`.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether the URI points at this machine (a loopback listener can serve it).
    pub fn is_loopback(&self) -> bool {
        self.0.scheme() == "http" && is_loopback_host(&self.0)
    }
}

impl TryFrom<String> for RedirectUri {
    type Error = Error;
    fn try_from(value: String) -> Result<Self, Error> {
        Self::parse(&value)
    }
}

impl From<RedirectUri> for String {
    fn from(value: RedirectUri) -> Self {
        value.0.into()
    }
}

impl fmt::Debug for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedirectUri({:?})", self.0.as_str())
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_is_kept_exactly() {
        let i = Issuer::parse("https://oidc-ver2.difi.no/idporten-oidc-provider/").unwrap();
        assert_eq!(
            i.as_str(),
            "https://oidc-ver2.difi.no/idporten-oidc-provider/"
        );
        assert_eq!(
            i.discovery_url().as_str(),
            "https://oidc-ver2.difi.no/idporten-oidc-provider/.well-known/openid-configuration"
        );
    }

    #[test]
    fn bad_issuers_are_refused_with_a_reason() {
        let e = Issuer::parse("http://example.com").unwrap_err().to_string();
        assert!(e.contains("only for loopback"), "{e}");
        assert!(Issuer::parse("not a url").is_err());
        assert!(Issuer::parse("https://x.no?a=b").is_err());
    }

    #[test]
    fn redirect_uris() {
        assert!(RedirectUri::parse("http://localhost:12345/token")
            .unwrap()
            .is_loopback());
        assert!(RedirectUri::parse("http://[::1]:8988/cb")
            .unwrap()
            .is_loopback());
        assert!(RedirectUri::parse("http://example.com/cb").is_err());
        assert!(!RedirectUri::parse("https://app.example/cb")
            .unwrap()
            .is_loopback());
    }
}
