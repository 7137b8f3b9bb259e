//! The sync driver over the memory ports.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use consentry::{
    Action, AppendOutcome, Basis, Driver, EventError, LedgerPolicy, MemoryStore, RecordingMailer,
    ServiceError, SubjectExport,
};

fn driver() -> Driver<MemoryStore, RecordingMailer> {
    Driver::new(
        MemoryStore::new(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    )
}

#[test]
fn record_dedups_and_state_reflects_it() {
    let d = driver();
    let k = key("acme", "news", "Ann@Example.com");
    let e = ev(&k, "evt-1", 0, form());
    assert_eq!(d.record(&e).unwrap(), AppendOutcome::Appended);
    assert_eq!(d.record(&e).unwrap(), AppendOutcome::Duplicate);
    assert_eq!(d.store().len(), 1);
    assert!(d
        .state(&key("acme", "news", "ann@example.com"), at(1))
        .unwrap()
        .permits_promotional());
}

#[test]
fn invalid_events_are_refused_and_change_nothing() {
    let d = driver();
    let k = key("acme", "news", "ann@example.com");
    d.record(&ev(&k, "ok", 0, form())).unwrap();

    let mut long_ua = ev(&k, "bad-1", 1, form());
    long_ua.evidence.user_agent = Some("x".repeat(600));
    let mut injected = ev(&k, "bad-2", 1, form());
    injected.evidence.policy_version = Some("v1\r\nX-Evil: 1".into());
    let mut js = ev(&k, "bad-3", 1, form());
    js.evidence.source_url = Some("javascript:alert(1)".parse().unwrap());
    let empty_attestation = ev(
        &k,
        "bad-4",
        1,
        Action::OptedIn {
            basis: Basis::Imported {
                attestation: "  ".into(),
            },
        },
    );
    let no_operator = ev(
        &k,
        "bad-5",
        1,
        Action::SuppressionCleared { by: String::new() },
    );

    for bad in [long_ua, injected, js, empty_attestation, no_operator] {
        let err = d.record(&bad).unwrap_err();
        assert!(
            matches!(err, ServiceError::InvalidEvent(_)),
            "{}: {err:?}",
            bad.id
        );
    }
    assert_eq!(d.store().len(), 1);
    let err = d.record(&{
        let mut e = ev(&k, "bad-6", 1, form());
        e.evidence.user_agent = Some("x".repeat(600));
        e
    });
    assert!(matches!(
        err,
        Err(ServiceError::InvalidEvent(EventError::FieldTooLong {
            field: "user_agent",
            ..
        }))
    ));
}

#[test]
fn export_holds_one_person_and_nobody_else() {
    let d = driver();
    let ann_news = key("acme", "news", "ann@example.com");
    let ann_offers = key("acme", "offers", "ANN@example.com");
    let bob = key("acme", "news", "bob@example.com");
    d.record(&ev(&ann_news, "a1", 0, form())).unwrap();
    d.record(&ev(&bob, "b1", 0, form())).unwrap();
    d.record(&ev(&ann_offers, "a2", 1, imported())).unwrap();
    d.record(&ev(&ann_news, "a3", 2, opt_out())).unwrap();

    let json = d.export_json(&addr("Ann@Example.com"), at(3)).unwrap();
    assert!(!json.contains("bob@"), "export leaked another person");
    let export: SubjectExport = serde_json::from_str(&json).unwrap();
    assert_eq!(export.address, "ann@example.com");
    let ids: Vec<_> = export.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["a1", "a2", "a3"]);
    assert_eq!(export.states.len(), 2);
    let news = export
        .states
        .iter()
        .find(|s| s.key().list.as_str() == "news")
        .unwrap();
    assert!(!news.permits_promotional());
    let offers = export
        .states
        .iter()
        .find(|s| s.key().list.as_str() == "offers")
        .unwrap();
    assert!(offers.permits_promotional());
}
