//! Email addresses, tenants, lists and suppression scopes.
//!
//! [`EmailAddress`] is the one place where an address typed into a form, read
//! from a webhook or pulled from an import becomes a value consentry trusts.
//! It keeps the text it was given and a canonical key used for every
//! comparison, so `Bob@Example.COM` and `bob@example.com` are one person and
//! an opt-out recorded under one spelling is honoured under the other.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Longest local part in octets (RFC 5321 section 4.5.3.1.1).
pub const MAX_LOCAL_OCTETS: usize = 64;
/// Longest address in octets (RFC 5321 section 4.5.3.1.3 less the angle brackets).
pub const MAX_ADDRESS_OCTETS: usize = 254;
/// Longest domain label in octets (RFC 1035 section 2.3.4).
pub const MAX_LABEL_OCTETS: usize = 63;

/// Why a string is not an acceptable email address.
///
/// Every variant is the sender's or the form's fault: answer an HTTP request
/// with 400 / 422, reject the row of an import, never retry. No variant
/// quotes the local part, so the error text is safe to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// The input is empty.
    #[error("the address is empty")]
    Empty,
    /// The input has no `@`.
    #[error("the address has no `@`")]
    MissingAt,
    /// Nothing stands before the `@`.
    #[error("the local part (before `@`) is empty")]
    EmptyLocalPart,
    /// Nothing stands after the `@`.
    #[error("the domain (after `@`) is empty")]
    EmptyDomain,
    /// The local part is longer than 64 octets.
    #[error("the local part is {len} octets long; at most 64 are allowed")]
    LocalPartTooLong {
        /// Its length in octets.
        len: usize,
    },
    /// The whole address is longer than 254 octets.
    #[error("the address is {len} octets long; at most 254 are allowed")]
    TooLong {
        /// Its length in octets.
        len: usize,
    },
    /// An invisible character: a default-ignorable code point (soft hyphen,
    /// zero-width space or joiner, ...) or a bidi control. Two spellings of
    /// one address could otherwise look alike and key apart.
    #[error("the address holds invisible character U+{code:04X} at byte {position}")]
    InvisibleCharacter {
        /// The character's code point.
        code: u32,
        /// Its byte offset in the input.
        position: usize,
    },
    /// A CR, LF, NUL or other control character (header injection, mangled input).
    #[error("control character U+{code:04X} at byte {position}")]
    ControlCharacter {
        /// The character's code point.
        code: u32,
        /// Its byte offset in the input.
        position: usize,
    },
    /// Whitespace outside a quoted local part.
    #[error("whitespace at byte {position} outside a quoted local part")]
    Whitespace {
        /// Its byte offset in the input.
        position: usize,
    },
    /// The dot-atom local part starts with a dot.
    #[error("the local part starts with a dot")]
    LeadingDot,
    /// The dot-atom local part ends with a dot.
    #[error("the local part ends with a dot")]
    TrailingDot,
    /// The dot-atom local part has two dots in a row.
    #[error("the local part has two dots in a row")]
    DoubledDot,
    /// A character that may not appear unquoted in a local part.
    #[error("character `{ch}` may not appear in an unquoted local part")]
    InvalidLocalCharacter {
        /// The character.
        ch: char,
    },
    /// A quoted local part that is not closed or holds a bad escape.
    #[error("the quoted local part is malformed")]
    MalformedQuotedLocalPart,
    /// The domain is not a valid host name (bad character, empty or malformed label).
    #[error("`{domain}` is not a valid domain")]
    InvalidDomain {
        /// The domain as given.
        domain: String,
    },
    /// A label of the domain is longer than 63 octets (after IDNA conversion).
    #[error("a label of the domain is {len} octets long; at most 63 are allowed")]
    DomainLabelTooLong {
        /// The label's length in octets.
        len: usize,
    },
    /// The domain has a single label (`user@localhost`).
    #[error("the domain `{domain}` has no dot")]
    DomainWithoutDot {
        /// The domain as given.
        domain: String,
    },
    /// The domain is an IP literal and the options do not allow one.
    #[error("IP-literal domains are not allowed")]
    IpLiteralNotAllowed,
}

/// Options for [`EmailAddress::parse_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AddressOptions {
    /// Accept `user@[192.0.2.1]` and `user@[IPv6:2001:db8::1]`. Off by default:
    /// real subscribers do not have such addresses, spam traps and typos do.
    pub allow_ip_literal: bool,
}

