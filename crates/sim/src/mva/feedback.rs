//! The submission (second `process/next`) and the feedback it produces: substatus, validation result, payment
//! information and receipt, visible after `[mva] feedback_delay_secs`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::access::{rfc3339, text, Need};
use super::documents::{due_date, kid, receipt_pdf};
use super::store::{SimData, SimInstance};
use super::MvaServices;

impl MvaServices {
    /// The submission: moves to the feedback task and prepares the feedback documents, visible after the delay.
    pub(crate) fn submit_and_prepare_feedback(&self, inst: &SimInstance) -> SimInstance {
        let now = (self.now)();
        let at = now + self.config.feedback_delay_secs as i64;
        let mut out = inst.clone();
        out.task = 3;
        out.feedback_at = Some(at);
        let ret = inst
            .data
            .iter()
            .find(|d| d.data_type == "mvamelding")
            .map(|d| d.bytes())
            .unwrap_or_default();
        let checked = mva::check(&ret, Some(mva::DocumentKind::Return));
        let facts = checked.facts.unwrap_or_default();
        let deviations: Vec<_> = checked
            .report
            .findings
            .iter()
            .filter(|f| f.severity != mva::Severity::Warning)
            .cloned()
            .collect();
        let validation = mva::service_result::write_v1(&deviations).unwrap_or_default();
        let (label, desc) = if deviations.is_empty() {
            (
                "Godkjent",
                "Mva-meldingen er mottatt og godkjent av Skatteetaten.",
            )
        } else {
            (
                "Ugyldig",
                "Mva-meldingen er mottatt, men har avvik; se valideringsresultatet.",
            )
        };
        out.substatus = Some((label.into(), desc.into()));
        let amount = facts
            .vat_total
            .as_deref()
            .and_then(mva::facts::parse_amount_ore)
            .unwrap_or(0);
        let period = facts.period.clone().unwrap_or(mva::Period {
            length: mva::PeriodLength::Year,
            term: "aarlig".into(),
            year: 2000,
        });
        let guid_num = uuid::Uuid::parse_str(inst.id.rsplit('/').next().unwrap_or(""))
            .map(|u| u.as_u128())
            .unwrap_or(0);
        let payment = mva::PaymentInfo {
            reference: inst.id.clone(),
            organisation: inst.org.clone(),
            kid: facts
                .kid
                .clone()
                .unwrap_or_else(|| kid(&inst.org, guid_num)),
            amount_ore: amount,
            pay_to: "Skatteetaten".into(),
            due_date: due_date(&period),
            account: "12345678903".into(),
        };
        let payment_xml = mva::payment::write_payment(&payment, &period).unwrap_or_default();
        let receipt = receipt_pdf(&[
            "Kvittering for mottatt mva-melding (SIMULATOR - ikke en ekte innsending)".into(),
            format!("Organisasjonsnummer: {}", inst.org),
            format!("Skattleggingsperiode: {period}"),
            format!("Instans: {}", inst.id),
            format!("Mottatt: {}", rfc3339(now)),
            format!("Status: {label}"),
            format!(
                "Belop: {} NOK, KID {}, frist {}",
                payment.amount(),
                payment.kid,
                payment.due_date
            ),
        ]);
        for (dt, name, ct, bytes) in [
            (
                "valideringsresultat",
                "valideringsresultat.xml",
                "text/xml",
                validation,
            ),
            (
                "betalingsinformasjon",
                "betalingsinformasjon.xml",
                "text/xml",
                payment_xml,
            ),
            ("kvittering", "kvittering.pdf", "application/pdf", receipt),
        ] {
            let mut d = SimData {
                id: uuid::Uuid::new_v4().to_string(),
                data_type: dt.into(),
                filename: Some(name.into()),
                content_type: ct.into(),
                content: String::new(),
                created: now,
                visible_from: at,
            };
            d.set_bytes(&bytes);
            out.data.push(d);
        }
        out
    }
}

pub(crate) async fn feedback_status(
    State(s): State<Arc<MvaServices>>,
    headers: HeaderMap,
    Path((party, guid)): Path<(String, String)>,
) -> Response {
    match s.load(&headers, &party, &guid, Need::Any) {
        Ok(inst) => {
            Json(json!({ "isFeedbackProvided": inst.feedback_ready((s.now)()) })).into_response()
        }
        Err(r) => r,
    }
}

/// `GET {INST}/feedback`: blocks until the feedback is ready (at most 60 s), then answers like `GET {INST}`.
pub(crate) async fn feedback(
    State(s): State<Arc<MvaServices>>,
    headers: HeaderMap,
    Path((party, guid)): Path<(String, String)>,
) -> Response {
    for _ in 0..600 {
        let inst = match s.load(&headers, &party, &guid, Need::Any) {
            Ok(i) => i,
            Err(r) => return r,
        };
        if inst.feedback_ready((s.now)()) {
            return Json(s.instance_json(&inst, &headers)).into_response();
        }
        if inst.feedback_at.is_none() {
            return text(
                StatusCode::CONFLICT,
                "the return has not been submitted yet",
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    text(StatusCode::GATEWAY_TIMEOUT, "feedback is not ready yet")
}
