//! The single steps of a submission on the submission app (steps 3-8 of the specification), each one HTTP call
//! with the Altinn token; [`crate::MvaClient::submit`] strings them together.

use reqwest::Method;

use crate::attachment::Attachment;
use crate::client::{Body, MvaClient};
use crate::error::MvaError;
use crate::instance::Instance;
use crate::{InstanceId, OrganisationNumber};

/// Step name: create the instance.
pub const STEP_CREATE: &str = "create instance";
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

/// A data element's body: its content type and an attachment disposition with its file name.
fn data_body(content_type: &str, file_name: &str, bytes: &[u8]) -> Body {
    Body {
        content_type: content_type.into(),
        disposition: Some(disposition(file_name)),
        bytes: bytes.to_vec(),
    }
}

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

pub(crate) fn protocol(step: &'static str, e: impl std::fmt::Display) -> MvaError {
    MvaError::Protocol {
        step,
        detail: e.to_string(),
    }
}

impl MvaClient {
    /// Step 3: creates an instance for `org` (`POST {app}/instances/`).
    pub async fn create_instance(&self, org: &OrganisationNumber) -> Result<Instance, MvaError> {
        let url = format!(
            "{}/instances/",
            self.endpoints().app.as_str().trim_end_matches('/')
        );
        let body = serde_json::json!({ "instanceOwner": { "organisationNumber": org.as_str() } });
        let body = Body {
            content_type: "application/json".into(),
            disposition: None,
            bytes: body.to_string().into_bytes(),
        };
        let (_, resp) = self
            .app_call(
                STEP_CREATE,
                org.as_str(),
                Method::POST,
                &url,
                Some(&body),
                "application/json",
                crate::response::MAX_JSON_BYTES,
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
            crate::response::MAX_JSON_BYTES,
        )
        .await
        .map(|_| ())
    }

    /// Steps 7 and 8: `PUT {INST}/process/next`; `step` is [`STEP_FILL_IN`] or [`STEP_SUBMIT`] (it decides which
    /// roles a 403 names).
    pub async fn process_next(
        &self,
        step: &'static str,
        org: &str,
        id: &InstanceId,
    ) -> Result<(), MvaError> {
        let body = Body {
            content_type: "application/json".into(),
            disposition: None,
            bytes: Vec::new(),
        };
        let url = format!("{}/process/next", self.endpoints().instance_url(id));
        self.app_call(
            step,
            org,
            Method::PUT,
            &url,
            Some(&body),
            "application/json",
            crate::response::MAX_JSON_BYTES,
        )
        .await
        .map(|_| ())
    }
}
