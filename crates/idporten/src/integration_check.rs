//! Checks an integration's settings (as registered in Samarbeidsportalen) against the rules of ID-porten and the
//! Tax Administration, and against the software's own configuration, before anybody tries to log in.
//!
//! Most failed logins come from settings that do not fit each other or the software. Every rule here can be checked
//! offline. Each [`Finding`] names the Norwegian field label the user sees in Samarbeidsportalen, what is wrong and
//! how to fix it.
//!
//! ```
//! use idporten::integration::Integration;
//! use idporten::integration_check::{check, Severity, SoftwareSettings};
//!
//! let registered = Integration::skatteetaten_shared_test_client();
//! let software = SoftwareSettings::for_integration(&registered);
//! assert!(check(&registered, Some(&software)).iter().all(|f| f.severity != Severity::Error));
//! ```

use serde::Serialize;
use url::Url;

use crate::integration::{
    ApplicationType, ClientAuthMethod, Integration, VAT_SCOPES, VAT_SCOPE_MAX_LIFETIME_SECS,
};
use crate::is_loopback_host;

/// How bad a finding is. Any [`Severity::Error`] means a login will fail or the integration breaks a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing to change.
    Info,
    /// Works, but is not recommended or is likely a mistake.
    Warning,
    /// Breaks a rule: the login fails or the setting is refused.
    Error,
}

/// One problem found in the settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How bad it is.
    pub severity: Severity,
    /// The Norwegian label of the field in Samarbeidsportalen (or "Programvarens oppsett" for the software's side).
    pub field: &'static str,
    /// What is wrong.
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

/// The label used for findings about the software's own configuration.
pub const SOFTWARE_FIELD: &str = "Programvarens oppsett (the software's configuration)";

/// What the software is configured to send, to be compared with what is registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SoftwareSettings {
    /// The client_id the software sends.
    pub client_id: String,
    /// The redirect_uri the software sends and listens on.
    pub redirect_uri: String,
    /// The post_logout_redirect_uri the software sends, if any.
    pub post_logout_redirect_uri: Option<String>,
    /// The scopes the software requests.
    pub scopes: Vec<String>,
    /// How the software authenticates at the token endpoint.
    pub client_auth: ClientAuthMethod,
    /// Whether the software expects refresh tokens.
    pub uses_refresh_tokens: bool,
    /// The environment the software logs in to: "test", "prod", or another issuer (then not compared).
    pub environment: String,
}

impl SoftwareSettings {
    /// Settings that match a registration exactly (the first redirect URI, all VAT scopes).
    pub fn for_integration(integration: &Integration) -> Self {
        Self {
            client_id: integration.client_id.clone(),
            redirect_uri: integration
                .redirect_uris
                .first()
                .cloned()
                .unwrap_or_default(),
            post_logout_redirect_uri: integration.post_logout_redirect_uris.first().cloned(),
            scopes: VAT_SCOPES.iter().map(|s| s.to_string()).collect(),
            client_auth: integration.client_authentication,
            uses_refresh_tokens: integration.allows_refresh(),
            environment: integration.environment.clone(),
        }
    }
}

struct Findings(Vec<Finding>);

impl Findings {
    fn push(
        &mut self,
        severity: Severity,
        field: &'static str,
        problem: String,
        fix: impl Into<String>,
    ) {
        self.0.push(Finding {
            severity,
            field,
            problem,
            fix: fix.into(),
        });
    }
}

/// Checks one registration, and when `software` is given, whether the software's configuration fits it.
/// Findings come sorted: errors first.
pub fn check(integration: &Integration, software: Option<&SoftwareSettings>) -> Vec<Finding> {
    let mut f = Findings(Vec::new());
    check_identity(integration, &mut f);
    check_scopes(integration, &mut f);
    check_grants_and_client_type(integration, &mut f);
    check_uris(integration, &mut f);
    check_lifetimes(integration, &mut f);
    if let Some(software) = software {
        check_software(integration, software, &mut f);
    }
    let mut findings = f.0;
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}

