//! The small HTML pages the loopback listener shows in the browser, in Norwegian (bokmål) and English side by side.
//!
//! Every text that comes from outside (an `error_description`, a form field) is HTML-escaped. No page echoes the
//! authorization code.

use axum::http::StatusCode;

/// A page to answer one browser request with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page {
    pub status: StatusCode,
    pub html: String,
    /// Set only for the form-post page: the nonce that its one inline script carries (Content-Security-Policy).
    pub script_nonce: Option<String>,
}

/// One message in both languages.
struct Text {
    nb: &'static str,
    en: &'static str,
}

const LOGGED_IN: (Text, Text) = (
    Text {
        nb: "Du er logget inn",
        en: "You are logged in",
    },
    Text {
        nb: "Innloggingen er mottatt. Du kan lukke denne fanen og gå tilbake til programmet.",
        en: "The login has been received. You can close this tab and return to the program.",
    },
);
const CANCELLED: (Text, Text) = (
    Text { nb: "Innloggingen ble avbrutt", en: "The login was cancelled" },
    Text {
        nb: "Du er ikke logget inn. Du kan lukke denne fanen og starte innloggingen på nytt fra programmet.",
        en: "You are not logged in. You can close this tab and start the login again from the program.",
    },
);
const FAILED: (Text, Text) = (
    Text {
        nb: "Innloggingen mislyktes",
        en: "The login failed",
    },
    Text {
        nb: "Du er ikke logget inn. Programmet viser hva som gikk galt; du kan lukke denne fanen.",
        en: "You are not logged in. The program shows what went wrong; you can close this tab.",
    },
);
const NOT_THIS_LOGIN: (Text, Text) = (
    Text { nb: "Svaret hører ikke til denne innloggingen", en: "This answer does not belong to this login" },
    Text {
        nb: "Svaret har feil eller manglende «state», kanskje fra en gammel fane. Programmet venter fortsatt; \
             fullfør innloggingen i fanen som programmet åpnet sist.",
        en: "The answer has a wrong or missing \"state\", perhaps from an old tab. The program is still waiting; \
             finish the login in the tab the program opened last.",
    },
);
const ALREADY_DONE: (Text, Text) = (
    Text {
        nb: "Allerede fullført",
        en: "Already done",
    },
    Text {
        nb: "Programmet har allerede mottatt et svar. Du kan lukke denne fanen.",
        en: "The program has already received an answer. You can close this tab.",
    },
);
const NOT_WAITING: (Text, Text) = (
    Text { nb: "Programmet venter ikke lenger", en: "The program is no longer waiting" },
    Text {
        nb: "Denne forespørselen kom for sent eller på feil tidspunkt. Start på nytt fra programmet.",
        en: "This request came too late or at the wrong time. Start again from the program.",
    },
);
const LOGGED_OUT: (Text, Text) = (
    Text {
        nb: "Du er logget ut",
        en: "You are logged out",
    },
    Text {
        nb: "Utloggingen fra ID-porten er fullført. Du kan lukke denne fanen.",
        en: "The logout from ID-porten is complete. You can close this tab.",
    },
);
const NOT_FOUND: (Text, Text) = (
    Text {
        nb: "Ikke funnet",
        en: "Not found",
    },
    Text {
        nb: "Denne adressen brukes ikke av programmet.",
        en: "The program does not use this address.",
    },
);
const BAD_REQUEST: (Text, Text) = (
    Text {
        nb: "Ugyldig forespørsel",
        en: "Bad request",
    },
    Text {
        nb: "Programmet godtar ikke denne forespørselen.",
        en: "The program does not accept this request.",
    },
);
const BUSY: (Text, Text) = (
    Text {
        nb: "For mange forespørsler",
        en: "Too many requests",
    },
    Text {
        nb: "Vent litt og last siden på nytt.",
        en: "Wait a moment and reload the page.",
    },
);
const FORM_POST: (Text, Text) = (
    Text {
        nb: "Sender deg videre",
        en: "Taking you onwards",
    },
    Text {
        nb: "Hvis ingenting skjer, trykk på knappen.",
        en: "If nothing happens, press the button.",
    },
);

