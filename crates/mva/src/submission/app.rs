//! The calls on the submission app (steps 3-8 of the specification and the feedback's reads), each one HTTP request
//! with the Altinn token through `MvaClient::app_call`. No journal, no files: the flow strings them together.

use reqwest::Method;
use serde::Deserialize;

use super::client::{Body, MvaClient};
use super::steps::{
    disposition, protocol, STEP_ATTACHMENT, STEP_CREATE, STEP_ENVELOPE, STEP_FEEDBACK,
    STEP_READ_INSTANCE, STEP_RETURN,
};
use crate::attachment::Attachment;
use crate::error::MvaError;
use crate::instance::{DataElement, Instance};
use crate::response::{MAX_DOCUMENT_RESPONSE_BYTES, MAX_JSON_BYTES};
use crate::{InstanceId, OrganisationNumber};

/// A data element's body: its content type and an attachment disposition with its file name.
fn data_body(content_type: &str, file_name: &str, bytes: &[u8]) -> Body {
    Body {
        content_type: content_type.into(),
        disposition: Some(disposition(file_name)),
        bytes: bytes.to_vec(),
    }
}

fn json_body(bytes: Vec<u8>) -> Body {
    Body {
        content_type: "application/json".into(),
        disposition: None,
        bytes,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FeedbackStatus {
    is_feedback_provided: bool,
}

impl MvaClient {
    /// Step 3: creates an instance for `org` (`POST {app}/instances/`).
    pub async fn create_instance(&self, org: &OrganisationNumber) -> Result<Instance, MvaError> {
        let url = format!(
            "{}/instances/",
            self.endpoints().app.as_str().trim_end_matches('/')
        );
        let body = serde_json::json!({ "instanceOwner": { "organisationNumber": org.as_str() } });
        let body = json_body(body.to_string().into_bytes());
        let resp = self
            .app_call(
                STEP_CREATE,
                org.as_str(),
                Method::POST,
                &url,
                Some(&body),
                "application/json",
                MAX_JSON_BYTES,
            )
            .await?;
        serde_json::from_slice(&resp).map_err(|e| protocol(STEP_CREATE, e))
    }

    /// Step 4: uploads the envelope into the instance's envelope data element.
    pub async fn upload_envelope(
        &self,
        org: &str,
        id: &InstanceId,
        element: &str,
        envelope_xml: &[u8],
    ) -> Result<(), MvaError> {
        let url = format!("{}/data/{element}", self.endpoints().instance_url(id));
        let body = data_body("application/xml", "konvolutt.xml", envelope_xml);
        self.upload(STEP_ENVELOPE, org, Method::PUT, &url, body)
            .await
    }

    /// Step 5: uploads the return.
    pub async fn upload_return(
        &self,
        org: &str,
        id: &InstanceId,
        return_xml: &[u8],
    ) -> Result<(), MvaError> {
        let url = format!(
            "{}/data?dataType=mvamelding",
            self.endpoints().instance_url(id)
        );
        let body = data_body("text/xml", "mva-melding.xml", return_xml);
        self.upload(STEP_RETURN, org, Method::POST, &url, body)
            .await
    }

    /// Step 6: uploads one attachment.
    pub async fn upload_attachment(
        &self,
        org: &str,
        id: &InstanceId,
        a: &Attachment,
    ) -> Result<(), MvaError> {
        let url = format!(
            "{}/data?dataType=binaerVedlegg",
            self.endpoints().instance_url(id)
        );
        let body = data_body(&a.content_type, &a.file_name, &a.bytes);
        self.upload(STEP_ATTACHMENT, org, Method::POST, &url, body)
            .await
    }

    /// Sends one data element (steps 4 to 6).
    async fn upload(
        &self,
        step: &'static str,
        org: &str,
        method: Method,
        url: &str,
        body: Body,
    ) -> Result<(), MvaError> {
        self.app_call(
            step,
            org,
            method,
            url,
            Some(&body),
            "application/json",
            MAX_JSON_BYTES,
        )
        .await
        .map(|_| ())
    }

    /// Steps 7 and 8: `PUT {INST}/process/next`; `step` is [`super::steps::STEP_FILL_IN`] or
    /// [`super::steps::STEP_SUBMIT`] (it decides which roles a 403 names).
    pub async fn process_next(
        &self,
        step: &'static str,
        org: &str,
        id: &InstanceId,
    ) -> Result<(), MvaError> {
        let body = json_body(Vec::new());
        let url = format!("{}/process/next", self.endpoints().instance_url(id));
        self.app_call(
            step,
            org,
            Method::PUT,
            &url,
            Some(&body),
            "application/json",
            MAX_JSON_BYTES,
        )
        .await
        .map(|_| ())
    }

    /// Reads an instance.
    pub async fn instance(&self, org: &str, id: &InstanceId) -> Result<Instance, MvaError> {
        let url = self.endpoints().instance_url(id);
        let body = self
            .app_call(
                STEP_READ_INSTANCE,
                org,
                Method::GET,
                &url,
                None,
                "application/json",
                MAX_JSON_BYTES,
            )
            .await?;
        serde_json::from_slice(&body).map_err(|e| protocol(STEP_READ_INSTANCE, e))
    }

    /// Whether feedback is ready (`GET {INST}/feedback/status`).
    pub async fn feedback_ready(&self, org: &str, id: &InstanceId) -> Result<bool, MvaError> {
        let url = format!("{}/feedback/status", self.endpoints().instance_url(id));
        let body = self
            .app_call(
                STEP_FEEDBACK,
                org,
                Method::GET,
                &url,
                None,
                "application/json",
                MAX_JSON_BYTES,
            )
            .await?;
        let s: FeedbackStatus =
            serde_json::from_slice(&body).map_err(|e| protocol(STEP_FEEDBACK, e))?;
        Ok(s.is_feedback_provided)
    }

    /// Downloads a data element of instance `id` (through its own link, which must stay on the app's origin).
    pub async fn download(
        &self,
        org: &str,
        id: &InstanceId,
        element: &DataElement,
        accept: &str,
    ) -> Result<Vec<u8>, MvaError> {
        let url = match element.self_links.as_ref().and_then(|l| l.apps.clone()) {
            Some(u) => u,
            None => format!("{}/data/{}", self.endpoints().instance_url(id), element.id),
        };
        self.app_call(
            STEP_FEEDBACK,
            org,
            Method::GET,
            &url,
            None,
            accept,
            MAX_DOCUMENT_RESPONSE_BYTES,
        )
        .await
    }
}
