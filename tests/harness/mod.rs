//! The entry points consentry exposes to outside input, each wrapped so a
//! fuzzer (the cargo-fuzz targets in `fuzz/`) or the generated-input test
//! (`tests/generated_inputs.rs`) can call it with arbitrary bytes. Both
//! include this file.
//!
//! Every function must return normally for every input: a panic is a bug.
//! Where a parser accepts something, the function also checks the
//! round-trip invariants a user relies on (what was accepted reads back as
//! itself; a forged value never verifies).

use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use consentry::classify::{Classifier, DeclaredKind, Message};
use consentry::cookie::{AdOptOut, ConsentKeys, CookieConsent, CookiePolicy, PrivacySignals};
use consentry::disclosure::DisclosurePolicy;
use consentry::eligibility::{lint, PostalAddress, SenderProfile};
use consentry::unsubscribe::{
    may_change_state, parse_list_unsubscribe, parse_mailto, parse_one_click_body,
    read_unsubscribe_headers, KeyRing, TokenKey,
};
use consentry::{AddressOptions, ConsentEvent, EmailAddress, ListId, OutboundMessage, TenantId};

/// An entry point: it takes arbitrary bytes and must return.
pub type Entry = fn(&[u8]);

/// Every entry point, by name (the fuzz targets' names).
pub const TARGETS: &[(&str, Entry)] = &[
    ("address", address),
    ("list_unsubscribe", list_unsubscribe),
    ("mailto", mailto),
    ("one_click_request", one_click_request),
    ("token", token),
    ("consent_cookie", consent_cookie),
    ("privacy_signals", privacy_signals),
    ("ad_opt_out_cookie", ad_opt_out_cookie),
    ("cookie_policy", cookie_policy),
    ("disclosure_policy", disclosure_policy),
    ("consent_event", consent_event),
    ("classify", classify),
    ("lint", lint_message),
    ("message_headers", message_headers),
];

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Split the input in two at the first `\0` (or in the middle).
fn halves(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => data.split_at(data.len() / 2),
    }
}

/// Address parsing: an accepted address re-parses from its own text to
/// the same canonical key, and reads back from storage.
pub fn address(data: &[u8]) {
    let input = text(data);
    for options in [
        AddressOptions::default(),
        AddressOptions::default().with_ip_literal(true),
    ] {
        if let Ok(a) = EmailAddress::parse_with(&input, options) {
            let again = EmailAddress::parse_with(a.as_str(), options).expect("re-parses");
            assert_eq!(again.canonical(), a.canonical());
            let stored = serde_json::to_string(&a).unwrap();
            let back: EmailAddress = serde_json::from_str(&stored).expect("reads back");
            assert_eq!(back, a);
        }
    }
}

/// `List-Unsubscribe` (RFC 2369) and `List-Unsubscribe-Post` values.
pub fn list_unsubscribe(data: &[u8]) {
    let (a, b) = halves(data);
    let (value, post) = (text(a), text(b));
    let _ = parse_list_unsubscribe(&value);
    if let Ok(offer) = read_unsubscribe_headers(&value, Some(&post)) {
        assert!(!offer.uris.is_empty());
        if offer.one_click {
            assert!(offer.https.is_some());
        }
    }
}

/// `mailto:` URIs (RFC 6068): what parses builds back to itself.
pub fn mailto(data: &[u8]) {
    let input = format!("mailto:{}", text(data));
    if let Ok(url) = url::Url::parse(&input) {
        if let Ok(m) = parse_mailto(&url) {
            for to in &m.to {
                let built = consentry::unsubscribe::mailto_uri(to, "");
                let again = parse_mailto(&url::Url::parse(&built).unwrap()).unwrap();
                assert_eq!(&again.to[0], to);
            }
        }
    }
}

/// A one-click request: method, content type and body.
pub fn one_click_request(data: &[u8]) {
    let (head, body) = halves(data);
    let head = text(head);
    let (method, content_type) = head.split_once(' ').unwrap_or((&head, ""));
    let content_type = (!content_type.is_empty()).then_some(content_type);
    let _ = parse_one_click_body(content_type, body);
    if may_change_state(method, content_type, body).is_ok() {
        assert_eq!(method, "POST");
    }
}

