//! Local validation with no network: size and binary checks, a safe well-formedness scan, the official XSD of the
//! document's type (detected by root element and namespace), and rules beyond the schema.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::capture::Captured;
pub use crate::consistency::{consistency, validate_pair, PairReport};
use crate::facts::{envelope_facts, return_facts, Facts, Lookup};
use crate::finding::{DocumentKind, Finding, FindingKind, Report, Severity};
use crate::scan::{scan_limited, Scanned};
use crate::schema::{self, SchemaKind};
use crate::types::OrganisationNumber;

/// The largest document validated or sent: 25 MB (the submission app's limit per data element). Larger input is
/// refused with a [`FindingKind::TooLarge`] finding before it is parsed.
pub const MAX_DOCUMENT_BYTES: usize = 25 * 1024 * 1024;

/// The most elements a validated document may have (a VAT return has a few hundred). Bounds the index of elements
/// the safe scan keeps: larger input is refused with a [`FindingKind::NotWellFormed`] finding.
pub const MAX_ELEMENTS: usize = 200_000;

/// The limits on a validated document. [`Limits::default`] holds the product's ([`MAX_DOCUMENT_BYTES`],
/// [`MAX_ELEMENTS`]); raise them only knowingly, e.g. to measure how validation cost grows beyond them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest document, in bytes.
    pub max_bytes: usize,
    /// The most elements.
    pub max_elements: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: MAX_DOCUMENT_BYTES,
            max_elements: MAX_ELEMENTS,
        }
    }
}

/// A validated document: its report and, when it could be read, its facts.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The findings.
    pub report: Report,
    /// Organisation number, period, category (and amounts for a return), when the document could be read.
    pub facts: Option<Facts>,
}

/// Validates one document (a return or an envelope: told apart by root element and namespace).
///
/// ```
/// let report = mva::validate(b"<mvaMeldingDto xmlns=\"urn:wrong\"/>");
/// assert!(!report.is_valid());
/// assert!(report.findings[0].message.contains("namespace"));
/// ```
pub fn validate(bytes: &[u8]) -> Report {
    check(bytes, None).report
}

/// Validates one document (as [`validate`]) within explicit [`Limits`].
pub fn validate_with(bytes: &[u8], limits: Limits) -> Report {
    check_with(bytes, None, limits).report
}

/// Validates a document that must be of `kind`.
pub fn check(bytes: &[u8], expected: Option<DocumentKind>) -> Checked {
    check_with(bytes, expected, Limits::default())
}

/// Validates a document that must be of `kind`, within explicit [`Limits`].
pub fn check_with(bytes: &[u8], expected: Option<DocumentKind>, limits: Limits) -> Checked {
    let fail = |f: Finding| Checked {
        report: Report::single(f),
        facts: None,
    };
    if bytes.len() > limits.max_bytes {
        return fail(Finding::new(
            Severity::Error,
            FindingKind::TooLarge,
            format!(
                "the file is {} bytes; the limit is {} bytes{}. A VAT return is a few kilobytes: check that this is the right file",
                bytes.len(),
                limits.max_bytes,
                if limits.max_bytes == MAX_DOCUMENT_BYTES { " (25 MB)" } else { "" }
            ),
        ));
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return fail(Finding::new(
            Severity::Error,
            FindingKind::NotWellFormed,
            "the file is empty",
        ));
    }
    if let Err(e) = schema::ensure_validator() {
        return fail(Finding::new(
            Severity::Error,
            FindingKind::ValidatorMissing,
            e.to_string(),
        ));
    }
    if let Some(checked) = read_once(bytes, expected, limits) {
        return checked;
    }
    let scanned = match scan_limited(bytes, limits.max_elements) {
        Ok(s) => s,
        Err(f) => return fail(f),
    };
    let kind = match (scanned.root_name, expected) {
        ("mvaMeldingDto", None | Some(DocumentKind::Return)) => DocumentKind::Return,
        ("mvaMeldingInnsending", None | Some(DocumentKind::Envelope)) => DocumentKind::Envelope,
        (other, exp) => {
            let wanted = match exp {
                Some(DocumentKind::Return) => "a VAT return (root element mvaMeldingDto)",
                Some(DocumentKind::Envelope) => "an envelope (root element mvaMeldingInnsending)",
                None => "a VAT return (mvaMeldingDto) or an envelope (mvaMeldingInnsending)",
            };
            return fail(
                Finding::new(
                    Severity::Error,
                    FindingKind::UnknownDocument,
                    format!("the root element is <{other}>; expected {wanted}"),
                )
                .at(format!("/{other}")),
            );
        }
    };
    let schema_kind = match kind {
        DocumentKind::Return => SchemaKind::Return,
        DocumentKind::Envelope => SchemaKind::Envelope,
    };
    let mut findings = Vec::new();
    let mut patched: Option<Vec<u8>> = None;
    if scanned.root_ns != schema_kind.namespace() {
        let root_path = format!("/{}", scanned.root_name);
        let mut f = Finding::new(
            Severity::Error,
            FindingKind::UnknownDocument,
            if scanned.root_ns.is_empty() {
                format!(
                    "the root element <{}> has no namespace; it must be xmlns=\"{}\" (the findings below were checked as if it were there)",
                    scanned.root_name,
                    schema_kind.namespace()
                )
            } else {
                format!(
                    "wrong namespace \"{}\" on <{}>; this version supports \"{}\"",
                    scanned.root_ns,
                    scanned.root_name,
                    schema_kind.namespace()
                )
            },
        )
        .at(root_path);
        f.line = (!scanned.elements.is_empty()).then(|| scanned.line(0));
        findings.push(f);
        if !scanned.root_ns.is_empty() {
            return Checked {
                report: Report {
                    document: Some(kind),
                    findings,
                },
                facts: None,
            };
        }
        patched = Some(add_namespace(
            bytes,
            scanned.root_name,
            schema_kind.namespace(),
        ));
    }
    let to_validate = patched.as_deref().unwrap_or(bytes);
    match schema::validate(schema_kind, to_validate) {
        Err(parse_errors) => {
            for e in parse_errors {
                let mut f = Finding::new(
                    Severity::Error,
                    FindingKind::NotWellFormed,
                    format!("not well-formed XML: {}", e.message),
                );
                f.line = e.line;
                f.column = e.column;
                findings.push(f);
            }
            return Checked {
                report: Report {
                    document: Some(kind),
                    findings,
                },
                facts: None,
            };
        }
        Ok(schema_errors) => {
            for e in schema_errors {
                findings.push(schema_finding(&scanned, &e));
            }
        }
    }
    let facts = match kind {
        DocumentKind::Return => return_facts(&scanned),
        DocumentKind::Envelope => envelope_facts(&scanned),
    };
    findings.extend(rules(kind, &scanned, &facts));
    Checked {
        report: Report {
            document: Some(kind),
            findings,
        },
        facts: Some(facts),
    }
}

