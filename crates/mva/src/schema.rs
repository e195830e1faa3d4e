//! The product's own copies of the Tax Administration's XML schemas, compiled once per thread with libxml2.
//!
//! libxml2's schema validation context is not safe to share between threads, so each thread that validates keeps
//! its own compiled schema (parsed on first use, then reused for every document that thread validates).

use std::cell::RefCell;
use std::collections::HashMap;
use std::os::raw::c_char;
use std::sync::Once;

use libxml::bindings;

use libxml::parser::{Parser, ParserOptions, XmlParseFailure};
use libxml::schemas::{SchemaParserContext, SchemaValidationContext};

/// Namespace of the VAT return (mva-melding).
pub const RETURN_NS: &str =
    "no:skatteetaten:fastsetting:avgift:mva:skattemeldingformerverdiavgift:v1.0";
/// Namespace of the envelope (konvolutt, MvaMeldingInnsending).
pub const ENVELOPE_NS: &str = "no:skatteetaten:fastsetting:avgift:mva:mvameldinginnsending:v1.0";
/// Namespace of the v1 validation result.
pub const VALIDATION_RESULT_NS: &str =
    "no:skatteetaten:fastsetting:avgift:mva:valideringsresultat:v1";
/// Namespace of the payment information.
pub const PAYMENT_NS: &str = "no:skatteetaten:fastsetting:avgift:mva:skattemeldingformerverdiavgift:betalingsinformasjon:v1.0";

/// The schemas this crate carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaKind {
    /// mvaMeldingDto.
    Return,
    /// mvaMeldingInnsending.
    Envelope,
    /// valideringsresultat (v1).
    ValidationResult,
    /// betalingsinformasjon.
    Payment,
}

impl SchemaKind {
    /// The XSD text.
    pub fn xsd(self) -> &'static str {
        match self {
            SchemaKind::Return => include_str!("../schemas/no.skatteetaten.fastsetting.avgift.mva.skattemeldingformerverdiavgift.v1.0.xsd"),
            SchemaKind::Envelope => include_str!("../schemas/no.skatteetaten.fastsetting.avgift.mva.mvameldinginnsending.v1.0.xsd"),
            SchemaKind::ValidationResult => include_str!("../schemas/no.skatteetaten.fastsetting.avgift.mva.valideringsresultat.v1.xsd"),
            SchemaKind::Payment => include_str!("../schemas/no.skatteetaten.fastsetting.avgift.mva.skattemeldingformerverdiavgift.betalingsinformasjon.v1.0.xsd"),
        }
    }
    /// The root element's local name.
    pub fn root(self) -> &'static str {
        match self {
            SchemaKind::Return => "mvaMeldingDto",
            SchemaKind::Envelope => "mvaMeldingInnsending",
            SchemaKind::ValidationResult => "valideringsresultat",
            SchemaKind::Payment => "betalingsinformasjon",
        }
    }
    /// The target namespace.
    pub fn namespace(self) -> &'static str {
        match self {
            SchemaKind::Return => RETURN_NS,
            SchemaKind::Envelope => ENVELOPE_NS,
            SchemaKind::ValidationResult => VALIDATION_RESULT_NS,
            SchemaKind::Payment => PAYMENT_NS,
        }
    }
}

/// A raw diagnostic from libxml2.
#[derive(Debug, Clone)]
pub(crate) struct RawError {
    pub message: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

thread_local! {
    static CONTEXTS: RefCell<HashMap<SchemaKind, SchemaValidationContext>> = RefCell::new(HashMap::new());
    static SCHEMA_PARSES: RefCell<u32> = const { RefCell::new(0) };
}

/// How many times this thread compiled a schema (to check that schemas are parsed once and reused).
pub fn schema_parses_on_this_thread() -> u32 {
    SCHEMA_PARSES.with(|c| *c.borrow())
}

fn raw(e: &libxml::error::StructuredError) -> RawError {
    RawError {
        message: e.message.clone().unwrap_or_default().trim().to_string(),
        line: e
            .line
            .and_then(|l| u32::try_from(l).ok())
            .filter(|l| *l > 0),
        column: e.col.and_then(|c| u32::try_from(c).ok()).filter(|c| *c > 0),
    }
}

/// Makes libxml2 refuse every external entity, DTD and schema document it would load, for the whole process (the
/// loader is global in libxml2). Neither the embedded schemas nor a VAT document ever needs one; the parser
/// options below already ask for none, and this is the second lock on the same door.
fn refuse_external_entities() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: installs a plain function with the signature libxml2 expects; it touches none of its arguments.
        unsafe { bindings::xmlSetExternalEntityLoader(Some(refuse_every_entity)) }
    });
}

