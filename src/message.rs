//! [`OutboundMessage`]: a message about to be handed to a [`Mailer`](crate::Mailer).

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
    /// A header the crate manages (`From`, `To`, `Subject`, ...) was added by hand.
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
];

impl Header {
    /// A header from a name and a value.
    ///
    /// # Errors
    ///
    /// [`MessageError::HeaderName`] for an empty or malformed name,
    /// [`MessageError::ReservedHeader`] for a header the message sets itself,
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
        if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&name)) {
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
/// use consentry::{EmailAddress, OutboundMessage};
///
/// let msg = OutboundMessage::new(
///     EmailAddress::parse("news@shop.example")?,
///     EmailAddress::parse("ann@example.com")?,
///     "Your receipt",
/// )?
/// .with_text("Order 1042: 2 items, $31.00.")?
/// .with_header("List-Unsubscribe", "<https://shop.example/u/abc>")?;
/// assert_eq!(msg.headers().len(), 1);
/// assert!(OutboundMessage::new(
///     EmailAddress::parse("news@shop.example")?,
///     EmailAddress::parse("ann@example.com")?,
///     "Hi\r\nBcc: everyone@example.com",
/// )
/// .is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawMessage")]
pub struct OutboundMessage {
    from: EmailAddress,
    reply_to: Option<EmailAddress>,
    to: EmailAddress,
    subject: String,
    text: Option<String>,
    html: Option<String>,
    headers: Vec<Header>,
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
        let mut msg = OutboundMessage::new(raw.from, raw.to, raw.subject)?;
        msg.reply_to = raw.reply_to;
        if let Some(t) = raw.text {
            msg = msg.with_text(t)?;
        }
        if let Some(h) = raw.html {
            msg = msg.with_html(h)?;
        }
        msg.headers = raw.headers;
        Ok(msg)
    }
}

impl OutboundMessage {
    /// A message with an envelope and a subject.
    ///
    /// # Errors
    ///
    /// [`MessageError::HeaderInjection`] when the subject holds a control
    /// character, [`MessageError::SubjectTooLong`] past 998 bytes.
    pub fn new(
        from: EmailAddress,
        to: EmailAddress,
        subject: impl Into<String>,
    ) -> Result<Self, MessageError> {
        let subject = subject.into();
        check_field("Subject", &subject)?;
        if subject.len() > MAX_SUBJECT_BYTES {
            return Err(MessageError::SubjectTooLong { len: subject.len() });
        }
        Ok(OutboundMessage {
            from,
            reply_to: None,
            to,
            subject,
            text: None,
            html: None,
            headers: Vec::new(),
        })
    }

    /// Set the Reply-To address.
    pub fn with_reply_to(mut self, reply_to: EmailAddress) -> Self {
        self.reply_to = Some(reply_to);
        self
    }

    /// Set the plain-text body.
    ///
    /// # Errors
    ///
    /// [`MessageError::BodyTooLarge`] past 10 MiB.
    pub fn with_text(mut self, text: impl Into<String>) -> Result<Self, MessageError> {
        let text = text.into();
        check_body(&text)?;
        self.text = Some(text);
        Ok(self)
    }

    /// Set the HTML body.
    ///
    /// # Errors
    ///
    /// [`MessageError::BodyTooLarge`] past 10 MiB.
    pub fn with_html(mut self, html: impl Into<String>) -> Result<Self, MessageError> {
        let html = html.into();
        check_body(&html)?;
        self.html = Some(html);
        Ok(self)
    }

    /// Add an extra header (`List-Unsubscribe`, `List-Id`, ...).
    ///
    /// # Errors
    ///
    /// As [`Header::new`].
    pub fn with_header(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, MessageError> {
        self.headers.push(Header::new(name, value)?);
        Ok(self)
    }

    /// The sender.
    pub fn from(&self) -> &EmailAddress {
        &self.from
    }
    /// The Reply-To address, if any.
    pub fn reply_to(&self) -> Option<&EmailAddress> {
        self.reply_to.as_ref()
    }
    /// The recipient.
    pub fn to(&self) -> &EmailAddress {
        &self.to
    }
    /// The subject.
    pub fn subject(&self) -> &str {
        &self.subject
    }
    /// The plain-text body.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }
    /// The HTML body.
    pub fn html(&self) -> Option<&str> {
        self.html.as_deref()
    }
    /// The extra headers, in the order added.
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }
    /// The value of the first extra header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }
    /// The same message for another recipient.
    pub fn to_recipient(&self, to: EmailAddress) -> Self {
        OutboundMessage { to, ..self.clone() }
    }
}
