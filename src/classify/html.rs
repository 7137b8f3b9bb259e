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

/// Elements whose content is never rendered (raw text up to their end tag).
fn is_raw_hidden(name: &str) -> bool {
    matches!(
        name,
        "script" | "style" | "title" | "template" | "xml" | "textarea"
    )
}

/// Elements that start a new line of text.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "br"
            | "div"
            | "tr"
            | "td"
            | "th"
            | "li"
            | "ul"
            | "ol"
            | "table"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "hr"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "blockquote"
            | "center"
            | "dl"
            | "dt"
            | "dd"
            | "pre"
            | "main"
            | "nav"
            | "aside"
            | "figure"
            | "figcaption"
            | "address"
            | "tbody"
            | "thead"
            | "tfoot"
    )
}

/// Void elements: never have content, never pushed.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
            | "basefont"
            | "frame"
            | "keygen"
    )
}

/// Start tags that close an open `<p>` (HTML's "close a p element").
fn closes_p(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "center"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "table"
            | "ul"
    )
}

/// Elements that may appear in `<head>`; any other start tag ends it.
fn is_head_content(name: &str) -> bool {
    matches!(
        name,
        "meta"
            | "title"
            | "style"
            | "link"
            | "base"
            | "script"
            | "noscript"
            | "template"
            | "xml"
            | "o"
    )
}

/// Most open elements tracked; deeper nesting is treated as flat (bounded
/// memory on hostile input).
const MAX_DEPTH: usize = 512;

/// An element name, lowercase, kept inline (names past 16 bytes are cut,
/// consistently, which no real tag needs).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Name {
    len: u8,
    buf: [u8; 16],
}

