//! [`OutboundMessage`]: a message about to be handed to a [`Mailer`](crate::Mailer).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::address::EmailAddress;

/// Longest subject accepted, in bytes.
pub const MAX_SUBJECT_BYTES: usize = 998;
/// Longest body (text or HTML) accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Why a message or header was refused.
///
/// The caller built a message that cannot be sent safely: fix the template
/// or the data; do not retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// A header name is empty or holds a character outside printable ASCII
    /// less `:` (RFC 5322 section 2.2).
    #[error("`{name}` is not a valid header name")]
    HeaderName {
        /// The name as given (control characters escaped).
        name: String,
    },
    /// A header value or subject holds CR, LF or another control character
    /// (header injection).
    #[error("the `{field}` value holds a CR, LF or other control character")]
    HeaderInjection {
        /// The header or field name.
        field: String,
    },
    /// The subject is longer than 998 bytes.
    #[error("the subject is {len} bytes long; at most 998 are allowed")]
    SubjectTooLong {
        /// Its length.
        len: usize,
    },
    /// A body is larger than 10 MiB.
    #[error("the body is {len} bytes long; at most 10 MiB are allowed")]
    BodyTooLarge {
        /// Its length.
        len: usize,
    },
    /// A header the crate or the mailer manages was added by hand: the
    /// envelope (`From`, `To`, `Subject`, ...), the MIME structure
    /// (`Content-Type`, `Content-Transfer-Encoding`, `MIME-Version`, ...) or
    /// trace and identity headers (`Return-Path`, `Received`, `Resent-*`).
    #[error("header `{name}` is set through its own field, not as a custom header")]
    ReservedHeader {
        /// The header name.
        name: String,
    },
}

/// One extra header of an outbound message, checked against injection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawHeader")]
pub struct Header {
    name: String,
    value: String,
}

#[derive(Deserialize)]
struct RawHeader {
    name: String,
    value: String,
}

impl TryFrom<RawHeader> for Header {
    type Error = MessageError;
    fn try_from(raw: RawHeader) -> Result<Self, Self::Error> {
        Header::new(raw.name, raw.value)
    }
}

const RESERVED: &[&str] = &[
    "from",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "subject",
    "sender",
    "date",
    "message-id",
    // Structure and identity: a custom header must never override the MIME
    // structure the mailer renders, nor the trace and resent identity.
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
    "content-id",
    "mime-version",
    "return-path",
    "received",
    "dkim-signature",
];

fn reserved(name: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name))
        || name
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("resent-"))
}

impl Header {
    /// A header from a name and a value.
    ///
    /// # Errors
    ///
    /// [`MessageError::HeaderName`] for an empty or malformed name,
    /// [`MessageError::ReservedHeader`] for a header the message or the mailer
    /// sets itself (envelope, MIME structure, trace, `Resent-*`),
    /// [`MessageError::HeaderInjection`] when the value holds CR, LF or any
    /// other control character but tab.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Result<Self, MessageError> {
        let name = name.into();
        let value = value.into();
        if name.is_empty() || !name.bytes().all(|b| (33..=126).contains(&b) && b != b':') {
            return Err(MessageError::HeaderName {
                name: name.escape_default().to_string(),
            });
        }
        if reserved(&name) {
            return Err(MessageError::ReservedHeader { name });
        }
        check_field(&name, &value)?;
        Ok(Header { name, value })
    }

    /// The header name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The header value (unfolded).
    pub fn value(&self) -> &str {
        &self.value
    }
}

fn check_field(field: &str, value: &str) -> Result<(), MessageError> {
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(MessageError::HeaderInjection {
            field: field.to_owned(),
        });
    }
    Ok(())
}

fn check_body(body: &str) -> Result<(), MessageError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(MessageError::BodyTooLarge { len: body.len() });
    }
    Ok(())
}

