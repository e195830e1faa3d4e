//! An integration as registered in Samarbeidsportalen, read from a TOML file.
//!
//! The same file format serves two readers: `mva integration check` (which checks the settings against the rules
//! of ID-porten and the Tax Administration, see [`crate::integration_check`]) and `mva sim` (which registers the
//! integrations as its clients). Each field carries the Norwegian label it has in Samarbeidsportalen, so a user can
//! copy the settings field by field.
//!
//! ```toml
//! [[integration]]
//! difi_tjeneste = "API-klient"                       # Difi-tjeneste
//! client_id = "8d1bd2a5-3bd0-4f5b-9c5a-2c3f4e0f6a11" # Integrasjonens identifikator
//! name = "Regnskap AS desktop"                       # Navn på integrasjonen
//! organisation_number = "310000001"                  # Kundens org.nr.
//! scopes = ["openid", "skatteetaten:mvameldingvalidering", "skatteetaten:mvameldinginnsending"]
//! grant_types = ["authorization_code"]               # Tillatte grant types
//! client_authentication = "none"                     # Klientautentiseringsmetode
//! application_type = "native"                        # Applikasjonstype
//! redirect_uris = ["http://localhost:8988/auth/loginsuccess"]           # Gyldig(e) redirect uri-er
//! post_logout_redirect_uris = ["http://localhost:8988/auth/logoutsuccess"]
//! back_uri = "http://localhost:8988/auth/logincancelled"               # Tilbake-uri
//! environment = "test"
//! refresh_token_type = "one-time"                    # Refresh token type: one-time (Engangs) or reusable (Gjenbrukbart)
//! [integration.lifetimes]                            # Levetider, in seconds
//! authorization = 7200
//! access_token = 120
//! refresh_token = 600
//! ```

pub use crate::auth_method::ClientAuthMethod;
use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::Error;

/// The scope every VAT integration must hold and request.
pub const VAT_SCOPES: [&str; 3] = [
    "openid",
    "skatteetaten:mvameldingvalidering",
    "skatteetaten:mvameldinginnsending",
];

/// The Tax Administration's cap on the lifetime of its scopes: 8 hours.
pub const VAT_SCOPE_MAX_LIFETIME_SECS: u64 = 8 * 3600;

/// A file of integrations (`[[integration]]` tables). Other tables in the file (the simulator's persons, say) are
/// ignored here.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IntegrationFile {
    /// The registered integrations.
    #[serde(default, rename = "integration")]
    pub integrations: Vec<Integration>,
}

impl IntegrationFile {
    /// Parses the TOML text of an integration file.
    pub fn parse(text: &str) -> Result<Self, Error> {
        toml::from_str(text).map_err(|e| Error::IntegrationFile {
            path: "<text>".into(),
            reason: e.to_string(),
        })
    }

    /// Reads and parses an integration file.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::IntegrationFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        toml::from_str(&text).map_err(|e| Error::IntegrationFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
    }
}

/// One integration (a "Difi-tjeneste" of type API-klient) as registered in Samarbeidsportalen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Integration {
    /// Difi-tjeneste: `API-klient` for VAT software.
    #[serde(default = "default_difi_tjeneste")]
    pub difi_tjeneste: String,
    /// Integrasjonens identifikator: the `client_id`, a GUID.
    pub client_id: String,
    /// Navn på integrasjonen.
    #[serde(default)]
    pub name: String,
    /// Beskrivelse.
    #[serde(default)]
    pub description: String,
    /// Kundens org.nr.: the organisation that owns the integration (9 digits, mod-11 check digit).
    #[serde(default)]
    pub organisation_number: String,
    /// Scopes granted to the integration.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Tillatte grant types: `authorization_code`, optionally `refresh_token`.
    #[serde(default = "default_grant_types")]
    pub grant_types: Vec<String>,
    /// Klientautentiseringsmetode.
    #[serde(default)]
    pub client_authentication: ClientAuthMethod,
    /// Applikasjonstype.
    #[serde(default)]
    pub application_type: ApplicationType,
    /// Gyldig(e) redirect uri-er.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Gyldig(e) post logout redirect uri-er.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Frontchannel logout uri.
    #[serde(default)]
    pub frontchannel_logout_uri: Option<String>,
    /// Frontchannel logout krever sesjons-id (also: the ID token carries `sid`).
    #[serde(default)]
    pub frontchannel_logout_session_required: bool,
    /// Tilbake-uri: where a cancelled login lands (exactly one).
    #[serde(default)]
    pub back_uri: Option<String>,
    /// The environment the integration is registered in: `test` (Ver 2) or `prod`.
    #[serde(default = "default_environment")]
    pub environment: String,
    /// Levetider.
    #[serde(default)]
    pub lifetimes: Lifetimes,
    /// Refresh token type: one-time (Engangs) or reusable (Gjenbrukbart).
    #[serde(default)]
    pub refresh_token_type: RefreshTokenType,
    /// Not a Samarbeidsportalen field shown to users: the client secret, for `client_secret_basic`/`_post`.
    /// The simulator needs it to check the client; keep real secrets out of files you share.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// For `private_key_jwt`: the client's public key(s) as a JWKS JSON text or a path to a PEM public key
    /// (`-----BEGIN PUBLIC KEY-----`). The simulator verifies client assertions with it.
    #[serde(default)]
    pub client_public_key: Option<String>,
}

