//! The XML of an Open311 [`Document`]: quick-xml's serde serializer over the typed
//! documents of [`super::documents`], the ones JSON is written from.
//!
//! Whatever text a document holds, the XML parses: markup characters are escaped by
//! quick-xml, and the output passes through [`Carriable`], which writes a carriage return
//! as `&#13;` (a reader would turn a raw one into a line feed) and every character XML 1.0
//! cannot carry ([`is_xml_char`]: C0 controls, U+FFFE, U+FFFF, which validation refuses but
//! an old database may hold) as U+FFFD. Element names are the documents' own ASCII names,
//! so only text is ever changed.

use std::cell::Cell;
use std::fmt;

use quick_xml::se::{QuoteLevel, SeError, Serializer};

use super::documents::Document;

/// The declaration every document starts with.
const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";

thread_local! {
    /// Set while [`to_string`] serialises, on this thread: a [`super::documents::List`]
    /// then writes its items as elements of their own (a JSON array otherwise).
    static WRITING: Cell<bool> = const { Cell::new(false) };
}

/// Whether the serialisation running on this thread writes XML.
pub(crate) fn writing() -> bool {
    WRITING.with(Cell::get)
}

/// Resets [`WRITING`] when serialisation ends, by return or by panic.
struct Writing(bool);

impl Writing {
    fn start() -> Self {
        Writing(WRITING.with(|w| w.replace(true)))
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        WRITING.with(|w| w.set(self.0));
    }
}

/// `doc` as an XML document: the declaration, then `<D::ROOT>…</D::ROOT>`, with empty
/// elements written out (`<address></address>` for a missing address).
pub(crate) fn to_string<D: Document>(doc: &D) -> Result<String, SeError> {
    let mut out = String::from(DECLARATION);
    let _writing = Writing::start();
    let mut sink = Carriable(&mut out);
    let mut ser = Serializer::with_root(&mut sink, Some(D::ROOT))?;
    ser.expand_empty_elements(true);
    ser.set_quote_level(QuoteLevel::Full);
    doc.serialize(ser)?;
    Ok(out)
}

/// Whether XML 1.0 can carry `c` (its `Char` production: tab, line feed, carriage
/// return, U+0020..U+D7FF, U+E000..U+FFFD, U+10000 and up; Rust strings hold no
/// surrogates).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// A writer that passes on what XML can carry: a carriage return as `&#13;`, a character
/// XML 1.0 forbids as U+FFFD.
struct Carriable<'a>(&'a mut String);

impl fmt::Write for Carriable<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if s.chars().all(|c| c != '\r' && is_xml_char(c)) {
            self.0.push_str(s);
            return Ok(());
        }
        for c in s.chars() {
            match c {
                '\r' => self.0.push_str("&#13;"),
                c if !is_xml_char(c) => self.0.push('\u{FFFD}'),
                c => self.0.push(c),
            }
        }
        Ok(())
    }
}
