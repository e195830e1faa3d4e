//! Fault injection: make an endpoint fail, answer slowly or drop the connection for the next N requests, and
//! forge the next ID token. Controlled through [`crate::SimHandle::faults`] or the admin API.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Mutex;

use crate::Error;

/// The endpoints faults can be put on.
pub const ENDPOINTS: [&str; 12] = [
    "authorize",
    "token",
    "jwks",
    "discovery",
    "userinfo",
    "revoke",
    "introspect",
    "par",
    "logout",
    "validation",
    "exchange",
    "app",
];

/// The endpoint a request path belongs to (`None` for the admin API, which never fails).
pub fn endpoint_of(path: &str) -> Option<&'static str> {
    Some(match path {
        p if p.starts_with("/sim/admin") => return None,
        p if p.starts_with("/authorize") => "authorize",
        "/token" => "token",
        "/jwks.json" => "jwks",
        "/.well-known/openid-configuration" | "/.well-known/oauth-authorization-server" => {
            "discovery"
        }
        "/userinfo" => "userinfo",
        "/revoke" => "revoke",
        "/introspect" => "introspect",
        "/par" => "par",
        "/logout" => "logout",
        p if p.contains("/valider") => "validation",
        p if p.starts_with("/authentication/api/v1/exchange") => "exchange",
        _ => "app",
    })
}

/// What happens to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Fault {
    /// Answer with this HTTP status (500, 503, ...) and a JSON error body.
    Status {
        /// The status code.
        status: u16,
    },
    /// Wait this many milliseconds, then answer normally.
    Delay {
        /// The delay.
        ms: u64,
    },
    /// Close the connection without an answer.
    Drop,
}

/// A forged ID token, put in the next token response instead of the real one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Forgery {
    /// `iss` is not the simulator's issuer.
    WrongIss,
    /// `aud` is another client.
    WrongAud,
    /// `nonce` is not the one sent.
    WrongNonce,
    /// `exp` has passed (and `iat` is an hour old).
    Expired,
    /// The signature does not match.
    BadSignature,
    /// Header `alg: none`, no signature.
    AlgNone,
    /// Signed by a key whose `kid` is not in the JWKS.
    UnknownKid,
    /// Header `alg: HS256`, signed with the simulator's public key (PEM) as the HMAC secret: key confusion.
    Hs256PublicKey,
    /// No `kid` in the header (RS256, the active key): valid when the JWKS holds a single key.
    NoKid,
    /// `acr` one level below the login's: `idporten-loa-substantial` for a high login, else `idporten-loa-low`.
    AcrBelowRequest,
    /// `aud` is an array of the client and another audience, with no `azp`.
    SeveralAudNoAzp,
    /// `aud` is an array of the client and another audience, `azp` the other one.
    SeveralAudWrongAzp,
    /// No `sub`.
    MissingSub,
    /// `iat` an hour ahead (and `exp` 120 s after it).
    IatInFuture,
}

/// A forged answer of the authorization endpoint, put in the next successful login's redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackForgery {
    /// `state` is not the one the client sent.
    ForeignState,
    /// `iss` is not the simulator's issuer.
    WrongIss,
    /// No `iss` (though discovery promises it).
    NoIss,
}

#[derive(Debug)]
struct Rule {
    endpoint: &'static str,
    fault: Fault,
    remaining: u32,
}

/// The armed faults.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<Rule>>,
    forgeries: Mutex<VecDeque<Forgery>>,
    callbacks: Mutex<VecDeque<CallbackForgery>>,
}

fn known(endpoint: &str) -> Result<&'static str, Error> {
    ENDPOINTS
        .iter()
        .find(|e| **e == endpoint)
        .copied()
        .ok_or_else(|| Error::UnknownEndpoint(endpoint.into()))
}

impl Faults {
    /// Arms a fault for the next `count` requests to `endpoint`.
    pub fn inject(&self, endpoint: &str, fault: Fault, count: u32) -> Result<(), Error> {
        let endpoint = known(endpoint)?;
        self.rules.lock().unwrap().push(Rule {
            endpoint,
            fault,
            remaining: count,
        });
        Ok(())
    }

