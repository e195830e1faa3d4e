//! What the simulator remembers: grants, authorization codes, refresh tokens, PAR requests, pending logins, single
//! sign-on sessions and used assertion ids. Secrets (codes, refresh tokens, cookies) are kept only as digests.
//!
//! Memory stays flat under any token load: what a token request adds is bounded by the logins, not by the
//! requests. An access token's `jti` names its grant (no table of issued access tokens), and a spent one-time
//! refresh token is recognised by its authenticated sequence number in the grant's chain (no table of spent
//! tokens); everything else that expires is swept (see [`Store::sweep`]).

use std::collections::HashMap;

use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;

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
    /// How many refresh tokens the grant has been given: the sequence number of the next one.
    pub refresh_issued: u64,
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

/// An issued refresh token that has not been spent. A one-time token is removed when it is used; its reuse is
/// recognised by [`Store::spent_refresh_grant`].
#[derive(Debug, Clone)]
pub struct RefreshEntry {
    /// The grant it belongs to.
    pub grant_id: u64,
    /// Idle expiry.
    pub expires_at: i64,
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

/// The per-run key that authenticates refresh tokens' (grant, sequence number).
struct RefreshKey(hmac::Key);

impl Default for RefreshKey {
    fn default() -> Self {
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        Self(hmac::Key::new(hmac::HMAC_SHA256, &secret))
    }
}

impl std::fmt::Debug for RefreshKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshKey([redacted])")
    }
}

/// Bytes of a refresh token: grant id (8), sequence number (8), HMAC-SHA256 of both (32).
const REFRESH_TOKEN_BYTES: usize = 8 + 8 + 32;

/// All state, behind one lock in [`crate::SimState`].
#[derive(Debug, Default)]
pub struct Store {
    next_id: u64,
    last_sweep: i64,
    refresh_key: RefreshKey,
    /// Grants by id.
    pub grants: HashMap<u64, Grant>,
    /// Codes by digest.
    pub codes: HashMap<String, CodeEntry>,
    /// Unspent refresh tokens by digest.
    pub refresh: HashMap<String, RefreshEntry>,
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

