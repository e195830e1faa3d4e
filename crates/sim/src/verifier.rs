//! Checks the simulator's own access tokens for the VAT services and `/userinfo`.

use crate::mva::{AccessTokenVerifier, VerifiedAccessToken};
use crate::tokens::ACCESS_TOKEN_TYP;
use crate::SimState;

/// The [`AccessTokenVerifier`] of the simulator: signature by a published key, `typ` at+jwt, `iss`, `exp` by the
/// simulator's clock (with its offset), and the grant not revoked.
#[derive(Debug, Clone)]
pub struct SimVerifier(pub SimState);

impl SimVerifier {
    /// Verifies a bearer token, saying why it is refused.
    pub fn check(&self, bearer: &str) -> Result<VerifiedAccessToken, &'static str> {
        let state = &self.0;
        let header = jsonwebtoken::decode_header(bearer).map_err(|_| "the token is not a JWT")?;
        if header.typ.as_deref() != Some(ACCESS_TOKEN_TYP) {
            return Err("the token is not an access token (an ID token was sent?)");
        }
        let claims = state
            .keys
            .verify(bearer)
            .map_err(|_| "the token's signature is not valid")?;
        if claims["iss"].as_str() != Some(state.issuer.as_str()) {
            return Err("the token was issued by another issuer");
        }
        let exp = claims["exp"].as_i64().ok_or("the token has no exp")?;
        if exp <= state.clock.now() {
            return Err("the token has expired");
        }
        let jti = claims["jti"].as_str().ok_or("the token has no jti")?;
        let store = state.store();
        let grant = store.access_grant(jti).ok_or("the token is unknown")?;
        if grant.revoked {
            return Err("the token has been revoked");
        }
        Ok(VerifiedAccessToken {
            pid: grant.pid.clone(),
            scopes: claims["scope"]
                .as_str()
                .unwrap_or("")
                .split(' ')
                .map(str::to_string)
                .collect(),
            expires_at: exp,
            client_id: grant.client_id.clone(),
        })
    }
}

impl AccessTokenVerifier for SimVerifier {
    fn verify(&self, bearer: &str) -> Option<VerifiedAccessToken> {
        self.check(bearer).ok()
    }
}
