//! The steps of a submission on the submission app, in words: their names (used in errors and progress), the Altinn
//! roles each needs, and small pure helpers the HTTP layer uses. No I/O.

use crate::error::MvaError;

/// Step name: the Altinn token exchange.
pub const STEP_EXCHANGE: &str = "token exchange";
/// Step name: the validation API.
pub const STEP_VALIDATION: &str = "validation API";
/// Step name: create the instance.
pub const STEP_CREATE: &str = "create instance";
/// Step name: read an instance.
pub const STEP_READ_INSTANCE: &str = "read instance";
/// Step name: upload the envelope.
pub const STEP_ENVELOPE: &str = "upload envelope";
/// Step name: upload the return.
pub const STEP_RETURN: &str = "upload return";
/// Step name: upload an attachment.
pub const STEP_ATTACHMENT: &str = "upload attachment";
/// Step name: the first process/next (finish filling in).
pub const STEP_FILL_IN: &str = "finish filling in";
/// Step name: the second process/next (submit).
pub const STEP_SUBMIT: &str = "submit";
/// Step name: waiting for and downloading the feedback.
pub const STEP_FEEDBACK: &str = "feedback";

/// Roles that allow filling in (creating, uploading, the first `process/next`).
pub const FILL_IN_ROLES: [&str; 4] = [
    "Regnskapsmedarbeider",
    "Regnskapsfører uten signeringsrett",
    "Ansvarlig revisor",
    "Revisormedarbeider",
];
/// Roles that allow submitting (the second `process/next`).
pub const SUBMIT_ROLES: [&str; 4] = [
    "Regnskapsfører med signeringsrett",
    "Begrenset signeringsrett",
    "Kontaktperson NUF",
    "Daglig leder",
];

/// Which Altinn roles a step needs, in words.
pub(crate) fn role_hint(step: &str) -> String {
    if step == STEP_SUBMIT {
        format!(
            "Submitting needs one of these Altinn roles for the organisation: {}. Filling-in roles are not enough. \
             Ask the organisation's Altinn administrator to delegate the role, then run the same command again",
            SUBMIT_ROLES.join(", ")
        )
    } else {
        format!(
            "Filling in needs one of these Altinn roles for the organisation: {} (or a submitting role: {}). \
             Ask the organisation's Altinn administrator to delegate the role, then run the same command again",
            FILL_IN_ROLES.join(", "),
            SUBMIT_ROLES.join(", ")
        )
    }
}

/// The `Content-Disposition` of a data element named `name` (RFC 6266, with `filename*` for non-ASCII names).
pub(crate) fn disposition(name: &str) -> String {
    if name.is_ascii() {
        format!("attachment; filename=\"{name}\"")
    } else {
        let enc: String = name
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let ascii: String = name
            .chars()
            .map(|c| if c.is_ascii() { c } else { '_' })
            .collect();
        format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{enc}")
    }
}

/// An answer that could not be understood at `step`.
pub(crate) fn protocol(step: &'static str, e: impl std::fmt::Display) -> MvaError {
    MvaError::Protocol {
        step,
        detail: e.to_string(),
    }
}
