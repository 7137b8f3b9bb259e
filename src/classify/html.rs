//! What a reader sees of an HTML body: its visible text, in order, and its
//! visible links. One forgiving pass; never panics, whatever the input.
//!
//! Not visible, and so never evidence of anything: comments, `<head>`,
//! `<title>`, `<style>`, `<script>` and `<template>` contents, and elements
//! hidden by the `hidden` attribute or by an inline style (or a `<style>`
//! class rule) with `display:none`, `visibility:hidden`, a zero font size,
//! zero opacity, a zero height or width with hidden overflow, or
//! `mso-hide:all`. A malformed tag or an unbalanced quote never swallows
//! the text after it: a tag ends at its first `>`, and an unterminated
//! comment at the next `>`.

use std::collections::{HashMap, HashSet};

/// A link found in an HTML body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The `href` value, entity-decoded and trimmed.
    pub href: String,
    /// The anchor text.
    pub text: String,
}

/// The visible text and links of an HTML document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HtmlText {
    /// The visible text, in document order, whitespace collapsed.
    pub text: String,
    /// The visible `<a href>` links, in document order.
    pub links: Vec<Link>,
}

/// What a tag name is, as bit flags: one lookup per tag.
mod kind {
    /// Starts a new line of text.
    pub(super) const BLOCK: u8 = 1;
    /// Never has content, never pushed.
    pub(super) const VOID: u8 = 2;
    /// Closes an open `<p>` (HTML's "close a p element").
    pub(super) const CLOSES_P: u8 = 4;
    /// May appear in `<head>`; any other start tag ends it.
    pub(super) const HEAD_CONTENT: u8 = 8;
    /// Content never rendered (raw text up to the end tag).
    pub(super) const RAW_HIDDEN: u8 = 16;
}

/// The [`kind`] flags of an element name (lowercase), and its number
/// among the names known here (`0` for any other), so open elements of
/// known names are counted without hashing.
fn kind_of(name: &str) -> (u8, u8) {
    use kind::*;
    match name {
        "a" => (0, 1),
        "abbr" => (0, 2),
        "address" => (BLOCK | CLOSES_P, 3),
        "area" => (VOID, 4),
        "article" => (BLOCK | CLOSES_P, 5),
        "aside" => (BLOCK | CLOSES_P, 6),
        "audio" => (0, 7),
        "b" => (0, 8),
        "base" => (HEAD_CONTENT | VOID, 9),
        "basefont" => (VOID, 10),
        "big" => (0, 11),
        "blockquote" => (BLOCK | CLOSES_P, 12),
        "body" => (0, 13),
        "br" => (BLOCK | VOID, 14),
        "button" => (0, 15),
        "canvas" => (0, 16),
        "caption" => (0, 17),
        "center" => (BLOCK | CLOSES_P, 18),
        "cite" => (0, 19),
        "code" => (0, 20),
        "col" => (VOID, 21),
        "colgroup" => (0, 22),
        "dd" => (BLOCK, 23),
        "del" => (0, 24),
        "details" => (CLOSES_P, 25),
        "dialog" => (CLOSES_P, 26),
        "dir" => (CLOSES_P, 27),
        "div" => (BLOCK | CLOSES_P, 28),
        "dl" => (BLOCK | CLOSES_P, 29),
        "dt" => (BLOCK, 30),
        "em" => (0, 31),
        "embed" => (VOID, 32),
        "fieldset" => (CLOSES_P, 33),
        "figcaption" => (BLOCK | CLOSES_P, 34),
        "figure" => (BLOCK | CLOSES_P, 35),
        "font" => (0, 36),
        "footer" => (BLOCK | CLOSES_P, 37),
        "form" => (CLOSES_P, 38),
        "frame" => (VOID, 39),
        "h1" => (BLOCK | CLOSES_P, 40),
        "h2" => (BLOCK | CLOSES_P, 41),
        "h3" => (BLOCK | CLOSES_P, 42),
        "h4" => (BLOCK | CLOSES_P, 43),
        "h5" => (BLOCK | CLOSES_P, 44),
        "h6" => (BLOCK | CLOSES_P, 45),
        "head" => (0, 46),
        "header" => (BLOCK | CLOSES_P, 47),
        "hgroup" => (CLOSES_P, 48),
        "hr" => (BLOCK | CLOSES_P | VOID, 49),
        "html" => (0, 50),
        "i" => (0, 51),
        "iframe" => (0, 52),
        "img" => (VOID, 53),
        "input" => (VOID, 54),
        "ins" => (0, 55),
        "keygen" => (VOID, 56),
        "label" => (0, 57),
        "legend" => (0, 58),
        "li" => (BLOCK, 59),
        "link" => (HEAD_CONTENT | VOID, 60),
        "main" => (BLOCK | CLOSES_P, 61),
        "map" => (0, 62),
        "mark" => (0, 63),
        "menu" => (CLOSES_P, 64),
        "meta" => (HEAD_CONTENT | VOID, 65),
        "nav" => (BLOCK | CLOSES_P, 66),
        "nobr" => (0, 67),
        "noscript" => (HEAD_CONTENT, 68),
        "o" => (HEAD_CONTENT, 69),
        "object" => (0, 70),
        "ol" => (BLOCK | CLOSES_P, 71),
        "option" => (0, 72),
        "p" => (BLOCK | CLOSES_P, 73),
        "param" => (VOID, 74),
        "picture" => (0, 75),
        "pre" => (BLOCK | CLOSES_P, 76),
        "q" => (0, 77),
        "s" => (0, 78),
        "script" => (HEAD_CONTENT | RAW_HIDDEN, 79),
        "section" => (BLOCK | CLOSES_P, 80),
        "select" => (0, 81),
        "small" => (0, 82),
        "source" => (VOID, 83),
        "span" => (0, 84),
        "strike" => (0, 85),
        "strong" => (0, 86),
        "style" => (HEAD_CONTENT | RAW_HIDDEN, 87),
        "sub" => (0, 88),
        "summary" => (0, 89),
        "sup" => (0, 90),
        "svg" => (0, 91),
        "table" => (BLOCK | CLOSES_P, 92),
        "tbody" => (BLOCK, 93),
        "td" => (BLOCK, 94),
        "template" => (HEAD_CONTENT | RAW_HIDDEN, 95),
        "textarea" => (RAW_HIDDEN, 96),
        "tfoot" => (BLOCK, 97),
        "th" => (BLOCK, 98),
        "thead" => (BLOCK, 99),
        "time" => (0, 100),
        "title" => (HEAD_CONTENT | RAW_HIDDEN, 101),
        "tr" => (BLOCK, 102),
        "track" => (VOID, 103),
        "tt" => (0, 104),
        "u" => (0, 105),
        "ul" => (BLOCK | CLOSES_P, 106),
        "var" => (0, 107),
        "video" => (0, 108),
        "wbr" => (VOID, 109),
        "xml" => (HEAD_CONTENT | RAW_HIDDEN, 110),
        _ => (0, 0),
    }
}

