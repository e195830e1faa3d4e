//! The provider's signing keys (JWKS): parsed leniently (unusable keys are skipped), fetched again when a token
//! names a key we do not hold (the provider rotated its key): the first such refetch is always made, later ones at
//! most once a minute.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::DecodingKey;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use url::Url;

use crate::http::{parse_json, Http};
use crate::{Clock, Error};

/// After one refetch for an unknown key, the next is made no sooner than this many seconds later.
pub const JWKS_REFETCH_INTERVAL_SECS: i64 = 60;

/// One RSA signing key from the JWKS.
#[derive(Clone)]
pub struct SigningKey {
    /// The key's `kid`, if it has one.
    pub kid: Option<String>,
    key: DecodingKey,
}

impl SigningKey {
    /// The key for signature verification.
    pub fn decoding_key(&self) -> &DecodingKey {
        &self.key
    }
}

/// The usable keys of a JWKS: RSA keys for signatures (`use` absent or `sig`, `alg` absent or `RS256`, a modulus of
/// at least 2048 bits). Other keys are skipped, not errors: a provider may publish keys for other purposes.
#[derive(Clone, Default)]
pub struct Jwks {
    keys: Vec<SigningKey>,
    skipped: usize,
}

impl std::fmt::Debug for Jwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwks")
            .field(
                "kids",
                &self.keys.iter().map(|k| &k.kid).collect::<Vec<_>>(),
            )
            .field("skipped", &self.skipped)
            .finish()
    }
}

impl Jwks {
    /// Parses a JWKS document (`{"keys": [...]}`); unusable keys are skipped and counted.
    pub fn parse(url: &Url, body: &[u8]) -> Result<Self, Error> {
        #[derive(serde::Deserialize)]
        struct Document {
            keys: Vec<serde_json::Value>,
        }
        let doc: Document = parse_json(url, "JWKS", body)?;
        let mut jwks = Jwks::default();
        for value in &doc.keys {
            match usable_key(value) {
                Some(key) => jwks.keys.push(key),
                None => jwks.skipped += 1,
            }
        }
        Ok(jwks)
    }

    /// A JWKS of given keys (tests, pinned keys).
    pub fn from_keys(keys: Vec<(Option<String>, DecodingKey)>) -> Self {
        Self {
            keys: keys
                .into_iter()
                .map(|(kid, key)| SigningKey { kid, key })
                .collect(),
            skipped: 0,
        }
    }

    /// The key for a token's `kid`. A token without `kid` may use the only key when there is exactly one.
    pub fn lookup(&self, kid: Option<&str>) -> Result<&SigningKey, Error> {
        let found = match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
            None if self.keys.len() == 1 => self.keys.first(),
            None => None,
        };
        found.ok_or_else(|| Error::UnknownSigningKey {
            kid: kid.map(str::to_string),
        })
    }

    /// How many usable keys there are.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is usable.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// How many keys of the document were skipped as unusable.
    pub fn skipped(&self) -> usize {
        self.skipped
    }
}

fn usable_key(value: &serde_json::Value) -> Option<SigningKey> {
    let field = |name: &str| value.get(name).and_then(|v| v.as_str());
    if field("kty")? != "RSA" {
        return None;
    }
    if field("use").is_some_and(|u| u != "sig") || field("alg").is_some_and(|a| a != "RS256") {
        return None;
    }
    let n = URL_SAFE_NO_PAD.decode(field("n")?).ok()?;
    let e = URL_SAFE_NO_PAD.decode(field("e")?).ok()?;
    let significant = n.iter().skip_while(|b| **b == 0).count();
    if significant < 256 || e.is_empty() {
        return None;
    }
    Some(SigningKey {
        kid: field("kid").map(str::to_string),
        key: DecodingKey::from_rsa_raw_components(&n, &e),
    })
}

struct Held {
    jwks: Option<Arc<Jwks>>,
    /// When the keys were last fetched again because a token named an unknown key (`None`: never).
    refetched_at: Option<i64>,
}

/// The JWKS of one provider, fetched on first use and fetched again when a token names an unknown key: always the
/// first time (a rotation right after the first fetch must not fail a login), then at most once a minute.
pub struct JwksCache {
    url: Url,
    http: Http,
    clock: Arc<dyn Clock>,
    held: tokio::sync::Mutex<Held>,
    fetches: AtomicU64,
}

