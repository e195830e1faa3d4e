//! The facts of a document gathered from libxml2's SAX events while it validates the document, so a valid
//! document is read once: no index of its elements is built. Also enforces the scan's limits on depth and element
//! count (stopping the parser), so hostile input costs no more here than in the safe scan.

use std::ffi::CStr;
use std::os::raw::{c_int, c_void};

use crate::libxml2::types::{ParserCtxt, SaxHandler, XmlChar};

use crate::facts::{Lookup, PERIOD_PREFIXES, SUM_PATH, TEXT_PATHS};
use crate::scan::MAX_DEPTH;

/// What one text being gathered is for.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// The first element at `TEXT_PATHS[i]`.
    Text(usize),
    /// An element at `SUM_PATH`.
    Sum,
    /// An element below `PERIOD_PREFIXES[i]`.
    Period(usize),
}

/// The facts gathered from SAX events.
#[derive(Debug)]
pub(crate) struct Captured {
    /// The parser whose events these are (set by [`crate::schema`] before it parses).
    pub parser: *mut ParserCtxt,
    /// libxml2's `xmlStopParser` (set with `parser`).
    pub stop_parser: Option<unsafe extern "C" fn(*mut ParserCtxt)>,
    max_elements: usize,
    /// Set when a limit was reached and the parser stopped.
    pub stopped: bool,
    elements: usize,
    /// The current path, e.g. `/mvaMeldingDto/skattepliktig`, and the length it had before each open element.
    path: String,
    lengths: Vec<usize>,
    /// Texts being gathered: (depth of the element, what for, text).
    open: Vec<(usize, Target, String)>,
    /// `TEXT_PATHS[i]`: the text and line of the first element there.
    texts: [Option<(String, u32)>; TEXT_PATHS.len()],
    /// `PERIOD_PREFIXES[i]`: the first element below with a text: name and text.
    periods: [Option<(String, String)>; PERIOD_PREFIXES.len()],
    sum: Option<i64>,
    spec_lines: bool,
}

impl Captured {
    /// A collector that stops the parse after `max_elements` elements.
    pub fn new(max_elements: usize) -> Self {
        Self {
            parser: std::ptr::null_mut(),
            stop_parser: None,
            max_elements,
            stopped: false,
            elements: 0,
            path: String::new(),
            lengths: Vec::new(),
            open: Vec::new(),
            texts: Default::default(),
            periods: Default::default(),
            sum: Some(0),
            spec_lines: false,
        }
    }

    /// The line of the `<` of the start tag being reported (libxml2 is at its end).
    fn start_tag_line(&self) -> u32 {
        if self.parser.is_null() {
            return 0;
        }
        // SAFETY: the parser is alive during its callbacks; `base..=cur` is its current input buffer.
        unsafe {
            let input = (*self.parser).input;
            if input.is_null() || (*input).cur.is_null() || (*input).base.is_null() {
                return 0;
            }
            let line = u32::try_from((*input).line).unwrap_or(0);
            let len = usize::try_from((*input).cur.offset_from((*input).base)).unwrap_or(0);
            let before = std::slice::from_raw_parts((*input).base, len);
            // attribute values cannot hold a '<': the last one before `cur` opens this tag
            let lt = before.iter().rposition(|b| *b == b'<').unwrap_or(0);
            let newlines = before[lt..].iter().filter(|b| **b == b'\n').count() as u32;
            line.saturating_sub(newlines)
        }
    }

    fn start(&mut self, name: &[u8]) {
        self.elements += 1;
        if self.elements > self.max_elements || self.lengths.len() >= MAX_DEPTH {
            self.stopped = true;
            if let (Some(stop), false) = (self.stop_parser, self.parser.is_null()) {
                // SAFETY: stopping the parser from its own callback is what xmlStopParser is for.
                unsafe { stop(self.parser) };
            }
            return;
        }
        let name = std::str::from_utf8(name).unwrap_or("");
        self.lengths.push(self.path.len());
        self.path.push('/');
        self.path.push_str(name);
        if name == "mvaSpesifikasjonslinje" {
            self.spec_lines = true;
        }
        let depth = self.lengths.len();
        let target = if let Some(i) = TEXT_PATHS.iter().position(|p| *p == self.path) {
            if self.texts[i].is_none() {
                self.texts[i] = Some((String::new(), self.start_tag_line()));
                Some(Target::Text(i))
            } else {
                None
            }
        } else if self.path == SUM_PATH {
            Some(Target::Sum)
        } else {
            PERIOD_PREFIXES
                .iter()
                .position(|p| {
                    self.path.len() > p.len() + 1
                        && self.path.starts_with(p)
                        && self.path.as_bytes()[p.len()] == b'/'
                })
                .filter(|&i| self.periods[i].is_none())
                .map(Target::Period)
        };
        if let Some(t) = target {
            self.open.push((depth, t, String::new()));
        }
    }

