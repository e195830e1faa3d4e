//! Where a submission running in the background gets the session's access token: it reads the session again on
//! every call (a refresh by any instance is seen), never keeps a token of its own.

use crate::cookie::SessionRef;
use crate::sessions::{Saved, Sessions};
use mva::token::{KeepFuture, KeptFuture, TokenError, TokenFuture, TokenSource};
use mva::AccessToken;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// Gives the access token of a session. `force_refresh` is true after a service refused the token: the hook then
/// refreshes it (or fails) rather than return the same one.
pub trait TokenHook: Send + Sync {
    /// The session's access token.
    fn access_token(&self, session: SessionRef, force_refresh: bool) -> TokenFuture<'_>;
}

/// The access token as stored in the session, while it is valid for at least 5 more seconds. It does not refresh:
/// the login routes of `mva serve` refresh the session (with `Sessions::refresh_once`) and this hook sees the new
/// token; `mva serve` may put in a hook that refreshes by itself.
#[derive(Debug, Clone)]
pub struct StoredAccessToken {
    sessions: Sessions,
}

impl StoredAccessToken {
    /// Reads tokens from `sessions`.
    pub fn new(sessions: Sessions) -> Self {
        Self { sessions }
    }
}

fn failed(message: &str) -> TokenError {
    message.to_owned().into()
}

impl TokenHook for StoredAccessToken {
    fn access_token(&self, session: SessionRef, _force_refresh: bool) -> TokenFuture<'_> {
        Box::pin(async move {
            let now = OffsetDateTime::now_utc();
            let current = self
                .sessions
                .load(&session)
                .await
                .map_err(|e| failed(&format!("the session could not be read: {e}")))?
                .ok_or_else(|| failed("the session has ended; log in again"))?;
            let tokens = &current.data.tokens;
            if !tokens.access_valid(now, Duration::from_secs(5)) {
                return Err(failed(
                    "the session's access token has expired; log in again",
                ));
            }
            Ok(AccessToken::new(tokens.access_token.secret()))
        })
    }
}

/// A [`TokenSource`] for the `mva` library: one session's tokens through a hook, and the session as the place
/// where the Altinn token is kept between requests and instances.
pub(crate) struct SessionTokens {
    pub(crate) hook: Arc<dyn TokenHook>,
    pub(crate) sessions: Sessions,
    pub(crate) session: SessionRef,
}

/// How often keeping the Altinn token is tried when another request changed the session meanwhile.
const KEEP_ATTEMPTS: usize = 3;

impl TokenSource for SessionTokens {
    fn access_token(&self, force_refresh: bool) -> TokenFuture<'_> {
        self.hook.access_token(self.session.clone(), force_refresh)
    }

    fn kept_altinn_token(&self) -> KeptFuture<'_> {
        Box::pin(async move {
            let session = self.sessions.load(&self.session).await.ok()??;
            let kept = session.data.altinn_token?;
            Some(AccessToken::new(kept.secret()))
        })
    }

    /// Writes the token into the session by compare-and-set. Never while an instance is refreshing (its claim is
    /// in the session): a change of version then would make it drop the tokens it is redeeming.
    fn keep_altinn_token(&self, token: &AccessToken) -> KeepFuture<'_> {
        let token = crate::types::AccessToken::new(token.secret());
        Box::pin(async move {
            for _ in 0..KEEP_ATTEMPTS {
                let Ok(Some(session)) = self.sessions.load(&self.session).await else {
                    return;
                };
                if session.data.refresh_claim.is_some()
                    || session.data.altinn_token.as_ref() == Some(&token)
                {
                    return;
                }
                let mut data = session.data.clone();
                data.altinn_token = Some(token.clone());
                match self.sessions.save(&session, data).await {
                    Ok(Saved::Changed) => continue,
                    Ok(_) => return,
                    Err(e) => {
                        tracing::debug!("the Altinn token is not kept in the session: {e}");
                        return;
                    }
                }
            }
        })
    }
}