fn ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    RING.get_or_init(|| KeyRing::new(TokenKey::new("k1", [7u8; 32].to_vec()).unwrap()))
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

/// Unsubscribe tokens: nothing made by hand verifies, and a real token
/// with any byte changed says nothing new.
pub fn token(data: &[u8]) {
    let input = text(data);
    assert!(ring().verify(&input, now()).is_err(), "forged: {input:?}");
    // Splice the input into a real token.
    let real = ring().issue_sealed(
        &TenantId::new("acme").unwrap(),
        &ListId::new("news").unwrap(),
        &EmailAddress::parse("ann@example.com").unwrap(),
        now(),
    );
    let at = data.first().map_or(0, |b| usize::from(*b) % real.len());
    let mut spliced = real.clone();
    if real.is_char_boundary(at) {
        spliced.replace_range(at..at + 1, &input);
    }
    if spliced != real {
        if let Ok(v) = ring().verify(&spliced, now()) {
            assert_eq!(v, ring().verify(&real, now()).unwrap());
        }
    }
    // A reference token: the input (spliced in or alone) never verifies
    // against the row kept for another token.
    let long = format!(
        "{}@{}.{}.example",
        "l".repeat(64),
        "d".repeat(63),
        "e".repeat(60)
    );
    let issued = ring().issue(
        &TenantId::new("acme").unwrap(),
        &ListId::new("news").unwrap(),
        &EmailAddress::parse(&long).unwrap(),
        now(),
    );
    let consentry::unsubscribe::IssuedToken::Kept(kept) = issued else {
        panic!("a 197-byte address was sealed");
    };
    if input != kept.token {
        assert!(ring().verify_kept(&input, Some(&kept), now()).is_err());
    }
    let at = data
        .first()
        .map_or(0, |b| usize::from(*b) % kept.token.len());
    let mut spliced = kept.token.clone();
    if kept.token.is_char_boundary(at) {
        spliced.replace_range(at..at + 1, &input);
    }
    if spliced != kept.token {
        assert!(ring().verify_kept(&spliced, Some(&kept), now()).is_err());
    }
}

fn cookie_policy_fixture() -> &'static CookiePolicy {
    static POLICY: OnceLock<CookiePolicy> = OnceLock::new();
    POLICY.get_or_init(|| {
        CookiePolicy::from_json(
            r#"{"revision": 3, "cookies": [
                {"name": "sid", "domain": "shop.example", "category": "strictly_necessary", "lifetime": "session"},
                {"name": "_ga", "domain": "shop.example", "category": "analytics", "lifetime": {"days": 390}}
            ]}"#,
        )
        .unwrap()
        .0
    })
}

/// The consent cookie: nothing made by hand is read.
pub fn consent_cookie(data: &[u8]) {
    let keys = ConsentKeys::new(TokenKey::new("site1", [42u8; 32].to_vec()).unwrap());
    let input = text(data);
    assert!(
        CookieConsent::from_cookie_value(&input, &keys, cookie_policy_fixture(), now()).is_err(),
        "forged: {input:?}"
    );
}

/// `Sec-GPC` and `DNT` header values.
pub fn privacy_signals(data: &[u8]) {
    let (a, b) = halves(data);
    let (gpc, dnt) = (text(a), text(b));
    let s = PrivacySignals::from_header_values(&[&gpc], &[&dnt]);
    if s.gpc {
        assert_eq!(gpc.trim(), "1");
    }
}

/// A request's `Cookie` header against the ad opt-out cookie, and the
/// consent cookie's decisions under a policy.
pub fn ad_opt_out_cookie(data: &[u8]) {
    let header = text(data);
    let opt = AdOptOut::new("shop.example").unwrap();
    let d = opt.decide(Some(&header), &PrivacySignals::default());
    if opt.present_in(&header) {
        assert!(!d.records());
    }
}

