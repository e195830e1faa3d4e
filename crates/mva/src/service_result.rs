//! The validation service's answer (valideringsresultat), read from BOTH documented formats into the same typed
//! findings, and written in either format (the simulator uses the writers).
//!
//! (a) legacy: `<valideringsresultat><status>UGYLDIG_SKATTEMELDING</status><valideringsfeil><stiTilFeil>..</stiTilFeil>
//! <valideringsDetaljer><feilmelding/><alvorlighetsgrad/><avvikKode/><informasjon/></valideringsDetaljer>...`
//! (b) v1 (schema in `schemas/`): `<valideringsresultat xmlns="...valideringsresultat:v1"><avvikVedMeldingslevering>
//! ugyldig skattemelding</avvikVedMeldingslevering><avvik><stiTilAvvik/><mvaKode/><xmlLinjenummer/>
//! <xmlPosisjonPaaLinje/><avviksinformasjon><begrunnelse/><avvikstype/><avvikKode/><regelDefinisjon/><detaljer/>...`

use serde::{Deserialize, Serialize};

use crate::error::MvaError;
use crate::finding::{Finding, FindingKind, Severity};
use crate::scan::scan;
use crate::schema::VALIDATION_RESULT_NS;
use crate::xmlw::XmlOut;

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// "ingen avvik" / GYLDIG: no deviations.
    NoDeviations,
    /// "avvikende skattemelding": accepted, but deviates.
    Deviating,
    /// "mangelfull skattemelding": incomplete.
    Incomplete,
    /// "ugyldig skattemelding" / UGYLDIG_SKATTEMELDING: refused.
    Invalid,
}

impl Verdict {
    fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_lowercase().replace('_', " ");
        Some(if s.contains("ugyldig") {
            Verdict::Invalid
        } else if s.contains("mangelfull") {
            Verdict::Incomplete
        } else if s.contains("avvikende") {
            Verdict::Deviating
        } else if s.contains("ingen avvik") || s.starts_with("gyldig") {
            Verdict::NoDeviations
        } else {
            return None;
        })
    }
    /// The v1 spelling ("ugyldig skattemelding").
    pub fn v1(self) -> &'static str {
        match self {
            Verdict::NoDeviations => "ingen avvik",
            Verdict::Deviating => "avvikende skattemelding",
            Verdict::Incomplete => "mangelfull skattemelding",
            Verdict::Invalid => "ugyldig skattemelding",
        }
    }
    /// The legacy spelling ("UGYLDIG_SKATTEMELDING").
    pub fn legacy(self) -> &'static str {
        match self {
            Verdict::NoDeviations => "GYLDIG_SKATTEMELDING",
            Verdict::Deviating => "AVVIKENDE_SKATTEMELDING",
            Verdict::Incomplete => "MANGELFULL_SKATTEMELDING",
            Verdict::Invalid => "UGYLDIG_SKATTEMELDING",
        }
    }
    fn severity(self) -> Severity {
        match self {
            Verdict::NoDeviations => Severity::Warning,
            Verdict::Deviating => Severity::Deviation,
            Verdict::Incomplete | Verdict::Invalid => Severity::Error,
        }
    }
}

/// Which of the two documented formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResultFormat {
    /// (b) the v1 schema.
    V1,
    /// (a) status + valideringsfeil.
    Legacy,
}

/// The service's validation result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceResult {
    /// The verdict.
    pub verdict: Verdict,
    /// The findings, with [`FindingKind::Service`].
    pub findings: Vec<Finding>,
    /// The format it came in.
    pub format: ResultFormat,
}

impl ServiceResult {
    /// Whether the return would be accepted (no deviations, or only deviations).
    pub fn is_accepted(&self) -> bool {
        matches!(self.verdict, Verdict::NoDeviations | Verdict::Deviating)
    }
}

fn bad(detail: impl Into<String>) -> MvaError {
    MvaError::Protocol {
        step: "validation result",
        detail: detail.into(),
    }
}