/// A message about to be delivered: envelope, subject, bodies and extra
/// headers, each checked when set so a [`Mailer`](crate::Mailer) can render
/// it without re-validating.
///
/// ```
/// use consentry::{EmailAddress, MessageError, OutboundMessage};
///
/// let msg = OutboundMessage::builder(
///     EmailAddress::parse("news@shop.example")?,
///     EmailAddress::parse("ann@example.com")?,
/// )
/// .subject("Your receipt")
/// .text("Order 1042: 2 items, $31.00.")
/// .header("List-Unsubscribe", "<https://shop.example/u/abc>")
/// .build()?;
/// assert_eq!(msg.headers().len(), 1);
///
/// // The first problem is reported once, at build time.
/// let injected = OutboundMessage::builder(
///     EmailAddress::parse("news@shop.example")?,
///     EmailAddress::parse("ann@example.com")?,
/// )
/// .subject("Hi\r\nBcc: everyone@example.com")
/// .header("Content-Type", "text/html")
/// .build();
/// assert!(matches!(injected, Err(MessageError::HeaderInjection { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawMessage")]
pub struct OutboundMessage {
    to: EmailAddress,
    /// Everything but the recipient, shared by every copy made with
    /// [`to_recipient`](Self::to_recipient) (a campaign's copies differ
    /// only in `To`; a copy is a reference count, not a new body).
    parts: Arc<Parts>,
}

#[derive(Clone, PartialEq, Eq)]
struct Parts {
    from: EmailAddress,
    reply_to: Option<EmailAddress>,
    subject: String,
    text: Option<String>,
    html: Option<String>,
    headers: Vec<Header>,
}

/// The serialised form, field for field as it has always been.
#[derive(Serialize)]
struct MessageRef<'a> {
    from: &'a EmailAddress,
    reply_to: &'a Option<EmailAddress>,
    to: &'a EmailAddress,
    subject: &'a str,
    text: &'a Option<String>,
    html: &'a Option<String>,
    headers: &'a [Header],
}

impl Serialize for OutboundMessage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let p = &*self.parts;
        MessageRef {
            from: &p.from,
            reply_to: &p.reply_to,
            to: &self.to,
            subject: &p.subject,
            text: &p.text,
            html: &p.html,
            headers: &p.headers,
        }
        .serialize(serializer)
    }
}

impl fmt::Debug for OutboundMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &*self.parts;
        f.debug_struct("OutboundMessage")
            .field("from", &p.from)
            .field("reply_to", &p.reply_to)
            .field("to", &self.to)
            .field("subject", &p.subject)
            .field("text", &p.text)
            .field("html", &p.html)
            .field("headers", &p.headers)
            .finish()
    }
}

#[derive(Deserialize)]
struct RawMessage {
    from: EmailAddress,
    reply_to: Option<EmailAddress>,
    to: EmailAddress,
    subject: String,
    text: Option<String>,
    html: Option<String>,
    #[serde(default)]
    headers: Vec<Header>,
}

impl TryFrom<RawMessage> for OutboundMessage {
    type Error = MessageError;
    fn try_from(raw: RawMessage) -> Result<Self, Self::Error> {
        let mut b = OutboundMessage::builder(raw.from, raw.to).subject(raw.subject);
        if let Some(r) = raw.reply_to {
            b = b.reply_to(r);
        }
        if let Some(t) = raw.text {
            b = b.text(t);
        }
        if let Some(h) = raw.html {
            b = b.html(h);
        }
        for h in raw.headers {
            b = b.header(h.name, h.value);
        }
        b.build()
    }
}

/// Builds an [`OutboundMessage`]: each setter checks its part, and the first
/// problem is kept and reported by [`MessageBuilder::build`].
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct MessageBuilder {
    parts: Result<OutboundMessage, MessageError>,
}

impl MessageBuilder {
    fn and_then(self, f: impl FnOnce(&mut Parts) -> Result<(), MessageError>) -> Self {
        MessageBuilder {
            parts: self
                .parts
                .and_then(|mut m| f(Arc::make_mut(&mut m.parts)).map(|()| m)),
        }
    }

