//! The model of a submission, pure data with no I/O: what to file ([`Submission`]), how ([`SubmitOptions`]), what
//! happens on the way ([`Progress`]), the answer ([`Feedback`]) and the result ([`SubmitOutcome`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::checkpoint::CheckpointHook;
use crate::attachment::{check_attachments, Attachment};
use crate::envelope::{build_envelope, EnvelopeOptions};
use crate::error::MvaError;
use crate::instance::Stage;
use crate::payment::PaymentInfo;
use crate::service_result::ServiceResult;
use crate::validate::validate_pair;
use crate::{InstanceId, OrganisationNumber};

/// What to file: a return, its envelope and attachments, checked locally.
#[derive(Debug, Clone)]
pub struct Submission {
    pub(crate) organisation: OrganisationNumber,
    pub(crate) return_xml: Vec<u8>,
    pub(crate) envelope_xml: Vec<u8>,
    pub(crate) attachments: Vec<Attachment>,
    pub(crate) key: String,
}

impl Submission {
    /// A submission of `return_xml` with an envelope built from it. Fails when the return is invalid, its
    /// organisation number is invalid, or an attachment breaks the rules.
    pub fn build(
        return_xml: Vec<u8>,
        attachments: Vec<Attachment>,
        envelope: &EnvelopeOptions,
    ) -> Result<Self, MvaError> {
        check_attachments(&attachments)?;
        let envelope_xml = build_envelope(&return_xml, &attachments, envelope)?;
        Self::with_envelope(return_xml, envelope_xml, attachments)
    }

    /// A submission with an envelope made elsewhere; both are validated and must agree.
    pub fn with_envelope(
        return_xml: Vec<u8>,
        envelope_xml: Vec<u8>,
        attachments: Vec<Attachment>,
    ) -> Result<Self, MvaError> {
        check_attachments(&attachments)?;
        crate::schema::ensure_validator()?;
        let pair = validate_pair(&return_xml, &envelope_xml);
        let ret_errors: Vec<_> = pair.return_report.errors().cloned().collect();
        if !ret_errors.is_empty() {
            return Err(MvaError::InvalidDocument {
                what: "return",
                findings: ret_errors,
            });
        }
        let mut env_errors: Vec<_> = pair.envelope_report.errors().cloned().collect();
        env_errors.extend(pair.consistency.iter().cloned());
        if !env_errors.is_empty() {
            return Err(MvaError::InvalidDocument {
                what: "envelope",
                findings: env_errors,
            });
        }
        let checked = crate::validate::check(&return_xml, Some(crate::DocumentKind::Return));
        let org = checked
            .facts
            .and_then(|f| f.organisation)
            .unwrap_or_default();
        let organisation: OrganisationNumber = org.parse()?;
        let key = submission_key(
            organisation.as_str(),
            &return_xml,
            &envelope_xml,
            &attachments,
        );
        Ok(Self {
            organisation,
            return_xml,
            envelope_xml,
            attachments,
            key,
        })
    }

    /// The organisation filed for.
    pub fn organisation(&self) -> &OrganisationNumber {
        &self.organisation
    }
    /// The journal key (hash of what is filed).
    pub fn key(&self) -> &str {
        &self.key
    }
    /// The envelope that will be sent.
    pub fn envelope_xml(&self) -> &[u8] {
        &self.envelope_xml
    }
}

/// Where to keep the journal and the feedback, and how long to wait.
#[derive(Clone)]
pub struct SubmitOptions {
    /// Folder of the journals (one sub-folder per submission).
    pub journal_dir: PathBuf,
    /// Folder the feedback files are written to (one sub-folder per instance).
    pub output_dir: PathBuf,
    /// File again even though this exact submission was filed before (a deliberate correction).
    pub force_new: bool,
    /// Time between feedback polls (the official sample uses 10 s).
    pub poll_interval: Duration,
    /// How long to wait for feedback (the official sample waits 6 minutes).
    pub feedback_timeout: Duration,
    /// Called at each checkpoint of the flow (see [`super::checkpoint`]); `None` in normal use. Tests use it to
    /// stop or kill a submission at an exact step.
    pub checkpoints: Option<Arc<dyn CheckpointHook>>,
}

impl std::fmt::Debug for SubmitOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubmitOptions")
            .field("journal_dir", &self.journal_dir)
            .field("output_dir", &self.output_dir)
            .field("force_new", &self.force_new)
            .field("poll_interval", &self.poll_interval)
            .field("feedback_timeout", &self.feedback_timeout)
            .field("checkpoints", &self.checkpoints.is_some())
            .finish()
    }
}

impl SubmitOptions {
    /// Options with the official sample's waiting times.
    pub fn new(journal_dir: impl Into<PathBuf>, output_dir: impl Into<PathBuf>) -> Self {
        Self {
            journal_dir: journal_dir.into(),
            output_dir: output_dir.into(),
            force_new: false,
            poll_interval: Duration::from_secs(10),
            feedback_timeout: Duration::from_secs(360),
            checkpoints: None,
        }
    }
}

