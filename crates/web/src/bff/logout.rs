//! `POST /oauth2/logout` (the CSRF guard has checked `Origin`): ends the session here, revokes its refresh and
//! access tokens, clears the cookie, then ends the ID-porten session with an auto-submitting POST to end_session
//! (`id_token_hint` never in a URL). `GET /oauth2/logout/callback`: where ID-porten sends the browser back, with
//! the `state` of the end-session request, which must match the sealed logout-state cookie set with the form (a
//! callback that this browser's logout did not start is refused).

use super::pages::{cookie_value, error_page, form_post_page};
use super::Bff;
use crate::cookie::{CookieAttributes, SessionRef};
use crate::login_state::{
    clear_login_state, login_cookie_name, open_login_state, seal_login_state,
};
use crate::routes::session_cookie_value;
use crate::session::Session;
use crate::store::StoreError;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use idporten::refresh::{end_session_request, revoke_token, TokenKind};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// How long a logout that found the store unavailable keeps trying to revoke and delete in the background.
const RETRY_FOR: Duration = Duration::from_secs(10 * 60);

pub(super) async fn logout(State(bff): State<Arc<Bff>>, headers: HeaderMap) -> Response {
    let reference = session_cookie_value(&headers).and_then(|v| bff.sessions().open_cookie(v).ok());
    let mut response = match reference {
        None => back_home(),
        Some(reference) => match bff.sessions().load(&reference).await {
            Ok(Some(session)) => end(&bff, session).await,
            Ok(None) | Err(StoreError::Corrupt(_)) => back_home(),
            Err(e) => {
                // The cookie goes now; the tokens are revoked and the session deleted as soon as the store answers.
                tracing::warn!("logout: the session store is unavailable ({e}); finishing the logout in the background");
                let retry = bff.clone();
                tokio::spawn(async move { finish_later(retry, reference).await });
                error_page(
                    StatusCode::OK,
                    "Logged out here",
                    "You are logged out of this site. The session store did not answer, so the tokens are revoked in \
                     the background as soon as it does; close the browser to end the ID-porten session too.",
                )
            }
        },
    };
    if let Ok(value) = HeaderValue::from_str(&CookieAttributes.clear_cookie()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn back_home() -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Deletes the session, revokes its tokens, and answers with the end-session form (or home when the provider has
/// no end_session_endpoint).
async fn end(bff: &Bff, session: Session) -> Response {
    if let Err(e) = bff.sessions().delete(session.reference()).await {
        tracing::warn!("logout: the session could not be deleted: {e}");
    }
    revoke(bff, &session).await;
    let client = bff.client();
    let id_token = session
        .data
        .tokens
        .id_token
        .as_ref()
        .map(|t| idporten::IdToken::new(t.secret()));
    let state = crate::seal::hex(&crate::seal::random_bytes::<16>());
    let request = id_token.and_then(|t| {
        end_session_request(
            client.config(),
            client.metadata(),
            &t,
            idporten::State::new(state.clone()),
        )
    });
    let Some(request) = request else {
        return back_home();
    };
    let mut response = form_post_page(&request.action, &request.fields, bff.public_origin());
    let cookie = seal_login_state(
        bff.sessions().keys(),
        &logout_flow(&state),
        &LOGOUT_MARK,
        OffsetDateTime::now_utc(),
    );
    if let Some(value) = cookie.ok().and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// What the logout-state cookie holds: only that it is one (the seal binds it to its flow's `state`).
const LOGOUT_MARK: &str = "logout";

/// The flow name of a logout's state cookie: apart from every login flow's.
fn logout_flow(state: &str) -> String {
    format!("logout {state}")
}

/// Revokes the refresh token (the whole grant at ID-porten), then the access token. A failure is logged: the
/// session is gone here either way.
async fn revoke(bff: &Bff, session: &Session) {
    let client = bff.client();
    let tokens = &session.data.tokens;
    let refresh = tokens
        .refresh_token
        .as_ref()
        .map(|t| (t.secret(), TokenKind::RefreshToken));
    let access = Some((tokens.access_token.secret(), TokenKind::AccessToken));
    for (token, kind) in refresh.into_iter().chain(access) {
        let result = revoke_token(
            &client.seams().http,
            client.config(),
            client.metadata(),
            token,
            kind,
            client.now(),
        )
        .await;
        match result {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => tracing::warn!("logout: the provider did not revoke the {kind:?}: {e}"),
        }
    }
}

async fn finish_later(bff: Arc<Bff>, reference: SessionRef) {
    let deadline = tokio::time::Instant::now() + RETRY_FOR;
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(2)).await;
        match bff.sessions().load(&reference).await {
            Ok(Some(session)) => {
                let _ = bff.sessions().delete(session.reference()).await;
                revoke(&bff, &session).await;
                tracing::info!("logout: finished in the background");
                return;
            }
            Ok(None) | Err(StoreError::Corrupt(_)) => return,
            Err(_) => {}
        }
    }
    tracing::warn!("logout: the session store did not answer for {RETRY_FOR:?}; the tokens expire by themselves");
}

pub(super) async fn callback(
    State(bff): State<Arc<Bff>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let state = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned());
    let Some(state) = state else {
        return not_this_logout();
    };
    let flow = logout_flow(&state);
    let opened = cookie_value(&headers, &login_cookie_name(&flow)).map(|value| {
        open_login_state::<String>(
            bff.sessions().keys(),
            &flow,
            value,
            OffsetDateTime::now_utc(),
        )
    });
    let mut response = match opened {
        Some(Ok(mark)) if mark == LOGOUT_MARK => back_home(),
        _ => not_this_logout(),
    };
    if let Ok(value) = HeaderValue::from_str(&clear_login_state(&flow)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn not_this_logout() -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        "This logout was not started here",
        "The answer from ID-porten does not belong to a logout started in this browser in the last few minutes. \
         Nothing was changed.",
    )
}