/// How many names [`kind_of`] numbers, plus one.
const KNOWN_NAMES: usize = 111;

/// Most open elements tracked; deeper nesting is treated as flat (bounded
/// memory on hostile input).
const MAX_DEPTH: usize = 512;

/// An element name, lowercase, kept inline (names past 16 bytes are cut,
/// consistently, which no real tag needs).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Name {
    len: u8,
    buf: [u8; 16],
    /// Its number among the known names ([`kind_of`]), `0` if none.
    id: u8,
}

impl Name {
    /// Whether this is `name` (a name of at most 16 bytes).
    fn is(&self, name: &str) -> bool {
        self.buf.get(..usize::from(self.len)) == Some(name.as_bytes())
    }

    fn new(name: &str) -> Self {
        Name::numbered(name, kind_of(name).1)
    }

    /// `name`, whose number [`kind_of`] gave as `id`.
    fn numbered(name: &str, id: u8) -> Self {
        let bytes = name.as_bytes();
        let len = bytes.len().min(16);
        // Assembled in registers, eight bytes at a time (a copy of a
        // variable length into the array, read back at once, stalled the
        // processor on every tag).
        let word = |from: usize| {
            let part = bytes.get(from..len).unwrap_or_default();
            part.iter()
                .take(8)
                .rev()
                .fold(0u64, |w, &b| (w << 8) | u64::from(b))
        };
        let (lo, hi) = (word(0), word(8));
        let mut buf = [0u8; 16];
        let (a, b) = buf.split_at_mut(8);
        a.copy_from_slice(&lo.to_le_bytes());
        b.copy_from_slice(&hi.to_le_bytes());
        Name {
            len: u8::try_from(len).unwrap_or(16),
            buf,
            id,
        }
    }
}

struct Open {
    name: Name,
    hidden: bool,
}

struct Walker {
    out: HtmlText,
    stack: Vec<Open>,
    /// How many elements of each name are open, so a search for one that
    /// is not open costs nothing (hostile markup opens hundreds of
    /// elements and never closes them).
    open_counts: HashMap<Name, u32, foldhash::fast::FixedState>,
    /// The same for the known names, by number, without hashing.
    known_counts: [u32; KNOWN_NAMES],
    /// For each raw-text element (by number), the length of what was left
    /// of the document when a search for its end tag found none (`0`:
    /// never searched in vain).
    no_end_tag_within: [usize; KNOWN_NAMES],
    hidden_classes: HashSet<String>,
    in_head: bool,
    open_link: Option<(String, usize)>,
    space: bool,
}

impl Walker {
    fn hidden(&self) -> bool {
        self.in_head || self.stack.last().is_some_and(|o| o.hidden)
    }

