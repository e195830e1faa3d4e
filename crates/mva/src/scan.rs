//! A first, safe pass over a document with quick-xml: refuses DOCTYPEs (no entities can ever be expanded or
//! fetched), checks well-formedness, and records every element with its name, parent, byte offsets and text,
//! borrowed from the input (nothing is copied for a well-formed VAT document). Paths and line numbers are worked
//! out only when something asks for them (a finding, a fact), so a valid document costs neither.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell};

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::finding::{Finding, FindingKind, Severity};
use crate::validate::MAX_ELEMENTS;

/// One element of a scanned document.
#[derive(Debug, Clone)]
pub(crate) struct Element<'a> {
    /// Local name.
    pub name: &'a str,
    /// Index of the parent element.
    pub parent: Option<usize>,
    /// Byte offset of the start tag's `<`.
    pub start: usize,
    /// Byte offset of the start tag's closing `>`.
    pub open_end: usize,
    /// Byte offset of the closing `>` of the end tag (of the start tag for an empty element).
    pub close_end: usize,
    /// Text content (entities resolved; borrowed from the input unless it had entities or several pieces).
    pub text: Cow<'a, str>,
}

/// The elements of a document, in document order, and its root.
#[derive(Debug, Clone)]
pub(crate) struct Scanned<'a> {
    /// The document.
    bytes: &'a [u8],
    /// The root's namespace ("" when none).
    pub root_ns: String,
    /// The root's local name.
    pub root_name: &'a str,
    /// All elements.
    pub elements: Vec<Element<'a>>,
    /// Offsets of the newlines, found once lines are asked for often.
    newlines: OnceCell<Vec<usize>>,
    /// How many lines were asked for so far.
    line_lookups: Cell<u32>,
}

impl<'a> Scanned<'a> {
    /// The 1-based line of byte offset `pos`.
    pub fn line_at(&self, pos: usize) -> u32 {
        // A few look-ups (a finding or two) count the newlines before `pos`; many build an index once.
        const COUNT_UP_TO: u32 = 8;
        if self.newlines.get().is_none() && self.line_lookups.get() < COUNT_UP_TO {
            self.line_lookups.set(self.line_lookups.get() + 1);
            return line_of(self.bytes, pos);
        }
        let newlines = self.newlines.get_or_init(|| {
            self.bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i)
                .collect()
        });
        1 + newlines.partition_point(|&n| n < pos) as u32
    }

    /// The 1-based line of element `i`'s start tag.
    pub fn line(&self, i: usize) -> u32 {
        self.line_at(self.elements[i].start)
    }

    /// The 1-based column (in characters) of element `i`'s `<`.
    pub fn column(&self, i: usize) -> u32 {
        column_of(self.bytes, self.elements[i].start)
    }

    /// The absolute path of element `i` (local names), e.g. `/mvaMeldingDto/innsending`.
    pub fn path(&self, i: usize) -> String {
        let mut names = Vec::new();
        let mut cur = Some(i);
        while let Some(c) = cur {
            names.push(self.elements[c].name);
            cur = self.elements[c].parent;
        }
        let mut path = String::new();
        for n in names.iter().rev() {
            path.push('/');
            path.push_str(n);
        }
        path
    }

    /// Whether element `i` is at `path` (compared name by name from the element up, nothing allocated).
    pub fn is_at(&self, i: usize, path: &str) -> bool {
        let mut cur = Some(i);
        let mut rest = path;
        while let Some(c) = cur {
            let e = &self.elements[c];
            match rest.strip_suffix(e.name).and_then(|r| r.strip_suffix('/')) {
                Some(r) => rest = r,
                None => return false,
            }
            cur = e.parent;
        }
        rest.is_empty()
    }

    /// The first element at `path`.
    pub fn find(&self, path: &str) -> Option<usize> {
        let last = path.rsplit('/').next().unwrap_or(path);
        (0..self.elements.len()).find(|&i| self.elements[i].name == last && self.is_at(i, path))
    }

    /// The elements at `path`, in document order.
    pub fn all_at<'s>(&'s self, path: &'s str) -> impl Iterator<Item = usize> + 's {
        let last = path.rsplit('/').next().unwrap_or(path);
        (0..self.elements.len())
            .filter(move |&i| self.elements[i].name == last && self.is_at(i, path))
    }

    /// The text of the first element at `path`.
    pub fn text(&self, path: &str) -> Option<&str> {
        self.find(path).map(|i| self.elements[i].text.trim())
    }

    /// The first element below an element at `prefix` that has a text, with its local name.
    pub fn first_child_text(&self, prefix: &str) -> Option<(&str, &str)> {
        (0..self.elements.len())
            .filter(|&i| !self.elements[i].text.trim().is_empty())
            .find(|&i| {
                let mut up = self.elements[i].parent;
                while let Some(a) = up {
                    if self.is_at(a, prefix) {
                        return true;
                    }
                    up = self.elements[a].parent;
                }
                false
            })
            .map(|i| (self.elements[i].name, self.elements[i].text.trim()))
    }

    /// The element libxml2 means by an error on `line` naming `name_hint`: the one named so whose start tag or end
    /// tag ends on that line (libxml2 reports the line it had read to: the end of the start tag, or of the end tag
    /// for what it finds when an element closes); failing that, the first element that starts on the line, or the
    /// last one that starts before it.
    pub fn best_element(&self, line: Option<u32>, name_hint: Option<&str>) -> Option<usize> {
        let line = line?;
        if let Some(name) = name_hint {
            if let Some(i) = (0..self.elements.len()).find(|&i| {
                let e = &self.elements[i];
                e.name == name
                    && (self.line_at(e.open_end) == line
                        || self.line_at(e.close_end) == line
                        || self.line_at(e.start) == line)
            }) {
                return Some(i);
            }
        }
        let starts = |i: usize| self.line(i);
        (0..self.elements.len())
            .find(|&i| starts(i) == line)
            .or_else(|| (0..self.elements.len()).rev().find(|&i| starts(i) < line))
    }

    /// The mvaKode of the `mvaSpesifikasjonslinje` that contains element `i`, if any.
    pub fn mva_code_of(&self, i: usize) -> Option<String> {
        let mut cur = Some(i);
        while let Some(c) = cur {
            let line = &self.elements[c];
            if line.name == "mvaSpesifikasjonslinje" {
                // its children follow it, up to its end tag
                return self.elements[c + 1..]
                    .iter()
                    .take_while(|e| e.start < line.close_end)
                    .find(|e| e.parent == Some(c) && e.name == "mvaKode")
                    .map(|e| e.text.trim().to_string());
            }
            cur = line.parent;
        }
        None
    }
}

