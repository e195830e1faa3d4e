//! The product's own copies of the Tax Administration's XML schemas, compiled once per thread with libxml2.
//!
//! libxml2's schema validation context is not safe to share between threads, so each thread that validates keeps
//! its own compiled schema (parsed on first use, then reused for every document that thread validates).

use std::cell::RefCell;
use std::collections::HashMap;
use std::os::raw::{c_char, c_int, c_ulong, c_void};

use crate::error::MvaError;
use crate::libxml2::types::{
    ParserCtxt, SchemaValidCtxt, StructuredErrorFn, XML_CHAR_ENCODING_NONE, XML_CHAR_ENCODING_UTF8,
    XML_PARSE_IGNORE_ENC, XML_PARSE_NONET,
};
use crate::libxml2::{libxml2, CompiledSchema, Libxml2};

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
    static CONTEXTS: RefCell<HashMap<SchemaKind, CompiledSchema>> = RefCell::new(HashMap::new());
    static SCHEMA_PARSES: RefCell<u32> = const { RefCell::new(0) };
}

/// How many times this thread compiled a schema (to check that schemas are parsed once and reused).
pub fn schema_parses_on_this_thread() -> u32 {
    SCHEMA_PARSES.with(|c| *c.borrow())
}

/// Loads libxml2 if it is not loaded yet (see [`crate::libxml2`]); an error says what to install. Validation calls
/// it first, so a missing libxml2 is reported as such rather than as a finding about the document.
pub fn ensure_validator() -> Result<(), MvaError> {
    libxml2().map(|_| ())
}

/// Parses `bytes` with libxml2 and validates it against `kind` as it streams by (SAX: no document tree is built,
/// so memory does not grow with the document). `Err` holds the parse errors (not well-formed), `Ok` the schema
/// errors (empty when valid). Schema errors carry the line libxml2 had reached when it found them (the end of the
/// start tag, or of the end tag for errors found when an element closes) and no column.
///
/// The caller has scanned the same bytes ([`crate::scan::scan`]): they are UTF-8 with no DOCTYPE. libxml2 is told
/// so (encoding UTF-8, the document's own declaration ignored), loads no DTD (no `XML_PARSE_DTDLOAD`, and the SAX
/// layer has no handler that would read one), substitutes no entities, uses no network, does not recover, and its
/// external entity loader refuses everything.
pub(crate) fn validate(kind: SchemaKind, bytes: &[u8]) -> Result<Vec<RawError>, Vec<RawError>> {
    let s = stream_validate(kind, bytes, None);
    match s.well_formed {
        Some(true) => Ok(s.schema_errors),
        Some(false) if s.parse_errors.is_empty() => Err(vec![RawError {
            message: "libxml2 found the document not well-formed".into(),
            line: None,
            column: None,
        }]),
        Some(false) | None if !s.parse_errors.is_empty() => Err(s.parse_errors),
        Some(false) => Err(s.parse_errors),
        None => Err(vec![RawError {
            message: "libxml2 could not set up a parser (out of memory?)".into(),
            line: None,
            column: None,
        }]),
    }
}

/// What one streamed validation found.
#[derive(Debug)]
pub(crate) struct Streamed {
    /// Whether libxml2 found the document well-formed (`None`: it could not set the parse up).
    pub well_formed: Option<bool>,
    /// The parser's diagnostics (errors and warnings).
    pub parse_errors: Vec<RawError>,
    /// The schema's errors.
    pub schema_errors: Vec<RawError>,
}

/// Validates `bytes` against `kind` as in [`validate`], reporting the SAX events to `captured` as well.
pub(crate) fn stream_validate(
    kind: SchemaKind,
    bytes: &[u8],
    captured: Option<&mut crate::capture::Captured>,
) -> Streamed {
    let failed = |message: String| Streamed {
        well_formed: None,
        parse_errors: vec![RawError {
            message,
            line: None,
            column: None,
        }],
        schema_errors: Vec::new(),
    };
    let xml = match libxml2() {
        Ok(xml) => xml,
        Err(e) => return failed(e.to_string()),
    };
    let Ok(len) = c_int::try_from(bytes.len()) else {
        return Streamed {
            well_formed: Some(false),
            ..failed("the document is too large for libxml2".into())
        };
    };
    CONTEXTS.with(|cell| {
        let mut map = cell.borrow_mut();
        let ctx = map.entry(kind).or_insert_with(|| {
            SCHEMA_PARSES.with(|c| *c.borrow_mut() += 1);
            // The schemas are part of the product and tested: failing to compile one is a build defect.
            CompiledSchema::compile(xml, kind.xsd())
                .unwrap_or_else(|e| panic!("embedded schema {kind:?} does not compile: {e:?}"))
        });
        // Errors of an earlier document that stopped half-way must not be reported for this one.
        let _ = ctx.drain_errors();
        let mut parse_errors: Vec<RawError> = Vec::new();
        let well_formed = {
            // SAFETY: `collect_error` only pushes to the Vec behind the pointer, which outlives the guard.
            let _guard = unsafe {
                ThreadErrorHandler::install(
                    xml,
                    Some(crate::libxml2::collect_error),
                    (&mut parse_errors as *mut Vec<RawError>).cast(),
                )
            };
            // SAFETY: `bytes` outlives the parse (libxml2 copies it into its input buffer: a static buffer is
            // misread by libxml2 2.9 without a NUL after the end); the validation context is this thread's own;
            // `captured` outlives the parse; every object created there is freed there, in reverse order.
            unsafe { stream(xml, ctx.as_ptr(), bytes.as_ptr().cast(), len, captured) }
        };
        let schema_errors = ctx.drain_errors();
        Streamed {
            well_formed,
            parse_errors,
            schema_errors,
        }
    })
}