fn check_identity(i: &Integration, f: &mut Findings) {
    use Severity::*;
    if i.difi_tjeneste != "API-klient" {
        f.push(
            Warning,
            "Difi-tjeneste",
            format!("is \"{}\"; VAT software uses \"API-klient\"", i.difi_tjeneste),
            "create a new integration of type API-klient; other types pre-fill scopes and lock fields",
        );
    }
    if !is_guid(&i.client_id) {
        f.push(
            Error,
            "Integrasjonens identifikator",
            format!(
                "\"{}\" is not a GUID (8-4-4-4-12 hexadecimal digits)",
                i.client_id
            ),
            "copy the identifier exactly as Samarbeidsportalen shows it",
        );
    }
    if !is_valid_organisation_number(&i.organisation_number) {
        f.push(
            Error,
            "Kundens org.nr.",
            format!(
                "\"{}\" is not a Norwegian organisation number (9 digits with a mod-11 check digit)",
                i.organisation_number
            ),
            "enter the organisation number of the organisation that owns the integration",
        );
    }
    if !matches!(i.environment.as_str(), "test" | "prod") {
        f.push(
            Error,
            "Miljø (environment)",
            format!(
                "\"{}\" is not an environment; use \"test\" (Ver 2) or \"prod\"",
                i.environment
            ),
            "a test integration works only against test; production needs a separate integration",
        );
    }
}

fn check_scopes(i: &Integration, f: &mut Findings) {
    for scope in VAT_SCOPES {
        if !i.scopes.iter().any(|s| s == scope) {
            let fix = if scope.starts_with("skatteetaten:") {
                "add it with \"Legg til scopes\"; if it cannot be found, your organisation must first ask the Tax \
                 Administration for access by e-mail to mva-modernisering@skatteetaten.no, giving its organisation \
                 number"
            } else {
                "add the scope openid with \"Legg til scopes\""
            };
            f.push(
                Severity::Error,
                "Scopes",
                format!(
                    "{scope} is missing; VAT software needs {}",
                    VAT_SCOPES.join(" ")
                ),
                fix,
            );
        }
    }
}

fn check_grants_and_client_type(i: &Integration, f: &mut Findings) {
    use Severity::*;
    const GRANTS: &str = "Tillatte grant types";
    const AUTH: &str = "Klientautentiseringsmetode";
    if !i.grant_types.iter().any(|g| g == "authorization_code") {
        f.push(
            Error,
            GRANTS,
            "authorization_code is missing".into(),
            "add authorization_code: it is required",
        );
    }
    for g in &i.grant_types {
        if g != "authorization_code" && g != "refresh_token" {
            f.push(
                Error,
                GRANTS,
                format!("\"{g}\" is not a grant type of an ID-porten login"),
                "keep authorization_code, and refresh_token only for server-side web applications",
            );
        }
    }
    let refresh = i.allows_refresh();
    if refresh && i.application_type.is_public() {
        f.push(
            Error,
            GRANTS,
            format!(
                "refresh_token is chosen, but the application type is {:?}: refresh tokens are only available with web",
                i.application_type
            )
            .to_lowercase(),
            "remove refresh_token, or use application type web for a server-side application that keeps tokens safe",
        );
    }
    if refresh && i.client_authentication == ClientAuthMethod::None {
        f.push(
            Error,
            AUTH,
            "is none, but refresh_token is allowed: a client using refresh tokens must authenticate".into(),
            "choose client_secret_basic, client_secret_post or private_key_jwt, or remove refresh_token",
        );
    }
    if !refresh
        && i.client_authentication != ClientAuthMethod::None
        && i.application_type.is_public()
    {
        f.push(
            Warning,
            AUTH,
            format!(
                "is {} for a public ({:?}) application, which cannot keep a secret",
                i.client_authentication.as_str(),
                i.application_type
            ),
            "choose none when refresh_token is not used",
        );
    }
    if i.application_type == ApplicationType::Web
        && i.client_authentication == ClientAuthMethod::None
    {
        f.push(
            Warning,
            "Applikasjonstype",
            "is web (private), but the client authentication is none".into(),
            "a web application should authenticate (private_key_jwt is the strongest); or choose browser/native",
        );
    }
    match (i.client_authentication, &i.client_secret, &i.client_public_key) {
        (ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost, None, _) => f.push(
            Info,
            AUTH,
            "uses a client secret; none is in this file (that is good if the file is shared)".into(),
            "give the secret to the software through MVA_CLIENT_SECRET, not in a shared file; secrets live 360 days",
        ),
        (ClientAuthMethod::PrivateKeyJwt, _, None) => f.push(
            Info,
            AUTH,
            "is private_key_jwt; no public key is in this file".into(),
            "register the public key (RSA 2048) in Samarbeidsportalen and give the software the private key file",
        ),
        _ => {}
    }
}

