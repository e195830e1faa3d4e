//! [`Client`]: a configured relying party bound to its discovered provider, with the seams it uses.

use std::path::PathBuf;
use std::sync::Arc;

use crate::authorization::{
    build_authorization_request, push_authorization_request, AuthorizationRequest,
    AuthorizationState,
};
use crate::discovery::{discover, ProviderMetadata};
use crate::id_token::{token_kid, validate_id_token, Expectations};
use crate::jwks::JwksCache;
use crate::refresh::{
    check_refreshed_id_token, refresh_tokens, revoke_token, spend_refresh_token, NotRevoked,
    Revocation, SpentRefresh, TokenKind,
};
use crate::token_request::{code_grant_form, request_tokens};
use crate::{
    AuthorizationCode, ClientConfig, Clock, Error, Http, IdTokenClaims, LoginOptions,
    LoginRandomness, Nonce, RedirectUri, SystemClock, TokenSet,
};

/// The I/O the client uses, chosen in one place. `Seams::default()` is the real world: a fresh [`Http`], the
/// system clock, no discovery cache on disk.
#[derive(Clone)]
pub struct Seams {
    /// The HTTP client.
    pub http: Http,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Where discovery documents are cached for 24 h (e.g. `$MVA_HOME/cache`); `None`: no disk cache.
    pub cache_dir: Option<PathBuf>,
}

impl Default for Seams {
    fn default() -> Self {
        Self {
            http: Http::default(),
            clock: Arc::new(SystemClock),
            cache_dir: None,
        }
    }
}

/// A relying party for one provider: its configuration, the provider's checked metadata, and the provider's keys.
pub struct Client {
    config: ClientConfig,
    metadata: ProviderMetadata,
    seams: Seams,
    jwks: JwksCache,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("issuer", &self.config.issuer)
            .field("client_id", &self.config.client_id)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Checks the configuration and discovers the provider (from the disk cache when fresh).
    pub async fn discover(config: ClientConfig, seams: Seams) -> Result<Self, Error> {
        config.check()?;
        let metadata = discover(
            &seams.http,
            &config.issuer,
            seams.cache_dir.as_deref(),
            seams.clock.now(),
        )
        .await?;
        Self::with_metadata(config, metadata, seams)
    }

