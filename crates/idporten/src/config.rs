//! The relying party's configuration: which provider, which client, how it authenticates, what it asks for.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::{ClientAuthMethod, ClientId, ClientSecret, Error, Issuer, RedirectUri};

/// The two ID-porten environments. Any other provider (the simulator, a test provider) is given by its
/// [`Issuer`] directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// The test environment ("Ver 2" in Samarbeidsportalen): `https://test.idporten.no`.
    Test,
    /// Production: `https://idporten.no`.
    Prod,
}

impl Environment {
    /// The issuer of the environment, exactly as ID-porten writes it (no trailing slash).
    ///
    /// ```
    /// use idporten::Environment;
    /// assert_eq!(Environment::Test.issuer().as_str(), "https://test.idporten.no");
    /// ```
    pub fn issuer(self) -> Issuer {
        let text = match self {
            Self::Test => "https://test.idporten.no",
            Self::Prod => "https://idporten.no",
        };
        Issuer::parse(text).expect("the environments' issuers are valid")
    }
}

/// The security level of a login (`acr`). ID-porten's order, written out once: `High` satisfies `Substantial`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum AcrLevel {
    /// `idporten-loa-substantial` (legacy `Level3`): MinID, BankID, Buypass, Commfides.
    Substantial,
    /// `idporten-loa-high` (legacy `Level4`): BankID, Buypass, Commfides.
    High,
}

impl AcrLevel {
    /// Parses the current names and the legacy `Level3` / `Level4`.
    ///
    /// ```
    /// use idporten::AcrLevel;
    /// assert_eq!(AcrLevel::parse("Level4").unwrap(), AcrLevel::High);
    /// assert!(AcrLevel::High >= AcrLevel::parse("idporten-loa-substantial").unwrap());
    /// assert!(AcrLevel::parse("idporten-loa-low").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text {
            "idporten-loa-substantial" | "Level3" => Ok(Self::Substantial),
            "idporten-loa-high" | "Level4" => Ok(Self::High),
            other => Err(Error::InvalidConfig {
                setting: "acr".into(),
                reason: format!(
                    "{other:?} is not a level this client accepts; use idporten-loa-substantial or idporten-loa-high"
                ),
            }),
        }
    }

    /// The name sent in `acr_values`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Substantial => "idporten-loa-substantial",
            Self::High => "idporten-loa-high",
        }
    }

    /// Whether a login at this level satisfies a request for `asked`.
    pub fn satisfies(self, asked: AcrLevel) -> bool {
        self >= asked
    }
}

impl fmt::Display for AcrLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for AcrLevel {
    type Error = Error;
    fn try_from(value: String) -> Result<Self, Error> {
        Self::parse(&value)
    }
}

impl From<AcrLevel> for String {
    fn from(value: AcrLevel) -> Self {
        value.as_str().into()
    }
}

/// The language of ID-porten's pages (`ui_locales`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UiLocale {
    /// Norwegian bokmål (ID-porten's default).
    #[default]
    Nb,
    /// Norwegian nynorsk.
    Nn,
    /// English.
    En,
    /// Northern Sami.
    Se,
}

impl UiLocale {
    /// Parses `nb`, `nn`, `en` or `se`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text {
            "nb" => Ok(Self::Nb),
            "nn" => Ok(Self::Nn),
            "en" => Ok(Self::En),
            "se" => Ok(Self::Se),
            other => Err(Error::InvalidConfig {
                setting: "locale".into(),
                reason: format!("{other:?} is not a language of ID-porten; use nb, nn, en or se"),
            }),
        }
    }

    /// The value sent in `ui_locales`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nb => "nb",
            Self::Nn => "nn",
            Self::En => "en",
            Self::Se => "se",
        }
    }
}

/// A PEM-encoded RSA private key (PKCS#1 or PKCS#8) for `private_key_jwt`. Prints as `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKeyPem(String);

impl PrivateKeyPem {
    /// Wraps the PEM text.
    pub fn new(pem: impl Into<String>) -> Self {
        Self(pem.into())
    }
    /// The PEM text. Never log it.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PrivateKeyPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKeyPem([redacted])")
    }
}

/// How the client authenticates at the token, PAR and revocation endpoints, with what it needs to (the secret, the
/// key); [`ClientAuth::method`] names the [`ClientAuthMethod`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// A public client: only `client_id` in the body.
    None,
    /// HTTP Basic with the form-urlencoded id and secret (RFC 6749 2.3.1).
    ClientSecretBasic(ClientSecret),
    /// `client_id` and `client_secret` in the body.
    ClientSecretPost(ClientSecret),
    /// A client assertion JWT signed RS256 with the client's key (RFC 7523).
    PrivateKeyJwt {
        /// The RSA private key.
        key_pem: PrivateKeyPem,
        /// The key's id as registered (`kid` of the assertion's header).
        kid: String,
    },
}

