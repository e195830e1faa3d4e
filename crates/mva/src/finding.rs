//! Findings: what a validation found, where, how serious, in words a user understands.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    /// Worth knowing; does not stop a submission.
    Warning,
    /// The Tax Administration would accept the return but flag it ("avvikende skattemelding").
    Deviation,
    /// The document is invalid and will be refused.
    Error,
}

/// What kind of check produced a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FindingKind {
    /// The file could not be read.
    Io,
    /// The input is larger than [`crate::MAX_DOCUMENT_BYTES`].
    TooLarge,
    /// The input is not UTF-8 (another declared encoding, UTF-16, or invalid bytes); VAT documents are UTF-8.
    Encoding,
    /// The input is binary, not text.
    Binary,
    /// The input is not well-formed XML (or is truncated).
    NotWellFormed,
    /// The input has a DOCTYPE (DTDs and entities are refused: XML bombs, XXE).
    DoctypeForbidden,
    /// The root element or its namespace is not a VAT return or envelope.
    UnknownDocument,
    /// The document breaks its XML schema (XSD).
    Schema,
    /// The return and the envelope disagree, or a rule beyond the schema is broken.
    Consistency,
    /// A finding reported by the Tax Administration's validation service.
    Service,
    /// The document could not be checked on this machine: libxml2 (the XSD validator) is not installed. Nothing was
    /// checked; the message says what to install.
    ValidatorMissing,
}

/// One finding of a validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// How serious it is.
    pub severity: Severity,
    /// Which check found it.
    pub kind: FindingKind,
    /// Path in the document, e.g. `/mvaMeldingDto/skattegrunnlagOgBeregnetSkatt/fastsattMerverdiavgift`.
    pub path: Option<String>,
    /// Line (1-based) where known.
    pub line: Option<u32>,
    /// Column (1-based) where known.
    pub column: Option<u32>,
    /// The VAT code (mvaKode) of the specification line the finding is in, where known.
    pub mva_code: Option<String>,
    /// The rule or error code, where the source gives one (e.g. the service's avvikKode).
    pub code: Option<String>,
    /// What is wrong, for a person.
    pub message: String,
}

impl Finding {
    /// A finding with only severity, kind and message.
    pub fn new(severity: Severity, kind: FindingKind, message: impl Into<String>) -> Self {
        Self {
            severity,
            kind,
            path: None,
            line: None,
            column: None,
            mva_code: None,
            code: None,
            message: message.into(),
        }
    }

    /// The same finding at a path.
    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }
}

impl Finding {
    /// This finding as one line that names the file it is in (see [`FindingInFile`]).
    pub fn in_file<'a>(&'a self, file: &'a Path) -> FindingInFile<'a> {
        FindingInFile {
            file,
            finding: self,
        }
    }
}

impl Severity {
    /// `error`, `deviation` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Deviation => "deviation",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line, in the form editors and CI annotate: `LINE:COLUMN: severity [mvaKode N] PATH: message [CODE]`; the
/// parts that are not known are left out (`severity: message` at the least). [`Finding::in_file`] puts `FILE:` in
/// front, as `mva validate` and `mva submit` print it.
///
/// ```
/// use mva::{Finding, FindingKind, Severity};
/// let mut f = Finding::new(Severity::Error, FindingKind::Schema, "bad value").at("/mvaMeldingDto/x");
/// f.line = Some(39);
/// f.column = Some(5);
/// f.code = Some("XSD".into());
/// assert_eq!(f.to_string(), "39:5: error /mvaMeldingDto/x: bad value [XSD]");
/// assert_eq!(
///     f.in_file(std::path::Path::new("r.xml")).to_string(),
///     "r.xml:39:5: error /mvaMeldingDto/x: bad value [XSD]"
/// );
/// ```
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{l}:{c}: ")?,
            (Some(l), None) => write!(f, "{l}: ")?,
            _ => {}
        }
        write!(f, "{}", self.severity)?;
        if let Some(k) = &self.mva_code {
            write!(f, " [mvaKode {k}]")?;
        }
        if let Some(p) = &self.path {
            write!(f, " {p}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(c) = &self.code {
            write!(f, " [{c}]")?;
        }
        Ok(())
    }
}

/// A finding with the file it is in: `FILE:LINE:COLUMN: severity [mvaKode N] PATH: message [CODE]`.
#[derive(Debug, Clone, Copy)]
pub struct FindingInFile<'a> {
    file: &'a Path,
    finding: &'a Finding,
}

impl fmt::Display for FindingInFile<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let gap = if self.finding.line.is_some() { "" } else { " " };
        write!(f, "{}:{gap}{}", self.file.display(), self.finding)
    }
}

/// The kind of document that was validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DocumentKind {
    /// A VAT return (`mvaMeldingDto`).
    Return,
    /// An envelope (`mvaMeldingInnsending`).
    Envelope,
}

/// The result of validating one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// What the document turned out to be, when that could be told.
    pub document: Option<DocumentKind>,
    /// Everything found, in document order where possible.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether nothing of severity [`Severity::Error`] was found.
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The findings of severity [`Severity::Error`].
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }

    pub(crate) fn single(finding: Finding) -> Self {
        Self {
            document: None,
            findings: vec![finding],
        }
    }
}
