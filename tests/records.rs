//! Retention, erasure, refer-a-friend, policy notices and subject access.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use chrono::TimeDelta;
use common::*;
use consentry::cookie::CookieConsent;
use consentry::disclosure::{
    DataCategory, DataSet, DisclosurePolicy, DisclosureRequest, LegalProcess, Purpose, Recipient,
};
use consentry::notice::{notice_plan, NoticeError, NoticeRecipient, PolicyVersion};
use consentry::referral::{ReferralOutcome, ReferralPolicy, ReferralRequest};
use consentry::retention::*;
use consentry::{
    Action, ConsentState, ConsentStore, Driver, LedgerPolicy, MemoryStore, RecordingMailer,
    ServiceError,
};

#[test]
fn retention_rules_per_record_kind() {
    let p = RetentionPolicy::default();
    let rec = |kind| RetainedRecord {
        kind,
        created_at: t0(),
    };
    let purge = |r: &RetainedRecord, days| {
        *p.decide(r, t0() + TimeDelta::days(days)).outcome() == RetentionAction::Purge
    };

    let unsent = rec(RecordKind::ReferralAddress {
        invite_sent_at: None,
    });
    assert!(!purge(&unsent, 7) && purge(&unsent, 8));
    let sent = rec(RecordKind::ReferralAddress {
        invite_sent_at: Some(t0() + TimeDelta::days(2)),
    });
    assert!(!purge(&sent, 32) && purge(&sent, 33));
    let log = rec(RecordKind::WebLog);
    assert!(!purge(&log, 90) && purge(&log, 91));
    let live = rec(RecordKind::ConsentEvidence {
        relationship_ended_at: None,
    });
    assert_eq!(
        p.decide(&live, t0() + TimeDelta::days(5000)).outcome(),
        &RetentionAction::Keep { until: None }
    );
    let ended = rec(RecordKind::ConsentEvidence {
        relationship_ended_at: Some(t0()),
    });
    assert!(!purge(&ended, 1095) && purge(&ended, 1096));
    let sup = rec(RecordKind::Suppression);
    let d = p.decide(&sup, t0() + TimeDelta::days(100_000));
    assert_eq!(d.outcome(), &RetentionAction::Keep { until: None });
    assert_eq!(d.rule().as_str(), "retention.suppression_forever");
}

