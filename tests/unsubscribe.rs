//! Tokens, headers, one-click bodies, deadlines and the one-click handler.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Utc, Weekday};
use common::*;
use consentry::unsubscribe::*;
use consentry::{
    ConsentStore as _, Driver, LedgerPolicy, ListId, MemoryStore, OneClickError, OneClickRequest,
    RecordingMailer, TenantId, UnsubscribeSettings,
};
use proptest::prelude::*;
use url::Url;

fn ring() -> KeyRing {
    KeyRing::new(TokenKey::new("k1", vec![1u8; 32]).unwrap())
}
fn acme() -> TenantId {
    TenantId::new("acme").unwrap()
}
fn news() -> ListId {
    ListId::new("news").unwrap()
}

// ---------------------------------------------------------------------------
// Tokens

/// Issue 12 item 6: a token in a log reveals nothing about its recipient,
/// stays short, and is refused before it was issued.
#[test]
fn tokens_are_confidential_short_and_never_from_the_future() {
    use base64::Engine;
    let r = ring();
    let address = "ann.quinterro@example.com";
    let t = r.issue_sealed(&acme(), &news(), &addr(address), t0());
    // Nothing readable: not in the text, not in any base64 decoding of it.
    for part in t.split('.') {
        for needle in ["ann", "quinterro", "example", "acme", "news"] {
            assert!(
                !part.to_ascii_lowercase().contains(needle) || part.len() < 4,
                "{t}"
            );
        }
        if let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part) {
            let text = String::from_utf8_lossy(&bytes);
            for needle in ["ann", "quinterro", "example.com", "acme", "news"] {
                assert!(!text.contains(needle), "{t} decodes to {text:?}");
            }
        }
    }
    // Under 200 characters for tenant + list + address up to 100 bytes.
    let long_address = format!("{}@example-mail-provider.co.uk", "a".repeat(64));
    assert_eq!("acme".len() + "news".len() + long_address.len(), 100);
    let long = r.issue_sealed(&acme(), &news(), &addr(&long_address), t0());
    assert!(long.len() < 200, "{} characters: {long}", long.len());
    assert!(r.verify(&long, t0()).is_ok());
    // Issued in the future: refused beyond the skew, accepted within it.
    let ahead = r.issue_sealed(&acme(), &news(), &addr(address), t0() + TimeDelta::days(1));
    assert!(matches!(
        r.verify(&ahead, t0()),
        Err(TokenError::FromTheFuture { .. })
    ));
    let skewed = r.issue_sealed(
        &acme(),
        &news(),
        &addr(address),
        t0() + TimeDelta::minutes(4),
    );
    assert!(r.verify(&skewed, t0()).is_ok());
    // No token lives for ever: one issued at the end of time is refused
    // now, and nothing panics.
    let eternal = r.issue_sealed(&acme(), &news(), &addr(address), DateTime::<Utc>::MAX_UTC);
    assert!(matches!(
        r.verify(&eternal, t0()),
        Err(TokenError::FromTheFuture { .. })
    ));
    // A token sealed for one key id does not open under another key.
    let other = KeyRing::new(TokenKey::new("k1", vec![9u8; 32]).unwrap());
    assert_eq!(other.verify(&t, t0()), Err(TokenError::BadSignature));
}

/// A 200-byte address (as 128-byte ids, or a 32-character key id, can)
/// cannot be sealed into 200 characters; `issue` then gives a keyed
/// reference.
fn long_address() -> String {
    format!(
        "{}@{}.{}.example",
        "l".repeat(64),
        "d".repeat(63),
        "e".repeat(63)
    )
}

/// Issue 12 item 6, the bound for every input: whatever the tenant, list,
/// address and key id, an issued token is under 200 characters, and a
/// reference says nothing either.
#[test]
fn a_reference_token_is_short_and_verifies_only_against_its_own_row() {
    let r = KeyRing::new(TokenKey::new("k".repeat(32), vec![1u8; 32]).unwrap());
    let long = long_address();
    assert!(long.len() > 190);
    let IssuedToken::Kept(kept) = r.issue(&acme(), &news(), &addr(&long), t0()) else {
        panic!("a {}-byte address was sealed", long.len());
    };
    assert!(kept.token.len() < MAX_ISSUED_TOKEN_CHARS, "{}", kept.token);
    assert!(kept.token.starts_with("v3."));
    // The ring alone cannot say who it is for.
    assert_eq!(r.verify(&kept.token, t0()), Err(TokenError::KeptByStore));
    let v = r.verify_kept(&kept.token, Some(&kept), t0()).unwrap();
    assert_eq!(
        (v.address.canonical(), v.list.as_str()),
        (long.as_str(), "news")
    );
    assert_eq!(
        r.verify_kept(&kept.token, None, t0()),
        Err(TokenError::NotKept)
    );
    // A row altered in the store (another address, list, time) no longer
    // verifies; another token's row is not this token's.
    let mut moved = kept.clone();
    moved.address = addr("victim@example.com");
    assert_eq!(
        r.verify_kept(&kept.token, Some(&moved), t0()),
        Err(TokenError::BadSignature)
    );
    let mut relisted = kept.clone();
    relisted.list = ListId::new("other").unwrap();
    assert_eq!(
        r.verify_kept(&kept.token, Some(&relisted), t0()),
        Err(TokenError::BadSignature)
    );
    let mut redated = kept.clone();
    redated.issued_at = t0() + TimeDelta::days(60);
    assert_eq!(
        r.verify_kept(&kept.token, Some(&redated), t0() + TimeDelta::days(100)),
        Err(TokenError::BadSignature)
    );
    let IssuedToken::Kept(other) =
        r.issue(&acme(), &news(), &addr(&long), t0() + TimeDelta::hours(1))
    else {
        panic!("sealed");
    };
    assert_ne!(other.token, kept.token);
    assert_eq!(
        r.verify_kept(&kept.token, Some(&other), t0()),
        Err(TokenError::NotKept)
    );
    // Age rules as for sealed tokens; another key's ring refuses it.
    assert!(matches!(
        r.verify_kept(&kept.token, Some(&kept), t0() + TimeDelta::days(91)),
        Err(TokenError::Expired { .. })
    ));
    let stranger = KeyRing::new(TokenKey::new("k".repeat(32), vec![2u8; 32]).unwrap());
    assert_eq!(
        stranger.verify_kept(&kept.token, Some(&kept), t0()),
        Err(TokenError::BadSignature)
    );
    // Short inputs still give self-contained tokens, and `verify_kept`
    // verifies those without a row.
    let IssuedToken::Sealed(short) = r.issue(&acme(), &news(), &addr("ann@example.com"), t0())
    else {
        panic!("a short address was kept");
    };
    assert!(r.verify_kept(&short, None, t0()).is_ok());
    // Malformed references under the ring's own key: a short or long
    // reference, bad base64, a fourth part, no reference at all.
    let kid = "k".repeat(32);
    for bad in [
        format!("v3.{kid}.AAAA"),
        format!("v3.{kid}.{}", "A".repeat(23)),
        format!("v3.{kid}.{}!", "A".repeat(21)),
        format!("v3.{kid}.{}.x", "A".repeat(22)),
        format!("v3.{kid}"),
    ] {
        assert_eq!(r.verify(&bad, t0()), Err(TokenError::Malformed), "{bad}");
        assert_eq!(
            r.verify_kept(&bad, Some(&kept), t0()),
            Err(TokenError::Malformed),
            "{bad}"
        );
    }
    // Well-formed under an unknown key.
    assert!(matches!(
        r.verify(&format!("v3.other.{}", "A".repeat(22)), t0()),
        Err(TokenError::UnknownKey(_))
    ));
}