/// Reads a validation result in either format.
pub fn parse_service_result(xml: &[u8]) -> Result<ServiceResult, MvaError> {
    let s = scan(xml).map_err(|f| bad(f.message))?;
    if s.root_name != "valideringsresultat" {
        return Err(bad(format!(
            "expected <valideringsresultat>, got <{}>",
            s.root_name
        )));
    }
    let child = |parent: usize, name: &str| -> Option<String> {
        s.elements
            .iter()
            .find(|e| e.parent == Some(parent) && e.name == name)
            .map(|e| e.text.trim().to_string())
    };
    let children = |parent: usize, name: &'static str| {
        s.elements
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.parent == Some(parent) && e.name == name)
            .map(|(i, _)| i)
    };
    if let Some(v) = child(0, "avvikVedMeldingslevering") {
        if !s.root_ns.is_empty() && s.root_ns != VALIDATION_RESULT_NS {
            return Err(bad(format!("unknown namespace {}", s.root_ns)));
        }
        let verdict = Verdict::parse(&v)
            .ok_or_else(|| bad(format!("unknown avvikVedMeldingslevering \"{v}\"")))?;
        let mut findings = Vec::new();
        for a in children(0, "avvik") {
            for info in children(a, "avviksinformasjon") {
                let sev = child(info, "avvikstype")
                    .and_then(|t| Verdict::parse(&t))
                    .unwrap_or(verdict)
                    .severity();
                let mut msg = child(info, "begrunnelse").unwrap_or_default();
                if let Some(d) = child(info, "detaljer").filter(|d| !d.is_empty()) {
                    msg = format!("{msg} ({d})");
                }
                let mut f = Finding::new(sev, FindingKind::Service, msg);
                f.path = child(a, "stiTilAvvik");
                f.mva_code = child(a, "mvaKode").filter(|k| !k.is_empty());
                f.line = child(a, "xmlLinjenummer").and_then(|l| l.parse().ok());
                f.column = child(a, "xmlPosisjonPaaLinje").and_then(|l| l.parse().ok());
                f.code = child(info, "avvikKode");
                findings.push(f);
            }
        }
        return Ok(ServiceResult {
            verdict,
            findings,
            format: ResultFormat::V1,
        });
    }
    if let Some(st) = child(0, "status") {
        let verdict = Verdict::parse(&st).ok_or_else(|| bad(format!("unknown status \"{st}\"")))?;
        let mut findings = Vec::new();
        for fe in children(0, "valideringsfeil") {
            let path = child(fe, "stiTilFeil");
            let mut any = false;
            for d in children(fe, "valideringsDetaljer") {
                any = true;
                let sev = child(d, "alvorlighetsgrad")
                    .and_then(|t| Verdict::parse(&t))
                    .unwrap_or(verdict)
                    .severity();
                let mut msg = child(d, "feilmelding").unwrap_or_default();
                if let Some(i) = child(d, "informasjon").filter(|i| !i.is_empty()) {
                    msg = format!("{msg} ({i})");
                }
                let mut f = Finding::new(sev, FindingKind::Service, msg);
                f.path = path.clone();
                f.code = child(d, "avvikKode");
                findings.push(f);
            }
            if !any {
                let text = s.elements[fe].text.trim().to_string();
                let mut f = Finding::new(verdict.severity(), FindingKind::Service, text);
                f.path = path;
                findings.push(f);
            }
        }
        return Ok(ServiceResult {
            verdict,
            findings,
            format: ResultFormat::Legacy,
        });
    }
    Err(bad(
        "neither avvikVedMeldingslevering (v1) nor status (legacy) found",
    ))
}

fn verdict_of(findings: &[Finding]) -> Verdict {
    if findings.iter().any(|f| f.severity == Severity::Error) {
        Verdict::Invalid
    } else if findings.iter().any(|f| f.severity == Severity::Deviation) {
        Verdict::Deviating
    } else {
        Verdict::NoDeviations
    }
}

fn severity_verdict(s: Severity) -> Verdict {
    match s {
        Severity::Error => Verdict::Invalid,
        Severity::Deviation => Verdict::Deviating,
        Severity::Warning => Verdict::NoDeviations,
    }
}

/// Writes findings as a v1 validation result (valid against its schema). Warnings are left out.
pub fn write_v1(findings: &[Finding]) -> Result<Vec<u8>, MvaError> {
    let findings: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity != Severity::Warning)
        .collect();
    let mut x = XmlOut::new()?;
    x.root("valideringsresultat", VALIDATION_RESULT_NS)?;
    let owned: Vec<Finding> = findings.iter().map(|f| (*f).clone()).collect();
    x.leaf("avvikVedMeldingslevering", verdict_of(&owned).v1())?;
    for f in findings {
        x.start("avvik")?;
        x.leaf("stiTilAvvik", f.path.as_deref().unwrap_or("/"))?;
        x.opt_leaf("mvaKode", f.mva_code.as_deref())?;
        x.opt_leaf("xmlLinjenummer", f.line.map(|l| l.to_string()).as_deref())?;
        x.opt_leaf(
            "xmlPosisjonPaaLinje",
            f.column.map(|l| l.to_string()).as_deref(),
        )?;
        x.start("avviksinformasjon")?;
        x.leaf("begrunnelse", &f.message)?;
        x.leaf("avvikstype", severity_verdict(f.severity).v1())?;
        x.leaf("avvikKode", f.code.as_deref().unwrap_or(kind_code(f.kind)))?;
        x.leaf("regelDefinisjon", kind_code(f.kind))?;
        x.end("avviksinformasjon")?;
        x.end("avvik")?;
    }
    x.end("valideringsresultat")?;
    Ok(x.finish())
}

/// Writes findings in the legacy format (status + valideringsfeil). Warnings are left out.
pub fn write_legacy(findings: &[Finding]) -> Result<Vec<u8>, MvaError> {
    let findings: Vec<Finding> = findings
        .iter()
        .filter(|f| f.severity != Severity::Warning)
        .cloned()
        .collect();
    let mut x = XmlOut::new()?;
    x.start("valideringsresultat")?;
    x.leaf("status", verdict_of(&findings).legacy())?;
    for f in &findings {
        x.start("valideringsfeil")?;
        x.leaf("stiTilFeil", f.path.as_deref().unwrap_or("/"))?;
        x.start("valideringsDetaljer")?;
        x.leaf("feilmelding", &f.message)?;
        x.leaf("alvorlighetsgrad", severity_verdict(f.severity).legacy())?;
        x.leaf("avvikKode", f.code.as_deref().unwrap_or(kind_code(f.kind)))?;
        x.end("valideringsDetaljer")?;
        x.end("valideringsfeil")?;
    }
    x.end("valideringsresultat")?;
    Ok(x.finish())
}

fn kind_code(k: FindingKind) -> &'static str {
    match k {
        FindingKind::Schema
        | FindingKind::NotWellFormed
        | FindingKind::UnknownDocument
        | FindingKind::DoctypeForbidden => "MvaMeldingsinnhold_Xml_SkjemaValideringsfeil",
        FindingKind::TooLarge | FindingKind::Binary | FindingKind::Encoding | FindingKind::Io => {
            "MvaMelding_Uleselig"
        }
        FindingKind::Consistency => "MvaMeldingsinnhold_Konsistens",
        FindingKind::Service | FindingKind::ValidatorMissing => "MvaMelding_Tjeneste",
    }
}
