//! Where a submission running in the background gets the session's access token: it reads the session again on
//! every call (a refresh by any instance is seen), never keeps a token of its own.

use crate::cookie::SessionRef;
use crate::sessions::Sessions;
use mva::token::{TokenError, TokenFuture, TokenSource};
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

/// A [`TokenSource`] for the `mva` library: one session's tokens through a hook.
pub(crate) struct SessionTokens {
    pub(crate) hook: Arc<dyn TokenHook>,
    pub(crate) session: SessionRef,
}

impl TokenSource for SessionTokens {
    fn access_token(&self, force_refresh: bool) -> TokenFuture<'_> {
        self.hook.access_token(self.session.clone(), force_refresh)
    }
}