fn check_uris(i: &Integration, f: &mut Findings) {
    use Severity::*;
    const REDIRECT: &str = "Gyldig(e) redirect uri-er";
    const LOGOUT: &str = "Gyldig(e) post logout redirect uri-er";
    if i.redirect_uris.is_empty() {
        f.push(
            Error,
            REDIRECT,
            "no redirect URI is registered".into(),
            "register the URI the software listens on, e.g. http://localhost:8988/auth/loginsuccess",
        );
    }
    for uri in &i.redirect_uris {
        check_uri(REDIRECT, uri, &i.environment, f);
    }
    for uri in &i.post_logout_redirect_uris {
        check_uri(LOGOUT, uri, &i.environment, f);
    }
    if let Some(uri) = &i.back_uri {
        check_uri("Tilbake-uri", uri, &i.environment, f);
    } else {
        f.push(
            Info,
            "Tilbake-uri",
            "is empty: a cancelled login comes back to the redirect URI with error=access_denied"
                .into(),
            "nothing to do; set it if the software has a page for cancelled logins",
        );
    }
    if i.frontchannel_logout_session_required && i.frontchannel_logout_uri.is_none() {
        f.push(
            Warning,
            "Frontchannel logout krever sesjons-id",
            "is on, but no Frontchannel logout uri is registered".into(),
            "register a front-channel logout URI or turn the setting off",
        );
    }
    if let Some(uri) = &i.frontchannel_logout_uri {
        check_uri("Frontchannel logout uri", uri, &i.environment, f);
    }
}

fn check_uri(field: &'static str, uri: &str, environment: &str, f: &mut Findings) {
    use Severity::*;
    let url = match Url::parse(uri) {
        Ok(url) => url,
        Err(e) => {
            f.push(
                Error,
                field,
                format!("\"{uri}\" is not a URI: {e}"),
                "write an absolute URI",
            );
            return;
        }
    };
    let loopback = is_loopback_host(&url);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        scheme => f.push(
            Error,
            field,
            format!("\"{uri}\" uses {scheme}; only https, or http on localhost, is accepted"),
            "use https (or http://localhost for a desktop application in test)",
        ),
    }
    if loopback && environment == "prod" {
        f.push(
            Error,
            field,
            format!("\"{uri}\" is a localhost URI in a production integration; localhost is allowed only in test"),
            "register an https URI for production",
        );
    }
    if url.fragment().is_some() {
        f.push(
            Error,
            field,
            format!("\"{uri}\" has a fragment (#...)"),
            "remove the fragment",
        );
    }
}

