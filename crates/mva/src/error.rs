//! The crate's error type: each message says what happened and what to do.

use std::path::PathBuf;

use crate::finding::Finding;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MvaError {
    /// Not 9 digits with a valid mod-11 check digit.
    #[error("\"{0}\" is not a valid organisation number: it must be 9 digits with a valid check digit (mod 11)")]
    InvalidOrganisationNumber(String),
    /// Not `{partyId}/{instanceGuid}`.
    #[error("\"{0}\" is not an Altinn instance id: expected {{partyId}}/{{instanceGuid}}, e.g. 50267437/55604b08-1690-4a8d-bf6b-95c11dc40c58")]
    InvalidInstanceId(String),
    /// Not one of the categories of the schema.
    #[error("\"{0}\" is not a return category: use alminnelig, primaernaering, kompensasjon, omvendtAvgiftsplikt or eHandel")]
    InvalidCategory(String),
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done, e.g. "cannot read".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The return (or envelope) fails local validation; nothing was sent.
    #[error("the {what} is not valid, nothing was sent:\n{}", list(.findings))]
    InvalidDocument {
        /// "return" or "envelope".
        what: &'static str,
        /// The error findings.
        findings: Vec<Finding>,
    },
    /// An attachment breaks the submission app's rules; nothing was sent.
    #[error("attachment {name}: {problem}")]
    Attachment {
        /// The attachment's file name.
        name: String,
        /// What is wrong and what to do.
        problem: String,
    },
    /// The network failed (connection refused, timeout, TLS).
    #[error("{step}: could not reach {url}: {detail}. Check the network and the endpoint, then run the same command again: the submission resumes where it stopped")]
    Network {
        /// The step of the flow.
        step: &'static str,
        /// The address (never with a token).
        url: String,
        /// The cause.
        detail: String,
    },
    /// libxml2 (the XSD validator, loaded on the first validation) is not installed.
    #[error("libxml2 is not installed: install the Debian package libxml2 (apt install libxml2; Fedora: dnf install libxml2; macOS: it comes with the system), then run the same command again. Local validation needs it; nothing was checked (tried {tried}: {detail})")]
    Libxml2Missing {
        /// The library names tried.
        tried: String,
        /// What the system's loader said.
        detail: String,
    },
    /// A library named like libxml2 loaded but is not a usable one (not libxml2, or a release of another ABI).
    #[error("{library} is not a usable libxml2: {problem}. Install libxml2 2.9 to 2.13 (Debian: apt install libxml2), then run the same command again")]
    Libxml2Unusable {
        /// The library that loaded.
        library: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The token source could not give an ID-porten access token.
    #[error("no ID-porten access token: {0}. Log in again")]
    Token(String),
    /// 401 even after a fresh token.
    #[error("{step}: the service refused the token (401) even after a fresh login. Log in again; check that the integration has the scopes skatteetaten:mvameldingvalidering and skatteetaten:mvameldinginnsending")]
    Unauthorized {
        /// The step of the flow.
        step: &'static str,
    },
    /// 403: a missing role or right.
    #[error("{step}: access denied (403) for organisation {org}. {hint}")]
    Forbidden {
        /// The step of the flow.
        step: &'static str,
        /// The organisation acted for.
        org: String,
        /// Which Altinn roles are needed for this step.
        hint: String,
    },
    /// 404 "Cannot lookup party".
    #[error("{step}: organisation number {org} is unknown to Altinn (404 {detail}). Check the number; the organisation must be registered in Enhetsregisteret")]
    UnknownOrganisation {
        /// The step of the flow.
        step: &'static str,
        /// The organisation number.
        org: String,
        /// What the service said.
        detail: String,
    },
    /// 409 with the reasons the service gave.
    #[error("{step}: the submission app refused the submission (409): {}{}", .reasons.join("; "), if .findings.is_empty() { String::new() } else { format!("\n{}", list(.findings)) })]
    Conflict {
        /// The step of the flow.
        step: &'static str,
        /// The reasons given ("Valideringsfeil: ...").
        reasons: Vec<String>,
        /// The validation details, parsed, when the answer held a validation result.
        findings: Vec<Finding>,
    },
    /// Any other status.
    #[error("{step}: unexpected answer {status} from the service: {body}")]
    UnexpectedStatus {
        /// The step of the flow.
        step: &'static str,
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// An answer's body is larger than the client accepts for it (see [`crate::response`]).
    #[error("{step}: the answer from {url} is too large: {} the limit of {limit} bytes for this answer; refused without reading it all. A real service never sends that much: check the endpoint", match .declared { Some(n) => format!("it declares {n} bytes, over"), None => "it goes on past".to_string() })]
    ResponseTooLarge {
        /// The step of the flow.
        step: &'static str,
        /// The address (never with a token).
        url: String,
        /// The most accepted, in bytes.
        limit: usize,
        /// The size the answer declared (`Content-Length`), when it declared one.
        declared: Option<u64>,
    },
    /// The answer could not be understood.
    #[error("{step}: the service's answer could not be understood: {detail}")]
    Protocol {
        /// The step of the flow.
        step: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// Feedback did not come in time.
    #[error("the return was submitted as instance {instance} but feedback did not arrive within {waited_secs} s. Run `status {instance}` later to fetch it")]
    FeedbackTimeout {
        /// The instance.
        instance: String,
        /// How long we waited.
        waited_secs: u64,
    },
    /// The journal is damaged.
    #[error("the submission journal {path} is damaged ({detail}). Move it away only if you are sure the return was not submitted (check with `status`)")]
    Journal {
        /// The journal file.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// An XML document could not be written.
    #[error("could not write XML: {0}")]
    XmlWrite(String),
}

fn list(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("  - {f}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The crate's result type.
pub type Result<T, E = MvaError> = std::result::Result<T, E>;
