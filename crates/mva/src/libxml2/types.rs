//! The C types of libxml2 that this crate touches, declared by hand from libxml2's public headers (2.9.14, as
//! Debian 12 ships it; the fields read here sit at the same offsets in every release of the `libxml2.so.2` ABI, 2.9
//! to 2.13; 2.14 changed the soname to `libxml2.so.16` and is refused by version). Opaque types are only ever behind pointers. The structs whose tail is left out ([`ParserCtxt`],
//! [`ParserInput`]) are allocated by libxml2 and only read through its pointers, never made or moved by value here.

#![allow(non_snake_case)] // the field names are libxml2's, so they can be checked against its headers

use std::os::raw::{c_char, c_int, c_long, c_uint, c_ulong, c_void};

/// `xmlChar`: a byte of UTF-8.
pub(crate) type XmlChar = u8;

/// Declares types libxml2 only hands out pointers to.
macro_rules! opaque {
    ($($(#[$m:meta])* $name:ident;)*) => {$(
        $(#[$m])*
        #[repr(C)]
        pub(crate) struct $name {
            _private: [u8; 0],
            _not_send_sync: std::marker::PhantomData<(*mut u8, std::marker::PhantomPinned)>,
        }
    )*};
}

opaque! {
    /// `xmlSchemaParserCtxt`.
    SchemaParserCtxt;
    /// `xmlSchema`: a compiled schema.
    Schema;
    /// `xmlSchemaValidCtxt`.
    SchemaValidCtxt;
    /// `xmlSchemaSAXPlugStruct`.
    SchemaSaxPlug;
    /// `xmlParserInputBuffer`.
    ParserInputBuffer;
}

/// `xmlParserOption` XML_PARSE_NONET: no network access.
pub(crate) const XML_PARSE_NONET: c_int = 1 << 11;
/// `xmlParserOption` XML_PARSE_IGNORE_ENC: ignore the document's own encoding declaration.
pub(crate) const XML_PARSE_IGNORE_ENC: c_int = 1 << 21;
/// `xmlCharEncoding` XML_CHAR_ENCODING_NONE.
pub(crate) const XML_CHAR_ENCODING_NONE: c_int = 0;
/// `xmlCharEncoding` XML_CHAR_ENCODING_UTF8.
pub(crate) const XML_CHAR_ENCODING_UTF8: c_int = 1;
/// `XML_SAX2_MAGIC`: marks a SAX handler as SAX2 (namespace-aware callbacks).
pub(crate) const XML_SAX2_MAGIC: c_uint = 0xDEED_BEAF;

/// `xmlError` (whole).
#[repr(C)]
pub(crate) struct XmlError {
    pub domain: c_int,
    pub code: c_int,
    pub message: *mut c_char,
    pub level: c_int,
    pub file: *mut c_char,
    pub line: c_int,
    pub str1: *mut c_char,
    pub str2: *mut c_char,
    pub str3: *mut c_char,
    pub int1: c_int,
    /// The column, where known.
    pub int2: c_int,
    pub ctxt: *mut c_void,
    pub node: *mut c_void,
}

/// `xmlParserInput`, up to `col` (the rest is libxml2's own).
#[repr(C)]
pub(crate) struct ParserInput {
    pub buf: *mut ParserInputBuffer,
    pub filename: *const c_char,
    pub directory: *const c_char,
    pub base: *const XmlChar,
    pub cur: *const XmlChar,
    pub end: *const XmlChar,
    pub length: c_int,
    pub line: c_int,
    pub col: c_int,
}

/// `xmlParserNodeInfoSeq` (whole: it is embedded in [`ParserCtxt`]).
#[repr(C)]
pub(crate) struct ParserNodeInfoSeq {
    pub maximum: c_ulong,
    pub length: c_ulong,
    pub buffer: *mut c_void,
}

/// `xmlValidCtxt` (whole: it is embedded in [`ParserCtxt`]; pointers of no interest here are `void *`).
#[repr(C)]
pub(crate) struct ValidCtxt {
    pub userData: *mut c_void,
    pub error: *mut c_void,
    pub warning: *mut c_void,
    pub node: *mut c_void,
    pub nodeNr: c_int,
    pub nodeMax: c_int,
    pub nodeTab: *mut c_void,
    pub finishDtd: c_uint,
    pub doc: *mut c_void,
    pub valid: c_int,
    pub vstate: *mut c_void,
    pub vstateNr: c_int,
    pub vstateMax: c_int,
    pub vstateTab: *mut c_void,
    pub am: *mut c_void,
    pub state: *mut c_void,
}

/// `xmlParserCtxt`, up to `nsWellFormed` (the rest is libxml2's own).
#[repr(C)]
pub(crate) struct ParserCtxt {
    pub sax: *mut SaxHandler,
    pub userData: *mut c_void,
    pub myDoc: *mut c_void,
    pub wellFormed: c_int,
    pub replaceEntities: c_int,
    pub version: *const XmlChar,
    pub encoding: *const XmlChar,
    pub standalone: c_int,
    pub html: c_int,
    pub input: *mut ParserInput,
    pub inputNr: c_int,
    pub inputMax: c_int,
    pub inputTab: *mut *mut ParserInput,
    pub node: *mut c_void,
    pub nodeNr: c_int,
    pub nodeMax: c_int,
    pub nodeTab: *mut c_void,
    pub record_info: c_int,
    pub node_seq: ParserNodeInfoSeq,
    pub errNo: c_int,
    pub hasExternalSubset: c_int,
    pub hasPErefs: c_int,
    pub external: c_int,
    pub valid: c_int,
    pub validate: c_int,
    pub vctxt: ValidCtxt,
    pub instate: c_int,
    pub token: c_int,
    pub directory: *mut c_char,
    pub name: *const XmlChar,
    pub nameNr: c_int,
    pub nameMax: c_int,
    pub nameTab: *mut *const XmlChar,
    pub nbChars: c_long,
    pub checkIndex: c_long,
    pub keepBlanks: c_int,
    pub disableSAX: c_int,
    pub inSubset: c_int,
    pub intSubName: *const XmlChar,
    pub extSubURI: *mut XmlChar,
    pub extSubSystem: *mut XmlChar,
    pub space: *mut c_int,
    pub spaceNr: c_int,
    pub spaceMax: c_int,
    pub spaceTab: *mut c_int,
    pub depth: c_int,
    pub entity: *mut ParserInput,
    pub charset: c_int,
    pub nodelen: c_int,
    pub nodemem: c_int,
    pub pedantic: c_int,
    pub _private: *mut c_void,
    pub loadsubset: c_int,
    pub linenumbers: c_int,
    pub catalogs: *mut c_void,
    pub recovery: c_int,
    pub progressive: c_int,
    pub dict: *mut c_void,
    pub atts: *mut *const XmlChar,
    pub maxatts: c_int,
    pub docdict: c_int,
    pub str_xml: *const XmlChar,
    pub str_xmlns: *const XmlChar,
    pub str_xml_ns: *const XmlChar,
    pub sax2: c_int,
    pub nsNr: c_int,
    pub nsMax: c_int,
    pub nsTab: *mut *const XmlChar,
    pub attallocs: *mut c_int,
    pub pushTab: *mut c_void,
    pub attsDefault: *mut c_void,
    pub attsSpecial: *mut c_void,
    pub nsWellFormed: c_int,
}

/// `startElementNsSAX2Func`.
pub(crate) type StartElementNsFn = unsafe extern "C" fn(
    ctx: *mut c_void,
    localname: *const XmlChar,
    prefix: *const XmlChar,
    uri: *const XmlChar,
    nb_namespaces: c_int,
    namespaces: *mut *const XmlChar,
    nb_attributes: c_int,
    nb_defaulted: c_int,
    attributes: *mut *const XmlChar,
);
/// `endElementNsSAX2Func`.
pub(crate) type EndElementNsFn = unsafe extern "C" fn(
    ctx: *mut c_void,
    localname: *const XmlChar,
    prefix: *const XmlChar,
    uri: *const XmlChar,
);
/// `charactersSAXFunc` and `cdataBlockSAXFunc`.
pub(crate) type CharactersFn =
    unsafe extern "C" fn(ctx: *mut c_void, ch: *const XmlChar, len: c_int);
/// `xmlStructuredErrorFunc` (the error is `const` from libxml2 2.12 on; the same ABI).
pub(crate) type StructuredErrorFn = unsafe extern "C" fn(data: *mut c_void, error: *const XmlError);
/// `xmlExternalEntityLoader`.
pub(crate) type EntityLoaderFn = unsafe extern "C" fn(
    url: *const c_char,
    id: *const c_char,
    context: *mut ParserCtxt,
) -> *mut ParserInput;
/// `xmlSchemaValidityLocatorFunc`.
pub(crate) type LocatorFn =
    unsafe extern "C" fn(ctx: *mut c_void, file: *mut *const c_char, line: *mut c_ulong) -> c_int;

/// `xmlSAXHandler` (whole: the crate makes its own). Callbacks of no interest here are `void *` and left null.
#[repr(C)]
pub(crate) struct SaxHandler {
    /// internalSubset … reference: the 17 callbacks before `characters`, in the header's order.
    pub sax1: [*mut c_void; 17],
    pub characters: Option<CharactersFn>,
    /// ignorableWhitespace … getParameterEntity.
    pub more_sax1: [*mut c_void; 7],
    pub cdataBlock: Option<CharactersFn>,
    pub externalSubset: *mut c_void,
    pub initialized: c_uint,
    pub _private: *mut c_void,
    pub startElementNs: Option<StartElementNsFn>,
    pub endElementNs: Option<EndElementNsFn>,
    pub serror: Option<StructuredErrorFn>,
}

impl SaxHandler {
    /// A SAX2 handler with no callbacks.
    pub fn empty() -> Self {
        Self {
            sax1: [std::ptr::null_mut(); 17],
            characters: None,
            more_sax1: [std::ptr::null_mut(); 7],
            cdataBlock: None,
            externalSubset: std::ptr::null_mut(),
            initialized: XML_SAX2_MAGIC,
            _private: std::ptr::null_mut(),
            startElementNs: None,
            endElementNs: None,
            serror: None,
        }
    }
}

/// The offsets libxml2 2.9.14's headers give on 64-bit Unix (from bindgen's layout tests of those headers).
#[cfg(all(unix, target_pointer_width = "64"))]
const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<XmlError>() == 88);
    assert!(offset_of!(XmlError, int2) == 68);
    assert!(offset_of!(ParserInput, base) == 24);
    assert!(offset_of!(ParserInput, cur) == 32);
    assert!(offset_of!(ParserInput, line) == 52);
    assert!(size_of::<ParserNodeInfoSeq>() == 24);
    assert!(size_of::<ValidCtxt>() == 112);
    assert!(offset_of!(ParserCtxt, userData) == 8);
    assert!(offset_of!(ParserCtxt, wellFormed) == 24);
    assert!(offset_of!(ParserCtxt, input) == 56);
    assert!(offset_of!(ParserCtxt, nsWellFormed) == 560);
    assert!(size_of::<SaxHandler>() == 256);
    assert!(offset_of!(SaxHandler, characters) == 17 * 8);
    assert!(offset_of!(SaxHandler, cdataBlock) == 25 * 8);
    assert!(offset_of!(SaxHandler, initialized) == 27 * 8);
    assert!(offset_of!(SaxHandler, startElementNs) == 29 * 8);
};
