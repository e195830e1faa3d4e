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

/// Judges a callback (a top-level navigation: the listener drops subresource requests before) with the core's
/// [`idporten::check_callback`] (`state` first, so that a forged or stale answer never passes for this login's, even
/// one carrying an error; then `iss`, `error`, `code`), and picks the page the browser gets when it fails. A missing
/// `iss` is judged later, by the flow, against the provider's metadata.
pub(crate) fn judge(
    params: &[(String, String)],
    expected_state: &State,
    expected_issuer: &Issuer,
) -> Verdict {
    match idporten::check_callback(params, expected_state, expected_issuer, false) {
        Ok(answer) => Verdict::Code(Callback {
            code: answer.code,
            state: expected_state.clone(),
            iss: answer.iss,
        }),
        Err(e @ Error::CallbackForeignState) => Verdict::Failed(e, pages::not_this_login()),
        Err(e @ Error::LoginCancelled) => Verdict::Failed(e, pages::cancelled()),
        Err(e) => {
            let page = pages::failed(&e);
            Verdict::Failed(e, page)
        }
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
