//! [`LettreMailer`]: a [`Mailer`] over any lettre `Transport` (feature
//! `lettre`).
//!
//! Renders an [`OutboundMessage`] into a lettre message, its extra headers
//! (`List-Unsubscribe`, `List-Unsubscribe-Post`, ...) included, and hands it
//! to the transport: SMTP, sendmail, a file, or lettre's stub in tests.

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Transport;

use crate::address::EmailAddress;
use crate::edge::ports::Mailer;
use crate::message::OutboundMessage;

/// Why an [`OutboundMessage`] could not be rendered as a lettre message.
///
/// The message is not deliverable through lettre as it is: fix the address
/// or header; do not retry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// lettre refused an address (lettre's parser is stricter than
    /// consentry's in places: quoted local parts, IP literals). The domain
    /// is named; the local part is not, to keep it out of logs.
    #[error("lettre refused an address at `{domain}`")]
    Address {
        /// The address's domain.
        domain: String,
        /// lettre's error.
        #[source]
        source: lettre::address::AddressError,
    },
    /// lettre could not build the message.
    #[error("lettre could not build the message")]
    Build(#[source] lettre::error::Error),
    /// A header name lettre refuses.
    #[error("lettre refused header name `{0}`")]
    HeaderName(String),
}

/// Why a message could not be handed to the transport.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LettreMailerError<E>
where
    E: std::error::Error + 'static,
{
    /// The message could not be rendered; do not retry.
    #[error("the message could not be rendered")]
    Render(#[from] RenderError),
    /// The transport failed; retry according to its error.
    #[error("transport failed")]
    Transport(#[source] E),
}

/// A [`Mailer`] over a lettre transport.
///
/// ```
/// use consentry::edge::lettre_mailer::LettreMailer;
/// use consentry::{EmailAddress, Mailer, OutboundMessage};
/// use lettre::transport::stub::StubTransport;
///
/// let mailer = LettreMailer::new(StubTransport::new_ok());
/// let msg = OutboundMessage::builder(
///     EmailAddress::parse("news@shop.example")?,
///     EmailAddress::parse("ann@example.com")?,
/// )
/// .subject("Summer sale")
/// .text("30% off.")
/// .header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
/// .build()?;
/// mailer.deliver(&msg)?;
/// let (_, raw) = &mailer.transport().messages()[0];
/// assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct LettreMailer<T> {
    transport: T,
}

impl<T> LettreMailer<T> {
    /// A mailer over a transport.
    pub fn new(transport: T) -> Self {
        LettreMailer { transport }
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }
}

fn mailbox(a: &EmailAddress) -> Result<Mailbox, RenderError> {
    a.as_str()
        .parse::<Mailbox>()
        .map_err(|source| RenderError::Address {
            domain: a.domain().to_owned(),
            source,
        })
}

/// Render an [`OutboundMessage`] as a lettre message.
///
/// # Errors
///
/// A [`RenderError`].
pub fn render(message: &OutboundMessage) -> Result<lettre::Message, RenderError> {
    let mut builder = lettre::Message::builder()
        .from(mailbox(message.from())?)
        .to(mailbox(message.to())?)
        .subject(message.subject());
    if let Some(reply_to) = message.reply_to() {
        builder = builder.reply_to(mailbox(reply_to)?);
    }
    let text = message.text().unwrap_or_default().to_owned();
    let built = match message.html() {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(text, html.to_owned())),
        None => builder.singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(text),
        ),
    };
    let mut out = built.map_err(RenderError::Build)?;
    for h in message.headers() {
        let name = HeaderName::new_from_ascii(h.name().to_owned())
            .map_err(|_| RenderError::HeaderName(h.name().to_owned()))?;
        // `HeaderValue::new` encodes (RFC 2047) and folds; consentry already
        // refused CR, LF and control characters in the value.
        out.headers_mut()
            .insert_raw(HeaderValue::new(name, h.value().to_owned()));
    }
    Ok(out)
}

impl<T> Mailer for LettreMailer<T>
where
    T: Transport,
    T::Error: std::error::Error + Send + Sync + 'static,
{
    type Error = LettreMailerError<T::Error>;

    fn deliver(&self, message: &OutboundMessage) -> Result<(), Self::Error> {
        let rendered = render(message)?;
        self.transport
            .send(&rendered)
            .map(|_| ())
            .map_err(LettreMailerError::Transport)
    }
}
