//! Whether the software's own configuration fits the registration (client id, redirect URI, back URI, scopes, client
//! authentication, environment).

use url::Url;

use super::{Findings, Severity, SoftwareSettings};
use crate::integration::{ApplicationType, Integration, VAT_SCOPES};
use crate::{served_path, RedirectUri};

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
    check_back_uri(i, s, f);
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

/// The back URI (Tilbake-uri): where ID-porten sends a user who cancels. When it is on the software's redirect URI's
/// host and port, nobody but the software can answer it, so the software must serve it (else the user lands on an
/// error page and the software waits until it times out).
fn check_back_uri(i: &Integration, s: &SoftwareSettings, f: &mut Findings) {
    use Severity::*;
    const FIELD: &str = "Tilbake-uri";
    let Ok(redirect) = RedirectUri::parse(&s.redirect_uri) else {
        return;
    };
    let ours = |uri: &str| served_path(&redirect, uri).is_some();
    match (&i.back_uri, &s.back_uri) {
        (Some(registered), None) if ours(registered) => f.push(
            Warning,
            FIELD,
            format!(
                "{registered} is on the software's redirect URI's host and port, but the software does not serve it:                  a user who cancels in ID-porten lands on an error page and the software waits until it times out"
            ),
            format!("set the software's back URI to {registered} (--back-uri, MVA_BACK_URI or back_uri in the profile)"),
        ),
        (Some(registered), Some(used)) if registered != used => f.push(
            if ours(registered) { Error } else { Warning },
            FIELD,
            format!("the software serves {used} as the back URI, but the integration's is {registered}"),
            "make the software's back URI (--back-uri) the registered one, or register the software's",
        ),
        (None, Some(used)) => f.push(
            Warning,
            FIELD,
            format!(
                "the software serves {used} as the back URI, but none is registered: ID-porten sends a cancelled                  login to the redirect URI with error=access_denied instead"
            ),
            "register it as the integration's Tilbake-uri, or remove the software's back URI",
        ),
        _ => {}
    }
    if let Some(used) = &s.back_uri {
        if !ours(used) {
            f.push(
                Warning,
                FIELD,
                format!(
                    "the software's back URI {used} is not on its redirect URI's host and port ({}), so the software                      cannot serve it",
                    s.redirect_uri
                ),
                "use a back URI on the redirect URI's host and port (another path), or leave it to the page that serves it",
            );
        }
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
