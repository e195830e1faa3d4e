//! The simulator's registered clients: the built-in ones and those from `[[integration]]` tables.

use idporten::integration::{ApplicationType, ClientAuthMethod, Integration, RefreshTokenType};
use idporten::integration_check::{check_login_rules, Severity};
use jsonwebtoken::DecodingKey;
use std::collections::HashMap;
use std::sync::Arc;
use url::Url;

use crate::Error;

pub use idporten::{SHARED_TEST_CLIENT_ID, SHARED_TEST_REDIRECT_URI};

/// The client_id of the built-in copy of the guide's example integration (native, public,
/// `http://localhost:8988/auth/loginsuccess`, back URI `/auth/logincancelled`, post-logout `/auth/logoutsuccess`).
pub const GUIDE_EXAMPLE_CLIENT_ID: &str = "5b1d9e62-2f5f-4d35-8f0e-6a1f3c2b7e44";

/// The client_id of the built-in client for tests of refresh: web (confidential, as ID-porten requires for refresh
/// tokens), `client_secret_basic` with [`REFRESH_TEST_CLIENT_SECRET`], grant types authorization_code and
/// refresh_token, one-time refresh tokens, redirect URIs `http://127.0.0.1:0/callback` (any port) and
/// `http://localhost:12345/token`.
pub const REFRESH_TEST_CLIENT_ID: &str = "mva-sim-refresh-client";

/// The client secret of [`REFRESH_TEST_CLIENT_ID`] (a published test value: the simulator is for tests only).
pub const REFRESH_TEST_CLIENT_SECRET: &str = "mva-sim-refresh-client-secret";

/// The client_id of the built-in public desktop client for tests on any loopback port: native, no client
/// authentication, authorization_code only (no refresh tokens, as for every public client of ID-porten), redirect
/// URIs `http://127.0.0.1:0/callback` (any port) and `http://localhost:12345/token`.
pub const LOOPBACK_TEST_CLIENT_ID: &str = "mva-sim-loopback-client";

/// The scope a client needs to call `/introspect`.
pub const INTROSPECTION_SCOPE: &str = "idporten:tokeninfo";

/// The four built-in integrations: the Tax Administration's shared test client, the guide's example, the refresh
/// test client (web) and the loopback test client (native, public).
pub fn built_in_integrations() -> Vec<Integration> {
    let loopback = Integration {
        client_id: LOOPBACK_TEST_CLIENT_ID.into(),
        name: "mva-sim loopback test client".into(),
        description:
            "Built into the simulator for tests: public, native, any loopback port, no refresh"
                .into(),
        redirect_uris: vec![
            "http://127.0.0.1:0/callback".into(),
            SHARED_TEST_REDIRECT_URI.into(),
        ],
        ..Integration::skatteetaten_shared_test_client()
    };
    let refresh = Integration {
        client_id: REFRESH_TEST_CLIENT_ID.into(),
        name: "mva-sim refresh test client".into(),
        description:
            "Built into the simulator for tests of refresh: web, client_secret_basic, one-time refresh tokens"
                .into(),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        refresh_token_type: RefreshTokenType::OneTime,
        application_type: ApplicationType::Web,
        client_authentication: ClientAuthMethod::ClientSecretBasic,
        client_secret: Some(REFRESH_TEST_CLIENT_SECRET.into()),
        ..loopback.clone()
    };
    vec![
        Integration::skatteetaten_shared_test_client(),
        Integration::guide_example(GUIDE_EXAMPLE_CLIENT_ID),
        refresh,
        loopback,
    ]
}

/// A registered client: the integration with its redirect URIs parsed and its public keys loaded.
pub struct Client {
    /// The integration as configured.
    pub integration: Integration,
    keys: Vec<(Option<String>, DecodingKey)>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("client_id", &self.integration.client_id)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Registers an integration, checking what the simulator needs from it and every rule of
    /// [`idporten::integration_check::check_login_rules`] (the rules `mva integration check` applies to grant types,
    /// client type, URIs and lifetimes): refresh tokens only for web clients that authenticate, as in ID-porten.
    pub fn register(integration: Integration) -> Result<Self, Error> {
        let bad = |reason: String| Error::InvalidIntegration {
            client_id: integration.client_id.clone(),
            reason,
        };
        if integration.client_id.trim().is_empty() {
            return Err(bad("client_id is empty".into()));
        }
        for uri in integration
            .redirect_uris
            .iter()
            .chain(&integration.post_logout_redirect_uris)
        {
            idporten::RedirectUri::parse(uri).map_err(|e| bad(e.to_string()))?;
        }
        let broken: Vec<String> = check_login_rules(&integration)
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.to_string())
            .collect();
        if !broken.is_empty() {
            return Err(bad(format!(
                "ID-porten would refuse this registration (the rules of `mva integration check`): {}",
                broken.join(" | ")
            )));
        }
        let method = integration.client_authentication;
        if matches!(
            method,
            ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost
        ) && integration
            .client_secret
            .as_deref()
            .unwrap_or("")
            .is_empty()
        {
            return Err(bad(format!(
                "client_authentication is {} but client_secret is not set",
                method.as_str()
            )));
        }
        let keys =
            match (&integration.client_public_key, method) {
                (Some(text), _) => load_keys(text).map_err(bad)?,
                (None, ClientAuthMethod::PrivateKeyJwt) => return Err(bad(
                    "client_authentication is private_key_jwt but client_public_key is not set \
                                (a JWKS JSON text or the path of a PEM public key)"
                        .into(),
                )),
                (None, _) => vec![],
            };
        Ok(Self { integration, keys })
    }

    /// The client_id.
    pub fn id(&self) -> &str {
        &self.integration.client_id
    }

    /// Whether `uri` is one of the registered redirect URIs, exactly; a registered `http://127.0.0.1:0/...` matches
    /// the same URI with any port (RFC 8252 7.3).
    pub fn accepts_redirect_uri(&self, uri: &str) -> bool {
        self.integration
            .redirect_uris
            .iter()
            .any(|r| redirect_matches(r, uri))
    }

    /// Whether `uri` is a registered post-logout redirect URI: exactly, or, like a redirect URI, any port for a
    /// registered `http://127.0.0.1:0/...` (a desktop client's loopback listener).
    pub fn accepts_post_logout_uri(&self, uri: &str) -> bool {
        self.integration
            .post_logout_redirect_uris
            .iter()
            .any(|r| redirect_matches(r, uri))
    }

    /// The client's keys for `private_key_jwt` with this `kid`. Keys loaded from PEM have no kid and match any.
    pub fn keys_for(&self, kid: &str) -> Vec<&DecodingKey> {
        self.keys
            .iter()
            .filter(|(k, _)| k.as_deref().is_none_or(|k| k == kid))
            .map(|(_, d)| d)
            .collect()
    }

    /// Whether the integration is granted `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.integration.scopes.iter().any(|s| s == scope)
    }
}

