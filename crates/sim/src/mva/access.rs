//! Who may do what on an instance (Altinn token, roles per step), and the instance JSON the app answers with.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::store::SimInstance;
use super::MvaServices;
use crate::person::{is_valid_organisation_number, FILL_IN_ROLES, SUBMIT_ROLES};

pub(crate) const APP_PATH: &str = "/skd/mva-melding-innsending-etm2";
pub(crate) const MAX_ATTACHMENTS: usize = 57;

pub(crate) fn text(status: StatusCode, msg: impl Into<String>) -> Response {
    (
        status,
        [("content-type", "text/plain; charset=utf-8")],
        msg.into(),
    )
        .into_response()
}

pub(crate) fn party_id(org: &str) -> u64 {
    50_000_000 + org.parse::<u64>().unwrap_or(0) % 10_000_000
}

pub(crate) fn rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

pub(crate) enum Need {
    /// Any role for the organisation.
    Any,
    /// A fill-in (or submit) role.
    FillIn,
    /// A submit role.
    Submit,
}

impl MvaServices {
    pub(crate) fn roles(&self, pid: &str, org: &str) -> Vec<String> {
        self.persons
            .iter()
            .filter(|p| p.pid == pid)
            .flat_map(|p| {
                p.organisations
                    .iter()
                    .filter(|o| o.number == org)
                    .flat_map(|o| o.roles.clone())
            })
            .collect()
    }

    pub(crate) fn org_known(&self, org: &str) -> bool {
        is_valid_organisation_number(org)
            && self
                .persons
                .iter()
                .any(|p| p.organisations.iter().any(|o| o.number == org))
    }

    pub(crate) fn authorize(
        &self,
        headers: &HeaderMap,
        org: &str,
        need: Need,
    ) -> Result<String, Response> {
        let pid = self.altinn(headers)?;
        let roles = self.roles(&pid, org);
        let has = |list: &[&str]| roles.iter().any(|r| list.contains(&r.as_str()));
        let ok = match need {
            Need::Any | Need::FillIn => has(&FILL_IN_ROLES) || has(&SUBMIT_ROLES),
            Need::Submit => has(&SUBMIT_ROLES),
        };
        if ok {
            Ok(pid)
        } else {
            Err(text(
                StatusCode::FORBIDDEN,
                format!("The user does not have the required role for organisation {org}"),
            ))
        }
    }

    /// Loads an instance and checks the caller's role for it.
    pub(crate) fn load(
        &self,
        headers: &HeaderMap,
        party: &str,
        guid: &str,
        need: Need,
    ) -> Result<SimInstance, Response> {
        // authenticate first: an unknown instance must not be told apart from a forbidden one without a token
        self.altinn(headers)?;
        let inst = self
            .store
            .get(&format!("{party}/{guid}"))
            .ok_or_else(|| text(StatusCode::NOT_FOUND, "Instance not found"))?;
        self.authorize(headers, &inst.org, need)?;
        Ok(inst)
    }

    pub(crate) fn instance_json(&self, inst: &SimInstance, headers: &HeaderMap) -> Value {
        let now = (self.now)();
        let host = headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        let base = format!("http://{host}{APP_PATH}/instances/{}", inst.id);
        let ready = inst.feedback_ready(now);
        let (party, guid) = inst.id.split_once('/').unwrap_or(("", ""));
        let data: Vec<Value> = inst
            .data
            .iter()
            .filter(|d| now >= d.visible_from)
            .map(|d| {
                json!({
                    "id": d.id, "instanceGuid": guid, "dataType": d.data_type, "filename": d.filename,
                    "contentType": d.content_type, "size": d.bytes().len(),
                    "selfLinks": { "apps": format!("{base}/data/{}", d.id) },
                    "locked": inst.task != 1, "created": rfc3339(d.created),
                })
            })
            .collect();
        let task = match (inst.task, ready) {
            (1, _) => json!({ "elementId": "Task_1", "altId": "data" }),
            (2, _) => json!({ "elementId": "Task_2", "altId": "confirmation" }),
            (_, false) => json!({ "elementId": "Task_3", "altId": "feedback" }),
            (_, true) => Value::Null,
        };
        json!({
            "id": inst.id,
            "instanceOwner": { "partyId": party, "organisationNumber": inst.org },
            "appId": "skd/mva-melding-innsending-etm2",
            "org": "skd",
            "selfLinks": { "apps": base },
            "process": {
                "started": rfc3339(inst.created),
                "currentTask": task,
                "ended": if ready { Value::from(rfc3339(inst.feedback_at.unwrap_or(now))) } else { Value::Null },
            },
            "status": {
                "isArchived": ready,
                "substatus": match (&inst.substatus, ready) {
                    (Some((l, d)), true) => json!({ "label": l, "description": d }),
                    _ => Value::Null,
                },
            },
            "data": data,
            "created": rfc3339(inst.created),
        })
    }
}
