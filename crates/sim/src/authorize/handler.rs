//! The `/authorize` handlers: the request (with PAR resolution), single sign-on, and the login form.

use axum::extract::{Form, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::collections::HashMap;

use super::complete::{cancel, complete, Login};
use super::page::{self, LoginPage};
use super::request::{check_request, single_values, AuthError, AuthRequest};
use super::respond::{error_page, error_redirect, html, sso_cookie};
use super::texts;
use super::LOGIN_PAGE_LIFETIME;
use crate::model::{random_token, Lang, Level};
use crate::person::is_valid_pid;
use crate::store::PendingLogin;
use crate::SimState;

/// `GET /authorize`.
pub async fn authorize(
    State(state): State<SimState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Ok(mut params) =
        serde_urlencoded::from_str::<Vec<(String, String)>>(query.as_deref().unwrap_or(""))
    else {
        return error_page(
            Lang::Nb,
            StatusCode::BAD_REQUEST,
            "the query string cannot be parsed",
        );
    };
    if params.iter().any(|(k, _)| k == "request_uri") {
        // The headless switch may ride on the browser's URL too (a client library builds the pushed request).
        let switch: Vec<(String, String)> = params
            .iter()
            .filter(|(k, _)| k == "sim_pid" || k == "sim_acr")
            .cloned()
            .collect();
        match resolve_par(&state, &params) {
            Ok(mut p) => {
                p.retain(|(k, _)| !switch.iter().any(|(s, _)| s == k));
                p.extend(switch);
                params = p
            }
            Err(message) => return error_page(Lang::Nb, StatusCode::BAD_REQUEST, &message),
        }
    }
    match check_request(&params, &state.clients, state.settings.headless_login) {
        Err(e) => error_redirect(&state, e),
        Ok(request) => proceed(&state, request, sso_cookie(&headers)),
    }
}

fn resolve_par(
    state: &SimState,
    params: &[(String, String)],
) -> Result<Vec<(String, String)>, String> {
    let values = single_values(params)?;
    let get = |n: &str| values.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
    let uri = get("request_uri").unwrap_or("");
    let client_id =
        get("client_id").ok_or("a request with request_uri must also send client_id")?;
    let now = state.clock.now();
    let entry = state.store().par.remove(uri).filter(|e| e.expires_at > now).ok_or(
        "the request_uri is unknown, used already or expired (a PAR request_uri is single-use and lives 120 s)",
    )?;
    if entry.client_id != client_id {
        return Err(format!(
            "the request_uri was pushed by another client than {client_id}"
        ));
    }
    Ok(entry.params)
}

fn proceed(state: &SimState, request: AuthRequest, cookie: Option<String>) -> Response {
    if let Some((pid, level)) = request.headless.clone() {
        return complete(
            state,
            &request,
            Login::Fresh {
                pid,
                acr: level,
                old_cookie: cookie,
            },
        );
    }
    let now = state.clock.now();
    if let Some(c) = &cookie {
        let usable = state
            .store()
            .session(c, now)
            .is_some_and(|s| s.acr >= request.acr);
        if usable && !request.prompt_login {
            return complete(state, &request, Login::Sso { cookie: c.clone() });
        }
    }
    if request.prompt_none {
        let e = AuthError::Redirect {
            redirect_uri: request.redirect_uri.clone(),
            state: Some(request.state.clone()),
            error: "login_required",
            description:
                "prompt=none, but there is no single sign-on session at the level asked for".into(),
            form_post: request.form_post,
        };
        return error_redirect(state, e);
    }
    let tx = random_token();
    let csrf = random_token();
    let body = render_login(state, &request, &tx, &csrf, None, "");
    state.store().pending.insert(
        tx,
        PendingLogin {
            request,
            csrf,
            expires_at: now + LOGIN_PAGE_LIFETIME,
        },
    );
    html(StatusCode::OK, body)
}

fn render_login(
    state: &SimState,
    request: &AuthRequest,
    tx: &str,
    csrf: &str,
    error: Option<&str>,
    typed: &str,
) -> String {
    let client = state
        .clients
        .get(&request.client_id)
        .expect("checked client");
    let name = if client.integration.name.is_empty() {
        client.id()
    } else {
        &client.integration.name
    };
    page::login_page(&LoginPage {
        lang: request.lang,
        client_name: name,
        tx,
        csrf,
        persons: &state.persons,
        min_level: request.acr,
        error,
        typed_pid: typed,
    })
}

/// `POST /authorize/login`: the login page's form (log in or cancel).
pub async fn login_form(
    State(state): State<SimState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |n: &str| form.get(n).map(|v| v.trim()).unwrap_or("");
    let Some(pending) = state.store().pending.get(field("tx")).cloned() else {
        return error_page(
            Lang::Nb,
            StatusCode::BAD_REQUEST,
            texts::ERR_EXPIRED.get(Lang::Nb),
        );
    };
    let lang = pending.request.lang;
    if field("csrf") != pending.csrf {
        return error_page(lang, StatusCode::FORBIDDEN, texts::ERR_CSRF.get(lang));
    }
    let request = pending.request;
    if field("action") == "cancel" {
        state.store().pending.remove(field("tx"));
        return cancel(&state, &request);
    }
    let typed: String = field("pid_typed")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let pid = if field("pid_pick").is_empty() {
        typed.clone()
    } else {
        field("pid_pick").to_string()
    };
    let acr = Level::parse(field("acr")).unwrap_or(request.acr);
    let problem = if pid.is_empty() {
        Some(texts::ERR_EMPTY)
    } else if pid.len() != 11 || !pid.chars().all(|c| c.is_ascii_digit()) {
        Some(texts::ERR_DIGITS)
    } else if !is_valid_pid(&pid) {
        Some(texts::ERR_CHECK)
    } else if !crate::model::is_synthetic_pid(&pid) {
        Some(texts::ERR_SYNTHETIC)
    } else if acr < request.acr {
        Some(texts::ERR_LEVEL)
    } else {
        None
    };
    if let Some(problem) = problem {
        let body = render_login(
            &state,
            &request,
            field("tx"),
            &pending.csrf,
            Some(problem.get(lang)),
            &typed,
        );
        return html(StatusCode::OK, body);
    }
    state.store().pending.remove(field("tx"));
    complete(
        &state,
        &request,
        Login::Fresh {
            pid,
            acr,
            old_cookie: sso_cookie(&headers),
        },
    )
}
