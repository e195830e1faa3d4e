//! Refresh across instances: exactly one instance spends the refresh token; the others wait for its result or
//! keep using the access token while it is still valid.
//!
//! Two independent guards make sure a one-time refresh token is never spent twice, whatever the timing:
//! 1. A lock per session in the store (Redis: `SET NX PX` with a random owner value), renewed in the background
//!    while held (compare-and-`PEXPIRE`) and released by compare-and-`DEL`. It keeps the instances from racing.
//! 2. A claim written into the session, by compare-and-set on its version, *before* the token is sent: whoever
//!    finds a claim that is not theirs never spends that token. This holds even when the lock is lost (the
//!    holder's process hung longer than the lock's TTL): the lock keeps instances apart, the claim decides.
//!
//! The new tokens are written back only if the session is still the version this instance claimed. A refresh
//! whose fate is unknown (a timeout, a connection lost after the request was sent) counts as spent: the session
//! keeps its access token until it expires and then needs a new login, rather than risk a second redemption.

use crate::seal;
use crate::session::{RefreshClaim, Session, SessionData, Tokens};
use crate::sessions::{Saved, Sessions};
use crate::store::{SessionStore, StoreError};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The timings of [`Sessions::refresh_once`].
#[derive(Debug, Clone)]
pub struct RefreshOptions {
    /// How long the lock lives unless renewed. Default 10 s.
    pub lock_ttl: Duration,
    /// How often the holder renews the lock. Default 3 s (well inside the TTL).
    pub renew_every: Duration,
    /// How long an instance that does not hold the lock waits for the holder's new tokens. Default 5 s.
    pub wait: Duration,
    /// How often a waiting instance looks at the session. Default 50 ms.
    pub poll: Duration,
    /// The longest the refresh itself may take; after that its refresh token counts as spent. Default 15 s.
    pub refresh_timeout: Duration,
    /// A claim this old whose holder no longer holds the lock is taken as abandoned (its process died): the
    /// refresh token is dropped, never spent again. Default 60 s.
    pub abandon_after: Duration,
}

impl Default for RefreshOptions {
    fn default() -> Self {
        Self {
            lock_ttl: Duration::from_secs(10),
            renew_every: Duration::from_secs(3),
            wait: Duration::from_secs(5),
            poll: Duration::from_millis(50),
            refresh_timeout: Duration::from_secs(15),
            abandon_after: Duration::from_secs(60),
        }
    }
}

/// How a [`Sessions::refresh_once`] ended well.
#[derive(Debug, Clone)]
pub enum Refreshed {
    /// This instance refreshed; the session with the new tokens.
    ByThisInstance(Session),
    /// Another instance refreshed (or otherwise updated the session) meanwhile; the session as it now is.
    ByAnother(Session),
    /// Another instance is still refreshing after the wait, but the current access token is still valid.
    StillValid(Session),
}

impl Refreshed {
    /// The session to go on with.
    pub fn session(&self) -> &Session {
        match self {
            Self::ByThisInstance(s) | Self::ByAnother(s) | Self::StillValid(s) => s,
        }
    }
}

/// How a refresh attempt failed, as told by the refresh closure.
#[derive(Debug)]
pub enum ProviderFailure<E> {
    /// The refresh token was certainly not spent (the request was never sent, or was refused before the token
    /// was looked at): it may be used again.
    NotSpent(E),
    /// The refresh token may have been spent (refused as `invalid_grant`, or the answer was lost): it is dropped.
    MaybeSpent(E),
}

/// Why [`Sessions::refresh_once`] could not give a session with usable tokens.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshError<E: fmt::Display> {
    /// The store is unavailable.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The token endpoint failed or refused the refresh.
    #[error("refresh: the token endpoint failed: {0}")]
    Provider(E),
    /// The session has ended (logged out, expired).
    #[error("refresh: the session has ended; log in again")]
    SessionGone,
    /// The session has no refresh token (none was issued, or it was spent by a refresh whose result was lost).
    #[error("refresh: the session has no usable refresh token; log in again when the access token expires")]
    NoRefreshToken,
    /// Another instance holds the refresh and did not finish in time, and the access token has expired.
    #[error("refresh: another instance is refreshing and did not finish within {0:?}; try again")]
    Busy(Duration),
    /// The refresh did not finish in time; its refresh token counts as spent.
    #[error("refresh: the token endpoint did not answer within {0:?}; log in again when the access token expires")]
    TimedOut(Duration),
    /// The session changed while this instance refreshed: the new tokens were not saved.
    #[error("refresh: the session changed while it was being refreshed; log in again")]
    Conflict,
}