    fn push_text(&mut self, raw: &str) {
        // An empty text node (between two tags) changes nothing: white
        // space owed before it is still owed after it.
        if self.hidden() || raw.is_empty() {
            return;
        }
        let mut decoded = String::new();
        let text: &str = if memchr::memchr(b'&', raw.as_bytes()).is_some() {
            decode_entities_into(&mut decoded, raw);
            &decoded
        } else {
            raw
        };
        if text.is_ascii() {
            // What pushing the pieces of the `split` below one by one gives,
            // pushed a run at a time: a run is words separated by single
            // spaces, which stay as they are.
            let bytes = text.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                let blank = bytes
                    .get(i..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|&&b| is_ascii_space(b))
                    .count();
                if blank > 0 {
                    self.space = true;
                    i += blank;
                    continue;
                }
                let start = i;
                while let Some(&b) = bytes.get(i) {
                    if !is_ascii_space(b) {
                        i += 1;
                    } else if b == b' ' && bytes.get(i + 1).is_some_and(|&n| !is_ascii_space(n)) {
                        i += 2;
                    } else {
                        break;
                    }
                }
                self.push_word(text.get(start..i).unwrap_or_default());
            }
        } else {
            for word in text.split(|c: char| c.is_whitespace()) {
                self.push_word(word);
            }
        }
        // `split` yields a last piece after the last white space (empty when
        // the text ends with one); the space it set is owed only if white
        // space really ended the text.
        self.space = text.ends_with(char::is_whitespace);
    }

    /// One piece of text between white space (empty between two spaces).
    #[inline]
    fn push_word(&mut self, word: &str) {
        if word.is_empty() {
            self.space = true;
            return;
        }
        if self.space && !(self.out.text.is_empty() || self.out.text.ends_with('\n')) {
            self.out.text.push(' ');
        }
        self.out.text.push_str(word);
        self.space = true;
    }

    fn push_break(&mut self) {
        if !self.hidden() && !self.out.text.is_empty() && !self.out.text.ends_with('\n') {
            self.out.text.push('\n');
        }
        self.space = false;
    }

    fn close_link(&mut self) {
        if let Some((href, start)) = self.open_link.take() {
            let text = self
                .out
                .text
                .get(start..)
                .unwrap_or_default()
                .trim()
                .to_owned();
            self.out.links.push(Link { href, text });
        }
    }

    fn is_open(&self, name: Name) -> bool {
        if name.id != 0 {
            return self
                .known_counts
                .get(usize::from(name.id))
                .is_some_and(|n| *n > 0);
        }
        self.open_counts.get(&name).is_some_and(|n| *n > 0)
    }

    fn push(&mut self, open: Open) {
        match self.known_counts.get_mut(usize::from(open.name.id)) {
            Some(n) if open.name.id != 0 => *n += 1,
            _ => *self.open_counts.entry(open.name).or_insert(0) += 1,
        }
        self.stack.push(open);
    }

    fn truncate(&mut self, len: usize) {
        while self.stack.len() > len {
            if let Some(open) = self.stack.pop() {
                let known = self
                    .known_counts
                    .get_mut(usize::from(open.name.id))
                    .filter(|_| open.name.id != 0);
                if let Some(n) = known.or_else(|| self.open_counts.get_mut(&open.name)) {
                    *n = n.saturating_sub(1);
                }
            }
        }
    }

    /// Close the last open `name` unless a boundary element is open above it.
    fn close_implied(&mut self, name: &str, boundaries: &[&str]) {
        let name = Name::new(name);
        if !self.is_open(name) {
            return;
        }
        for i in (0..self.stack.len()).rev() {
            let Some(open) = self.stack.get(i) else {
                break;
            };
            if open.name == name {
                self.truncate(i);
                return;
            }
            if boundaries.iter().any(|b| open.name.is(b)) {
                return;
            }
        }
    }

    fn start_tag(&mut self, name: &str, (k, id): (u8, u8), tag: &str, self_closing: bool) {
        if self.in_head && (name == "body" || k & kind::HEAD_CONTENT == 0) {
            self.in_head = false;
        }
        if name == "head" {
            // A `<head>` start tag only means something before the body.
            self.in_head = self.out.text.is_empty() && self.stack.len() <= 1;
            return;
        }
        if k & kind::CLOSES_P != 0 {
            self.close_implied("p", &["table", "td", "th", "button", "li"]);
        }
        match name {
            "li" => self.close_implied("li", &["ul", "ol", "table"]),
            "td" | "th" => {
                self.close_implied("td", &["tr", "table"]);
                self.close_implied("th", &["tr", "table"]);
            }
            "tr" => self.close_implied("tr", &["table"]),
            _ => {}
        }
        if k & kind::BLOCK != 0 {
            self.push_break();
        }
        let has_attributes = tag.len() > name.len() + 3;
        let is_link = name == "a";
        let (hides_self, href) = if has_attributes {
            inspect(tag, &self.hidden_classes, is_link)
        } else {
            (false, None)
        };
        if is_link {
            if let Some(href) = href {
                self.close_link();
                if !self.hidden() && !hides_self {
                    self.open_link = Some((href, self.out.text.len()));
                }
            }
        }
        if k & kind::VOID != 0 || self_closing {
            return;
        }
        let hidden = self.hidden() || hides_self;
        if self.stack.len() < MAX_DEPTH {
            self.push(Open {
                name: Name::numbered(name, id),
                hidden,
            });
        }
    }

    fn end_tag(&mut self, name: &str, k: u8, id: u8) {
        if name == "head" {
            self.in_head = false;
            return;
        }
        if name == "a" {
            self.close_link();
        }
        let wanted = Name::numbered(name, id);
        if !self.is_open(wanted) {
            // Not open: nothing to close.
        } else if let Some(i) = self.stack.iter().rposition(|o| o.name == wanted) {
            self.truncate(i);
        }
        if k & kind::BLOCK != 0 {
            self.push_break();
        }
    }
}

/// The visible text and links of an HTML body (see the module docs for
/// what counts as hidden).
pub fn html_to_text(html: &str) -> HtmlText {
    // `finish` walks whatever is left.
    TextWalker::new(html).finish()
}

/// [`html_to_text`] in steps: the visible text grows as the document is
/// walked, and a caller that has seen enough stops early. The text so far
/// is always a prefix of the whole document's text (it only grows).
pub(crate) struct TextWalker<'a> {
    w: Walker,
    rest: &'a str,
}

impl<'a> TextWalker<'a> {
    pub(crate) fn new(html: &'a str) -> Self {
        TextWalker {
            w: Walker {
                out: HtmlText::default(),
                stack: Vec::new(),
                open_counts: HashMap::default(),
                known_counts: [0; KNOWN_NAMES],
                no_end_tag_within: [0; KNOWN_NAMES],
                hidden_classes: HashSet::new(),
                in_head: false,
                open_link: None,
                space: false,
            },
            rest: html,
        }
    }

    /// The visible text so far.
    pub(crate) fn text(&self) -> &str {
        &self.w.out.text
    }

