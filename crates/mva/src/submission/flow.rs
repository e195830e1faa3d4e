//! The submission flow (steps 2-9 of the specification), safe against crashes and against a second run at the
//! same time: the journal entry is locked for the whole submission, every step is recorded in the journal before
//! the flow moves on, running the same submission again resumes the same instance after checking the server's
//! state, and a return already filed is reported, not sent again. At each checkpoint the flow calls the
//! [`CheckpointHook`](super::checkpoint::CheckpointHook) of the options, if any.

use std::path::Path;
use std::time::Duration;

use super::checkpoint::{Checkpoint, Step};
use super::client::MvaClient;
use super::journal::{EntryLock, Journal, JournalFile};
use super::model::{Progress, Submission, SubmitOptions, SubmitOutcome};
use super::steps::{protocol, STEP_CREATE, STEP_ENVELOPE, STEP_FILL_IN, STEP_SUBMIT};
use crate::attachment::Attachment;
use crate::error::MvaError;
use crate::instance::{Stage, ENVELOPE_DATA_TYPE};
use crate::InstanceId;

/// Calls the options' hook, if any, at `at`.
async fn checkpoint(options: &SubmitOptions, at: Checkpoint) {
    if let Some(hook) = &options.checkpoints {
        hook.reached(at).await;
    }
}

/// How often a waiting submission tries the entry's lock again.
const LOCK_RETRY: Duration = Duration::from_millis(100);

