//! Renewing, revoking and ending a session: the refresh-token grant (one-time and reusable tokens), token
//! revocation (RFC 7009), and the end-session request as form fields for a POST (the ID token is never put in a URL).

use std::fmt;
use url::Url;

use crate::client_auth::authenticate;
use crate::discovery::ProviderMetadata;
use crate::http::Http;
use crate::id_token::{token_kid, validate_refreshed_id_token, Expectations};
use crate::jwks::JwksCache;
use crate::token_request::{oauth_error, refresh_grant_form, request_tokens};
use crate::token_set::TokenSet;
use crate::{ClientConfig, Error, IdToken, State};

/// Refreshes a session: [`spend_refresh_token`], then [`check_refreshed_id_token`]. A caller that stores the
/// session should store [`SpentRefresh::session`] between the two (as [`crate::current_tokens`] does), so that a
/// failure after the provider answered cannot lose a rotated one-time refresh token.
pub async fn refresh_tokens(
    http: &Http,
    config: &ClientConfig,
    metadata: &ProviderMetadata,
    jwks: &JwksCache,
    tokens: &TokenSet,
    now: i64,
) -> Result<TokenSet, Error> {
    let spent = spend_refresh_token(http, config, metadata, jwks, tokens, now).await?;
    check_refreshed_id_token(config, jwks, spent, tokens, now).await
}

/// A refresh whose token request succeeded: the provider has spent the old refresh token.
pub struct SpentRefresh {
    /// The session with the new access token and the new (or kept) refresh token, and the previous ID token:
    /// store this at once, before anything else can fail.
    pub session: TokenSet,
    /// The new ID token, if one came, not yet checked.
    id_token: Option<IdToken>,
}

impl fmt::Debug for SpentRefresh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpentRefresh")
            .field("session", &self.session)
            .field("id_token", &self.id_token)
            .finish()
    }
}

/// Spends the refresh token at the token endpoint. The session must not be over; the provider's keys are fetched
/// FIRST (when none are held), so that a JWKS that cannot be fetched fails while nothing is spent. The provider's
/// `invalid_grant` (a spent one-time token, an expired or revoked grant) becomes [`Error::SessionEnded`]; network
/// and server errors pass through unchanged (nothing was spent as far as we know: keep the stored tokens).
pub async fn spend_refresh_token(
    http: &Http,
    config: &ClientConfig,
    metadata: &ProviderMetadata,
    jwks: &JwksCache,
    tokens: &TokenSet,
    now: i64,
) -> Result<SpentRefresh, Error> {
    if tokens.is_session_over(now) {
        return Err(Error::SessionEnded);
    }
    let refresh_token = tokens.refresh_token.as_ref().ok_or(Error::SessionEnded)?;
    jwks.ensure_loaded().await?;
    let mut response = request_tokens(
        http,
        config,
        metadata,
        refresh_grant_form(refresh_token),
        now,
    )
    .await
    .map_err(|e| match e {
        Error::TokenEndpoint { error, .. } if error == "invalid_grant" => Error::SessionEnded,
        other => other,
    })?;
    let id_token = response.id_token.take();
    Ok(SpentRefresh {
        session: tokens.refreshed(response, None, now),
        id_token,
    })
}

/// Checks the ID token of a refresh, if one came (OpenID Connect Core 12.2: every check of a login's ID token but
/// the nonce, and `iss`, `sub`, `aud` and `auth_time` as in `original`), and returns the session with it.
pub async fn check_refreshed_id_token(
    config: &ClientConfig,
    jwks: &JwksCache,
    spent: SpentRefresh,
    original: &TokenSet,
    now: i64,
) -> Result<TokenSet, Error> {
    let Some(raw) = spent.id_token else {
        return Ok(spent.session);
    };
    let kid = token_kid(raw.secret())?;
    let keys = jwks.keys_for(kid.as_deref()).await?;
    let expect = Expectations {
        issuer: config.issuer.clone(),
        client_id: config.client_id.clone(),
        nonce: None,
        acr: original.acr,
        skew_secs: config.max_clock_skew_secs,
    };
    let claims =
        validate_refreshed_id_token(raw.secret(), &keys, &expect, &original.id_claims, now)?;
    Ok(spent.session.with_id_token(raw, claims))
}

/// Which token is revoked (`token_type_hint`, RFC 7009 2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A refresh token (revokes the whole grant at ID-porten).
    RefreshToken,
    /// An access token.
    AccessToken,
}