    /// Walk on until the visible text is at least `min_text` bytes long or
    /// the document ends; returns whether it ended.
    pub(crate) fn advance(&mut self, min_text: usize) -> bool {
        let w = &mut self.w;
        let mut rest = self.rest;
        while !rest.is_empty() && w.out.text.len() < min_text {
            let Some(lt) = memchr::memchr(b'<', rest.as_bytes()) else {
                w.push_text(rest);
                rest = "";
                break;
            };
            w.push_text(rest.get(..lt).unwrap_or_default());
            rest = rest.get(lt..).unwrap_or_default();
            let next = rest.as_bytes().get(1).copied().unwrap_or(b' ');
            if let Some(after) = rest.strip_prefix("<!--") {
                // A comment; unterminated, it ends at the next `>`.
                let end = memchr::memmem::find(after.as_bytes(), b"-->")
                    .map(|e| e + 3)
                    .or_else(|| memchr::memchr(b'>', after.as_bytes()).map(|e| e + 1))
                    .unwrap_or(after.len());
                rest = after.get(end..).unwrap_or_default();
                continue;
            }
            if next == b'!' || next == b'?' {
                let end = memchr::memchr(b'>', rest.as_bytes()).map_or(rest.len(), |e| e + 1);
                rest = rest.get(end..).unwrap_or_default();
                continue;
            }
            let closing = next == b'/';
            let name_start = if closing { 2 } else { 1 };
            if !rest
                .as_bytes()
                .get(name_start)
                .is_some_and(u8::is_ascii_alphabetic)
            {
                // A lone `<` is text.
                w.push_text("<");
                rest = rest.get(1..).unwrap_or_default();
                continue;
            }
            let end = memchr::memchr(b'>', rest.as_bytes()).map_or(rest.len(), |e| e + 1);
            let tag = rest.get(..end).unwrap_or_default();
            rest = rest.get(end..).unwrap_or_default();
            let mut name_buf = [0u8; 32];
            let name = tag_name(tag.get(name_start..).unwrap_or_default(), &mut name_buf);
            let (k, id) = kind_of(name);
            if closing {
                w.end_tag(name, k, id);
                continue;
            }
            let self_closing = tag.trim_end_matches('>').ends_with('/');
            if k & kind::RAW_HIDDEN != 0 && !self_closing {
                // Raw text up to the end tag. A search that found no end
                // tag in what was left finds none later either (what is left
                // only shrinks): remembered, so hostile markup that opens
                // thousands of `<script>`s and never closes them costs one
                // search, not one per tag.
                let close = format!("</{name}");
                let unterminated = w
                    .no_end_tag_within
                    .get(usize::from(id))
                    .is_some_and(|&len| rest.len() <= len);
                let found = if unterminated {
                    None
                } else {
                    find_ascii_ci(rest, &close)
                };
                if found.is_none() {
                    if let Some(len) = w.no_end_tag_within.get_mut(usize::from(id)) {
                        *len = rest.len();
                    }
                }
                let (content, after) = match found {
                    Some(pos) => {
                        let after = rest.get(pos..).unwrap_or_default();
                        let gt =
                            memchr::memchr(b'>', after.as_bytes()).map_or(after.len(), |e| e + 1);
                        (
                            rest.get(..pos).unwrap_or_default(),
                            after.get(gt..).unwrap_or_default(),
                        )
                    }
                    // Unterminated: the start tag is ignored and nothing after
                    // it is swallowed.
                    None => ("", rest),
                };
                if name == "style" {
                    collect_hidden_classes(content, &mut w.hidden_classes);
                }
                if w.in_head && k & kind::HEAD_CONTENT == 0 {
                    w.in_head = false;
                }
                rest = after;
                continue;
            }
            w.start_tag(name, (k, id), tag, self_closing);
        }
        self.rest = rest;
        rest.is_empty()
    }

    /// The whole document's text and links (walks what is left).
    pub(crate) fn finish(mut self) -> HtmlText {
        self.advance(usize::MAX);
        let mut w = self.w;
        w.close_link();
        let trimmed = w.out.text.trim_end().len();
        w.out.text.truncate(trimmed);
        w.out
    }
}

/// The tag's name, lowercase, written into `buf` (at most 32 bytes).
fn tag_name<'b>(after_lt: &str, buf: &'b mut [u8; 32]) -> &'b str {
    let mut len = 0;
    for (slot, b) in buf.iter_mut().zip(
        after_lt
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b':' || *b == b'-'),
    ) {
        *slot = b.to_ascii_lowercase();
        len += 1;
    }
    buf.get(..len)
        .and_then(|b| std::str::from_utf8(b).ok())
        .unwrap_or_default()
}