    fn text(&mut self, text: &[u8]) {
        let depth = self.lengths.len();
        if let Some((d, _, buf)) = self.open.last_mut() {
            if *d == depth {
                buf.push_str(&String::from_utf8_lossy(text));
            }
        }
    }

    fn end(&mut self) {
        let depth = self.lengths.len();
        if matches!(self.open.last(), Some((d, _, _)) if *d == depth) {
            if let Some((_, target, text)) = self.open.pop() {
                match target {
                    Target::Text(i) => {
                        if let Some((t, _)) = &mut self.texts[i] {
                            *t = text;
                        }
                    }
                    Target::Sum => {
                        self.sum = self
                            .sum
                            .and_then(|s| Some(s + crate::facts::parse_amount_ore(&text)?));
                    }
                    Target::Period(i) => {
                        if self.periods[i].is_none() && !text.trim().is_empty() {
                            let name = self.path.rsplit('/').next().unwrap_or("").to_string();
                            self.periods[i] = Some((name, text));
                        }
                    }
                }
            }
        }
        if let Some(len) = self.lengths.pop() {
            self.path.truncate(len);
        }
    }

    /// A SAX2 handler that reports to a `Captured` (its user data).
    pub fn handler() -> SaxHandler {
        let mut sax = SaxHandler::empty();
        sax.startElementNs = Some(on_start);
        sax.endElementNs = Some(on_end);
        sax.characters = Some(on_text);
        sax.cdataBlock = Some(on_text);
        sax
    }
}

impl Lookup for Captured {
    fn text(&self, path: &str) -> Option<&str> {
        let i = TEXT_PATHS.iter().position(|p| *p == path)?;
        self.texts[i].as_ref().map(|(t, _)| t.trim())
    }
    fn first_child_text(&self, prefix: &str) -> Option<(&str, &str)> {
        let i = PERIOD_PREFIXES.iter().position(|p| *p == prefix)?;
        self.periods[i]
            .as_ref()
            .map(|(n, t)| (n.as_str(), t.trim()))
    }
    fn sum_amounts(&self, path: &str) -> Option<i64> {
        if path == SUM_PATH {
            self.sum
        } else {
            None
        }
    }
    fn line_of(&self, path: &str) -> Option<u32> {
        let i = TEXT_PATHS.iter().position(|p| *p == path)?;
        self.texts[i].as_ref().map(|(_, l)| *l).filter(|l| *l > 0)
    }
    fn has_element(&self, name: &str) -> bool {
        name == "mvaSpesifikasjonslinje" && self.spec_lines
    }
}

/// # Safety (all callbacks)
/// libxml2 calls them with the user data given to the SAX plug (a live `Captured`) and NUL-terminated names or
/// `len` bytes of text.
unsafe extern "C" fn on_start(
    ctx: *mut c_void,
    localname: *const XmlChar,
    _prefix: *const XmlChar,
    _uri: *const XmlChar,
    _nb_namespaces: c_int,
    _namespaces: *mut *const XmlChar,
    _nb_attributes: c_int,
    _nb_defaulted: c_int,
    _attributes: *mut *const XmlChar,
) {
    if ctx.is_null() || localname.is_null() {
        return;
    }
    // SAFETY: see above.
    unsafe {
        let c = &mut *(ctx as *mut Captured);
        c.start(CStr::from_ptr(localname.cast()).to_bytes());
    }
}

unsafe extern "C" fn on_end(
    ctx: *mut c_void,
    _localname: *const XmlChar,
    _prefix: *const XmlChar,
    _uri: *const XmlChar,
) {
    if ctx.is_null() {
        return;
    }
    // SAFETY: see above.
    unsafe { (*(ctx as *mut Captured)).end() }
}

unsafe extern "C" fn on_text(ctx: *mut c_void, ch: *const XmlChar, len: c_int) {
    if ctx.is_null() || ch.is_null() || len <= 0 {
        return;
    }
    // SAFETY: see above.
    unsafe {
        let c = &mut *(ctx as *mut Captured);
        c.text(std::slice::from_raw_parts(ch, len as usize));
    }
}
