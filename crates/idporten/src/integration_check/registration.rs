//! The rules a registration must follow on its own (Samarbeidsportalen's fields, ID-porten's and the Tax
//! Administration's rules).

use url::Url;

use super::{Findings, Severity};
use crate::integration::{
    ApplicationType, ClientAuthMethod, Integration, VAT_SCOPES, VAT_SCOPE_MAX_LIFETIME_SECS,
};
use crate::is_loopback_host;

pub(super) fn check_identity(i: &Integration, f: &mut Findings) {
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

pub(super) fn check_scopes(i: &Integration, f: &mut Findings) {
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

pub(super) fn check_grants_and_client_type(i: &Integration, f: &mut Findings) {
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

pub(super) fn check_uris(i: &Integration, f: &mut Findings) {
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

pub(super) fn check_lifetimes(i: &Integration, f: &mut Findings) {
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

pub(super) fn is_guid(s: &str) -> bool {
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