fn check_lifetimes(i: &Integration, f: &mut Findings) {
    use Severity::*;
    const FIELD: &str = "Levetider";
    let l = &i.lifetimes;
    for (name, secs) in [
        ("authorization", l.authorization),
        ("access token", l.access_token),
        ("refresh token", l.refresh_token),
    ] {
        if secs == 0 {
            f.push(
                Error,
                FIELD,
                format!("the {name} lifetime is 0"),
                "give a lifetime in seconds",
            );
        } else if secs > VAT_SCOPE_MAX_LIFETIME_SECS {
            f.push(
                Error,
                FIELD,
                format!(
                    "the {name} lifetime is {secs} s ({:.1} h); the Tax Administration's scopes cap it at 8 hours (28800 s)",
                    secs as f64 / 3600.0
                ),
                "set it to 28800 s or less",
            );
        }
    }
    if l.access_token > l.authorization {
        f.push(
            Warning,
            FIELD,
            format!(
                "the access token ({} s) outlives the authorization ({} s)",
                l.access_token, l.authorization
            ),
            "keep access < refresh <= authorization",
        );
    }
    if i.allows_refresh() {
        if l.refresh_token > l.authorization {
            f.push(
                Warning,
                FIELD,
                format!(
                    "the refresh token ({} s) outlives the authorization ({} s)",
                    l.refresh_token, l.authorization
                ),
                "keep access < refresh <= authorization",
            );
        }
        if l.access_token >= l.refresh_token {
            f.push(
                Warning,
                FIELD,
                format!(
                    "the access token ({} s) lives as long as the refresh token ({} s): a refresh never helps",
                    l.access_token, l.refresh_token
                ),
                "keep access < refresh <= authorization",
            );
        }
    }
}

fn check_software(i: &Integration, s: &SoftwareSettings, f: &mut Findings) {
    use Severity::*;
    if s.client_id != i.client_id {
        f.push(
            Error,
            "Integrasjonens identifikator",
            format!("the software sends client_id {}, the integration is {}", s.client_id, i.client_id),
            "set the software's client id (--client-id or MVA_CLIENT_ID) to the integration's identifier",
        );
    }
    if !i.redirect_uris.iter().any(|u| u == &s.redirect_uri) && !port_zero_match(i, &s.redirect_uri)
    {
        let near = i
            .redirect_uris
            .iter()
            .find(|u| near_miss(u, &s.redirect_uri));
        let problem = match near {
            Some(u) => format!(
                "the software uses {}, which is not registered; {u} is, and the match must be exact",
                s.redirect_uri
            ),
            None => format!("the software uses {}, which is not registered", s.redirect_uri),
        };
        f.push(
            Error,
            "Gyldig(e) redirect uri-er",
            problem,
            "register the software's redirect URI, or set the software's redirect URI (--redirect-uri) to a registered one",
        );
    }
    if let Some(uri) = &s.post_logout_redirect_uri {
        if !i.post_logout_redirect_uris.contains(uri) {
            f.push(
                Error,
                "Gyldig(e) post logout redirect uri-er",
                format!("the software uses {uri} after logout, which is not registered"),
                "register it, or remove the software's post-logout redirect URI",
            );
        }
    }
    for scope in &s.scopes {
        if !i.scopes.contains(scope) {
            f.push(
                Error,
                "Scopes",
                format!("the software requests {scope}, which is not granted: the whole login fails with invalid_scope"),
                "add the scope to the integration, or stop requesting it (--scope)",
            );
        }
    }
    for scope in VAT_SCOPES {
        if i.scopes.iter().any(|s| s == scope) && !s.scopes.iter().any(|x| x == scope) {
            f.push(
                Warning,
                "Scopes",
                format!("{scope} is granted but the software does not request it: its tokens will not carry it"),
                "request the same scopes as the integration holds",
            );
        }
    }
    if s.client_auth != i.client_authentication {
        f.push(
            Error,
            "Klientautentiseringsmetode",
            format!(
                "the software authenticates with {}, the integration expects {}: the token request fails with invalid_client",
                s.client_auth.as_str(),
                i.client_authentication.as_str()
            ),
            "make the software's client authentication (--client-auth) match the registration",
        );
    }
    if s.uses_refresh_tokens && !i.allows_refresh() {
        f.push(
            Warning,
            "Tillatte grant types",
            "the software expects refresh tokens, but refresh_token is not allowed: the user logs in again when the \
             access token expires"
                .into(),
            "that is the recommended set-up for desktop software; nothing to do unless this is a web application",
        );
    }
    if matches!(s.environment.as_str(), "test" | "prod") && s.environment != i.environment {
        f.push(
            Error,
            "Miljø (environment)",
            format!(
                "the software logs in to {}, the integration is registered in {}",
                s.environment, i.environment
            ),
            "use a separate integration per environment, and the matching --env",
        );
    }
}

