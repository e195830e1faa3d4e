//! The tokens of one login session, as stored between runs.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::id_token::IdTokenClaims;
use crate::integration::VAT_SCOPE_MAX_LIFETIME_SECS;
use crate::token_request::TokenResponse;
use crate::{AccessToken, AcrLevel, ClientId, Error, IdToken, Issuer, RefreshToken};

/// Refresh this long before the access token expires, by default.
pub const DEFAULT_REFRESH_MARGIN_SECS: i64 = 30;

/// The access token's lifetime assumed when the provider does not say (`expires_in` absent): ID-porten's default.
pub const DEFAULT_ACCESS_LIFETIME_SECS: i64 = 120;

/// The tokens of a session and what is known about them. `Debug` shows no token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    /// The access token (for the VAT APIs and the Altinn token exchange).
    pub access_token: AccessToken,
    /// The refresh token, if the client has the grant.
    pub refresh_token: Option<RefreshToken>,
    /// The latest raw ID token (the `id_token_hint` of logout).
    pub id_token: IdToken,
    /// The validated claims of the latest ID token.
    pub id_claims: IdTokenClaims,
    /// The granted scopes, space separated (as asked when the provider does not say).
    pub scope: String,
    /// `Bearer`.
    pub token_type: String,
    /// When the access token expires, Unix seconds.
    pub access_expires_at: i64,
    /// When the session ends at the latest, Unix seconds: the login time plus the Tax Administration's 8-hour cap,
    /// or earlier when the refresh token expires sooner. Never refreshed beyond.
    pub session_expires_at: i64,
    /// The provider.
    pub issuer: Issuer,
    /// The client.
    pub client_id: ClientId,
    /// The level asked for at login.
    pub acr: AcrLevel,
    /// When the user authenticated, Unix seconds: the login's `auth_time` (its `iat` when it has none), kept
    /// through every refresh, so that the 8-hour cap never slides. Absent in sessions stored by older versions
    /// (then the ID token's claims say it).
    #[serde(default)]
    pub login_time: Option<i64>,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("id_token", &self.id_token)
            .field("id_claims", &self.id_claims)
            .field("scope", &self.scope)
            .field("access_expires_at", &self.access_expires_at)
            .field("session_expires_at", &self.session_expires_at)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("acr", &self.acr)
            .field("login_time", &self.login_time)
            .finish()
    }
}

impl TokenSet {
    /// The session after a code exchange: `response` with its validated ID token claims, at `now`.
    pub fn from_login(
        response: TokenResponse,
        id_claims: IdTokenClaims,
        asked_scope: &str,
        issuer: Issuer,
        client_id: ClientId,
        acr: AcrLevel,
        now: i64,
    ) -> Result<Self, Error> {
        let id_token = response
            .id_token
            .clone()
            .ok_or_else(|| Error::IdTokenMissingClaim {
                claim: "id_token (the token response has no ID token)".into(),
            })?;
        let login_time = id_claims.auth_time.unwrap_or(id_claims.iat);
        let cap = login_time.saturating_add(VAT_SCOPE_MAX_LIFETIME_SECS as i64);
        Ok(Self {
            login_time: Some(login_time),
            access_expires_at: access_expiry(&response, now).min(cap),
            session_expires_at: session_expiry(&response, cap, now),
            access_token: response.access_token,
            refresh_token: response.refresh_token,
            id_token,
            id_claims,
            scope: response.scope.unwrap_or_else(|| asked_scope.to_string()),
            token_type: response.token_type,
            issuer,
            client_id,
            acr,
        })
    }