/// Takes the journal entry's lock, waiting (and saying so once) while another submission of the same content
/// holds it. When that one is done, this one finds its journal: a finished filing is reported, not repeated; an
/// interrupted one is resumed.
async fn lock_entry(
    journal_dir: &Path,
    key: &str,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<EntryLock, MvaError> {
    let mut said = false;
    loop {
        if let Some(lock) = EntryLock::try_acquire(journal_dir, key)? {
            return Ok(lock);
        }
        if !said {
            progress(Progress::WaitingForOtherSubmission);
            said = true;
        }
        tokio::time::sleep(LOCK_RETRY).await;
    }
}

impl MvaClient {
    /// Files `submission` (or resumes it), waits for feedback and saves it. See the module documentation.
    pub async fn submit(
        &self,
        submission: &Submission,
        options: &SubmitOptions,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<SubmitOutcome, MvaError> {
        let key = submission.key();
        // Held to the end of this function: one submission of this entry at a time, across processes.
        let _lock = lock_entry(&options.journal_dir, key, progress).await?;
        if options.force_new {
            JournalFile::supersede(&options.journal_dir, key)?;
        }
        let mut j = match JournalFile::open(&options.journal_dir, key)? {
            Some(j) => {
                progress(Progress::Resuming {
                    instance: j.state.instance.clone(),
                });
                j
            }
            None => {
                let mut docs: Vec<(String, &[u8])> = vec![
                    ("mva-melding.xml".into(), &submission.return_xml),
                    ("konvolutt.xml".into(), &submission.envelope_xml),
                ];
                for (i, a) in submission.attachments.iter().enumerate() {
                    docs.push((format!("vedlegg-{i}"), &a.bytes));
                }
                let docs: Vec<(&str, &[u8])> = docs.iter().map(|(n, b)| (n.as_str(), *b)).collect();
                let state = Journal {
                    version: 1,
                    key: key.to_string(),
                    organisation: submission.organisation.to_string(),
                    started_at: time::OffsetDateTime::now_utc()
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                    ..Journal::default()
                };
                JournalFile::create(&options.journal_dir, state, &docs)?
            }
        };
        let org = submission.organisation.as_str();
        let already = j.state.submitted;
        if let (true, Some(id)) = (already, j.state.instance.clone()) {
            progress(Progress::AlreadySubmitted {
                instance: id.clone(),
            });
            if let Some(fb) = j.state.feedback.clone() {
                return Ok(SubmitOutcome {
                    instance: id,
                    already_submitted: true,
                    feedback: fb,
                    journal: j.path(),
                });
            }
        }

        self.ensure_altinn_token().await?;
        progress(Progress::Exchanged);
        checkpoint(options, Checkpoint::recorded(Step::Exchanged)).await;

        let id = match j.state.instance.clone() {
            None => {
                let inst = self.create_instance(&submission.organisation).await?;
                let id: InstanceId = inst.id.parse().map_err(|e| protocol(STEP_CREATE, e))?;
                let env = inst
                    .data
                    .iter()
                    .find(|d| d.data_type == ENVELOPE_DATA_TYPE)
                    .ok_or_else(|| {
                        protocol(STEP_CREATE, "the new instance has no envelope data element")
                    })?;
                checkpoint(options, Checkpoint::unrecorded(Step::InstanceCreated)).await;
                j.state.instance = Some(id.clone());
                j.state.envelope_element = Some(env.id.clone());
                j.save()?;
                progress(Progress::InstanceCreated(id.clone()));
                checkpoint(options, Checkpoint::recorded(Step::InstanceCreated)).await;
                id
            }
            Some(id) => {
                self.reconcile(org, &id, &mut j, submission).await?;
                id
            }
        };
        if !j.state.envelope_uploaded {
            let el = j
                .state
                .envelope_element
                .clone()
                .ok_or_else(|| protocol(STEP_ENVELOPE, "no envelope element recorded"))?;
            // on a resumed run, the envelope kept when the journal started (its timestamp may differ)
            let envelope = j
                .kept_envelope()
                .unwrap_or_else(|| submission.envelope_xml.clone());
            self.upload_envelope(org, &id, &el, &envelope).await?;
            checkpoint(options, Checkpoint::unrecorded(Step::EnvelopeUploaded)).await;
            j.state.envelope_uploaded = true;
            j.save()?;
            progress(Progress::EnvelopeUploaded);
            checkpoint(options, Checkpoint::recorded(Step::EnvelopeUploaded)).await;
        }
        if !j.state.return_uploaded {
            self.upload_return(org, &id, &submission.return_xml).await?;
            checkpoint(options, Checkpoint::unrecorded(Step::ReturnUploaded)).await;
            j.state.return_uploaded = true;
            j.save()?;
            progress(Progress::ReturnUploaded);
            checkpoint(options, Checkpoint::recorded(Step::ReturnUploaded)).await;
        }
        for a in &submission.attachments {
            if j.state.attachments_uploaded.contains(&a.file_name) {
                continue;
            }
            self.upload_attachment(org, &id, a).await?;
            j.state.attachments_uploaded.push(a.file_name.clone());
            j.save()?;
            progress(Progress::AttachmentUploaded(a.file_name.clone()));
        }
        checkpoint(options, Checkpoint::recorded(Step::AttachmentsUploaded)).await;
        if !j.state.filled_in {
            self.process_next(STEP_FILL_IN, org, &id).await?;
            checkpoint(options, Checkpoint::unrecorded(Step::FilledIn)).await;
            j.state.filled_in = true;
            j.save()?;
            progress(Progress::FilledIn);
            checkpoint(options, Checkpoint::recorded(Step::FilledIn)).await;
        }
        if !j.state.submitted {
            self.process_next(STEP_SUBMIT, org, &id).await?;
            checkpoint(options, Checkpoint::unrecorded(Step::Submitted)).await;
            j.state.submitted = true;
            j.save()?;
            progress(Progress::Submitted);
            checkpoint(options, Checkpoint::recorded(Step::Submitted)).await;
        }

        let mut waiting = |d: Duration| progress(Progress::Waiting(d));
        self.wait_for_feedback(
            org,
            &id,
            options.poll_interval,
            options.feedback_timeout,
            &mut waiting,
        )
        .await?;
        let out = options.output_dir.join(format!("{org}-{}", id.guid()));
        let fb = self.fetch_feedback(org, &id, &out).await?;
        j.state.feedback = Some(fb.clone());
        j.save()?;
        progress(Progress::FeedbackSaved(out));
        checkpoint(options, Checkpoint::recorded(Step::Feedback)).await;
        Ok(SubmitOutcome {
            instance: id,
            already_submitted: already,
            feedback: fb,
            journal: j.path(),
        })
    }

    /// Brings the journal up to date with the server: a step may have succeeded before a crash without being
    /// recorded.
    async fn reconcile(
        &self,
        org: &str,
        id: &InstanceId,
        j: &mut JournalFile,
        submission: &Submission,
    ) -> Result<(), MvaError> {
        let inst = self.instance(org, id).await?;
        let s = &mut j.state;
        if let Some(env) = &s.envelope_element {
            if inst.data.iter().any(|d| &d.id == env && d.size > 0) {
                s.envelope_uploaded = true;
            }
        }
        if inst.data.iter().any(|d| d.data_type == "mvamelding") {
            s.return_uploaded = true;
        }
        for d in inst.data.iter().filter(|d| d.data_type == "binaerVedlegg") {
            if let Some(name) = &d.filename {
                if submission.attachments.iter().any(|a| &a.file_name == name)
                    && !s.attachments_uploaded.contains(name)
                {
                    s.attachments_uploaded.push(name.clone());
                }
            }
        }
        match inst.stage() {
            Stage::FillingIn => {}
            Stage::Confirming => s.filled_in = true,
            Stage::AwaitingFeedback | Stage::Done => {
                s.filled_in = true;
                s.submitted = true;
            }
        }
        j.save()
    }

    /// Resumes the submission recorded under `key` in `options.journal_dir`, from the copies kept there.
    pub async fn resume(
        &self,
        key: &str,
        attachments: Vec<Attachment>,
        options: &SubmitOptions,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<SubmitOutcome, MvaError> {
        let dir = JournalFile::dir_for(&options.journal_dir, key);
        let read = |n: &str| -> Result<Vec<u8>, MvaError> {
            let p = dir.join(n);
            std::fs::read(&p).map_err(|source| MvaError::Io {
                action: "cannot read",
                path: p,
                source,
            })
        };
        let sub = Submission::with_envelope(
            read("mva-melding.xml")?,
            read("konvolutt.xml")?,
            attachments,
        )?;
        if sub.key() != key {
            return Err(MvaError::Journal {
                path: dir,
                detail: "the kept documents do not match the key".into(),
            });
        }
        self.submit(
            &sub,
            &SubmitOptions {
                force_new: false,
                ..options.clone()
            },
            progress,
        )
        .await
    }
}