/// RFC 8252 7.3: a native client registered with `http://127.0.0.1:0/...` may use any port.
fn port_zero_match(i: &Integration, uri: &str) -> bool {
    let Ok(actual) = Url::parse(uri) else {
        return false;
    };
    i.redirect_uris
        .iter()
        .filter_map(|r| Url::parse(r).ok())
        .any(|r| {
            r.port() == Some(0)
                && i.application_type == ApplicationType::Native
                && r.host() == actual.host()
                && r.path() == actual.path()
                && r.scheme() == actual.scheme()
        })
}

fn near_miss(registered: &str, used: &str) -> bool {
    let norm = |s: &str| {
        s.trim_end_matches('/')
            .replace("127.0.0.1", "localhost")
            .replace("[::1]", "localhost")
            .to_ascii_lowercase()
    };
    norm(registered) == norm(used)
}

fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Whether `number` is 9 digits with a valid mod-11 check digit (weights 3 2 7 6 5 4 3 2).
pub fn is_valid_organisation_number(number: &str) -> bool {
    let digits: Vec<u32> = number.chars().filter_map(|c| c.to_digit(10)).collect();
    if number.len() != 9 || digits.len() != 9 {
        return false;
    }
    let sum: u32 = [3, 2, 7, 6, 5, 4, 3, 2]
        .iter()
        .zip(&digits)
        .map(|(w, d)| w * d)
        .sum();
    match 11 - sum % 11 {
        11 => digits[8] == 0,
        10 => false,
        k => digits[8] == k,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::RefreshTokenType;

    fn fields(findings: &[Finding], severity: Severity) -> Vec<&'static str> {
        findings
            .iter()
            .filter(|f| f.severity == severity)
            .map(|f| f.field)
            .collect()
    }

    #[test]
    fn the_built_in_integrations_pass() {
        for i in [
            Integration::skatteetaten_shared_test_client(),
            Integration::guide_example("5b1d9e62-2f5f-4d35-8f0e-6a1f3c2b7e44"),
        ] {
            let s = SoftwareSettings::for_integration(&i);
            let findings = check(&i, Some(&s));
            assert!(
                fields(&findings, Severity::Error).is_empty(),
                "{findings:#?}"
            );
        }
    }

    #[test]
    fn missing_vat_scope_says_how_to_get_it() {
        let mut i = Integration::skatteetaten_shared_test_client();
        i.scopes
            .retain(|s| s != "skatteetaten:mvameldinginnsending");
        let findings = check(&i, None);
        let f = findings.iter().find(|f| f.field == "Scopes").unwrap();
        assert_eq!(f.severity, Severity::Error);
        assert!(f.fix.contains("mva-modernisering@skatteetaten.no"), "{f:?}");
    }

    #[test]
    fn refresh_tokens_need_web_and_client_authentication() {
        let mut i = Integration::skatteetaten_shared_test_client();
        i.grant_types.push("refresh_token".into());
        let findings = check(&i, None);
        let errors = fields(&findings, Severity::Error);
        assert!(errors.contains(&"Tillatte grant types"), "{findings:#?}");
        assert!(
            errors.contains(&"Klientautentiseringsmetode"),
            "{findings:#?}"
        );

        i.application_type = ApplicationType::Web;
        i.client_authentication = ClientAuthMethod::PrivateKeyJwt;
        i.refresh_token_type = RefreshTokenType::Reusable;
        i.lifetimes.refresh_token = 3600;
        assert!(fields(&check(&i, None), Severity::Error).is_empty());
    }

    #[test]
    fn lifetimes_are_capped_at_eight_hours() {
        let mut i = Integration::skatteetaten_shared_test_client();
        i.lifetimes.authorization = 36_000;
        let findings = check(&i, None);
        let f = findings.iter().find(|f| f.field == "Levetider").unwrap();
        assert_eq!(f.severity, Severity::Error);
        assert!(f.problem.contains("8 hours"), "{f:?}");
    }

    #[test]
    fn bad_identity_fields() {
        let mut i = Integration::skatteetaten_shared_test_client();
        i.client_id = "my-client".into();
        i.organisation_number = "123456789".into();
        i.difi_tjeneste = "Maskinporten".into();
        let findings = check(&i, None);
        assert!(fields(&findings, Severity::Error).contains(&"Integrasjonens identifikator"));
        assert!(fields(&findings, Severity::Error).contains(&"Kundens org.nr."));
        assert!(fields(&findings, Severity::Warning).contains(&"Difi-tjeneste"));
    }

    #[test]
    fn redirect_uris_follow_the_environment() {
        let mut i = Integration::skatteetaten_shared_test_client();
        i.environment = "prod".into();
        i.redirect_uris.push("http://example.com/cb".into());
        let findings = check(&i, None);
        let problems: Vec<_> = findings
            .iter()
            .filter(|f| f.field == "Gyldig(e) redirect uri-er")
            .map(|f| f.problem.as_str())
            .collect();
        assert!(
            problems.iter().any(|p| p.contains("only in test")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("uses http")),
            "{problems:?}"
        );
    }

    #[test]
    fn software_mismatches_are_errors_naming_the_field() {
        let i = Integration::guide_example("5b1d9e62-2f5f-4d35-8f0e-6a1f3c2b7e44");
        let mut s = SoftwareSettings::for_integration(&i);
        s.redirect_uri = "http://127.0.0.1:8988/auth/loginsuccess/".into();
        s.scopes.push("skatteetaten:skattemelding".into());
        s.client_auth = ClientAuthMethod::ClientSecretBasic;
        s.environment = "prod".into();
        let findings = check(&i, Some(&s));
        let errors = fields(&findings, Severity::Error);
        for field in [
            "Gyldig(e) redirect uri-er",
            "Scopes",
            "Klientautentiseringsmetode",
            "Miljø (environment)",
        ] {
            assert!(errors.contains(&field), "{field} missing in {findings:#?}");
        }
        let redirect = findings
            .iter()
            .find(|f| f.field == "Gyldig(e) redirect uri-er")
            .unwrap();
        assert!(redirect.problem.contains("must be exact"), "{redirect:?}");
        assert_eq!(findings[0].severity, Severity::Error, "errors come first");
    }

    #[test]
    fn port_zero_registration_accepts_any_port_for_native_clients() {
        let mut i = Integration::skatteetaten_shared_test_client();
        i.redirect_uris = vec!["http://127.0.0.1:0/callback".into()];
        let mut s = SoftwareSettings::for_integration(&i);
        s.redirect_uri = "http://127.0.0.1:53124/callback".into();
        assert!(fields(&check(&i, Some(&s)), Severity::Error).is_empty());
        s.redirect_uri = "http://127.0.0.1:53124/other".into();
        assert!(!fields(&check(&i, Some(&s)), Severity::Error).is_empty());
    }

    #[test]
    fn organisation_numbers() {
        assert!(is_valid_organisation_number("974761076"));
        assert!(!is_valid_organisation_number("974761077"));
        assert!(!is_valid_organisation_number("97476107"));
    }
}
