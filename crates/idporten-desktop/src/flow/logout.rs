//! Logout: revoke the tokens, end the session at the provider through the browser (a form POST, so the ID token
//! never appears in a URL), and forget the tokens here.

use std::time::Duration;

use crate::authorization::random_token;
use crate::refresh::{end_session_request, NotRevoked};
use crate::{
    BrowserOpener, Error, ListenerOptions, LoopbackListener, RedirectUri, State, StoreKey,
    TokenStore,
};
use idporten::flow::{load_tokens, lock_session, write_if};
use idporten::Client;

/// How the end-session step went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndSessionOutcome {
    /// Not attempted (`local_only`, or nothing was stored).
    Skipped,
    /// The provider advertises no end_session_endpoint.
    NotAdvertised,
    /// The browser was sent to the provider; no post-logout redirect URI is configured, so no confirmation comes.
    Opened,
    /// The provider redirected back to the post-logout redirect URI with our state.
    Confirmed,
    /// The provider did not come back in time (the session at the provider may still be open).
    NotConfirmed {
        /// Why.
        reason: String,
    },
}

/// What [`logout`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogoutOutcome {
    /// Whether a session was stored.
    pub was_logged_in: bool,
    /// Whether the provider revoked tokens (false when it offers no revocation, or `local_only`).
    pub revoked: bool,
    /// The tokens the provider refused to revoke, and why (they stay valid at the provider until they expire).
    pub not_revoked: Vec<NotRevoked>,
    /// The end-session step.
    pub end_session: EndSessionOutcome,
}

/// How long the form-post page is served when no post-logout redirect URI can confirm the logout.
const UNCONFIRMED_WAIT: Duration = Duration::from_secs(15);

/// Logs out: forgets the stored session at once (under the session's lock, so that no refresh in flight, here or in
/// another process, can bring it back), revokes the refresh and access tokens where the provider offers revocation,
/// ends the provider's session through the browser (waiting for the post-logout redirect when one is configured).
/// With `local_only`, only forgets.
///
/// A token the provider refuses to revoke is reported in [`LogoutOutcome::not_revoked`]; the logout goes on. Only
/// a network failure before anything was revoked stores the tokens again (unless a new login stored a session
/// meanwhile) and returns [`Error::RevocationFailed`], so that the logout can be tried again.
pub async fn logout(
    client: &Client,
    store: &dyn TokenStore,
    key: &StoreKey,
    opener: &dyn BrowserOpener,
    options: &ListenerOptions,
    local_only: bool,
) -> Result<LogoutOutcome, Error> {
    let tokens = {
        let _lock = lock_session(store, key).await?;
        let tokens = match load_tokens(store, key).await {
            Ok(t) => t,
            // Unreadable tokens cannot be revoked; forgetting them is all that is left.
            Err(Error::StoredTokensCorrupt { .. }) => None,
            Err(e) => return Err(e),
        };
        store.delete(key).await?;
        tokens
    };
    let mut outcome = LogoutOutcome {
        was_logged_in: tokens.is_some(),
        revoked: false,
        not_revoked: vec![],
        end_session: EndSessionOutcome::Skipped,
    };
    let Some(tokens) = tokens.filter(|_| !local_only) else {
        return Ok(outcome);
    };
    let revocation = match client.revoke(&tokens).await {
        Ok(revocation) => revocation,
        Err(e) => {
            let _lock = lock_session(store, key).await?;
            write_if(store, key, |stored| stored.is_none(), Some(&tokens)).await?;
            return Err(Error::RevocationFailed {
                reason: e.to_string(),
            });
        }
    };
    outcome.revoked = !revocation.revoked.is_empty();
    outcome.not_revoked = revocation.not_revoked;
    let state = State::new(random_token());
    outcome.end_session =
        match end_session_request(client.config(), client.metadata(), &tokens.id_token, state) {
            None => EndSessionOutcome::NotAdvertised,
            // The session is forgotten and revoked already: a listener that cannot start only leaves the
            // provider's session open.
            Some(request) => end_session(client, opener, options, request)
                .await
                .unwrap_or_else(|e| EndSessionOutcome::NotConfirmed {
                    reason: e.to_string(),
                }),
        };
    Ok(outcome)
}

