//! libxml2, loaded when a document is first validated rather than by the dynamic loader at every start: `mva
//! --version`, `mva token` and every other command that reads no XML map no XML library (libxml2 pulls in ICU,
//! liblzma and libstdc++ with it). The functions this crate calls are resolved once into a table
//! ([`Libxml2`]) kept for the life of the process; the library is never unloaded.
//!
//! The library is found by its ABI name (`libxml2.so.2` on Linux) through the system's ordinary search (the same
//! the dynamic loader used when the binary linked it); no path is taken from this crate's inputs or settings.

mod schema_ctxt;
pub(crate) mod types;

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};
use std::sync::OnceLock;

use libloading::Library;

use crate::error::MvaError;
pub(crate) use schema_ctxt::{collect_error, CompiledSchema};
use types::*;

/// The names tried, in order. Only names that carry the ABI the declarations here are written for: libxml2 2.14
/// bumped its soname to `libxml2.so.16` with different structures, so an unversioned `libxml2.so` (the development
/// link) could be that one.
#[cfg(all(unix, not(target_os = "macos")))]
pub(crate) const LIBRARY_NAMES: &[&str] = &["libxml2.so.2"];
/// The names tried, in order (see the Linux list).
#[cfg(target_os = "macos")]
pub(crate) const LIBRARY_NAMES: &[&str] = &["libxml2.2.dylib"];
/// The names tried, in order: MSYS2's, then vcpkg's (unversioned: the version check below decides).
#[cfg(windows)]
pub(crate) const LIBRARY_NAMES: &[&str] = &["libxml2-2.dll", "libxml2.dll"];

/// The releases whose structures match the declarations in [`types`]: 2.9.0 up to, not including, 2.14.0 (the
/// `libxml2.so.2` ABI), as `xmlParserVersion` spells them (e.g. `20914`).
const SUPPORTED_VERSIONS: std::ops::Range<u32> = 20900..21400;

/// Declares the table of libxml2 functions: each field is named and typed as in libxml2's headers.
macro_rules! functions {
    ($($name:ident: fn($($arg:ty),*) $(-> $ret:ty)?;)*) => {
        /// The libxml2 functions this crate calls, resolved from the loaded library.
        #[allow(non_snake_case)] // libxml2's names, so each can be checked against its header
        pub(crate) struct Libxml2 {
            $(pub $name: unsafe extern "C" fn($($arg),*) $(-> $ret)?,)*
            /// Keeps the library mapped (the table is process-wide and never dropped).
            _library: Library,
        }

        impl Libxml2 {
            /// Resolves every function from `library` (opened as `name`).
            #[allow(non_snake_case)]
            fn resolve(library: Library, name: &str) -> Result<Self, LoadFailure> {
                $(
                    // SAFETY: the symbol is libxml2's function of that name, with the C signature its header
                    // declares (the same in every release of the `libxml2.so.2` ABI); the pointer is copied out
                    // and used only while `library` stays loaded, which is for ever (it moves into the table).
                    let $name = *unsafe {
                        library.get::<unsafe extern "C" fn($($arg),*) $(-> $ret)?>(
                            concat!(stringify!($name), "\0").as_bytes(),
                        )
                    }
                    .map_err(|e| LoadFailure::Unusable {
                        library: name.to_string(),
                        problem: format!("it lacks the function {} ({e})", stringify!($name)),
                    })?;
                )*
                Ok(Self { $($name,)* _library: library })
            }
        }
    };
}

