//! The flow's last part: wait for the feedback, download the receipt, payment information and validation result
//! into the output folder, and read the outcome (substatus, amount, KID, due date); and `status`, which does the
//! same for any instance.

use std::path::Path;
use std::time::{Duration, Instant};

use super::client::MvaClient;
use super::journal::write_atomic;
use super::model::{Feedback, InstanceState};
use super::steps::STEP_READ_INSTANCE;
use crate::error::MvaError;
use crate::instance::Stage;
use crate::payment::parse_payment;
use crate::service_result::parse_service_result;
use crate::{InstanceId, OrganisationNumber};

impl MvaClient {
    /// Polls until feedback is ready, calling `waiting` with the time waited so far.
    pub async fn wait_for_feedback(
        &self,
        org: &str,
        id: &InstanceId,
        interval: Duration,
        timeout: Duration,
        waiting: &mut (dyn FnMut(Duration) + Send),
    ) -> Result<(), MvaError> {
        let start = Instant::now();
        loop {
            if self.feedback_ready(org, id).await? {
                return Ok(());
            }
            let waited = start.elapsed();
            if waited >= timeout {
                return Err(MvaError::FeedbackTimeout {
                    instance: id.to_string(),
                    waited_secs: waited.as_secs(),
                });
            }
            waiting(waited);
            tokio::time::sleep(
                interval
                    .min(timeout.saturating_sub(waited))
                    .max(Duration::from_millis(10)),
            )
            .await;
        }
    }

    /// Reads the instance and downloads its receipt, payment information and validation result into `output_dir`.
    pub async fn fetch_feedback(
        &self,
        org: &str,
        id: &InstanceId,
        output_dir: &Path,
    ) -> Result<Feedback, MvaError> {
        let inst = self.instance(org, id).await?;
        std::fs::create_dir_all(output_dir).map_err(|source| MvaError::Io {
            action: "cannot create folder",
            path: output_dir.to_path_buf(),
            source,
        })?;
        let mut fb = Feedback {
            instance: id.clone(),
            substatus: inst
                .status
                .as_ref()
                .and_then(|s| s.substatus.as_ref())
                .map(|s| s.label.clone()),
            substatus_description: inst
                .status
                .as_ref()
                .and_then(|s| s.substatus.as_ref())
                .and_then(|s| s.description.clone()),
            archived: inst.status.as_ref().is_some_and(|s| s.is_archived),
            payment: None,
            validation: None,
            files: Vec::new(),
        };
        for el in &inst.data {
            let (name, accept) = match el.data_type.as_str() {
                "kvittering" => ("kvittering.pdf", "application/pdf"),
                "betalingsinformasjon" => ("betalingsinformasjon.xml", "text/xml"),
                "valideringsresultat" => ("valideringsresultat.xml", "text/xml"),
                _ => continue,
            };
            let bytes = self.download(org, id, el, accept).await?;
            let path = output_dir.join(name);
            write_atomic(&path, &bytes)?;
            fb.files.push(path);
            match el.data_type.as_str() {
                "betalingsinformasjon" => fb.payment = Some(parse_payment(&bytes)?),
                "valideringsresultat" => fb.validation = Some(parse_service_result(&bytes)?),
                _ => {}
            }
        }
        Ok(fb)
    }

    /// Where a submission stands; when feedback is available it is downloaded into
    /// `output_dir/{organisation number}-{instance guid}/` (as [`MvaClient::submit`] does).
    pub async fn status(
        &self,
        id: &InstanceId,
        output_dir: &Path,
    ) -> Result<InstanceState, MvaError> {
        let inst = self.instance("-", id).await?;
        let stage = inst.stage();
        // The owner's number names a folder: it comes from the server, so it is parsed first (9 digits with a valid
        // check digit), never used as it came (`../` would leave `output_dir`).
        let owner = inst
            .instance_owner
            .as_ref()
            .and_then(|o| o.organisation_number.as_deref())
            .unwrap_or_default();
        let org: OrganisationNumber = owner.parse().map_err(|_| MvaError::Protocol {
            step: STEP_READ_INSTANCE,
            detail: format!(
                "the instance's owner organisation number {owner:?} is not a valid organisation number; refused \
                 (it would name the folder the feedback is saved in)"
            ),
        })?;
        let org = org.as_str();
        let dir = output_dir.join(format!("{org}-{}", id.guid()));
        let feedback = match stage {
            Stage::Done | Stage::AwaitingFeedback if self.feedback_ready(org, id).await? => {
                Some(self.fetch_feedback(org, id, &dir).await?)
            }
            _ => None,
        };
        Ok(InstanceState {
            instance: id.clone(),
            stage,
            feedback,
        })
    }
}