/// Where `needle` first occurs in `haystack`, ASCII case ignored. The
/// needle is an end tag's opening (`</name`): its first byte, `<`, has no
/// case, so the search jumps from one `<` to the next.
fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let first = *needle.as_bytes().first()?;
    debug_assert!(!first.is_ascii_alphabetic());
    let bytes = haystack.as_bytes();
    let mut from = 0;
    while let Some(at) = bytes.get(from..).and_then(|b| memchr::memchr(first, b)) {
        let i = from + at;
        if bytes
            .get(i..i + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
        {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

/// Whether an element's attributes hide it, and (when `want_href`) its
/// first `href`, entity-decoded and trimmed: one pass over the attributes.
fn inspect(tag: &str, hidden_classes: &HashSet<String>, want_href: bool) -> (bool, Option<String>) {
    let mut hidden = false;
    let mut href = None;
    for_each_attribute(tag, |key, raw| {
        if want_href && href.is_none() && key.eq_ignore_ascii_case("href") {
            href = Some(decoded(raw).trim().to_owned());
        }
        if hidden {
            return;
        }
        if key.eq_ignore_ascii_case("hidden") {
            hidden = true;
        } else if key.eq_ignore_ascii_case("style") {
            hidden = style_hides(&decoded(raw));
        } else if !hidden_classes.is_empty() && key.eq_ignore_ascii_case("class") {
            // Longer names are never collected, so need no look-up.
            let mut buf = [0u8; 64];
            hidden = raw
                .split_ascii_whitespace()
                .any(|c| ascii_lower(c, &mut buf).is_some_and(|c| hidden_classes.contains(c)));
        } else if !hidden_classes.is_empty() && key.eq_ignore_ascii_case("id") {
            let mut buf = [0u8; 65];
            let id = raw.trim();
            hidden = match buf.split_first_mut() {
                Some((hash, rest)) => {
                    *hash = b'#';
                    ascii_lower(id, rest).is_some()
                        && std::str::from_utf8(buf.get(..=id.len()).unwrap_or_default())
                            .is_ok_and(|id| hidden_classes.contains(id))
                }
                None => false,
            };
        }
    });
    (hidden, href)
}

fn decoded(raw: &str) -> std::borrow::Cow<'_, str> {
    if memchr::memchr(b'&', raw.as_bytes()).is_some() {
        let mut out = String::new();
        decode_entities_into(&mut out, raw);
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(raw)
    }
}

/// Whether a CSS declaration block hides what it applies to.
///
/// Allocation-free on the common path: only the value of a property that
/// can hide is looked at, compared without case; only `clip-path` and
/// `transform` values are lowercased into a new string.
fn style_hides(style: &str) -> bool {
    let mut overflow_hidden = false;
    let mut zero_box = false;
    let mut absolute = false;
    let mut offscreen = false;
    let mut color: Option<Colour> = None;
    let mut background: Option<Colour> = None;
    // `;` and `:` found byte by byte: declarations are short, and both are
    // ASCII, so every cut is a character boundary.
    // White space as `str::trim` sees it; ASCII styles need no tables.
    let ascii = style.is_ascii();
    let trim = |s| trim_space(s, ascii);
    let mut rest = style;
    while !rest.is_empty() {
        let end = rest.bytes().position(|b| b == b';').unwrap_or(rest.len());
        let decl = rest.get(..end).unwrap_or_default();
        rest = rest.get(end + 1..).unwrap_or_default();
        let Some(colon) = decl.bytes().position(|b| b == b':') else {
            continue;
        };
        let (prop, value) = (
            decl.get(..colon).unwrap_or_default(),
            decl.get(colon + 1..).unwrap_or_default(),
        );
        let prop = trim(prop);
        let mut pbuf = [0u8; 24];
        let Some(lower) = pbuf.get_mut(..prop.len()) else {
            continue; // longer than any property below
        };
        lower.copy_from_slice(prop.as_bytes());
        lower.make_ascii_lowercase();
        let mut value = trim(value);
        while let Some(v) = value.strip_suffix("!important") {
            value = v;
        }
        let value = trim(value);
        let is = |word: &str| value.eq_ignore_ascii_case(word);
        match &*lower {
            b"display" if is("none") => return true,
            b"visibility" if is("hidden") || is("collapse") => return true,
            b"font-size" | b"opacity" if is_zero(value) => return true,
            b"mso-hide" if is("all") => return true,
            b"max-height" | b"height" | b"max-width" | b"width" if is_zero(value) => {
                zero_box = true
            }
            b"overflow" if is("hidden") => overflow_hidden = true,
            b"clip" => {
                let mut squeezed = value.bytes().filter(|b| *b != b' ');
                let rect = b"rect(0,0,0,0)";
                if rect
                    .iter()
                    .all(|r| squeezed.next().is_some_and(|b| b.eq_ignore_ascii_case(r)))
                    && squeezed.next().is_none()
                {
                    return true;
                }
            }
            b"clip-path" => {
                let v = value.to_ascii_lowercase();
                if v.contains("inset(50%") || v.contains("circle(0") {
                    return true;
                }
            }
            b"transform" if value.to_ascii_lowercase().contains("scale(0)") => return true,
            b"text-indent" if is_far_off(value) => return true,
            b"position" if is("absolute") || is("fixed") => absolute = true,
            b"left" | b"top" | b"right" | b"margin-left" | b"margin-top" if is_far_off(value) => {
                offscreen = true
            }
            b"color" => color = Some(colour(value)),
            b"background" | b"background-color" => background = Some(colour(value)),
            _ => {}
        }
    }
    let same_colour =
        matches!((&color, &background), (Some(c), Some(b)) if !c.is_empty() && c == b);
    (zero_box && overflow_hidden) || (absolute && offscreen) || same_colour
}

/// `s` without leading and trailing white space, as `str::trim` (byte by
/// byte when `ascii`, which the caller knows of `s`).
fn trim_space(s: &str, ascii: bool) -> &str {
    if !ascii {
        return s.trim();
    }
    let b = s.as_bytes();
    let start = b
        .iter()
        .position(|c| !is_ascii_space(*c))
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !is_ascii_space(*c))
        .map_or(start, |e| e + 1);
    s.get(start..end).unwrap_or_default()
}

/// `rest` without its leading `#`s.
fn hex_digits(rest: &[u8]) -> &[u8] {
    let start = rest.iter().position(|b| *b != b'#').unwrap_or(rest.len());
    rest.get(start..).unwrap_or_default()
}

/// `s` lowercased into `buf`, when it fits.
fn ascii_lower<'b>(s: &str, buf: &'b mut [u8]) -> Option<&'b str> {
    let out = buf.get_mut(..s.len())?;
    out.copy_from_slice(s.as_bytes());
    out.make_ascii_lowercase();
    std::str::from_utf8(out).ok()
}

/// A colour in one spelling (see [`colour`]); short ones stay inline.
type Colour = smallvec::SmallVec<[u8; 24]>;

/// A length far off to the negative side (`-999px`, `-100em`, `-5000%`).
fn is_far_off(value: &str) -> bool {
    let number = value.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '%');
    number.parse::<f64>().is_ok_and(|n| n <= -500.0)
}

