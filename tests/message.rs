//! Outbound messages refuse header injection and oversized parts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use consentry::{EmailAddress, MessageError, OutboundMessage};
use proptest::prelude::*;

fn msg() -> OutboundMessage {
    OutboundMessage::new(
        EmailAddress::parse("news@shop.example").unwrap(),
        EmailAddress::parse("ann@example.com").unwrap(),
        "Hello",
    )
    .unwrap()
}

#[test]
fn header_injection_and_bad_names_are_refused() {
    for bad in ["x\r\nBcc: all@example.com", "x\n", "x\0", "x\u{85}"] {
        assert!(
            matches!(
                msg().with_header("X-Note", bad),
                Err(MessageError::HeaderInjection { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(msg().with_header("X-Note", "tab\tis fine").is_ok());
    for name in ["", "Bad Name", "X:Y", "Ümlaut"] {
        assert!(
            matches!(
                msg().with_header(name, "v"),
                Err(MessageError::HeaderName { .. })
            ),
            "{name:?}"
        );
    }
    for reserved in ["From", "to", "BCC", "Subject", "reply-to"] {
        assert!(
            matches!(
                msg().with_header(reserved, "v"),
                Err(MessageError::ReservedHeader { .. })
            ),
            "{reserved}"
        );
    }
    assert!(matches!(
        OutboundMessage::new(
            EmailAddress::parse("a@b.example").unwrap(),
            EmailAddress::parse("c@d.example").unwrap(),
            "s".repeat(999)
        ),
        Err(MessageError::SubjectTooLong { len: 999 })
    ));
    assert!(matches!(
        msg().with_text("x".repeat(10 * 1024 * 1024 + 1)),
        Err(MessageError::BodyTooLarge { .. })
    ));
}

#[test]
fn serde_goes_through_the_same_checks() {
    let m = msg()
        .with_text("body")
        .unwrap()
        .with_header("List-Id", "<news.shop.example>")
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
        if let Ok(m) = msg().with_header(name, value) {
            for h in m.headers() {
                prop_assert!(!h.value().contains('\r') && !h.value().contains('\n'));
            }
        }
    }
}