functions! {
    xmlInitParser: fn();
    xmlSetExternalEntityLoader: fn(Option<EntityLoaderFn>);
    xmlSetStructuredErrorFunc: fn(*mut c_void, Option<StructuredErrorFn>);
    __xmlStructuredError: fn() -> *mut Option<StructuredErrorFn>;
    __xmlStructuredErrorContext: fn() -> *mut *mut c_void;
    xmlSchemaNewMemParserCtxt: fn(*const c_char, c_int) -> *mut SchemaParserCtxt;
    xmlSchemaSetParserStructuredErrors: fn(*mut SchemaParserCtxt, Option<StructuredErrorFn>, *mut c_void);
    xmlSchemaParse: fn(*mut SchemaParserCtxt) -> *mut Schema;
    xmlSchemaFreeParserCtxt: fn(*mut SchemaParserCtxt);
    xmlSchemaFree: fn(*mut Schema);
    xmlSchemaNewValidCtxt: fn(*mut Schema) -> *mut SchemaValidCtxt;
    xmlSchemaSetValidStructuredErrors: fn(*mut SchemaValidCtxt, Option<StructuredErrorFn>, *mut c_void);
    xmlSchemaFreeValidCtxt: fn(*mut SchemaValidCtxt);
    xmlSchemaSAXPlug: fn(*mut SchemaValidCtxt, *mut *mut SaxHandler, *mut *mut c_void) -> *mut SchemaSaxPlug;
    xmlSchemaSAXUnplug: fn(*mut SchemaSaxPlug) -> c_int;
    xmlSchemaValidateSetLocator: fn(*mut SchemaValidCtxt, Option<LocatorFn>, *mut c_void);
    xmlNewParserCtxt: fn() -> *mut ParserCtxt;
    xmlFreeParserCtxt: fn(*mut ParserCtxt);
    xmlCtxtUseOptions: fn(*mut ParserCtxt, c_int) -> c_int;
    xmlParserInputBufferCreateMem: fn(*const c_char, c_int, c_int) -> *mut ParserInputBuffer;
    xmlFreeParserInputBuffer: fn(*mut ParserInputBuffer);
    xmlNewIOInputStream: fn(*mut ParserCtxt, *mut ParserInputBuffer, c_int) -> *mut ParserInput;
    inputPush: fn(*mut ParserCtxt, *mut ParserInput) -> c_int;
    xmlSwitchEncoding: fn(*mut ParserCtxt, c_int) -> c_int;
    xmlParseDocument: fn(*mut ParserCtxt) -> c_int;
    xmlStopParser: fn(*mut ParserCtxt);
}

/// Why libxml2 could not be loaded (kept, so every later call reports the same).
#[derive(Debug, Clone)]
enum LoadFailure {
    /// No library of any of the names could be opened.
    Missing { tried: String, detail: String },
    /// A library opened but is not a libxml2 of the supported ABI.
    Unusable { library: String, problem: String },
}

impl From<LoadFailure> for MvaError {
    fn from(f: LoadFailure) -> Self {
        match f {
            LoadFailure::Missing { tried, detail } => MvaError::Libxml2Missing { tried, detail },
            LoadFailure::Unusable { library, problem } => {
                MvaError::Libxml2Unusable { library, problem }
            }
        }
    }
}

/// libxml2, loaded on the first call (by any thread; the others wait) and set up before anyone can parse with it:
/// its parser initialised and its process-wide external entity loader replaced by one that refuses everything.
pub(crate) fn libxml2() -> Result<&'static Libxml2, MvaError> {
    static LOADED: OnceLock<Result<Libxml2, LoadFailure>> = OnceLock::new();
    LOADED
        .get_or_init(|| load(LIBRARY_NAMES))
        .as_ref()
        .map_err(|f| f.clone().into())
}

