//! The Altinn 3 instance JSON, as far as this crate reads it.

use serde::{Deserialize, Serialize};

/// An instance of the submission app.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instance {
    /// `{partyId}/{instanceGuid}`.
    pub id: String,
    /// The owner (organisation).
    #[serde(default)]
    pub instance_owner: Option<InstanceOwner>,
    /// The process state.
    #[serde(default)]
    pub process: Option<Process>,
    /// Archive state and substatus.
    #[serde(default)]
    pub status: Option<InstanceStatusJson>,
    /// The data elements.
    #[serde(default)]
    pub data: Vec<DataElement>,
}

/// The owner of an instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceOwner {
    /// The party id.
    #[serde(default)]
    pub party_id: Option<String>,
    /// The organisation number.
    #[serde(default)]
    pub organisation_number: Option<String>,
}

/// The process part of an instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Process {
    /// The current task, `None` when the process has ended.
    #[serde(default)]
    pub current_task: Option<CurrentTask>,
    /// When the process ended.
    #[serde(default)]
    pub ended: Option<String>,
}

/// The current task of the process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrentTask {
    /// e.g. "Task_1".
    #[serde(default)]
    pub element_id: Option<String>,
    /// e.g. "data", "confirmation", "feedback".
    #[serde(default)]
    pub alt_id: Option<String>,
}

/// The status part of an instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceStatusJson {
    /// Whether the instance is archived (done).
    #[serde(default)]
    pub is_archived: bool,
    /// Substatus set by the Tax Administration.
    #[serde(default)]
    pub substatus: Option<Substatus>,
}

/// The substatus ("Mottatt", "Godkjent", "Ugyldig").
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Substatus {
    /// Short label.
    #[serde(default)]
    pub label: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
}

/// A data element of an instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataElement {
    /// The element's GUID.
    pub id: String,
    /// e.g. "mvamelding", "binaerVedlegg", "kvittering".
    pub data_type: String,
    /// The file name, if any.
    #[serde(default)]
    pub filename: Option<String>,
    /// Content type.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Size in bytes.
    #[serde(default)]
    pub size: u64,
    /// Links.
    #[serde(default)]
    pub self_links: Option<SelfLinks>,
}

/// Links of an instance or data element.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SelfLinks {
    /// The link through the app.
    #[serde(default)]
    pub apps: Option<String>,
}

/// Data type of the envelope element.
pub const ENVELOPE_DATA_TYPE: &str =
    "no.skatteetaten.fastsetting.avgift.mva.mvameldinginnsending.v1.0";

/// Where a submission stands, read from the instance's process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// Task 1: data can still be uploaded.
    FillingIn,
    /// Task 2: filled in, waiting for the submitting step.
    Confirming,
    /// Submitted; the Tax Administration has not given feedback yet.
    AwaitingFeedback,
    /// Feedback given; the instance is archived.
    Done,
}

impl Instance {
    /// The stage of the process.
    pub fn stage(&self) -> Stage {
        let archived = self.status.as_ref().is_some_and(|s| s.is_archived);
        let task = self
            .process
            .as_ref()
            .and_then(|p| p.current_task.as_ref())
            .and_then(|t| t.element_id.clone());
        let ended = self.process.as_ref().is_some_and(|p| p.ended.is_some());
        match task.as_deref() {
            Some("Task_1") => Stage::FillingIn,
            Some("Task_2") => Stage::Confirming,
            _ if archived || ended => Stage::Done,
            _ => Stage::AwaitingFeedback,
        }
    }
}
