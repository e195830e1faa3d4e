//! What a session holds, and the limits on how long it lives.

use crate::cookie::SessionRef;
use crate::types::{AccessToken, Acr, IdToken, Pid, RefreshToken, Sid};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use time::OffsetDateTime;

/// The longest a session may live: the Tax Administration's scopes cap every lifetime at 8 hours.
pub const MAX_ABSOLUTE_LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);

/// The tokens of a session. Kept only in the store, encrypted with the session's data key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    /// The access token.
    pub access_token: AccessToken,
    /// When the access token expires.
    #[serde(with = "time::serde::timestamp")]
    pub access_expires_at: OffsetDateTime,
    /// The refresh token, if the client has one and it has not been spent.
    pub refresh_token: Option<RefreshToken>,
    /// The ID token, for `id_token_hint` at logout.
    pub id_token: Option<IdToken>,
    /// The scopes granted, space-separated.
    pub scope: String,
}

/// How long before the access token expires a refresh starts (as wonderwall): long enough for a slow token
/// endpoint, short enough that ID-porten's 120-second access tokens are refreshed at most every 90 seconds.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(30);

impl Tokens {
    /// Whether the access token is still valid at `now`, with `margin` to spare.
    pub fn access_valid(&self, now: OffsetDateTime, margin: Duration) -> bool {
        now + margin < self.access_expires_at
    }

    /// Whether to refresh at `now`: there is a refresh token and the access token expires within
    /// [`REFRESH_MARGIN`].
    pub fn should_refresh(&self, now: OffsetDateTime) -> bool {
        self.refresh_token.is_some() && !self.access_valid(now, REFRESH_MARGIN)
    }
}

/// Who logged in: the ID token's claims a session needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The national identity number.
    pub pid: Pid,
    /// The level of assurance.
    pub acr: Acr,
    /// When the user authenticated.
    #[serde(with = "time::serde::timestamp")]
    pub auth_time: OffsetDateTime,
    /// ID-porten's session id, by which front- and back-channel logout find the session.
    pub sid: Option<Sid>,
}

/// Everything a session holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionData {
    /// The tokens.
    pub tokens: Tokens,
    /// Who logged in.
    pub identity: Identity,
    /// Set while one instance is redeeming the refresh token (see [`crate::refresh`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_claim: Option<RefreshClaim>,
    /// The Altinn token last exchanged for this login (see `mva::TokenSource::keep_altinn_token`), so that a
    /// submission on any instance does not exchange again. Sealed with the rest of the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) altinn_token: Option<AccessToken>,
}

impl SessionData {
    /// A session's data from freshly obtained tokens.
    pub fn new(tokens: Tokens, identity: Identity) -> Self {
        Self {
            tokens,
            identity,
            refresh_claim: None,
            altinn_token: None,
        }
    }
}

/// A mark that one instance has started to spend the refresh token: no one else may spend it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RefreshClaim {
    /// The lock owner value of the instance that set it.
    pub(crate) owner: String,
    /// When it was set (unix milliseconds).
    pub(crate) at_ms: i64,
}

/// A session read from the store.
#[derive(Debug, Clone)]
pub struct Session {
    pub(crate) reference: SessionRef,
    pub(crate) version: u64,
    /// What the session holds.
    pub data: SessionData,
}

impl Session {
    /// The reference the session's cookie holds.
    pub fn reference(&self) -> &SessionRef {
        &self.reference
    }

    /// The version in the store; every write adds one.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// When the session ends at the latest.
    pub fn ends_at(&self) -> OffsetDateTime {
        self.reference.ends_at()
    }
}

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    absolute: Duration,
    idle: Duration,
}

/// Refused session limits.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("session limits refused: {0}")]
pub struct LimitsError(&'static str);

impl Limits {
    /// A session ends `absolute` after login (at most 8 hours) or after `idle` without use, whichever is first.
    pub fn new(absolute: Duration, idle: Duration) -> Result<Self, LimitsError> {
        if absolute > MAX_ABSOLUTE_LIFETIME {
            return Err(LimitsError("the absolute lifetime is at most 8 hours"));
        }
        if absolute.as_millis() == 0 || idle.as_millis() == 0 {
            return Err(LimitsError("lifetimes must be at least one millisecond"));
        }
        Ok(Self {
            absolute,
            idle: idle.min(absolute),
        })
    }

    /// The absolute lifetime.
    pub fn absolute(&self) -> Duration {
        self.absolute
    }

    /// The idle timeout.
    pub fn idle(&self) -> Duration {
        self.idle
    }
}

impl Default for Limits {
    /// 8 hours at most, 1 hour idle.
    fn default() -> Self {
        Self {
            absolute: MAX_ABSOLUTE_LIFETIME,
            idle: Duration::from_secs(60 * 60),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refreshes_only_near_expiry_and_only_with_a_refresh_token() {
        let now = OffsetDateTime::now_utc();
        let mut tokens = Tokens {
            access_token: AccessToken::new("a"),
            access_expires_at: now + time::Duration::seconds(31),
            refresh_token: Some(RefreshToken::new("r")),
            id_token: None,
            scope: String::new(),
        };
        assert!(!tokens.should_refresh(now));
        assert!(tokens.should_refresh(now + time::Duration::seconds(1)));
        tokens.refresh_token = None;
        assert!(!tokens.should_refresh(now + time::Duration::seconds(60)));
    }

    #[test]
    fn limits_cap_the_absolute_lifetime_at_eight_hours() {
        assert!(Limits::new(
            MAX_ABSOLUTE_LIFETIME + Duration::from_secs(1),
            Duration::from_secs(60)
        )
        .is_err());
        assert!(Limits::new(Duration::ZERO, Duration::from_secs(60)).is_err());
        let l = Limits::new(Duration::from_secs(60), Duration::from_secs(600)).unwrap();
        assert_eq!(
            l.idle(),
            Duration::from_secs(60),
            "idle never exceeds absolute"
        );
    }
}