/// Parses `len` bytes at `mem` with the schema validation of `vctxt` plugged into the SAX events, followed by
/// `captured`'s handler if given (nothing is built). `Some(well_formed)`, or `None` when libxml2 could not set the parse up.
///
/// # Safety
/// `vctxt` is a valid validation context not in use elsewhere; `mem` points to `len` readable bytes.
unsafe fn stream(
    xml: &Libxml2,
    vctxt: *mut SchemaValidCtxt,
    mem: *const c_char,
    len: c_int,
    captured: Option<&mut crate::capture::Captured>,
) -> Option<bool> {
    unsafe {
        let pctxt = (xml.xmlNewParserCtxt)();
        if pctxt.is_null() {
            return None;
        }
        // No XML_PARSE_NOERROR: from libxml2 2.13 it also silences the structured handler that collects the
        // diagnostics (nothing is printed: the SAX layer has no error callbacks, so they all go to that handler).
        (xml.xmlCtxtUseOptions)(pctxt, XML_PARSE_NONET | XML_PARSE_IGNORE_ENC);
        let buffer = (xml.xmlParserInputBufferCreateMem)(mem, len, XML_CHAR_ENCODING_NONE);
        if buffer.is_null() {
            (xml.xmlFreeParserCtxt)(pctxt);
            return None;
        }
        // Takes the buffer: freed with the parser context from here on.
        let input = (xml.xmlNewIOInputStream)(pctxt, buffer, XML_CHAR_ENCODING_NONE);
        if input.is_null() {
            (xml.xmlFreeParserInputBuffer)(buffer);
            (xml.xmlFreeParserCtxt)(pctxt);
            return None;
        }
        (xml.inputPush)(pctxt, input);
        (xml.xmlSwitchEncoding)(pctxt, XML_CHAR_ENCODING_UTF8);
        // No tree-building handler: the validation layer sees the events, then `captured` if given (elements and
        // text only: no entity or DTD callbacks). The parser context's own handler is put back before it is freed.
        let own_sax = (*pctxt).sax;
        let mut handler = crate::capture::Captured::handler();
        match captured {
            Some(c) => {
                c.parser = pctxt;
                c.stop_parser = Some(xml.xmlStopParser);
                (*pctxt).sax = &mut handler;
                (*pctxt).userData = (c as *mut crate::capture::Captured).cast();
            }
            None => {
                (*pctxt).sax = std::ptr::null_mut();
                (*pctxt).userData = std::ptr::null_mut();
            }
        }
        let plug = (xml.xmlSchemaSAXPlug)(vctxt, &mut (*pctxt).sax, &mut (*pctxt).userData);
        let result = if plug.is_null() {
            None
        } else {
            (xml.xmlSchemaValidateSetLocator)(vctxt, Some(parser_line), pctxt.cast());
            (xml.xmlParseDocument)(pctxt);
            // A namespace error (an undeclared prefix) leaves `wellFormed` set and clears `nsWellFormed`.
            let well_formed = (*pctxt).wellFormed != 0 && (*pctxt).nsWellFormed != 0;
            (xml.xmlSchemaSAXUnplug)(plug);
            (xml.xmlSchemaValidateSetLocator)(vctxt, None, std::ptr::null_mut());
            Some(well_formed)
        };
        (*pctxt).sax = own_sax;
        (xml.xmlFreeParserCtxt)(pctxt);
        result
    }
}

/// The schema validator's locator: the line the parser is on (libxml2 has no node to take one from when streaming).
unsafe extern "C" fn parser_line(
    ctx: *mut c_void,
    file: *mut *const c_char,
    line: *mut c_ulong,
) -> c_int {
    // SAFETY: `ctx` is the parser context registered in `stream`, alive while the validation runs; the out
    // pointers are libxml2's own locals (either may be null).
    unsafe {
        let pctxt = ctx as *mut ParserCtxt;
        if !file.is_null() {
            *file = std::ptr::null();
        }
        if !line.is_null() {
            *line = 0;
            if !pctxt.is_null() && !(*pctxt).input.is_null() {
                *line = c_ulong::try_from((*(*pctxt).input).line).unwrap_or(0);
            }
        }
    }
    0
}

/// Installs a structured error handler for the calling thread (libxml2 keeps it per thread) and puts the previous
/// one back when dropped.
struct ThreadErrorHandler {
    xml: &'static Libxml2,
    handler: Option<StructuredErrorFn>,
    data: *mut c_void,
}

impl ThreadErrorHandler {
    /// # Safety
    /// `data` must stay valid for `handler` until the guard is dropped.
    unsafe fn install(
        xml: &'static Libxml2,
        handler: Option<StructuredErrorFn>,
        data: *mut c_void,
    ) -> Self {
        // SAFETY: libxml2's accessors of its per-thread globals.
        unsafe {
            let saved = Self {
                xml,
                handler: *(xml.__xmlStructuredError)(),
                data: *(xml.__xmlStructuredErrorContext)(),
            };
            (xml.xmlSetStructuredErrorFunc)(data, handler);
            saved
        }
    }
}

impl Drop for ThreadErrorHandler {
    fn drop(&mut self) {
        // SAFETY: restores what `install` found.
        unsafe { (self.xml.xmlSetStructuredErrorFunc)(self.data, self.handler) }
    }
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