    /// The subject line (no control characters, at most 998 bytes).
    pub fn subject(self, subject: impl Into<String>) -> Self {
        let subject = subject.into();
        self.and_then(|m| {
            check_field("Subject", &subject)?;
            if subject.len() > MAX_SUBJECT_BYTES {
                return Err(MessageError::SubjectTooLong { len: subject.len() });
            }
            m.subject = subject;
            Ok(())
        })
    }

    /// The Reply-To address.
    pub fn reply_to(self, reply_to: EmailAddress) -> Self {
        self.and_then(|m| {
            m.reply_to = Some(reply_to);
            Ok(())
        })
    }

    /// The plain-text body (at most 10 MiB).
    pub fn text(self, text: impl Into<String>) -> Self {
        let text = text.into();
        self.and_then(|m| {
            check_body(&text)?;
            m.text = Some(text);
            Ok(())
        })
    }

    /// The HTML body (at most 10 MiB).
    pub fn html(self, html: impl Into<String>) -> Self {
        let html = html.into();
        self.and_then(|m| {
            check_body(&html)?;
            m.html = Some(html);
            Ok(())
        })
    }

    /// An extra header (`List-Unsubscribe`, `List-Id`, ...), checked as
    /// [`Header::new`] checks it.
    pub fn header(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let (name, value) = (name.into(), value.into());
        self.and_then(|m| {
            m.headers.push(Header::new(name, value)?);
            Ok(())
        })
    }

    /// The message, or the first problem found while building it.
    ///
    /// # Errors
    ///
    /// [`MessageError::HeaderInjection`] for a control character in the
    /// subject or a header, [`MessageError::SubjectTooLong`],
    /// [`MessageError::BodyTooLarge`], or a header [`Header::new`] refuses.
    pub fn build(self) -> Result<OutboundMessage, MessageError> {
        self.parts
    }
}

impl OutboundMessage {
    /// Start building a message from `from` to `to`; every part is checked
    /// as it is added and the first problem is reported once, by
    /// [`MessageBuilder::build`] (as `http`'s and lettre's builders do).
    pub fn builder(from: EmailAddress, to: EmailAddress) -> MessageBuilder {
        MessageBuilder {
            parts: Ok(OutboundMessage {
                to,
                parts: Arc::new(Parts {
                    from,
                    reply_to: None,
                    subject: String::new(),
                    text: None,
                    html: None,
                    headers: Vec::new(),
                }),
            }),
        }
    }

    /// The sender.
    pub fn from(&self) -> &EmailAddress {
        &self.parts.from
    }
    /// The Reply-To address, if any.
    pub fn reply_to(&self) -> Option<&EmailAddress> {
        self.parts.reply_to.as_ref()
    }
    /// The recipient.
    pub fn to(&self) -> &EmailAddress {
        &self.to
    }
    /// The subject.
    pub fn subject(&self) -> &str {
        &self.parts.subject
    }
    /// The plain-text body.
    pub fn text(&self) -> Option<&str> {
        self.parts.text.as_deref()
    }
    /// The HTML body.
    pub fn html(&self) -> Option<&str> {
        self.parts.html.as_deref()
    }
    /// The extra headers, in the order added.
    pub fn headers(&self) -> &[Header] {
        &self.parts.headers
    }
    /// The value of the first extra header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }
    /// A builder holding this message, to change or add parts (a
    /// personalised copy of a template, say).
    pub fn to_builder(&self) -> MessageBuilder {
        MessageBuilder {
            parts: Ok(self.clone()),
        }
    }

    /// The recipient, the message given up (a send reports whom it reached
    /// without copying the address).
    pub(crate) fn into_recipient(self) -> EmailAddress {
        self.to
    }

    /// The same message for another recipient.
    pub fn to_recipient(&self, to: EmailAddress) -> Self {
        OutboundMessage {
            to,
            parts: Arc::clone(&self.parts),
        }
    }
}