/// The kind a root element names, if it is the one expected.
fn kind_of(root: &str, expected: Option<DocumentKind>) -> Option<DocumentKind> {
    match (root, expected) {
        ("mvaMeldingDto", None | Some(DocumentKind::Return)) => Some(DocumentKind::Return),
        ("mvaMeldingInnsending", None | Some(DocumentKind::Envelope)) => {
            Some(DocumentKind::Envelope)
        }
        _ => None,
    }
}

/// The common case, read once: the input is UTF-8, the prolog is clean (no DOCTYPE, a UTF-8 declaration if any),
/// and the root is the expected element in its namespace. libxml2 then streams the document (checking it is
/// well-formed and valid) while [`Captured`] gathers the facts and enforces the scan's limits. Only when libxml2
/// reports anything is the safe scan's index built: for a schema error (to give it a path, line and VAT code),
/// or, for anything else (not well-formed, a limit reached, a namespace problem), `None` sends the document down
/// the full path in [`check_with`], which reports it as before.
fn read_once(bytes: &[u8], expected: Option<DocumentKind>, limits: Limits) -> Option<Checked> {
    let root = crate::scan::prolog(bytes).ok()?;
    let kind = kind_of(root.root_name, expected)?;
    let schema_kind = match kind {
        DocumentKind::Return => SchemaKind::Return,
        DocumentKind::Envelope => SchemaKind::Envelope,
    };
    if root.root_ns != schema_kind.namespace() {
        return None;
    }
    let mut captured = Captured::new(limits.max_elements);
    let streamed = schema::stream_validate(schema_kind, bytes, Some(&mut captured));
    if streamed.well_formed != Some(true) || !streamed.parse_errors.is_empty() || captured.stopped {
        return None;
    }
    let mut findings = Vec::new();
    if !streamed.schema_errors.is_empty() {
        let scanned = match scan_limited(bytes, limits.max_elements) {
            Ok(s) => s,
            Err(f) => {
                return Some(Checked {
                    report: Report::single(f),
                    facts: None,
                })
            }
        };
        findings.extend(
            streamed
                .schema_errors
                .iter()
                .map(|e| schema_finding(&scanned, e)),
        );
    }
    let facts = match kind {
        DocumentKind::Return => return_facts(&captured),
        DocumentKind::Envelope => envelope_facts(&captured),
    };
    findings.extend(rules(kind, &captured, &facts));
    Some(Checked {
        report: Report {
            document: Some(kind),
            findings,
        },
        facts: Some(facts),
    })
}

fn add_namespace(bytes: &[u8], root: &str, ns: &str) -> Vec<u8> {
    let needle = format!("<{root}");
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .map(|p| p + needle.len());
    match at {
        Some(at) => {
            let mut out = Vec::with_capacity(bytes.len() + ns.len() + 10);
            out.extend_from_slice(&bytes[..at]);
            out.extend_from_slice(format!(" xmlns=\"{ns}\"").as_bytes());
            out.extend_from_slice(&bytes[at..]);
            out
        }
        None => bytes.to_vec(),
    }
}

