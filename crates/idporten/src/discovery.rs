//! Discovery (OpenID Connect Discovery 1.0): the provider's endpoints, fetched from
//! `<issuer>/.well-known/openid-configuration`, checked, and cached on disk for 24 hours.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use url::Url;

use crate::http::Http;
use crate::{is_loopback_host, Error, Issuer};

/// How long a discovery document is reused from the disk cache.
pub const DISCOVERY_CACHE_SECS: i64 = 24 * 3600;

/// The provider metadata ID-porten advertises. Unknown fields are ignored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderMetadata {
    /// The issuer; must equal the configured one exactly.
    pub issuer: String,
    /// Where the browser is sent to log in.
    pub authorization_endpoint: Url,
    /// Where codes and refresh tokens are exchanged.
    pub token_endpoint: Url,
    /// The provider's signing keys.
    pub jwks_uri: Url,
    /// The userinfo endpoint.
    #[serde(default)]
    pub userinfo_endpoint: Option<Url>,
    /// The end-session (logout) endpoint.
    #[serde(default)]
    pub end_session_endpoint: Option<Url>,
    /// The token revocation endpoint (RFC 7009).
    #[serde(default)]
    pub revocation_endpoint: Option<Url>,
    /// The token introspection endpoint (RFC 7662).
    #[serde(default)]
    pub introspection_endpoint: Option<Url>,
    /// The pushed authorization request endpoint (RFC 9126).
    #[serde(default)]
    pub pushed_authorization_request_endpoint: Option<Url>,
    /// Whether the provider accepts only pushed authorization requests.
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// `response_types_supported`.
    #[serde(default)]
    pub response_types_supported: Vec<String>,
    /// `response_modes_supported`.
    #[serde(default)]
    pub response_modes_supported: Vec<String>,
    /// `grant_types_supported`.
    #[serde(default)]
    pub grant_types_supported: Vec<String>,
    /// `token_endpoint_auth_methods_supported`.
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// `code_challenge_methods_supported` (ID-porten: `S256` only).
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    /// `ui_locales_supported`.
    #[serde(default)]
    pub ui_locales_supported: Vec<String>,
    /// `acr_values_supported`.
    #[serde(default)]
    pub acr_values_supported: Vec<String>,
    /// `id_token_signing_alg_values_supported`.
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// `scopes_supported`.
    #[serde(default)]
    pub scopes_supported: Vec<String>,
    /// RFC 9207: the provider adds `iss` to authorization responses.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// `frontchannel_logout_supported`.
    #[serde(default)]
    pub frontchannel_logout_supported: bool,
}