    /// A fresh `jti` for an access token of the grant: base64url(grant id, 16 random bytes). Only the simulator
    /// signs access tokens, so a `jti` read from a verified token names its grant without a table.
    pub fn access_jti(grant_id: u64) -> String {
        let mut bytes = [0u8; 24];
        bytes[..8].copy_from_slice(&grant_id.to_be_bytes());
        OsRng.fill_bytes(&mut bytes[8..]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The grant an access token belongs to, by the `jti` of a token whose signature has been verified.
    pub fn access_grant(&self, jti: &str) -> Option<&Grant> {
        let bytes = URL_SAFE_NO_PAD.decode(jti).ok().filter(|b| b.len() == 24)?;
        let id = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"));
        self.grants.get(&id)
    }

    /// Issues the grant's next refresh token, valid until `expires_at`: base64url(grant id, sequence number,
    /// HMAC-SHA256 of both under the per-run key). Unguessable without the key; stored as a digest.
    pub fn issue_refresh(&mut self, grant_id: u64, expires_at: i64) -> String {
        let grant = self.grants.get_mut(&grant_id).expect("the grant exists");
        let seq = grant.refresh_issued;
        grant.refresh_issued += 1;
        let mut bytes = Vec::with_capacity(REFRESH_TOKEN_BYTES);
        bytes.extend_from_slice(&grant_id.to_be_bytes());
        bytes.extend_from_slice(&seq.to_be_bytes());
        let tag = hmac::sign(&self.refresh_key.0, &bytes);
        bytes.extend_from_slice(tag.as_ref());
        let token = URL_SAFE_NO_PAD.encode(bytes);
        self.refresh.insert(
            digest(&token),
            RefreshEntry {
                grant_id,
                expires_at,
            },
        );
        token
    }

    /// The grant of a one-time refresh token that has been used already: the token is authentic (its HMAC) and a
    /// later token of the same grant has been issued. `None` for anything else (unknown, forged, the latest).
    pub fn spent_refresh_grant(&self, token: &str) -> Option<u64> {
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .ok()
            .filter(|b| b.len() == REFRESH_TOKEN_BYTES)?;
        hmac::verify(&self.refresh_key.0, &bytes[..16], &bytes[16..]).ok()?;
        let id = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"));
        let seq = u64::from_be_bytes(bytes[8..16].try_into().expect("8 bytes"));
        let grant = self.grants.get(&id)?;
        (seq.saturating_add(1) < grant.refresh_issued && !self.refresh.contains_key(&digest(token)))
            .then_some(id)
    }

    /// Drops what has expired, at most once a second (called on every lock).
    pub fn sweep(&mut self, now: i64) {
        if now == self.last_sweep {
            return;
        }
        self.last_sweep = now;
        // Expired entries stay an hour, so late use gets "expired" rather than "unknown".
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    fn grant(ends_at: i64) -> Grant {
        Grant {
            id: 0,
            client_id: "client".into(),
            pid: "01818510078".into(),
            acr: Level::Substantial,
            scopes: vec!["openid".into()],
            auth_time: 0,
            ends_at,
            sid: "sid".into(),
            locale: "nb".into(),
            resource: None,
            revoked: false,
            refresh_issued: 0,
        }
    }

    /// Every kind of entry that expires is gone once the simulator's clock (its offset) is past its expiry (plus
    /// the hour expired tokens are remembered for), and not before.
    #[test]
    fn expired_entries_are_purged_when_the_clock_moves_on() {
        let clock = Clock::default();
        let now = clock.now();
        let mut store = Store::default();
        let id = store.add_grant(grant(now + 7200));
        store.codes.insert(
            digest("code"),
            CodeEntry {
                grant_id: id,
                redirect_uri: "http://localhost/cb".into(),
                challenge: "c".into(),
                nonce: "n".into(),
                expires_at: now + 30,
                used: true,
            },
        );
        store.issue_refresh(id, now + 600);
        store.par.insert(
            "urn:par".into(),
            ParEntry {
                client_id: "client".into(),
                params: vec![],
                expires_at: now + 120,
            },
        );
        store.sessions.insert(
            digest("cookie"),
            SsoSession {
                sid: "sid".into(),
                pid: "01818510078".into(),
                acr: Level::Substantial,
                auth_time: now,
                last_seen: now,
                clients: vec!["client".into()],
            },
        );
        store
            .assertion_jtis
            .insert(("client".into(), "jti".into()), now + 120);
        let sizes = |s: &Store| {
            [
                s.grants.len(),
                s.codes.len(),
                s.refresh.len(),
                s.par.len(),
                s.sessions.len(),
                s.assertion_jtis.len(),
            ]
        };
        store.sweep(clock.now());
        assert_eq!(sizes(&store), [1; 6], "nothing has expired yet");
        clock.advance(121);
        store.sweep(clock.now());
        assert_eq!(
            sizes(&store),
            [1, 1, 1, 0, 1, 0],
            "PAR and assertion jti gone"
        );
        clock.advance(SSO_IDLE_SECS);
        store.sweep(clock.now());
        assert_eq!(sizes(&store), [1, 1, 1, 0, 0, 0], "idle session gone");
        clock.advance(KEEP_EXPIRED_SECS);
        store.sweep(clock.now());
        assert_eq!(
            sizes(&store),
            [1, 0, 0, 0, 0, 0],
            "code and refresh token gone"
        );
        clock.advance(7200);
        store.sweep(clock.now());
        assert_eq!(sizes(&store), [0; 6], "grant gone");
    }

    /// A long chain of one-time refresh rotations leaves one entry, and every spent token is still recognised
    /// (reuse revokes the grant) while forged or current ones are not taken for spent.
    #[test]
    fn refresh_rotation_keeps_one_entry_and_recognises_spent_tokens() {
        let mut store = Store::default();
        let id = store.add_grant(grant(i64::MAX / 2));
        let mut tokens = vec![store.issue_refresh(id, 600)];
        for _ in 0..1000 {
            let spent = tokens.last().unwrap();
            assert!(store.refresh.remove(&digest(spent)).is_some());
            tokens.push(store.issue_refresh(id, 600));
        }
        assert_eq!(store.refresh.len(), 1);
        let latest = tokens.last().unwrap();
        assert_eq!(
            store.spent_refresh_grant(latest),
            None,
            "the latest is live"
        );
        for spent in &tokens[..1000] {
            assert_eq!(store.spent_refresh_grant(spent), Some(id));
        }
        let mut forged = URL_SAFE_NO_PAD.decode(&tokens[0]).unwrap();
        forged[47] ^= 1;
        assert_eq!(
            store.spent_refresh_grant(&URL_SAFE_NO_PAD.encode(&forged)),
            None
        );
        let mut other = Store::default();
        let other_id = other.add_grant(grant(i64::MAX / 2));
        assert_eq!(other_id, id);
        other.grants.get_mut(&other_id).unwrap().refresh_issued = 5000;
        assert_eq!(
            other.spent_refresh_grant(&tokens[0]),
            None,
            "another run's key"
        );
    }

    #[test]
    fn an_access_jti_names_its_grant() {
        let mut store = Store::default();
        let id = store.add_grant(grant(100));
        let jti = Store::access_jti(id);
        assert_ne!(jti, Store::access_jti(id));
        assert_eq!(store.access_grant(&jti).map(|g| g.id), Some(id));
        assert!(store.access_grant("not-a-jti").is_none());
    }
}
