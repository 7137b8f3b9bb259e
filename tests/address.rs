//! Email address parsing through the public API.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use consentry::{AddressError, AddressOptions, EmailAddress, IdError, ListId, TenantId};
use proptest::prelude::*;

#[test]
fn accepts_practical_addresses_and_canonicalises_them() {
    let cases = [
        ("bob@example.com", "bob@example.com"),
        ("Bob@Example.COM", "bob@example.com"),
        (
            "first.last+tag@sub.example.co.uk",
            "first.last+tag@sub.example.co.uk",
        ),
        ("o'brien@example.ie", "o'brien@example.ie"),
        (
            "x!#$%&'*+-/=?^_`{|}~@example.org",
            "x!#$%&'*+-/=?^_`{|}~@example.org",
        ),
        ("\"Bob\"@example.com", "bob@example.com"),
        ("\"john doe\"@example.com", "\"john doe\"@example.com"),
        ("\"a@b\"@example.com", "\"a@b\"@example.com"),
        (
            "\"quote\\\"inside\"@example.com",
            "\"quote\\\"inside\"@example.com",
        ),
        ("user@Bücher.Example", "user@xn--bcher-kva.example"),
        ("JÖRG@münchen.de", "jörg@xn--mnchen-3ya.de"),
        ("user@xn--bcher-kva.example", "user@xn--bcher-kva.example"),
        ("a@b-c.d1.example", "a@b-c.d1.example"),
    ];
    for (input, canonical) in cases {
        let a = EmailAddress::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(a.as_str(), input);
        assert_eq!(a.canonical(), canonical, "{input}");
    }
}

#[test]
fn one_person_whatever_the_spelling() {
    let a = EmailAddress::parse("Bob@Example.COM").unwrap();
    let b = EmailAddress::parse("bob@example.com").unwrap();
    let c = EmailAddress::parse("\"BOB\"@EXAMPLE.com").unwrap();
    assert_eq!(a, b);
    assert_eq!(b, c);
    let set: std::collections::HashSet<_> = [a, b, c].into_iter().collect();
    assert_eq!(set.len(), 1);
    let idn = EmailAddress::parse("x@bücher.example").unwrap();
    assert_eq!(idn, EmailAddress::parse("X@XN--BCHER-KVA.example").unwrap());
}

#[test]
fn each_malformation_has_its_own_error() {
    let long_local = format!("{}@example.com", "a".repeat(65));
    let long_total = format!(
        "{}@{}.{}.{}.com",
        "a".repeat(64),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(63)
    );
    let long_label = format!("a@{}.com", "b".repeat(64));
    type Check = fn(&AddressError) -> bool;
    let cases: Vec<(&str, Check)> = vec![
        ("", |e| *e == AddressError::Empty),
        ("bob.example.com", |e| *e == AddressError::MissingAt),
        ("@example.com", |e| *e == AddressError::EmptyLocalPart),
        ("bob@", |e| *e == AddressError::EmptyDomain),
        (&long_local, |e| {
            matches!(e, AddressError::LocalPartTooLong { len: 65 })
        }),
        (&long_total, |e| matches!(e, AddressError::TooLong { .. })),
        ("bob@example.com\r\nBcc: all@example.com", |e| {
            matches!(e, AddressError::ControlCharacter { code: 0x0D, .. })
        }),
        ("bob\n@example.com", |e| {
            matches!(e, AddressError::ControlCharacter { code: 0x0A, .. })
        }),
        ("bob\0@example.com", |e| {
            matches!(e, AddressError::ControlCharacter { code: 0, .. })
        }),
        ("bob\u{7f}@example.com", |e| {
            matches!(e, AddressError::ControlCharacter { .. })
        }),
        ("bob smith@example.com", |e| {
            matches!(e, AddressError::Whitespace { position: 3 })
        }),
        ("bob@exa mple.com", |e| {
            matches!(e, AddressError::Whitespace { .. })
        }),
        (".bob@example.com", |e| *e == AddressError::LeadingDot),
        ("bob.@example.com", |e| *e == AddressError::TrailingDot),
        ("bo..b@example.com", |e| *e == AddressError::DoubledDot),
        ("bo(b)@example.com", |e| {
            matches!(e, AddressError::InvalidLocalCharacter { ch: '(' })
        }),
        ("a@b@example.com", |e| {
            matches!(e, AddressError::InvalidLocalCharacter { ch: '@' })
        }),
        ("\"unterminated@example.com", |e| {
            *e == AddressError::MalformedQuotedLocalPart
        }),
        ("\"bad\"quote\"@example.com", |e| {
            *e == AddressError::MalformedQuotedLocalPart
        }),
        ("bob@-example.com", |e| {
            matches!(e, AddressError::InvalidDomain { .. })
        }),
        ("bob@example-.com", |e| {
            matches!(e, AddressError::InvalidDomain { .. })
        }),
        ("bob@exa_mple.com", |e| {
            matches!(e, AddressError::InvalidDomain { .. })
        }),
        ("bob@example..com", |e| {
            matches!(e, AddressError::InvalidDomain { .. })
        }),
        ("bob@example.com.", |e| {
            matches!(e, AddressError::InvalidDomain { .. })
        }),
        ("bob@ex%61mple.com", |e| {
            matches!(e, AddressError::InvalidDomain { .. })
        }),
        ("bob@1.2.3.4", |e| {
            matches!(e, AddressError::InvalidDomain { .. })
        }),
        (&long_label, |e| {
            matches!(e, AddressError::DomainLabelTooLong { len: 64 })
        }),
        ("bob@localhost", |e| {
            matches!(e, AddressError::DomainWithoutDot { .. })
        }),
        ("bob@[192.0.2.1]", |e| {
            *e == AddressError::IpLiteralNotAllowed
        }),
    ];
    for (input, check) in cases {
        match EmailAddress::parse(input) {
            Ok(a) => panic!("{input:?} was accepted as {}", a.canonical()),
            Err(e) => assert!(check(&e), "{input:?} gave {e:?}"),
        }
    }
}