impl ProviderMetadata {
    /// Checks a fetched document against the configured issuer: the issuer must be equal character for character
    /// (Discovery 4.3), and every endpoint must be `https` (plain `http` only on loopback, for tests).
    pub fn check(&self, configured: &Issuer, source: &Url) -> Result<(), Error> {
        if self.issuer != configured.as_str() {
            return Err(Error::IssuerMismatch {
                configured: configured.to_string(),
                discovered: self.issuer.clone(),
            });
        }
        let endpoints = [
            Some(&self.authorization_endpoint),
            Some(&self.token_endpoint),
            Some(&self.jwks_uri),
            self.userinfo_endpoint.as_ref(),
            self.end_session_endpoint.as_ref(),
            self.revocation_endpoint.as_ref(),
            self.pushed_authorization_request_endpoint.as_ref(),
        ];
        for url in endpoints.into_iter().flatten() {
            let ok = url.scheme() == "https" || (url.scheme() == "http" && is_loopback_host(url));
            if !ok {
                return Err(Error::ProviderResponse {
                    url: source.to_string(),
                    what: "discovery document".into(),
                    reason: format!("the endpoint {url} is not https"),
                });
            }
        }
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct CacheEntry {
    fetched_at: i64,
    metadata: ProviderMetadata,
}

/// The cache file of an issuer in `dir`: `discovery-<sha256 of the issuer>.json`.
pub fn cache_file(dir: &Path, issuer: &Issuer) -> PathBuf {
    let digest = Sha256::digest(issuer.as_str().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("discovery-{hex}.json"))
}

/// Fetches (or reads from the disk cache in `cache_dir`, when younger than 24 h) the provider's metadata and checks
/// it. A cache that is stale, unreadable or for another issuer is ignored and replaced; failing to write the cache
/// is not an error (the next run discovers again).
pub async fn discover(
    http: &Http,
    issuer: &Issuer,
    cache_dir: Option<&Path>,
    now: i64,
) -> Result<ProviderMetadata, Error> {
    let url = issuer.discovery_url();
    if let Some(dir) = cache_dir {
        if let Some(metadata) = read_cache(&cache_file(dir, issuer), issuer, &url, now) {
            return Ok(metadata);
        }
    }
    let metadata: ProviderMetadata = http.get_json(&url, "discovery document").await?;
    metadata.check(issuer, &url)?;
    if let Some(dir) = cache_dir {
        if let Err(e) = write_cache(dir, issuer, &metadata, now) {
            tracing::debug!("cannot write the discovery cache in {}: {e}", dir.display());
        }
    }
    Ok(metadata)
}

fn read_cache(path: &Path, issuer: &Issuer, url: &Url, now: i64) -> Option<ProviderMetadata> {
    let text = std::fs::read(path).ok()?;
    let entry: CacheEntry = serde_json::from_slice(&text).ok()?;
    let fresh = entry.fetched_at <= now && now - entry.fetched_at < DISCOVERY_CACHE_SECS;
    (fresh && entry.metadata.check(issuer, url).is_ok()).then_some(entry.metadata)
}

fn write_cache(
    dir: &Path,
    issuer: &Issuer,
    metadata: &ProviderMetadata,
    now: i64,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let entry = CacheEntry {
        fetched_at: now,
        metadata: metadata.clone(),
    };
    let json = serde_json::to_vec_pretty(&entry).map_err(std::io::Error::other)?;
    let target = cache_file(dir, issuer);
    // Unique temp name: several processes may refresh the cache at once; rename is atomic.
    let temp = dir.join(format!(".discovery-{}.tmp", uuid::Uuid::new_v4()));
    std::fs::write(&temp, json)?;
    std::fs::rename(&temp, &target).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(issuer: &str) -> ProviderMetadata {
        serde_json::from_value(serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": "https://login.test.idporten.no/authorize",
            "token_endpoint": "https://test.idporten.no/token",
            "jwks_uri": "https://test.idporten.no/jwks.json",
            "some_future_field": [1, 2, 3]
        }))
        .unwrap()
    }

    #[test]
    fn issuer_must_match_exactly() {
        let issuer = Issuer::parse("https://test.idporten.no").unwrap();
        let url = issuer.discovery_url();
        assert!(metadata("https://test.idporten.no")
            .check(&issuer, &url)
            .is_ok());
        let e = metadata("https://test.idporten.no/")
            .check(&issuer, &url)
            .unwrap_err();
        assert!(matches!(e, Error::IssuerMismatch { .. }), "{e}");
    }

    #[test]
    fn plain_http_endpoints_are_refused() {
        let issuer = Issuer::parse("https://test.idporten.no").unwrap();
        let mut m = metadata("https://test.idporten.no");
        m.token_endpoint = Url::parse("http://test.idporten.no/token").unwrap();
        let e = m.check(&issuer, &issuer.discovery_url()).unwrap_err();
        assert!(e.to_string().contains("not https"), "{e}");
    }

    #[test]
    fn cache_is_used_for_24_hours() {
        let dir = tempfile::tempdir().unwrap();
        let issuer = Issuer::parse("https://test.idporten.no").unwrap();
        let url = issuer.discovery_url();
        write_cache(dir.path(), &issuer, &metadata(issuer.as_str()), 1000).unwrap();
        let file = cache_file(dir.path(), &issuer);
        assert!(read_cache(&file, &issuer, &url, 1000 + DISCOVERY_CACHE_SECS - 1).is_some());
        assert!(read_cache(&file, &issuer, &url, 1000 + DISCOVERY_CACHE_SECS).is_none());
        let other = Issuer::parse("https://idporten.no").unwrap();
        assert!(read_cache(&file, &other, &other.discovery_url(), 1001).is_none());
    }
}
