//! The access-token hook of the VAT page's API ([`crate::api::TokenHook`]) on the BFF: reads the session again
//! on every call and refreshes it (once across instances) when needed, or at once when a service refused the
//! token.

use super::Bff;
use crate::api::TokenHook;
use crate::cookie::SessionRef;
use mva::token::{TokenError, TokenFuture};
use mva::AccessToken;
use std::sync::Arc;

/// [`TokenHook`] over a [`Bff`]: `ApiState::new(..).with_tokens(Arc::new(BffTokens(bff)))`.
#[derive(Debug, Clone)]
pub struct BffTokens(pub Arc<Bff>);

fn failed(message: String) -> TokenError {
    message.into()
}

impl TokenHook for BffTokens {
    fn access_token(&self, session: SessionRef, force_refresh: bool) -> TokenFuture<'_> {
        Box::pin(async move {
            let sessions = self.0.sessions();
            let current = sessions
                .load(&session)
                .await
                .map_err(|e| failed(format!("the session could not be read: {e}")))?
                .ok_or_else(|| failed("the session has ended; log in again".into()))?;
            let fresh = if force_refresh {
                self.0
                    .refresh_session(&current)
                    .await
                    .map(|r| r.session().clone())
            } else {
                self.0.fresh_session(&current).await
            };
            let fresh = fresh.map_err(|problem| failed(problem.message))?;
            Ok(AccessToken::new(fresh.data.tokens.access_token.secret()))
        })
    }
}
