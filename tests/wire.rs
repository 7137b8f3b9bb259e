//! Golden snapshots of every stored or exported format.
//!
//! Events are the proof of consent and are kept for years; exports,
//! records, policies, the consent cookie value and unsubscribe tokens leave
//! the process. Renaming a field or a variant, or changing a tag, must fail
//! here. Each snapshot is also read back and must give the same value.
//!
//! To accept a deliberate format change: `UPDATE_GOLDEN=1 cargo test --test
//! wire`, review the diff of `tests/golden/`, and add a CHANGELOG entry plus
//! a reader for the old form.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use consentry::classify::{Body, Classifier, DeclaredKind, Message, TransactionalCategory};
use consentry::cookie::{Category, ConsentMethod, CookieConsent, CookiePolicy};
use consentry::disclosure::{
    DataCategory, DataSet, DisclosurePolicy, DisclosureRequest, LegalProcess, Purpose, Recipient,
};
use consentry::eligibility::SendContext;
use consentry::retention::{AddressHash, ErasedFact, RetentionPolicy};
use consentry::unsubscribe::{BusinessCalendar, KeyRing, TokenKey};
use consentry::{
    Action, Basis, ConsentEvent, ConsentKey, ConsentState, Driver, EmailAddress, EventId, Evidence,
    LedgerPolicy, ListId, MemoryStore, OptOutChannel, OutboundMessage, RecordingMailer, Scope,
    SuppressionKind, TenantId,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

fn t(day: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap() + TimeDelta::days(day)
}

fn key() -> ConsentKey {
    ConsentKey::new(
        TenantId::new("acme").unwrap(),
        ListId::new("news").unwrap(),
        EmailAddress::parse("Ann@Example.com").unwrap(),
    )
}

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Compare `actual` with the committed snapshot (or write it when
/// `UPDATE_GOLDEN` is set).
fn golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1 once)", path.display()));
    assert_eq!(
        expected.trim_end(),
        actual.trim_end(),
        "the wire format of {name} changed; see the module docs"
    );
}

/// Snapshot a value as pretty JSON and check it reads back unchanged.
fn snapshot<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(name: &str, value: &T) {
    let json = serde_json::to_string_pretty(value).unwrap();
    golden(name, &json);
    let back: T = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, value, "{name} does not read back");
}

/// Every action and basis, in one list. The `match` makes a new variant a
/// compile error here until it has a snapshot.
fn every_action() -> Vec<Action> {
    let all = vec![
        Action::OptedIn {
            basis: Basis::ExpressForm,
        },
        Action::OptedIn {
            basis: Basis::DoubleOptInRequested,
        },
        Action::OptedIn {
            basis: Basis::DoubleOptInConfirmed,
        },
        Action::OptedIn {
            basis: Basis::ExistingCustomer,
        },
        Action::OptedIn {
            basis: Basis::Imported {
                attestation: "CRM export 2026-02".into(),
            },
        },
        Action::OptedOut {
            via: OptOutChannel::FooterLink,
        },
        Action::OptedOut {
            via: OptOutChannel::OneClick,
        },
        Action::OptedOut {
            via: OptOutChannel::Reply,
        },
        Action::OptedOut {
            via: OptOutChannel::Admin,
        },
        Action::OptedOut {
            via: OptOutChannel::PreferenceCentre,
        },
        Action::HardBounced,
        Action::SoftBounced,
        Action::Delivered,
        Action::Complained,
        Action::AccountCancelled,
        Action::AccountReopened,
        Action::SuppressionCleared {
            by: "ops@acme.example".into(),
        },
        Action::OptedIn {
            basis: Basis::Implied {
                ground: consentry::ImpliedGround::Purchase,
                on: chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 1, 15, 10, 0, 0)
                    .unwrap(),
            },
        },
        Action::OptedIn {
            basis: Basis::Implied {
                ground: consentry::ImpliedGround::Contract {
                    ends: Some(
                        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2027, 1, 1, 0, 0, 0)
                            .unwrap(),
                    ),
                },
                on: chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 1, 1, 0, 0, 0).unwrap(),
            },
        },
    ];
    for a in &all {
        match a {
            Action::OptedIn { basis } => match basis {
                Basis::ExpressForm
                | Basis::DoubleOptInRequested
                | Basis::DoubleOptInConfirmed
                | Basis::ExistingCustomer
                | Basis::Imported { .. }
                | Basis::Implied { .. } => {}
            },
            Action::OptedOut { via } => match via {
                OptOutChannel::FooterLink
                | OptOutChannel::OneClick
                | OptOutChannel::Reply
                | OptOutChannel::Admin
                | OptOutChannel::PreferenceCentre => {}
            },
            Action::HardBounced
            | Action::SoftBounced
            | Action::Delivered
            | Action::Complained
            | Action::AccountCancelled
            | Action::AccountReopened
            | Action::SuppressionCleared { .. } => {}
        }
    }
    all
}