/// The self-contained form at the limits (128-byte ids, a long address)
/// is long, and still verifies.
#[test]
fn the_longest_sealed_tokens_verify() {
    let r = ring();
    let (tenant, list) = (
        TenantId::new("t".repeat(128)).unwrap(),
        ListId::new("l".repeat(128)).unwrap(),
    );
    let address = addr(&long_address());
    let token = r.issue_sealed(&tenant, &list, &address, t0());
    assert!(token.len() > 600, "{}", token.len());
    let v = r.verify(&token, t0()).unwrap();
    assert_eq!((v.tenant, v.list, v.address), (tenant, list, address));
    // Its last character changed: refused.
    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    assert!(r.verify(&forged, t0()).is_err());
}

/// Links in mail sent before the upgrade (signed `v1` tokens) keep working
/// for their validity.
#[test]
fn legacy_signed_tokens_still_verify() {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let secret = [1u8; 32];
    let r = KeyRing::new(TokenKey::new("k1", secret.to_vec()).unwrap());
    let payload = format!(
        "acme\u{1f}news\u{1f}ann@example.com\u{1f}{}",
        t0().timestamp()
    );
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&secret).unwrap();
    mac.update(b"consentry-unsubscribe\0k1\0");
    mac.update(payload.as_bytes());
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let legacy = format!(
        "v1.k1.{}.{}",
        b64.encode(payload.as_bytes()),
        b64.encode(mac.finalize().into_bytes())
    );
    let v = r.verify(&legacy, t0() + TimeDelta::days(30)).unwrap();
    assert_eq!(v.address.canonical(), "ann@example.com");
}

#[test]
fn a_token_verifies_for_its_own_tenant_list_and_address_only() {
    let r = ring();
    let t = r.issue_sealed(&acme(), &news(), &addr("Ann@Example.com"), t0());
    let v = r.verify(&t, t0() + TimeDelta::days(10)).unwrap();
    assert_eq!(v.tenant, acme());
    assert_eq!(v.list, news());
    assert_eq!(v.address.canonical(), "ann@example.com");
    assert_eq!(v.issued_at, t0());
    assert_eq!(v.key_id, "k1");
}

#[test]
fn tokens_live_at_least_30_days_and_never_less() {
    let r = ring().with_validity_days(30).unwrap();
    let t = r.issue_sealed(&acme(), &news(), &addr("ann@example.com"), t0());
    assert!(r.verify(&t, t0() + TimeDelta::days(30)).is_ok());
    assert!(matches!(
        r.verify(&t, t0() + TimeDelta::days(30) + TimeDelta::seconds(1)),
        Err(TokenError::Expired { .. })
    ));
    assert_eq!(
        ring().with_validity_days(29).unwrap_err(),
        KeyError::ValidityTooShort(29)
    );
    assert!(ring().with_validity_days(365).is_ok());
}

#[test]
fn keys_rotate_without_breaking_old_links() {
    let old = TokenKey::new("k2025", vec![2u8; 40]).unwrap();
    let new = TokenKey::new("k2026", vec![3u8; 40]).unwrap();
    let before = KeyRing::new(old.clone());
    let token = before.issue_sealed(&acme(), &news(), &addr("ann@example.com"), t0());
    let after = KeyRing::new(new).with_key(old).unwrap();
    assert!(
        after.verify(&token, t0()).is_ok(),
        "old tokens still verify"
    );
    assert!(after
        .issue_sealed(&acme(), &news(), &addr("a@b.example"), t0())
        .starts_with("v2.k2026."));
    let retired = KeyRing::new(TokenKey::new("k2026", vec![3u8; 40]).unwrap());
    assert_eq!(
        retired.verify(&token, t0()),
        Err(TokenError::UnknownKey("k2025".into()))
    );
    assert!(after.clone().with_active("k2025").is_ok());
    assert!(after.with_active("nope").is_err());
}

