//! `POST /api/validate`: the local checks of the `mva` library (off the async runtime: libxml2 is blocking work),
//! then, unless `offline` or the local checks found errors, the Tax Administration's validation API with the
//! session's access token.

use super::errors::{bad_request, mva_problem, FindingView};
use super::tokens::SessionTokens;
use super::upload::Upload;
use super::{ApiSession, ApiState};
use crate::routes::Problem;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use mva::{DocumentKind, MvaClient, Severity};
use serde::Serialize;
use std::sync::Arc;

/// The answer.
#[derive(Debug, Serialize)]
struct Validation {
    /// Whether nothing of severity error was found (locally and by the service).
    valid: bool,
    /// The organisation number in the return, when it could be read.
    organisation: Option<String>,
    /// The period (`2024-T1` style), when it could be read.
    period: Option<String>,
    /// The VAT to pay (positive) or get back, as in the return.
    vat_total: Option<String>,
    /// `not_asked` (offline or local errors), or the service's verdict (`ingen avvik`, `ugyldig skattemelding`, ...).
    service: String,
    findings: Vec<FindingView>,
}

struct Local {
    findings: Vec<FindingView>,
    organisation: Option<String>,
    period: Option<String>,
    vat_total: Option<String>,
}

/// The local checks: the return (with its envelope and their agreement, when one is given) and the attachments.
fn local_checks(
    return_xml: &[u8],
    envelope_xml: Option<&[u8]>,
    attachments: &[mva::Attachment],
) -> Local {
    let checked = mva::check(return_xml, Some(DocumentKind::Return));
    let mut findings: Vec<FindingView> = match envelope_xml {
        Some(envelope) => {
            let pair = mva::validate_pair(return_xml, envelope);
            let mut all: Vec<FindingView> = pair
                .return_report
                .findings
                .iter()
                .map(|f| FindingView::new("local", f))
                .collect();
            all.extend(
                pair.envelope_report
                    .findings
                    .iter()
                    .map(|f| FindingView::new("envelope", f)),
            );
            all.extend(
                pair.consistency
                    .iter()
                    .map(|f| FindingView::new("consistency", f)),
            );
            all
        }
        None => checked
            .report
            .findings
            .iter()
            .map(|f| FindingView::new("local", f))
            .collect(),
    };
    if let Err(e) = mva::check_attachments(attachments) {
        let f = mva::Finding::new(Severity::Error, mva::FindingKind::Io, e.to_string());
        findings.push(FindingView::new("local", &f));
    }
    let facts = checked.facts.unwrap_or_default();
    Local {
        findings,
        organisation: facts.organisation,
        period: facts.period.map(|p| p.to_string()),
        vat_total: facts.vat_total,
    }
}

pub(super) async fn validate(
    State(state): State<ApiState>,
    ApiSession(session): ApiSession,
    form: Multipart,
) -> Result<Response, Problem> {
    let mut upload = Upload::read(form).await?;
    let return_xml = upload.take_return()?;
    let envelope = upload.envelope_xml.take();
    let attachments = std::mem::take(&mut upload.attachments);
    let (local, return_xml) = tokio::task::spawn_blocking(move || {
        let local = local_checks(&return_xml, envelope.as_deref(), &attachments);
        (local, return_xml)
    })
    .await
    .map_err(|_| bad_request("validation_failed", "the validation stopped unexpectedly"))?;
    let locally_valid = !local.findings.iter().any(|f| f.severity == "error");
    let mut findings = local.findings;
    let mut service = "not_asked".to_owned();
    if locally_valid && !upload.offline {
        let tokens = Arc::new(SessionTokens {
            hook: state.tokens.clone(),
            sessions: state.web.sessions.clone(),
            session: session.reference().clone(),
        });
        let client =
            MvaClient::new(state.config.endpoints.clone(), tokens).map_err(|e| mva_problem(&e))?;
        let result = client
            .validate_remote(&return_xml)
            .await
            .map_err(|e| mva_problem(&e))?;
        service = result.verdict.v1().to_owned();
        findings.extend(
            result
                .findings
                .iter()
                .map(|f| FindingView::new("service", f)),
        );
    }
    let valid = !findings.iter().any(|f| f.severity == "error");
    Ok(Json(Validation {
        valid,
        organisation: local.organisation,
        period: local.period,
        vat_total: local.vat_total,
        service,
        findings,
    })
    .into_response())
}
