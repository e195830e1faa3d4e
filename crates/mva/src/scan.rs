//! A first, safe pass over a document with quick-xml: refuses DOCTYPEs (no entities can ever be expanded or
//! fetched), checks well-formedness, and records every element with its path, position and text, so schema
//! errors from libxml2 can be given a path and a VAT code.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::finding::{Finding, FindingKind, Severity};

/// One element of a scanned document.
#[derive(Debug, Clone)]
pub(crate) struct Element {
    /// Absolute path of local names, e.g. `/mvaMeldingDto/innsending`.
    pub path: String,
    /// Local name.
    pub name: String,
    /// Index of the parent element.
    pub parent: Option<usize>,
    /// 1-based line of the start tag.
    pub line: u32,
    /// Text content (only for elements with text).
    pub text: String,
}

/// The elements of a document, in document order, and its root.
#[derive(Debug, Clone)]
pub(crate) struct Scanned {
    /// The root's namespace ("" when none).
    pub root_ns: String,
    /// The root's local name.
    pub root_name: String,
    /// All elements.
    pub elements: Vec<Element>,
}

impl Scanned {
    /// The text of the first element at `path`.
    pub fn text(&self, path: &str) -> Option<&str> {
        self.elements
            .iter()
            .find(|e| e.path == path)
            .map(|e| e.text.trim())
    }

    /// The first element whose path starts with `prefix` and has a text, with its local name.
    pub fn first_child_text(&self, prefix: &str) -> Option<(&str, &str)> {
        let prefix = format!("{prefix}/");
        self.elements
            .iter()
            .find(|e| e.path.starts_with(&prefix) && !e.text.trim().is_empty())
            .map(|e| (e.name.as_str(), e.text.trim()))
    }

    /// The element that starts on `line` (the first one), or the last one that starts before it.
    pub fn element_at_line(&self, line: u32) -> Option<usize> {
        self.elements
            .iter()
            .position(|e| e.line == line)
            .or_else(|| self.elements.iter().rposition(|e| e.line < line))
    }

    /// The element named `name` (a child of the given element's path) matching a libxml2 message.
    pub fn best_element(&self, line: Option<u32>, name_hint: Option<&str>) -> Option<usize> {
        if let (Some(line), Some(name)) = (line, name_hint) {
            if let Some(i) = self
                .elements
                .iter()
                .position(|e| e.line == line && e.name == name)
            {
                return Some(i);
            }
        }
        line.and_then(|l| self.element_at_line(l))
    }

    /// The mvaKode of the `mvaSpesifikasjonslinje` that contains element `i`, if any.
    pub fn mva_code_of(&self, i: usize) -> Option<String> {
        let mut cur = Some(i);
        while let Some(c) = cur {
            if self.elements[c].name == "mvaSpesifikasjonslinje" {
                return self
                    .elements
                    .iter()
                    .find(|e| e.parent == Some(c) && e.name == "mvaKode")
                    .map(|e| e.text.trim().to_string());
            }
            cur = self.elements[c].parent;
        }
        None
    }
}

/// The deepest nesting accepted (libxml2's own default limit is 256; VAT documents are about 6 deep).
const MAX_DEPTH: usize = 64;
/// The most elements accepted (bounds the memory a hostile 25 MB file of tiny elements can cost).
const MAX_ELEMENTS: usize = 200_000;

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

/// Scans `bytes`. Refuses any encoding but UTF-8 (so libxml2 later reads the same characters), a DOCTYPE, and
/// malformed or truncated XML with a finding.
pub(crate) fn scan(bytes: &[u8]) -> Result<Scanned, Finding> {
    crate::encoding::require_utf8(bytes)?;
    let mut reader = NsReader::from_reader(bytes);
    reader.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut elements: Vec<Element> = Vec::new();
    let mut root: Option<(String, String)> = None;
    let mut root_closed = false;
    let mut line = 1u32;
    let mut counted = 0usize;
    loop {
        let start = reader.buffer_position() as usize;
        // count lines incrementally up to the start of this event
        line += bytes[counted..start.min(bytes.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u32;
        counted = start.min(bytes.len());
        let event = reader.read_resolved_event_into(&mut buf);
        let (ns, event) = match event {
            Ok(x) => x,
            Err(e) => {
                let pos = reader.error_position() as usize;
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
                if root_closed {
                    return Err(not_well_formed(
                        bytes,
                        start,
                        "not well-formed XML: content after the root element".into(),
                    ));
                }
                let name = match std::str::from_utf8(e.local_name().into_inner()) {
                    Ok(n) => n.to_string(),
                    Err(_) => String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                };
                // the line of the '<' of this tag: skip leading whitespace in the event span
                let tag_line = line
                    + bytes[start.min(bytes.len())..]
                        .iter()
                        .take_while(|b| **b != b'<')
                        .filter(|b| **b == b'\n')
                        .count() as u32;
                if elements.len() >= MAX_ELEMENTS {
                    return Err(not_well_formed(
                        bytes,
                        start,
                        format!("the document has more than {MAX_ELEMENTS} elements; a VAT return has a few hundred"),
                    ));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(not_well_formed(
                        bytes,
                        start,
                        format!("the document is nested deeper than {MAX_DEPTH} elements; a VAT document is about 6 deep"),
                    ));
                }
                let parent = stack.last().copied();
                let parent_path = parent.map(|p| elements[p].path.as_str()).unwrap_or("");
                let mut path = String::with_capacity(parent_path.len() + 1 + name.len());
                path.push_str(parent_path);
                path.push('/');
                path.push_str(&name);
                if root.is_none() {
                    root = Some((ns, name.clone()));
                }
                elements.push(Element {
                    path,
                    name,
                    parent,
                    line: tag_line,
                    text: String::new(),
                });
                if empty {
                    if stack.is_empty() {
                        root_closed = true;
                    }
                } else {
                    stack.push(elements.len() - 1);
                }
            }
            Event::End(_) => {
                stack.pop();
                if stack.is_empty() {
                    root_closed = true;
                }
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| {
                    not_well_formed(bytes, start, format!("not well-formed XML: {e} (entities other than the five predefined ones are refused)"))
                })?;
                match stack.last() {
                    Some(&i) => elements[i].text.push_str(&text),
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
                    elements[i].text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(not_well_formed(
            bytes,
            bytes.len(),
            format!(
                "the document ends before element <{}> is closed: the file is truncated or incomplete",
                elements[*stack.last().unwrap_or(&0)].name
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
        root_ns,
        root_name,
        elements,
    })
}