#[test]
fn each_failure_has_its_own_error_and_no_secret_leaks() {
    let r = ring();
    let t = r.issue_sealed(&acme(), &news(), &addr("ann@example.com"), t0());
    let parts: Vec<&str> = t.split('.').collect();
    assert_eq!(r.verify("", t0()), Err(TokenError::Malformed));
    assert_eq!(r.verify("a.b.c", t0()), Err(TokenError::Malformed));
    assert_eq!(parts.len(), 3, "{t}");
    assert_eq!(
        r.verify(&format!("v9.{}.{}", parts[1], parts[2]), t0()),
        Err(TokenError::UnsupportedVersion("v9".into()))
    );
    // A sealed body under the reference version is not a reference.
    assert_eq!(
        r.verify(&format!("v3.{}.{}", parts[1], parts[2]), t0()),
        Err(TokenError::Malformed)
    );
    assert_eq!(
        r.verify(&format!("v2.k1.{}", "A".repeat(80)), t0()),
        Err(TokenError::BadSignature)
    );
    assert_eq!(r.verify("v2.k1.!!", t0()), Err(TokenError::Malformed));
    assert_eq!(
        r.verify(&format!("{t}.extra"), t0()),
        Err(TokenError::Malformed)
    );
    assert_eq!(
        r.verify(&format!("v1.k1.{}.{}", parts[2], "A".repeat(43)), t0()),
        Err(TokenError::BadSignature)
    );
    assert!(r.verify(&"x".repeat(5000), t0()).is_err());

    let key = TokenKey::new("k1", b"super-secret-material-0123456789".to_vec()).unwrap();
    let debug = format!("{key:?} {:?}", KeyRing::new(key.clone()));
    assert!(!debug.contains("super-secret"), "{debug}");
    assert!(TokenKey::new("k1", vec![0; 31]).is_err());
    assert!(TokenKey::new("bad.id", vec![0; 32]).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn changing_any_byte_of_a_token_makes_it_fail(pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let r = ring();
        let t = r.issue_sealed(&acme(), &news(), &addr("ann@example.com"), t0());
        let mut bytes = t.clone().into_bytes();
        let i = pos.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        if let Ok(s) = String::from_utf8(bytes) {
            // Base64 without padding has slack bits in its last character:
            // a change there could decode to the same bytes, which is not a
            // forgery. Anything that verifies must say exactly what the
            // original said.
            if let Ok(v) = r.verify(&s, t0()) {
                prop_assert_eq!(v, r.verify(&t, t0()).unwrap());
                prop_assert!(i == t.len() - 1);
            }
        }
    }

    #[test]
    fn a_token_never_verifies_for_another_person_list_or_tenant(
        a in "[a-z]{1,8}", b in "[a-z]{1,8}", l in "[a-z]{1,8}", t in "[a-z]{1,8}",
    ) {
        prop_assume!(a != b);
        let r = ring();
        let token = r.issue_sealed(&TenantId::new(t.clone()).unwrap(), &ListId::new(l.clone()).unwrap(), &addr(&format!("{a}@example.com")), t0());
        let v = r.verify(&token, t0()).unwrap();
        prop_assert_eq!(v.address.canonical(), format!("{a}@example.com"));
        prop_assert_eq!(v.list.as_str(), l.as_str());
        prop_assert_eq!(v.tenant.as_str(), t.as_str());
        // Splicing another person's sealed payload under this token's
        // synthetic IV (its first 16 bytes) fails.
        let other = r.issue_sealed(&TenantId::new(t).unwrap(), &ListId::new(l).unwrap(), &addr(&format!("{b}@example.com")), t0());
        let (head, mine) = token.rsplit_once('.').unwrap();
        let (_, theirs) = other.rsplit_once('.').unwrap();
        let spliced = format!("{head}.{}{}", &mine[..20], &theirs[20..]);
        prop_assert!(r.verify(&spliced, t0()).is_err());
    }

    /// Issue 12 item 6: under 200 characters whatever the inputs (ids up
    /// to 128 bytes, addresses up to 254, key ids up to 32), and each
    /// verifies, alone or against its kept row, to exactly its inputs.
    #[test]
    fn every_issued_token_is_under_200_characters_and_verifies_to_its_inputs(
        kid in "[A-Za-z0-9_-]{1,32}",
        tenant in "[a-z0-9-]{1,128}",
        list in "[a-z0-9-]{1,128}",
        local in "[a-z0-9]{1,64}",
        labels in prop::collection::vec("[a-z0-9]{1,63}", 1..4),
        hours in 0i64..2000,
    ) {
        let domain = format!("{}.example", labels.join("."));
        prop_assume!(local.len() + 1 + domain.len() <= 254);
        let address = addr(&format!("{local}@{domain}"));
        let r = KeyRing::new(TokenKey::new(kid.clone(), vec![3u8; 32]).unwrap());
        let (t, l) = (TenantId::new(tenant).unwrap(), ListId::new(list).unwrap());
        let sent = t0() + TimeDelta::hours(hours);
        let issued = r.issue(&t, &l, &address, sent);
        prop_assert!(issued.text().len() < MAX_ISSUED_TOKEN_CHARS, "{} chars", issued.text().len());
        let verified = match &issued {
            IssuedToken::Sealed(text) => {
                prop_assert_eq!(text, &r.issue_sealed(&t, &l, &address, sent));
                r.verify(text, sent).unwrap()
            }
            IssuedToken::Kept(kept) => {
                prop_assert_eq!(r.verify(&kept.token, sent), Err(TokenError::KeptByStore));
                prop_assert!(!kept.token.contains(local.as_str()) || local.len() < 4);
                r.verify_kept(&kept.token, Some(kept), sent).unwrap()
            }
        };
        prop_assert_eq!(verified.address, address);
        prop_assert_eq!((verified.tenant, verified.list, verified.issued_at, verified.key_id), (t, l, sent, kid));
    }

    /// A reference made by hand never verifies, not even against a real
    /// kept row (a token is bound to its row and its row to its token).
    #[test]
    fn arbitrary_references_never_panic_and_never_verify(s in "v3\\.k1\\.[A-Za-z0-9_-]{0,40}") {
        let r = ring();
        let IssuedToken::Kept(kept) = r.issue(&acme(), &news(), &addr(&long_address()), t0()) else {
            panic!("sealed");
        };
        prop_assume!(s != kept.token);
        prop_assert!(r.verify(&s, t0()).is_err());
        prop_assert!(r.verify_kept(&s, None, t0()).is_err());
        prop_assert!(r.verify_kept(&s, Some(&kept), t0()).is_err());
        // The same row under the hand-made token's text fails too.
        let mut relabelled = kept.clone();
        relabelled.token = s.clone();
        prop_assert!(r.verify_kept(&s, Some(&relabelled), t0()).is_err());
    }

    #[test]
    fn arbitrary_tokens_never_panic_and_never_verify(s in any::<String>(), dotted in "v1\\.k1\\.[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,60}") {
        let r = ring();
        prop_assert!(r.verify(&s, t0()).is_err());
        prop_assert!(r.verify(&dotted, t0()).is_err());
    }
}

// ---------------------------------------------------------------------------
// Headers

#[test]
fn list_unsubscribe_parses_with_comments_and_folding() {
    let uris = parse_list_unsubscribe(
        "(Use this command to get off the list)\r\n     <mailto:list-manager@host.com?body=unsubscribe%20list>,\r\n <https://www.host.com/list.cgi?cmd=unsub&lst=list>",
    )
    .unwrap();
    assert_eq!(uris.len(), 2);
    assert_eq!(uris[0].scheme(), "mailto");
    assert_eq!(
        uris[1].as_str(),
        "https://www.host.com/list.cgi?cmd=unsub&lst=list"
    );
    // Whitespace inside the brackets is ignored (RFC 2369).
    let folded = parse_list_unsubscribe("<https://host.example/u?\r\n t=1>").unwrap();
    assert_eq!(folded[0].as_str(), "https://host.example/u?t=1");
}

#[test]
fn malformed_list_unsubscribe_values_are_typed_errors() {
    assert_eq!(parse_list_unsubscribe(""), Err(HeaderError::Empty));
    assert_eq!(
        parse_list_unsubscribe("(only a comment)"),
        Err(HeaderError::Empty)
    );
    assert_eq!(
        parse_list_unsubscribe("<https://x.example"),
        Err(HeaderError::Unterminated('<'))
    );
    assert_eq!(
        parse_list_unsubscribe("(open <https://x.example>"),
        Err(HeaderError::Unterminated('('))
    );
    assert!(matches!(
        parse_list_unsubscribe("https://x.example"),
        Err(HeaderError::UnexpectedCharacter { .. })
    ));
    assert!(matches!(
        parse_list_unsubscribe("<https://a.example> <https://b.example>"),
        Err(HeaderError::UnexpectedCharacter { .. })
    ));
    assert!(matches!(
        parse_list_unsubscribe("<not a uri>"),
        Err(HeaderError::BadUri { .. })
    ));
    assert!(matches!(
        parse_list_unsubscribe(&"<https://x.example>,".repeat(300)),
        Err(HeaderError::TooLong(_))
    ));
}

#[test]
fn one_click_needs_an_https_uri_and_the_exact_post_value() {
    let cases = [
        (
            "<https://x.example/u>",
            Some("List-Unsubscribe=One-Click"),
            true,
        ),
        (
            "<https://x.example/u>",
            Some("  List-Unsubscribe=One-Click  "),
            true,
        ),
        (
            "<mailto:u@x.example>, <https://x.example/u>",
            Some("List-Unsubscribe=One-Click"),
            true,
        ),
        (
            "<http://x.example/u>",
            Some("List-Unsubscribe=One-Click"),
            false,
        ),
        (
            "<mailto:u@x.example>",
            Some("List-Unsubscribe=One-Click"),
            false,
        ),
        (
            "<https://x.example/u>",
            Some("List-Unsubscribe=one-click"),
            false,
        ),
        (
            "<https://x.example/u>",
            Some("List-Unsubscribe=One-Click; x=1"),
            false,
        ),
        ("<https://x.example/u>", None, false),
    ];
    for (lu, post, expected) in cases {
        assert_eq!(
            read_unsubscribe_headers(lu, post).unwrap().one_click,
            expected,
            "{lu} / {post:?}"
        );
    }
}

#[test]
fn building_headers_refuses_http_and_injection() {
    let base = Url::parse("https://mail.shop.example/u").unwrap();
    let h = build_unsubscribe_headers(&base, "v1.k1.a.b", None).unwrap();
    assert_eq!(
        h.list_unsubscribe,
        "<https://mail.shop.example/u?token=v1.k1.a.b>"
    );
    let offer =
        read_unsubscribe_headers(&h.list_unsubscribe, Some(h.list_unsubscribe_post)).unwrap();
    assert!(offer.one_click);

    let http = Url::parse("http://mail.shop.example/u").unwrap();
    assert!(matches!(
        build_unsubscribe_headers(&http, "t", None),
        Err(HeaderError::NotHttps(_))
    ));
    for evil in ["t\r\nBcc: x@y.example", "t\n", "t>", "<t", "t\0"] {
        assert!(
            matches!(
                build_unsubscribe_headers(&base, evil, None),
                Err(HeaderError::Injection(_))
            ),
            "{evil:?}"
        );
    }
    assert!(
        build_unsubscribe_headers(&base, "t", Some("u@x.example>\r\nBcc: y@z.example")).is_err()
    );
    assert!(build_unsubscribe_headers(&base, "t", Some("not an address")).is_err());
}

// ---------------------------------------------------------------------------
// One-click bodies

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

fn multipart(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut b = String::new();
    for (k, v) in fields {
        b.push_str(&format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    b.push_str("--XyZ--\r\n");
    b.into_bytes()
}

#[test]
fn only_the_exact_one_click_body_is_accepted() {
    assert!(parse_one_click_body(FORM, b"List-Unsubscribe=One-Click").is_ok());
    assert!(parse_one_click_body(
        Some("application/x-www-form-urlencoded; charset=utf-8"),
        b"List-Unsubscribe=One-Click\r\n"
    )
    .is_ok());
    assert!(parse_one_click_body(FORM, b"List-Unsubscribe=One%2DClick").is_ok());
    for bad in [
        &b""[..],
        b"List-Unsubscribe=one-click",
        b"List-Unsubscribe=One-Click&also=1",
        b"unsubscribe=1",
        b"List-Unsubscribe",
    ] {
        assert_eq!(
            parse_one_click_body(FORM, bad),
            Err(OneClickBodyError::NotOneClick),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    let mp = Some("multipart/form-data; boundary=XyZ");
    assert!(parse_one_click_body(mp, &multipart(&[("List-Unsubscribe", "One-Click")])).is_ok());
    assert_eq!(
        parse_one_click_body(
            mp,
            &multipart(&[("List-Unsubscribe", "One-Click"), ("x", "y")])
        ),
        Err(OneClickBodyError::NotOneClick)
    );
    assert_eq!(
        parse_one_click_body(mp, &multipart(&[("Other", "One-Click")])),
        Err(OneClickBodyError::NotOneClick)
    );
    assert!(matches!(
        parse_one_click_body(Some("multipart/form-data"), b"x"),
        Err(OneClickBodyError::MalformedMultipart(_))
    ));
    assert!(matches!(
        parse_one_click_body(mp, b"--XyZ\r\nno headers"),
        Err(OneClickBodyError::MalformedMultipart(_))
    ));
    assert!(matches!(
        parse_one_click_body(Some("text/plain"), b"List-Unsubscribe=One-Click"),
        Err(OneClickBodyError::UnsupportedContentType(_))
    ));
    assert_eq!(
        parse_one_click_body(None, b"List-Unsubscribe=One-Click"),
        Err(OneClickBodyError::MissingContentType)
    );
    assert!(matches!(
        parse_one_click_body(FORM, &vec![b'a'; 9000]),
        Err(OneClickBodyError::Oversized(9000))
    ));
}

#[test]
fn a_get_never_changes_state() {
    for method in ["GET", "HEAD", "OPTIONS", "PUT", "get"] {
        assert!(
            matches!(
                may_change_state(method, FORM, b"List-Unsubscribe=One-Click"),
                Err(RequestRefused::NotPost(_))
            ),
            "{method}"
        );
    }
    // Method names are case-sensitive (RFC 9110): a lower-case "post" is not POST.
    assert!(may_change_state("post", FORM, b"List-Unsubscribe=One-Click").is_err());
    assert!(matches!(
        may_change_state("POST", FORM, b"confirm=yes"),
        Err(RequestRefused::Body(_))
    ));
}

proptest! {
    #[test]
    fn body_parsing_never_panics(ct in proptest::option::of(".{0,60}"), body in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_one_click_body(ct.as_deref(), &body);
        let _ = may_change_state("POST", ct.as_deref(), &body);
    }

    #[test]
    fn header_parsing_never_panics(s in ".{0,200}") {
        let _ = parse_list_unsubscribe(&s);
        let _ = read_unsubscribe_headers(&s, Some(&s));
    }
}

// ---------------------------------------------------------------------------
// Deadlines

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn us_federal_holidays_with_observed_dates() {
    assert_eq!(
        BusinessCalendar::us_federal_holidays(2026),
        [
            d(2026, 1, 1),
            d(2026, 1, 19),
            d(2026, 2, 16),
            d(2026, 5, 25),
            d(2026, 6, 19),
            d(2026, 7, 3),
            d(2026, 9, 7),
            d(2026, 10, 12),
            d(2026, 11, 11),
            d(2026, 11, 26),
            d(2026, 12, 25)
        ]
    );
    // 1 January 2022 was a Saturday: observed on Friday 31 December 2021.
    assert!(BusinessCalendar::us_federal_holidays(2021).contains(&d(2021, 12, 31)));
    assert!(!BusinessCalendar::us_federal_holidays(2022).contains(&d(2022, 1, 1)));
    // Sunday 4 July 2027 is observed on Monday the 5th.
    assert!(BusinessCalendar::us_federal_holidays(2027).contains(&d(2027, 7, 5)));
    // No Juneteenth before 2021.
    assert_eq!(BusinessCalendar::us_federal_holidays(2020).len(), 10);
}

#[test]
fn the_strictest_configured_rule_wins() {
    let cal = BusinessCalendar::us_federal(2026..=2027, 0).unwrap();
    let received = Utc.with_ymd_and_hms(2026, 11, 20, 15, 0, 0).unwrap();
    let canspam = OptOutDeadlines::new([OptOutRule::CanSpam], cal.clone())
        .decide(received)
        .into_outcome();
    assert_eq!(
        canspam.at,
        Utc.with_ymd_and_hms(2026, 12, 7, 23, 59, 59).unwrap()
    );
    assert_eq!(
        OptOutDeadlines::new([], cal.clone())
            .decide(received)
            .into_outcome(),
        canspam
    );
    let both = OptOutDeadlines::new([OptOutRule::BulkSender, OptOutRule::CanSpam], cal.clone())
        .decide(received)
        .into_outcome();
    assert_eq!(both.rule, OptOutRule::BulkSender);
    assert_eq!(both.at, received + TimeDelta::hours(48));
    // A US Eastern calendar (UTC-5): the day ends five hours later in UTC.
    let eastern = BusinessCalendar::us_federal(2026..=2027, -5 * 3600).unwrap();
    let d = OptOutDeadlines::new([OptOutRule::CanSpam], eastern.clone())
        .decide(received)
        .into_outcome();
    assert_eq!(d.at, Utc.with_ymd_and_hms(2026, 12, 8, 4, 59, 59).unwrap());
}

#[test]
fn calendars_load_from_json_and_refuse_nonsense() {
    let cal: BusinessCalendar =
        serde_json::from_str(r#"{"weekend": ["Fri", "Sat"], "holidays": ["2026-04-01"]}"#).unwrap();
    assert!(!cal.is_business_day(d(2026, 4, 3))); // a Friday
    assert!(cal.is_business_day(d(2026, 4, 5))); // a Sunday
    assert!(!cal.is_business_day(d(2026, 4, 1)));
    let all = r#"{"weekend": ["Mon","Tue","Wed","Thu","Fri","Sat","Sun"]}"#;
    assert!(serde_json::from_str::<BusinessCalendar>(all).is_err());
    assert!(serde_json::from_str::<BusinessCalendar>(r#"{"utc_offset_seconds": 90000}"#).is_err());
}

fn arb_time() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..3 * 365 * 24 * 60)
        .prop_map(|m| Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + TimeDelta::minutes(m))
}

fn arb_rules() -> impl Strategy<Value = Vec<OptOutRule>> {
    prop::sample::subsequence(vec![OptOutRule::CanSpam, OptOutRule::BulkSender], 0..=2)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn deadlines_are_after_receipt_and_monotone(a in arb_time(), b in arb_time(), rules in arb_rules(), offset in -12i32..14) {
        let cal = BusinessCalendar::us_federal(2025..=2029, offset * 3600).unwrap();
        let (early, late) = if a <= b { (a, b) } else { (b, a) };
        let de = OptOutDeadlines::new(rules.clone(), cal.clone()).decide(early).into_outcome();
        let dl = OptOutDeadlines::new(rules, cal.clone()).decide(late).into_outcome();
        prop_assert!(de.at > early);
        prop_assert!(dl.at >= de.at, "{early} -> {}, {late} -> {}", de.at, dl.at);
    }

    #[test]
    fn a_business_day_deadline_never_falls_on_a_weekend_or_holiday(at in arb_time(), offset in -12i32..14) {
        let cal = BusinessCalendar::us_federal(2025..=2029, offset * 3600).unwrap();
        let dl = OptOutDeadlines::new([OptOutRule::CanSpam], cal.clone()).decide(at).into_outcome();
        let local = dl.at.with_timezone(&chrono::FixedOffset::east_opt(offset * 3600).unwrap()).date_naive();
        prop_assert!(cal.is_business_day(local));
        prop_assert!(!matches!(local.weekday(), Weekday::Sat | Weekday::Sun));
        prop_assert!(dl.at - at <= TimeDelta::days(20));
    }
}

// ---------------------------------------------------------------------------
// The one-click handler

fn settings() -> UnsubscribeSettings {
    UnsubscribeSettings {
        keys: ring(),
        deadlines: OptOutDeadlines::new(
            [OptOutRule::CanSpam, OptOutRule::BulkSender],
            BusinessCalendar::us_federal(2026..=2027, 0).unwrap(),
        ),
    }
}

/// A well-formed RFC 8058 one-click POST with `token`.
fn one_click_post(token: &str) -> OneClickRequest<'_> {
    OneClickRequest {
        method: "POST",
        content_type: FORM,
        body: b"List-Unsubscribe=One-Click",
        token,
    }
}

#[test]
fn one_click_records_once_and_refuses_everything_else() {
    let driver = Driver::new(
        MemoryStore::new(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    let k = key("acme", "news", "ann@example.com");
    driver.record(&ev(&k, "in", 0, form())).unwrap();
    let s = settings();
    let token = s
        .keys
        .issue_sealed(&acme(), &news(), &addr("ANN@example.com"), at(1));
    let post = one_click_post(&token);

    let get = OneClickRequest {
        method: "GET",
        ..post
    };
    assert!(matches!(
        driver.handle_one_click(&s, &get, at(2)),
        Err(OneClickError::Refused(_))
    ));
    let empty = OneClickRequest { body: b"", ..post };
    assert!(matches!(
        driver.handle_one_click(&s, &empty, at(2)),
        Err(OneClickError::Refused(_))
    ));
    assert_eq!(driver.store().len(), 1);

    let c = driver.handle_one_click(&s, &post, at(2)).unwrap();
    assert!(c.newly_recorded);
    assert_eq!(c.key, k);
    assert_eq!(c.deadline.outcome().at, at(2) + TimeDelta::hours(48));
    assert!(!driver.state(&k, at(3)).unwrap().permits_promotional());

    let again = driver.handle_one_click(&s, &post, at(5)).unwrap();
    assert!(!again.newly_recorded);
    assert_eq!(again.received_at, at(2));
    assert_eq!(again.event, c.event);
    assert_eq!(driver.store().len(), 2);

    let expired = driver.handle_one_click(&s, &post, at(1) + TimeDelta::days(91));
    assert!(matches!(
        expired,
        Err(OneClickError::Token(TokenError::Expired { .. }))
    ));

    let bob_token = s
        .keys
        .issue_sealed(&acme(), &news(), &addr("bob@example.com"), at(1));
    let mut forged = bob_token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let bad = OneClickRequest {
        token: &forged,
        ..post
    };
    assert!(matches!(
        driver.handle_one_click(&s, &bad, at(2)),
        Err(OneClickError::Token(_))
    ));
    assert_eq!(driver.store().len(), 2, "a forged token changes nothing");
}

#[test]
fn deadlines_never_panic_at_the_ends_of_time() {
    use chrono::{DateTime, Utc};
    for offset in [-14 * 3600, -5 * 3600, 0, 5 * 3600, 14 * 3600] {
        let cal = BusinessCalendar::new(
            vec![chrono::Weekday::Sat, chrono::Weekday::Sun],
            Default::default(),
            offset,
        )
        .unwrap();
        for at in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
            for rules in [
                vec![OptOutRule::CanSpam],
                vec![OptOutRule::BulkSender],
                vec![OptOutRule::CanSpam, OptOutRule::BulkSender],
            ] {
                let d = OptOutDeadlines::new(rules, cal.clone()).decide(at);
                assert!(
                    d.outcome().at >= at || at == DateTime::<Utc>::MAX_UTC,
                    "{d:?}"
                );
            }
        }
    }
}

#[test]
fn only_an_upper_case_post_changes_state() {
    let form = Some("application/x-www-form-urlencoded");
    for method in ["post", "PoSt", "Post", "GET", "HEAD", "PUT"] {
        assert!(
            may_change_state(method, form, b"List-Unsubscribe=One-Click").is_err(),
            "{method}"
        );
    }
    assert!(may_change_state("POST", form, b"List-Unsubscribe=One-Click").is_ok());
}

/// Issue 12 item 10: a configured mailto address comes back from the
/// header exactly as it was given (RFC 6068).
#[test]
fn mailto_addresses_survive_the_header_per_rfc_6068() {
    use consentry::address::EmailAddress;
    use consentry::unsubscribe::{parse_list_unsubscribe, parse_mailto};
    let base = url::Url::parse("https://mail.shop.example/u").unwrap();
    for address in [
        "unsub?subject=x&body=y@shop.example",
        "a#b@shop.example",
        "\"john doe\"@shop.example",
        "\"not@me\"@shop.example",
        "100%real@shop.example",
        "o'neil+lists@shop.example",
        "a/b=c@shop.example",
        "josé@café.example",
    ] {
        let expected = EmailAddress::parse(address).unwrap();
        let h = build_unsubscribe_headers(&base, "v1.k1.abc", Some(address)).unwrap();
        let uris = parse_list_unsubscribe(&h.list_unsubscribe).unwrap();
        assert_eq!(uris.len(), 2, "{}", h.list_unsubscribe);
        let m = parse_mailto(&uris[1]).unwrap();
        assert_eq!(m.to, vec![expected], "{address} -> {}", uris[1]);
        assert_eq!(m.subject.as_deref(), Some("unsubscribe"));
        assert!(m.body.is_none() && m.headers.is_empty(), "{address}: {m:?}");
    }
}

#[test]
fn mailto_uris_written_by_others_are_read_per_rfc_6068() {
    use consentry::unsubscribe::{parse_mailto, MailtoError};
    let read = |s: &str| parse_mailto(&url::Url::parse(s).unwrap());
    let m = read("mailto:%22not%40me%22@example.org").unwrap();
    assert_eq!(m.to[0].as_str(), "\"not@me\"@example.org");
    let m = read("mailto:a@example.org,b@example.org?to=c@example.org&subject=caf%C3%A9&body=stop%20please&In-Reply-To=%3C3469A91.D10AF4C@example.com%3E").unwrap();
    let to: Vec<&str> = m.to.iter().map(|a| a.as_str()).collect();
    assert_eq!(to, ["a@example.org", "b@example.org", "c@example.org"]);
    assert_eq!(m.subject.as_deref(), Some("café"));
    assert_eq!(m.body.as_deref(), Some("stop please"));
    assert_eq!(
        m.headers,
        [(
            "In-Reply-To".to_owned(),
            "<3469A91.D10AF4C@example.com>".to_owned()
        )]
    );
    assert!(matches!(
        read("mailto:?subject=x"),
        Err(MailtoError::NoRecipient)
    ));
    assert!(matches!(
        read("mailto:%FF@example.org"),
        Err(MailtoError::NotUtf8)
    ));
    assert!(matches!(
        read("mailto:not-an-address"),
        Err(MailtoError::BadAddress { .. })
    ));
    assert!(matches!(
        read("https://example.org/"),
        Err(MailtoError::NotMailto(_))
    ));
}

proptest! {
    /// Any address the parser accepts round-trips through a mailto URI.
    #[test]
    fn any_accepted_address_round_trips_through_mailto(
        local in "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~.-]{1,20}|\"[ a-zA-Z0-9@,;:<>()\\[\\].-]{1,20}\"",
        domain in "[a-z0-9]{1,10}\\.example",
        subject in "\\PC{0,20}",
    ) {
        use consentry::address::EmailAddress;
        use consentry::unsubscribe::{mailto_uri, parse_mailto};
        if let Ok(address) = EmailAddress::parse(&format!("{local}@{domain}")) {
            let uri = mailto_uri(&address, &subject);
            let parsed = url::Url::parse(&uri).unwrap();
            let m = parse_mailto(&parsed).unwrap();
            prop_assert_eq!(m.to, vec![address]);
            prop_assert_eq!(m.subject.unwrap_or_default(), subject);
        }
    }
}

/// The same one-click link clicked again after the person signed up again
/// opts them out again (review finding: the token-derived id made the
/// second click a silent no-op).
#[test]
fn a_second_click_after_resubscribing_opts_out_again() {
    let driver = Driver::new(
        MemoryStore::new(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    let k = key("acme", "news", "ann@example.com");
    driver.record(&ev(&k, "in", 0, form())).unwrap();
    let s = settings();
    let token = s
        .keys
        .issue_sealed(&acme(), &news(), &addr("ann@example.com"), at(1));
    let post = one_click_post(&token);
    let first = driver.handle_one_click(&s, &post, at(2)).unwrap();
    assert!(first.newly_recorded);
    // A replay while the opt-out holds records nothing.
    assert!(
        !driver
            .handle_one_click(&s, &post, at(3))
            .unwrap()
            .newly_recorded
    );
    // Ann signs up again, then clicks the old link.
    driver.record(&ev(&k, "again", 4, form())).unwrap();
    assert!(driver.state(&k, at(5)).unwrap().permits_promotional());
    let second = driver.handle_one_click(&s, &post, at(6)).unwrap();
    assert!(second.newly_recorded);
    assert_ne!(second.event, first.event);
    assert!(!driver.state(&k, at(7)).unwrap().permits_promotional());
}

/// Issue 12 item 6 through the driver: a long address gets a short token,
/// the one-click link works, and erasure deletes what the store kept.
#[test]
fn the_driver_keeps_long_tokens_and_erasure_forgets_them() {
    let driver = salted_driver(LedgerPolicy::default());
    let long = long_address();
    let k = key("acme", "news", &long);
    driver.record(&ev(&k, "in", 0, form())).unwrap();
    let s = settings();
    let token = driver.unsubscribe_token(&s.keys, &k, at(1)).unwrap();
    assert!(token.starts_with("v3.") && token.len() < 200, "{token}");
    // Issuing again for the same send gives the same token.
    assert_eq!(driver.unsubscribe_token(&s.keys, &k, at(1)).unwrap(), token);
    assert_eq!(
        driver.verify_token(&s.keys, &token, at(2)).unwrap().address,
        k.address
    );
    let done = driver
        .handle_one_click(&s, &one_click_post(&token), at(2))
        .unwrap();
    assert!(done.newly_recorded);
    assert!(driver.state(&k, at(3)).unwrap().has_opted_out());
    // A forged reference under the right key is refused, and records nothing.
    let forged = format!("v3.k1.{}", "A".repeat(22));
    let before = driver.store().events_for(&k.address).unwrap().len();
    assert!(matches!(
        driver.handle_one_click(&s, &one_click_post(&forged), at(2)),
        Err(OneClickError::Token(TokenError::NotKept))
    ));
    assert_eq!(driver.store().events_for(&k.address).unwrap().len(), before);
    // An expired token is purged, not before.
    let later = key("acme", "news", &format!("later.{}", &long[6..]));
    let kept_later = driver
        .unsubscribe_token(&s.keys, &later, at(1) + TimeDelta::days(30))
        .unwrap();
    assert_eq!(
        driver
            .purge_expired_tokens(&s.keys, at(1) + TimeDelta::days(90))
            .unwrap(),
        0
    );
    assert_eq!(
        driver
            .purge_expired_tokens(&s.keys, at(2) + TimeDelta::days(90))
            .unwrap(),
        1
    );
    assert!(driver.store().kept_token(&kept_later).unwrap().is_some());
    assert!(matches!(
        driver.verify_token(&s.keys, &token, at(3)),
        Err(consentry::ServiceError::Token(TokenError::NotKept))
    ));
    let token = driver.unsubscribe_token(&s.keys, &k, at(3)).unwrap();
    // The person's export lists what the store keeps for them.
    let export = driver.export(&k.address, at(3)).unwrap();
    assert_eq!(
        export
            .kept_tokens
            .iter()
            .map(|t| t.token.as_str())
            .collect::<Vec<_>>(),
        vec![token.as_str()]
    );
    // After erasure the store no longer knows the address behind the token.
    driver.erase(&k.address).unwrap();
    assert!(driver.store().kept_token(&token).unwrap().is_none());
    assert!(matches!(
        driver.verify_token(&s.keys, &token, at(4)),
        Err(consentry::ServiceError::Token(TokenError::NotKept))
    ));
}

/// A store that cannot keep tokens (the port's defaults) gets
/// self-contained tokens when they fit, and a typed refusal when they do
/// not: never a token of 200 characters or more.
#[test]
fn a_store_that_cannot_keep_tokens_gets_a_self_contained_one() {
    struct Plain(MemoryStore);
    impl consentry::ConsentStore for Plain {
        type Error = std::convert::Infallible;
        fn append(
            &self,
            event: &consentry::ConsentEvent,
        ) -> Result<consentry::AppendOutcome, Self::Error> {
            self.0.append(event)
        }
        fn events_for(
            &self,
            address: &consentry::EmailAddress,
        ) -> Result<Vec<consentry::ConsentEvent>, Self::Error> {
            self.0.events_for(address)
        }
    }
    let driver = Driver::new(
        Plain(MemoryStore::new()),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    let s = settings();
    let k = key("acme", "news", &long_address());
    assert!(matches!(
        driver.unsubscribe_token(&s.keys, &k, at(1)),
        Err(consentry::ServiceError::Unsupported(_))
    ));
    let short = key("acme", "news", "ann@example.com");
    let token = driver.unsubscribe_token(&s.keys, &short, at(1)).unwrap();
    assert!(token.starts_with("v2.") && token.len() < 200);
    assert_eq!(s.keys.verify(&token, at(2)).unwrap().address, short.address);
}
