//! Whether the software's own configuration fits the registration (client id, redirect URI, scopes, client
//! authentication, environment).

use url::Url;

use super::{Findings, Severity, SoftwareSettings};
use crate::integration::{ApplicationType, Integration, VAT_SCOPES};

pub(super) fn check_software(i: &Integration, s: &SoftwareSettings, f: &mut Findings) {
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
