//! The errors of the `idporten` crate. Each message says what happened and what to do.

/// Everything that can go wrong in an ID-porten login, refresh, logout or token storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An integration file (Samarbeidsportalen settings) could not be read or parsed.
    #[error("the integration file {path} cannot be read: {reason}")]
    IntegrationFile {
        /// The file.
        path: String,
        /// What is wrong, with the line where known.
        reason: String,
    },
    /// The issuer is not a usable issuer URL.
    #[error("the issuer {issuer} is not usable: {reason}")]
    InvalidIssuer {
        /// The issuer as given.
        issuer: String,
        /// Why it is refused.
        reason: String,
    },
    /// The redirect URI is not usable.
    #[error("the redirect URI {uri} is not usable: {reason}")]
    InvalidRedirectUri {
        /// The URI as given.
        uri: String,
        /// Why it is refused.
        reason: String,
    },
    // Protocol: configuration, discovery, requests, tokens, validation, refresh, logout.
    /// A configuration value is not usable (an unknown acr level, a bad private key, ...).
    #[error("the setting {setting} is not usable: {reason}")]
    InvalidConfig {
        /// The setting, as named in the configuration.
        setting: String,
        /// Why it is refused and what would be accepted.
        reason: String,
    },
    /// The provider could not be reached at all (down, DNS, refused connection, timeout).
    #[error("cannot reach {url}: {reason}; check the network connection, or whether the provider is down")]
    ProviderUnreachable {
        /// The URL asked.
        url: String,
        /// The transport error.
        reason: String,
    },
    /// The provider answered with an unexpected HTTP status.
    #[error("{url} answered HTTP {status}: {body}; the provider may be having problems, try again later")]
    ProviderStatus {
        /// The URL asked.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the answer's body (at most 300 characters).
        body: String,
    },
    /// The provider's answer is larger than any answer of its kind should be; it was not read.
    #[error("{url} answered with more than {limit} bytes, far more than such an answer needs; it was not read (check the issuer; the provider may be misconfigured)")]
    ResponseTooLarge {
        /// The URL asked.
        url: String,
        /// The most that is read, bytes.
        limit: usize,
    },
    /// The provider answered 2xx with something that is not what the protocol prescribes.
    #[error("{url} answered with an unusable {what}: {reason}")]
    ProviderResponse {
        /// The URL asked.
        url: String,
        /// What was expected (discovery document, JWKS, token response, ...).
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The discovery document names another issuer than the configured one (OpenID Connect Discovery 4.3).
    #[error("the discovery document of {configured} names the issuer {discovered}; they must be equal character for character, so check the configured issuer (ID-porten's has no trailing slash)")]
    IssuerMismatch {
        /// The configured issuer.
        configured: String,
        /// The issuer in the discovery document.
        discovered: String,
    },
    /// The token is signed with a key the provider's JWKS does not hold, even after fetching it again.
    #[error("the ID token {}, which the provider's JWKS does not hold even after fetching it again (refetched at most once a minute); try again in a minute, or check the issuer", signing_key(kid.as_deref()))]
    UnknownSigningKey {
        /// The `kid` of the token's header (None when it has none and the JWKS has several keys).
        kid: Option<String>,
    },
    /// The ID token is not a well-formed JWS.
    #[error("the ID token is malformed: {reason}")]
    IdTokenMalformed {
        /// What is wrong.
        reason: String,
    },
    /// The ID token's `alg` is not RS256 (OpenID Connect Core 3.1.3.7 step 7; `none` and HMAC are refused).
    #[error("the ID token is signed with alg {alg:?}; only RS256 is accepted (OpenID Connect Core 3.1.3.7 step 7)")]
    IdTokenAlgorithm {
        /// The `alg` of the header.
        alg: String,
    },
    /// The signature does not verify with the provider's key (OpenID Connect Core 3.1.3.7 step 6).
    #[error("the ID token's signature does not verify with the provider's key (OpenID Connect Core 3.1.3.7 step 6); the token was altered or not issued by the provider")]
    IdTokenSignature,
    /// `iss` differs from the issuer (OpenID Connect Core 3.1.3.7 step 2).
    #[error(
        "the ID token's iss is {found:?}, expected {expected} (OpenID Connect Core 3.1.3.7 step 2)"
    )]
    IdTokenIssuer {
        /// The configured issuer.
        expected: String,
        /// The token's `iss`.
        found: String,
    },
    /// `aud` does not contain the client id (OpenID Connect Core 3.1.3.7 step 3).
    #[error("the ID token's aud {found:?} does not contain the client id {client_id} (OpenID Connect Core 3.1.3.7 step 3)")]
    IdTokenAudience {
        /// Our client id.
        client_id: String,
        /// The token's audiences.
        found: Vec<String>,
    },
    /// `azp` missing with several audiences, or not our client id (OpenID Connect Core 3.1.3.7 steps 4 and 5).
    #[error("the ID token's azp is {found:?}, expected {client_id} (OpenID Connect Core 3.1.3.7 steps 4-5)")]
    IdTokenAuthorizedParty {
        /// Our client id.
        client_id: String,
        /// The token's `azp`, if any.
        found: Option<String>,
    },
    /// The ID token has expired (OpenID Connect Core 3.1.3.7 step 9).
    #[error("the ID token expired at {exp} (now {now}, allowed clock skew {skew} s; OpenID Connect Core 3.1.3.7 step 9); check this computer's clock")]
    IdTokenExpired {
        /// `exp`, Unix seconds.
        exp: i64,
        /// The time of the check, Unix seconds.
        now: i64,
        /// The clock skew allowed, seconds.
        skew: i64,
    },
    /// The ID token was issued in the future (OpenID Connect Core 3.1.3.7 step 10).
    #[error("the ID token was issued at {iat}, in the future (now {now}, allowed clock skew {skew} s; OpenID Connect Core 3.1.3.7 step 10); check this computer's clock")]
    IdTokenIssuedInFuture {
        /// `iat`, Unix seconds.
        iat: i64,
        /// The time of the check.
        now: i64,
        /// The clock skew allowed, seconds.
        skew: i64,
    },
    /// A required claim is missing or has the wrong type (OpenID Connect Core 2).
    #[error("the ID token has no valid {claim} claim (OpenID Connect Core 2 / 3.1.3.7)")]
    IdTokenMissingClaim {
        /// The claim's name.
        claim: String,
    },
    /// `nonce` differs from the one sent (OpenID Connect Core 3.1.3.7 step 11).
    #[error("the ID token's nonce does not match the one sent in the authorization request (OpenID Connect Core 3.1.3.7 step 11); the response may be replayed: log in again")]
    IdTokenNonce,
    /// `acr` is below the level asked for (OpenID Connect Core 3.1.3.7 step 12; ID-porten: high satisfies substantial).
    #[error("the login's security level (acr) is {found:?}, below the {requested} asked for (OpenID Connect Core 3.1.3.7 step 12); log in again with a stronger method")]
    IdTokenAcr {
        /// The level asked for.
        requested: String,
        /// The token's `acr`.
        found: Option<String>,
    },
    /// A refreshed ID token names another issuer, subject or audience than the first (OpenID Connect Core 12.2).
    #[error("the refreshed ID token's {claim} differs from the original one (OpenID Connect Core 12.2); the session was not extended: log in again")]
    RefreshedIdTokenMismatch {
        /// `iss`, `sub`, `aud`, `auth_time` or `nonce`.
        claim: String,
    },
    /// The token (or PAR / revocation) endpoint answered an OAuth error.
    #[error("the provider refused the request: {error}{}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default(), oauth_hint(error))]
    TokenEndpoint {
        /// The OAuth `error` code (invalid_client, invalid_grant, ...).
        error: String,
        /// The `error_description`, if any.
        description: Option<String>,
    },
    /// The login session is over (its lifetime cap passed, or the provider refused the refresh token).
    #[error("the ID-porten session is over (its 8-hour limit passed, or the provider ended it); log in again")]
    SessionEnded,
    /// No tokens are stored for this issuer, client and profile.
    #[error("not logged in to {issuer} with client {client_id}; log in first")]
    NotLoggedIn {
        /// The issuer.
        issuer: String,
        /// The client id.
        client_id: String,
    },
    /// The stored tokens cannot be read back.
    #[error("the stored tokens are unreadable ({reason}); forget them on this computer and log in again")]
    StoredTokensCorrupt {
        /// What is wrong.
        reason: String,
    },
    /// The provider promises `iss` in authorization responses (RFC 9207) but the callback has none.
    #[error("callback: the answer has no iss parameter although {issuer} promises one (RFC 9207); it may come from another provider (a mix-up attack), so the login was stopped; log in again")]
    CallbackIssuerMissing {
        /// The issuer the login was sent to.
        issuer: String,
    },
    /// Logout could not revoke the tokens at the provider; they are kept so that nothing is lost.
    #[error("logout: the tokens could not be revoked at the provider ({reason}); they are still stored here: try the logout again, or only forget them on this computer")]
    RevocationFailed {
        /// What went wrong.
        reason: String,
    },
    /// The client assertion (private_key_jwt) could not be made.
    #[error("cannot sign the client assertion: {reason}; check the private key (PKCS#1 or PKCS#8 PEM, RSA 2048 bits)")]
    ClientAssertion {
        /// What failed.
        reason: String,
    },

    // The listener, the browser and the token store.
    /// The redirect URI's port is taken by another program, so the login's callback cannot be received.
    #[error("the redirect URI {redirect_uri} is not free: another program listens on port {port}. The redirect URI is registered with ID-porten and cannot be changed here, so close the other program (or wait for it to end) and try again")]
    PortInUse {
        /// The port of the redirect URI.
        port: u16,
        /// The redirect URI.
        redirect_uri: String,
    },
    /// The loopback listener could not listen for another reason than a taken port.
    #[error("cannot listen on {addr} for the redirect URI {redirect_uri}: {reason}")]
    ListenerBind {
        /// The address tried.
        addr: String,
        /// The redirect URI.
        redirect_uri: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The callback's `iss` is not the issuer the login was sent to (RFC 9207, mix-up protection).
    #[error("callback: the iss parameter is {found:?} but the login was sent to {expected} (RFC 9207); the answer may come from another provider (a mix-up attack), so the login was stopped; log in again")]
    CallbackIssuerMismatch {
        /// The issuer the login was sent to.
        expected: String,
        /// The `iss` of the callback.
        found: String,
    },
    /// The callback has the right `state` but no authorization code.
    #[error("callback: the answer has the right state but no authorization code; log in again")]
    CallbackMissingCode,
    /// The callback has the right `state` but is malformed (a parameter given twice).
    #[error("callback: the answer is malformed: {reason}; log in again")]
    CallbackMalformed {
        /// What is wrong.
        reason: String,
    },
    /// The user cancelled the login (the back URI was called, or `error=access_denied`).
    #[error("the login was cancelled in ID-porten; run the command again to log in")]
    LoginCancelled,
    /// ID-porten answered the authorization request with an error (RFC 6749 4.1.2.1).
    #[error("ID-porten refused the login with {error}: {}; check the integration's scopes and redirect URIs in Samarbeidsportalen, then log in again", .description.as_deref().unwrap_or("no description given"))]
    AuthorizationError {
        /// The `error` code, e.g. `invalid_scope`.
        error: String,
        /// The `error_description`, when given.
        description: Option<String>,
    },
    /// No callback arrived in time.
    #[error("no login arrived at the redirect URI within {after:?}; run the command again and finish the login in the browser")]
    LoginTimedOut {
        /// The time waited.
        after: std::time::Duration,
    },
    /// The browser did not come back from ID-porten's logout in time.
    #[error("the logout did not come back from ID-porten within {after:?}; the local session is removed, but the one at ID-porten may still be open: close the browser to end it")]
    LogoutTimedOut {
        /// The time waited.
        after: std::time::Duration,
    },
    /// A browser command (`--browser-command` or `$BROWSER`) could not be started.
    #[error("cannot start the browser command {command:?}: {reason}; check the command (the URL is added as its last argument)")]
    BrowserCommandFailed {
        /// The command as given.
        command: String,
        /// The operating system's reason.
        reason: String,
    },
    /// No web browser could be opened on this machine.
    #[error("cannot open a web browser: {reason}; open the URL yourself, or set $BROWSER or --browser-command")]
    BrowserNotOpened {
        /// Why.
        reason: String,
    },
    /// A file or directory of the token store could not be read, written or created.
    #[error("cannot {action} {path}: {reason}; check the directory's owner and permissions, or keep the tokens in another directory")]
    TokenStoreIo {
        /// What was tried ("write", "read", "create the directory", ...).
        action: String,
        /// The file or directory.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The token directory belongs to another user.
    #[error("the token directory {path} belongs to another user (uid {owner}), who could read or plant tokens there; remove it, or keep the tokens in a directory of your own")]
    TokenStoreNotOwned {
        /// The directory.
        path: String,
        /// Its owner's user id.
        owner: u32,
    },
    /// A stored session cannot be used as stored.
    #[error("the stored session {path} is unreadable ({reason}); log out (or delete the file) and log in again")]
    TokenStoreCorrupt {
        /// The file (or keyring entry).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Another process held the token lock for too long.
    #[error("another process has held the token lock {path} for {after:?}; wait for it to finish (or end it) and try again")]
    StoreLockTimeout {
        /// The lock file.
        path: String,
        /// The time waited.
        after: std::time::Duration,
    },
    /// No configuration directory could be found for this user.
    #[error("cannot find a configuration directory for this user (no home directory); choose a directory for the tokens")]
    NoHomeDir,
    /// The OS keyring failed.
    #[error("the OS keyring cannot {action}: {reason}; keep the tokens in files instead")]
    Keyring {
        /// What was tried.
        action: String,
        /// The keyring's reason.
        reason: String,
    },
    /// A top-level navigation brought the browser to the redirect URI with a `state` that is not this login's (an
    /// old tab, or a page that sent the browser there): the login is stopped at once rather than left waiting.
    #[error("callback: the browser arrived at the redirect URI with an answer that does not belong to this login (a wrong or missing state: an old tab, or another web page sent it there), so the login was stopped; run the command again and finish the login in the tab it opens")]
    CallbackForeignState,
    /// The provider granted fewer scopes than the login asked for, and a missing one is needed.
    #[error("ID-porten did not grant the scope(s) {} that the login asked for (granted: {granted:?}); the integration in Samarbeidsportalen must hold them: add them to the integration there (the Tax Administration's scopes must first be given to your organisation: e-mail mva-modernisering@skatteetaten.no with its organisation number), then log in again", .missing.join(" "))]
    ScopeNotGranted {
        /// The requested scopes that are missing from the grant.
        missing: Vec<String>,
        /// The scope the provider granted.
        granted: String,
    },
}

/// How [`Error::UnknownSigningKey`] names the key: the kid itself, or that the token names none.
fn signing_key(kid: Option<&str>) -> String {
    match kid {
        Some(kid) => format!("is signed with the key \"{}\"", kid.escape_debug()),
        None => "names no key (no kid) while the JWKS has several".to_string(),
    }
}

/// What to do about an OAuth error code from the token, PAR or revocation endpoint.
fn oauth_hint(error: &str) -> &'static str {
    match error {
        "invalid_client" => "; check the client id and its authentication (Klientautentiseringsmetode, secret or key) in Samarbeidsportalen",
        "invalid_grant" => "; the code or refresh token is used, expired or revoked: log in again",
        "invalid_scope" => "; the integration is not granted every requested scope: check its scopes in Samarbeidsportalen",
        "unauthorized_client" => "; the integration may not use this grant type: check its grant types in Samarbeidsportalen",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The library says what to do in its own words; the `mva` command adds its commands and variables.
    #[test]
    fn messages_name_no_command_and_no_variable_of_the_cli() {
        let dir = "/x".to_string();
        let errors = [
            Error::SessionEnded,
            Error::NotLoggedIn {
                issuer: "https://test.idporten.no".into(),
                client_id: "c".into(),
            },
            Error::StoredTokensCorrupt { reason: "r".into() },
            Error::RevocationFailed { reason: "r".into() },
            Error::TokenStoreIo {
                action: "write".into(),
                path: dir.clone(),
                reason: "r".into(),
            },
            Error::TokenStoreNotOwned {
                path: dir.clone(),
                owner: 1,
            },
            Error::TokenStoreCorrupt {
                path: dir.clone(),
                reason: "r".into(),
            },
            Error::StoreLockTimeout {
                path: dir,
                after: std::time::Duration::from_secs(30),
            },
            Error::NoHomeDir,
            Error::Keyring {
                action: "read".into(),
                reason: "r".into(),
            },
        ];
        for e in errors {
            let text = e.to_string();
            assert!(!text.contains("mva") && !text.contains("MVA_"), "{text}");
        }
    }
}