/// Progress of a submission, for the caller to show.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// Another submission of the same content (another process, or another task) is running; this one waits for it
    /// to finish and then reports its filing (or resumes it, if it was interrupted).
    WaitingForOtherSubmission,
    /// A journal for this exact submission exists; continuing it.
    Resuming {
        /// The instance, if one was created.
        instance: Option<InstanceId>,
    },
    /// This exact submission was filed before; it is not sent again.
    AlreadySubmitted {
        /// The instance it was filed as.
        instance: InstanceId,
    },
    /// Got an Altinn token.
    Exchanged,
    /// Created the instance.
    InstanceCreated(InstanceId),
    /// Uploaded the envelope.
    EnvelopeUploaded,
    /// Uploaded the return.
    ReturnUploaded,
    /// Uploaded an attachment.
    AttachmentUploaded(String),
    /// Finished filling in.
    FilledIn,
    /// Submitted.
    Submitted,
    /// Waiting for feedback.
    Waiting(Duration),
    /// Feedback saved in this folder.
    FeedbackSaved(PathBuf),
}

/// The result of [`crate::MvaClient::submit`].
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitOutcome {
    /// The instance the return was filed as.
    pub instance: InstanceId,
    /// True when the return had been filed by an earlier run and was not sent again.
    pub already_submitted: bool,
    /// The feedback.
    pub feedback: Feedback,
    /// The journal file.
    pub journal: PathBuf,
}

/// What the Tax Administration answered to a submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    /// The instance.
    pub instance: InstanceId,
    /// Substatus label: "Mottatt", "Godkjent", "Ugyldig".
    pub substatus: Option<String>,
    /// Substatus description.
    pub substatus_description: Option<String>,
    /// Whether the instance is archived.
    pub archived: bool,
    /// Payment information, when given.
    pub payment: Option<PaymentInfo>,
    /// The validation result, when given.
    pub validation: Option<ServiceResult>,
    /// The files written (receipt PDF, payment information, validation result).
    pub files: Vec<PathBuf>,
}

/// Where a submission stands.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceState {
    /// The instance.
    pub instance: InstanceId,
    /// The process stage.
    pub stage: Stage,
    /// The feedback, when it is available (downloaded to the output folder).
    pub feedback: Option<Feedback>,
}

/// The envelope without its timestamps (`opprettingstidspunkt`, `endringstidspunkt`), so that an envelope built
/// again for the same return (with a new creation time) gives the same key.
fn without_timestamps(envelope_xml: &[u8]) -> Vec<u8> {
    let mut s = String::from_utf8_lossy(envelope_xml).into_owned();
    for tag in ["opprettingstidspunkt", "endringstidspunkt"] {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        let mut from = 0;
        while let Some(i) = s[from..].find(&open).map(|i| i + from + open.len()) {
            match s[i..].find(&close) {
                Some(j) => {
                    s.replace_range(i..i + j, "");
                    from = i + close.len();
                }
                None => break,
            }
        }
    }
    s.into_bytes()
}

/// The key of a submission: SHA-256 over organisation number, return, envelope (without its timestamps) and each
/// attachment (name, content type and content), each length-prefixed.
pub fn submission_key(
    org: &str,
    return_xml: &[u8],
    envelope_xml: &[u8],
    attachments: &[Attachment],
) -> String {
    let mut h = Sha256::new();
    let mut part = |b: &[u8]| {
        h.update((b.len() as u64).to_be_bytes());
        h.update(b);
    };
    part(org.as_bytes());
    part(return_xml);
    part(&without_timestamps(envelope_xml));
    for a in attachments {
        part(a.file_name.as_bytes());
        part(a.content_type.as_bytes());
        part(&a.bytes);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ignores_envelope_timestamps_only() {
        let a = b"<x><opprettingstidspunkt>2024-01-01T10:00:00Z</opprettingstidspunkt><v>1</v></x>";
        let b = b"<x><opprettingstidspunkt>2025-06-01T12:00:00Z</opprettingstidspunkt><v>1</v></x>";
        let c = b"<x><opprettingstidspunkt>2025-06-01T12:00:00Z</opprettingstidspunkt><v>2</v></x>";
        assert_eq!(
            submission_key("1", b"r", a, &[]),
            submission_key("1", b"r", b, &[])
        );
        assert_ne!(
            submission_key("1", b"r", a, &[]),
            submission_key("1", b"r", c, &[])
        );
        assert_ne!(
            submission_key("1", b"r", a, &[]),
            submission_key("2", b"r", a, &[])
        );
        assert_ne!(
            submission_key("1", b"r", a, &[]),
            submission_key("1", b"s", a, &[])
        );
    }
}