#[test]
fn ip_literals_only_when_allowed() {
    let opts = AddressOptions::default().with_ip_literal(true);
    let v4 = EmailAddress::parse_with("root@[192.0.2.1]", opts).unwrap();
    assert_eq!(v4.domain(), "[192.0.2.1]");
    let v6 = EmailAddress::parse_with("root@[IPv6:2001:DB8::1]", opts).unwrap();
    assert_eq!(v6.domain(), "[ipv6:2001:db8::1]");
    assert!(EmailAddress::parse_with("root@[300.0.0.1]", opts).is_err());
}

#[test]
fn error_text_never_quotes_the_local_part() {
    let e = EmailAddress::parse("secret.name(x)@example.com").unwrap_err();
    assert!(!e.to_string().contains("secret"), "{e}");
    let e = EmailAddress::parse("secret name@example.com").unwrap_err();
    assert!(!e.to_string().contains("secret"), "{e}");
}

#[test]
fn debug_redacts_the_local_part() {
    let a = EmailAddress::parse("bob@example.com").unwrap();
    assert_eq!(format!("{a:?}"), "EmailAddress(b***@example.com)");
    assert_eq!(a.to_string(), "bob@example.com");
}

#[test]
fn serde_goes_through_the_same_check() {
    let a: EmailAddress = serde_json::from_str("\"Bob@Example.COM\"").unwrap();
    assert_eq!(a.canonical(), "bob@example.com");
    assert_eq!(serde_json::to_string(&a).unwrap(), "\"Bob@Example.COM\"");
    assert!(serde_json::from_str::<EmailAddress>("\"bob@example.com\\r\\nBcc: x@y.z\"").is_err());
    assert!(serde_json::from_str::<EmailAddress>("\"no-at-sign\"").is_err());
    let t: Result<TenantId, _> = serde_json::from_str("\"\"");
    assert!(t.is_err());
}

#[test]
fn ids_are_checked() {
    assert!(TenantId::new("acme").is_ok());
    assert_eq!(TenantId::new(""), Err(IdError::Empty));
    assert!(matches!(
        ListId::new("x".repeat(129)),
        Err(IdError::TooLong { len: 129 })
    ));
    assert!(ListId::new("x".repeat(128)).is_ok());
    assert!(matches!(
        ListId::new("a\nb"),
        Err(IdError::ControlCharacter { code: 10 })
    ));
    assert_eq!(TenantId::new(" acme"), Err(IdError::SurroundingWhitespace));
}