fn events() -> Vec<ConsentEvent> {
    let k = key();
    every_action()
        .into_iter()
        .enumerate()
        .map(|(i, action)| {
            let id = EventId::new(format!("e{i:02}")).unwrap();
            let e = if i % 4 == 3 {
                ConsentEvent::tenant_wide(
                    id,
                    t(i as i64),
                    k.tenant.clone(),
                    k.address.clone(),
                    action,
                )
            } else {
                ConsentEvent::new(id, t(i as i64), &k, action)
            };
            if i == 0 {
                e.with_evidence(
                    Evidence::from_form("https://acme.example/join".parse().unwrap(), "2026-01")
                        .with_ip("198.51.100.7".parse().unwrap())
                        .with_user_agent("Mozilla/5.0")
                        .with_text("newsletter box on the home page"),
                )
            } else {
                e
            }
        })
        .collect()
}

#[test]
fn events_with_every_action_and_basis() {
    snapshot("events.json", &events());
}

#[test]
fn events_written_before_the_kind_tag_still_read() {
    let legacy = r#"{"id":"old-1","at":"2025-06-01T00:00:00Z","tenant":"acme","list":"news",
        "address":"ann@example.com","action":{"type":"opted_out","via":"footer_link"},"evidence":{}}"#;
    let e: ConsentEvent = serde_json::from_str(legacy).unwrap();
    assert_eq!(
        e.action,
        Action::OptedOut {
            via: OptOutChannel::FooterLink
        }
    );
    // Written back in today's form.
    assert!(serde_json::to_string(&e)
        .unwrap()
        .contains(r#""action":{"kind":"opted_out""#));
}

#[test]
fn states_and_scopes() {
    let k = key();
    let policy = LedgerPolicy::default();
    let evs = [
        ConsentEvent::new(
            EventId::new("in").unwrap(),
            t(0),
            &k,
            Action::OptedIn {
                basis: Basis::ExpressForm,
            },
        )
        .with_evidence(Evidence::from_form(
            "https://acme.example/join".parse().unwrap(),
            "2026-01",
        )),
        ConsentEvent::new(
            EventId::new("soft1").unwrap(),
            t(1),
            &k,
            Action::SoftBounced,
        ),
        ConsentEvent::new(
            EventId::new("out").unwrap(),
            t(2),
            &k,
            Action::OptedOut {
                via: OptOutChannel::OneClick,
            },
        ),
        ConsentEvent::tenant_wide(
            EventId::new("spam").unwrap(),
            t(3),
            k.tenant.clone(),
            k.address.clone(),
            Action::Complained,
        ),
        ConsentEvent::new(EventId::new("hb").unwrap(), t(4), &k, Action::HardBounced),
    ];
    let state = ConsentState::replay(&k, &evs, &policy, t(5));
    snapshot("state.json", &state);
    snapshot(
        "scopes.json",
        &vec![
            Scope::Global,
            Scope::Tenant(k.tenant.clone()),
            Scope::List(k.tenant.clone(), k.list.clone()),
        ],
    );
    let kinds = vec![
        SuppressionKind::OptedOut,
        SuppressionKind::Complaint,
        SuppressionKind::HardBounce,
        SuppressionKind::SoftBounceStreak,
        SuppressionKind::AccountCancelled,
    ];
    snapshot("suppression_kinds.json", &kinds);
}

#[test]
fn subject_export() {
    let driver = Driver::new(
        MemoryStore::new(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    for e in events().into_iter().take(6) {
        driver.record(&e).unwrap();
    }
    let json = driver.export_json(&key().address, t(30)).unwrap();
    golden("export.json", &json);
    let back: consentry::SubjectExport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, driver.export(&key().address, t(30)).unwrap());
}

#[test]
fn policies() {
    snapshot("ledger_policy.json", &LedgerPolicy::default());
    snapshot("retention_policy.json", &RetentionPolicy::default());
    snapshot("disclosure_policy.json", &DisclosurePolicy::default());
    let cookies: CookiePolicy = serde_json::from_str(
        r#"{"revision": 3, "cookies": [
            {"name": "sid", "domain": "shop.example", "category": "strictly_necessary", "lifetime": "session"},
            {"name": "_ga", "domain": "shop.example", "category": "analytics", "lifetime": {"days": 390}, "script_access": true},
            {"name": "recent", "domain": "shop.example", "category": "preferences", "lifetime": {"kind": "days", "days": 30}, "storage": "local_storage"}
        ]}"#,
    )
    .unwrap();
    snapshot("cookie_policy.json", &cookies);
    snapshot(
        "business_calendar.json",
        &BusinessCalendar::us_federal(2026..=2026, -5 * 3600).unwrap(),
    );
}