fn default_difi_tjeneste() -> String {
    "API-klient".into()
}
fn default_grant_types() -> Vec<String> {
    vec!["authorization_code".into()]
}
fn default_environment() -> String {
    "test".into()
}

/// Applikasjonstype: `native` and `browser` are public clients, `web` is private (confidential).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationType {
    /// An application installed on the user's computer.
    #[default]
    Native,
    /// A single-page application in the browser.
    Browser,
    /// A server-side web application that can keep secrets.
    Web,
}

impl ApplicationType {
    /// Whether ID-porten treats the type as public (no secret can be kept).
    pub fn is_public(self) -> bool {
        !matches!(self, Self::Web)
    }
}

/// Refresh token type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefreshTokenType {
    /// Engangs: each refresh returns a new refresh token and kills the old one.
    #[default]
    #[serde(alias = "engangs", alias = "ONE_TIME")]
    OneTime,
    /// Gjenbrukbart: the same refresh token until it expires.
    #[serde(alias = "gjenbrukbart", alias = "REUSABLE")]
    Reusable,
}

/// Levetider, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lifetimes {
    /// Autorisasjonens levetid: the total lifetime of the grant.
    #[serde(default = "default_authorization")]
    pub authorization: u64,
    /// Access tokenets levetid.
    #[serde(default = "default_access_token")]
    pub access_token: u64,
    /// Refresh tokenets levetid (idle).
    #[serde(default = "default_refresh_token")]
    pub refresh_token: u64,
}

fn default_authorization() -> u64 {
    7200
}
fn default_access_token() -> u64 {
    120
}
fn default_refresh_token() -> u64 {
    600
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            authorization: default_authorization(),
            access_token: default_access_token(),
            refresh_token: default_refresh_token(),
        }
    }
}

impl Integration {
    /// Whether the integration may use refresh tokens.
    pub fn allows_refresh(&self) -> bool {
        self.grant_types.iter().any(|g| g == "refresh_token")
    }

    /// The Tax Administration's shared test client: public, redirect `http://localhost:12345/token`.
    pub fn skatteetaten_shared_test_client() -> Self {
        Self {
            difi_tjeneste: default_difi_tjeneste(),
            client_id: crate::SHARED_TEST_CLIENT_ID.into(),
            name: "Skatteetaten shared test client".into(),
            description: "The Tax Administration's integration for vendors without their own"
                .into(),
            organisation_number: "974761076".into(),
            scopes: VAT_SCOPES.iter().map(|s| s.to_string()).collect(),
            grant_types: default_grant_types(),
            client_authentication: ClientAuthMethod::None,
            application_type: ApplicationType::Native,
            redirect_uris: vec![crate::SHARED_TEST_REDIRECT_URI.into()],
            post_logout_redirect_uris: vec![],
            frontchannel_logout_uri: None,
            frontchannel_logout_session_required: false,
            back_uri: None,
            environment: default_environment(),
            lifetimes: Lifetimes::default(),
            refresh_token_type: RefreshTokenType::OneTime,
            client_secret: None,
            client_public_key: None,
        }
    }

    /// The example integration of the Tax Administration's guide, listening on `http://localhost:8988`.
    pub fn guide_example(client_id: &str) -> Self {
        Self {
            client_id: client_id.into(),
            name: "Example integration (the guide's)".into(),
            description: "Native, public, localhost:8988".into(),
            redirect_uris: vec!["http://localhost:8988/auth/loginsuccess".into()],
            post_logout_redirect_uris: vec!["http://localhost:8988/auth/logoutsuccess".into()],
            back_uri: Some("http://localhost:8988/auth/logincancelled".into()),
            ..Self::skatteetaten_shared_test_client()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let text = include_str!("integration.rs")
            .lines()
            .skip_while(|l| !l.contains("```toml"))
            .skip(1)
            .take_while(|l| !l.contains("```"))
            .map(|l| l.trim_start_matches("//!").trim_start_matches(' '))
            .collect::<Vec<_>>()
            .join("\n");
        let file = IntegrationFile::parse(&text).unwrap();
        let i = &file.integrations[0];
        assert_eq!(i.client_authentication, ClientAuthMethod::None);
        assert_eq!(i.application_type, ApplicationType::Native);
        assert_eq!(i.lifetimes.access_token, 120);
        assert_eq!(i.refresh_token_type, RefreshTokenType::OneTime);
        assert_eq!(i.scopes.len(), 3);
    }

    #[test]
    fn unknown_keys_are_refused_with_the_key_named() {
        let err =
            IntegrationFile::parse("[[integration]]\nclient_id = \"x\"\nredirect_uri = \"y\"\n")
                .unwrap_err();
        assert!(err.to_string().contains("redirect_uri"), "{err}");
    }
}
