//! Text normalisation before matching: what a reader sees, in one spelling.
//!
//! - compatibility decomposition (NFKD), with combining marks dropped, so
//!   `Réinitialiser`, `ｒéinitialiser` and `𝐫einitialiser` all read
//!   `reinitialiser`; `ß`, `æ`, `œ`, `ø` are spelled out;
//! - default-ignorable code points (soft hyphen, zero-width characters,
//!   joiners, variation selectors, bidi controls) removed, so `S\u{ad}ALE`
//!   reads `sale`;
//! - letters of other scripts that look like Latin ones (Cyrillic `а`, Greek
//!   `ο`, ...) folded to them with the Unicode confusables data (UTS #39);
//! - lowercase; typographic quotes and dashes as their ASCII forms; every
//!   run of white space one space.
//!
//! Lexicon patterns are written in this form (see [`is_normal_char`]).

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

pub(crate) use crate::unicode::is_ignorable;

/// Characters spelled out or mapped to their ASCII form before anything
/// else.
fn special(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' | 'ẞ' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'ø' | 'Ø' => "o",
        'đ' | 'Đ' | 'ð' | 'Ð' => "d",
        'ł' | 'Ł' => "l",
        'ı' => "i",
        'þ' | 'Þ' => "th",
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{02BC}' | '\u{2032}'
        | '\u{00B4}' | '\u{0060}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' => "\"",
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' => "-",
        _ => return None,
    })
}

/// The ASCII letter a letter-shaped symbol stands for: the negative
/// circled and negative squared capitals (`🅢🅐🅛🅔`, `🆂🅰🅻🅴`) and the
/// regional indicators (`🇸🇦🇱🇪`), which read as letters but have no
/// compatibility decomposition and no confusable in UTS #39.
fn letter_symbol(c: char) -> Option<u8> {
    let base = match c {
        '\u{1F150}'..='\u{1F169}' => 0x1F150,
        '\u{1F170}'..='\u{1F189}' => 0x1F170,
        '\u{1F1E6}'..='\u{1F1FF}' => 0x1F1E6,
        _ => return None,
    };
    // In range: the offset is below 26.
    u8::try_from(u32::from(c) - base).ok().map(|i| b'a' + i)
}

/// The output being built: lowercase text with white space collapsed. Only
/// ASCII bytes and whole encoded characters are pushed, so it is UTF-8.
struct Out {
    text: Vec<u8>,
    space: bool,
}

impl Out {
    #[inline]
    fn push_ascii(&mut self, b: u8) {
        if b.is_ascii_whitespace() {
            self.space = !self.text.is_empty() && self.text.last() != Some(&b' ');
        } else {
            if self.space {
                self.text.push(b' ');
                self.space = false;
            }
            self.text.push(b.to_ascii_lowercase());
        }
    }

    fn push_str(&mut self, s: &str) {
        for b in s.bytes() {
            self.push_ascii(b);
        }
    }

    /// A character normalisation keeps: lowercased, and each lowercase form
    /// decomposed and folded again, so a second pass changes nothing.
    fn push_other(&mut self, c: char) {
        let mut buf = [0u8; 4];
        for l in c.to_lowercase() {
            decompose_compatible(l, |d| {
                if is_ignorable(d) || is_combining_mark(d) {
                    return;
                }
                if self.space {
                    self.text.push(b' ');
                    self.space = false;
                }
                if d.is_ascii() {
                    self.text.push((d as u8).to_ascii_lowercase());
                } else if let Some(latin) = d.is_alphabetic().then(|| confusable(d)).flatten() {
                    self.text.push((latin as u8).to_ascii_lowercase());
                } else if let Some(s) = special(d) {
                    self.text.extend_from_slice(s.as_bytes());
                } else {
                    self.text
                        .extend_from_slice(d.encode_utf8(&mut buf).as_bytes());
                }
            });
        }
    }
}

/// A letter of another script that reads as one Latin letter (Cyrillic `а`,
/// Greek `Ο`), by the UTS #39 confusables skeleton; `None` otherwise.
fn confusable(c: char) -> Option<char> {
    let mut buf = [0u8; 4];
    let mut skeleton = unicode_security::skeleton(c.encode_utf8(&mut buf));
    let first = skeleton.next()?;
    (skeleton.next().is_none() && first.is_ascii_alphanumeric()).then_some(first)
}