impl<E: fmt::Display> RefreshError<E> {
    /// The HTTP status this maps to.
    pub fn status(&self) -> http::StatusCode {
        match self {
            Self::Store(e) => e.status(),
            Self::Provider(_) => http::StatusCode::BAD_GATEWAY,
            Self::Busy(_) => http::StatusCode::SERVICE_UNAVAILABLE,
            Self::TimedOut(_) => http::StatusCode::GATEWAY_TIMEOUT,
            Self::SessionGone | Self::NoRefreshToken | Self::Conflict => {
                http::StatusCode::UNAUTHORIZED
            }
        }
    }
}

/// What an instance holding the lock found.
// Returned once per call, never stored in bulk: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Held<E: fmt::Display> {
    Done(Result<Refreshed, RefreshError<E>>),
    /// Another instance's fresh claim: it lost the lock but may still be redeeming. Wait for it.
    ClaimedElsewhere,
}

impl Sessions {
    /// Refreshes `session`'s tokens with `refresh` unless another instance does: exactly one instance calls its
    /// closure; the others wait (at most [`RefreshOptions::wait`]) for the new tokens, or go on with the access
    /// token while it is valid. `session` is the session as the caller read it; if it has changed in the store
    /// since, that newer session is returned instead (it may already hold new tokens).
    pub async fn refresh_once<F, Fut, E>(
        &self,
        session: &Session,
        options: &RefreshOptions,
        refresh: F,
    ) -> Result<Refreshed, RefreshError<E>>
    where
        F: FnOnce(Tokens) -> Fut,
        Fut: Future<Output = Result<Tokens, ProviderFailure<E>>>,
        E: fmt::Display,
    {
        let lock = session.reference.id.storage_key();
        let owner = seal::hex(&seal::random_bytes::<16>());
        let deadline = Instant::now() + options.wait;
        let mut refresh = Some(refresh);
        loop {
            if self.store.try_lock(&lock, &owner, options.lock_ttl).await? {
                let lease = Lease::start(self.store.clone(), &lock, &owner, options);
                let held = self
                    .refresh_holding_lock(session, &owner, options, &mut refresh)
                    .await;
                lease.release().await;
                if let Held::Done(result) = held {
                    return result;
                }
            }
            tokio::time::sleep(options.poll).await;
            let current = self
                .load(&session.reference)
                .await?
                .ok_or(RefreshError::SessionGone)?;
            if !same_tokens(&current.data.tokens, &session.data.tokens)
                && current.data.refresh_claim.is_none()
            {
                return Ok(Refreshed::ByAnother(current));
            }
            if Instant::now() >= deadline {
                return if current
                    .data
                    .tokens
                    .access_valid(OffsetDateTime::now_utc(), Duration::ZERO)
                {
                    Ok(Refreshed::StillValid(current))
                } else {
                    Err(RefreshError::Busy(options.wait))
                };
            }
        }
    }

