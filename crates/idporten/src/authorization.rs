//! The authorization request: PKCE (RFC 7636, S256 only), state and nonce from the OS's CSPRNG, the URL the browser
//! is sent to, and pushed authorization requests (RFC 9126). Building the request is a pure function of the
//! configuration, the provider's metadata and the random values; only [`push_authorization_request`] does I/O.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use url::Url;

use crate::client_auth::authenticate;
use crate::discovery::ProviderMetadata;
use crate::http::{parse_json, Http};
use crate::token_request::oauth_error;
use crate::{
    check_callback, AcrLevel, AuthorizationCode, ClientConfig, Error, Issuer, Nonce, PkceChallenge,
    PkceVerifier, RedirectUri, State,
};

/// The unreserved characters of RFC 7636 4.1, from which a code verifier is made.
const UNRESERVED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

/// A PKCE pair: the secret verifier (kept) and its S256 challenge (sent).
#[derive(Clone, Debug)]
pub struct Pkce {
    /// The `code_verifier`, sent only to the token endpoint.
    pub verifier: PkceVerifier,
    /// `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))` without padding.
    pub challenge: PkceChallenge,
}

impl Pkce {
    /// A fresh pair: a 64-character verifier drawn uniformly from the unreserved set with `OsRng` (384 bits).
    pub fn generate() -> Self {
        let verifier: String = (0..64)
            .map(|_| UNRESERVED[OsRng.gen_range(0..UNRESERVED.len())] as char)
            .collect();
        Self::from_verifier(PkceVerifier::new(verifier)).expect("generated verifiers are valid")
    }

    /// The pair for a given verifier, which must be 43 to 128 unreserved characters (RFC 7636 4.1).
    ///
    /// ```
    /// // RFC 7636 appendix B
    /// use idporten::{Pkce, PkceVerifier};
    /// let pkce = Pkce::from_verifier(PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).unwrap();
    /// assert_eq!(pkce.challenge.as_str(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    /// ```
    pub fn from_verifier(verifier: PkceVerifier) -> Result<Self, Error> {
        let v = verifier.secret();
        if !(43..=128).contains(&v.len()) || !v.bytes().all(|b| UNRESERVED.contains(&b)) {
            return Err(Error::InvalidConfig {
                setting: "code_verifier".into(),
                reason:
                    "a PKCE verifier is 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 4.1)"
                        .into(),
            });
        }
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes()));
        Ok(Self {
            verifier,
            challenge: PkceChallenge::new(challenge),
        })
    }
}

/// The random values of one login: state, nonce and PKCE pair.
#[derive(Clone, Debug)]
pub struct LoginRandomness {
    /// `state` (CSRF protection).
    pub state: State,
    /// `nonce` (binds the ID token to this request).
    pub nonce: Nonce,
    /// The PKCE pair.
    pub pkce: Pkce,
}

impl LoginRandomness {
    /// Fresh values from the OS's CSPRNG: 256-bit state and nonce, a 384-bit verifier.
    pub fn generate() -> Self {
        Self {
            state: State::new(random_token()),
            nonce: Nonce::new(random_token()),
            pkce: Pkce::generate(),
        }
    }
}

/// 32 bytes from `OsRng`, base64url without padding (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A built authorization request: the URL for the browser and what must be remembered until the callback.
#[derive(Clone, Debug)]
pub struct AuthorizationRequest {
    /// The URL to open in the browser. It holds no secret (the verifier is not in it).
    pub url: Url,
    /// The state to expect in the callback.
    pub state: State,
    /// The nonce to expect in the ID token.
    pub nonce: Nonce,
    /// The verifier to send with the code.
    pub pkce_verifier: PkceVerifier,
    /// The redirect URI sent (the token request must repeat it).
    pub redirect_uri: RedirectUri,
    /// The level asked for.
    pub acr: AcrLevel,
    /// Whether the request was pushed (PAR).
    pub pushed: bool,
}

