//! The check of one authorization response (RFC 6749 4.1.2, RFC 9207) for a server that receives the callback on
//! its own route (a web application, the `mva serve` backend-for-frontend): a pure function of the callback's query
//! parameters, the state of the login it claims to answer, and the issuer. No page, no listener.

use crate::{AuthorizationCode, Error, Issuer, State};

/// A successful authorization response: the code to exchange, and the `iss` the provider sent, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationResponse {
    /// The authorization code (single use, short-lived).
    pub code: AuthorizationCode,
    /// The `iss` parameter (RFC 9207); when present it equals the expected issuer.
    pub iss: Option<String>,
}

/// Checks a callback's query parameters against the login in progress, in this order: `state` (exactly once, equal
/// to `expected_state`, compared in constant time: a foreign or stale answer is [`Error::CallbackForeignState`],
/// even one carrying an error); then `iss` (RFC 9207 2.4: equal to the issuer when present; required when
/// `iss_required`, i.e. the provider advertises `authorization_response_iss_parameter_supported`); then `error`
/// (`access_denied` is [`Error::LoginCancelled`]); then `code`. A parameter given twice is malformed.
pub fn check_callback(
    params: &[(String, String)],
    expected_state: &State,
    expected_issuer: &Issuer,
    iss_required: bool,
) -> Result<AuthorizationResponse, Error> {
    match single(params, "state") {
        Ok(Some(s)) if same_secret(s, expected_state.as_str()) => {}
        _ => return Err(Error::CallbackForeignState),
    }
    let malformed = |reason| Error::CallbackMalformed { reason };
    let iss = single(params, "iss").map_err(malformed)?;
    let error = single(params, "error").map_err(malformed)?;
    let description = single(params, "error_description").map_err(malformed)?;
    let code = single(params, "code").map_err(malformed)?;
    match iss {
        Some(found) if found != expected_issuer.as_str() => {
            return Err(Error::CallbackIssuerMismatch {
                expected: expected_issuer.to_string(),
                found: found.to_string(),
            })
        }
        None if iss_required => {
            return Err(Error::CallbackIssuerMissing {
                issuer: expected_issuer.to_string(),
            })
        }
        _ => {}
    }
    if let Some(error) = error {
        if error == "access_denied" {
            return Err(Error::LoginCancelled);
        }
        return Err(Error::AuthorizationError {
            error: error.to_string(),
            description: description.map(str::to_string),
        });
    }
    match code {
        Some(code) if !code.is_empty() => Ok(AuthorizationResponse {
            code: AuthorizationCode::new(code),
            iss: iss.map(str::to_string),
        }),
        _ => Err(Error::CallbackMissingCode),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn check(pairs: &[(&str, &str)], iss_required: bool) -> Result<AuthorizationResponse, Error> {
        let issuer = Issuer::parse("https://test.idporten.no").unwrap();
        check_callback(&p(pairs), &State::new("s1"), &issuer, iss_required)
    }

    #[test]
    fn accepts_the_right_answer_and_refuses_every_wrong_one() {
        let ok = check(
            &[
                ("code", "c"),
                ("state", "s1"),
                ("iss", "https://test.idporten.no"),
            ],
            true,
        )
        .unwrap();
        assert_eq!(ok.code.secret(), "c");
        let refused = |pairs: &[(&str, &str)], required| check(pairs, required).unwrap_err();
        assert!(matches!(
            refused(&[("code", "c"), ("state", "s2")], false),
            Error::CallbackForeignState
        ));
        assert!(matches!(
            refused(&[("code", "c")], false),
            Error::CallbackForeignState
        ));
        assert!(matches!(
            refused(&[("code", "c"), ("state", "s1"), ("state", "s1")], false),
            Error::CallbackForeignState
        ));
        assert!(matches!(
            refused(
                &[("code", "c"), ("state", "s1"), ("iss", "https://evil")],
                false
            ),
            Error::CallbackIssuerMismatch { .. }
        ));
        assert!(matches!(
            refused(&[("code", "c"), ("state", "s1")], true),
            Error::CallbackIssuerMissing { .. }
        ));
        assert!(check(&[("code", "c"), ("state", "s1")], false).is_ok());
        assert!(matches!(
            refused(&[("error", "access_denied"), ("state", "s1")], false),
            Error::LoginCancelled
        ));
        assert!(matches!(
            refused(&[("state", "s1")], false),
            Error::CallbackMissingCode
        ));
        assert!(matches!(
            refused(&[("code", "c"), ("code", "d"), ("state", "s1")], false),
            Error::CallbackMalformed { .. }
        ));
    }
}