/// The deepest nesting accepted (libxml2's own default limit is 256; VAT documents are about 6 deep).
pub(crate) const MAX_DEPTH: usize = 64;

fn line_of(bytes: &[u8], pos: usize) -> u32 {
    let end = pos.min(bytes.len());
    1 + bytes[..end].iter().filter(|b| **b == b'\n').count() as u32
}

fn column_of(bytes: &[u8], pos: usize) -> u32 {
    let end = pos.min(bytes.len());
    let start = bytes[..end]
        .iter()
        .rposition(|b| *b == b'\n')
        .map(|p| p + 1)
        .unwrap_or(0);
    1 + String::from_utf8_lossy(&bytes[start..end]).chars().count() as u32
}

fn not_well_formed(bytes: &[u8], pos: usize, message: String) -> Finding {
    let mut f = Finding::new(Severity::Error, FindingKind::NotWellFormed, message);
    f.line = Some(line_of(bytes, pos));
    f.column = Some(column_of(bytes, pos));
    f
}

/// Appends a piece of an element's text. Pieces of white space before the first real text are dropped (every
/// reader trims the text), so an element with one piece of text, the usual case, borrows it from the input.
fn append<'a>(text: &mut Cow<'a, str>, piece: Cow<'a, str>) {
    if text.is_empty() {
        *text = piece;
    } else if text.trim().is_empty() {
        if !piece.trim().is_empty() || text.is_empty() {
            *text = piece;
        }
    } else if !piece.is_empty() {
        text.to_mut().push_str(&piece);
    }
}

/// Scans `bytes` with the default limit on the number of elements.
pub(crate) fn scan(bytes: &[u8]) -> Result<Scanned<'_>, Finding> {
    scan_limited(bytes, MAX_ELEMENTS)
}

/// Scans `bytes`. Refuses any encoding but UTF-8 (so libxml2 later reads the same characters), a DOCTYPE, more
/// than `max_elements` elements, and malformed or truncated XML with a finding.
pub(crate) fn scan_limited(bytes: &[u8], max_elements: usize) -> Result<Scanned<'_>, Finding> {
    scan_inner(bytes, max_elements, false)
}

/// Checks the whole input's encoding and scans the prolog up to the root's start tag (the only place a DOCTYPE
/// or an XML declaration can be): the result holds the root element alone.
pub(crate) fn prolog(bytes: &[u8]) -> Result<Scanned<'_>, Finding> {
    scan_inner(bytes, MAX_ELEMENTS, true)
}