impl JwksCache {
    /// A cache for the JWKS at `url` (the discovered `jwks_uri`).
    pub fn new(url: Url, http: Http, clock: Arc<dyn Clock>) -> Self {
        Self {
            url,
            http,
            clock,
            held: tokio::sync::Mutex::new(Held {
                jwks: None,
                refetched_at: None,
            }),
            fetches: AtomicU64::new(0),
        }
    }

    /// The keys, such that they hold `kid` if the provider has it: fetched when none are held; fetched again when
    /// `kid` is unknown, unless a refetch for an unknown key happened less than [`JWKS_REFETCH_INTERVAL_SECS`]
    /// ago. The caller's lookup then fails with [`Error::UnknownSigningKey`] if the key is still missing.
    pub async fn keys_for(&self, kid: Option<&str>) -> Result<Arc<Jwks>, Error> {
        let mut held = self.held.lock().await;
        let now = self.clock.now();
        let fetch = match &held.jwks {
            None => Some(false),
            Some(jwks) if jwks.lookup(kid).is_ok() => None,
            Some(_) => match held.refetched_at {
                Some(at) if now.saturating_sub(at) < JWKS_REFETCH_INTERVAL_SECS => None,
                _ => Some(true),
            },
        };
        if let Some(refetch) = fetch {
            let jwks = self.fetch().await?;
            held.jwks = Some(jwks);
            if refetch {
                held.refetched_at = Some(now);
            }
        }
        Ok(held.jwks.clone().expect("fetched above"))
    }

    /// Makes sure the keys are held (fetching them when none are), without a refetch. A refresh calls this before
    /// it spends a one-time refresh token, so that a JWKS that cannot be fetched fails while nothing is spent.
    pub async fn ensure_loaded(&self) -> Result<(), Error> {
        let mut held = self.held.lock().await;
        if held.jwks.is_none() {
            held.jwks = Some(self.fetch().await?);
        }
        Ok(())
    }

    async fn fetch(&self) -> Result<Arc<Jwks>, Error> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let answer = self.http.get_bytes(&self.url).await?;
        Ok(Arc::new(Jwks::parse(&self.url, &answer)?))
    }

    /// How many times the JWKS was fetched (for tests and diagnostics).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://test.idporten.no/jwks.json").unwrap()
    }

    #[test]
    fn unusable_keys_are_skipped() {
        let n = URL_SAFE_NO_PAD.encode([0xc5u8; 256]);
        let short = URL_SAFE_NO_PAD.encode([0xc5u8; 128]);
        let doc = serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "good", "n": n, "e": "AQAB", "use": "sig", "alg": "RS256"},
            {"kty": "RSA", "kid": "enc", "n": n, "e": "AQAB", "use": "enc"},
            {"kty": "RSA", "kid": "short", "n": short, "e": "AQAB"},
            {"kty": "RSA", "kid": "garbage", "n": "!!!", "e": "AQAB"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "a", "y": "b"},
            {"kty": "oct", "k": "c2VjcmV0"},
            "not even an object"
        ]});
        let jwks = Jwks::parse(&url(), doc.to_string().as_bytes()).unwrap();
        assert_eq!(jwks.len(), 1);
        assert_eq!(jwks.skipped(), 6);
        assert!(jwks.lookup(Some("good")).is_ok());
        assert!(jwks.lookup(None).is_ok(), "one key and no kid: use it");
        assert!(matches!(
            jwks.lookup(Some("enc")),
            Err(Error::UnknownSigningKey { kid: Some(_) })
        ));
    }

    #[test]
    fn no_kid_with_several_keys_is_refused() {
        let n = URL_SAFE_NO_PAD.encode([0xc5u8; 256]);
        let doc = serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "a", "n": n, "e": "AQAB"},
            {"kty": "RSA", "kid": "b", "n": n, "e": "AQAB"}
        ]});
        let jwks = Jwks::parse(&url(), doc.to_string().as_bytes()).unwrap();
        assert!(matches!(
            jwks.lookup(None),
            Err(Error::UnknownSigningKey { kid: None })
        ));
    }

    #[test]
    fn not_a_jwks_is_an_error_naming_the_url() {
        let e = Jwks::parse(&url(), b"<html>").unwrap_err().to_string();
        assert!(e.contains("jwks.json") && e.contains("JWKS"), "{e}");
    }
}
