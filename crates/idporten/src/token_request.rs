//! The token endpoint: the authorization-code and refresh-token grants, with the client's authentication, and
//! OAuth error answers turned into typed errors.

use serde::Deserialize;
use url::Url;

use crate::client_auth::authenticate;
use crate::discovery::ProviderMetadata;
use crate::http::{parse_json, Answer, Http};
use crate::{
    AccessToken, AuthorizationCode, ClientConfig, Error, IdToken, PkceVerifier, RedirectUri,
    RefreshToken,
};

/// A successful token response (RFC 6749 5.1). Tokens print as `[redacted]`.
#[derive(Clone, Debug, Deserialize)]
pub struct TokenResponse {
    /// The access token (bearer).
    pub access_token: AccessToken,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    #[serde(default)]
    pub expires_in: Option<i64>,
    /// The refresh token, when the client is registered for the grant.
    #[serde(default)]
    pub refresh_token: Option<RefreshToken>,
    /// Seconds until the refresh token expires, when the provider says.
    #[serde(default, alias = "refresh_expires_in")]
    pub refresh_token_expires_in: Option<i64>,
    /// The ID token (always after a code grant with `openid`; optional after a refresh).
    #[serde(default)]
    pub id_token: Option<IdToken>,
    /// The granted scopes, space separated.
    #[serde(default)]
    pub scope: Option<String>,
}

/// The form of the authorization-code grant (RFC 6749 4.1.3 + RFC 7636 4.5).
pub fn code_grant_form(
    code: &AuthorizationCode,
    redirect_uri: &RedirectUri,
    verifier: &PkceVerifier,
) -> Vec<(String, String)> {
    vec![
        ("grant_type".into(), "authorization_code".into()),
        ("code".into(), code.secret().into()),
        ("redirect_uri".into(), redirect_uri.as_str().into()),
        ("code_verifier".into(), verifier.secret().into()),
    ]
}

/// The form of the refresh-token grant (RFC 6749 6).
pub fn refresh_grant_form(refresh_token: &RefreshToken) -> Vec<(String, String)> {
    vec![
        ("grant_type".into(), "refresh_token".into()),
        ("refresh_token".into(), refresh_token.secret().into()),
    ]
}

/// Sends a grant to the token endpoint with the client's authentication and parses the answer.
pub async fn request_tokens(
    http: &Http,
    config: &ClientConfig,
    metadata: &ProviderMetadata,
    mut form: Vec<(String, String)>,
    now: i64,
) -> Result<TokenResponse, Error> {
    let endpoint = &metadata.token_endpoint;
    let basic = authenticate(config, &mut form, now)?;
    let answer = http.post_form(endpoint, &form, basic.as_ref()).await?;
    if answer.status != 200 {
        return Err(oauth_error(endpoint, &answer));
    }
    let response: TokenResponse = parse_json(endpoint, "token response", &answer.body)?;
    if !response.token_type.eq_ignore_ascii_case("bearer") {
        return Err(Error::ProviderResponse {
            url: endpoint.to_string(),
            what: "token response".into(),
            reason: format!("token_type is {:?}, expected Bearer", response.token_type),
        });
    }
    Ok(response)
}

/// An error answer: `{error, error_description}` (RFC 6749 5.2) becomes [`Error::TokenEndpoint`]; anything else
/// [`Error::ProviderStatus`].
pub(crate) fn oauth_error(url: &Url, answer: &Answer) -> Error {
    #[derive(Deserialize)]
    struct OAuthError {
        error: String,
        #[serde(default)]
        error_description: Option<String>,
    }
    match serde_json::from_slice::<OAuthError>(&answer.body) {
        Ok(e) if (400..500).contains(&answer.status) => Error::TokenEndpoint {
            error: e.error,
            description: e.error_description,
        },
        _ => Error::ProviderStatus {
            url: url.to_string(),
            status: answer.status,
            body: answer.excerpt(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://test.idporten.no/token").unwrap()
    }

    #[test]
    fn oauth_errors_are_typed() {
        let answer = Answer {
            status: 400,
            body: br#"{"error":"invalid_grant","error_description":"expired"}"#.to_vec(),
        };
        match oauth_error(&url(), &answer) {
            Error::TokenEndpoint { error, description } => {
                assert_eq!(error, "invalid_grant");
                assert_eq!(description.as_deref(), Some("expired"));
            }
            e => panic!("{e}"),
        }
        let answer = Answer {
            status: 401,
            body: br#"{"error":"invalid_client"}"#.to_vec(),
        };
        let text = oauth_error(&url(), &answer).to_string();
        assert!(
            text.contains("invalid_client") && text.contains("Samarbeidsportalen"),
            "{text}"
        );
        let answer = Answer {
            status: 502,
            body: b"<html>bad gateway</html>".to_vec(),
        };
        let e = oauth_error(&url(), &answer);
        assert!(
            matches!(e, Error::ProviderStatus { status: 502, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("https://test.idporten.no/token"));
    }

    #[test]
    fn token_response_debug_is_redacted() {
        let r: TokenResponse = serde_json::from_str(
            r#"{"access_token":"AT-secret","token_type":"Bearer","expires_in":120,"refresh_token":"RT-secret","id_token":"a.b.c"}"#,
        )
        .unwrap();
        let text = format!("{r:?}");
        assert!(
            !text.contains("AT-secret") && !text.contains("RT-secret"),
            "{text}"
        );
    }

    #[test]
    fn code_grant_form_has_the_verifier() {
        let form = code_grant_form(
            &AuthorizationCode::new("c"),
            &RedirectUri::parse("http://localhost:1/cb").unwrap(),
            &PkceVerifier::new("v"),
        );
        assert!(form.contains(&("code_verifier".into(), "v".into())));
        assert!(form.contains(&("redirect_uri".into(), "http://localhost:1/cb".into())));
    }
}