/// Turns a libxml2 schema message into a finding with a path and VAT code.
fn schema_finding(scanned: &Scanned, e: &schema::RawError) -> Finding {
    // "Element '{ns}name': ..." or "Element 'name': ..."
    let name = e.message.strip_prefix("Element '").and_then(|rest| {
        let q = rest.split('\'').next()?;
        Some(q.rsplit('}').next().unwrap_or(q).to_string())
    });
    let mut message = e.message.clone();
    for ns in [crate::schema::RETURN_NS, crate::schema::ENVELOPE_NS] {
        message = message.replace(&format!("{{{ns}}}"), "");
    }
    let mut f = Finding::new(
        Severity::Error,
        FindingKind::Schema,
        message.trim_end_matches('.').to_string(),
    );
    f.line = e.line;
    f.column = e.column;
    // libxml2 streams: its line is where it had read to. The element it means gives the start tag's line and
    // column, the path and the VAT code (the index is walked only here, when there is a finding).
    if let Some(i) = scanned.best_element(e.line, name.as_deref()) {
        f.line = Some(scanned.line(i));
        f.column = Some(scanned.column(i));
        f.path = Some(scanned.path(i));
        f.mva_code = scanned.mva_code_of(i);
    }
    f
}

/// Rules beyond the schema that can be checked locally.
fn rules(kind: DocumentKind, doc: &impl Lookup, facts: &Facts) -> Vec<Finding> {
    let mut out = Vec::new();
    let org_path = match kind {
        DocumentKind::Return => "/mvaMeldingDto/skattepliktig/organisasjonsnummer",
        DocumentKind::Envelope => "/mvaMeldingInnsending/norskIdentifikator/organisasjonsnummer",
    };
    if let Some(org) = &facts.organisation {
        if !OrganisationNumber::is_valid(org)
            && org.len() == 9
            && org.chars().all(|c| c.is_ascii_digit())
        {
            let mut f = Finding::new(
                Severity::Warning,
                FindingKind::Consistency,
                format!("organisation number {org} has an invalid check digit (mod 11); the real service will refuse it"),
            )
            .at(org_path);
            f.line = doc.line_of(org_path);
            out.push(f);
        }
    }
    if kind == DocumentKind::Return {
        if let (Some(total), Some(lines)) = (facts.vat_total.as_deref(), facts.lines_total_ore) {
            let has_lines = doc.has_element("mvaSpesifikasjonslinje");
            if let Some(total_ore) = crate::facts::parse_amount_ore(total) {
                if has_lines && total_ore != lines {
                    let path =
                        "/mvaMeldingDto/skattegrunnlagOgBeregnetSkatt/fastsattMerverdiavgift";
                    let mut f = Finding::new(
                        Severity::Deviation,
                        FindingKind::Consistency,
                        format!(
                            "fastsattMerverdiavgift is {total} but the specification lines sum to {}",
                            crate::facts::format_ore(lines)
                        ),
                    )
                    .at(path);
                    f.line = doc.line_of(path);
                    f.code =
                        Some("MVA_MELDINGSINNHOLD_SUM_MVA_FEIL_SUMMERING_AV_AVGIFTLINJER".into());
                    out.push(f);
                }
            }
        }
    }
    out
}

/// Reads and validates one file. A file that cannot be read gives a [`FindingKind::Io`] finding.
pub fn validate_file(path: &Path) -> Report {
    match read_limited(path) {
        Ok(bytes) => validate(&bytes),
        Err(f) => Report::single(f),
    }
}

/// Reads a file, refusing more than [`MAX_DOCUMENT_BYTES`] without reading it all.
pub(crate) fn read_limited(path: &Path) -> Result<Vec<u8>, Finding> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| {
        Finding::new(
            Severity::Error,
            FindingKind::Io,
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_DOCUMENT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            Finding::new(
                Severity::Error,
                FindingKind::Io,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
    Ok(bytes)
}

/// Validates many files on `threads` threads (0 = one per core). Each thread compiles the schemas once and reuses
/// them. The reports come back in the order of `paths`.
pub fn validate_files(paths: &[PathBuf], threads: usize) -> Vec<(PathBuf, Report)> {
    let threads = match threads {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        n => n,
    }
    .min(paths.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Report>>> = Mutex::new(vec![None; paths.len()]);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= paths.len() {
                    break;
                }
                let report = validate_file(&paths[i]);
                results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(report);
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    paths
        .iter()
        .cloned()
        .zip(results)
        .map(|(p, r)| {
            let r = r.unwrap_or_else(|| {
                Report::single(Finding::new(
                    Severity::Error,
                    FindingKind::Io,
                    "the validation thread failed",
                ))
            });
            (p, r)
        })
        .collect()
}