/// An external entity loader that loads nothing: libxml2 sees a resource that cannot be opened.
unsafe extern "C" fn refuse_every_entity(
    _url: *const c_char,
    _id: *const c_char,
    _context: bindings::xmlParserCtxtPtr,
) -> bindings::xmlParserInputPtr {
    std::ptr::null_mut()
}

/// Parses `bytes` with libxml2 and validates it against `kind`. `Err` holds the parse errors (not well-formed), `Ok`
/// the schema errors (empty when valid).
///
/// The caller has scanned the same bytes ([`crate::scan::scan`]): they are UTF-8 with no DOCTYPE. libxml2 is told
/// so (encoding UTF-8, the document's own declaration ignored), loads no DTD (no `XML_PARSE_DTDLOAD`, which the
/// `no_def_dtd` option of the `libxml` crate sets for XML), substitutes no entities, uses no network, does not
/// recover, and its external entity loader refuses everything.
pub(crate) fn validate(kind: SchemaKind, bytes: &[u8]) -> Result<Vec<RawError>, Vec<RawError>> {
    refuse_external_entities();
    let options = ParserOptions {
        recover: false,
        no_net: true,
        no_def_dtd: false,
        huge: false,
        ignore_enc: true,
        encoding: Some("UTF-8"),
        ..ParserOptions::default()
    };
    let doc = match Parser::default().parse_string_with_diagnostics(bytes, options) {
        Ok((doc, _warnings)) => doc,
        Err(XmlParseFailure::ParseFailed(errors)) => return Err(errors.iter().map(raw).collect()),
        Err(other) => {
            return Err(vec![RawError {
                message: other.to_string(),
                line: None,
                column: None,
            }]);
        }
    };
    CONTEXTS.with(|cell| {
        let mut map = cell.borrow_mut();
        let ctx = map.entry(kind).or_insert_with(|| {
            SCHEMA_PARSES.with(|c| *c.borrow_mut() += 1);
            let mut parser = SchemaParserContext::from_buffer(kind.xsd());
            // The schemas are part of the product and tested: failing to compile one is a build defect.
            SchemaValidationContext::from_parser(&mut parser)
                .unwrap_or_else(|e| panic!("embedded schema {kind:?} does not compile: {e:?}"))
        });
        Ok(match ctx.validate_document(&doc) {
            Ok(()) => Vec::new(),
            Err(errors) => errors.iter().map(raw).collect(),
        })
    })
}

/// Validates any of the carried documents against its schema; returns the messages of all errors (empty = valid).
pub fn schema_errors(kind: SchemaKind, bytes: &[u8]) -> Vec<String> {
    if let Err(f) = crate::scan::scan(bytes) {
        return vec![f.message];
    }
    match validate(kind, bytes) {
        Ok(v) | Err(v) => v.into_iter().map(|e| e.message).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_external_entity_loader_refuses_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.dtd");
        std::fs::write(&path, "<!ELEMENT r EMPTY>").unwrap();
        let url = std::ffi::CString::new(path.display().to_string()).unwrap();
        refuse_external_entities();
        // SAFETY: a NUL-terminated URL, no ID, no context (allowed by libxml2).
        let input = unsafe {
            bindings::xmlLoadExternalEntity(url.as_ptr(), std::ptr::null(), std::ptr::null_mut())
        };
        assert!(input.is_null(), "libxml2 opened {}", path.display());
    }

    /// Without the scan in front (which refuses DOCTYPEs), libxml2 itself still opens no external subset: a FIFO
    /// named there would block the open for ever.
    #[cfg(unix)]
    #[test]
    fn libxml2_alone_does_not_open_an_external_subset() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let doc = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-7\"?><!DOCTYPE mvaMeldingDto SYSTEM \"{}\"><mvaMeldingDto xmlns=\"{RETURN_NS}\"/>",
            fifo.display()
        );
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(validate(SchemaKind::Return, doc.as_bytes()).is_ok());
        });
        let parsed = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("libxml2 opened the FIFO named in the DOCTYPE");
        assert!(parsed);
    }
}