impl AddressOptions {
    /// The default options with IP-literal domains allowed or not.
    pub fn with_ip_literal(mut self, allow: bool) -> Self {
        self.allow_ip_literal = allow;
        self
    }
}

/// A syntactically valid email address with its canonical key.
///
/// Equality, hashing and ordering use the canonical key: the local part
/// lowercased and the domain lowercased and converted to ASCII by IDNA
/// (`Bob@Bücher.Example` → `bob@xn--bcher-kva.example`). A quoted local part
/// whose content needs no quotes is unquoted (`"bob"@x.example` is
/// `bob@x.example`). The text as given is kept for display and delivery.
///
/// `Debug` redacts the local part so addresses do not leak into logs:
///
/// ```
/// use consentry::EmailAddress;
///
/// let a = EmailAddress::parse("Bob@Example.COM")?;
/// assert_eq!(a.as_str(), "Bob@Example.COM");
/// assert_eq!(a.canonical(), "bob@example.com");
/// assert_eq!(a, EmailAddress::parse("bob@example.com")?);
/// assert_eq!(format!("{a:?}"), "EmailAddress(b***@example.com)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Deserialising reads back whatever a value of this type can hold (an IP
/// literal included, since a host may have allowed one when parsing): what
/// was stored always reads back. Which addresses are accepted is decided
/// once, where the host parses its input.
#[derive(Clone, Serialize)]
#[serde(into = "String")]
pub struct EmailAddress {
    /// The address as given, then its canonical form, in one allocation.
    buf: Box<str>,
    /// Where the canonical form starts in `buf`.
    split: usize,
    /// Byte offset of the `@` in the canonical form.
    at: usize,
}

impl EmailAddress {
    /// Parse an address with the default [`AddressOptions`].
    ///
    /// Accepts the practical subset of RFC 5321/5322 with RFC 6531 UTF-8:
    /// a dot-atom or quoted local part, a host name domain (IDN allowed).
    /// No surrounding whitespace, display names or comments are accepted;
    /// trim and extract before calling.
    ///
    /// # Errors
    ///
    /// An [`AddressError`] naming the first problem found; see its variants.
    pub fn parse(input: &str) -> Result<Self, AddressError> {
        Self::parse_with(input, AddressOptions::default())
    }

    /// Parse an address with explicit options.
    ///
    /// # Errors
    ///
    /// As [`EmailAddress::parse`], and [`AddressError::IpLiteralNotAllowed`]
    /// for an IP literal unless `options.allow_ip_literal` is set.
    pub fn parse_with(input: &str, options: AddressOptions) -> Result<Self, AddressError> {
        // The common case (an ASCII dot-atom at an ASCII host name, no
        // punycode) in one pass; anything else, valid or not, goes the
        // full way, which gives the same answer (a property test says so)
        // and the precise error.
        if let Some(address) = parse_ascii_common(input) {
            return Ok(address);
        }
        Self::parse_full(input, options)
    }

    /// Every address, every error: the reference path.
    fn parse_full(input: &str, options: AddressOptions) -> Result<Self, AddressError> {
        if input.is_empty() {
            return Err(AddressError::Empty);
        }
        let ascii = input.is_ascii();
        if ascii {
            // Control characters are ASCII; default-ignorable ones never are.
            if let Some(position) = input.bytes().position(|b| b.is_ascii_control()) {
                return Err(AddressError::ControlCharacter {
                    code: u32::from(input.as_bytes().get(position).copied().unwrap_or(0)),
                    position,
                });
            }
        } else {
            if let Some((position, c)) = input.char_indices().find(|(_, c)| c.is_control()) {
                return Err(AddressError::ControlCharacter {
                    code: u32::from(c),
                    position,
                });
            }
            if let Some((position, c)) = input
                .char_indices()
                .find(|(_, c)| crate::unicode::is_ignorable(*c))
            {
                return Err(AddressError::InvisibleCharacter {
                    code: u32::from(c),
                    position,
                });
            }
        }
        if input.len() > MAX_ADDRESS_OCTETS {
            return Err(AddressError::TooLong { len: input.len() });
        }
        let at = input.rfind('@').ok_or(AddressError::MissingAt)?;
        let local = input.get(..at).unwrap_or_default();
        let domain = input.get(at + 1..).unwrap_or_default();
        if local.is_empty() {
            return Err(AddressError::EmptyLocalPart);
        }
        if domain.is_empty() {
            return Err(AddressError::EmptyDomain);
        }
        if local.len() > MAX_LOCAL_OCTETS {
            return Err(AddressError::LocalPartTooLong { len: local.len() });
        }
        let canonical_local = canonical_local(local)?;
        let canonical_local = if canonical_local.is_ascii() {
            canonical_local
        } else {
            unicode_key(&canonical_local)
        };
        if canonical_local.len() > MAX_LOCAL_OCTETS {
            return Err(AddressError::LocalPartTooLong {
                len: canonical_local.len(),
            });
        }
        let canonical_domain = canonical_domain_at(domain, at + 1, options)?;
        let canonical_len = canonical_local.len() + 1 + canonical_domain.len();
        if canonical_len > MAX_ADDRESS_OCTETS {
            return Err(AddressError::TooLong { len: canonical_len });
        }
        let mut buf = String::with_capacity(input.len() + canonical_len);
        buf.push_str(input);
        buf.push_str(&canonical_local);
        buf.push('@');
        buf.push_str(&canonical_domain);
        Ok(EmailAddress {
            buf: buf.into_boxed_str(),
            split: input.len(),
            at: canonical_local.len(),
        })
    }