async fn end_session(
    client: &Client,
    opener: &dyn BrowserOpener,
    options: &ListenerOptions,
    request: crate::refresh::EndSessionRequest,
) -> Result<EndSessionOutcome, Error> {
    let config = client.config();
    let (bind_uri, mut options) = listener_for(
        &config.redirect_uri,
        config.post_logout_redirect_uri.as_ref(),
        options,
    )?;
    let confirmable = config.post_logout_redirect_uri.is_some();
    if !confirmable {
        options.timeout = options.timeout.min(UNCONFIRMED_WAIT);
    }
    let mut listener = LoopbackListener::bind(&bind_uri, options).await?;
    let real_port = listener.redirect_uri().url().port();
    let fields = request
        .fields
        .into_iter()
        .map(|(k, v)| match k.as_str() {
            "post_logout_redirect_uri" => (k, with_real_port(&v, real_port)),
            _ => (k, v),
        })
        .collect();
    let page = listener.serve_form_post(&request.action, fields);
    if let Err(e) = opener.open(&page) {
        // The tokens are forgotten already; not reaching the browser only leaves the provider's session open.
        listener.shutdown().await;
        return Ok(EndSessionOutcome::NotConfirmed {
            reason: e.to_string(),
        });
    }
    let result = listener.wait_for_logout(&request.state, &mut |_| {}).await;
    listener.shutdown().await;
    Ok(match (result, confirmable) {
        (Ok(()), _) => EndSessionOutcome::Confirmed,
        (Err(_), false) => EndSessionOutcome::Opened,
        (Err(e), true) => EndSessionOutcome::NotConfirmed {
            reason: e.to_string(),
        },
    })
}

/// Where to listen during logout: on the post-logout redirect URI's host and port (its path is the logout path);
/// the login redirect URI when it shares them, else the post-logout origin itself.
fn listener_for(
    redirect_uri: &RedirectUri,
    post_logout: Option<&RedirectUri>,
    options: &ListenerOptions,
) -> Result<(RedirectUri, ListenerOptions), Error> {
    let mut options = options.clone();
    let Some(post) = post_logout else {
        options.logout_path = None;
        return Ok((redirect_uri.clone(), options));
    };
    options.logout_path = Some(post.url().path().to_string());
    let same_origin = redirect_uri.url().origin() == post.url().origin();
    if same_origin && redirect_uri.url().path() != post.url().path() {
        options.cancel_path = options
            .cancel_path
            .filter(|c| Some(c) != options.logout_path.as_ref());
        return Ok((redirect_uri.clone(), options));
    }
    let mut base = post.url().clone();
    base.set_path("/.mva-logout-listener");
    base.set_query(None);
    options.cancel_path = None;
    Ok((RedirectUri::parse(base.as_str())?, options))
}

/// A post-logout URI registered with port 0 (RFC 8252 7.3) gets the port the listener actually bound.
fn with_real_port(uri: &str, real_port: Option<u16>) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) if url.port() == Some(0) => {
            let _ = url.set_port(real_port);
            url.to_string()
        }
        _ => uri.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> RedirectUri {
        RedirectUri::parse(s).unwrap()
    }

    #[test]
    fn the_listener_shares_the_login_port_when_it_can() {
        let login = uri("http://localhost:8988/auth/loginsuccess");
        let post = uri("http://localhost:8988/auth/logoutsuccess");
        let (bind, options) =
            listener_for(&login, Some(&post), &ListenerOptions::default()).unwrap();
        assert_eq!(bind, login);
        assert_eq!(options.logout_path.as_deref(), Some("/auth/logoutsuccess"));
    }

    #[test]
    fn another_port_gets_its_own_listener() {
        let login = uri("http://localhost:12345/token");
        let post = uri("http://localhost:8989/bye");
        let (bind, options) =
            listener_for(&login, Some(&post), &ListenerOptions::default()).unwrap();
        assert_eq!(bind.url().port(), Some(8989));
        assert_eq!(options.logout_path.as_deref(), Some("/bye"));
    }

    #[test]
    fn port_zero_is_replaced_by_the_real_one() {
        assert_eq!(
            with_real_port("http://127.0.0.1:0/bye", Some(4321)),
            "http://127.0.0.1:4321/bye"
        );
        assert_eq!(
            with_real_port("http://localhost:8988/bye", Some(4321)),
            "http://localhost:8988/bye"
        );
    }
}