    async fn refresh_holding_lock<F, Fut, E>(
        &self,
        seen: &Session,
        owner: &str,
        options: &RefreshOptions,
        refresh: &mut Option<F>,
    ) -> Held<E>
    where
        F: FnOnce(Tokens) -> Fut,
        Fut: Future<Output = Result<Tokens, ProviderFailure<E>>>,
        E: fmt::Display,
    {
        // Double-checked: read again now that no one else may refresh.
        let current = match self.load(&seen.reference).await {
            Ok(Some(current)) => current,
            Ok(None) => return Held::Done(Err(RefreshError::SessionGone)),
            Err(e) => return Held::Done(Err(e.into())),
        };
        if let Some(claim) = &current.data.refresh_claim {
            let age = OffsetDateTime::now_utc() - crate::cookie::from_unix_ms(claim.at_ms);
            if age < options.abandon_after {
                return Held::ClaimedElsewhere;
            }
            tracing::warn!(
                "refresh: a refresh started elsewhere never finished; dropping its refresh token"
            );
            let mut data = current.data.clone();
            data.refresh_claim = None;
            data.tokens.refresh_token = None;
            return Held::Done(match self.save(&current, data).await {
                Ok(_) => Err(RefreshError::NoRefreshToken),
                Err(e) => Err(e.into()),
            });
        }
        // Another instance refreshed meanwhile: its tokens are the answer. A change that left the tokens alone (the
        // Altinn token kept by the API) is no refresh: go on and claim the session as it now is.
        if !same_tokens(&current.data.tokens, &seen.data.tokens) {
            return Held::Done(Ok(Refreshed::ByAnother(current)));
        }
        if current.data.tokens.refresh_token.is_none() {
            return Held::Done(Err(RefreshError::NoRefreshToken));
        }
        let mut claimed_data = current.data.clone();
        claimed_data.refresh_claim = Some(RefreshClaim {
            owner: owner.to_owned(),
            at_ms: crate::cookie::unix_ms(OffsetDateTime::now_utc()),
        });
        let claimed = match self.save(&current, claimed_data).await {
            Ok(Saved::Written(claimed)) => claimed,
            Ok(Saved::Changed) => return Held::ClaimedElsewhere,
            Ok(Saved::Gone) => return Held::Done(Err(RefreshError::SessionGone)),
            Err(e) => return Held::Done(Err(e.into())),
        };
        let Some(refresh) = refresh.take() else {
            unreachable!("the closure is taken only here, and this path returns Done")
        };
        let answer = tokio::time::timeout(
            options.refresh_timeout,
            refresh(claimed.data.tokens.clone()),
        )
        .await;
        let mut data = claimed.data.clone();
        data.refresh_claim = None;
        let failure = match answer {
            Ok(Ok(tokens)) => {
                data.tokens = tokens;
                return Held::Done(match self.write_back(&claimed, data).await {
                    Ok(Saved::Written(session)) => Ok(Refreshed::ByThisInstance(session)),
                    Ok(Saved::Changed) => Err(RefreshError::Conflict),
                    Ok(Saved::Gone) => Err(RefreshError::SessionGone),
                    Err(e) => Err(e.into()),
                });
            }
            Ok(Err(ProviderFailure::NotSpent(e))) => RefreshError::Provider(e),
            Ok(Err(ProviderFailure::MaybeSpent(e))) => {
                data.tokens.refresh_token = None;
                RefreshError::Provider(e)
            }
            Err(_) => {
                data.tokens.refresh_token = None;
                RefreshError::TimedOut(options.refresh_timeout)
            }
        };
        if let Err(e) = self.write_back(&claimed, data).await {
            tracing::warn!("refresh: could not clear the refresh claim: {e}");
        }
        Held::Done(Err(failure))
    }

    /// Saves the refresh's result, retrying briefly while the store is unavailable: the new refresh token exists
    /// only in this process until it is written.
    async fn write_back(&self, claimed: &Session, data: SessionData) -> Result<Saved, StoreError> {
        let mut attempt = 0;
        loop {
            match self.save(claimed, data.clone()).await {
                Err(StoreError::Unavailable { .. }) if attempt < 2 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                other => return other,
            }
        }
    }
}

/// Whether two readings of a session hold the same tokens: a refresh replaces the access token, and spends or
/// drops the refresh token. (Compared by value, not by the whole struct: a session as created keeps sub-second
/// expiry times that the stored one rounds to the second.)
fn same_tokens(a: &Tokens, b: &Tokens) -> bool {
    a.access_token == b.access_token && a.refresh_token == b.refresh_token
}

/// A held lock, renewed in the background until released or dropped.
struct Lease {
    store: Arc<dyn SessionStore>,
    name: String,
    owner: String,
    renewer: JoinHandle<()>,
}

impl Lease {
    fn start(
        store: Arc<dyn SessionStore>,
        name: &str,
        owner: &str,
        options: &RefreshOptions,
    ) -> Self {
        let (renew_store, renew_name, renew_owner) =
            (store.clone(), name.to_owned(), owner.to_owned());
        let (every, ttl) = (options.renew_every, options.lock_ttl);
        let renewer = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match renew_store.renew_lock(&renew_name, &renew_owner, ttl).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!("refresh: the refresh lock was lost; the claim in the session still guards");
                        return;
                    }
                    Err(e) => tracing::warn!("refresh: could not renew the refresh lock: {e}"),
                }
            }
        });
        Self {
            store,
            name: name.to_owned(),
            owner: owner.to_owned(),
            renewer,
        }
    }

    async fn release(self) {
        self.renewer.abort();
        if let Err(e) = self.store.unlock(&self.name, &self.owner).await {
            tracing::warn!(
                "refresh: could not release the refresh lock (it expires by itself): {e}"
            );
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewer.abort();
    }
}
