//! `mailto:` URIs per RFC 6068: addresses percent-encoded so that `?`,
//! `#`, `&`, `%`, quotes and spaces in a local part stay in the address.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use url::Url;

use crate::address::{AddressError, AddressOptions, EmailAddress};

/// What may stay unencoded in an address inside a `mailto:` URI: RFC
/// 6068's `unreserved` plus the `some-delims` that cannot be read as a
/// separator (`,` separates addresses, `@` the domain, so both are
/// encoded inside a local part; `;`, `:`, `(` and `)` are encoded too, for
/// mail clients that read them as delimiters).
const ADDRESS: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'\'')
    .remove(b'*')
    .remove(b'+');

/// What may stay unencoded in an `hfvalue` (RFC 6068 `qchar` without `&`,
/// `=`, `?`, `#` and `,`): the address set plus `@`.
const HFVALUE: &AsciiSet = &ADDRESS.remove(b'@');

/// Why a `mailto:` URI could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MailtoError {
    /// The URI's scheme is not `mailto`.
    #[error("`{0}` is not a mailto URI")]
    NotMailto(String),
    /// A percent-encoded part is not UTF-8.
    #[error("a percent-encoded part of the mailto URI is not UTF-8")]
    NotUtf8,
    /// A recipient is not a valid address.
    #[error("`{recipient}` is not a valid address")]
    BadAddress {
        /// The recipient, decoded.
        recipient: String,
        /// Why it is refused.
        #[source]
        source: AddressError,
    },
    /// The URI names no recipient at all.
    #[error("the mailto URI names no recipient")]
    NoRecipient,
}

/// A `mailto:` URI read per RFC 6068: its recipients (the `to` part and
/// any `to=` header fields) and its other header fields, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailto {
    /// Every recipient, in order.
    pub to: Vec<EmailAddress>,
    /// The `subject` field, if any.
    pub subject: Option<String>,
    /// The `body` field, if any.
    pub body: Option<String>,
    /// Every other header field, names as written.
    pub headers: Vec<(String, String)>,
}

/// The `mailto:` URI that writes to `address` with `subject`, encoded per
/// RFC 6068 so that whatever the local part holds stays in the address.
///
/// ```
/// use consentry::address::EmailAddress;
/// use consentry::unsubscribe::{mailto_uri, parse_mailto};
///
/// let odd = EmailAddress::parse("unsub?subject=x&body=y@shop.example")?;
/// let uri = mailto_uri(&odd, "unsubscribe");
/// assert_eq!(uri, "mailto:unsub%3Fsubject%3Dx%26body%3Dy@shop.example?subject=unsubscribe");
/// assert_eq!(parse_mailto(&uri.parse()?)?.to, vec![odd]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn mailto_uri(address: &EmailAddress, subject: &str) -> String {
    let mut uri = String::from("mailto:");
    push_address(&mut uri, address.as_str());
    if !subject.is_empty() {
        uri.push_str("?subject=");
        uri.extend(utf8_percent_encode(subject, HFVALUE));
    }
    uri
}

fn push_address(out: &mut String, address: &str) {
    // The domain is the part after the last `@` (a quoted local part may
    // hold one of its own).
    let (local, domain) = address.rsplit_once('@').unwrap_or((address, ""));
    out.extend(utf8_percent_encode(local, ADDRESS));
    out.push('@');
    out.extend(utf8_percent_encode(domain, ADDRESS));
}

fn decode(part: &str) -> Result<String, MailtoError> {
    percent_decode_str(part)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| MailtoError::NotUtf8)
}

/// Split a decoded `to` list on the commas between addresses (not those
/// inside a quoted local part).
fn split_recipients(list: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, b) in list.bytes().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match b {
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                out.push(list.get(start..i).unwrap_or_default());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(list.get(start..).unwrap_or_default());
    out.into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Read a `mailto:` URI per RFC 6068. IP-literal domains are accepted (the
/// URI was written by someone else; whether to write to it is the host's
/// call).
///
/// # Errors
///
/// A [`MailtoError`] when the scheme is not `mailto`, a part does not
/// decode to UTF-8, a recipient is not an address or there is none.
pub fn parse_mailto(uri: &Url) -> Result<Mailto, MailtoError> {
    if uri.scheme() != "mailto" {
        return Err(MailtoError::NotMailto(uri.to_string()));
    }
    let options = AddressOptions::default().with_ip_literal(true);
    let mut to = Vec::new();
    let mut add = |list: &str| -> Result<(), MailtoError> {
        for recipient in split_recipients(list) {
            let address = EmailAddress::parse_with(recipient, options).map_err(|source| {
                MailtoError::BadAddress {
                    recipient: recipient.to_owned(),
                    source,
                }
            })?;
            to.push(address);
        }
        Ok(())
    };
    // Decode first, then split on the commas outside quoted local parts.
    add(&decode(uri.path())?)?;
    let (mut subject, mut body, mut headers) = (None, None, Vec::new());
    for field in uri.query().unwrap_or_default().split('&') {
        if field.is_empty() {
            continue;
        }
        let (name, value) = field.split_once('=').unwrap_or((field, ""));
        let (name, value) = (decode(name)?, decode(value)?);
        if name.eq_ignore_ascii_case("to") {
            add(&value)?;
        } else if name.eq_ignore_ascii_case("subject") {
            subject = Some(value);
        } else if name.eq_ignore_ascii_case("body") {
            body = Some(value);
        } else {
            headers.push((name, value));
        }
    }
    if to.is_empty() {
        return Err(MailtoError::NoRecipient);
    }
    Ok(Mailto {
        to,
        subject,
        body,
        headers,
    })
}
