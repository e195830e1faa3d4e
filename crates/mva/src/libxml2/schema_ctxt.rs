//! A compiled XML schema with its validation context, and the errors libxml2 reports to it.

use std::os::raw::{c_char, c_int, c_void};

use super::types::{Schema, SchemaValidCtxt, XmlError};
use super::Libxml2;
use crate::schema::RawError;

/// A compiled schema and a validation context for it. Not shareable between threads (libxml2's validation context
/// is not): each thread compiles its own.
pub(crate) struct CompiledSchema {
    xml: &'static Libxml2,
    schema: *mut Schema,
    ctxt: *mut SchemaValidCtxt,
    /// The validation errors reported since the last [`CompiledSchema::drain_errors`] (from `Box::into_raw`;
    /// libxml2 holds the pointer as its error callback's data).
    errors: *mut Vec<RawError>,
}

impl CompiledSchema {
    /// Compiles the XSD text `xsd`. `Err` holds libxml2's errors.
    pub fn compile(xml: &'static Libxml2, xsd: &str) -> Result<Self, Vec<RawError>> {
        let failed = |message: &str| {
            vec![RawError {
                message: message.to_string(),
                line: None,
                column: None,
            }]
        };
        let len = c_int::try_from(xsd.len()).map_err(|_| failed("the schema is too large"))?;
        // SAFETY: `xsd` outlives the parser context (freed below); the error Vec outlives the parse; every object
        // made here is freed here or owned by the result.
        unsafe {
            let parser = (xml.xmlSchemaNewMemParserCtxt)(xsd.as_ptr().cast::<c_char>(), len);
            if parser.is_null() {
                return Err(failed(
                    "libxml2 could not set up a schema parser (out of memory?)",
                ));
            }
            let mut parse_errors: Vec<RawError> = Vec::new();
            (xml.xmlSchemaSetParserStructuredErrors)(
                parser,
                Some(collect_error),
                (&mut parse_errors as *mut Vec<RawError>).cast(),
            );
            let schema = (xml.xmlSchemaParse)(parser);
            (xml.xmlSchemaFreeParserCtxt)(parser);
            if schema.is_null() {
                return Err(if parse_errors.is_empty() {
                    failed("libxml2 could not compile the schema")
                } else {
                    parse_errors
                });
            }
            let ctxt = (xml.xmlSchemaNewValidCtxt)(schema);
            if ctxt.is_null() {
                (xml.xmlSchemaFree)(schema);
                return Err(failed(
                    "libxml2 could not set up a validation context (out of memory?)",
                ));
            }
            let errors = Box::into_raw(Box::<Vec<RawError>>::default());
            (xml.xmlSchemaSetValidStructuredErrors)(ctxt, Some(collect_error), errors.cast());
            Ok(Self {
                xml,
                schema,
                ctxt,
                errors,
            })
        }
    }

    /// The validation context, for plugging into a parse.
    pub fn as_ptr(&self) -> *mut SchemaValidCtxt {
        self.ctxt
    }

    /// The validation errors reported since the last call.
    pub fn drain_errors(&mut self) -> Vec<RawError> {
        // SAFETY: `errors` is this value's own Box; libxml2 pushes to it only during a validation with this
        // context, which runs on this thread and is not running now (`&mut self`).
        std::mem::take(unsafe { &mut *self.errors })
    }
}

impl Drop for CompiledSchema {
    fn drop(&mut self) {
        // SAFETY: frees what `compile` made, the context before the schema it uses, then the error Vec libxml2
        // can no longer reach.
        unsafe {
            (self.xml.xmlSchemaFreeValidCtxt)(self.ctxt);
            (self.xml.xmlSchemaFree)(self.schema);
            drop(Box::from_raw(self.errors));
        }
    }
}

/// Collects a libxml2 diagnostic into the `Vec<RawError>` behind `data` (libxml2's structured error callback).
///
/// # Safety
/// `data` is null or a live `Vec<RawError>` not otherwise borrowed; `error` is null or libxml2's error.
pub(crate) unsafe extern "C" fn collect_error(data: *mut c_void, error: *const XmlError) {
    if data.is_null() || error.is_null() {
        return;
    }
    // SAFETY: see above.
    unsafe {
        let errors = &mut *(data as *mut Vec<RawError>);
        errors.push(raw_error(&*error));
    }
}

/// A diagnostic of libxml2's as a [`RawError`] (line and column only when libxml2 knows them).
///
/// # Safety
/// `error.message` is null or a NUL-terminated string.
unsafe fn raw_error(error: &XmlError) -> RawError {
    RawError {
        // SAFETY: see above.
        message: unsafe { super::text(error.message) }
            .unwrap_or_default()
            .trim()
            .to_string(),
        line: u32::try_from(error.line).ok().filter(|l| *l > 0),
        column: u32::try_from(error.int2).ok().filter(|c| *c > 0),
    }
}