/// A colour value in one spelling: `#fff`, `#ffffff`, `white` and
/// `rgb(255,255,255)` all read `#ffffff`; anything else lowercased, white
/// space removed, cut before any `url(`.
fn colour(value: &str) -> Colour {
    let mut v = Colour::new();
    let mut utf8 = [0u8; 4];
    for c in value.chars().filter(|c| !c.is_whitespace()) {
        v.extend_from_slice(c.to_ascii_lowercase().encode_utf8(&mut utf8).as_bytes());
    }
    if let Some(at) = v.windows(4).position(|w| w == b"url(") {
        v.truncate(at);
    }
    match v.as_slice() {
        b"white" | b"#fff" | b"#ffffff" | b"rgb(255,255,255)" => Colour::from_slice(b"#ffffff"),
        b"black" | b"#000" | b"#000000" | b"rgb(0,0,0)" => Colour::from_slice(b"#000000"),
        // Every leading `#` dropped, as before (`##fff` reads `#ffffff`).
        [b'#', rest @ ..]
            if {
                let hex = hex_digits(rest);
                hex.len() == 3 && hex.iter().all(u8::is_ascii_hexdigit)
            } =>
        {
            let hex = hex_digits(rest);
            let mut out = Colour::from_slice(b"#");
            for &c in hex {
                out.push(c);
                out.push(c);
            }
            out
        }
        _ => v,
    }
}

fn is_zero(value: &str) -> bool {
    let number = value.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '%');
    !number.is_empty() && number.parse::<f64>().is_ok_and(|n| n == 0.0)
}

/// Classes a stylesheet hides: `.name{...display:none...}` and friends.
fn collect_hidden_classes(css: &str, into: &mut HashSet<String>) {
    let mut rest = css;
    while let Some(open) = rest.find('{') {
        let selectors = rest.get(..open).unwrap_or_default();
        let after = rest.get(open + 1..).unwrap_or_default();
        let close = after.find('}').unwrap_or(after.len());
        let body = after.get(..close).unwrap_or_default();
        rest = after.get(close + 1..).unwrap_or_default();
        if !style_hides(body) {
            continue;
        }
        // Only simple class selectors (`.preheader`, `div.x`, `.a, .b`).
        for selector in selectors.rsplit('}').next().unwrap_or_default().split(',') {
            let selector = selector.trim();
            if selector.contains([' ', '>', '+', '~', ':', '[']) {
                continue;
            }
            if let Some((_, class)) = selector.rsplit_once('.') {
                if !class.is_empty() && class.len() <= 64 && into.len() < 256 {
                    into.insert(class.to_ascii_lowercase());
                }
            } else if let Some((_, id)) = selector.rsplit_once('#') {
                if !id.is_empty() && id.len() <= 64 && into.len() < 256 {
                    into.insert(format!("#{}", id.to_ascii_lowercase()));
                }
            }
        }
    }
}

/// The ASCII characters `char::is_whitespace` accepts.
#[inline]
fn is_ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Call `f` with each attribute's name and raw value (`""` for a bare
/// attribute), in order.
fn for_each_attribute<'a>(tag: &'a str, f: impl FnMut(&'a str, &'a str)) {
    if tag.is_ascii() {
        for_each_attribute_ascii(tag, f);
    } else {
        for_each_attribute_chars(tag, f);
    }
}

/// [`for_each_attribute`] over an ASCII tag, byte by byte: the same
/// attributes as [`for_each_attribute_chars`] (a property test checks it).
fn for_each_attribute_ascii<'a>(tag: &'a str, mut f: impl FnMut(&'a str, &'a str)) {
    let b = tag.as_bytes();
    let at = |i: usize| b.get(i).copied();
    let slice = |from: usize, to: usize| tag.get(from..to).unwrap_or_default();
    let mut i = 0;
    while at(i) == Some(b'<') {
        i += 1;
    }
    while at(i).is_some_and(|c| c.is_ascii_alphanumeric() || c == b':' || c == b'-') {
        i += 1;
    }
    loop {
        while at(i).is_some_and(|c| is_ascii_space(c) || c == b'/') {
            i += 1;
        }
        if matches!(at(i), None | Some(b'>')) {
            return;
        }
        let key_start = i;
        while at(i).is_some_and(|c| !(is_ascii_space(c) || matches!(c, b'=' | b'>' | b'/'))) {
            i += 1;
        }
        let key = slice(key_start, i);
        while at(i).is_some_and(is_ascii_space) {
            i += 1;
        }
        let value = if at(i) == Some(b'=') {
            i += 1;
            while at(i).is_some_and(is_ascii_space) {
                i += 1;
            }
            match at(i) {
                Some(q @ (b'"' | b'\'')) => {
                    let start = i + 1;
                    let inner = b.get(start..).unwrap_or_default();
                    // An unterminated quote ends at the tag's end.
                    let end = memchr::memchr(q, inner)
                        .or_else(|| memchr::memchr(b'>', inner))
                        .map_or(b.len(), |e| start + e);
                    i = end.saturating_add(1).min(b.len());
                    slice(start, end)
                }
                _ => {
                    let start = i;
                    while at(i).is_some_and(|c| !(is_ascii_space(c) || c == b'>')) {
                        i += 1;
                    }
                    slice(start, i)
                }
            }
        } else {
            ""
        };
        if key.is_empty() {
            // Not an attribute: skip one character to make progress.
            i = (i + 1).min(b.len());
        } else {
            f(key, value);
        }
    }
}

