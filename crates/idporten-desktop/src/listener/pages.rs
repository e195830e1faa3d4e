//! The small HTML pages the loopback listener shows in the browser, in Norwegian (bokmål) and English side by side.
//!
//! Every text that comes from outside (an `error_description`, a form field) is HTML-escaped. No page echoes the
//! authorization code.

use axum::http::StatusCode;

use crate::Error;

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
        nb: "Innloggingen er kontrollert og lagret. Du kan lukke denne fanen og gå tilbake til programmet.",
        en: "The login has been checked and stored. You can close this tab and return to the program.",
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
        nb: "Du er ikke logget inn. Programmet viser også hva som gikk galt; du kan lukke denne fanen.",
        en: "You are not logged in. The program also shows what went wrong; you can close this tab.",
    },
);
const STILL_WORKING: (Text, Text) = (
    Text { nb: "Innloggingen er mottatt", en: "The login was received" },
    Text {
        nb: "Programmet kontrollerer og lagrer fortsatt innloggingen. Se programmet for resultatet; du kan lukke denne fanen.",
        en: "The program is still checking and storing the login. See the program for the result; you can close this tab.",
    },
);
const STOPPED: &str = "the program stopped before it finished the login; run the command again";
const NOT_THIS_LOGIN: (Text, Text) = (
    Text { nb: "Svaret hører ikke til denne innloggingen", en: "This answer does not belong to this login" },
    Text {
        nb: "Svaret har feil eller manglende «state», kanskje fra en gammel fane eller en annen side. \
             Innloggingen er stoppet; start den på nytt fra programmet og fullfør den i fanen som åpnes.",
        en: "The answer has a wrong or missing \"state\", perhaps from an old tab or another page. \
             The login was stopped; start it again from the program and finish it in the tab that opens.",
    },
);
const LOGOUT_NOT_OURS: (Text, Text) = (
    Text { nb: "Svaret hører ikke til denne utloggingen", en: "This answer does not belong to this logout" },
    Text {
        nb: "Svaret har feil eller manglende «state». Programmet venter fortsatt på utloggingen.",
        en: "The answer has a wrong or missing \"state\". The program is still waiting for the logout.",
    },
);
const NOT_YOURS: (Text, Text) = (
    Text {
        nb: "Ikke for deg",
        en: "Not for you",
    },
    Text {
        nb: "Denne siden vises bare for brukeren som kjører programmet.",
        en: "This page is shown only to the user who runs the program.",
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

/// Which step of the login failed, in both languages.
fn what_failed(error: &Error) -> Text {
    use Error as E;
    match error {
        E::TokenEndpoint { .. }
        | E::ProviderUnreachable { .. }
        | E::ProviderStatus { .. }
        | E::ProviderResponse { .. }
        | E::ClientAssertion { .. } => Text {
            nb: "Innløsningen av innloggingskoden hos ID-porten mislyktes.",
            en: "Exchanging the login code at ID-porten failed.",
        },
        E::UnknownSigningKey { .. }
        | E::IdTokenMalformed { .. }
        | E::IdTokenAlgorithm { .. }
        | E::IdTokenSignature
        | E::IdTokenIssuer { .. }
        | E::IdTokenAudience { .. }
        | E::IdTokenAuthorizedParty { .. }
        | E::IdTokenExpired { .. }
        | E::IdTokenIssuedInFuture { .. }
        | E::IdTokenMissingClaim { .. }
        | E::IdTokenNonce
        | E::IdTokenAcr { .. } => Text {
            nb: "ID-tokenet besto ikke kontrollen, så innloggingen ble ikke godtatt.",
            en: "The ID token failed the checks, so the login was not accepted.",
        },
        E::TokenStoreIo { .. }
        | E::TokenStoreNotOwned { .. }
        | E::TokenStoreCorrupt { .. }
        | E::StoreLockTimeout { .. }
        | E::NoHomeDir
        | E::Keyring { .. } => Text {
            nb: "Innloggingen var gyldig, men økten kunne ikke lagres på denne maskinen.",
            en: "The login was valid, but the session could not be stored on this computer.",
        },
        E::ScopeNotGranted { .. } => Text {
            nb: "Integrasjonen fikk ikke tilgangene (scopes) den ba om; se Samarbeidsportalen.",
            en: "The integration was not granted the scopes it asked for; see Samarbeidsportalen.",
        },
        E::AuthorizationError { .. } => Text {
            nb: "ID-porten avviste innloggingen.",
            en: "ID-porten refused the login.",
        },
        E::CallbackIssuerMismatch { .. }
        | E::CallbackIssuerMissing { .. }
        | E::CallbackMissingCode
        | E::CallbackMalformed { .. } => Text {
            nb: "Svaret som kom tilbake fra ID-porten, er ikke gyldig.",
            en: "The answer that came back from ID-porten is not valid.",
        },
        _ => Text {
            nb: "Innloggingen kunne ikke fullføres.",
            en: "The login could not be completed.",
        },
    }
}

/// The login failed: which step, in both languages, then the program's message (escaped). The messages name no
/// token, code or secret: they are the same the terminal shows.
pub(crate) fn failed(error: &Error) -> Page {
    failed_with(what_failed(error), &error.to_string())
}

fn failed_with(what: Text, message: &str) -> Page {
    let detail = format!(
        "<section lang=\"nb\"><p>{}</p></section><section lang=\"en\"><p>{}</p><p><code>{}</code></p></section>",
        what.nb,
        what.en,
        escape(message)
    );
    page(StatusCode::BAD_REQUEST, FAILED, &detail)
}

/// The flow ended (or the listener was shut down) without telling the browser how the login went.
pub(crate) fn stopped() -> Page {
    failed_with(
        Text {
            nb: "Programmet stoppet før innloggingen var fullført.",
            en: "The program stopped before the login was complete.",
        },
        STOPPED,
    )
}

/// The flow has not answered within the listener's answer timeout: the code exchange or the save is slow.
pub(crate) fn still_working() -> Page {
    page(StatusCode::ACCEPTED, STILL_WORKING, "")
}

/// A callback whose state does not match: the login is stopped.
pub(crate) fn not_this_login() -> Page {
    page(StatusCode::BAD_REQUEST, NOT_THIS_LOGIN, "")
}

/// A post-logout redirect whose state does not match; the wait goes on.
pub(crate) fn logout_not_ours() -> Page {
    page(StatusCode::BAD_REQUEST, LOGOUT_NOT_OURS, "")
}

/// A one-time page asked for by another user of the machine.
pub(crate) fn not_yours() -> Page {
    page(StatusCode::FORBIDDEN, NOT_YOURS, "")
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
        let f = failed(&Error::AuthorizationError {
            error: "server_error".into(),
            description: Some("<b>bad</b>".into()),
        });
        assert!(f.html.contains("&lt;b&gt;bad&lt;/b&gt;") && !f.html.contains("<b>bad"));
        assert!(f.html.contains("ID-porten avviste") && f.html.contains("ID-porten refused"));
    }
}
