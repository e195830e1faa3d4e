//! Client authentication at the token, PAR and revocation endpoints: `none`, `client_secret_basic`,
//! `client_secret_post` and `private_key_jwt` (RFC 7523 client assertion).

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use crate::http::BasicAuth;
use crate::{ClientAuth, ClientConfig, ClientId, Error, PrivateKeyPem};

/// The `client_assertion_type` of a JWT client assertion.
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The lifetime of a client assertion: ID-porten accepts at most 120 s between `iat` and `exp`.
pub const CLIENT_ASSERTION_LIFETIME_SECS: i64 = 120;

/// The claims of a client assertion (RFC 7523 3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientAssertionClaims {
    /// The client id.
    pub iss: String,
    /// The client id.
    pub sub: String,
    /// The provider's issuer.
    pub aud: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expiry: `iat` + 120 s.
    pub exp: i64,
    /// A unique id (UUID v4), so the assertion cannot be replayed.
    pub jti: String,
}

impl ClientAssertionClaims {
    /// The claims for `client_id` at `now`, for the provider `audience` (its issuer), with a fresh `jti`.
    pub fn new(client_id: &ClientId, audience: &str, now: i64) -> Self {
        Self {
            iss: client_id.to_string(),
            sub: client_id.to_string(),
            aud: audience.to_string(),
            iat: now,
            exp: now + CLIENT_ASSERTION_LIFETIME_SECS,
            jti: uuid::Uuid::new_v4().to_string(),
        }
    }
}

/// Signs a client assertion RS256 with the client's key; the header carries `kid`.
pub fn client_assertion(
    claims: &ClientAssertionClaims,
    key_pem: &PrivateKeyPem,
    kid: &str,
) -> Result<String, Error> {
    let key = EncodingKey::from_rsa_pem(key_pem.secret().as_bytes()).map_err(|e| {
        Error::ClientAssertion {
            reason: format!("the private key is not an RSA PEM key ({e})"),
        }
    })?;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(&header, claims, &key).map_err(|e| Error::ClientAssertion {
        reason: e.to_string(),
    })
}

/// Adds the client's authentication to a request's form, or returns the Basic credentials for the header.
/// `client_id` is added to the body unless already there (and except for `client_secret_basic`).
pub(crate) fn authenticate(
    config: &ClientConfig,
    form: &mut Vec<(String, String)>,
    now: i64,
) -> Result<Option<BasicAuth>, Error> {
    let mut add = |k: &str, v: String| {
        if !form.iter().any(|(key, _)| key == k) {
            form.push((k.to_string(), v));
        }
    };
    let client_id = config.client_id.to_string();
    match &config.client_auth {
        ClientAuth::None => add("client_id", client_id),
        ClientAuth::ClientSecretBasic(secret) => {
            return Ok(Some(BasicAuth {
                user: client_id,
                password: secret.secret().to_string(),
            }))
        }
        ClientAuth::ClientSecretPost(secret) => {
            add("client_id", client_id);
            add("client_secret", secret.secret().to_string());
        }
        ClientAuth::PrivateKeyJwt { key_pem, kid } => {
            let claims = ClientAssertionClaims::new(&config.client_id, config.issuer.as_str(), now);
            let assertion = client_assertion(&claims, key_pem, kid)?;
            add("client_id", client_id);
            add("client_assertion_type", JWT_BEARER_ASSERTION.to_string());
            add("client_assertion", assertion);
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientSecret, Issuer, RedirectUri};

    fn config(auth: ClientAuth) -> ClientConfig {
        let mut c = ClientConfig::new(
            Issuer::parse("https://test.idporten.no").unwrap(),
            ClientId::new("cid"),
            RedirectUri::parse("http://localhost:1/cb").unwrap(),
        );
        c.client_auth = auth;
        c
    }

    #[test]
    fn assertion_claims() {
        let a = ClientAssertionClaims::new(&ClientId::new("cid"), "https://test.idporten.no", 1000);
        let b = ClientAssertionClaims::new(&ClientId::new("cid"), "https://test.idporten.no", 1000);
        assert_eq!((a.iss.as_str(), a.sub.as_str()), ("cid", "cid"));
        assert_eq!(a.aud, "https://test.idporten.no");
        assert_eq!(a.exp - a.iat, 120);
        assert_ne!(a.jti, b.jti);
        assert!(uuid::Uuid::parse_str(&a.jti).is_ok());
    }

    #[test]
    fn none_and_post_put_the_client_in_the_body() {
        let mut form = vec![];
        assert!(authenticate(&config(ClientAuth::None), &mut form, 0)
            .unwrap()
            .is_none());
        assert_eq!(form, vec![("client_id".to_string(), "cid".to_string())]);
        let mut form = vec![];
        authenticate(
            &config(ClientAuth::ClientSecretPost(ClientSecret::new("s3"))),
            &mut form,
            0,
        )
        .unwrap();
        assert!(form.contains(&("client_secret".to_string(), "s3".to_string())));
    }

    #[test]
    fn basic_leaves_the_body_alone() {
        let mut form = vec![];
        let basic = authenticate(
            &config(ClientAuth::ClientSecretBasic(ClientSecret::new("s3"))),
            &mut form,
            0,
        )
        .unwrap()
        .unwrap();
        assert!(form.is_empty());
        assert_eq!(
            (basic.user.as_str(), basic.password.as_str()),
            ("cid", "s3")
        );
    }

    #[test]
    fn a_bad_key_is_a_clear_error() {
        let mut form = vec![];
        let auth = ClientAuth::PrivateKeyJwt {
            key_pem: PrivateKeyPem::new("not a key"),
            kid: "k".into(),
        };
        let e = authenticate(&config(auth), &mut form, 0).unwrap_err();
        assert!(matches!(e, Error::ClientAssertion { .. }), "{e}");
    }
}