/// Opens the first of `names` that loads, resolves the table and sets the library up (see [`libxml2`]).
fn load(names: &[&str]) -> Result<Libxml2, LoadFailure> {
    let mut errors = Vec::new();
    for name in names {
        // SAFETY: loading libxml2 runs its initialisers, which have no preconditions; the names are fixed in this
        // crate (never taken from input), and searched for the way the dynamic loader searches.
        match unsafe { Library::new(name) } {
            Ok(library) => {
                check_version(&library, name)?;
                let xml = Libxml2::resolve(library, name)?;
                // SAFETY: libxml2's documented set-up: initialise once before use (serialised by the caller's
                // OnceLock), then install a plain function with the loader's signature.
                unsafe {
                    (xml.xmlInitParser)();
                    (xml.xmlSetExternalEntityLoader)(Some(refuse_every_entity));
                }
                return Ok(xml);
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    Err(LoadFailure::Missing {
        tried: names.join(", "),
        detail: errors.join("; "),
    })
}

/// Refuses a library that is not libxml2 of a release in [`SUPPORTED_VERSIONS`] (read from its `xmlParserVersion`),
/// before any of its structures is read.
fn check_version(library: &Library, name: &str) -> Result<(), LoadFailure> {
    let unusable = |problem: String| LoadFailure::Unusable {
        library: name.to_string(),
        problem,
    };
    // SAFETY: `xmlParserVersion` is libxml2's `const char *const` holding its version as a NUL-terminated string
    // (every release of the ABI exports it); the symbol's address is that variable's.
    let version = unsafe {
        let variable = library
            .get::<*const *const c_char>(b"xmlParserVersion\0")
            .map_err(|e| unusable(format!("it has no xmlParserVersion ({e})")))?;
        text(**variable)
    }
    .unwrap_or_default();
    if supported(&version) {
        Ok(())
    } else {
        Err(unusable(format!(
            "its version is \"{version}\"; this program supports libxml2 2.9 to 2.13 (the libxml2.so.2 ABI)"
        )))
    }
}

/// Whether an `xmlParserVersion` (e.g. `20914`, or `21302-GITv2.13.2` with libxml2's extra text) is supported.
fn supported(version: &str) -> bool {
    let digits: String = version.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse::<u32>()
        .is_ok_and(|v| SUPPORTED_VERSIONS.contains(&v))
}

/// An external entity loader that loads nothing: libxml2 sees a resource that cannot be opened. Installed for the
/// whole process (the loader is global in libxml2). Neither the embedded schemas nor a VAT document ever needs an
/// external entity, DTD or schema document; the parser options already ask for none, and this is the second lock
/// on the same door.
unsafe extern "C" fn refuse_every_entity(
    _url: *const c_char,
    _id: *const c_char,
    _context: *mut ParserCtxt,
) -> *mut ParserInput {
    std::ptr::null_mut()
}

/// A text of libxml2's (NUL-terminated, possibly null), as a Rust string.
///
/// # Safety
/// `text` is null or points to a NUL-terminated string alive for the call.
pub(crate) unsafe fn text(text: *const c_char) -> Option<String> {
    if text.is_null() {
        return None;
    }
    // SAFETY: see above.
    Some(
        unsafe { CStr::from_ptr(text) }
            .to_string_lossy()
            .into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_is_reported_with_what_to_install() {
        let err: MvaError = load(&["libmva-test-no-such-library.so.2"])
            .err()
            .expect("a library that does not exist loaded")
            .into();
        let message = err.to_string();
        assert!(message.starts_with("libxml2 is not installed"), "{message}");
        assert!(message.contains("apt install libxml2"), "{message}");
        assert!(
            message.contains("libmva-test-no-such-library.so.2"),
            "{message}"
        );
    }

    #[test]
    fn only_the_releases_of_the_declared_abi_are_supported() {
        for v in ["20900", "20914", "21302-GITv2.13.2", "21399"] {
            assert!(supported(v), "{v}");
        }
        for v in ["20899", "21400", "21500", "", "x20914", "2.9.14"] {
            assert!(!supported(v), "{v}");
        }
    }

    /// A library of libxml2's name but of the 2.14 ABI (its structures differ) is refused before it is used.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_libxml2_of_another_abi_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("fake.c");
        std::fs::write(&source, "const char *const xmlParserVersion = \"21400\";\n").unwrap();
        let library = dir.path().join("libxml2.so.2");
        let built = std::process::Command::new("cc")
            .args(["-shared", "-fPIC", "-o"])
            .arg(&library)
            .arg(&source)
            .status()
            .expect("cc (the C compiler cargo links with) runs");
        assert!(built.success());
        let err: MvaError = load(&[library.to_str().unwrap()])
            .err()
            .expect("a libxml2 2.14 passed")
            .into();
        let message = err.to_string();
        assert!(message.contains("\"21400\""), "{message}");
        assert!(message.contains("2.9 to 2.13"), "{message}");
    }

    /// A library that opens but is not libxml2 is refused.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_library_that_is_not_libxml2_is_refused() {
        let err: MvaError = load(&["libc.so.6"])
            .err()
            .expect("libc passed for libxml2")
            .into();
        let message = err.to_string();
        assert!(message.contains("libc.so.6"), "{message}");
        assert!(message.contains("xmlParserVersion"), "{message}");
    }

    #[test]
    fn the_external_entity_loader_refuses_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.dtd");
        std::fs::write(&path, "<!ELEMENT r EMPTY>").unwrap();
        let url = std::ffi::CString::new(path.display().to_string()).unwrap();
        let xml = libxml2().unwrap();
        // SAFETY: libxml2's function with its header's signature; a NUL-terminated URL, no ID, no context (allowed
        // by libxml2).
        let input = unsafe {
            let load = xml
                ._library
                .get::<unsafe extern "C" fn(
                    *const c_char,
                    *const c_char,
                    *mut ParserCtxt,
                ) -> *mut ParserInput>(b"xmlLoadExternalEntity\0")
                .unwrap();
            load(url.as_ptr(), std::ptr::null(), std::ptr::null_mut())
        };
        assert!(input.is_null(), "libxml2 opened {}", path.display());
    }
}