/// A cookie policy file (JSON and TOML): what loads renders no injected
/// `Set-Cookie` attribute.
pub fn cookie_policy(data: &[u8]) {
    let input = text(data);
    let loaded = [
        CookiePolicy::from_json(&input).ok(),
        CookiePolicy::from_toml(&input).ok(),
    ];
    for (policy, _) in loaded.into_iter().flatten() {
        for spec in &policy.cookies {
            let d = policy.decide(spec, None, &PrivacySignals::default(), now());
            if let consentry::cookie::CookieOutcome::Allow {
                attributes: Some(a),
            } = d.outcome()
            {
                let line = a.render("v");
                assert!(!line.contains(['\r', '\n']), "{line:?}");
            }
        }
    }
}

/// A disclosure policy file (JSON and TOML).
pub fn disclosure_policy(data: &[u8]) {
    let input = text(data);
    let _ = DisclosurePolicy::from_json(&input);
    let _ = DisclosurePolicy::from_toml(&input);
}

/// A consent event as a webhook delivers it: what parses and validates
/// round-trips through serde.
pub fn consent_event(data: &[u8]) {
    if let Ok(e) = serde_json::from_slice::<ConsentEvent>(data) {
        if e.validate().is_ok() {
            let json = serde_json::to_string(&e).unwrap();
            let back: ConsentEvent = serde_json::from_str(&json).expect("round-trips");
            assert_eq!(back, e);
        }
    }
}

fn classifier() -> &'static Classifier {
    static C: OnceLock<Classifier> = OnceLock::new();
    C.get_or_init(Classifier::default)
}

/// Classification of text and HTML bodies: deterministic.
pub fn classify(data: &[u8]) {
    let (subject, body) = halves(data);
    let (subject, body) = (text(subject), text(body));
    for m in [
        Message::text(subject.clone(), body.clone()),
        Message::html(subject, body),
    ] {
        let a = classifier().classify(&m);
        let b = classifier().classify(&m);
        assert_eq!(a, b);
    }
}

fn profile() -> SenderProfile {
    SenderProfile {
        domains: vec!["shop.example".into()],
        postal_address: PostalAddress {
            street: Some("100 Harbour Road".into()),
            po_box: None,
            city: "Portland".into(),
            region: Some("ME".into()),
            postal_code: "04101".into(),
            country: "US".into(),
        },
        unsubscribe_url_prefix: Some("https://mail.shop.example/u".parse().unwrap()),
        business_name: None,
        contact: None,
    }
}

fn message(text_body: String, html: String, subject: String) -> Option<OutboundMessage> {
    OutboundMessage::builder(
        EmailAddress::parse("news@shop.example").unwrap(),
        EmailAddress::parse("ann@example.com").unwrap(),
    )
    .subject(subject)
    .text(text_body)
    .html(html)
    .build()
    .ok()
}

/// The pre-send lint over hostile bodies.
pub fn lint_message(data: &[u8]) {
    let (a, b) = halves(data);
    if let Some(msg) = message(text(a), text(b), "Spring sale".into()) {
        let class = classifier().classify(&Message::from_outbound(&msg, DeclaredKind::Unspecified));
        let _ = lint(&msg, &class, &profile());
    }
}

/// Custom headers and subjects: nothing accepted can carry a line break.
pub fn message_headers(data: &[u8]) {
    let (a, b) = halves(data);
    let (name, value) = (text(a), text(b));
    let built = OutboundMessage::builder(
        EmailAddress::parse("news@shop.example").unwrap(),
        EmailAddress::parse("ann@example.com").unwrap(),
    )
    .subject(value.clone())
    .text("hello")
    .header(name.clone(), value.clone())
    .build();
    if let Ok(msg) = built {
        assert!(!msg.subject().contains(['\r', '\n']));
        if let Some(v) = msg.header(&name) {
            assert!(!v.contains(['\r', '\n']), "{v:?}");
        }
    }
}
