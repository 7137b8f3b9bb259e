//! The lettre mailer (feature `lettre`): render, deliver, read back.
#![cfg(feature = "lettre")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use consentry::edge::lettre_mailer::{LettreMailer, LettreMailerError};
use consentry::unsubscribe::build_unsubscribe_headers;
use consentry::{EmailAddress, Mailer, OutboundMessage};
use lettre::transport::file::FileTransport;
use lettre::transport::stub::StubTransport;

fn message() -> OutboundMessage {
    let base = url::Url::parse("https://mail.shop.example/unsubscribe").unwrap();
    let h = build_unsubscribe_headers(&base, "v1.k1.payload.sig", Some("unsub@mail.shop.example"))
        .unwrap();
    OutboundMessage::builder(EmailAddress::parse("deals@shop.example").unwrap(), EmailAddress::parse("Ann@Example.com").unwrap())
.subject("Summer sale — 30% off")
.reply_to(EmailAddress::parse("help@shop.example").unwrap())
.text("30% off sandals.\nUnsubscribe: https://mail.shop.example/unsubscribe?token=v1.k1.payload.sig")
.html("<p>30% off sandals.</p><a href=\"https://mail.shop.example/unsubscribe?token=v1.k1.payload.sig\">Unsubscribe</a>")
.header("List-Unsubscribe", h.list_unsubscribe)
.header("List-Unsubscribe-Post", h.list_unsubscribe_post)
.build().unwrap()
}

/// Unfold RFC 5322 header lines so a folded value can be read back whole.
fn header(raw: &str, name: &str) -> Option<String> {
    let head = raw.split("\r\n\r\n").next().unwrap();
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded
        .lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .map(|l| l[name.len() + 1..].trim().to_owned())
}

#[test]
fn the_stub_transport_receives_headers_and_both_bodies() {
    let mailer = LettreMailer::new(StubTransport::new_ok());
    mailer.deliver(&message()).unwrap();
    let messages = mailer.transport().messages();
    assert_eq!(messages.len(), 1);
    let (envelope, raw) = &messages[0];
    assert_eq!(envelope.to()[0].to_string(), "Ann@Example.com");
    assert_eq!(header(raw, "From").unwrap(), "deals@shop.example");
    assert_eq!(header(raw, "Reply-To").unwrap(), "help@shop.example");
    assert_eq!(
        header(raw, "List-Unsubscribe").unwrap(),
        "<https://mail.shop.example/unsubscribe?token=v1.k1.payload.sig>, <mailto:unsub@mail.shop.example?subject=unsubscribe>"
    );
    assert_eq!(
        header(raw, "List-Unsubscribe-Post").unwrap(),
        "List-Unsubscribe=One-Click"
    );
    assert!(raw.contains("multipart/alternative"), "{raw}");
    assert!(raw.contains("30% off sandals."), "{raw}");
    let subject = header(raw, "Subject").unwrap();
    assert!(
        subject.is_ascii() && subject.contains("=?utf-8?"),
        "non-ASCII subject is RFC 2047 encoded: {subject}"
    );
}

#[test]
fn the_file_transport_writes_a_message_that_reads_back() {
    let dir = std::env::temp_dir().join(format!("consentry-lettre-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mailer = LettreMailer::new(FileTransport::new(&dir));
    mailer.deliver(&message()).unwrap();
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert_eq!(
        header(&raw, "List-Unsubscribe-Post").unwrap(),
        "List-Unsubscribe=One-Click"
    );
    assert!(header(&raw, "List-Unsubscribe")
        .unwrap()
        .starts_with("<https://"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn transport_failures_are_typed() {
    let mailer = LettreMailer::new(StubTransport::new_error());
    assert!(matches!(
        mailer.deliver(&message()),
        Err(LettreMailerError::Transport(_))
    ));
}
