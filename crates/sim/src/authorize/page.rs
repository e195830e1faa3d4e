//! The HTML pages of the simulator's ID-porten: the TestID login page, error pages, the logged-out page and the
//! form_post response. Plain HTML forms, no JavaScript needed, inline CSS.

use super::texts::{self, Text};
use crate::model::{html_escape as esc, Lang, Level};
use crate::person::Person;

const STYLE: &str = "
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;background:#f2f4f7;color:#1e2b3c}
header{background:#1e2b3c;color:#fff;padding:14px 24px;font-size:15px}
header b{font-size:18px;margin-right:12px}
main{max-width:520px;margin:32px auto;background:#fff;border-radius:8px;padding:28px 32px;
box-shadow:0 2px 10px rgba(0,0,0,.08)}
h1{font-size:24px;margin:0 0 12px}
p.client{color:#45546b;margin:0 0 20px}
label{display:block;font-weight:600;margin:16px 0 6px}
input[type=text]{width:100%;box-sizing:border-box;font-size:18px;padding:10px;border:2px solid #6b7b93;
border-radius:4px;letter-spacing:1px}
fieldset{border:none;padding:0;margin:16px 0 0}
legend{font-weight:600;margin-bottom:6px}
.radio{display:block;font-weight:400;margin:4px 0}
.error{background:#fde8e8;border-left:4px solid #c30000;padding:10px 12px;margin:12px 0;color:#6d0000}
.buttons{margin-top:22px;display:flex;gap:12px}
button{font-size:16px;padding:10px 20px;border-radius:4px;border:2px solid #0062ba;cursor:pointer}
button.primary{background:#0062ba;color:#fff}
button.secondary{background:#fff;color:#0062ba}
ul.persons{list-style:none;padding:0;margin:8px 0 0}
ul.persons button{width:100%;text-align:left;background:#f7f9fb;border:1px solid #c9d2de;color:#1e2b3c;
margin:4px 0;padding:8px 12px}
ul.persons small{color:#6b7b93;margin-left:8px}
iframe{display:none}
";

fn layout(lang: Lang, title: &str, body: &str, head_extra: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">{head_extra}\
         <title>{title}</title><style>{STYLE}</style></head>\n<body><header><b>ID-porten</b>{sim}</header>\n\
         <main>{body}</main></body></html>\n",
        lang = if lang == Lang::Se { "nb" } else { lang.as_str() },
        title = esc(title),
        sim = esc(texts::SIMULATOR.get(lang)),
    )
}

/// What the login page shows.
#[derive(Debug)]
pub struct LoginPage<'a> {
    /// The language.
    pub lang: Lang,
    /// The client's name.
    pub client_name: &'a str,
    /// The transaction id of the pending login.
    pub tx: &'a str,
    /// The CSRF token of the form.
    pub csrf: &'a str,
    /// The persons to pick from.
    pub persons: &'a [Person],
    /// The lowest level the client asked for.
    pub min_level: Level,
    /// An error to show (already in `lang`).
    pub error: Option<&'a str>,
    /// The number typed before, to show again.
    pub typed_pid: &'a str,
}

/// The TestID login page.
pub fn login_page(p: &LoginPage<'_>) -> String {
    let t = |text: Text| esc(text.get(p.lang));
    let error = p
        .error
        .map(|e| format!("<div class=\"error\" role=\"alert\">{}</div>", esc(e)))
        .unwrap_or_default();
    let level = |level: Level, text: Text, checked: bool| {
        if level < p.min_level {
            return String::new();
        }
        format!(
            "<label class=\"radio\"><input type=\"radio\" name=\"acr\" value=\"{}\"{}> {}</label>",
            level.as_str(),
            if checked { " checked" } else { "" },
            t(text)
        )
    };
    let persons: String = p
        .persons
        .iter()
        .map(|person| {
            format!(
                "<li><button type=\"submit\" name=\"pid_pick\" value=\"{}\">{}<small>{}</small></button></li>",
                esc(&person.pid),
                esc(&person.name),
                esc(&person.pid)
            )
        })
        .collect();
    let body = format!(
        "<h1>{title}</h1><p class=\"client\">{to}: <b>{client}</b></p>{error}\
         <form method=\"post\" action=\"/authorize/login\">\
         <input type=\"hidden\" name=\"tx\" value=\"{tx}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label for=\"pid\">{pid_label}</label>\
         <input type=\"text\" id=\"pid\" name=\"pid_typed\" inputmode=\"numeric\" autocomplete=\"off\" \
         placeholder=\"{hint}\" value=\"{typed}\">\
         <fieldset><legend>{level_label}</legend>{substantial}{high}</fieldset>\
         <div class=\"buttons\"><button class=\"primary\" type=\"submit\" name=\"action\" value=\"login\">{login}</button>\
         <button class=\"secondary\" type=\"submit\" name=\"action\" value=\"cancel\">{cancel}</button></div>\
         <label>{pick}</label><ul class=\"persons\">{persons}</ul></form>",
        title = t(texts::TITLE),
        to = t(texts::LOGGING_IN_TO),
        client = esc(p.client_name),
        tx = esc(p.tx),
        csrf = esc(p.csrf),
        pid_label = t(texts::PID_LABEL),
        hint = t(texts::PID_HINT),
        typed = esc(p.typed_pid),
        level_label = t(texts::LEVEL_LABEL),
        substantial = level(Level::Substantial, texts::SUBSTANTIAL, p.min_level <= Level::Substantial),
        high = level(Level::High, texts::HIGH, p.min_level == Level::High),
        login = t(texts::LOGIN),
        cancel = t(texts::CANCEL),
        pick = t(texts::PICK),
    );
    layout(p.lang, texts::TITLE.get(p.lang), &body, "")
}

/// An error page (no redirect).
pub fn error_page(lang: Lang, message: &str) -> String {
    let title = texts::ERROR_TITLE.get(lang);
    let body = format!(
        "<h1>{}</h1><div class=\"error\" role=\"alert\">{}</div>",
        esc(title),
        esc(message)
    );
    layout(lang, title, &body, "")
}

/// The logged-out page, with the front-channel logout iframes and, when `continue_to` is set, a link (and a
/// delayed refresh) back to the client.
pub fn logged_out_page(lang: Lang, iframes: &[String], continue_to: Option<&str>) -> String {
    let title = texts::LOGGED_OUT_TITLE.get(lang);
    let frames: String = iframes
        .iter()
        .map(|src| format!("<iframe src=\"{}\" title=\"logout\"></iframe>", esc(src)))
        .collect();
    let (link, refresh) = match continue_to {
        Some(url) => (
            format!(
                "<p><a href=\"{}\">{}</a></p>",
                esc(url),
                esc(texts::CONTINUE.get(lang))
            ),
            format!(
                "<meta http-equiv=\"refresh\" content=\"2;url={}\">",
                esc(url)
            ),
        ),
        None => (String::new(), String::new()),
    };
    let body = format!(
        "<h1>{}</h1><p>{}</p>{link}{frames}",
        esc(title),
        esc(texts::LOGGED_OUT_TEXT.get(lang))
    );
    layout(lang, title, &body, &refresh)
}

/// The `response_mode=form_post` answer: a form that posts the parameters to the client (a button for browsers
/// without JavaScript, a one-line script for the others).
pub fn form_post_page(action: &str, params: &[(&str, &str)]) -> String {
    let inputs: String = params
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                esc(k),
                esc(v)
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Submit</title></head>\
         <body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"{}\">{inputs}\
         <button type=\"submit\">Continue</button></form></body></html>\n",
        esc(action)
    )
}
