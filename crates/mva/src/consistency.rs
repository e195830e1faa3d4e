//! A return together with its envelope: both valid, and agreeing on organisation number, period and category.

use crate::facts::Facts;
use crate::finding::{DocumentKind, Finding, FindingKind, Report, Severity};
use crate::validate::check;

/// The result of validating a return together with its envelope.
#[derive(Debug, Clone)]
pub struct PairReport {
    /// The return's own findings.
    pub return_report: Report,
    /// The envelope's own findings.
    pub envelope_report: Report,
    /// Disagreements between the two (organisation number, period, category).
    pub consistency: Vec<Finding>,
}

impl PairReport {
    /// Whether both documents are valid and agree.
    pub fn is_valid(&self) -> bool {
        self.return_report.is_valid()
            && self.envelope_report.is_valid()
            && !self
                .consistency
                .iter()
                .any(|f| f.severity == Severity::Error)
    }
}

/// Validates a return and its envelope, and checks that they agree on organisation number, period and category.
pub fn validate_pair(return_xml: &[u8], envelope_xml: &[u8]) -> PairReport {
    let r = check(return_xml, Some(DocumentKind::Return));
    let e = check(envelope_xml, Some(DocumentKind::Envelope));
    let consistency = match (&r.facts, &e.facts) {
        (Some(rf), Some(ef)) => consistency(rf, ef),
        _ => Vec::new(),
    };
    PairReport {
        return_report: r.report,
        envelope_report: e.report,
        consistency,
    }
}

/// The disagreements between a return's and an envelope's facts.
pub fn consistency(ret: &Facts, env: &Facts) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut differ = |what: &str, path: &str, r: String, e: String| {
        out.push(
            Finding::new(
                Severity::Error,
                FindingKind::Consistency,
                format!("the envelope's {what} ({e}) differs from the return's ({r})"),
            )
            .at(path),
        );
    };
    if ret.organisation != env.organisation {
        differ(
            "organisation number",
            "/mvaMeldingInnsending/norskIdentifikator/organisasjonsnummer",
            ret.organisation.clone().unwrap_or_else(|| "none".into()),
            env.organisation.clone().unwrap_or_else(|| "none".into()),
        );
    }
    if ret.period != env.period {
        let show = |p: &Option<crate::types::Period>| {
            p.as_ref()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "missing".into())
        };
        differ(
            "period",
            "/mvaMeldingInnsending/skattleggingsperiode",
            show(&ret.period),
            show(&env.period),
        );
    }
    if ret.category != env.category {
        differ(
            "category",
            "/mvaMeldingInnsending/meldingskategori",
            ret.category.clone().unwrap_or_else(|| "none".into()),
            env.category.clone().unwrap_or_else(|| "none".into()),
        );
    }
    out
}
