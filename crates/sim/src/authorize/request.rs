//! The authorization request, checked as strictly as ID-porten checks it. A pure function over the parameters
//! and the registered clients.

use crate::clients::ClientRegistry;
use crate::model::{is_base64url, Lang, Level};
use crate::person::is_valid_pid;

/// A checked authorization request.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    /// The client.
    pub client_id: String,
    /// The redirect_uri (registered).
    pub redirect_uri: String,
    /// The requested scopes (all granted to the client, `openid` among them).
    pub scopes: Vec<String>,
    /// `state`.
    pub state: String,
    /// `nonce`.
    pub nonce: String,
    /// The S256 `code_challenge`.
    pub code_challenge: String,
    /// The level asked for (`acr_values`, default substantial).
    pub acr: Level,
    /// The language (`ui_locales`, default nb).
    pub lang: Lang,
    /// `prompt=login`.
    pub prompt_login: bool,
    /// `prompt=none`.
    pub prompt_none: bool,
    /// `response_mode=form_post` (else query).
    pub form_post: bool,
    /// `resource`, the access token's audience.
    pub resource: Option<String>,
    /// Headless login: the person and level from `sim_pid` / `sim_acr`.
    pub headless: Option<(String, Level)>,
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// The client or redirect URI cannot be trusted: show an error page, never redirect.
    Page(String),
    /// Redirect back to the client with `error`, `error_description`, `state` and `iss`.
    Redirect {
        /// The checked redirect URI.
        redirect_uri: String,
        /// `state`, when sent.
        state: Option<String>,
        /// The OAuth error code.
        error: &'static str,
        /// What is wrong.
        description: String,
        /// Use form_post.
        form_post: bool,
    },
}

/// The parameters by name, refusing names sent twice (RFC 6749 3.1).
pub fn single_values(params: &[(String, String)]) -> Result<Vec<(&str, &str)>, String> {
    let mut seen: Vec<(&str, &str)> = vec![];
    for (k, v) in params {
        if seen.iter().any(|(s, _)| s == k) {
            return Err(format!("the parameter {k} is sent more than once"));
        }
        seen.push((k, v));
    }
    Ok(seen)
}

