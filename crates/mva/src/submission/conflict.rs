//! Reading a 409 answer of the submission app: its reasons (text or JSON) and, when it includes one, the validation
//! result. Pure: no I/O.

use crate::error::MvaError;
use crate::service_result::parse_service_result;

/// Reads a 409 answer: reasons in text or JSON, and a validation result XML when one is included.
pub(crate) fn conflict(step: &'static str, text: &str) -> MvaError {
    let (head, xml) = match text
        .find("<?xml")
        .or_else(|| text.find("<valideringsresultat"))
    {
        Some(i) => (&text[..i], Some(&text[i..])),
        None => (text, None),
    };
    let mut reasons: Vec<String> = Vec::new();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(head.trim()) {
        for key in ["detail", "title", "message", "error"] {
            if let Some(s) = v.get(key).and_then(|x| x.as_str()) {
                reasons.push(s.to_string());
            }
        }
        if reasons.is_empty() {
            reasons.push(v.to_string());
        }
    } else {
        reasons.extend(
            head.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
    }
    if reasons.is_empty() {
        reasons.push("no reason given".into());
    }
    let findings = xml
        .and_then(|x| parse_service_result(x.as_bytes()).ok())
        .map(|r| r.findings)
        .unwrap_or_default();
    MvaError::Conflict {
        step,
        reasons,
        findings,
    }
}
