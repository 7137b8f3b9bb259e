//! Outbound messages refuse header injection and oversized parts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use consentry::{EmailAddress, MessageBuilder, MessageError, OutboundMessage};
use proptest::prelude::*;

fn msg() -> MessageBuilder {
    OutboundMessage::builder(
        EmailAddress::parse("news@shop.example").unwrap(),
        EmailAddress::parse("ann@example.com").unwrap(),
    )
    .subject("Hello")
}

#[test]
fn header_injection_and_bad_names_are_refused() {
    for bad in ["x\r\nBcc: all@example.com", "x\n", "x\0", "x\u{85}"] {
        assert!(
            matches!(
                msg().header("X-Note", bad).build(),
                Err(MessageError::HeaderInjection { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(msg().header("X-Note", "tab\tis fine").build().is_ok());
    for name in ["", "Bad Name", "X:Y", "Ümlaut"] {
        assert!(
            matches!(
                msg().header(name, "v").build(),
                Err(MessageError::HeaderName { .. })
            ),
            "{name:?}"
        );
    }
    for reserved in [
        "From",
        "to",
        "BCC",
        "Subject",
        "reply-to",
        "Content-Type",
        "content-transfer-encoding",
        "MIME-Version",
        "Return-Path",
        "Resent-From",
        "resent-message-id",
        "Received",
    ] {
        assert!(
            matches!(
                msg().header(reserved, "v").build(),
                Err(MessageError::ReservedHeader { .. })
            ),
            "{reserved}"
        );
    }
    assert!(matches!(
        OutboundMessage::builder(
            EmailAddress::parse("a@b.example").unwrap(),
            EmailAddress::parse("c@d.example").unwrap()
        )
        .subject("s".repeat(999))
        .build(),
        Err(MessageError::SubjectTooLong { len: 999 })
    ));
    assert!(matches!(
        msg().text("x".repeat(10 * 1024 * 1024 + 1)).build(),
        Err(MessageError::BodyTooLarge { .. })
    ));
}

#[test]
fn the_builder_reports_the_first_problem_once_at_build_time() {
    let r = msg()
        .header("X-Note", "fine")
        .header("Content-Type", "text/html")
        .text("x".repeat(10 * 1024 * 1024 + 1))
        .build();
    assert_eq!(
        r,
        Err(MessageError::ReservedHeader {
            name: "Content-Type".into()
        })
    );
    let ok = msg().header("X-Campaign", "summer").build().unwrap();
    assert_eq!(ok.header("x-campaign"), Some("summer"));
    assert!(msg().header("X-Sub", "ok").build().is_ok());
}

#[test]
fn serde_goes_through_the_same_checks() {
    let m = msg()
        .text("body")
        .header("List-Id", "<news.shop.example>")
        .build()
        .unwrap();
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(serde_json::from_str::<OutboundMessage>(&json).unwrap(), m);
    let injected = json.replace("<news.shop.example>", "x\\r\\nBcc: all@example.com");
    assert!(serde_json::from_str::<OutboundMessage>(&injected).is_err());
    let subject = json.replace("\"Hello\"", "\"Hi\\r\\nBcc: x@y.example\"");
    assert!(serde_json::from_str::<OutboundMessage>(&subject).is_err());
}

proptest! {
    #[test]
    fn no_accepted_header_value_carries_a_line_break(name in "[A-Za-z-]{1,20}", value in ".{0,80}") {
        if let Ok(m) = msg().header(name, value).build() {
            for h in m.headers() {
                prop_assert!(!h.value().contains('\r') && !h.value().contains('\n'));
            }
        }
    }
}
