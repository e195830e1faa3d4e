//! What to file ([`Submission`]), how ([`SubmitOptions`]), what happens on the way ([`Progress`]) and the result
//! ([`SubmitOutcome`]).

use std::path::PathBuf;
use std::time::Duration;

use crate::attachment::{check_attachments, Attachment};
use crate::envelope::{build_envelope, EnvelopeOptions};
use crate::error::MvaError;
use crate::feedback::Feedback;
use crate::journal::submission_key;
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
#[derive(Debug, Clone)]
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

/// The result of [`MvaClient::submit`].
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