    /// The address exactly as it was given.
    pub fn as_str(&self) -> &str {
        self.buf.get(..self.split).unwrap_or_default()
    }

    /// The canonical key: lowercased local part, `@`, lowercase ASCII domain.
    /// Use it to key stores and suppression lists.
    #[inline]
    pub fn canonical(&self) -> &str {
        self.buf.get(self.split..).unwrap_or_default()
    }

    /// The canonical local part (before `@`).
    pub fn local_part(&self) -> &str {
        self.canonical().get(..self.at).unwrap_or_default()
    }

    /// The canonical domain (after `@`), lowercase ASCII.
    pub fn domain(&self) -> &str {
        self.canonical().get(self.at + 1..).unwrap_or_default()
    }
}

/// The matching form of a canonical local part: compatibility-normalised
/// (NFKC: full-width `ｂｏｂ` and `bob` are one key), lowercased by Unicode's
/// full case mapping (the Kelvin sign `K` reads `k`, `ẞ` reads `ß`; `ß` is
/// not expanded to `ss`), then NFC. ASCII is returned as it is.
fn unicode_key(local: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    if local.is_ascii() {
        return local.to_owned();
    }
    let lowered: String = local.nfkc().flat_map(char::to_lowercase).collect();
    lowered.nfc().collect()
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

/// Validate a local part and return its canonical form.
fn canonical_local(local: &str) -> Result<String, AddressError> {
    if let Some(inner) = local.strip_prefix('"') {
        let inner = inner
            .strip_suffix('"')
            .ok_or(AddressError::MalformedQuotedLocalPart)?;
        let mut content = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(escaped) => content.push(escaped),
                    None => return Err(AddressError::MalformedQuotedLocalPart),
                },
                '"' => return Err(AddressError::MalformedQuotedLocalPart),
                c => content.push(c),
            }
        }
        let lowered = content.to_lowercase();
        if !lowered.is_empty() && check_dot_atom(&lowered, 0).is_ok() {
            return Ok(lowered);
        }
        let mut quoted = String::with_capacity(lowered.len() + 2);
        quoted.push('"');
        for c in lowered.chars() {
            if c == '"' || c == '\\' {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        quoted.push('"');
        return Ok(quoted);
    }
    check_dot_atom(local, 0)?;
    Ok(local.to_lowercase())
}

fn check_dot_atom(local: &str, offset: usize) -> Result<(), AddressError> {
    if local.starts_with('.') {
        return Err(AddressError::LeadingDot);
    }
    if local.ends_with('.') {
        return Err(AddressError::TrailingDot);
    }
    if local.contains("..") {
        return Err(AddressError::DoubledDot);
    }
    for (i, c) in local.char_indices() {
        if c.is_whitespace() {
            return Err(AddressError::Whitespace {
                position: offset + i,
            });
        }
        if c != '.' && !is_atext(c) {
            return Err(AddressError::InvalidLocalCharacter { ch: c });
        }
    }
    Ok(())
}

