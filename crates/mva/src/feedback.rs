//! Feedback after a submission: wait for it, download the receipt, payment information and validation result,
//! and read the outcome (substatus, amount, KID, due date).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::MvaClient;
use crate::error::MvaError;
use crate::instance::{Instance, Stage};
use crate::payment::{parse_payment, PaymentInfo};
use crate::service_result::{parse_service_result, ServiceResult};
use crate::{InstanceId, OrganisationNumber};

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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FeedbackStatus {
    is_feedback_provided: bool,
}

pub(crate) const STEP_FEEDBACK: &str = "feedback";

impl MvaClient {
    /// Reads an instance.
    pub async fn instance(&self, org: &str, id: &InstanceId) -> Result<Instance, MvaError> {
        let url = self.endpoints().instance_url(id);
        let (_, body) = self
            .app_call(
                "read instance",
                org,
                Method::GET,
                &url,
                None,
                "application/json",
                crate::response::MAX_JSON_BYTES,
            )
            .await?;
        serde_json::from_slice(&body).map_err(|e| MvaError::Protocol {
            step: "read instance",
            detail: e.to_string(),
        })
    }

    /// Whether feedback is ready (`GET {INST}/feedback/status`).
    pub async fn feedback_ready(&self, org: &str, id: &InstanceId) -> Result<bool, MvaError> {
        let url = format!("{}/feedback/status", self.endpoints().instance_url(id));
        let (_, body) = self
            .app_call(
                STEP_FEEDBACK,
                org,
                Method::GET,
                &url,
                None,
                "application/json",
                crate::response::MAX_JSON_BYTES,
            )
            .await?;
        let s: FeedbackStatus = serde_json::from_slice(&body).map_err(|e| MvaError::Protocol {
            step: STEP_FEEDBACK,
            detail: e.to_string(),
        })?;
        Ok(s.is_feedback_provided)
    }

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
            let url = match el.self_links.as_ref().and_then(|l| l.apps.clone()) {
                Some(u) => u,
                None => format!("{}/data/{}", self.endpoints().instance_url(id), el.id),
            };
            let (_, bytes) = self
                .app_call(
                    STEP_FEEDBACK,
                    org,
                    Method::GET,
                    &url,
                    None,
                    accept,
                    crate::response::MAX_DOCUMENT_RESPONSE_BYTES,
                )
                .await?;
            let path = output_dir.join(name);
            crate::journal::write_atomic(&path, &bytes)?;
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
            step: "read instance",
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