#[test]
fn records_and_decisions() {
    let salt = b"0123456789abcdef-salt";
    let kept = ErasedFact {
        hash: AddressHash::new(salt, &key().address),
        salt_id: consentry::retention::salt_id(salt),
        tenant: key().tenant,
        list: Some(key().list),
        action: Action::OptedOut {
            via: OptOutChannel::OneClick,
        },
        at: t(2),
        weak_evidence: false,
        seq: 0,
    };
    snapshot("erased_fact.json", &kept);
    // What schema 3 and earlier kept still reads, as the fact it stood for.
    let legacy: ErasedFact = serde_json::from_str(
        &std::fs::read_to_string("tests/golden/erased_suppression.json").unwrap(),
    )
    .unwrap();
    assert_eq!(legacy.salt_id, consentry::retention::UNKNOWN_SALT_ID);
    assert!(matches!(legacy.action, Action::OptedOut { .. }));

    let subpoena = DisclosureRequest::new(
        Recipient::Court,
        Purpose::LegalCompliance,
        DataSet::from([DataCategory::Email, DataCategory::Name]),
    )
    .with_legal_process(LegalProcess::Subpoena);
    let policy = DisclosurePolicy::default();
    let decision = policy.decide(&subpoena);
    snapshot("disclosure_decision.json", &decision);
    snapshot(
        "disclosure_record.json",
        &decision.record(&key().address, &subpoena, t(1)),
    );

    let k = key();
    let state = ConsentState::replay(&k, [], &LedgerPolicy::default(), t(1));
    let ad = Classifier::default().classify(&Message::text("Spring sale", "40% off everything"));
    let ctx = SendContext::new(k.tenant.clone(), k.list.clone(), t(1));
    snapshot("send_decision.json", &ctx.decide(&state, &ad));
    snapshot("classification.json", &ad);
    snapshot(
        "message.json",
        &Message {
            subject: "Your receipt".into(),
            body: Body::Html("<p>Order #1042</p>".into()),
            declared: DeclaredKind::Transactional(TransactionalCategory::Transaction),
        },
    );
    let out = OutboundMessage::builder(
        EmailAddress::parse("news@acme.example").unwrap(),
        k.address.clone(),
    )
    .subject("Summer sale")
    .text("30% off")
    .header("List-Unsubscribe", "<https://acme.example/u?token=x>")
    .build()
    .unwrap();
    snapshot("outbound_message.json", &out);
}

#[test]
fn the_consent_cookie_value() {
    let choice = CookieConsent::new(
        [Category::Analytics, Category::Preferences],
        7,
        t(0),
        ConsentMethod::PerCategory,
    );
    let keys = consentry::cookie::ConsentKeys::new(
        consentry::unsubscribe::TokenKey::new("site1", [42u8; 32]).unwrap(),
    );
    let value = choice.to_cookie_value(&keys);
    golden("consent_cookie_value.txt", &value);
    let (policy, _) =
        consentry::cookie::CookiePolicy::from_json(r#"{"revision": 7, "cookies": []}"#).unwrap();
    assert_eq!(
        CookieConsent::from_cookie_value(&value, &keys, &policy, t(0)).unwrap(),
        choice
    );
    snapshot("cookie_consent.json", &choice);
}

#[test]
fn the_unsubscribe_token() {
    let ring =
        KeyRing::new(TokenKey::new("k2026", b"a-32-byte-secret-for-the-golden!".to_vec()).unwrap());
    let k = key();
    let token = ring.issue_sealed(&k.tenant, &k.list, &k.address, t(0));
    golden("unsubscribe_token.txt", &token);
    let v = ring.verify(&token, t(1)).unwrap();
    assert_eq!(v.address, k.address);
    // A reference token and the row stores keep for it (SQLite and
    // PostgreSQL store this JSON).
    let long = EmailAddress::parse(&format!(
        "{}@{}.{}.example",
        "l".repeat(64),
        "d".repeat(63),
        "e".repeat(60)
    ))
    .unwrap();
    let consentry::unsubscribe::IssuedToken::Kept(kept) =
        ring.issue(&k.tenant, &k.list, &long, t(0))
    else {
        panic!("a long address was sealed");
    };
    golden("unsubscribe_token_reference.txt", &kept.token);
    snapshot("kept_token.json", &kept);
    assert_eq!(
        ring.verify_kept(&kept.token, Some(&kept), t(1))
            .unwrap()
            .address,
        long
    );
}