#[test]
fn erasure_keeps_the_suppression_so_a_reimport_never_mails_them() {
    let d = salted_driver(LedgerPolicy::default());
    let k = key("acme", "news", "ann@example.com");
    d.record(&ev(&k, "a", 0, form())).unwrap();
    d.record(&ev(&k, "b", 1, opt_out())).unwrap();
    d.record(&ev(&k, "c", 2, Action::HardBounced)).unwrap();

    let receipt = d.erase(&addr("ANN@example.com")).unwrap();
    assert_eq!(receipt.events_deleted, 3);
    assert_eq!(receipt.kept.len(), 3, "every fact, stripped");
    let json = serde_json::to_string(&receipt.kept).unwrap();
    assert!(!json.contains("ann@") && !json.contains("\"id\""), "{json}");
    assert!(d
        .store()
        .events_for(&addr("ann@example.com"))
        .unwrap()
        .is_empty());

    // The export holds no plaintext history, only the hashed suppressions' effect.
    let export = d.export_json(&addr("ann@example.com"), at(3)).unwrap();
    assert!(!export.contains("\"id\": \"a\""), "{export}");

    // The tenant re-imports Ann: the kept suppression still wins.
    d.record(&ev(&k, "reimport", 10, imported())).unwrap();
    let s = d.state(&k, at(11)).unwrap();
    assert!(!s.permits_promotional(), "{:#?}", s.explain());
    assert!(!s.permits_transactional(), "the hard bounce is kept too");

    // A replayed webhook of an erased event does not come back.
    assert_eq!(
        d.record(&ev(&k, "a", 0, form())).unwrap(),
        consentry::AppendOutcome::Duplicate
    );

    let no_salt = Driver::new(
        MemoryStore::new(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    assert!(matches!(
        no_salt.erase(&addr("x@example.com")),
        Err(ServiceError::Unsupported(_))
    ));
    assert!(Driver::new(
        MemoryStore::new(),
        RecordingMailer::new(),
        LedgerPolicy::default()
    )
    .with_erasure_salt(b"short".to_vec())
    .is_err());
}

#[test]
fn address_hashes_depend_on_the_salt_and_the_canonical_key_only() {
    let a = AddressHash::new(b"salt-one-0123456", &addr("Bob@Example.com"));
    let b = AddressHash::new(b"salt-one-0123456", &addr("bob@example.com"));
    let c = AddressHash::new(b"salt-two-0123456", &addr("bob@example.com"));
    assert_eq!(a, b);
    assert_ne!(a, c);
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(serde_json::from_str::<AddressHash>(&json).unwrap(), a);
    assert!(serde_json::from_str::<AddressHash>("\"zz\"").is_err());
}

fn referral(friend: &str) -> ReferralRequest {
    ReferralRequest {
        tenant: key("acme", "news", "x@example.com").tenant,
        list: key("acme", "news", "x@example.com").list,
        referrer: addr("ann@example.com"),
        friend: addr(friend),
        at: at(5),
    }
}

#[test]
fn a_friend_gets_one_invite_never_a_subscription() {
    let p = ReferralPolicy::default();
    let fk = key("acme", "news", "bob@example.com");
    let clean = ConsentState::replay(&fk, [], &LedgerPolicy::default(), at(5));
    let d = p.decide(&referral("bob@example.com"), false, &clean);
    let ReferralOutcome::Send {
        requirements,
        friend_address_retention,
    } = d.outcome()
    else {
        panic!("{d:?}")
    };
    assert!(requirements.contains(&consentry::eligibility::Requirement::UnsubscribeLink));
    assert_eq!(
        friend_address_retention.outcome(),
        &RetentionAction::Keep {
            until: Some(at(5) + TimeDelta::days(30))
        }
    );
    // Sending the invite records nothing: the friend still has no permission.
    assert!(!serde_json::to_string(&d).unwrap().contains("opted_in"));
    assert!(!clean.permits_promotional());

    assert!(
        !p.decide(&referral("bob@example.com"), true, &clean)
            .is_send(),
        "only once"
    );
    let opted_out = ConsentState::replay(
        &fk,
        &[ev(&fk, "o", 1, opt_out())],
        &LedgerPolicy::default(),
        at(5),
    );
    assert!(!p
        .decide(&referral("bob@example.com"), false, &opted_out)
        .is_send());
    let bounced = ConsentState::replay(
        &fk,
        &[ev(&fk, "o", 1, Action::HardBounced)],
        &LedgerPolicy::default(),
        at(5),
    );
    assert!(!p
        .decide(&referral("bob@example.com"), false, &bounced)
        .is_send());
    let ak = key("acme", "news", "ann@example.com");
    let self_state = ConsentState::replay(&ak, [], &LedgerPolicy::default(), at(5));
    assert!(!p
        .decide(&referral("ANN@example.com"), false, &self_state)
        .is_send());
    assert!(
        !p.decide(&referral("carol@example.com"), false, &clean)
            .is_send(),
        "state of another address"
    );
}

fn version(id: &str, day: i64, material: bool) -> PolicyVersion {
    PolicyVersion {
        id: id.into(),
        effective_from: t0() + TimeDelta::days(day),
        material,
        summary: format!("version {id}"),
    }
}

#[test]
fn material_changes_are_emailed_and_old_consents_flagged() {
    let ann = NoticeRecipient {
        address: addr("ann@example.com"),
        active_relationship: true,
        consent_policy_version: Some("2025-06".into()),
    };
    let bob = NoticeRecipient {
        address: addr("bob@example.com"),
        active_relationship: true,
        consent_policy_version: Some("2026-01".into()),
    };
    let gone = NoticeRecipient {
        address: addr("cy@example.com"),
        active_relationship: false,
        consent_policy_version: Some("2025-06".into()),
    };
    let audience = [ann, bob, gone];
    let plan = notice_plan(
        &version("2025-06", 0, false),
        &version("2026-01", 30, true),
        &audience,
    )
    .unwrap();
    assert!(plan.home_page_notice && plan.material);
    assert_eq!(
        plan.email,
        [addr("ann@example.com"), addr("bob@example.com")]
    );
    assert_eq!(plan.needs_fresh_notice, [addr("ann@example.com")]);

    let minor = notice_plan(
        &version("2026-01", 30, false),
        &version("2026-02", 60, false),
        &audience,
    )
    .unwrap();
    assert!(
        minor.home_page_notice && minor.email.is_empty() && minor.needs_fresh_notice.is_empty()
    );
    assert!(matches!(
        notice_plan(&version("b", 60, false), &version("a", 30, true), &audience),
        Err(NoticeError::NotNewer { .. })
    ));
}

#[test]
fn notice_recipients_derive_from_history() {
    let k = key("acme", "news", "ann@example.com");
    let events = [ev(&k, "a", 0, form()), ev(&k, "b", 5, customer())];
    let r = NoticeRecipient::from_history(&k.address, &events, &LedgerPolicy::default(), at(10));
    assert!(r.active_relationship);
    assert_eq!(r.consent_policy_version.as_deref(), Some("2026-01"));
    let out = [ev(&k, "a", 0, form()), ev(&k, "b", 5, opt_out())];
    assert!(
        !NoticeRecipient::from_history(&k.address, &out, &LedgerPolicy::default(), at(10))
            .active_relationship
    );
}

#[test]
fn subject_access_holds_history_suppressions_disclosures_and_cookie_choice_of_one_person() {
    let d = Driver::new(
        MemoryStore::new(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    let ann = key("acme", "news", "ann@example.com");
    let bob = key("acme", "news", "bob@example.com");
    d.record(&ev(&ann, "a1", 0, form())).unwrap();
    d.record(&ev(&ann, "a2", 1, opt_out())).unwrap();
    d.record(&ev(&bob, "b1", 0, form())).unwrap();
    let policy = DisclosurePolicy::default();
    let req = DisclosureRequest::new(
        Recipient::Court,
        Purpose::LegalCompliance,
        DataSet::from([DataCategory::Email]),
    )
    .with_legal_process(LegalProcess::CourtOrder);
    let logs = [
        policy.decide(&req).record(&ann.address, &req, at(2)),
        policy.decide(&req).record(&bob.address, &req, at(2)),
    ];
    let cookie = CookieConsent::reject_all(3, at(1));
    let export = d
        .export_with(&addr("Ann@example.com"), at(3), &logs, Some(&cookie))
        .unwrap();
    assert_eq!(export.events.len(), 2);
    assert_eq!(export.suppressions.len(), 1);
    assert_eq!(export.disclosures.len(), 1);
    assert!(export.disclosures[0].audit);
    assert_eq!(export.cookie_consent, Some(cookie));
    let json = serde_json::to_string(&export).unwrap();
    assert!(!json.contains("bob@"), "{json}");
    let back: consentry::SubjectExport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, export);
}

#[test]
fn retention_and_deadlines_at_the_end_of_time_do_not_panic() {
    use chrono::{DateTime, Utc};
    let far = DateTime::<Utc>::MAX_UTC;
    let p = RetentionPolicy::default();
    for kind in [
        RecordKind::ReferralAddress {
            invite_sent_at: Some(far),
        },
        RecordKind::ReferralAddress {
            invite_sent_at: None,
        },
        RecordKind::WebLog,
        RecordKind::ConsentEvidence {
            relationship_ended_at: Some(far),
        },
    ] {
        let _ = p.decide(
            &RetainedRecord {
                kind,
                created_at: far,
            },
            far,
        );
    }
    let cal = consentry::unsubscribe::BusinessCalendar::default();
    let rules = [
        consentry::unsubscribe::OptOutRule::CanSpam,
        consentry::unsubscribe::OptOutRule::BulkSender,
    ];
    let _ = consentry::unsubscribe::OptOutDeadlines::new(rules, cal).decide(far);
    let _ = consentry::unsubscribe::BusinessCalendar::us_federal_holidays(i32::MAX);
    let _ = consentry::unsubscribe::BusinessCalendar::us_federal_holidays(i32::MIN);
}

/// Issue 12 item 12: facts that decisions depend on survive the erasure.
#[test]
fn erasure_keeps_cleared_bounces_cancellations_and_soft_bounce_runs() {
    let d = salted_driver(LedgerPolicy::default());
    let k = key("acme", "news", "ann@example.com");
    let cleared = key("acme", "news", "bob@example.com");
    let cancelled = key("acme", "news", "cy@example.com");
    let bouncing = key("acme", "news", "di@example.com");
    // Bob's hard bounce was cleared by an operator.
    d.record(&ev(&cleared, "b1", 0, form())).unwrap();
    d.record(&ev(&cleared, "b2", 1, Action::HardBounced))
        .unwrap();
    d.record(&ev(
        &cleared,
        "b3",
        2,
        Action::SuppressionCleared {
            by: "ops-jane".into(),
        },
    ))
    .unwrap();
    // Cy's account was cancelled.
    d.record(&ev(&cancelled, "c1", 0, customer())).unwrap();
    d.record(&ev(&cancelled, "c2", 1, Action::AccountCancelled))
        .unwrap();
    // Di has soft-bounced twice in a row (the threshold is three).
    d.record(&ev(&bouncing, "d1", 0, form())).unwrap();
    d.record(&ev(&bouncing, "d2", 1, Action::SoftBounced))
        .unwrap();
    d.record(&ev(&bouncing, "d3", 2, Action::SoftBounced))
        .unwrap();
    d.record(&ev(&k, "a1", 0, form())).unwrap();
    for person in [&cleared, &cancelled, &bouncing, &k] {
        let before = d.state(person, at(5)).unwrap();
        d.erase(&person.address).unwrap();
        let after = d.state(person, at(5)).unwrap();
        assert_eq!(
            (before.permits_promotional(), before.permits_transactional()),
            (after.permits_promotional(), after.permits_transactional()),
            "{}: {:#?}",
            person.address,
            after.explain()
        );
        assert!(d.store().events_for(&person.address).unwrap().is_empty());
    }
    // One more soft bounce for Di completes the run, as it would have.
    d.record(&ev(&bouncing, "d4", 6, Action::SoftBounced))
        .unwrap();
    assert!(!d.state(&bouncing, at(7)).unwrap().permits_transactional());
    // Erasing twice keeps the same facts (not twice as many).
    let once = d.erase(&k.address).unwrap();
    let twice = d.erase(&k.address).unwrap();
    assert_eq!(once.kept, twice.kept);
}

/// Issue 12 item 4: kept facts are honoured whatever the driver's
/// configuration, and salts rotate.
#[test]
fn a_driver_without_the_salt_refuses_a_store_with_erased_facts() {
    let store = std::sync::Arc::new(MemoryStore::new());
    let old_salt = b"old-salt-0123456789".to_vec();
    let new_salt = b"new-salt-0123456789".to_vec();
    let k = key("acme", "news", "ann@example.com");
    let first = Driver::new(
        store.clone(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    )
    .with_erasure_salt(old_salt.clone())
    .unwrap();
    first.record(&ev(&k, "in", 0, form())).unwrap();
    first.record(&ev(&k, "out", 1, opt_out())).unwrap();
    first.erase(&k.address).unwrap();

    // A second driver on the same store without the salt: refused, never
    // an answer that would let an import resubscribe Ann.
    let unsalted = Driver::new(
        store.clone(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    assert!(matches!(
        unsalted.state(&k, at(3)),
        Err(ServiceError::MissingErasureSalt { .. })
    ));
    // After a rotation without the old salt: refused too.
    let rotated_badly = Driver::new(
        store.clone(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    )
    .with_erasure_salt(new_salt.clone())
    .unwrap();
    assert!(matches!(
        rotated_badly.state(&k, at(3)),
        Err(ServiceError::MissingErasureSalt { .. })
    ));
    // A proper rotation finds the old facts, and erasing again re-files
    // them under the new salt.
    let rotated = Driver::new(
        store.clone(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    )
    .with_erasure_salt(new_salt.clone())
    .unwrap()
    .with_retired_erasure_salt(old_salt)
    .unwrap();
    rotated.record(&ev(&k, "reimport", 5, imported())).unwrap();
    assert!(!rotated.state(&k, at(6)).unwrap().permits_promotional());
    rotated.erase(&k.address).unwrap();
    let new_only = Driver::new(store, RecordingMailer::new(), LedgerPolicy::default())
        .with_erasure_salt(new_salt)
        .unwrap();
    let s = new_only.state(&k, at(7)).unwrap();
    assert!(s.has_opted_out() && !s.permits_promotional());
}