impl Name {
    fn new(name: &str) -> Self {
        let mut buf = [0u8; 16];
        let len = name.len().min(16);
        if let (Some(dst), Some(src)) = (buf.get_mut(..len), name.as_bytes().get(..len)) {
            dst.copy_from_slice(src);
        }
        Name {
            len: u8::try_from(len).unwrap_or(16),
            buf,
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
        if self.hidden() {
            return;
        }
        let mut decoded = String::new();
        let text: &str = if raw.contains('&') {
            decode_entities_into(&mut decoded, raw);
            &decoded
        } else {
            raw
        };
        for word in text.split(|c: char| c.is_whitespace()) {
            if word.is_empty() {
                self.space = true;
                continue;
            }
            if self.space && !(self.out.text.is_empty() || self.out.text.ends_with('\n')) {
                self.out.text.push(' ');
            }
            self.out.text.push_str(word);
            self.space = true;
        }
        // `split` yields a last piece after the last white space (empty when
        // the text ends with one); the space it set is owed only if white
        // space really ended the text.
        self.space = text.ends_with(char::is_whitespace);
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
        self.open_counts.get(&name).is_some_and(|n| *n > 0)
    }

    fn push(&mut self, open: Open) {
        *self.open_counts.entry(open.name).or_insert(0) += 1;
        self.stack.push(open);
    }

    fn truncate(&mut self, len: usize) {
        while self.stack.len() > len {
            if let Some(open) = self.stack.pop() {
                if let Some(n) = self.open_counts.get_mut(&open.name) {
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
        let boundaries: Vec<Name> = boundaries.iter().map(|b| Name::new(b)).collect();
        for i in (0..self.stack.len()).rev() {
            let Some(open) = self.stack.get(i) else {
                break;
            };
            if open.name == name {
                self.truncate(i);
                return;
            }
            if boundaries.contains(&open.name) {
                return;
            }
        }
    }

    fn start_tag(&mut self, name: &str, tag: &str, self_closing: bool) {
        if self.in_head && (name == "body" || !is_head_content(name)) {
            self.in_head = false;
        }
        if name == "head" {
            // A `<head>` start tag only means something before the body.
            self.in_head = self.out.text.is_empty() && self.stack.len() <= 1;
            return;
        }
        if name == "p" || closes_p(name) {
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
        if is_block(name) {
            self.push_break();
        }
        let has_attributes = tag.len() > name.len() + 3;
        let hides_self = has_attributes && hides(tag, &self.hidden_classes);
        if name == "a" {
            if let Some(href) = attribute(tag, "href") {
                self.close_link();
                if !self.hidden() && !hides_self {
                    self.open_link = Some((href, self.out.text.len()));
                }
            }
        }
        if is_void(name) || self_closing {
            return;
        }
        let hidden = self.hidden() || hides_self;
        if self.stack.len() < MAX_DEPTH {
            self.push(Open {
                name: Name::new(name),
                hidden,
            });
        }
    }

    fn end_tag(&mut self, name: &str) {
        if name == "head" {
            self.in_head = false;
            return;
        }
        if name == "a" {
            self.close_link();
        }
        let wanted = Name::new(name);
        if !self.is_open(wanted) {
            // Not open: nothing to close.
        } else if let Some(i) = self.stack.iter().rposition(|o| o.name == wanted) {
            self.truncate(i);
        }
        if is_block(name) {
            self.push_break();
        }
    }
}

/// The visible text and links of an HTML body (see the module docs for
/// what counts as hidden).
pub fn html_to_text(html: &str) -> HtmlText {
    let mut walker = TextWalker::new(html);
    walker.advance(usize::MAX);
    walker.finish()
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
            let Some(lt) = rest.find('<') else {
                w.push_text(rest);
                rest = "";
                break;
            };
            w.push_text(rest.get(..lt).unwrap_or_default());
            rest = rest.get(lt..).unwrap_or_default();
            let next = rest.as_bytes().get(1).copied().unwrap_or(b' ');
            if let Some(after) = rest.strip_prefix("<!--") {
                // A comment; unterminated, it ends at the next `>`.
                let end = after
                    .find("-->")
                    .map(|e| e + 3)
                    .or_else(|| after.find('>').map(|e| e + 1))
                    .unwrap_or(after.len());
                rest = after.get(end..).unwrap_or_default();
                continue;
            }
            if next == b'!' || next == b'?' {
                let end = rest.find('>').map_or(rest.len(), |e| e + 1);
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
            let end = rest.find('>').map_or(rest.len(), |e| e + 1);
            let tag = rest.get(..end).unwrap_or_default();
            rest = rest.get(end..).unwrap_or_default();
            let mut name_buf = [0u8; 32];
            let name = tag_name(tag.get(name_start..).unwrap_or_default(), &mut name_buf);
            if closing {
                w.end_tag(name);
                continue;
            }
            let self_closing = tag.trim_end_matches('>').ends_with('/');
            if is_raw_hidden(name) && !self_closing {
                // Raw text up to the end tag.
                let close = format!("</{name}");
                let (content, after) = match find_ascii_ci(rest, &close) {
                    Some(pos) => {
                        let after = rest.get(pos..).unwrap_or_default();
                        let gt = after.find('>').map_or(after.len(), |e| e + 1);
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
                if w.in_head && !is_head_content(name) {
                    w.in_head = false;
                }
                rest = after;
                continue;
            }
            w.start_tag(name, tag, self_closing);
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

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let n = needle.len();
    let first = needle.as_bytes().first()?.to_ascii_lowercase();
    let bytes = haystack.as_bytes();
    (0..bytes.len()).find(|&i| {
        bytes.get(i).map(u8::to_ascii_lowercase) == Some(first)
            && bytes
                .get(i..i + n)
                .is_some_and(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    })
}

/// Whether an element's attributes hide it.
fn hides(tag: &str, hidden_classes: &HashSet<String>) -> bool {
    let mut hidden = false;
    for_each_attribute(tag, |key, raw| {
        if hidden {
            return;
        }
        if key.eq_ignore_ascii_case("hidden") {
            hidden = true;
        } else if key.eq_ignore_ascii_case("style") {
            hidden = style_hides(&decoded(raw));
        } else if !hidden_classes.is_empty() && key.eq_ignore_ascii_case("class") {
            hidden = raw
                .split_ascii_whitespace()
                .any(|c| hidden_classes.contains(&c.to_ascii_lowercase()));
        } else if !hidden_classes.is_empty() && key.eq_ignore_ascii_case("id") {
            hidden = hidden_classes.contains(&format!("#{}", raw.trim().to_ascii_lowercase()));
        }
    });
    hidden
}

fn decoded(raw: &str) -> std::borrow::Cow<'_, str> {
    if raw.contains('&') {
        let mut out = String::new();
        decode_entities_into(&mut out, raw);
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(raw)
    }
}

/// Whether a CSS declaration block hides what it applies to.
fn style_hides(style: &str) -> bool {
    let mut overflow_hidden = false;
    let mut zero_box = false;
    let mut absolute = false;
    let mut offscreen = false;
    let mut color: Option<String> = None;
    let mut background: Option<String> = None;
    for decl in style.split(';') {
        let Some((prop, value)) = decl.split_once(':') else {
            continue;
        };
        let prop = prop.trim().to_ascii_lowercase();
        let value = value
            .trim()
            .trim_end_matches("!important")
            .trim()
            .to_ascii_lowercase();
        let zero = is_zero(&value);
        match prop.as_str() {
            "display" if value == "none" => return true,
            "visibility" if value == "hidden" || value == "collapse" => return true,
            "font-size" | "opacity" if zero => return true,
            "mso-hide" if value == "all" => return true,
            "max-height" | "height" | "max-width" | "width" if zero => zero_box = true,
            "overflow" if value == "hidden" => overflow_hidden = true,
            "clip" if value.replace(' ', "") == "rect(0,0,0,0)" => return true,
            "clip-path" if value.contains("inset(50%") || value.contains("circle(0") => {
                return true
            }
            "transform" if value.contains("scale(0)") => return true,
            "text-indent" if is_far_off(&value) => return true,
            "position" if value == "absolute" || value == "fixed" => absolute = true,
            "left" | "top" | "right" | "margin-left" | "margin-top" if is_far_off(&value) => {
                offscreen = true
            }
            "color" => color = Some(colour(&value)),
            "background" | "background-color" => background = Some(colour(&value)),
            _ => {}
        }
    }
    let same_colour =
        matches!((&color, &background), (Some(c), Some(b)) if !c.is_empty() && c == b);
    (zero_box && overflow_hidden) || (absolute && offscreen) || same_colour
}

/// A length far off to the negative side (`-999px`, `-100em`, `-5000%`).
fn is_far_off(value: &str) -> bool {
    let number = value.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '%');
    number.parse::<f64>().is_ok_and(|n| n <= -500.0)
}

/// A colour value in one spelling: `#fff`, `#ffffff`, `white` and
/// `rgb(255,255,255)` all read `#ffffff`.
fn colour(value: &str) -> String {
    let v: String = value.split_whitespace().collect::<Vec<_>>().join("");
    let v = v.split("url(").next().unwrap_or_default().to_owned();
    match v.as_str() {
        "white" | "#fff" | "#ffffff" | "rgb(255,255,255)" => "#ffffff".to_owned(),
        "black" | "#000" | "#000000" | "rgb(0,0,0)" => "#000000".to_owned(),
        _ => {
            let hex = v.trim_start_matches('#');
            if v.starts_with('#') && hex.len() == 3 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                let mut out = String::from("#");
                for c in hex.chars() {
                    out.push(c);
                    out.push(c);
                }
                out
            } else {
                v
            }
        }
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

/// Call `f` with each attribute's name and raw value (`""` for a bare
/// attribute), in order.
fn for_each_attribute<'a>(tag: &'a str, mut f: impl FnMut(&'a str, &'a str)) {
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
                        .or_else(|| inner.find('>'))
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

/// The value of attribute `name` in a tag, entity-decoded.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut found = None;
    for_each_attribute(tag, |key, raw| {
        if found.is_none() && key.eq_ignore_ascii_case(name) {
            found = Some(decoded(raw).trim().to_owned());
        }
    });
    found
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