/// [`for_each_attribute`] for any tag.
fn for_each_attribute_chars<'a>(tag: &'a str, mut f: impl FnMut(&'a str, &'a str)) {
    // Skip the tag name.
    let body = tag
        .trim_start_matches('<')
        .trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == ':' || c == '-');
    let mut rest = body;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if rest.is_empty() || rest.starts_with('>') {
            return;
        }
        let key_end = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let key = rest.get(..key_end).unwrap_or_default();
        rest = rest.get(key_end..).unwrap_or_default().trim_start();
        let value = if let Some(v) = rest.strip_prefix('=') {
            let v = v.trim_start();
            match v.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let inner = v.get(1..).unwrap_or_default();
                    // An unterminated quote ends at the tag's end.
                    let end = inner
                        .find(q)
                        .or_else(|| memchr::memchr(b'>', inner.as_bytes()))
                        .unwrap_or(inner.len());
                    rest = inner.get(end + 1..).unwrap_or_default();
                    inner.get(..end).unwrap_or_default()
                }
                _ => {
                    let end = v
                        .find(|c: char| c.is_whitespace() || c == '>')
                        .unwrap_or(v.len());
                    rest = v.get(end..).unwrap_or_default();
                    v.get(..end).unwrap_or_default()
                }
            }
        } else {
            ""
        };
        if key.is_empty() {
            // Not an attribute: skip one character to make progress.
            let mut chars = rest.chars();
            chars.next();
            rest = chars.as_str();
        } else {
            f(key, value);
        }
    }
}