    /// The next `count` requests to `endpoint` get HTTP `status`.
    ///
    /// ```
    /// let faults = sim::Faults::default();
    /// faults.fail_next("token", 503, 2).unwrap();
    /// assert!(faults.fail_next("tokens", 503, 1).is_err());
    /// ```
    pub fn fail_next(&self, endpoint: &str, status: u16, count: u32) -> Result<(), Error> {
        self.inject(endpoint, Fault::Status { status }, count)
    }

    /// The next `count` requests to `endpoint` wait `ms` milliseconds first.
    pub fn delay_next(&self, endpoint: &str, ms: u64, count: u32) -> Result<(), Error> {
        self.inject(endpoint, Fault::Delay { ms }, count)
    }

    /// The next `count` requests to `endpoint` see the connection closed with no answer.
    pub fn drop_next(&self, endpoint: &str, count: u32) -> Result<(), Error> {
        self.inject(endpoint, Fault::Drop, count)
    }

    /// The next token response carries this forged ID token (queued: one forgery per response).
    pub fn forge_next_id_token(&self, forgery: Forgery) {
        self.forgeries.lock().unwrap().push_back(forgery);
    }

    /// The next successful login's redirect is forged so (queued: one forgery per login).
    pub fn forge_next_callback(&self, forgery: CallbackForgery) {
        self.callbacks.lock().unwrap().push_back(forgery);
    }

    /// Takes the next callback forgery, if one is queued.
    pub fn take_callback_forgery(&self) -> Option<CallbackForgery> {
        self.callbacks.lock().unwrap().pop_front()
    }

    /// Disarms every fault and forgery.
    pub fn clear(&self) {
        self.rules.lock().unwrap().clear();
        self.forgeries.lock().unwrap().clear();
        self.callbacks.lock().unwrap().clear();
    }

    /// Takes the faults for one request to `endpoint`: the delay (if any) and the failure (if any).
    pub fn take(&self, endpoint: &str) -> (Option<u64>, Option<Fault>) {
        let mut rules = self.rules.lock().unwrap();
        let mut delay = None;
        let mut failure = None;
        for rule in rules
            .iter_mut()
            .filter(|r| r.endpoint == endpoint && r.remaining > 0)
        {
            match rule.fault {
                Fault::Delay { ms } if delay.is_none() => {
                    delay = Some(ms);
                    rule.remaining -= 1;
                }
                Fault::Status { .. } | Fault::Drop if failure.is_none() => {
                    failure = Some(rule.fault);
                    rule.remaining -= 1;
                }
                _ => {}
            }
        }
        rules.retain(|r| r.remaining > 0);
        (delay, failure)
    }

    /// Takes the next forgery, if one is queued.
    pub fn take_forgery(&self) -> Option<Forgery> {
        self.forgeries.lock().unwrap().pop_front()
    }

    /// The armed faults, for the admin API: (endpoint, fault, remaining).
    pub fn armed(&self) -> Vec<(String, Fault, u32)> {
        self.rules
            .lock()
            .unwrap()
            .iter()
            .map(|r| (r.endpoint.to_string(), r.fault, r.remaining))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_count_down() {
        let f = Faults::default();
        f.fail_next("token", 500, 2).unwrap();
        f.delay_next("token", 10, 1).unwrap();
        assert_eq!(
            f.take("token"),
            (Some(10), Some(Fault::Status { status: 500 }))
        );
        assert_eq!(f.take("jwks"), (None, None));
        assert_eq!(f.take("token"), (None, Some(Fault::Status { status: 500 })));
        assert_eq!(f.take("token"), (None, None));
        assert_eq!(
            endpoint_of("/api/mva/grensesnittstoette/mva-melding/valider"),
            Some("validation")
        );
        assert_eq!(endpoint_of("/sim/admin/stats"), None);
    }
}
