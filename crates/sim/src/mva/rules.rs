//! The checks of the first `process/next` (finishing the filling in): the 409 reasons of the specification.

use std::collections::HashSet;

use mva::{DocumentKind, Severity};

use super::store::SimInstance;

/// Data type of the envelope element.
pub(crate) const ENVELOPE_TYPE: &str =
    "no.skatteetaten.fastsetting.avgift.mva.mvameldinginnsending.v1.0";

/// What is wrong with an instance that is to leave the filling-in task: reasons ("Valideringsfeil: ...") and,
/// when the return is invalid, the validation result XML.
pub(crate) fn fill_in_problems(inst: &SimInstance) -> (Vec<String>, Option<Vec<u8>>) {
    let mut reasons = Vec::new();
    let mut xml = None;
    let envelope = inst
        .data
        .iter()
        .find(|d| d.data_type == ENVELOPE_TYPE)
        .map(|d| d.bytes())
        .unwrap_or_default();
    let ret = inst
        .data
        .iter()
        .find(|d| d.data_type == "mvamelding")
        .map(|d| d.bytes());
    let env_facts = if envelope.is_empty() {
        reasons.push("Valideringsfeil: konvolutten (mvameldinginnsending) mangler".to_string());
        None
    } else {
        let c = mva::check(&envelope, Some(DocumentKind::Envelope));
        let errors: Vec<String> = c.report.errors().map(|f| f.to_string()).collect();
        if !errors.is_empty() {
            reasons.push(format!(
                "Valideringsfeil: konvolutten følger ikke skjemaet: {}",
                errors.join("; ")
            ));
        }
        c.facts
    };
    if let Some(ef) = &env_facts {
        match &ef.organisation {
            Some(o) if o != &inst.org => reasons.push(format!(
                "Valideringsfeil: organisasjonsnummeret i konvolutten ({o}) er ulikt instansens ({})",
                inst.org
            )),
            _ => {}
        }
        if ef.period.is_none() {
            reasons.push("Valideringsfeil: skattleggingsperiode mangler i konvolutten".to_string());
        }
        if ef.category.is_none() {
            reasons.push("Valideringsfeil: meldingskategori mangler i konvolutten".to_string());
        }
    }
    match ret {
        None => reasons.push("Valideringsfeil: mva-meldingen mangler".to_string()),
        Some(ret) => {
            let c = mva::check(&ret, Some(DocumentKind::Return));
            if !c.report.is_valid() {
                reasons.push("Valideringsfeil: Ugyldig mva-melding".to_string());
                let errors: Vec<_> = c
                    .report
                    .findings
                    .iter()
                    .filter(|f| f.severity == Severity::Error)
                    .cloned()
                    .collect();
                xml = mva::service_result::write_v1(&errors).ok();
            }
            if let (Some(rf), Some(ef)) = (&c.facts, &env_facts) {
                if rf.category != ef.category && ef.category.is_some() {
                    reasons.push(format!(
                        "Valideringsfeil: meldingskategori i konvolutten ({}) er ulik mva-meldingens ({})",
                        ef.category.clone().unwrap_or_default(),
                        rf.category.clone().unwrap_or_default()
                    ));
                }
                if rf.period != ef.period && ef.period.is_some() {
                    reasons.push("Valideringsfeil: skattleggingsperioden i konvolutten er ulik mva-meldingens".to_string());
                }
                if rf.organisation.as_deref() != Some(inst.org.as_str()) {
                    reasons.push(format!(
                        "Valideringsfeil: organisasjonsnummeret i mva-meldingen ({}) er ulikt instansens ({})",
                        rf.organisation.clone().unwrap_or_default(),
                        inst.org
                    ));
                }
            }
        }
    }
    let mut seen = HashSet::new();
    for d in inst.data.iter().filter(|d| d.data_type == "binaerVedlegg") {
        if let Some(n) = &d.filename {
            if !seen.insert(n.to_lowercase()) {
                reasons.push(format!(
                    "Valideringsfeil: flere vedlegg har filnavnet {n}; filnavn må være unike"
                ));
            }
        }
    }
    (reasons, xml)
}
