//! A valid access token now: from the store without any network when it is fresh, else refreshed under the
//! store's cross-process lock so that a one-time refresh token is spent once, whatever the number of processes.

use std::future::Future;

use crate::flow::lock::lock_session;
use crate::flow::persist::{load_tokens, write_if};
use crate::flow::Client;
use crate::{Clock, Error, StoreKey, TokenSet, TokenStore, DEFAULT_REFRESH_MARGIN_SECS};

/// [`current_tokens_with_margin`] with the default margin of 30 s.
pub async fn current_tokens<F, Fut>(
    store: &dyn TokenStore,
    key: &StoreKey,
    clock: &dyn Clock,
    make_client: F,
) -> Result<TokenSet, Error>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Client, Error>>,
{
    current_tokens_with_margin(store, key, clock, DEFAULT_REFRESH_MARGIN_SECS, make_client).await
}

/// The stored session with an access token valid for more than `margin_secs`.
///
/// 1. Load; nothing stored: [`Error::NotLoggedIn`]. Fresh enough: return it (no network, no discovery).
/// 2. Else take the session's lock (in-process, then the store's cross-process lock) and load AGAIN: another
///    process may have refreshed meanwhile.
/// 3. Still stale: `make_client()` (discovery, normally from the disk cache); the provider's keys are fetched when
///    none are held; the refresh token is spent; the new tokens are saved AT ONCE (with the previous ID token, and
///    only if the stored refresh token is still the one spent); then the new ID token is checked and saved.
///
/// Session over (the 8-hour cap, no refresh token) or the provider's `invalid_grant`: the stored tokens are deleted
/// and the answer is [`Error::SessionEnded`]. A refreshed ID token that is refused (another person, another login
/// time, a bad signature) deletes them too. Any other failure (provider down, HTTP 500, the JWKS unreachable after
/// the refresh, a clock that is off) leaves a usable session stored: the next call works.
pub async fn current_tokens_with_margin<F, Fut>(
    store: &dyn TokenStore,
    key: &StoreKey,
    clock: &dyn Clock,
    margin_secs: i64,
    make_client: F,
) -> Result<TokenSet, Error>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Client, Error>>,
{
    let tokens = load_or_not_logged_in(store, key).await?;
    if !tokens.needs_refresh(clock.now(), margin_secs) {
        return Ok(tokens);
    }
    let _lock = lock_session(store, key).await?;
    let tokens = load_or_not_logged_in(store, key).await?;
    let now = clock.now();
    if !tokens.needs_refresh(now, margin_secs) {
        return Ok(tokens);
    }
    if tokens.is_session_over(now) {
        store.delete(key).await?;
        return Err(Error::SessionEnded);
    }
    let client = make_client().await?;
    let spent = match client.spend_refresh_token(&tokens).await {
        Ok(spent) => spent,
        Err(Error::SessionEnded) => {
            store.delete(key).await?;
            return Err(Error::SessionEnded);
        }
        Err(other) => return Err(other),
    };
    // The provider has spent the stored refresh token: its successor is stored before anything else can fail.
    let new_refresh = spent.session.refresh_token.clone();
    if !save_successor(store, key, &tokens, &spent.session).await? {
        return lost_race(store, key, now, margin_secs).await;
    }
    let is_successor = |t: Option<&TokenSet>| t.is_some_and(|t| t.refresh_token == new_refresh);
    match client.check_refreshed_id_token(spent, &tokens).await {
        Ok(fresh) => {
            if !write_if(store, key, is_successor, Some(&fresh)).await? {
                return lost_race(store, key, now, margin_secs).await;
            }
            Ok(fresh)
        }
        Err(e) if session_survives(&e) => Err(e),
        Err(e) => {
            write_if(store, key, is_successor, None).await?;
            Err(e)
        }
    }
}

/// How often saving the new tokens is tried before the session is given up.
const SAVE_ATTEMPTS: u32 = 3;

/// Stores the session that replaces `old` after its refresh token was spent, if the store still holds `old`'s
/// refresh token (compare-and-set); a failing store is tried again, as the spent token cannot be used again.
/// Answers `false` when another writer replaced or removed the session meanwhile.
async fn save_successor(
    store: &dyn TokenStore,
    key: &StoreKey,
    old: &TokenSet,
    new: &TokenSet,
) -> Result<bool, Error> {
    let mut attempt = 1;
    loop {
        // A retry after a write that succeeded but reported an error finds the successor stored already.
        let expected = |t: Option<&TokenSet>| {
            t.is_some_and(|t| {
                t.refresh_token == old.refresh_token || t.refresh_token == new.refresh_token
            })
        };
        match write_if(store, key, expected, Some(new)).await {
            Ok(written) => return Ok(written),
            Err(e) if attempt < SAVE_ATTEMPTS => {
                tracing::warn!(error = %e, attempt, "cannot save the refreshed session; trying again");
                tokio::time::sleep(std::time::Duration::from_millis(200 * u64::from(attempt)))
                    .await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Errors after the refresh token was spent that leave the saved successor in place: the provider or the keys were
/// not reachable, or the clock is off; the next call uses the saved tokens.
fn session_survives(e: &Error) -> bool {
    matches!(
        e,
        Error::ProviderUnreachable { .. }
            | Error::ProviderStatus { .. }
            | Error::ProviderResponse { .. }
            | Error::UnknownSigningKey { .. }
            | Error::IdTokenExpired { .. }
            | Error::IdTokenIssuedInFuture { .. }
    )
}

/// Another writer (a login or logout that ignored the lock) changed the session during the refresh; what it left
/// is the answer.
async fn lost_race(
    store: &dyn TokenStore,
    key: &StoreKey,
    now: i64,
    margin_secs: i64,
) -> Result<TokenSet, Error> {
    tracing::warn!(
        "the session was replaced or removed during a refresh; the refresh is not stored"
    );
    let tokens = load_or_not_logged_in(store, key).await?;
    if tokens.needs_refresh(now, margin_secs) {
        return Err(Error::SessionEnded);
    }
    Ok(tokens)
}

async fn load_or_not_logged_in(store: &dyn TokenStore, key: &StoreKey) -> Result<TokenSet, Error> {
    load_tokens(store, key)
        .await?
        .ok_or_else(|| Error::NotLoggedIn {
            issuer: key.issuer.to_string(),
            client_id: key.client_id.to_string(),
        })
}