fn decode_entities_into(out: &mut String, raw: &str) {
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or_default());
        rest = rest.get(amp..).unwrap_or_default();
        let end = rest
            .char_indices()
            .take(12)
            .find(|&(_, c)| c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|e| {
            let entity = rest.get(1..e)?;
            let c = match entity {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => ' ',
                "shy" => '\u{ad}',
                "zwnj" => '\u{200c}',
                "zwj" => '\u{200d}',
                "copy" => '©',
                "reg" => '®',
                "trade" => '™',
                "rsquo" | "lsquo" => '\'',
                "rdquo" | "ldquo" | "laquo" | "raquo" => '"',
                "mdash" => '—',
                "ndash" => '–',
                "hellip" => '…',
                "euro" => '€',
                "pound" => '£',
                "yen" => '¥',
                "cent" => '¢',
                "deg" => '°',
                "middot" => '·',
                "bull" => '•',
                "eacute" => 'é',
                "egrave" => 'è',
                "ecirc" => 'ê',
                "agrave" => 'à',
                "acirc" => 'â',
                "ccedil" => 'ç',
                "ocirc" => 'ô',
                "ugrave" => 'ù',
                "ucirc" => 'û',
                "icirc" => 'î',
                "iuml" => 'ï',
                "auml" => 'ä',
                "ouml" => 'ö',
                "uuml" => 'ü',
                "Auml" => 'Ä',
                "Ouml" => 'Ö',
                "Uuml" => 'Ü',
                "szlig" => 'ß',
                "ntilde" => 'ñ',
                "aacute" => 'á',
                "iacute" => 'í',
                "oacute" => 'ó',
                "uacute" => 'ú',
                "Eacute" => 'É',
                "iexcl" => '¡',
                "iquest" => '¿',
                _ => {
                    let num = entity.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse::<u32>().ok()?,
                    };
                    char::from_u32(code).filter(|c| !c.is_control() || c.is_whitespace())?
                }
            };
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = rest.get(e + 1..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = rest.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// ASCII text pushed a run at a time gives what pushing each piece
        /// between white space gives, whatever came before it.
        #[test]
        fn ascii_text_runs_push_as_pieces_would(
            before in "[ab\n ]{0,4}",
            owed in any::<bool>(),
            text in "[abc \t\n\x0b\x0c\r]{0,24}",
        ) {
            let fresh = || {
                let mut w = TextWalker::new("").w;
                w.out.text.push_str(&before);
                w.space = owed;
                w
            };
            let mut runs = fresh();
            runs.push_text(&text);
            let mut pieces = fresh();
            if !text.is_empty() {
                for word in text.split(|c: char| is_ascii_space(c as u8)) {
                    pieces.push_word(word);
                }
                pieces.space = text.ends_with(char::is_whitespace);
            }
            prop_assert_eq!(&runs.out.text, &pieces.out.text);
            prop_assert_eq!(runs.space, pieces.space);
        }
    }

    fn attributes(tag: &str, ascii: bool) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let f = |k: &str, v: &str| out.push((k.to_owned(), v.to_owned()));
        if ascii {
            for_each_attribute_ascii(tag, f);
        } else {
            for_each_attribute_chars(tag, f);
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// The byte-by-byte attribute reader reads ASCII tags exactly as
        /// the character-based one does, malformed ones included.
        #[test]
        fn both_attribute_readers_agree_on_ascii_tags(
            tag in "<{0,2}[a-z:-]{0,6}([ \t\n\x0b\x0c\r/]{0,3}([a-z=<>/'\x22-]{0,6}|=[ ]?(\x22[^\x22>]{0,8}\x22?|'[^'>]{0,8}'?|[a-z>]{0,5}))){0,6}>?",
        ) {
            let tag: String = tag.chars().filter(char::is_ascii).collect();
            prop_assert_eq!(attributes(&tag, true), attributes(&tag, false));
        }

        #[test]
        fn ascii_trimming_is_str_trim(s in "[ \t\n\x0b\x0c\ra-z:;!]{0,24}") {
            prop_assert_eq!(trim_space(&s, true), s.trim());
        }

        /// Visible text of ASCII pieces is built the same way as the
        /// character-based split would.
        #[test]
        fn ascii_text_pieces_match_the_split(text in "[a-z \t\n\x0b\x0c\r]{0,40}", before in "[a-z ]{0,5}") {
            let html = format!("<p>{before}</p><span>{text}</span><b>x</b>");
            let mut expected = String::new();
            let mut space = false;
            for (n, piece) in [before.as_str(), text.as_str(), "x"].into_iter().enumerate() {
                for word in piece.split(char::is_whitespace) {
                    if word.is_empty() { space = true; continue; }
                    if space && !(expected.is_empty() || expected.ends_with('\n')) { expected.push(' '); }
                    expected.push_str(word);
                    space = true;
                }
                space = piece.ends_with(char::is_whitespace);
                if n == 0 {
                    // </p> ends a block.
                    if !expected.is_empty() && !expected.ends_with('\n') {
                        expected.push('\n');
                    }
                    space = false;
                }
            }
            prop_assert_eq!(html_to_text(&html).text, expected.trim_end());
        }
    }

    /// Colours read in one spelling, as before the allocation-free rewrite.
    #[test]
    fn colours_in_one_spelling() {
        let same = |a: &str, b: &str| colour(a) == colour(b);
        assert!(same("#FFF", "white"));
        assert!(same("##fff", "#ffffff"));
        assert!(same(" r g b(255, 255,255) ", "WHITE"));
        assert!(same("#000 url(x.png)", "black"));
        assert!(!same("#ffe", "#fff"));
        assert!(!same("##ffffff", "#ffffff"));
        assert!(style_hides("color:##fff;background:#FFFFFF"));
        assert!(!style_hides("color:#fff;background:#000"));
    }

    /// `<script>` start tags that are never closed hide nothing after them
    /// (and, with the failed search remembered, cost one search in all).
    #[test]
    fn unterminated_raw_elements_swallow_nothing() {
        let html = format!("{}<p>Your order has shipped</p>", "<script>x ".repeat(50));
        let t = html_to_text(&html).text;
        assert!(t.ends_with("Your order has shipped"), "{t}");
        assert_eq!(
            html_to_text("<style>.a{}</STYLE><p>ok</p><script>var</script>after").text,
            "ok\nafter"
        );
    }

    /// White space before a tag that is directly followed by another tag
    /// is still white space (it was lost: "Save 50%" read "Save50%").
    #[test]
    fn white_space_survives_an_empty_text_node() {
        assert_eq!(
            html_to_text("<span>Save </span><b>50%</b> off").text,
            "Save 50% off"
        );
        assert_eq!(html_to_text("<i>a</i><b>b</b>").text, "ab");
    }

    #[test]
    fn strips_tags_keeps_order_and_collects_links() {
        let html = r#"<html><head><title>x</title><style>p{color:red}</style></head>
            <body><p>Your order&nbsp;#1042 &amp; receipt</p><!-- hidden -->
            <script>var sale = "50% off";</script>
            <p>See <a href="https://shop.example/u?t=a&amp;b=c" class='x'>Unsubscribe</a> here.</p>
            <p data-x="a">Caf&eacute; &#169; &#x2014;</p></body></html>"#;
        let t = html_to_text(html);
        assert!(
            t.text.starts_with("Your order #1042 & receipt"),
            "{:?}",
            t.text
        );
        assert!(!t.text.contains("50% off"));
        assert!(!t.text.contains("hidden"));
        assert!(!t.text.contains("color"));
        assert!(t.text.contains("Café © —"), "{:?}", t.text);
        assert_eq!(
            t.links,
            vec![Link {
                href: "https://shop.example/u?t=a&b=c".into(),
                text: "Unsubscribe".into()
            }]
        );
    }

    #[test]
    fn hidden_text_is_not_seen() {
        let cases = [
            r#"<div style="display:none">Thank you for your order</div><p>50% off</p>"#,
            r#"<div style="display: none !important;">Thank you for your order</div><p>50% off</p>"#,
            r#"<span style="visibility:hidden">Thank you for your order</span><p>50% off</p>"#,
            r#"<span style="font-size:0px">Thank you for your order</span><p>50% off</p>"#,
            r#"<span style="opacity:0">Thank you for your order</span><p>50% off</p>"#,
            r#"<div style="max-height:0;overflow:hidden">Thank you for your order</div><p>50% off</p>"#,
            r#"<div hidden>Thank you for your order</div><p>50% off</p>"#,
            r#"<style>.pre{display:none}</style><div class="x pre">Thank you for your order</div><p>50% off</p>"#,
            r#"<head><title>Thank you for your order</title></head><p>50% off</p>"#,
            r#"<p>50% off</p><title>Thank you for your order</title>"#,
            r#"<!-- Thank you for your order --><p>50% off</p>"#,
            r#"<p style="display:none">Thank you for your order<p>50% off</p>"#,
            r#"<div style="text-indent:-9999px">Thank you for your order</div><p>50% off</p>"#,
            r#"<div style="position:absolute;left:-10000px">Thank you for your order</div><p>50% off</p>"#,
            r#"<div style="color:#FFF;background-color:#ffffff">Thank you for your order</div><p>50% off</p>"#,
            r#"<style>#fake{display:none}</style><div id="fake">Thank you for your order</div><p>50% off</p>"#,
        ];
        for html in cases {
            let t = html_to_text(html);
            assert_eq!(t.text, "50% off", "{html}");
        }
    }

    #[test]
    fn malformed_markup_never_swallows_visible_text() {
        let cases = [
            (
                r#"<div style="color:red>Order #1</div><p>50% off</p>"#,
                "50% off",
            ),
            (r#"<p class='x>50% off"#, "50% off"),
            (r#"<!-- unterminated > 50% off"#, "50% off"),
            (r#"<title>x 50% off"#, "50% off"),
            (r#"<b>50% off<i>now"#, "50% off"),
            ("a < b and 50% off", "a < b and 50% off"),
        ];
        for (html, expect) in cases {
            let t = html_to_text(html);
            assert!(t.text.contains(expect), "{html}: {:?}", t.text);
        }
        // A stray <head> inside the body hides nothing after it.
        let t = html_to_text("<p>Hi</p><head><p>50% off</p>");
        assert!(t.text.contains("50% off"), "{:?}", t.text);
    }

    #[test]
    fn survives_broken_markup() {
        for s in [
            "<",
            "<a href=",
            "<a href='x",
            "&#xFFFFFFFF;",
            "<script>",
            "a<!--",
            "<<>>&&;;",
            "<style>{{{{}",
            "</>",
            "<a hidden=\"",
        ] {
            let _ = html_to_text(s);
        }
    }
}
