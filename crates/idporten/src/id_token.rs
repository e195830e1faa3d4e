//! ID-token validation, a pure function of the token, the provider's keys, what we expect and the time. Each check
//! cites its rule in OpenID Connect Core 1.0 section 3.1.3.7 ("ID Token Validation") or 12.2 (refresh).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::jwks::Jwks;
use crate::{AcrLevel, ClientId, Error, Issuer, Nonce, Pid};

/// The claims of a validated ID token. `pid` (the national identity number) prints masked.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    /// The issuer.
    pub iss: String,
    /// The subject (pairwise per client in ID-porten).
    pub sub: String,
    /// The audiences (a single string in the token becomes one element).
    pub aud: Vec<String>,
    /// The authorized party, if present.
    #[serde(default)]
    pub azp: Option<String>,
    /// The person's national identity number (11 digits), masked when shown.
    #[serde(default)]
    pub pid: Option<Pid>,
    /// The security level of the login.
    #[serde(default)]
    pub acr: Option<String>,
    /// The authentication methods (an array; a legacy single string becomes one element).
    #[serde(default)]
    pub amr: Vec<String>,
    /// The nonce of the authorization request.
    #[serde(default)]
    pub nonce: Option<String>,
    /// When the user authenticated, Unix seconds.
    #[serde(default)]
    pub auth_time: Option<i64>,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// The session id (clients registered for session logout).
    #[serde(default)]
    pub sid: Option<String>,
    /// The language the user chose.
    #[serde(default)]
    pub locale: Option<String>,
    /// The token's unique id.
    #[serde(default)]
    pub jti: Option<String>,
}

impl fmt::Debug for IdTokenClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdTokenClaims")
            .field("iss", &self.iss)
            .field("sub", &self.sub)
            .field("aud", &self.aud)
            .field("azp", &self.azp)
            .field("pid", &self.pid)
            .field("acr", &self.acr)
            .field("amr", &self.amr)
            .field("nonce", &self.nonce)
            .field("auth_time", &self.auth_time)
            .field("iat", &self.iat)
            .field("exp", &self.exp)
            .field("sid", &self.sid)
            .field("locale", &self.locale)
            .field("jti", &self.jti)
            .finish()
    }
}

/// What the relying party expects of an ID token.
#[derive(Clone, Debug)]
pub struct Expectations {
    /// The configured (and discovered) issuer.
    pub issuer: Issuer,
    /// Our client id.
    pub client_id: ClientId,
    /// The nonce sent in the authorization request; `None` only for refreshed tokens (see
    /// [`validate_refreshed_id_token`]).
    pub nonce: Option<Nonce>,
    /// The minimum level: the one asked for.
    pub acr: AcrLevel,
    /// The clock skew allowed for `exp` and `iat`, seconds.
    pub skew_secs: i64,
}

#[derive(Deserialize)]
struct JoseHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s],
            Self::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
struct RawClaims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<OneOrMany>,
    azp: Option<String>,
    pid: Option<Pid>,
    acr: Option<String>,
    amr: Option<OneOrMany>,
    nonce: Option<String>,
    auth_time: Option<serde_json::Number>,
    iat: Option<serde_json::Number>,
    exp: Option<serde_json::Number>,
    sid: Option<String>,
    locale: Option<String>,
    jti: Option<String>,
}

fn malformed(reason: impl Into<String>) -> Error {
    Error::IdTokenMalformed {
        reason: reason.into(),
    }
}

fn seconds(n: Option<serde_json::Number>, claim: &str) -> Result<Option<i64>, Error> {
    match n {
        None => Ok(None),
        Some(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| Error::IdTokenMissingClaim {
                claim: claim.into(),
            }),
    }
}

struct Parts<'a> {
    header: JoseHeader,
    message: &'a str,
    payload: &'a str,
    signature: &'a str,
}

fn split(raw: &str) -> Result<Parts<'_>, Error> {
    let mut it = raw.split('.');
    let (Some(h), Some(p), Some(s), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err(malformed("a signed JWT has three parts separated by dots (an encrypted or unsigned token is refused)"));
    };
    let header_json = URL_SAFE_NO_PAD
        .decode(h)
        .map_err(|_| malformed("the header is not base64url"))?;
    let header: JoseHeader = serde_json::from_slice(&header_json)
        .map_err(|e| malformed(format!("the header is not valid JSON: {e}")))?;
    Ok(Parts {
        header,
        message: &raw[..h.len() + 1 + p.len()],
        payload: p,
        signature: s,
    })
}

/// The `kid` of a token's header, to find (or fetch) its key before validation.
pub fn token_kid(raw: &str) -> Result<Option<String>, Error> {
    Ok(split(raw)?.header.kid)
}