/// Validate a domain and return its canonical (lowercase ASCII) form.
fn canonical_domain_at(
    domain: &str,
    offset: usize,
    options: AddressOptions,
) -> Result<String, AddressError> {
    if let Some(literal) = domain.strip_prefix('[') {
        if !options.allow_ip_literal {
            return Err(AddressError::IpLiteralNotAllowed);
        }
        let invalid = || AddressError::InvalidDomain {
            domain: domain.to_owned(),
        };
        let literal = literal.strip_suffix(']').ok_or_else(invalid)?;
        if let Some(v6) = literal
            .strip_prefix("IPv6:")
            .or_else(|| literal.strip_prefix("ipv6:"))
        {
            let ip: Ipv6Addr = v6.parse().map_err(|_| invalid())?;
            return Ok(format!("[ipv6:{ip}]"));
        }
        let ip: Ipv4Addr = literal.parse().map_err(|_| invalid())?;
        return Ok(format!("[{ip}]"));
    }
    for (i, c) in domain.char_indices() {
        if c.is_whitespace() {
            return Err(AddressError::Whitespace {
                position: offset + i,
            });
        }
        // Only letters, digits, hyphens, dots and non-ASCII (IDN) text. This
        // also keeps `%` away from the URL host parser, which would
        // percent-decode it.
        if !(c.is_ascii_alphanumeric() || c == '-' || c == '.' || !c.is_ascii()) {
            return Err(AddressError::InvalidDomain {
                domain: domain.to_owned(),
            });
        }
    }
    let invalid = || AddressError::InvalidDomain {
        domain: domain.to_owned(),
    };
    let ascii = match ascii_fast_path(domain) {
        // Plain LDH labels: lowercase is the whole of IDNA's mapping, and
        // the checks below are the rest (no IDNA run for them).
        Some(lowered) => lowered,
        None => match url::Host::parse(domain) {
            Ok(url::Host::Domain(d)) => d,
            Ok(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => return Err(invalid()),
            Err(_) => {
                // The host parser reports over-long labels as a generic error;
                // say which rule failed when we can tell.
                if let Some(label) = domain.split('.').find(|l| l.len() > MAX_LABEL_OCTETS) {
                    return Err(AddressError::DomainLabelTooLong { len: label.len() });
                }
                return Err(invalid());
            }
        },
    };
    finish_ascii_domain(ascii, domain)
}

/// The checks every lowercase ASCII domain passes, from either path.
fn finish_ascii_domain(ascii: String, domain: &str) -> Result<String, AddressError> {
    let invalid = || AddressError::InvalidDomain {
        domain: domain.to_owned(),
    };
    let mut labels = 0usize;
    for label in ascii.split('.') {
        labels += 1;
        if label.len() > MAX_LABEL_OCTETS {
            return Err(AddressError::DomainLabelTooLong { len: label.len() });
        }
        let ldh = label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if label.is_empty() || !ldh || label.starts_with('-') || label.ends_with('-') {
            return Err(invalid());
        }
    }
    if labels < 2 {
        return Err(AddressError::DomainWithoutDot {
            domain: domain.to_owned(),
        });
    }
    // A numeric top-level label is never a host name (and `1.2.3.4` would be
    // an unbracketed IP address).
    if ascii.rsplit('.').next().is_some_and(ends_in_a_number) {
        return Err(invalid());
    }
    Ok(ascii)
}

/// The common address in one pass: ASCII, at most 254 octets, an unquoted
/// dot-atom local part of at most 64 octets, a domain of two or more LDH
/// labels of at most 63 octets (none starting or ending with `-`, none with
/// `--` in its third and fourth place, such as punycode `xn--`) whose last
/// label is not a number. `None` for anything else: the full path decides.
fn parse_ascii_common(input: &str) -> Option<EmailAddress> {
    /// ASCII bytes allowed in a dot-atom (RFC 5322 atext), and in a host
    /// name label (letters, digits, hyphen).
    const ATEXT: [bool; 256] = byte_class(b"!#$%&'*+-/=?^_`{|}~", true);
    const LDH: [bool; 256] = byte_class(b"-", true);
    let bytes = input.as_bytes();
    // ASCII is checked on the way: every byte class below holds only
    // ASCII bytes, and `@` is ASCII.
    if bytes.is_empty() || bytes.len() > MAX_ADDRESS_OCTETS {
        return None;
    }
    let at = bytes.iter().rposition(|&b| b == b'@')?;
    let local = bytes.get(..at)?;
    let domain = bytes.get(at + 1..)?;
    if local.is_empty() || local.len() > MAX_LOCAL_OCTETS || domain.is_empty() {
        return None;
    }
    if local.first() == Some(&b'.') || local.last() == Some(&b'.') {
        return None;
    }
    let mut previous_dot = false;
    for &b in local {
        if b == b'.' {
            if previous_dot {
                return None;
            }
            previous_dot = true;
        } else if ATEXT.get(usize::from(b)).copied().unwrap_or(false) {
            previous_dot = false;
        } else {
            return None;
        }
    }
    let mut labels = 0usize;
    let mut last: &[u8] = &[];
    for label in domain.split(|&b| b == b'.') {
        let ldh = label
            .iter()
            .all(|&b| LDH.get(usize::from(b)).copied().unwrap_or(false));
        if label.is_empty()
            || label.len() > MAX_LABEL_OCTETS
            || !ldh
            || label.first() == Some(&b'-')
            || label.last() == Some(&b'-')
            || label.get(2..4) == Some(b"--")
        {
            return None;
        }
        labels += 1;
        last = label;
    }
    if labels < 2 || ends_in_a_number(std::str::from_utf8(last).ok()?) {
        return None;
    }
    let mut buf = String::with_capacity(bytes.len() * 2);
    buf.push_str(input);
    buf.push_str(input);
    buf.get_mut(bytes.len()..)?.make_ascii_lowercase();
    Some(EmailAddress {
        buf: buf.into_boxed_str(),
        split: bytes.len(),
        at,
    })
}

/// A byte class: ASCII letters and digits (when `alphanumeric`) and `extra`.
// Evaluated at compile time; the indices are bounded by the loops.
#[allow(clippy::indexing_slicing)]
const fn byte_class(extra: &[u8], alphanumeric: bool) -> [bool; 256] {
    let mut class = [false; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        class[b] = alphanumeric && c.is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        class[extra[i] as usize] = true;
        i += 1;
    }
    class
}

/// Whether a last label reads as a number (WHATWG URL "ends in a number":
/// all digits, or `0x` and hex digits): such a host is an IPv4 address.
fn ends_in_a_number(label: &str) -> bool {
    let bytes = label.as_bytes();
    if !bytes.is_empty() && bytes.iter().all(u8::is_ascii_digit) {
        return true;
    }
    match bytes {
        [b'0', b'x' | b'X', hex @ ..] => hex.iter().all(u8::is_ascii_hexdigit),
        _ => false,
    }
}

/// The lowercase form of an all-ASCII domain of letters, digits, hyphens
/// and dots with no punycode (`xn--`) label, where IDNA's processing is the
/// identity after lowercasing; `None` sends the domain through IDNA.
fn ascii_fast_path(domain: &str) -> Option<String> {
    if !domain.is_ascii() {
        return None;
    }
    let lowered = domain.to_ascii_lowercase();
    let punycode = lowered
        .split('.')
        .any(|label| label.len() >= 4 && label.as_bytes().get(2..4) == Some(b"--"));
    (!punycode).then_some(lowered)
}

/// Check a domain name (the part after `@`, IDN allowed, no IP literal) and
/// return its canonical form: lowercase ASCII, punycode for IDN labels.
///
/// ```
/// assert_eq!(consentry::address::canonical_domain("Bücher.Example")?, "xn--bcher-kva.example");
/// assert!(consentry::address::canonical_domain("localhost").is_err());
/// # Ok::<(), consentry::AddressError>(())
/// ```
///
/// # Errors
///
/// The [`AddressError`] an address with this domain would get.
pub fn canonical_domain(domain: &str) -> Result<String, AddressError> {
    canonical_domain_at(domain, 0, AddressOptions::default())
}

impl FromStr for EmailAddress {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EmailAddress::parse(s)
    }
}

