//! The login-state cookie: what the callback needs from the login that started it (`state`, `nonce`, PKCE
//! verifier, where to go afterwards), sealed and kept in the browser for the few minutes the login takes.
//!
//! One cookie per login flow, named after a hash of its `state` (`__Host-mva-login-{hash}`), so two tabs logging in
//! at once each find their own (wonderwall has one login cookie, and the second tab's login breaks the first's).
//! `SameSite=Lax`, because the way back from ID-porten is a cross-site top-level GET, which `Strict` cookies miss.
//! The seal binds the cookie's name, so a cookie renamed to another flow's name does not open.

use crate::cookie::{from_unix_ms, unix_ms, CookieError};
use crate::keys::SessionKeys;
use crate::seal;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::time::Duration;
use time::OffsetDateTime;

/// The prefix of every login-state cookie's name.
pub const LOGIN_COOKIE_PREFIX: &str = "__Host-mva-login-";
/// How long a login may take, from `/oauth2/login` to the callback.
pub const LOGIN_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// The longest cookie value accepted (browsers keep at most about 4 KB per cookie).
const MAX_VALUE_LEN: usize = 4096;

/// The name of the login-state cookie of the flow whose `state` is `state`.
pub fn login_cookie_name(state: &str) -> String {
    format!(
        "{LOGIN_COOKIE_PREFIX}{}",
        &seal::hex(&Sha256::digest(state.as_bytes()))[..32]
    )
}

/// Seals `value` into the login-state cookie of flow `state`; returns the `Set-Cookie` header value.
pub fn seal_login_state<T: Serialize>(
    keys: &SessionKeys,
    state: &str,
    value: &T,
    now: OffsetDateTime,
) -> Result<String, serde_json::Error> {
    let name = login_cookie_name(state);
    let ends = unix_ms(now + LOGIN_LIFETIME);
    let mut plain = ends.to_be_bytes().to_vec();
    plain.extend(serde_json::to_vec(value)?);
    let sealed = URL_SAFE_NO_PAD.encode(keys.current.seal(name.as_bytes(), &plain));
    Ok(format!(
        "{name}={sealed}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={}",
        LOGIN_LIFETIME.as_secs()
    ))
}

/// Opens the login-state cookie value of flow `state` (found under [`login_cookie_name`]): refused if it was not
/// sealed by this server for this flow, was altered, or the login took longer than [`LOGIN_LIFETIME`].
pub fn open_login_state<T: DeserializeOwned>(
    keys: &SessionKeys,
    state: &str,
    value: &str,
    now: OffsetDateTime,
) -> Result<T, CookieError> {
    if value.len() > MAX_VALUE_LEN {
        return Err(CookieError::Malformed);
    }
    let sealed = URL_SAFE_NO_PAD
        .decode(value.trim())
        .map_err(|_| CookieError::Malformed)?;
    let name = login_cookie_name(state);
    let plain = keys
        .for_opening()
        .find_map(|key| key.open(name.as_bytes(), &sealed))
        .ok_or(CookieError::NotAuthentic)?;
    let (ends, json) = plain.split_at_checked(8).ok_or(CookieError::Malformed)?;
    let ends = i64::from_be_bytes(ends.try_into().map_err(|_| CookieError::Malformed)?);
    if from_unix_ms(ends) <= now {
        return Err(CookieError::Expired);
    }
    serde_json::from_slice(json).map_err(|_| CookieError::Malformed)
}

/// The `Set-Cookie` header value that removes the login-state cookie of flow `state` (after the callback).
pub fn clear_login_state(state: &str) -> String {
    format!(
        "{}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0",
        login_cookie_name(state)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value_of(set_cookie: &str) -> (&str, &str) {
        set_cookie
            .split(';')
            .next()
            .unwrap()
            .split_once('=')
            .unwrap()
    }

    #[test]
    fn each_flow_has_its_own_cookie_that_opens_only_for_that_flow() {
        let keys = SessionKeys::generate();
        let now = OffsetDateTime::now_utc();
        let one = seal_login_state(&keys, "state-1", &("nonce-1", "/a"), now).unwrap();
        let two = seal_login_state(&keys, "state-2", &("nonce-2", "/b"), now).unwrap();
        let ((name1, value1), (name2, value2)) = (value_of(&one), value_of(&two));
        assert_ne!(name1, name2, "two tabs, two cookies");
        assert!(one.contains("SameSite=Lax") && one.contains("Secure") && one.contains("HttpOnly"));
        assert!(name1.starts_with(LOGIN_COOKIE_PREFIX));
        let opened: (String, String) = open_login_state(&keys, "state-1", value1, now).unwrap();
        assert_eq!(opened, ("nonce-1".to_owned(), "/a".to_owned()));
        assert_eq!(
            open_login_state::<(String, String)>(&keys, "state-1", value2, now).unwrap_err(),
            CookieError::NotAuthentic,
            "another flow's cookie under this flow's state"
        );
        let late = now + LOGIN_LIFETIME + Duration::from_secs(1);
        assert_eq!(
            open_login_state::<(String, String)>(&keys, "state-1", value1, late).unwrap_err(),
            CookieError::Expired
        );
        assert_eq!(
            open_login_state::<(String, String)>(&SessionKeys::generate(), "state-1", value1, now)
                .unwrap_err(),
            CookieError::NotAuthentic
        );
        for junk in ["", "%%", &value1[..20], &"A".repeat(5000)] {
            assert!(open_login_state::<(String, String)>(&keys, "state-1", junk, now).is_err());
        }
        assert!(clear_login_state("state-1").starts_with(&format!("{name1}=;")));
    }
}