fn push_char(out: &mut Out, c: char) {
    if c.is_ascii() {
        // `as` is exact here: an ASCII char is one byte.
        out.push_ascii(c as u8);
        return;
    }
    if is_ignorable(c) || is_combining_mark(c) {
        return;
    }
    if c.is_whitespace() {
        out.space = !out.text.is_empty() && out.text.last() != Some(&b' ');
        return;
    }
    if let Some(s) = special(c) {
        out.push_str(s);
        return;
    }
    if let Some(letter) = letter_symbol(c) {
        out.push_ascii(letter);
        return;
    }
    let mut changes = false;
    decompose_compatible(c, |d| changes |= d != c);
    if changes {
        decompose_compatible(c, |d| push_decomposed(out, d));
    } else if let Some(latin) = c.is_alphabetic().then(|| confusable(c)).flatten() {
        out.push_ascii(latin.to_ascii_lowercase() as u8);
    } else {
        out.push_other(c);
    }
}

/// One character of a compatibility decomposition (which is itself fully
/// decomposed: no second round is needed).
fn push_decomposed(out: &mut Out, d: char) {
    if d.is_ascii() {
        out.push_ascii(d as u8);
    } else if is_ignorable(d) || is_combining_mark(d) {
    } else if d.is_whitespace() {
        out.space = !out.text.is_empty() && out.text.last() != Some(&b' ');
    } else if let Some(s) = special(d) {
        out.push_str(s);
    } else if let Some(latin) = d.is_alphabetic().then(|| confusable(d)).flatten() {
        out.push_ascii(latin.to_ascii_lowercase() as u8);
    } else {
        out.push_other(d);
    }
}

/// The normalised form of `text`.
pub fn normalize(text: &str) -> String {
    let mut o = Out {
        text: Vec::with_capacity(text.len()),
        space: false,
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // A run of plain ASCII (no white space but single spaces between
        // words) is copied as it is, and lowercased at the end in one pass.
        let run = plain_run(
            bytes.get(i..).unwrap_or_default(),
            o.space || o.text.is_empty() || o.text.last() == Some(&b' '),
        );
        if run > 0 {
            if o.space {
                o.text.push(b' ');
                o.space = false;
            }
            o.text
                .extend_from_slice(bytes.get(i..i + run).unwrap_or_default());
            i += run;
            continue;
        }
        match bytes.get(i) {
            Some(&b) if b.is_ascii() => {
                o.push_ascii(b);
                i += 1;
            }
            _ => {
                let Some(c) = text.get(i..).and_then(|s| s.chars().next()) else {
                    break;
                };
                push_char(&mut o, c);
                i += c.len_utf8();
            }
        }
    }
    if o.text.last() == Some(&b' ') {
        o.text.pop();
    }
    o.text.make_ascii_lowercase();
    String::from_utf8(o.text).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// How many bytes from the start of `bytes` can be copied unchanged: ASCII,
/// no white space but a single space after a non-space byte. `after_space`
/// says whether the output so far ends in (or owes) a space.
#[inline]
fn plain_run(bytes: &[u8], after_space: bool) -> usize {
    let mut prev_space = after_space;
    for (n, &b) in bytes.iter().enumerate() {
        let plain = if b == b' ' {
            !prev_space
        } else {
            b.is_ascii() && !b.is_ascii_whitespace()
        };
        if !plain {
            return n;
        }
        prev_space = b == b' ';
    }
    bytes.len()
}
/// Whether `c` reads the same after normalisation: the characters a lexicon
/// pattern may use as literals.
pub fn is_normal_char(c: char) -> bool {
    let mut buf = [0u8; 4];
    let s: &str = c.encode_utf8(&mut buf);
    c == ' ' || normalize(s) == s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disguises_read_as_what_the_reader_sees() {
        assert_eq!(normalize("S\u{ad}ALE"), "sale");
        assert_eq!(normalize("70\u{200b}% OFF"), "70% off");
        assert_eq!(normalize("\u{202e}ELAS\u{202c}"), "elas");
        assert_eq!(normalize("S\u{0410}LE"), "sale"); // Cyrillic A
        assert_eq!(normalize("\u{43e}ff"), "off"); // Cyrillic o
        assert_eq!(normalize("５０％ ＯＦＦ"), "50% off");
        assert_eq!(normalize("𝐒𝐀𝐋𝐄"), "sale");
        assert_eq!(
            normalize("Réinitialiser  votre\n\tmot de passe"),
            "reinitialiser votre mot de passe"
        );
        assert_eq!(
            normalize("Bestätigung für Straße"),
            "bestatigung fur strasse"
        );
        assert_eq!(
            normalize("contraseña – it’s “done”"),
            "contrasena - it's \"done\""
        );
        assert_eq!(normalize("  a \u{a0} b  "), "a b");
    }

    #[test]
    fn lexicon_characters() {
        assert!(is_normal_char('a') && is_normal_char('%') && is_normal_char('€'));
        assert!(!is_normal_char('A') && !is_normal_char('é') && !is_normal_char('ß'));
    }
}