fn scan_inner(bytes: &[u8], max_elements: usize, root_only: bool) -> Result<Scanned<'_>, Finding> {
    // The whole input is checked once: names and texts are borrowed as `str` from here on.
    let doc = crate::encoding::require_utf8(bytes)?;
    // quick-xml drops a UTF-8 byte order mark without counting it in its positions: drop it here instead, and
    // shift every position by its length, so positions are offsets into `bytes`.
    let shift = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut reader = NsReader::from_reader(&bytes[shift..]);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<usize> = Vec::new();
    let mut elements: Vec<Element> = Vec::new();
    let mut root: Option<(String, &str)> = None;
    let mut root_closed = false;
    loop {
        let start = reader.buffer_position() as usize + shift;
        let event = reader.read_resolved_event();
        let (ns, event) = match event {
            Ok(x) => x,
            Err(e) => {
                let pos = reader.error_position() as usize + shift;
                return Err(not_well_formed(
                    bytes,
                    pos,
                    format!("not well-formed XML: {e}"),
                ));
            }
        };
        // Only the root's namespace is needed: resolve it to a string once.
        let ns = match ns {
            ResolveResult::Bound(n) if root.is_none() => {
                String::from_utf8_lossy(n.as_ref()).into_owned()
            }
            ResolveResult::Unknown(p) => {
                return Err(not_well_formed(
                    bytes,
                    start,
                    format!(
                        "not well-formed XML: undeclared namespace prefix \"{}\"",
                        String::from_utf8_lossy(&p)
                    ),
                ))
            }
            _ => String::new(),
        };
        // the offset of the event's last byte (the '>' of a tag)
        let end = (reader.buffer_position() as usize + shift).saturating_sub(1);
        match event {
            Event::Decl(ref d) => {
                if let Some(Ok(declared)) = d.encoding() {
                    if !crate::encoding::is_utf8_name(&declared) {
                        let mut f = crate::encoding::declared_encoding_refused(&declared);
                        f.line = Some(line_of(bytes, start));
                        return Err(f);
                    }
                }
            }
            Event::DocType(_) => {
                let mut f = not_well_formed(
                    bytes,
                    start,
                    "the document has a DOCTYPE: DTDs and entity declarations are refused (they allow XML bombs and \
                     reading local files); VAT documents never have one. Remove the <!DOCTYPE ...> declaration"
                        .into(),
                );
                f.kind = FindingKind::DoctypeForbidden;
                return Err(f);
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                // the '<' of this tag (the event starts there; skip white space should it not)
                let lt = start
                    + bytes[start.min(bytes.len())..]
                        .iter()
                        .position(|b| *b == b'<')
                        .unwrap_or(0);
                if root_closed {
                    return Err(not_well_formed(
                        bytes,
                        lt,
                        "not well-formed XML: content after the root element".into(),
                    ));
                }
                // The name, borrowed from the document: right after the '<', without its prefix.
                let qname_len = e.name().as_ref().len();
                let qname = doc.get(lt + 1..lt + 1 + qname_len).unwrap_or("");
                let name = qname.rsplit(':').next().unwrap_or(qname);
                if elements.len() >= max_elements {
                    return Err(not_well_formed(
                        bytes,
                        lt,
                        format!("the document has more than {max_elements} elements; a VAT return has a few hundred"),
                    ));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(not_well_formed(
                        bytes,
                        lt,
                        format!("the document is nested deeper than {MAX_DEPTH} elements; a VAT document is about 6 deep"),
                    ));
                }
                if root.is_none() {
                    root = Some((ns, name));
                }
                elements.push(Element {
                    name,
                    parent: stack.last().copied(),
                    start: lt,
                    open_end: end,
                    close_end: end,
                    text: Cow::Borrowed(""),
                });
                if root_only {
                    break;
                }
                if empty {
                    if stack.is_empty() {
                        root_closed = true;
                    }
                } else {
                    stack.push(elements.len() - 1);
                }
            }
            Event::End(_) => {
                if let Some(i) = stack.pop() {
                    elements[i].close_end = end;
                }
                if stack.is_empty() {
                    root_closed = true;
                }
            }
            Event::Text(t) => {
                // The text's bytes are the document's own (a slice reader borrows).
                let raw = doc.get(start..start + t.len()).unwrap_or("");
                let text = quick_xml::escape::unescape(raw).map_err(|e| {
                    not_well_formed(bytes, start, format!("not well-formed XML: {e} (entities other than the five predefined ones are refused)"))
                })?;
                match stack.last() {
                    Some(&i) => append(&mut elements[i].text, text),
                    None if text.trim().is_empty() => {}
                    None => {
                        return Err(not_well_formed(
                            bytes,
                            start,
                            "not well-formed XML: text outside the root element".into(),
                        ))
                    }
                }
            }
            Event::CData(t) => {
                if let Some(&i) = stack.last() {
                    // "<![CDATA[" is 9 bytes
                    let raw = doc.get(start + 9..start + 9 + t.len()).unwrap_or("");
                    append(&mut elements[i].text, Cow::Borrowed(raw));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(&open) = stack.last().filter(|_| !root_only) {
        return Err(not_well_formed(
            bytes,
            bytes.len(),
            format!(
                "the document ends before element <{}> is closed: the file is truncated or incomplete",
                elements[open].name
            ),
        ));
    }
    let (root_ns, root_name) = root.ok_or_else(|| {
        Finding::new(
            Severity::Error,
            FindingKind::NotWellFormed,
            "not XML: the input has no root element",
        )
    })?;
    Ok(Scanned {
        bytes,
        root_ns,
        root_name,
        elements,
        newlines: OnceCell::new(),
        line_lookups: Cell::new(0),
    })
}