    /// The session after a refresh: new access token; the new refresh token if one came (one-time tokens rotate),
    /// else the old one (reusable tokens); the new ID token and claims if one came (already validated against the
    /// old ones). The login time stays, so the session's end never moves past the original login's cap.
    pub fn refreshed(
        &self,
        response: TokenResponse,
        new_claims: Option<IdTokenClaims>,
        now: i64,
    ) -> Self {
        let login_time = self.authenticated_at();
        let cap = login_time.saturating_add(VAT_SCOPE_MAX_LIFETIME_SECS as i64);
        // A rotated one-time token may come with a new idle lifetime; otherwise the session end stays.
        let session_expires_at = match response.refresh_token_expires_in {
            Some(secs) => cap.min(now.saturating_add(secs.max(0))),
            None => cap.min(self.session_expires_at),
        };
        let (id_token, id_claims) = match (response.id_token.clone(), new_claims) {
            (Some(t), Some(c)) => (t, c),
            _ => (self.id_token.clone(), self.id_claims.clone()),
        };
        Self {
            access_expires_at: access_expiry(&response, now).min(cap),
            session_expires_at,
            access_token: response.access_token,
            refresh_token: response
                .refresh_token
                .or_else(|| self.refresh_token.clone()),
            id_token,
            id_claims,
            scope: response.scope.unwrap_or_else(|| self.scope.clone()),
            token_type: response.token_type,
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            acr: self.acr,
            login_time: Some(login_time),
        }
    }

    /// The same session with a new ID token (validated against the old one, OpenID Connect Core 12.2).
    pub fn with_id_token(mut self, id_token: IdToken, claims: IdTokenClaims) -> Self {
        self.id_token = id_token;
        self.id_claims = claims;
        self
    }

    /// When the user authenticated, Unix seconds (see the field `login_time`).
    pub fn authenticated_at(&self) -> i64 {
        self.login_time
            .unwrap_or_else(|| self.id_claims.auth_time.unwrap_or(self.id_claims.iat))
    }

    /// Whether the access token expires within `margin_secs` (or has expired).
    pub fn needs_refresh(&self, now: i64, margin_secs: i64) -> bool {
        now.saturating_add(margin_secs) >= self.access_expires_at
    }

    /// Whether the session is over: its cap passed, or the access token expired with no refresh token to renew it.
    pub fn is_session_over(&self, now: i64) -> bool {
        now >= self.session_expires_at
            || (self.refresh_token.is_none() && now >= self.access_expires_at)
    }

    /// The stored form (JSON). It holds the tokens: keep it in a secret store only.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a TokenSet serialises")
    }

    /// Reads the stored form back.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        serde_json::from_str(text).map_err(|e| Error::StoredTokensCorrupt {
            reason: e.to_string(),
        })
    }
}

fn access_expiry(response: &TokenResponse, now: i64) -> i64 {
    now.saturating_add(
        response
            .expires_in
            .unwrap_or(DEFAULT_ACCESS_LIFETIME_SECS)
            .max(0),
    )
}