impl AuthorizationRequest {
    /// What a server keeps in the login's session until the callback (see [`AuthorizationState`]).
    pub fn session_state(&self, issuer: &Issuer) -> AuthorizationState {
        AuthorizationState {
            state: self.state.clone(),
            nonce: self.nonce.clone(),
            pkce_verifier: self.pkce_verifier.clone(),
            issuer: issuer.clone(),
            redirect_uri: self.redirect_uri.clone(),
            acr: self.acr,
        }
    }
}

/// The part of an [`AuthorizationRequest`] that must survive until the callback, serialisable into a server's
/// session (or a sealed cookie): it holds secrets (the PKCE verifier), so keep it encrypted and never log it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuthorizationState {
    /// The state the callback must carry.
    pub state: State,
    /// The nonce the ID token must carry.
    pub nonce: Nonce,
    /// The PKCE verifier to send with the code.
    pub pkce_verifier: PkceVerifier,
    /// The provider the login was sent to; the callback's `iss` must name it (RFC 9207).
    pub issuer: Issuer,
    /// The redirect URI sent (the token request repeats it).
    pub redirect_uri: RedirectUri,
    /// The level asked for.
    pub acr: AcrLevel,
}

impl AuthorizationState {
    /// Checks the callback's query parameters against this login with [`check_callback`]: the code on success;
    /// else [`Error::CallbackForeignState`], [`Error::CallbackIssuerMismatch`] (or `CallbackIssuerMissing` when
    /// `iss_required`), [`Error::LoginCancelled`] (`access_denied`), [`Error::AuthorizationError`] or
    /// [`Error::CallbackMissingCode`].
    pub fn check_callback(
        &self,
        params: &[(String, String)],
        iss_required: bool,
    ) -> Result<AuthorizationCode, Error> {
        check_callback(params, &self.state, &self.issuer, iss_required).map(|answer| answer.code)
    }
}

