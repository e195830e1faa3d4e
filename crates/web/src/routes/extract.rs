//! [`CurrentSession`]: the session of a request, for handlers.

use super::{Problem, WebState};
use crate::cookie::COOKIE_NAME;
use crate::session::Session;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use axum::http::HeaderMap;

/// The logged-in session of the request. Rejects with [`Problem`]: 401 (no cookie, a refused cookie, an ended
/// session; the cookie is cleared) or 503 (the store is unavailable; never taken as "not logged in").
#[derive(Debug, Clone)]
pub struct CurrentSession(pub Session);

impl<S> FromRequestParts<S> for CurrentSession
where
    S: Send + Sync,
    WebState: FromRef<S>,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let state = WebState::from_ref(state);
        let value = session_cookie_value(&parts.headers)
            .ok_or_else(|| Problem::not_logged_in("not logged in"))?;
        let reference = state.sessions.open_cookie(value)?;
        match state.sessions.load(&reference).await? {
            Some(session) => Ok(Self(session)),
            None => Err(Problem::not_logged_in(
                "the session has ended; log in again",
            )),
        }
    }
}

/// The value of the first `__Host-mva-session` cookie of a request, if any.
pub fn session_cookie_value(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim_matches('"'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn finds_the_session_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            COOKIE,
            HeaderValue::from_static("a=1; __Host-mva-sessionX=no"),
        );
        headers.append(
            COOKIE,
            HeaderValue::from_static("b=2;__Host-mva-session=abc ; c=3"),
        );
        assert_eq!(session_cookie_value(&headers), Some("abc"));
        assert_eq!(session_cookie_value(&HeaderMap::new()), None);
    }
}
