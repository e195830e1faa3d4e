//! What the simulator remembers: grants, authorization codes, refresh tokens, PAR requests, pending logins, single
//! sign-on sessions and used assertion ids. Secrets (codes, refresh tokens, cookies) are kept only as digests.

use std::collections::HashMap;

use crate::authorize::AuthRequest;
use crate::model::{digest, Level};

/// An authorization: one login of one person for one client, with everything its tokens carry.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The grant's id.
    pub id: u64,
    /// The client.
    pub client_id: String,
    /// The person.
    pub pid: String,
    /// The level of the login.
    pub acr: Level,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// When the person authenticated.
    pub auth_time: i64,
    /// The end of the grant's total lifetime (authorization lifetime, capped at 8 h for skatteetaten scopes).
    pub ends_at: i64,
    /// The SSO session id (`sid`).
    pub sid: String,
    /// The locale.
    pub locale: String,
    /// `resource` from the request: the access token's `aud`.
    pub resource: Option<String>,
    /// Revoked (by /revoke, code reuse, refresh token reuse or logout).
    pub revoked: bool,
}

/// An issued authorization code.
#[derive(Debug, Clone)]
pub struct CodeEntry {
    /// The grant it belongs to.
    pub grant_id: u64,
    /// The redirect_uri of the request.
    pub redirect_uri: String,
    /// The PKCE challenge.
    pub challenge: String,
    /// The nonce for the ID token.
    pub nonce: String,
    /// Expiry (30 s after issue).
    pub expires_at: i64,
    /// Whether it was redeemed already.
    pub used: bool,
}

/// An issued refresh token.
#[derive(Debug, Clone)]
pub struct RefreshEntry {
    /// The grant it belongs to.
    pub grant_id: u64,
    /// Idle expiry.
    pub expires_at: i64,
    /// Whether it was used already (one-time tokens).
    pub spent: bool,
}

/// A pushed authorization request.
#[derive(Debug, Clone)]
pub struct ParEntry {
    /// The client that pushed it.
    pub client_id: String,
    /// The parameters, as sent.
    pub params: Vec<(String, String)>,
    /// Expiry (120 s).
    pub expires_at: i64,
}

/// An authorization request waiting on the login page.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    /// The checked request.
    pub request: AuthRequest,
    /// The form's CSRF token.
    pub csrf: String,
    /// When the page expires.
    pub expires_at: i64,
}

/// A single sign-on session (30 min idle, 120 min at most).
#[derive(Debug, Clone)]
pub struct SsoSession {
    /// The session id (`sid`).
    pub sid: String,
    /// The person.
    pub pid: String,
    /// The level of the login.
    pub acr: Level,
    /// When the person authenticated.
    pub auth_time: i64,
    /// Last use.
    pub last_seen: i64,
    /// Clients logged in through this session.
    pub clients: Vec<String>,
}

/// Idle lifetime of an SSO session.
pub const SSO_IDLE_SECS: i64 = 30 * 60;
/// Maximum lifetime of an SSO session.
pub const SSO_MAX_SECS: i64 = 120 * 60;

impl SsoSession {
    /// Whether the session is still alive at `now`.
    pub fn alive(&self, now: i64) -> bool {
        now < self.last_seen + SSO_IDLE_SECS && now < self.auth_time + SSO_MAX_SECS
    }
}

/// How long expired tokens are remembered (so late use is answered "expired", not "unknown").
pub const KEEP_EXPIRED_SECS: i64 = 3600;

/// All state, behind one lock in [`crate::SimState`].
#[derive(Debug, Default)]
pub struct Store {
    next_id: u64,
    last_sweep: i64,
    /// Grants by id.
    pub grants: HashMap<u64, Grant>,
    /// Codes by digest.
    pub codes: HashMap<String, CodeEntry>,
    /// Refresh tokens by digest.
    pub refresh: HashMap<String, RefreshEntry>,
    /// Access token jti -> (grant id, expiry).
    pub access: HashMap<String, (u64, i64)>,
    /// PAR requests by request_uri.
    pub par: HashMap<String, ParEntry>,
    /// Login pages by transaction id.
    pub pending: HashMap<String, PendingLogin>,
    /// SSO sessions by digest of the cookie value.
    pub sessions: HashMap<String, SsoSession>,
    /// Client assertion jti (per client) -> expiry, to refuse reuse.
    pub assertion_jtis: HashMap<(String, String), i64>,
}

impl Store {
    /// Adds a grant and returns its id.
    pub fn add_grant(&mut self, mut grant: Grant) -> u64 {
        self.next_id += 1;
        grant.id = self.next_id;
        self.grants.insert(grant.id, grant);
        self.next_id
    }

    /// Revokes a grant: its access tokens and refresh tokens stop working.
    pub fn revoke_grant(&mut self, id: u64) {
        if let Some(g) = self.grants.get_mut(&id) {
            g.revoked = true;
        }
    }

    /// The live SSO session for a cookie value.
    pub fn session(&mut self, cookie: &str, now: i64) -> Option<&mut SsoSession> {
        let key = digest(cookie);
        if self.sessions.get(&key).is_some_and(|s| !s.alive(now)) {
            self.sessions.remove(&key);
        }
        self.sessions.get_mut(&key)
    }

    /// The grant an access token (by `jti`) belongs to.
    pub fn access_grant(&self, jti: &str) -> Option<&Grant> {
        self.access.get(jti).and_then(|(id, _)| self.grants.get(id))
    }

    /// Drops what has expired, at most once a second (called on every lock).
    pub fn sweep(&mut self, now: i64) {
        if now == self.last_sweep {
            return;
        }
        self.last_sweep = now;
        // Expired entries stay an hour, so late use gets "expired" rather than "unknown".
        self.access
            .retain(|_, (_, exp)| *exp + KEEP_EXPIRED_SECS > now);
        self.refresh
            .retain(|_, r| r.expires_at + KEEP_EXPIRED_SECS > now);
        self.grants
            .retain(|_, g| g.ends_at + KEEP_EXPIRED_SECS > now);
        self.codes
            .retain(|_, c| c.expires_at + KEEP_EXPIRED_SECS > now);
        self.par.retain(|_, p| p.expires_at > now);
        self.pending.retain(|_, p| p.expires_at > now);
        self.sessions.retain(|_, s| s.alive(now));
        self.assertion_jtis.retain(|_, exp| *exp > now);
    }
}