/// Escapes text for HTML element content and double- or single-quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A page with a heading and a paragraph in each language, plus optional pre-escaped detail HTML.
fn page(status: StatusCode, (title, body): (Text, Text), detail: &str) -> Page {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"nb\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{tnb} / {ten}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;line-height:1.5}}\
         section+section{{border-top:1px solid #ccc;margin-top:1.5em}}code{{word-break:break-all}}</style></head><body>\
         <section lang=\"nb\"><h1>{tnb}</h1><p>{bnb}</p></section>\
         <section lang=\"en\"><h1>{ten}</h1><p>{ben}</p></section>{detail}</body></html>\n",
        tnb = title.nb,
        ten = title.en,
        bnb = body.nb,
        ben = body.en,
    );
    Page {
        status,
        html,
        script_nonce: None,
    }
}

/// The login arrived; the code is not shown.
pub(crate) fn logged_in() -> Page {
    page(StatusCode::OK, LOGGED_IN, "")
}

/// The user cancelled (the back URI, or `error=access_denied`).
pub(crate) fn cancelled() -> Page {
    page(StatusCode::OK, CANCELLED, "")
}

/// The login failed; `what` is shown escaped.
pub(crate) fn failed(what: &str) -> Page {
    let detail = format!("<section><p><code>{}</code></p></section>", escape(what));
    page(StatusCode::BAD_REQUEST, FAILED, &detail)
}

/// A callback whose state does not match; the wait goes on.
pub(crate) fn not_this_login() -> Page {
    page(StatusCode::BAD_REQUEST, NOT_THIS_LOGIN, "")
}

/// The login (or logout) is already finished.
pub(crate) fn already_done() -> Page {
    page(StatusCode::OK, ALREADY_DONE, "")
}

/// Nobody waits for this request any more (the listener is closing), or it came at the wrong time.
pub(crate) fn not_waiting() -> Page {
    page(StatusCode::GONE, NOT_WAITING, "")
}

/// The post-logout redirect arrived.
pub(crate) fn logged_out() -> Page {
    page(StatusCode::OK, LOGGED_OUT, "")
}

/// Any other path.
pub(crate) fn not_found() -> Page {
    page(StatusCode::NOT_FOUND, NOT_FOUND, "")
}

/// A request the listener refuses (wrong method, wrong Host header, unreadable body).
pub(crate) fn bad_request(status: StatusCode) -> Page {
    page(status, BAD_REQUEST, "")
}

/// The queue of callbacks is full.
pub(crate) fn busy() -> Page {
    page(StatusCode::SERVICE_UNAVAILABLE, BUSY, "")
}

/// A page that POSTs `fields` as hidden inputs to `action`: submitted by one inline script (allowed by its nonce),
/// with a visible button for browsers without JavaScript.
pub(crate) fn form_post(action: &str, fields: &[(String, String)], script_nonce: &str) -> Page {
    let mut detail = format!(
        "<form id=\"f\" method=\"post\" action=\"{}\">",
        escape(action)
    );
    for (name, value) in fields {
        detail.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(name),
            escape(value)
        ));
    }
    detail.push_str(&format!(
        "<button type=\"submit\">Fortsett / Continue</button></form>\
         <script nonce=\"{}\">document.getElementById(\"f\").submit();</script>",
        escape(script_nonce)
    ));
    let mut page = page(StatusCode::OK, FORM_POST, &detail);
    page.script_nonce = Some(script_nonce.to_string());
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }

    #[test]
    fn pages_carry_both_languages() {
        let p = logged_in();
        assert!(p.html.contains("Du er logget inn") && p.html.contains("You are logged in"));
        let f = failed("<b>bad</b>");
        assert!(f.html.contains("&lt;b&gt;bad&lt;/b&gt;") && !f.html.contains("<b>bad"));
    }
}
