//! A small façade over quick-xml's writer: documents are written with a real XML writer, never with `format!`.

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use crate::error::MvaError;

/// An indented XML document being written.
pub struct XmlOut {
    w: Writer<Vec<u8>>,
}

fn err(e: impl std::fmt::Display) -> MvaError {
    MvaError::XmlWrite(e.to_string())
}

impl XmlOut {
    /// Starts a UTF-8 document with an XML declaration.
    pub fn new() -> Result<Self, MvaError> {
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
            .map_err(err)?;
        Ok(Self { w })
    }
    /// Opens the root element in namespace `ns` (default namespace).
    pub fn root(&mut self, name: &str, ns: &str) -> Result<&mut Self, MvaError> {
        let mut s = BytesStart::new(name);
        s.push_attribute(("xmlns", ns));
        self.w.write_event(Event::Start(s)).map_err(err)?;
        Ok(self)
    }
    /// Opens an element.
    pub fn start(&mut self, name: &str) -> Result<&mut Self, MvaError> {
        self.w
            .write_event(Event::Start(BytesStart::new(name)))
            .map_err(err)?;
        Ok(self)
    }
    /// Closes an element.
    pub fn end(&mut self, name: &str) -> Result<&mut Self, MvaError> {
        self.w
            .write_event(Event::End(BytesEnd::new(name)))
            .map_err(err)?;
        Ok(self)
    }
    /// Writes `<name>text</name>`, escaping the text.
    pub fn leaf(&mut self, name: &str, text: &str) -> Result<&mut Self, MvaError> {
        self.start(name)?;
        self.w
            .write_event(Event::Text(BytesText::new(text)))
            .map_err(err)?;
        self.end(name)
    }
    /// Writes a leaf only when there is a value.
    pub fn opt_leaf(&mut self, name: &str, text: Option<&str>) -> Result<&mut Self, MvaError> {
        if let Some(t) = text {
            self.leaf(name, t)?;
        }
        Ok(self)
    }
    /// The document's bytes.
    pub fn finish(self) -> Vec<u8> {
        let mut v = self.w.into_inner();
        v.push(b'\n');
        v
    }
}
