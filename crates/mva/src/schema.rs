//! The product's own copies of the Tax Administration's XML schemas, compiled once per thread with libxml2.
//!
//! libxml2's schema validation context is not safe to share between threads, so each thread that validates keeps
//! its own compiled schema (parsed on first use, then reused for every document that thread validates).

use std::cell::RefCell;
use std::collections::HashMap;
use std::os::raw::c_char;
use std::sync::Once;

use libxml::bindings;

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
    refuse_external_entities();
    let Ok(len) = i32::try_from(bytes.len()) else {
        return Streamed {
            well_formed: Some(false),
            parse_errors: vec![RawError {
                message: "the document is too large for libxml2".into(),
                line: None,
                column: None,
            }],
            schema_errors: Vec::new(),
        };
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
        // Errors of an earlier document that stopped half-way must not be reported for this one.
        let _ = ctx.drain_errors();
        let mut parse_errors: Vec<RawError> = Vec::new();
        let well_formed = {
            // SAFETY: `collect_parse_error` only pushes to the Vec behind the pointer, which outlives the guard.
            let _guard = unsafe {
                ThreadErrorHandler::install(
                    Some(collect_parse_error),
                    (&mut parse_errors as *mut Vec<RawError>).cast(),
                )
            };
            // SAFETY: `bytes` outlives the parse (libxml2 copies it into its input buffer: a static buffer is
            // misread by libxml2 2.9 without a NUL after the end); the validation context is this thread's own;
            // `captured` outlives the parse; every object created there is freed there, in reverse order.
            unsafe { stream(ctx.as_ptr(), bytes.as_ptr().cast(), len, captured) }
        };
        let schema_errors: Vec<RawError> = ctx.drain_errors().iter().map(raw).collect();
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
    vctxt: bindings::xmlSchemaValidCtxtPtr,
    mem: *const c_char,
    len: i32,
    captured: Option<&mut crate::capture::Captured>,
) -> Option<bool> {
    use bindings::*;
    unsafe {
        let pctxt = xmlNewParserCtxt();
        if pctxt.is_null() {
            return None;
        }
        // No XML_PARSE_NOERROR: from libxml2 2.13 it also silences the structured handler that collects the
        // diagnostics (nothing is printed: the SAX layer has no error callbacks, so they all go to that handler).
        let options = xmlParserOption_XML_PARSE_NONET | xmlParserOption_XML_PARSE_IGNORE_ENC;
        xmlCtxtUseOptions(pctxt, options as i32);
        let buffer =
            xmlParserInputBufferCreateMem(mem, len, xmlCharEncoding_XML_CHAR_ENCODING_NONE);
        if buffer.is_null() {
            xmlFreeParserCtxt(pctxt);
            return None;
        }
        // Takes the buffer: freed with the parser context from here on.
        let input = xmlNewIOInputStream(pctxt, buffer, xmlCharEncoding_XML_CHAR_ENCODING_NONE);
        if input.is_null() {
            xmlFreeParserInputBuffer(buffer);
            xmlFreeParserCtxt(pctxt);
            return None;
        }
        inputPush(pctxt, input);
        xmlSwitchEncoding(pctxt, xmlCharEncoding_XML_CHAR_ENCODING_UTF8);
        // No tree-building handler: the validation layer sees the events, then `captured` if given (elements and
        // text only: no entity or DTD callbacks). The parser context's own handler is put back before it is freed.
        let own_sax = (*pctxt).sax;
        let mut handler = crate::capture::Captured::handler();
        match captured {
            Some(c) => {
                c.parser = pctxt;
                (*pctxt).sax = &mut handler;
                (*pctxt).userData = (c as *mut crate::capture::Captured).cast();
            }
            None => {
                (*pctxt).sax = std::ptr::null_mut();
                (*pctxt).userData = std::ptr::null_mut();
            }
        }
        let plug = xmlSchemaSAXPlug(vctxt, &mut (*pctxt).sax, &mut (*pctxt).userData);
        let result = if plug.is_null() {
            None
        } else {
            xmlSchemaValidateSetLocator(vctxt, Some(parser_line), pctxt.cast());
            xmlParseDocument(pctxt);
            // A namespace error (an undeclared prefix) leaves `wellFormed` set and clears `nsWellFormed`.
            let well_formed = (*pctxt).wellFormed != 0 && (*pctxt).nsWellFormed != 0;
            xmlSchemaSAXUnplug(plug);
            xmlSchemaValidateSetLocator(vctxt, None, std::ptr::null_mut());
            Some(well_formed)
        };
        (*pctxt).sax = own_sax;
        xmlFreeParserCtxt(pctxt);
        result
    }
}

/// The schema validator's locator: the line the parser is on (libxml2 has no node to take one from when streaming).
unsafe extern "C" fn parser_line(
    ctx: *mut std::os::raw::c_void,
    file: *mut *const c_char,
    line: *mut std::os::raw::c_ulong,
) -> std::os::raw::c_int {
    // SAFETY: `ctx` is the parser context registered in `stream`, alive while the validation runs; the out
    // pointers are libxml2's own locals (either may be null).
    unsafe {
        let pctxt = ctx as bindings::xmlParserCtxtPtr;
        if !file.is_null() {
            *file = std::ptr::null();
        }
        if !line.is_null() {
            *line = 0;
            if !pctxt.is_null() && !(*pctxt).input.is_null() {
                *line = std::os::raw::c_ulong::try_from((*(*pctxt).input).line).unwrap_or(0);
            }
        }
    }
    0
}

/// Collects the parser's diagnostics (libxml2 calls the thread's structured handler when the SAX layer has none).
unsafe extern "C" fn collect_parse_error(
    data: *mut std::os::raw::c_void,
    error: bindings::xmlErrorPtr,
) {
    if data.is_null() || error.is_null() {
        return;
    }
    // SAFETY: `data` is the Vec installed by `validate` for the duration of the parse; `error` is libxml2's.
    unsafe {
        let errors = &mut *(data as *mut Vec<RawError>);
        errors.push(raw(&libxml::error::StructuredError::from_raw(error)));
    }
}

/// Installs a structured error handler for the calling thread (libxml2 keeps it per thread) and puts the previous
/// one back when dropped.
struct ThreadErrorHandler {
    handler: bindings::xmlStructuredErrorFunc,
    data: *mut std::os::raw::c_void,
}

impl ThreadErrorHandler {
    /// # Safety
    /// `data` must stay valid for `handler` until the guard is dropped.
    unsafe fn install(
        handler: bindings::xmlStructuredErrorFunc,
        data: *mut std::os::raw::c_void,
    ) -> Self {
        // SAFETY: libxml2's accessors of its per-thread globals.
        unsafe {
            let saved = Self {
                handler: *bindings::__xmlStructuredError(),
                data: *bindings::__xmlStructuredErrorContext(),
            };
            bindings::xmlSetStructuredErrorFunc(data, handler);
            saved
        }
    }
}

impl Drop for ThreadErrorHandler {
    fn drop(&mut self) {
        // SAFETY: restores what `install` found.
        unsafe { bindings::xmlSetStructuredErrorFunc(self.data, self.handler) }
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