    /// A client for already known metadata (checked against the configured issuer).
    pub fn with_metadata(
        config: ClientConfig,
        metadata: ProviderMetadata,
        seams: Seams,
    ) -> Result<Self, Error> {
        config.check()?;
        metadata.check(&config.issuer, &config.issuer.discovery_url())?;
        let jwks = JwksCache::new(
            metadata.jwks_uri.clone(),
            seams.http.clone(),
            seams.clock.clone(),
        );
        Ok(Self {
            config,
            metadata,
            seams,
            jwks,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The provider's metadata.
    pub fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }

    /// The provider's keys.
    pub fn jwks(&self) -> &JwksCache {
        &self.jwks
    }

    /// The seams.
    pub fn seams(&self) -> &Seams {
        &self.seams
    }

    /// The current time from the clock seam, Unix seconds.
    pub fn now(&self) -> i64 {
        self.seams.clock.now()
    }

    /// Builds an authorization request for `redirect_uri` (the listener's) with fresh random values: pushed (PAR)
    /// when configured and the provider offers it (or requires it), else a plain URL.
    pub async fn authorization_request(
        &self,
        redirect_uri: &RedirectUri,
    ) -> Result<AuthorizationRequest, Error> {
        self.authorization_request_with(redirect_uri, &LoginOptions::default())
            .await
    }

    /// [`Client::authorization_request`] with one login's choices (level, language, `prompt=login`) in place of
    /// the client's settings. The request's [`AuthorizationRequest::acr`] is the level asked, which the callback
    /// check then demands of the ID token.
    pub async fn authorization_request_with(
        &self,
        redirect_uri: &RedirectUri,
        options: &LoginOptions,
    ) -> Result<AuthorizationRequest, Error> {
        let config = options.apply(&self.config);
        let random = LoginRandomness::generate();
        let par = self
            .metadata
            .pushed_authorization_request_endpoint
            .is_some()
            && (self.config.use_par || self.metadata.require_pushed_authorization_requests);
        if par {
            push_authorization_request(
                &self.seams.http,
                &config,
                &self.metadata,
                redirect_uri,
                &random,
                self.now(),
            )
            .await
        } else {
            Ok(build_authorization_request(
                &config,
                &self.metadata,
                redirect_uri,
                &random,
            ))
        }
    }

    /// Validates an ID token from a code exchange, fetching the provider's keys again (rate-limited) when it names
    /// an unknown key.
    pub async fn validate_id_token(
        &self,
        raw: &str,
        nonce: &Nonce,
        acr: crate::AcrLevel,
    ) -> Result<IdTokenClaims, Error> {
        let kid = token_kid(raw)?;
        let keys = self.jwks.keys_for(kid.as_deref()).await?;
        let expect = Expectations {
            issuer: self.config.issuer.clone(),
            client_id: self.config.client_id.clone(),
            nonce: Some(nonce.clone()),
            acr,
            skew_secs: self.config.max_clock_skew_secs,
        };
        validate_id_token(raw, &keys, &expect, self.now())
    }

    /// Exchanges an authorization code (with the request's verifier and redirect URI), validates the ID token and
    /// returns the new session.
    pub async fn exchange_code(
        &self,
        code: &AuthorizationCode,
        request: &AuthorizationRequest,
    ) -> Result<TokenSet, Error> {
        self.exchange_code_for(code, &request.session_state(&self.config.issuer))
            .await
    }

    /// [`Client::exchange_code`] for a login whose [`AuthorizationState`] a server kept in its session.
    pub async fn exchange_code_for(
        &self,
        code: &AuthorizationCode,
        request: &AuthorizationState,
    ) -> Result<TokenSet, Error> {
        if request.issuer != self.config.issuer {
            return Err(Error::CallbackIssuerMismatch {
                expected: self.config.issuer.to_string(),
                found: request.issuer.to_string(),
            });
        }
        let form = code_grant_form(code, &request.redirect_uri, &request.pkce_verifier);
        let response = request_tokens(
            &self.seams.http,
            &self.config,
            &self.metadata,
            form,
            self.now(),
        )
        .await?;
        let raw = response
            .id_token
            .clone()
            .ok_or_else(|| Error::IdTokenMissingClaim {
                claim: "id_token (the token response has no ID token; is openid in the scopes?)"
                    .into(),
            })?;
        let claims = self
            .validate_id_token(raw.secret(), &request.nonce, request.acr)
            .await?;
        TokenSet::from_login(
            response,
            claims,
            &self.config.scope(),
            self.config.issuer.clone(),
            self.config.client_id.clone(),
            request.acr,
            self.now(),
        )
    }

    /// The first half of a refresh: spends the refresh token (see [`crate::refresh::spend_refresh_token`]).
    pub async fn spend_refresh_token(&self, tokens: &TokenSet) -> Result<SpentRefresh, Error> {
        spend_refresh_token(
            &self.seams.http,
            &self.config,
            &self.metadata,
            &self.jwks,
            tokens,
            self.now(),
        )
        .await
    }

    /// The second half of a refresh: checks the new ID token, if one came (see
    /// [`crate::refresh::check_refreshed_id_token`]).
    pub async fn check_refreshed_id_token(
        &self,
        spent: SpentRefresh,
        original: &TokenSet,
    ) -> Result<TokenSet, Error> {
        check_refreshed_id_token(&self.config, &self.jwks, spent, original, self.now()).await
    }

    /// Refreshes a session (see [`crate::refresh::refresh_tokens`]).
    pub async fn refresh(&self, tokens: &TokenSet) -> Result<TokenSet, Error> {
        refresh_tokens(
            &self.seams.http,
            &self.config,
            &self.metadata,
            &self.jwks,
            tokens,
            self.now(),
        )
        .await
    }

    /// Revokes the session's refresh token (the whole grant at ID-porten), then its access token, where the provider
    /// offers revocation. A token the provider refuses to revoke (e.g. `unsupported_token_type` for a structured
    /// access token) is listed in [`Revocation::not_revoked`] and the other is still revoked. Only a network
    /// failure ([`Error::ProviderUnreachable`]) before anything was revoked is an error: then nothing happened, and
    /// the caller may keep the tokens to try again.
    pub async fn revoke(&self, tokens: &TokenSet) -> Result<Revocation, Error> {
        let mut outcome = Revocation::default();
        let refresh = tokens
            .refresh_token
            .as_ref()
            .map(|t| (t.secret(), TokenKind::RefreshToken));
        let access = Some((tokens.access_token.secret(), TokenKind::AccessToken));
        for (token, kind) in refresh.into_iter().chain(access) {
            let now = self.now();
            match revoke_token(
                &self.seams.http,
                &self.config,
                &self.metadata,
                token,
                kind,
                now,
            )
            .await
            {
                Ok(true) => outcome.revoked.push(kind),
                // No revocation endpoint: nothing can be revoked.
                Ok(false) => return Ok(outcome),
                Err(e @ Error::ProviderUnreachable { .. }) if outcome.revoked.is_empty() => {
                    return Err(e)
                }
                Err(e) => outcome.not_revoked.push(NotRevoked {
                    token: kind,
                    reason: e.to_string(),
                }),
            }
        }
        Ok(outcome)
    }
}
