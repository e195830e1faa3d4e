//! The desktop login: listener first, then the request, then the browser, then the callback and the code exchange.

use std::time::Duration;
use url::Url;

use crate::authorization::check_granted_scope;
use crate::{
    BrowserLaunch, BrowserOpener, Error, ListenerOptions, LoopbackListener, RedirectUri, StoreKey,
    TokenSet, TokenStore,
};
use idporten::{save_tokens, Client};

/// What happens during [`login`], for a terminal to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginEvent {
    /// The listener is bound at this redirect URI.
    Listening {
        /// The redirect URI (with the real port when the registered one has port 0).
        redirect_uri: RedirectUri,
    },
    /// The authorization request was pushed (PAR).
    Pushed,
    /// The browser was opened at this URL (which holds no secret).
    BrowserOpened {
        /// The authorization URL.
        url: Url,
    },
    /// The URL was shown to the user instead.
    UrlPrinted {
        /// The authorization URL.
        url: Url,
    },
    /// Waiting for the callback; about once a second.
    Waiting {
        /// Time left before the login times out.
        time_left: Duration,
    },
    /// The callback arrived; the code is being exchanged and the ID token validated.
    ExchangingCode,
}

/// Logs in through the browser, stores the validated session in `store` under `key`, and returns it.
///
/// The listener is bound FIRST (a taken port fails before the browser opens), then the request is built (pushed
/// when configured), then `opener` brings the URL to the user; the callback must carry the request's `state` and
/// the issuer's `iss` (RFC 9207; required when the provider promises it); then the code is exchanged with the PKCE
/// verifier, the ID token validated (signature, issuer, audience, expiry, nonce, acr) and the session saved. The
/// browser's page is held open until then: it says "logged in" only when the session is stored, and otherwise
/// which step failed.
pub async fn login(
    client: &Client,
    opener: &dyn BrowserOpener,
    options: &ListenerOptions,
    store: &dyn TokenStore,
    key: &StoreKey,
    mut on_event: impl FnMut(LoginEvent) + Send,
) -> Result<TokenSet, Error> {
    let mut listener =
        LoopbackListener::bind(&client.config().redirect_uri, options.clone()).await?;
    let result = through(client, opener, &mut listener, &mut on_event).await;
    let result = match result {
        Ok(tokens) => save_tokens(store, key, &tokens).await.map(|()| tokens),
        Err(e) => Err(e),
    };
    listener.finish_login(result.as_ref().map(|_| ()));
    listener.shutdown().await;
    result
}

/// The login on a bound listener, up to the validated session.
async fn through(
    client: &Client,
    opener: &dyn BrowserOpener,
    listener: &mut LoopbackListener,
    on_event: &mut (impl FnMut(LoginEvent) + Send),
) -> Result<TokenSet, Error> {
    let redirect_uri = listener.redirect_uri().clone();
    on_event(LoginEvent::Listening {
        redirect_uri: redirect_uri.clone(),
    });
    let request = client.authorization_request(&redirect_uri).await?;
    if request.pushed {
        on_event(LoginEvent::Pushed);
    }
    let url = request.url.clone();
    on_event(match opener.open(&url)? {
        BrowserLaunch::Opened => LoginEvent::BrowserOpened { url },
        BrowserLaunch::Printed => LoginEvent::UrlPrinted { url },
    });
    let issuer = client.config().issuer.clone();
    let callback = {
        let mut tick = |time_left: Duration| on_event(LoginEvent::Waiting { time_left });
        listener
            .wait_for_callback(&request.state, &issuer, &mut tick)
            .await
    }?;
    if callback.iss.is_none()
        && client
            .metadata()
            .authorization_response_iss_parameter_supported
    {
        return Err(Error::CallbackIssuerMissing {
            issuer: issuer.to_string(),
        });
    }
    on_event(LoginEvent::ExchangingCode);
    let tokens = client.exchange_code(&callback.code, &request).await?;
    check_granted_scope(&client.config().scope(), &tokens.scope)?;
    Ok(tokens)
}