impl<'de> Deserialize<'de> for EmailAddress {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        EmailAddress::from_stored(&s).map_err(serde::de::Error::custom)
    }
}

impl EmailAddress {
    /// Parse an address the crate itself stored or signed: every form a
    /// value of this type can hold (IP literals included).
    pub(crate) fn from_stored(s: &str) -> Result<Self, AddressError> {
        EmailAddress::parse_with(s, AddressOptions::default().with_ip_literal(true))
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = AddressError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        EmailAddress::parse(&s)
    }
}

impl TryFrom<&str> for EmailAddress {
    type Error = AddressError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        EmailAddress::parse(s)
    }
}

impl From<EmailAddress> for String {
    fn from(a: EmailAddress) -> String {
        a.as_str().to_owned()
    }
}

impl PartialEq for EmailAddress {
    fn eq(&self, other: &Self) -> bool {
        crate::unicode::same_bytes(self.canonical().as_bytes(), other.canonical().as_bytes())
    }
}
impl Eq for EmailAddress {}

impl Hash for EmailAddress {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.canonical().hash(state);
    }
}

impl PartialOrd for EmailAddress {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for EmailAddress {
    fn cmp(&self, other: &Self) -> Ordering {
        self.canonical().cmp(other.canonical())
    }
}

impl fmt::Display for EmailAddress {
    /// The address as given (it is personal data: mind where you print it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = self.local_part().chars().next().unwrap_or('?');
        write!(f, "EmailAddress({first}***@{})", self.domain())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The one-pass path accepts only what the full path accepts, and
        /// gives the same address.
        #[test]
        fn the_one_pass_path_agrees_with_the_full_path(
            input in prop_oneof![
                "[a-zA-Z0-9.+_@-]{1,30}",
                "[a-z]{1,8}(\\.[a-z]{1,8})?@[a-zA-Z0-9-]{1,10}\\.[a-zA-Z0-9-]{1,6}(\\.[a-z0-9x-]{1,5})?",
                "[a-z\"@. !#$%&'*/=?^`{|}~\\[\\]:]{1,24}",
                "[a-z]{1,3}@(xn--[a-z0-9]{1,6}|ab--c|0x[0-9a-f]{0,3}|[0-9]{1,3})\\.(com|0x1f|12|xn--p1ai)",
                "[a-zé\u{ff}]{1,6}@[a-zü\u{2010}]{1,6}\\.(com|de)",
            ],
        ) {
            let fast = super::parse_ascii_common(&input);
            let full = super::EmailAddress::parse_full(&input, super::AddressOptions::default());
            if let Some(fast) = fast {
                let full = full.unwrap_or_else(|e| panic!("{input}: the one-pass path accepted what the full path refuses: {e}"));
                prop_assert_eq!(fast.as_str(), full.as_str());
                prop_assert_eq!(fast.canonical(), full.canonical());
                prop_assert_eq!(fast.local_part(), full.local_part());
                prop_assert_eq!(fast.domain(), full.domain());
            }
        }