fn address_like() -> impl Strategy<Value = String> {
    let local = prop_oneof![
        "[a-zA-Z0-9._%+'-]{1,70}",
        "\"[ a-zA-Z@.]{0,20}\"",
        "[a-zA-ZÀ-ÿİß]{1,20}",
    ];
    let domain = prop_oneof![
        "[a-zA-Z0-9-]{1,20}(\\.[a-zA-Z0-9-]{1,20}){0,3}",
        "[a-zà-ÿü]{1,12}\\.(de|example|co\\.uk)",
        "\\[[0-9.:a-fA-Fv6I]{1,20}\\]",
    ];
    (local, domain).prop_map(|(l, d)| format!("{l}@{d}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_never_panics_on_arbitrary_strings(s in any::<String>()) {
        let _ = EmailAddress::parse(&s);
        let _ = EmailAddress::parse_with(&s, AddressOptions::default().with_ip_literal(true));
    }

    #[test]
    fn parse_never_panics_on_address_like_strings(s in address_like()) {
        let _ = EmailAddress::parse(&s);
    }

    #[test]
    fn canonicalising_twice_changes_nothing(s in address_like()) {
        let opts = AddressOptions::default().with_ip_literal(true);
        if let Ok(a) = EmailAddress::parse_with(&s, opts) {
            let again = EmailAddress::parse_with(a.canonical(), opts)
                .unwrap_or_else(|e| panic!("canonical {:?} of {s:?} does not parse: {e}", a.canonical()));
            prop_assert_eq!(again.canonical(), a.canonical());
            prop_assert_eq!(&again, &a);
        }
    }

    #[test]
    fn accepted_addresses_have_no_control_characters_and_fit(s in any::<String>()) {
        if let Ok(a) = EmailAddress::parse(&s) {
            prop_assert!(!a.as_str().chars().any(char::is_control));
            prop_assert!(a.canonical().len() <= 254);
            prop_assert!(a.local_part().len() <= 64);
        }
    }

    #[test]
    fn addresses_round_trip_through_serde(s in address_like()) {
        if let Ok(a) = EmailAddress::parse(&s) {
            let json = serde_json::to_string(&a).unwrap();
            let back: EmailAddress = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back.as_str(), a.as_str());
            prop_assert_eq!(back.canonical(), a.canonical());
        }
    }
}

#[test]
fn unicode_spellings_of_one_address_share_one_key() {
    // NFC and NFD spellings.
    let nfc = EmailAddress::parse("jos\u{e9}@example.com").unwrap();
    let nfd = EmailAddress::parse("jose\u{301}@example.com").unwrap();
    assert_eq!(nfc, nfd);
    assert_eq!(nfc.canonical(), nfd.canonical());
    // Full-width letters fold to their ASCII forms for matching.
    let wide = EmailAddress::parse("\u{ff42}\u{ff4f}\u{ff42}@example.com").unwrap();
    assert_eq!(wide.canonical(), "bob@example.com");
    // The Kelvin sign lowercases to k (Unicode full case mapping).
    let kelvin = EmailAddress::parse("\u{212a}evin@example.com").unwrap();
    assert_eq!(kelvin.canonical(), "kevin@example.com");
    // The text as given is kept for delivery.
    assert_eq!(wide.as_str(), "\u{ff42}\u{ff4f}\u{ff42}@example.com");
}

#[test]
fn invisible_characters_are_refused() {
    for (input, code) in [
        ("bo\u{200b}b@example.com", 0x200b),
        ("bo\u{ad}b@example.com", 0xad),
        ("\u{202e}bob@example.com", 0x202e),
        ("bob\u{2066}@example.com", 0x2066),
        ("bob@exa\u{200d}mple.com", 0x200d),
        ("bob\u{feff}@example.com", 0xfeff),
    ] {
        match EmailAddress::parse(input) {
            Err(AddressError::InvisibleCharacter { code: c, .. }) => {
                assert_eq!(c, code, "{input:?}")
            }
            other => panic!("{input:?}: {other:?}"),
        }
    }
}

#[test]
fn an_ip_literal_address_reads_back_from_json() {
    let opts = consentry::AddressOptions::default().with_ip_literal(true);
    let a = EmailAddress::parse_with("ann@[192.0.2.1]", opts).unwrap();
    let json = serde_json::to_string(&a).unwrap();
    let back: EmailAddress = serde_json::from_str(&json).unwrap();
    assert_eq!(back, a);
    // Parsing user input stays strict by default.
    assert!(EmailAddress::parse("ann@[192.0.2.1]").is_err());
}
