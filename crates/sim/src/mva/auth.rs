//! Bearer tokens: ID-porten access tokens (checked by the verifier) and the Altinn tokens this module issues in
//! exchange (HS256 with a random per-run secret; they expire when the ID-porten token does).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::{MvaServices, VerifiedAccessToken};

/// Scope needed by the validation API.
pub(crate) const SCOPE_VALIDATE: &str = "skatteetaten:mvameldingvalidering";
/// Scope needed for the submission (exchange).
pub(crate) const SCOPE_SUBMIT: &str = "skatteetaten:mvameldinginnsending";

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AltinnClaims {
    pub pid: String,
    pub exp: i64,
    pub iat: i64,
    pub iss: String,
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

pub(crate) fn unauthorized(why: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [("WWW-Authenticate", "Bearer error=\"invalid_token\"")],
        why.to_string(),
    )
        .into_response()
}

impl MvaServices {
    /// Verifies an ID-porten access token with `scope`: 401 when invalid, 403 when the scope is missing.
    pub(crate) fn id_porten(
        &self,
        headers: &HeaderMap,
        scope: &str,
    ) -> Result<VerifiedAccessToken, Response> {
        let token = bearer(headers).ok_or_else(|| unauthorized("missing bearer token"))?;
        let v = self
            .verifier
            .verify(token)
            .ok_or_else(|| unauthorized("invalid or expired ID-porten access token"))?;
        if !v.scopes.iter().any(|s| s == scope) {
            return Err((
                StatusCode::FORBIDDEN,
                format!("the token lacks the scope {scope}"),
            )
                .into_response());
        }
        Ok(v)
    }

    /// Verifies an Altinn token issued by [`exchange`]; returns the person's pid.
    pub(crate) fn altinn(&self, headers: &HeaderMap) -> Result<String, Response> {
        let token = bearer(headers).ok_or_else(|| unauthorized("missing bearer token"))?;
        let mut v = Validation::new(Algorithm::HS256);
        v.validate_exp = false; // checked below against the services' clock
        v.set_issuer(&["sim-altinn"]);
        v.set_required_spec_claims(&["exp", "iss"]);
        let data = jsonwebtoken::decode::<AltinnClaims>(
            token,
            &DecodingKey::from_secret(&self.altinn_secret),
            &v,
        )
        .map_err(|_| unauthorized("invalid Altinn token"))?;
        if data.claims.exp <= (self.now)() {
            return Err(unauthorized("the Altinn token has expired"));
        }
        Ok(data.claims.pid)
    }
}

/// `GET /authentication/api/v1/exchange/id-porten`: the Altinn token as plain text.
pub(crate) async fn exchange(State(s): State<Arc<MvaServices>>, headers: HeaderMap) -> Response {
    let v = match s.id_porten(&headers, SCOPE_SUBMIT) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let claims = AltinnClaims {
        pid: v.pid,
        exp: v.expires_at,
        iat: (s.now)(),
        iss: "sim-altinn".into(),
    };
    match jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&s.altinn_secret),
    ) {
        Ok(t) => {
            s.exchanges
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            (StatusCode::OK, [("content-type", "text/plain")], t).into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