/// Validates an ID token after a code exchange (OpenID Connect Core 3.1.3.7) and returns its claims.
///
/// Checks, in order: the JWS form; `alg` is RS256 (step 7; `none`, HS256 and all others are refused before any key
/// is used); the key named by `kid` (or the only key) from the provider's JWKS; the signature (step 6); then the
/// claims: `iss` (step 2), `aud` (step 3), `azp` (steps 4-5), `exp` (step 9), `iat` (step 10), `sub` (section 2),
/// `nonce` (step 11), `acr` (step 12).
pub fn validate_id_token(
    raw: &str,
    jwks: &Jwks,
    expect: &Expectations,
    now: i64,
) -> Result<IdTokenClaims, Error> {
    let parts = split(raw)?;
    // 3.1.3.7 step 7: the alg must be the one registered (RS256, ID-porten's only one). This also refuses `none`
    // and HS256 "signed" with the public key.
    if parts.header.alg != "RS256" {
        return Err(Error::IdTokenAlgorithm {
            alg: parts.header.alg,
        });
    }
    if parts.header.crit.is_some() {
        return Err(malformed(
            "the header has critical extensions (crit) this client does not understand",
        ));
    }
    // 3.1.3.7 step 6: validate the signature with the key from the discovered jwks_uri.
    let key = jwks.lookup(parts.header.kid.as_deref())?;
    let verified = jsonwebtoken::crypto::verify(
        parts.signature,
        parts.message.as_bytes(),
        key.decoding_key(),
        Algorithm::RS256,
    )
    .map_err(|_| Error::IdTokenSignature)?;
    if !verified {
        return Err(Error::IdTokenSignature);
    }
    let payload = URL_SAFE_NO_PAD
        .decode(parts.payload)
        .map_err(|_| malformed("the payload is not base64url"))?;
    let raw_claims: RawClaims = serde_json::from_slice(&payload)
        .map_err(|e| malformed(format!("the claims are not valid: {e}")))?;
    check_claims(raw_claims, expect, now)
}

fn check_claims(c: RawClaims, expect: &Expectations, now: i64) -> Result<IdTokenClaims, Error> {
    let missing = |claim: &str| Error::IdTokenMissingClaim {
        claim: claim.into(),
    };
    let skew = expect.skew_secs;
    // Step 2: iss exactly equals the issuer.
    let iss = c.iss.ok_or_else(|| missing("iss"))?;
    if iss != expect.issuer.as_str() {
        return Err(Error::IdTokenIssuer {
            expected: expect.issuer.to_string(),
            found: iss,
        });
    }
    // Step 3: aud contains our client id.
    let aud = c.aud.ok_or_else(|| missing("aud"))?.into_vec();
    let client_id = expect.client_id.as_str();
    if !aud.iter().any(|a| a == client_id) {
        return Err(Error::IdTokenAudience {
            client_id: client_id.into(),
            found: aud,
        });
    }
    // Steps 4-5: with several audiences azp must be present, and if present it must be our client id.
    if (aud.len() > 1 || c.azp.is_some()) && c.azp.as_deref() != Some(client_id) {
        return Err(Error::IdTokenAuthorizedParty {
            client_id: client_id.into(),
            found: c.azp,
        });
    }
    // Step 9: the current time is before exp (plus the allowed skew).
    let exp = seconds(c.exp, "exp")?.ok_or_else(|| missing("exp"))?;
    if now >= exp.saturating_add(skew) {
        return Err(Error::IdTokenExpired { exp, now, skew });
    }
    // Step 10: iat is present and not in the future (beyond the skew).
    let iat = seconds(c.iat, "iat")?.ok_or_else(|| missing("iat"))?;
    if iat > now.saturating_add(skew) {
        return Err(Error::IdTokenIssuedInFuture { iat, now, skew });
    }
    // Section 2: sub is required (and not empty).
    let sub = c
        .sub
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing("sub"))?;
    // Step 11: the nonce equals the one sent.
    if let Some(expected) = &expect.nonce {
        if c.nonce.as_deref() != Some(expected.as_str()) {
            return Err(Error::IdTokenNonce);
        }
    }
    // Step 12: acr is at least the level asked for (ID-porten: high satisfies substantial; legacy names map).
    let level = c.acr.as_deref().and_then(|a| AcrLevel::parse(a).ok());
    if !level.is_some_and(|l| l.satisfies(expect.acr)) {
        return Err(Error::IdTokenAcr {
            requested: expect.acr.to_string(),
            found: c.acr,
        });
    }
    Ok(IdTokenClaims {
        iss,
        sub,
        aud,
        azp: c.azp,
        pid: c.pid,
        acr: c.acr,
        amr: c.amr.map(OneOrMany::into_vec).unwrap_or_default(),
        nonce: c.nonce,
        auth_time: seconds(c.auth_time, "auth_time")?,
        iat,
        exp,
        sid: c.sid,
        locale: c.locale,
        jti: c.jti,
    })
}

/// Validates an ID token returned by a refresh (OpenID Connect Core 12.2): every check of
/// [`validate_id_token`] except the nonce, then `iss`, `sub` and `aud` must equal the original token's, an
/// `auth_time`, if present, must be the original authentication's (a refresh is not a new login), and a `nonce`,
/// if present, must equal the original one.
pub fn validate_refreshed_id_token(
    raw: &str,
    jwks: &Jwks,
    expect: &Expectations,
    original: &IdTokenClaims,
    now: i64,
) -> Result<IdTokenClaims, Error> {
    let expect = Expectations {
        nonce: None,
        ..expect.clone()
    };
    let claims = validate_id_token(raw, jwks, &expect, now)?;
    let mismatch = |claim: &str| Error::RefreshedIdTokenMismatch {
        claim: claim.into(),
    };
    if claims.iss != original.iss {
        return Err(mismatch("iss"));
    }
    if claims.sub != original.sub {
        return Err(mismatch("sub"));
    }
    if claims.aud != original.aud {
        return Err(mismatch("aud"));
    }
    if let (Some(new), Some(first)) = (claims.auth_time, original.auth_time) {
        if new != first {
            return Err(mismatch("auth_time"));
        }
    }
    if claims.nonce.is_some() && claims.nonce != original.nonce {
        return Err(mismatch("nonce"));
    }
    Ok(claims)
}

#[cfg(test)]
#[path = "id_token_tests.rs"]
mod tests;