impl ClientAuth {
    /// The method (its name in OAuth metadata is its `Display`).
    pub fn method(&self) -> ClientAuthMethod {
        match self {
            Self::None => ClientAuthMethod::None,
            Self::ClientSecretBasic(_) => ClientAuthMethod::ClientSecretBasic,
            Self::ClientSecretPost(_) => ClientAuthMethod::ClientSecretPost,
            Self::PrivateKeyJwt { .. } => ClientAuthMethod::PrivateKeyJwt,
        }
    }
}

/// Everything the relying party needs to know about itself and its provider.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The provider.
    pub issuer: Issuer,
    /// The integration's client id.
    pub client_id: ClientId,
    /// How the client authenticates.
    pub client_auth: ClientAuth,
    /// The registered redirect URI where the loopback listener waits.
    pub redirect_uri: RedirectUri,
    /// The registered post-logout redirect URI, if any.
    pub post_logout_redirect_uri: Option<RedirectUri>,
    /// The scopes asked for (space-joined in `scope`).
    pub scopes: Vec<String>,
    /// The security level asked for, and the minimum accepted.
    pub acr: AcrLevel,
    /// The language of ID-porten's pages.
    pub ui_locale: UiLocale,
    /// Force a fresh login even when a single sign-on session exists (`prompt=login`).
    pub prompt_login: bool,
    /// Use pushed authorization requests (RFC 9126) when the provider offers them.
    pub use_par: bool,
    /// The clock skew allowed when checking `exp` and `iat`, seconds (at most 60 are accepted; default 60).
    pub max_clock_skew_secs: i64,
}

impl ClientConfig {
    /// A configuration with the defaults: public client, the VAT scopes, `idporten-loa-substantial`, bokmål pages,
    /// no forced login, no PAR.
    ///
    /// ```
    /// use idporten::{ClientConfig, ClientId, Environment, RedirectUri};
    /// let config = ClientConfig::new(
    ///     Environment::Test.issuer(),
    ///     ClientId::new(idporten::SHARED_TEST_CLIENT_ID),
    ///     RedirectUri::parse(idporten::SHARED_TEST_REDIRECT_URI).unwrap(),
    /// );
    /// assert_eq!(config.scope(), "openid skatteetaten:mvameldingvalidering skatteetaten:mvameldinginnsending");
    /// ```
    pub fn new(issuer: Issuer, client_id: ClientId, redirect_uri: RedirectUri) -> Self {
        Self {
            issuer,
            client_id,
            client_auth: ClientAuth::None,
            redirect_uri,
            post_logout_redirect_uri: None,
            scopes: crate::integration::VAT_SCOPES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            acr: AcrLevel::Substantial,
            ui_locale: UiLocale::default(),
            prompt_login: false,
            use_par: false,
            max_clock_skew_secs: 60,
        }
    }

    /// The `scope` parameter: the scopes joined by spaces.
    pub fn scope(&self) -> String {
        self.scopes.join(" ")
    }

    /// Checks the settings that can be checked without the provider: `openid` in the scopes, a skew of 0-60 s.
    pub fn check(&self) -> Result<(), Error> {
        if !self.scopes.iter().any(|s| s == "openid") {
            return Err(Error::InvalidConfig {
                setting: "scopes".into(),
                reason: "the scopes must include openid".into(),
            });
        }
        if !(0..=60).contains(&self.max_clock_skew_secs) {
            return Err(Error::InvalidConfig {
                setting: "max_clock_skew_secs".into(),
                reason: format!("{} is outside 0..=60 seconds", self.max_clock_skew_secs),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acr_order_and_names() {
        assert!(AcrLevel::High.satisfies(AcrLevel::Substantial));
        assert!(!AcrLevel::Substantial.satisfies(AcrLevel::High));
        assert_eq!(AcrLevel::parse("Level3").unwrap(), AcrLevel::Substantial);
        assert_eq!(AcrLevel::High.as_str(), "idporten-loa-high");
        let e = AcrLevel::parse("eidas-loa-high").unwrap_err().to_string();
        assert!(e.contains("eidas-loa-high"), "{e}");
    }

    #[test]
    fn environments() {
        assert_eq!(Environment::Prod.issuer().as_str(), "https://idporten.no");
    }

    #[test]
    fn check_refuses_missing_openid_and_big_skew() {
        let mut c = ClientConfig::new(
            Environment::Test.issuer(),
            ClientId::new("c"),
            RedirectUri::parse("http://localhost:1/cb").unwrap(),
        );
        assert!(c.check().is_ok());
        c.max_clock_skew_secs = 61;
        assert!(matches!(c.check(), Err(Error::InvalidConfig { .. })));
        c.max_clock_skew_secs = 60;
        c.scopes = vec!["profile".into()];
        assert!(matches!(c.check(), Err(Error::InvalidConfig { .. })));
    }

    #[test]
    fn private_key_is_redacted() {
        let auth = ClientAuth::PrivateKeyJwt {
            key_pem: PrivateKeyPem::new("-----BEGIN PRIVATE KEY-----abc"),
            kid: "k1".into(),
        };
        assert!(!format!("{auth:?}").contains("abc"));
    }
}