fn session_expiry(response: &TokenResponse, cap: i64, now: i64) -> i64 {
    match response.refresh_token_expires_in {
        Some(secs) => cap.min(now.saturating_add(secs.max(0))),
        None => cap,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn claims() -> IdTokenClaims {
        IdTokenClaims {
            iss: "https://test.idporten.no".into(),
            sub: "s".into(),
            aud: vec!["cid".into()],
            azp: None,
            pid: None,
            acr: Some("idporten-loa-substantial".into()),
            amr: vec![],
            nonce: Some("n".into()),
            auth_time: Some(NOW - 100),
            iat: NOW,
            exp: NOW + 120,
            sid: None,
            locale: None,
            jti: None,
        }
    }

    fn response(json: serde_json::Value) -> TokenResponse {
        serde_json::from_value(json).unwrap()
    }

    fn login(json: serde_json::Value) -> TokenSet {
        TokenSet::from_login(
            response(json),
            claims(),
            "openid",
            Issuer::parse("https://test.idporten.no").unwrap(),
            ClientId::new("cid"),
            AcrLevel::Substantial,
            NOW,
        )
        .unwrap()
    }

    #[test]
    fn expiries_and_the_8_hour_cap() {
        let t = login(
            serde_json::json!({"access_token":"a","token_type":"Bearer","expires_in":120,
            "refresh_token":"r","id_token":"x.y.z"}),
        );
        assert_eq!(t.access_expires_at, NOW + 120);
        assert_eq!(t.session_expires_at, NOW - 100 + 8 * 3600);
        assert!(!t.needs_refresh(NOW + 89, 30));
        assert!(t.needs_refresh(NOW + 90, 30));
        assert!(!t.is_session_over(NOW + 7 * 3600));
        assert!(t.is_session_over(NOW - 100 + 8 * 3600));
        let short = login(
            serde_json::json!({"access_token":"a","token_type":"Bearer","expires_in":120,
            "refresh_token":"r","refresh_token_expires_in":600,"id_token":"x.y.z"}),
        );
        assert_eq!(short.session_expires_at, NOW + 600);
    }

    #[test]
    fn without_refresh_token_the_session_ends_with_the_access_token() {
        let t = login(
            serde_json::json!({"access_token":"a","token_type":"Bearer","expires_in":120,"id_token":"x.y.z"}),
        );
        assert!(!t.is_session_over(NOW + 119));
        assert!(t.is_session_over(NOW + 120));
    }

    #[test]
    fn rotation_and_reuse_of_refresh_tokens() {
        let t = login(
            serde_json::json!({"access_token":"a","token_type":"Bearer","expires_in":120,
            "refresh_token":"r1","id_token":"x.y.z"}),
        );
        let rotated = t.refreshed(
            response(serde_json::json!({"access_token":"a2","token_type":"Bearer","expires_in":120,"refresh_token":"r2"})),
            None,
            NOW + 100,
        );
        assert_eq!(rotated.refresh_token.as_ref().unwrap().secret(), "r2");
        assert_eq!(rotated.access_expires_at, NOW + 220);
        assert_eq!(rotated.id_token, t.id_token);
        let reused = t.refreshed(
            response(
                serde_json::json!({"access_token":"a2","token_type":"Bearer","expires_in":120}),
            ),
            None,
            NOW + 100,
        );
        assert_eq!(reused.refresh_token.as_ref().unwrap().secret(), "r1");
        // Never beyond the cap.
        let late = t.refreshed(
            response(
                serde_json::json!({"access_token":"a3","token_type":"Bearer","expires_in":3600}),
            ),
            None,
            t.session_expires_at - 10,
        );
        assert_eq!(late.access_expires_at, t.session_expires_at);
    }

    #[test]
    fn a_refreshed_id_token_without_auth_time_does_not_move_the_cap() {
        let t = login(
            serde_json::json!({"access_token":"a","token_type":"Bearer","expires_in":120,
            "refresh_token":"r1","refresh_token_expires_in":36000,"id_token":"x.y.z"}),
        );
        let cap = NOW - 100 + 8 * 3600;
        let mut later = claims();
        later.auth_time = None;
        later.iat = NOW + 3600;
        let mut session = t;
        for hour in 1..=9 {
            session = session.refreshed(
                response(
                    serde_json::json!({"access_token":"a","token_type":"Bearer","expires_in":120,
                "refresh_token":"r","refresh_token_expires_in":36000,"id_token":"x.y.z"}),
                ),
                Some(later.clone()),
                NOW + hour * 600,
            );
            assert_eq!(session.authenticated_at(), NOW - 100);
            assert!(session.session_expires_at <= cap, "hour {hour}");
            assert!(session.access_expires_at <= cap);
        }
        // A session stored before `login_time` existed falls back to the claims.
        let mut old: serde_json::Value = serde_json::from_str(&session.to_json()).unwrap();
        old.as_object_mut().unwrap().remove("login_time");
        let old = TokenSet::from_json(&old.to_string()).unwrap();
        assert_eq!(old.login_time, None);
        assert_eq!(old.authenticated_at(), NOW + 3600);
    }

    #[test]
    fn json_round_trip_and_redacted_debug() {
        let t = login(
            serde_json::json!({"access_token":"AT-s3cret","token_type":"Bearer","expires_in":120,
            "refresh_token":"RT-s3cret","id_token":"x.y.z"}),
        );
        assert_eq!(TokenSet::from_json(&t.to_json()).unwrap(), t);
        let d = format!("{t:?}");
        assert!(!d.contains("s3cret"), "{d}");
        assert!(matches!(
            TokenSet::from_json("{"),
            Err(Error::StoredTokensCorrupt { .. })
        ));
    }
}