/// Checks an authorization request. `headless_login` is the `[sim] headless_login` switch.
pub fn check_request(
    params: &[(String, String)],
    clients: &ClientRegistry,
    headless_login: bool,
) -> Result<AuthRequest, AuthError> {
    let page = |m: String| AuthError::Page(m);
    let values = single_values(params).map_err(page)?;
    let get = |name: &str| {
        values
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
            .filter(|v| !v.is_empty())
    };

    let client_id = get("client_id").ok_or_else(|| page("the request has no client_id".into()))?;
    let client = clients.get(client_id).ok_or_else(|| {
        page(format!(
            "unknown client_id {client_id}: no integration with that id is registered"
        ))
    })?;
    let redirect_uri =
        get("redirect_uri").ok_or_else(|| page("the request has no redirect_uri".into()))?;
    if !client.accepts_redirect_uri(redirect_uri) {
        return Err(page(format!(
            "the redirect_uri {redirect_uri} is not registered for client {client_id}; registered: {}",
            client.integration.redirect_uris.join(", ")
        )));
    }
    let headless =
        match (get("sim_pid"), get("sim_acr")) {
            (None, None) => None,
            _ if !headless_login => return Err(page(
                "headless login (sim_pid / sim_acr) is switched off in this simulator; set [sim] \
                 headless_login = true in its configuration to use it"
                    .into(),
            )),
            (None, Some(_)) => return Err(page("sim_acr is given without sim_pid".into())),
            (Some(pid), acr) => {
                if !is_valid_pid(pid) {
                    return Err(page(format!(
                        "sim_pid {pid} is not 11 digits with valid check digits"
                    )));
                }
                let level = match acr {
                    None => None,
                    Some(a) => Some(
                        Level::parse(a)
                            .ok_or_else(|| page(format!("sim_acr {a} is not a known level")))?,
                    ),
                };
                Some((pid.to_string(), level))
            }
        };
    let state = get("state").map(str::to_string);
    let form_post = get("response_mode") == Some("form_post");
    let redirect = |error: &'static str, description: String| AuthError::Redirect {
        redirect_uri: redirect_uri.to_string(),
        state: state.clone(),
        error,
        description,
        form_post,
    };

    if get("request").is_some() {
        return Err(AuthError::Redirect {
            redirect_uri: redirect_uri.to_string(),
            state: state.clone(),
            error: "request_not_supported",
            description: "request objects are not supported; use PAR (/par)".into(),
            form_post,
        });
    }
    match get("response_type") {
        Some("code") => {}
        None => {
            return Err(redirect(
                "invalid_request",
                "response_type is missing; use code".into(),
            ))
        }
        Some(other) => {
            return Err(redirect(
                "unsupported_response_type",
                format!("response_type {other} is not supported; use code"),
            ))
        }
    }
    match get("response_mode") {
        None | Some("query") | Some("form_post") => {}
        Some(other) => {
            return Err(redirect(
                "invalid_request",
                format!("response_mode {other} is not supported by the simulator"),
            ))
        }
    }
    let scope = get("scope").ok_or_else(|| {
        redirect(
            "invalid_scope",
            "scope is missing; it must hold openid".into(),
        )
    })?;
    let scopes: Vec<String> = scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if !scopes.iter().any(|s| s == "openid") {
        return Err(redirect("invalid_scope", "scope must hold openid".into()));
    }
    if let Some(s) = scopes.iter().find(|s| !client.has_scope(s)) {
        return Err(redirect(
            "invalid_scope",
            format!("the scope {s} is not granted to client {client_id}"),
        ));
    }
    let state_value = state
        .clone()
        .ok_or_else(|| redirect("invalid_request", "state is missing".into()))?;
    let nonce =
        get("nonce").ok_or_else(|| redirect("invalid_request", "nonce is missing".into()))?;
    let challenge = get("code_challenge").ok_or_else(|| {
        redirect(
            "invalid_request",
            "code_challenge is missing: PKCE is required".into(),
        )
    })?;
    match get("code_challenge_method") {
        Some("S256") => {}
        None => {
            return Err(redirect(
                "invalid_request",
                "code_challenge_method is missing; use S256".into(),
            ))
        }
        Some(m) => {
            return Err(redirect(
                "invalid_request",
                format!("code_challenge_method {m} is not supported; use S256"),
            ))
        }
    }
    if !is_base64url(challenge, 43) {
        return Err(redirect(
            "invalid_request",
            "code_challenge must be the S256 hash in base64url without padding (43 characters)"
                .into(),
        ));
    }
    let acr = match get("acr_values") {
        None => Level::Substantial,
        Some(values) => {
            let first = values.split(' ').find(|v| !v.is_empty()).unwrap_or("");
            for v in values.split(' ').filter(|v| !v.is_empty()) {
                if Level::parse(v).is_none() {
                    return Err(redirect(
                        "invalid_request",
                        format!("acr_values {v} is not supported"),
                    ));
                }
            }
            Level::parse(first).unwrap_or(Level::Substantial)
        }
    };
    let lang = match get("ui_locales") {
        None => Lang::Nb,
        Some(list) => list.split(' ').find_map(Lang::parse).ok_or_else(|| {
            redirect(
                "invalid_request",
                format!("ui_locales {list}: none is supported; use nb, nn, en or se"),
            )
        })?,
    };
    let prompts: Vec<&str> = get("prompt")
        .map(|p| p.split(' ').filter(|v| !v.is_empty()).collect())
        .unwrap_or_default();
    if let Some(p) = prompts
        .iter()
        .find(|p| !matches!(**p, "login" | "none" | "consent"))
    {
        return Err(redirect(
            "invalid_request",
            format!("prompt {p} is not supported; use login"),
        ));
    }
    let prompt_login = prompts.contains(&"login");
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.len() > 1 {
        return Err(redirect(
            "invalid_request",
            "prompt=none cannot be combined with other values".into(),
        ));
    }
    Ok(AuthRequest {
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        scopes,
        state: state_value,
        nonce: nonce.to_string(),
        code_challenge: challenge.to_string(),
        acr,
        lang,
        prompt_login,
        prompt_none,
        form_post,
        resource: get("resource").map(str::to_string),
        headless: headless.map(|(pid, level)| (pid, level.unwrap_or(acr).max(acr))),
    })
}