/// The parameters of the authorization request, in a fixed order.
pub fn authorization_params(
    config: &ClientConfig,
    redirect_uri: &RedirectUri,
    random: &LoginRandomness,
) -> Vec<(String, String)> {
    let mut params = vec![
        ("response_type", "code".to_string()),
        ("client_id", config.client_id.to_string()),
        ("redirect_uri", redirect_uri.as_str().to_string()),
        ("scope", config.scope()),
        ("state", random.state.to_string()),
        ("nonce", random.nonce.to_string()),
        ("code_challenge", random.pkce.challenge.to_string()),
        ("code_challenge_method", "S256".to_string()),
        ("acr_values", config.acr.as_str().to_string()),
        ("ui_locales", config.ui_locale.as_str().to_string()),
    ];
    if config.prompt_login {
        params.push(("prompt", "login".to_string()));
    }
    params
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// Builds a plain (front-channel) authorization request: `authorization_endpoint?response_type=code&...`.
pub fn build_authorization_request(
    config: &ClientConfig,
    metadata: &ProviderMetadata,
    redirect_uri: &RedirectUri,
    random: &LoginRandomness,
) -> AuthorizationRequest {
    let mut url = metadata.authorization_endpoint.clone();
    url.query_pairs_mut()
        .extend_pairs(authorization_params(config, redirect_uri, random));
    remembered(config, redirect_uri, random, url, false)
}

/// The browser URL after a pushed request: `authorization_endpoint?client_id=..&request_uri=..` (RFC 9126 4).
pub fn par_authorization_url(
    metadata: &ProviderMetadata,
    config: &ClientConfig,
    request_uri: &str,
) -> Url {
    let mut url = metadata.authorization_endpoint.clone();
    url.query_pairs_mut()
        .append_pair("client_id", config.client_id.as_str())
        .append_pair("request_uri", request_uri);
    url
}

/// Pushes the authorization request to the provider's PAR endpoint with client authentication and returns the
/// request whose URL carries only `client_id` and `request_uri`. Fails with [`Error::InvalidConfig`] if the provider
/// advertises no PAR endpoint.
pub async fn push_authorization_request(
    http: &Http,
    config: &ClientConfig,
    metadata: &ProviderMetadata,
    redirect_uri: &RedirectUri,
    random: &LoginRandomness,
    now: i64,
) -> Result<AuthorizationRequest, Error> {
    let endpoint = metadata
        .pushed_authorization_request_endpoint
        .as_ref()
        .ok_or_else(|| Error::InvalidConfig {
            setting: "use_par".into(),
            reason: format!(
                "{} advertises no pushed_authorization_request_endpoint",
                config.issuer
            ),
        })?;
    let mut form = authorization_params(config, redirect_uri, random);
    let basic = authenticate(config, &mut form, now)?;
    let answer = http.post_form(endpoint, &form, basic.as_ref()).await?;
    if answer.status != 201 && answer.status != 200 {
        return Err(oauth_error(endpoint, &answer));
    }
    #[derive(serde::Deserialize)]
    struct ParResponse {
        request_uri: String,
    }
    let par: ParResponse = parse_json(endpoint, "PAR response", &answer.body)?;
    let url = par_authorization_url(metadata, config, &par.request_uri);
    Ok(remembered(config, redirect_uri, random, url, true))
}

fn remembered(
    config: &ClientConfig,
    redirect_uri: &RedirectUri,
    random: &LoginRandomness,
    url: Url,
    pushed: bool,
) -> AuthorizationRequest {
    AuthorizationRequest {
        url,
        state: random.state.clone(),
        nonce: random.nonce.clone(),
        pkce_verifier: random.pkce.verifier.clone(),
        redirect_uri: redirect_uri.clone(),
        acr: config.acr,
        pushed,
    }
}

/// The Tax Administration's scopes that a login must be granted when it asks for them: without them the VAT APIs
/// answer 403 later, with no hint why.
const REQUIRED_WHEN_ASKED: [&str; 2] = [
    "skatteetaten:mvameldingvalidering",
    "skatteetaten:mvameldinginnsending",
];

/// Checks the scope a provider granted (space separated; RFC 6749 5.1) against the scope asked for: each
/// Tax Administration scope that was asked for must be granted, else [`Error::ScopeNotGranted`] says which ones
/// and what to do in Samarbeidsportalen. Other scopes (e.g. `profile`) may be dropped by the provider.
pub fn check_granted_scope(asked: &str, granted: &str) -> Result<(), Error> {
    let granted_set: Vec<&str> = granted.split_ascii_whitespace().collect();
    let missing: Vec<String> = asked
        .split_ascii_whitespace()
        .filter(|s| REQUIRED_WHEN_ASKED.contains(s) && !granted_set.contains(s))
        .map(str::to_string)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::ScopeNotGranted {
            missing,
            granted: granted.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientId, Issuer, UiLocale};

    #[test]
    fn rfc7636_appendix_b() {
        let pkce = Pkce::from_verifier(PkceVerifier::new(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        ))
        .unwrap();
        assert_eq!(
            pkce.challenge.as_str(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn bad_verifiers_are_refused() {
        assert!(Pkce::from_verifier(PkceVerifier::new("short")).is_err());
        assert!(Pkce::from_verifier(PkceVerifier::new("a".repeat(129))).is_err());
        assert!(Pkce::from_verifier(PkceVerifier::new(format!("{}+", "a".repeat(50)))).is_err());
    }

    #[test]
    fn generated_values_are_long_unique_and_unpadded() {
        let a = LoginRandomness::generate();
        let b = LoginRandomness::generate();
        assert_ne!(a.state, b.state);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.pkce.verifier, b.pkce.verifier);
        assert_eq!(a.state.as_str().len(), 43); // 256 bits
        assert_eq!(a.pkce.verifier.secret().len(), 64);
        assert!(!a.pkce.challenge.as_str().contains('='));
        assert_eq!(a.pkce.challenge.as_str().len(), 43);
    }

    fn metadata() -> ProviderMetadata {
        serde_json::from_value(serde_json::json!({
            "issuer": "https://test.idporten.no",
            "authorization_endpoint": "https://login.test.idporten.no/authorize",
            "token_endpoint": "https://test.idporten.no/token",
            "jwks_uri": "https://test.idporten.no/jwks.json"
        }))
        .unwrap()
    }

    #[test]
    fn the_url_holds_every_parameter_and_no_verifier() {
        let mut config = ClientConfig::new(
            Issuer::parse("https://test.idporten.no").unwrap(),
            ClientId::new("23cc2587-ea4e-4a5f-aa5c-dfce3d6c5f09"),
            RedirectUri::parse("http://localhost:12345/token").unwrap(),
        );
        config.acr = AcrLevel::High;
        config.ui_locale = UiLocale::En;
        config.prompt_login = true;
        let random = LoginRandomness {
            state: State::new("st"),
            nonce: Nonce::new("no"),
            pkce: Pkce::from_verifier(PkceVerifier::new(
                "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            ))
            .unwrap(),
        };
        let req = build_authorization_request(&config, &metadata(), &config.redirect_uri, &random);
        assert_eq!(
            req.url.as_str(),
            "https://login.test.idporten.no/authorize?response_type=code\
             &client_id=23cc2587-ea4e-4a5f-aa5c-dfce3d6c5f09\
             &redirect_uri=http%3A%2F%2Flocalhost%3A12345%2Ftoken\
             &scope=openid+skatteetaten%3Amvameldingvalidering+skatteetaten%3Amvameldinginnsending\
             &state=st&nonce=no&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
             &code_challenge_method=S256&acr_values=idporten-loa-high&ui_locales=en&prompt=login"
        );
        assert!(!req.url.as_str().contains("dBjftJeZ"));
        let par = par_authorization_url(&metadata(), &config, "urn:idporten:abc");
        assert_eq!(
            par.as_str(),
            "https://login.test.idporten.no/authorize?client_id=23cc2587-ea4e-4a5f-aa5c-dfce3d6c5f09&request_uri=urn%3Aidporten%3Aabc"
        );
    }

    #[test]
    fn a_missing_vat_scope_that_was_asked_for_is_an_error() {
        let asked = "openid skatteetaten:mvameldingvalidering skatteetaten:mvameldinginnsending";
        assert!(check_granted_scope(asked, asked).is_ok());
        assert!(check_granted_scope("openid profile", "openid").is_ok());
        let e = check_granted_scope(asked, "openid skatteetaten:mvameldingvalidering").unwrap_err();
        assert!(
            matches!(&e, Error::ScopeNotGranted { missing, .. } if missing == &["skatteetaten:mvameldinginnsending"]),
            "{e:?}"
        );
        assert!(e.to_string().contains("Samarbeidsportalen"), "{e}");
    }

    #[test]
    fn the_session_state_survives_serialisation_and_checks_the_callback() {
        let config = ClientConfig::new(
            Issuer::parse("https://test.idporten.no").unwrap(),
            ClientId::new("web"),
            RedirectUri::parse("https://app.example/oauth2/callback").unwrap(),
        );
        let random = LoginRandomness::generate();
        let req = build_authorization_request(&config, &metadata(), &config.redirect_uri, &random);
        let kept = req.session_state(&config.issuer);
        let json = serde_json::to_string(&kept).unwrap();
        let back: AuthorizationState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, kept);
        assert_eq!(back.pkce_verifier.secret(), random.pkce.verifier.secret());
        assert_eq!(back.acr, config.acr);
        let params = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let state = random.state.as_str();
        let iss = "https://test.idporten.no";
        let code = back
            .check_callback(
                &params(&[("code", "c1"), ("state", state), ("iss", iss)]),
                true,
            )
            .unwrap();
        assert_eq!(code.secret(), "c1");
        let refused =
            |pairs: &[(&str, &str)]| back.check_callback(&params(pairs), true).unwrap_err();
        assert!(matches!(
            refused(&[("code", "c1"), ("state", "other"), ("iss", iss)]),
            Error::CallbackForeignState
        ));
        assert!(matches!(
            refused(&[
                ("code", "c1"),
                ("state", state),
                ("iss", "https://evil.example")
            ]),
            Error::CallbackIssuerMismatch { .. }
        ));
        assert!(matches!(
            refused(&[("error", "access_denied"), ("state", state), ("iss", iss)]),
            Error::LoginCancelled
        ));
        assert!(matches!(
            refused(&[("error", "server_error"), ("state", state), ("iss", iss)]),
            Error::AuthorizationError { .. }
        ));
    }
}
