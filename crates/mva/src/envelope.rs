//! Building the envelope (konvolutt, MvaMeldingInnsending) from a return, in the schema's namespace and element
//! order, with a real XML writer; the result is validated against the envelope XSD before it is returned.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::attachment::Attachment;
use crate::error::MvaError;
use crate::finding::{DocumentKind, Severity};
use crate::schema::ENVELOPE_NS;
use crate::validate::{check, consistency};
use crate::xmlw::XmlOut;

/// What the envelope says beyond what the return already says.
#[derive(Debug, Clone)]
pub struct EnvelopeOptions {
    /// Who made the submission (opprettetAv), e.g. the person's name or the software's.
    pub created_by: String,
    /// When (opprettingstidspunkt).
    pub created_at: OffsetDateTime,
}

/// Builds the envelope for `return_xml` listing the return and `attachments` (vedlegg).
///
/// The return must be valid (else [`MvaError::InvalidDocument`]); the envelope built is checked against its schema
/// and against the return (organisation number, period, category).
pub fn build_envelope(
    return_xml: &[u8],
    attachments: &[Attachment],
    options: &EnvelopeOptions,
) -> Result<Vec<u8>, MvaError> {
    let checked = check(return_xml, Some(DocumentKind::Return));
    let errors: Vec<_> = checked.report.errors().cloned().collect();
    let facts = match checked.facts {
        Some(f) if errors.is_empty() => f,
        _ => {
            return Err(MvaError::InvalidDocument {
                what: "return",
                findings: errors,
            })
        }
    };
    let missing = |what: &str| MvaError::InvalidDocument {
        what: "return",
        findings: vec![crate::Finding::new(
            Severity::Error,
            crate::FindingKind::Consistency,
            format!("the return has no {what}"),
        )],
    };
    let org = facts
        .organisation
        .clone()
        .ok_or_else(|| missing("skattepliktig/organisasjonsnummer"))?;
    let period = facts
        .period
        .clone()
        .ok_or_else(|| missing("skattleggingsperiode"))?;
    let category = facts
        .category
        .clone()
        .ok_or_else(|| missing("meldingskategori"))?;
    let when = options
        .created_at
        .replace_nanosecond(0)
        .unwrap_or(options.created_at)
        .format(&Rfc3339)
        .map_err(|e| MvaError::XmlWrite(e.to_string()))?;

    let mut x = XmlOut::new()?;
    x.root("mvaMeldingInnsending", ENVELOPE_NS)?;
    x.start("norskIdentifikator")?
        .leaf("organisasjonsnummer", &org)?
        .end("norskIdentifikator")?;
    x.start("skattleggingsperiode")?.start("periode")?;
    x.leaf(period.length.element(), &period.term)?;
    x.end("periode")?
        .leaf("aar", &period.year.to_string())?
        .end("skattleggingsperiode")?;
    x.leaf("meldingskategori", &category)?;
    x.leaf("innsendingstype", "komplett")?;
    x.leaf("opprettetAv", &options.created_by)?;
    x.leaf("opprettingstidspunkt", &when)?;
    let vedlegg = |x: &mut XmlOut,
                   kind: &str,
                   group: &str,
                   stem: &str,
                   ext: &str,
                   content: &str|
     -> Result<(), MvaError> {
        x.start("vedlegg")?;
        x.leaf("vedleggstype", kind)?.leaf("kildegruppe", group)?;
        x.leaf("opprettetAv", &options.created_by)?
            .leaf("opprettingstidspunkt", &when)?;
        x.start("vedleggsfil")?
            .leaf("filnavn", stem)?
            .leaf("filekstensjon", ext)?
            .leaf("filinnhold", content)?;
        x.end("vedleggsfil")?.end("vedlegg")?;
        Ok(())
    };
    vedlegg(
        &mut x,
        "mva-melding",
        "sluttbrukersystem",
        "mva-melding",
        "xml",
        "mva-melding",
    )?;
    for a in attachments {
        let (stem, ext) = a.stem_and_extension();
        vedlegg(
            &mut x,
            "binaerVedlegg",
            "sluttbruker",
            stem,
            ext,
            &a.file_name,
        )?;
    }
    x.end("mvaMeldingInnsending")?;
    let bytes = x.finish();

    let env = check(&bytes, Some(DocumentKind::Envelope));
    let mut problems: Vec<_> = env.report.errors().cloned().collect();
    if let Some(ef) = &env.facts {
        problems.extend(consistency(&facts, ef));
    }
    if !problems.is_empty() {
        return Err(MvaError::InvalidDocument {
            what: "envelope",
            findings: problems,
        });
    }
    Ok(bytes)
}
