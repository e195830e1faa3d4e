//! Judging one authorization response (RFC 6749 4.1.2, RFC 9207) against the login in progress: a pure function
//! over the callback's parameters, the expected `state` and the expected issuer.

use super::pages::{self, Page};
use crate::{AuthorizationCode, Error, Issuer, State};

/// The authorization response of a successful login, as received on the redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// The authorization code (single use, short-lived), to be exchanged at the token endpoint.
    pub code: AuthorizationCode,
    /// The `state`, equal to the one sent.
    pub state: State,
    /// The `iss` parameter (RFC 9207), when the provider sent one; when present it equals the expected issuer.
    pub iss: Option<String>,
}

/// What the listener does with one callback request.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// A code for this login: the browser's page waits until the flow has exchanged it and stored the session.
    Code(Callback),
    /// The login is over without a code; the browser gets this page now.
    Failed(Error, Page),
}

/// The single value of a parameter; `Err` when it is given more than once (RFC 6749 3.1: no repeats).
fn single<'a>(params: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, String> {
    let mut found = params
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str());
    let first = found.next();
    if found.next().is_some() {
        return Err(format!("the parameter {name} is given more than once"));
    }
    Ok(first)
}

/// Compares without an early exit, so the time taken does not tell how much of a guess was right.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Judges a callback (a top-level navigation: the listener drops subresource requests before). Order matters:
/// `state` first, so that a forged or stale answer never passes for this login's (even one carrying an error: it
/// ends the login as foreign, not as cancelled); then `iss` (RFC 9207 2.4, also for error answers); then `error`;
/// then `code`.
pub(crate) fn judge(
    params: &[(String, String)],
    expected_state: &State,
    expected_issuer: &Issuer,
) -> Verdict {
    match single(params, "state") {
        Ok(Some(s)) if same_secret(s, expected_state.as_str()) => {}
        _ => return Verdict::Failed(Error::CallbackForeignState, pages::not_this_login()),
    }
    let done_err = |e: Error| {
        let page = pages::failed(&e);
        Verdict::Failed(e, page)
    };
    let get = |name: &str| single(params, name);
    let (iss, error, description, code) = match (
        get("iss"),
        get("error"),
        get("error_description"),
        get("code"),
    ) {
        (Ok(i), Ok(e), Ok(d), Ok(c)) => (i, e, d, c),
        (Err(reason), ..) | (_, Err(reason), ..) | (_, _, Err(reason), _) | (.., Err(reason)) => {
            return done_err(Error::CallbackMalformed { reason })
        }
    };
    if let Some(found) = iss {
        if found != expected_issuer.as_str() {
            return done_err(Error::CallbackIssuerMismatch {
                expected: expected_issuer.to_string(),
                found: found.to_string(),
            });
        }
    }
    if let Some(error) = error {
        if error == "access_denied" {
            return Verdict::Failed(Error::LoginCancelled, pages::cancelled());
        }
        return done_err(Error::AuthorizationError {
            error: error.to_string(),
            description: description.map(str::to_string),
        });
    }
    match code {
        Some(code) if !code.is_empty() => Verdict::Code(Callback {
            code: AuthorizationCode::new(code),
            state: expected_state.clone(),
            iss: iss.map(str::to_string),
        }),
        _ => done_err(Error::CallbackMissingCode),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn issuer() -> Issuer {
        Issuer::parse("https://test.idporten.no").unwrap()
    }

    #[test]
    fn a_good_answer_gives_the_code() {
        let v = judge(
            &p(&[
                ("code", "c1"),
                ("state", "s1"),
                ("iss", "https://test.idporten.no"),
            ]),
            &State::new("s1"),
            &issuer(),
        );
        let Verdict::Code(cb) = v else {
            panic!("{v:?}")
        };
        assert_eq!(cb.code.secret(), "c1");
        assert_eq!(cb.iss.as_deref(), Some("https://test.idporten.no"));
    }

    #[test]
    fn a_forged_error_with_a_wrong_state_is_foreign_not_cancelled() {
        let v = judge(
            &p(&[("error", "access_denied"), ("state", "other")]),
            &State::new("s1"),
            &issuer(),
        );
        assert!(
            matches!(v, Verdict::Failed(Error::CallbackForeignState, _)),
            "{v:?}"
        );
        let v = judge(
            &p(&[("code", "c"), ("state", "s1"), ("state", "s1")]),
            &State::new("s1"),
            &issuer(),
        );
        assert!(
            matches!(v, Verdict::Failed(Error::CallbackForeignState, _)),
            "{v:?}"
        );
    }

    #[test]
    fn repeated_parameters_and_empty_codes_end_the_login() {
        let v = judge(
            &p(&[("code", "a"), ("code", "b"), ("state", "s1")]),
            &State::new("s1"),
            &issuer(),
        );
        assert!(
            matches!(v, Verdict::Failed(Error::CallbackMalformed { .. }, _)),
            "{v:?}"
        );
        let v = judge(
            &p(&[("code", ""), ("state", "s1")]),
            &State::new("s1"),
            &issuer(),
        );
        assert!(
            matches!(v, Verdict::Failed(Error::CallbackMissingCode, _)),
            "{v:?}"
        );
    }

    #[test]
    fn the_issuer_is_checked_before_the_error() {
        let v = judge(
            &p(&[
                ("error", "access_denied"),
                ("state", "s1"),
                ("iss", "https://evil.example"),
            ]),
            &State::new("s1"),
            &issuer(),
        );
        assert!(
            matches!(v, Verdict::Failed(Error::CallbackIssuerMismatch { .. }, _)),
            "{v:?}"
        );
    }
}