impl TokenKind {
    fn hint(self) -> &'static str {
        match self {
            Self::RefreshToken => "refresh_token",
            Self::AccessToken => "access_token",
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::RefreshToken => "refresh token",
            Self::AccessToken => "access token",
        })
    }
}

/// A token the provider did not revoke, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotRevoked {
    /// Which token.
    pub token: TokenKind,
    /// The provider's answer (e.g. `unsupported_token_type` for a structured access token).
    pub reason: String,
}

impl fmt::Display for NotRevoked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the {} was not revoked: {}", self.token, self.reason)
    }
}

/// What revoking a session's tokens did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Revocation {
    /// The tokens the provider revoked.
    pub revoked: Vec<TokenKind>,
    /// The tokens it refused to revoke (they stay valid until they expire).
    pub not_revoked: Vec<NotRevoked>,
}

/// Revokes a token at the provider's revocation endpoint with the client's authentication. Returns `false` when the
/// provider advertises no revocation endpoint (nothing was sent).
pub async fn revoke_token(
    http: &Http,
    config: &ClientConfig,
    metadata: &ProviderMetadata,
    token: &str,
    kind: TokenKind,
    now: i64,
) -> Result<bool, Error> {
    let Some(endpoint) = &metadata.revocation_endpoint else {
        return Ok(false);
    };
    let mut form = vec![
        ("token".to_string(), token.to_string()),
        ("token_type_hint".to_string(), kind.hint().to_string()),
    ];
    let basic = authenticate(config, &mut form, now)?;
    let answer = http.post_form(endpoint, &form, basic.as_ref()).await?;
    if answer.status != 200 {
        return Err(oauth_error(endpoint, &answer));
    }
    Ok(true)
}

/// An end-session request, to be POSTed by the browser (the listener serves an auto-submitting form). The fields
/// hold the ID token as `id_token_hint`: `Debug` hides their values.
#[derive(Clone)]
pub struct EndSessionRequest {
    /// The provider's end_session_endpoint.
    pub action: Url,
    /// `id_token_hint`, `client_id`, and when configured `post_logout_redirect_uri` and `state`.
    pub fields: Vec<(String, String)>,
    /// The state to expect back at the post-logout redirect URI.
    pub state: State,
}

impl fmt::Debug for EndSessionRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndSessionRequest")
            .field("action", &self.action.as_str())
            .field(
                "fields",
                &self.fields.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("state", &self.state)
            .finish()
    }
}

/// Builds the end-session request, or `None` when the provider advertises no end_session_endpoint.
pub fn end_session_request(
    config: &ClientConfig,
    metadata: &ProviderMetadata,
    id_token: &IdToken,
    state: State,
) -> Option<EndSessionRequest> {
    let action = metadata.end_session_endpoint.clone()?;
    let mut fields = vec![
        ("id_token_hint".to_string(), id_token.secret().to_string()),
        ("client_id".to_string(), config.client_id.to_string()),
    ];
    if let Some(uri) = &config.post_logout_redirect_uri {
        fields.push(("post_logout_redirect_uri".into(), uri.as_str().into()));
        fields.push(("state".into(), state.to_string()));
    }
    Some(EndSessionRequest {
        action,
        fields,
        state,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientId, Issuer, RedirectUri};

    #[test]
    fn end_session_is_form_fields_not_a_url() {
        let mut config = ClientConfig::new(
            Issuer::parse("https://test.idporten.no").unwrap(),
            ClientId::new("cid"),
            RedirectUri::parse("http://localhost:8988/auth/loginsuccess").unwrap(),
        );
        config.post_logout_redirect_uri =
            Some(RedirectUri::parse("http://localhost:8988/auth/logoutsuccess").unwrap());
        let metadata: ProviderMetadata = serde_json::from_value(serde_json::json!({
            "issuer": "https://test.idporten.no",
            "authorization_endpoint": "https://login.test.idporten.no/authorize",
            "token_endpoint": "https://test.idporten.no/token",
            "jwks_uri": "https://test.idporten.no/jwks.json",
            "end_session_endpoint": "https://login.test.idporten.no/logout"
        }))
        .unwrap();
        let req = end_session_request(
            &config,
            &metadata,
            &IdToken::new("ID.TOKEN.secret"),
            State::new("s1"),
        )
        .unwrap();
        assert_eq!(req.action.as_str(), "https://login.test.idporten.no/logout");
        assert!(req.action.query().is_none());
        assert!(req
            .fields
            .contains(&("id_token_hint".into(), "ID.TOKEN.secret".into())));
        assert!(req.fields.contains(&("state".into(), "s1".into())));
        assert!(!format!("{req:?}").contains("secret"));
    }
}