fn redirect_matches(registered: &str, given: &str) -> bool {
    if registered == given {
        return true;
    }
    let (Ok(reg), Ok(mut got)) = (Url::parse(registered), Url::parse(given)) else {
        return false;
    };
    let any_port =
        reg.scheme() == "http" && reg.host_str() == Some("127.0.0.1") && reg.port() == Some(0);
    if !any_port || got.host_str() != Some("127.0.0.1") || got.port().is_none() {
        return false;
    }
    got.set_port(Some(0)).is_ok()
        && got.as_str() == reg.as_str()
        && given.starts_with("http://127.0.0.1:")
}

fn load_keys(text: &str) -> Result<Vec<(Option<String>, DecodingKey)>, String> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        let jwks: serde_json::Value = serde_json::from_str(trimmed)
            .map_err(|e| format!("client_public_key is not JSON: {e}"))?;
        let list = jwks["keys"]
            .as_array()
            .ok_or("client_public_key JSON has no \"keys\" array (JWKS)")?;
        let mut keys = vec![];
        for k in list {
            let (Some("RSA"), Some(n), Some(e)) =
                (k["kty"].as_str(), k["n"].as_str(), k["e"].as_str())
            else {
                return Err("client_public_key: every key must be kty RSA with n and e".into());
            };
            let kid = k["kid"]
                .as_str()
                .ok_or("client_public_key: every key needs a kid")?;
            let key = DecodingKey::from_rsa_components(n, e)
                .map_err(|e| format!("client_public_key: {e}"))?;
            keys.push((Some(kid.to_string()), key));
        }
        Ok(keys)
    } else {
        let pem =
            std::fs::read(trimmed).map_err(|e| format!("client_public_key file {trimmed}: {e}"))?;
        let key = DecodingKey::from_rsa_pem(&pem).map_err(|e| {
            format!("client_public_key file {trimmed} is not an RSA public key in PEM: {e}")
        })?;
        Ok(vec![(None, key)])
    }
}

/// The registered clients by client_id.
#[derive(Debug, Default)]
pub struct ClientRegistry {
    clients: HashMap<String, Arc<Client>>,
}

impl ClientRegistry {
    /// Registers every integration.
    pub fn new(integrations: &[Integration]) -> Result<Self, Error> {
        let mut clients = HashMap::new();
        for i in integrations {
            clients.insert(i.client_id.clone(), Arc::new(Client::register(i.clone())?));
        }
        Ok(Self { clients })
    }

    /// The client with this client_id.
    pub fn get(&self, client_id: &str) -> Option<Arc<Client>> {
        self.clients.get(client_id).cloned()
    }

    /// The web origins (`scheme://host[:port]`) of the redirect URIs of every `browser` client: the only origins
    /// the simulator answers CORS requests from.
    pub fn browser_origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = self
            .clients
            .values()
            .filter(|c| c.integration.application_type == ApplicationType::Browser)
            .flat_map(|c| c.integration.redirect_uris.iter())
            .filter_map(|u| Url::parse(u).ok())
            .map(|u| u.origin().ascii_serialization())
            .filter(|o| o != "null")
            .collect();
        origins.sort();
        origins.dedup();
        origins
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_port_zero_matches_any_port() {
        let r = "http://127.0.0.1:0/callback";
        assert!(redirect_matches(r, "http://127.0.0.1:53111/callback"));
        assert!(!redirect_matches(r, "http://127.0.0.1:53111/callback/x"));
        assert!(!redirect_matches(r, "http://localhost:53111/callback"));
        assert!(!redirect_matches(r, "http://127.0.0.1/callback"));
        assert!(!redirect_matches(
            "http://localhost:8988/cb",
            "http://localhost:8989/cb"
        ));
        assert!(redirect_matches(
            "http://localhost:8988/cb",
            "http://localhost:8988/cb"
        ));
    }

    #[test]
    fn secret_methods_need_a_secret() {
        let mut i = Integration::guide_example("x");
        i.client_authentication = ClientAuthMethod::ClientSecretPost;
        assert!(Client::register(i)
            .unwrap_err()
            .to_string()
            .contains("client_secret is not set"));
    }
}