        /// The ASCII fast path gives exactly what IDNA (the `url` host
        /// parser) and the same checks give.
        #[test]
        fn the_ascii_fast_path_agrees_with_idna(
            parts in prop::collection::vec(
                prop_oneof![
                    "[a-zA-Z0-9-]{0,8}",
                    Just("xn--".to_owned()),
                    Just("xn--bcher-kva".to_owned()),
                    Just("XN--abc".to_owned()),
                    Just("0x".to_owned()),
                    Just("0x1F".to_owned()),
                    Just("1".to_owned()),
                    Just("ab--cd".to_owned()),
                ],
                1..5,
            ),
            trailing_dot in any::<bool>(),
        ) {
            let mut domain = parts.join(".");
            if trailing_dot {
                domain.push('.');
            }
            if let Some(fast) = super::ascii_fast_path(&domain) {
                let fast = super::finish_ascii_domain(fast, &domain);
                let slow = match url::Host::parse(&domain) {
                    Ok(url::Host::Domain(d)) => super::finish_ascii_domain(d, &domain),
                    _ => Err(super::AddressError::InvalidDomain { domain: domain.clone() }),
                };
                prop_assert_eq!(fast.is_ok(), slow.is_ok(), "{}: {:?} vs {:?}", domain, fast, slow);
                if let (Ok(a), Ok(b)) = (fast, slow) {
                    prop_assert_eq!(a, b);
                }
            }
        }
    }

    use super::*;

    #[test]
    fn quoted_local_part_that_needs_no_quotes_is_unquoted() {
        let a = EmailAddress::parse("\"Bob\"@example.com").unwrap();
        assert_eq!(a.canonical(), "bob@example.com");
        let b = EmailAddress::parse("\"Bob Smith\"@example.com").unwrap();
        assert_eq!(b.canonical(), "\"bob smith\"@example.com");
        let again = EmailAddress::parse(b.canonical()).unwrap();
        assert_eq!(again.canonical(), b.canonical());
    }

    #[test]
    fn percent_is_not_decoded_in_domains() {
        assert!(matches!(
            EmailAddress::parse("a@ex%61mple.com"),
            Err(AddressError::InvalidDomain { .. })
        ));
    }
}
