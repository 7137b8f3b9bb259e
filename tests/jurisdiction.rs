//! Jurisdiction profiles: one table per regime, each row citing the rule it
//! checks; the property that a regime never makes a decision more
//! permissive than the organisation's policy alone; implied consent lapsing
//! to the second; deadlines and content per regime.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use chrono::{DateTime, Months, NaiveDate, TimeDelta, TimeZone, Utc};
use common::*;
use consentry::classify::{Classification, Classifier, Message};
use consentry::eligibility::{
    check_requirements, plan, AudienceMember, Requirement, SendContext, SendOutcome,
    SuppressionIndex,
};
use consentry::jurisdiction::{
    check_unsubscribe_validity, opt_out_deadlines, Jurisdiction, OrgStance, Regime,
};
use consentry::unsubscribe::BusinessCalendar;
use consentry::{
    Action, Basis, ConsentEvent, ConsentKey, ConsentState, EventId, ImpliedGround, LedgerPolicy,
    OutboundMessage,
};
use proptest::prelude::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

/// The classifier is built once (its automaton is large).
fn classified() -> &'static (Classification, Classification) {
    static ONCE: std::sync::OnceLock<(Classification, Classification)> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        let c = Classifier::default();
        (
            c.classify(&Message::text("Summer sale", "30% off sandals. Shop now.")),
            c.classify(&Message::text(
                "Your receipt",
                "Thank you for your order #5521. Total charged: $18.00.",
            )),
        )
    })
}

fn ad() -> Classification {
    classified().0.clone()
}

fn receipt() -> Classification {
    classified().1.clone()
}

fn the_key() -> ConsentKey {
    key("acme", "news", "ann@example.com")
}

/// A policy that accepts CASL's implied consent (off by default).
fn implied_ok() -> LedgerPolicy {
    LedgerPolicy::builder()
        .implied_consent_counts(true)
        .build()
        .unwrap()
}

/// What a row records before the decision.
#[derive(Clone, Copy, Debug)]
enum History {
    Nothing,
    Express,
    Imported,
    Customer { months_ago: u32 },
    Purchase { months_ago: u32 },
    Inquiry { months_ago: u32 },
    ExpressThenOptOut,
}

fn state(history: History) -> ConsentState {
    let k = the_key();
    let ago = |m: u32| now().checked_sub_months(Months::new(m)).unwrap();
    let opt_in = |basis: Basis, at: DateTime<Utc>| {
        ConsentEvent::new(
            EventId::new("in").unwrap(),
            at,
            &k,
            Action::OptedIn { basis },
        )
        .with_evidence(strong_evidence())
    };
    let events = match history {
        History::Nothing => vec![],
        History::Express => vec![opt_in(Basis::ExpressForm, ago(3))],
        History::Imported => vec![opt_in(
            Basis::Imported {
                attestation: "trade-show badge scans".into(),
            },
            ago(3),
        )],
        History::Customer { months_ago } => vec![opt_in(Basis::ExistingCustomer, ago(months_ago))],
        History::Purchase { months_ago } => vec![opt_in(
            Basis::Implied {
                ground: ImpliedGround::Purchase,
                on: ago(months_ago),
            },
            ago(months_ago),
        )],
        History::Inquiry { months_ago } => vec![opt_in(
            Basis::Implied {
                ground: ImpliedGround::Inquiry,
                on: ago(months_ago),
            },
            ago(months_ago),
        )],
        History::ExpressThenOptOut => vec![
            opt_in(Basis::ExpressForm, ago(3)),
            ConsentEvent::new(EventId::new("out").unwrap(), ago(1), &k, opt_out()),
        ],
    };
    ConsentState::replay(&k, &events, &implied_ok(), now())
}

struct Row {
    /// The rule the row checks, at its source.
    source: &'static str,
    country: &'static str,
    stance: OrgStance,
    history: History,
    sends: bool,
    /// A rule id the decision's reasons must name.
    rule: &'static str,
}

fn run(rows: &[Row]) {
    for row in rows {
        let ctx = SendContext::new(the_key().tenant, the_key().list, now()).with_stance(row.stance);
        let j = Jurisdiction::new(row.country).unwrap();
        let d = ctx.decide_for(&state(row.history), &ad(), Some(&j));
        assert_eq!(
            d.is_send(),
            row.sends,
            "{} ({}): {:?}",
            row.source,
            row.country,
            d.reasons()
        );
        assert!(
            d.reasons().iter().any(|r| r.rule.as_str() == row.rule),
            "{}: expected `{}` among {:?}",
            row.source,
            row.rule,
            d.reasons()
        );
    }
}

use OrgStance::{OptOutWhereLawful as OptOut, PermissionBased as Permission};

#[test]
fn can_spam_table() {
    run(&[
        Row {
            source: "privacy statement: permission-based even where CAN-SPAM needs no consent",
            country: "US",
            stance: Permission,
            history: History::Nothing,
            sends: false,
            rule: "eligibility.promotional.no_permission",
        },
        Row {
            source:
                "15 U.S.C. 7704(a)(3)-(5): no prior consent needed while no opt-out is in force",
            country: "US",
            stance: OptOut,
            history: History::Nothing,
            sends: true,
            rule: "jurisdiction.can_spam.opt_out_model",
        },
        Row {
            source: "15 U.S.C. 7704(a)(4)(A): no commercial mail after an opt-out",
            country: "US",
            stance: OptOut,
            history: History::ExpressThenOptOut,
            sends: false,
            rule: "eligibility.promotional.opted_out",
        },
        Row {
            source:
                "15 U.S.C. 7704(a)(3)-(5): an imported list is mailable under the opt-out model",
            country: "PR",
            stance: OptOut,
            history: History::Imported,
            sends: true,
            rule: "jurisdiction.can_spam.content",
        },
    ]);
    // 7704(a)(5)(A)(i), (B): the ad label is needed without affirmative consent only.
    let ctx = SendContext::new(the_key().tenant, the_key().list, now()).with_stance(OptOut);
    let us = Jurisdiction::new("US").unwrap();
    let bare = ctx.decide_for(&state(History::Nothing), &ad(), Some(&us));
    assert!(bare
        .requirements()
        .contains(&Requirement::AdvertisementLabel));
    let express = ctx.decide_for(&state(History::Express), &ad(), Some(&us));
    assert!(!express
        .requirements()
        .contains(&Requirement::AdvertisementLabel));
    assert!(express.requirements().contains(&Requirement::PostalAddress));
}

#[test]
fn casl_table() {
    run(&[
        Row {
            source: "CASL s. 6(1)(a): express consent permits",
            country: "CA",
            stance: Permission,
            history: History::Express,
            sends: true,
            rule: "jurisdiction.casl.consent_required",
        },
        Row {
            source: "CASL s. 13: the sender proves consent; an import's attestation does not",
            country: "CA",
            stance: Permission,
            history: History::Imported,
            sends: false,
            rule: "jurisdiction.casl.consent_evidence",
        },
        Row {
            source: "CASL s. 10(10)(a): implied by a purchase within two years",
            country: "CA",
            stance: Permission,
            history: History::Purchase { months_ago: 23 },
            sends: true,
            rule: "jurisdiction.casl.consent_required",
        },
        Row {
            source: "CASL s. 10(10)(a): a purchase 25 months ago no longer implies consent",
            country: "CA",
            stance: Permission,
            history: History::Purchase { months_ago: 25 },
            sends: false,
            rule: "jurisdiction.casl.consent_required",
        },
        Row {
            source: "CASL s. 10(10)(e): an inquiry within six months",
            country: "CA",
            stance: Permission,
            history: History::Inquiry { months_ago: 5 },
            sends: true,
            rule: "jurisdiction.casl.consent_required",
        },
        Row {
            source: "CASL s. 10(10)(e): an inquiry seven months ago no longer implies consent",
            country: "CA",
            stance: Permission,
            history: History::Inquiry { months_ago: 7 },
            sends: false,
            rule: "jurisdiction.casl.consent_required",
        },
        Row {
            source: "CASL s. 10(10)(a): an existing customer's soft opt-in is a purchase's implied consent, two years",
            country: "CA",
            stance: Permission,
            history: History::Customer { months_ago: 25 },
            sends: false,
            rule: "jurisdiction.casl.consent_required",
        },
        Row {
            source: "CASL s. 10(10)(a): an existing-customer opt-in without the purchase date cannot show that implied consent holds",
            country: "CA",
            stance: Permission,
            history: History::Customer { months_ago: 2 },
            sends: false,
            rule: "jurisdiction.casl.consent_required",
        },
        Row {
            source: "CASL s. 6(1): the opt-out model is not lawful in Canada",
            country: "CA",
            stance: OptOut,
            history: History::Nothing,
            sends: false,
            rule: "jurisdiction.casl.consent_required",
        },
    ]);
    // s. 6(2): identification and contact information in every message.
    let ctx = SendContext::new(the_key().tenant, the_key().list, now());
    let ca = Jurisdiction::new("CA").unwrap().with_region("QC");
    let d = ctx.decide_for(&state(History::Express), &ad(), Some(&ca));
    assert!(d
        .requirements()
        .contains(&Requirement::SenderIdentification));
    assert!(d.requirements().contains(&Requirement::ContactInformation));
}

#[test]
fn eu_table() {
    run(&[
        Row {
            source: "ePrivacy Art. 13(1): prior consent permits",
            country: "DE",
            stance: Permission,
            history: History::Express,
            sends: true,
            rule: "jurisdiction.eu.prior_consent_required",
        },
        Row {
            source: "ePrivacy Art. 13(2): the soft opt-in of an existing customer",
            country: "FR",
            stance: Permission,
            history: History::Customer { months_ago: 30 },
            sends: true,
            rule: "jurisdiction.eu.prior_consent_required",
        },
        Row {
            source: "GDPR Art. 7(1): consent must be demonstrable; an import's attestation is not",
            country: "ES",
            stance: Permission,
            history: History::Imported,
            sends: false,
            rule: "jurisdiction.eu.consent_evidence",
        },
        Row {
            source: "ePrivacy Art. 13(1): an inquiry is no prior consent",
            country: "IT",
            stance: Permission,
            history: History::Inquiry { months_ago: 1 },
            sends: false,
            rule: "jurisdiction.eu.prior_consent_required",
        },
        Row {
            source: "ePrivacy Art. 13(1): the opt-out model is not lawful in the EU",
            country: "NL",
            stance: OptOut,
            history: History::Nothing,
            sends: false,
            rule: "jurisdiction.eu.prior_consent_required",
        },
    ]);
}

#[test]
fn uk_table() {
    run(&[
        Row {
            source: "PECR reg. 22(2): prior consent permits",
            country: "GB",
            stance: Permission,
            history: History::Express,
            sends: true,
            rule: "jurisdiction.uk.prior_consent_required",
        },
        Row {
            source: "PECR reg. 22(3): the soft opt-in",
            country: "GB",
            stance: Permission,
            history: History::Customer { months_ago: 2 },
            sends: true,
            rule: "jurisdiction.uk.prior_consent_required",
        },
        Row {
            source: "UK GDPR Art. 7(1): an import's attestation does not demonstrate consent",
            country: "UK",
            stance: Permission,
            history: History::Imported,
            sends: false,
            rule: "jurisdiction.uk.consent_evidence",
        },
        Row {
            source: "PECR reg. 22(2): the opt-out model is not lawful in the UK",
            country: "GB",
            stance: OptOut,
            history: History::Nothing,
            sends: false,
            rule: "jurisdiction.uk.prior_consent_required",
        },
    ]);
}

#[test]
fn outside_the_modelled_regimes_the_organisation_decides() {
    run(&[Row {
        source: "no regime modelled for Japan: the ledger policy alone",
        country: "JP",
        stance: OptOut,
        history: History::Express,
        sends: true,
        rule: "jurisdiction.none",
    }]);
    let ctx = SendContext::new(the_key().tenant, the_key().list, now()).with_stance(OptOut);
    let jp = Jurisdiction::new("JP").unwrap();
    assert!(!ctx
        .decide_for(&state(History::Nothing), &ad(), Some(&jp))
        .is_send());
}

#[test]
fn transactional_mail_flows_under_every_regime() {
    let ctx = SendContext::new(the_key().tenant, the_key().list, now());
    for country in ["US", "CA", "DE", "GB", "JP"] {
        let j = Jurisdiction::new(country).unwrap();
        for history in [
            History::Nothing,
            History::ExpressThenOptOut,
            History::Imported,
        ] {
            let d = ctx.decide_for(&state(history), &receipt(), Some(&j));
            assert!(d.is_send(), "{country} {history:?}: {:?}", d.reasons());
            if country == "CA" {
                // CASL s. 6(6) lifts only the consent requirement: a receipt
                // still identifies its sender and carries an unsubscribe.
                assert_eq!(
                    d.requirements(),
                    [
                        Requirement::SenderIdentification,
                        Requirement::ContactInformation,
                        Requirement::UnsubscribeLink
                    ]
                );
            } else {
                assert!(d.requirements().is_empty());
            }
        }
    }
}

#[test]
fn consent_regimes_want_provable_evidence_whatever_the_context_allows() {
    let k = the_key();
    let weak = ConsentEvent::new(
        EventId::new("w").unwrap(),
        now() - TimeDelta::days(3),
        &k,
        form(),
    );
    let s = ConsentState::replay(&k, [&weak], &implied_ok(), now());
    let ctx =
        SendContext::new(k.tenant.clone(), k.list.clone(), now()).with_weak_evidence_allowed(true);
    assert!(ctx
        .decide_for(&s, &ad(), Some(&Jurisdiction::new("US").unwrap()))
        .is_send());
    for (country, rule) in [
        ("DE", "jurisdiction.eu.consent_evidence"),
        ("GB", "jurisdiction.uk.consent_evidence"),
        ("CA", "jurisdiction.casl.consent_evidence"),
    ] {
        let d = ctx.decide_for(&s, &ad(), Some(&Jurisdiction::new(country).unwrap()));
        assert!(!d.is_send());
        assert_eq!(d.rule().as_str(), rule);
    }
}

#[test]
fn a_published_address_implies_consent_only_to_business_relevant_mail() {
    let k = the_key();
    let card = ConsentEvent::new(
        EventId::new("card").unwrap(),
        now() - TimeDelta::days(30),
        &k,
        Action::OptedIn {
            basis: Basis::Implied {
                ground: ImpliedGround::Disclosure,
                on: now() - TimeDelta::days(30),
            },
        },
    )
    .with_evidence(strong_evidence());
    let s = ConsentState::replay(&k, [&card], &implied_ok(), now());
    let ca = Jurisdiction::new("CA").unwrap();
    let ctx = SendContext::new(k.tenant.clone(), k.list.clone(), now());
    let consumer = ctx.decide_for(&s, &ad(), Some(&ca));
    assert!(!consumer.is_send());
    assert!(consumer
        .reasons()
        .iter()
        .any(|r| r.sentence.contains("business role")));
    assert!(ctx
        .clone()
        .with_business_relevance(true)
        .decide_for(&s, &ad(), Some(&ca))
        .is_send());
}

#[test]
fn a_subscription_end_recorded_later_makes_its_consent_lapse() {
    let k = the_key();
    let start = Utc.with_ymd_and_hms(2022, 1, 10, 9, 0, 0).unwrap();
    let ended = Utc.with_ymd_and_hms(2023, 5, 1, 0, 0, 0).unwrap();
    let implied = |id: &str, ends: Option<DateTime<Utc>>, at: DateTime<Utc>| {
        ConsentEvent::new(
            EventId::new(id).unwrap(),
            at,
            &k,
            Action::OptedIn {
                basis: Basis::Implied {
                    ground: ImpliedGround::Subscription { ends },
                    on: start,
                },
            },
        )
        .with_evidence(strong_evidence())
    };
    let running = implied("sub", None, start);
    let end = implied("sub-end", Some(ended), ended);
    let lapse = Utc.with_ymd_and_hms(2025, 5, 1, 0, 0, 0).unwrap();
    let before = ConsentState::replay(
        &k,
        [&running, &end],
        &implied_ok(),
        lapse - TimeDelta::seconds(1),
    );
    assert!(before.permits_promotional());
    let after = ConsentState::replay(&k, [&running, &end], &implied_ok(), lapse);
    assert!(!after.permits_promotional(), "{:?}", after.explain());
}

#[test]
fn an_express_opt_in_is_never_lost_to_another_basis() {
    let k = the_key();
    let soft = ConsentEvent::new(EventId::new("c").unwrap(), at(1), &k, customer())
        .with_evidence(strong_evidence());
    let express = ConsentEvent::new(EventId::new("f").unwrap(), at(2), &k, form())
        .with_evidence(strong_evidence());
    let import = ConsentEvent::new(EventId::new("i").unwrap(), at(3), &k, imported())
        .with_evidence(strong_evidence());
    for order in [[&soft, &express, &import], [&import, &express, &soft]] {
        let s = ConsentState::replay(&k, order, &implied_ok(), at(4));
        assert_eq!(s.permission().unwrap().basis, Basis::ExpressForm);
    }
}

#[test]
fn the_planner_treats_a_stale_summary_past_its_lapse_as_no_permission() {
    let k = the_key();
    let on = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let inquiry = ConsentEvent::new(
        EventId::new("q").unwrap(),
        on,
        &k,
        Action::OptedIn {
            basis: Basis::Implied {
                ground: ImpliedGround::Inquiry,
                on,
            },
        },
    )
    .with_evidence(strong_evidence());
    // Summarised while it held, planned after it lapsed.
    let then = ConsentState::replay(&k, [&inquiry], &implied_ok(), on + TimeDelta::days(1));
    let member = AudienceMember::from_state(&then).in_regime(Some(Regime::Casl));
    let ctx = SendContext::new(k.tenant.clone(), k.list.clone(), on + TimeDelta::days(200));
    let p = plan([member], &SuppressionIndex::new(), &ad(), &ctx);
    assert!(p.sendable.is_empty());
    assert_eq!(p.counts.get("jurisdiction.casl.consent_required"), Some(&1));
}

#[test]
fn implied_consent_lapses_to_the_second() {
    let k = the_key();
    let t = Utc.with_ymd_and_hms(2024, 3, 1, 10, 0, 0).unwrap();
    let cases: [(ImpliedGround, DateTime<Utc>); 5] = [
        (
            ImpliedGround::Purchase,
            Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap(),
        ),
        (
            ImpliedGround::Inquiry,
            Utc.with_ymd_and_hms(2024, 9, 1, 10, 0, 0).unwrap(),
        ),
        (
            ImpliedGround::Contract {
                ends: Some(Utc.with_ymd_and_hms(2025, 1, 31, 0, 0, 0).unwrap()),
            },
            Utc.with_ymd_and_hms(2027, 1, 31, 0, 0, 0).unwrap(),
        ),
        (
            ImpliedGround::Subscription {
                ends: Some(Utc.with_ymd_and_hms(2024, 2, 29, 12, 0, 0).unwrap()),
            },
            // Two years from the end, whenever it was recorded.
            Utc.with_ymd_and_hms(2026, 2, 28, 12, 0, 0).unwrap(),
        ),
        (
            ImpliedGround::Inquiry,
            Utc.with_ymd_and_hms(2024, 9, 1, 10, 0, 0).unwrap(),
        ),
    ];
    for (ground, lapse) in cases {
        assert_eq!(ground.lapses_at(t), Some(lapse), "{ground:?}");
        let event = ConsentEvent::new(
            EventId::new("implied").unwrap(),
            t,
            &k,
            Action::OptedIn {
                basis: Basis::Implied {
                    ground: ground.clone(),
                    on: t,
                },
            },
        )
        .with_evidence(strong_evidence());
        let before = lapse - TimeDelta::seconds(1);
        let held = ConsentState::replay(&k, [&event], &implied_ok(), before);
        assert!(held.permits_promotional(), "{ground:?} at {before}");
        assert_eq!(held.permission().unwrap().lapses_at, Some(lapse));
        assert!(held
            .explain()
            .iter()
            .any(|r| r.sentence.contains(&format!("lapses on {lapse}"))));
        let gone = ConsentState::replay(&k, [&event], &implied_ok(), lapse);
        assert!(!gone.permits_promotional(), "{ground:?} at {lapse}");
        assert!(gone
            .explain()
            .iter()
            .any(|r| r.rule.as_str() == "consent.implied.lapsed"));
        // The planner suppresses it, with its reason, as decide does.
        let ctx = SendContext::new(k.tenant.clone(), k.list.clone(), lapse);
        let p = plan(
            [AudienceMember::from_state(&gone).in_regime(Some(Regime::Casl))],
            &SuppressionIndex::new(),
            &ad(),
            &ctx,
        );
        assert!(p.sendable.is_empty());
        assert!(p.counts.contains_key("jurisdiction.casl.consent_required"));
    }
    // Publication, disclosure and a running contract never lapse by time;
    // express consent never lapses until withdrawn.
    for ground in [
        ImpliedGround::ConspicuousPublication,
        ImpliedGround::Disclosure,
        ImpliedGround::Contract { ends: None },
    ] {
        assert_eq!(ground.lapses_at(t), None);
    }
    let express = ConsentEvent::new(
        EventId::new("e").unwrap(),
        t,
        &k,
        Action::OptedIn {
            basis: Basis::ExpressForm,
        },
    )
    .with_evidence(strong_evidence());
    let far = t + TimeDelta::days(365 * 30);
    let s = ConsentState::replay(&k, [&express], &LedgerPolicy::default(), far);
    assert!(s.permits_promotional());
    assert_eq!(s.permission().unwrap().lapses_at, None);
}

#[test]
fn implied_consent_needs_a_policy_that_accepts_it_and_never_follows_an_opt_out() {
    let k = the_key();
    let implied = ConsentEvent::new(
        EventId::new("i").unwrap(),
        at(2),
        &k,
        Action::OptedIn {
            basis: Basis::Implied {
                ground: ImpliedGround::Purchase,
                on: at(2),
            },
        },
    )
    .with_evidence(strong_evidence());
    // The default policy is permission-based: implied consent is off.
    let s = ConsentState::replay(&k, [&implied], &LedgerPolicy::default(), at(3));
    assert!(!s.permits_promotional());
    assert!(s
        .explain()
        .iter()
        .any(|r| r.rule.as_str() == "consent.implied.not_accepted"));
    let out = ev(&k, "out", 1, opt_out());
    let s = ConsentState::replay(&k, [&out, &implied], &implied_ok(), at(3));
    assert!(!s.permits_promotional());
}

#[test]
fn opt_out_deadlines_follow_each_regime_and_its_calendar() {
    // Friday 26 June 2026, 15:00 UTC. Canada Day (Wed 1 July) is a
    // Canadian holiday; Independence Day is observed in the US on Friday
    // 3 July.
    let received = Utc.with_ymd_and_hms(2026, 6, 26, 15, 0, 0).unwrap();
    let us = opt_out_deadlines(Regime::CanSpam, 2026..=2027)
        .unwrap()
        .decide(received);
    let ca = opt_out_deadlines(Regime::Casl, 2026..=2027)
        .unwrap()
        .decide(received);
    let eu = opt_out_deadlines(Regime::EuGdpr, 2026..=2027)
        .unwrap()
        .decide(received);
    let uk = opt_out_deadlines(Regime::UkPecr, 2026..=2027)
        .unwrap()
        .decide(received);
    // Ten business days, end of day at UTC-5: US skips 3 July; Canada 1 July.
    assert_eq!(
        us.outcome().at,
        Utc.with_ymd_and_hms(2026, 7, 14, 4, 59, 59).unwrap()
    );
    assert_eq!(
        ca.outcome().at,
        Utc.with_ymd_and_hms(2026, 7, 14, 4, 59, 59).unwrap()
    );
    assert_eq!(
        us.rule().as_str(),
        "unsubscribe.deadline.canspam_10_business_days"
    );
    assert_eq!(
        ca.rule().as_str(),
        "unsubscribe.deadline.casl_10_business_days"
    );
    assert_eq!(eu.outcome().at, received);
    assert_eq!(uk.outcome().at, received);
    assert_eq!(eu.rule().as_str(), "unsubscribe.deadline.without_delay");
    // Around Easter and Thanksgiving the calendars differ.
    let easter = Utc.with_ymd_and_hms(2026, 4, 1, 15, 0, 0).unwrap();
    let us = opt_out_deadlines(Regime::CanSpam, 2026..=2026)
        .unwrap()
        .decide(easter);
    let ca = opt_out_deadlines(Regime::Casl, 2026..=2026)
        .unwrap()
        .decide(easter);
    assert!(
        ca.outcome().at > us.outcome().at,
        "Good Friday and Easter Monday"
    );
}

#[test]
fn canadas_federal_holidays() {
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    assert_eq!(
        BusinessCalendar::canada_federal_holidays(2026),
        vec![
            d(1, 1),
            d(4, 3),  // Good Friday (Easter Sunday is 5 April)
            d(4, 6),  // Easter Monday
            d(5, 18), // Victoria Day
            d(7, 1),
            d(9, 7),   // Labour Day
            d(9, 30),  // National Day for Truth and Reconciliation
            d(10, 12), // Thanksgiving
            d(11, 11),
            d(12, 25),
        ]
    );
    // Canada Day on a Sunday moves to Monday (2029); Easter in other years.
    assert!(BusinessCalendar::canada_federal_holidays(2029)
        .contains(&NaiveDate::from_ymd_opt(2029, 7, 2).unwrap()));
    for (year, month, day) in [(2024, 3, 29), (2025, 4, 18), (2027, 3, 26), (2030, 4, 19)] {
        assert!(
            BusinessCalendar::canada_federal_holidays(year)
                .contains(&NaiveDate::from_ymd_opt(year, month, day).unwrap()),
            "Good Friday {year}"
        );
    }
}

#[test]
fn the_lint_checks_what_each_regime_requires() {
    let mut profile = sender_profile();
    let message = |body: &str| {
        OutboundMessage::builder(addr("news@shop.example"), addr("ann@example.com"))
            .subject("Summer sale")
            .text(body)
            .build()
            .unwrap()
    };
    let needs = [
        Requirement::SenderIdentification,
        Requirement::ContactInformation,
    ];
    let bare = message("30% off sandals. 100 Harbour Road, Portland ME 04101, US");
    let problems = check_requirements(&bare, &needs, &profile);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems
        .iter()
        .all(|r| r.sentence.contains("sender profile")));
    profile.business_name = Some("Shop Example Ltd".into());
    profile.contact = Some("help@shop.example".into());
    let problems = check_requirements(&bare, &needs, &profile);
    assert_eq!(
        problems.iter().map(|r| r.rule.as_str()).collect::<Vec<_>>(),
        ["lint.sender_identification", "lint.contact_information"]
    );
    let full = message(
        "30% off sandals.\nShop Example Ltd, 100 Harbour Road, Portland ME 04101, US. help@shop.example",
    );
    assert!(check_requirements(&full, &needs, &profile).is_empty());
    // Unsubscribe tokens must outlive the strictest window of the audience.
    assert!(check_unsubscribe_validity([Regime::CanSpam], TimeDelta::days(30)).is_none());
    assert!(check_unsubscribe_validity([Regime::Casl], TimeDelta::days(59)).is_some());
    assert!(check_unsubscribe_validity([Regime::Casl], TimeDelta::days(60)).is_none());
}

fn arb_history() -> impl Strategy<Value = Vec<ConsentEvent>> {
    let action = prop_oneof![
        Just(form()),
        Just(customer()),
        Just(imported()),
        Just(opt_out()),
        Just(Action::Complained),
        Just(Action::HardBounced),
        (0u32..40).prop_map(|months| Action::OptedIn {
            basis: Basis::Implied {
                ground: ImpliedGround::Purchase,
                on: now().checked_sub_months(Months::new(months)).unwrap(),
            },
        }),
        (0u32..12).prop_map(|months| Action::OptedIn {
            basis: Basis::Implied {
                ground: ImpliedGround::Inquiry,
                on: now().checked_sub_months(Months::new(months)).unwrap(),
            },
        }),
    ];
    prop::collection::vec((action, 0i64..2000, any::<bool>()), 0..8).prop_map(|raw| {
        raw.into_iter()
            .enumerate()
            .map(|(i, (action, hours_ago, weak))| {
                let e = ConsentEvent::new(
                    EventId::new(format!("e{i}")).unwrap(),
                    now() - TimeDelta::hours(hours_ago),
                    &the_key(),
                    action,
                );
                if weak {
                    e
                } else {
                    e.with_evidence(strong_evidence())
                }
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A regime never makes a decision more permissive than the
    /// organisation's (permission-based) policy alone, and never drops a
    /// requirement; the planner agrees with the per-recipient decision.
    #[test]
    fn a_regime_never_loosens_the_organisations_decision(
        events in arb_history(),
        country in prop::sample::select(vec!["US", "CA", "DE", "GB", "JP", "PR", "NO"]),
        weak_ok in any::<bool>(),
        promotional in any::<bool>(),
    ) {
        let state = ConsentState::replay(&the_key(), &events, &implied_ok(), now());
        let class = if promotional { ad() } else { receipt() };
        let ctx = SendContext::new(the_key().tenant, the_key().list, now()).with_weak_evidence_allowed(weak_ok);
        let j = Jurisdiction::new(country).unwrap();
        let alone = ctx.decide(&state, &class);
        let with = ctx.decide_for(&state, &class, Some(&j));
        if with.is_send() {
            prop_assert!(alone.is_send(), "{country}: {:?} vs {:?}", with.reasons(), alone.reasons());
            for r in alone.requirements() {
                prop_assert!(with.requirements().contains(r));
            }
        }
        // Deterministic, and the planner decides the same.
        prop_assert_eq!(&ctx.decide_for(&state, &class, Some(&j)), &with);
        let member = AudienceMember::from_state(&state).in_regime(j.regime());
        let mut index = SuppressionIndex::new();
        index.insert_state(&state);
        let p = plan([member], &index, &class, &ctx);
        prop_assert_eq!(p.sendable.len() == 1, with.is_send());
        // Under the opt-out stance only a US recipient can gain.
        let loose = ctx.clone().with_stance(OrgStance::OptOutWhereLawful);
        let d = loose.decide_for(&state, &class, Some(&j));
        if d.is_send() && !alone.is_send() {
            prop_assert_eq!(j.regime(), Some(Regime::CanSpam));
            let labelled = matches!(d.outcome(), SendOutcome::Send { requirements } if requirements.contains(&Requirement::AdvertisementLabel));
            prop_assert!(labelled);
        }
    }
}

#[test]
fn the_driver_applies_each_recipients_regime_when_it_sends() {
    use consentry::classify::DeclaredKind;
    use consentry::{Campaign, Driver, MemoryStore, RecordingMailer};
    let driver = Driver::new(
        MemoryStore::new(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    let us_imported = key("acme", "news", "ben@example.com");
    let de_imported = key("acme", "news", "erik@example.de");
    for (i, k) in [&us_imported, &de_imported].into_iter().enumerate() {
        driver
            .record(
                &ConsentEvent::new(
                    EventId::new(format!("imp{i}")).unwrap(),
                    now() - TimeDelta::days(30),
                    k,
                    imported(),
                )
                .with_evidence(strong_evidence()),
            )
            .unwrap();
    }
    let nobody = addr("gus@example.com");
    let audience = [
        us_imported.address.clone(),
        de_imported.address.clone(),
        nobody.clone(),
    ];
    let where_ = |a: &consentry::EmailAddress| {
        Some(
            Jurisdiction::new(if a.as_str().ends_with(".de") {
                "DE"
            } else {
                "US"
            })
            .unwrap(),
        )
    };
    let mut profile = sender_profile();
    profile.business_name = Some("Shop Example".into());
    let message = OutboundMessage::builder(addr("news@shop.example"), addr("x@shop.example"))
        .subject("Advertisement: new arrivals")
        .text("New arrivals, 20% off. Shop Example, 100 Harbour Road, Portland ME 04101, US. Unsubscribe: https://mail.shop.example/u/1")
        .header("List-Unsubscribe", "<https://mail.shop.example/u/1>")
        .header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
        .build()
        .unwrap();
    let classifier = Classifier::default();
    for (stance, gus_sent) in [
        (OrgStance::PermissionBased, false),
        (OrgStance::OptOutWhereLawful, true),
    ] {
        let ctx = SendContext::new(the_key().tenant, the_key().list, now()).with_stance(stance);
        let campaign = Campaign {
            template: &message,
            declared: DeclaredKind::Promotional,
            context: &ctx,
            profile: &profile,
            personalise: None,
            jurisdiction: Some(&where_),
        };
        let report = driver.send(&campaign, &audience, &classifier).unwrap();
        assert!(
            report.sent.contains(&us_imported.address),
            "{stance:?}: {:?}",
            report.suppressed
        );
        assert_eq!(
            report.sent.contains(&nobody),
            gus_sent,
            "{stance:?}: {:?}",
            report.suppressed
        );
        let (_, why) = report
            .suppressed
            .iter()
            .find(|(a, _)| *a == de_imported.address)
            .unwrap();
        assert!(why
            .iter()
            .any(|r| r.rule.as_str() == "jurisdiction.eu.consent_evidence"));
    }
}

#[test]
fn an_objection_under_a_regime_names_the_regimes_rule() {
    let ctx = SendContext::new(the_key().tenant, the_key().list, now());
    for (country, rule) in [
        ("US", "jurisdiction.can_spam.opt_out_deadline"),
        ("CA", "jurisdiction.casl.opt_out_deadline"),
        ("DE", "jurisdiction.eu.objection_stops_marketing"),
        ("GB", "jurisdiction.uk.objection_stops_marketing"),
    ] {
        let j = Jurisdiction::new(country).unwrap();
        let d = ctx.decide_for(&state(History::ExpressThenOptOut), &ad(), Some(&j));
        assert!(!d.is_send());
        assert_eq!(d.rule().as_str(), "eligibility.promotional.opted_out");
        assert!(
            d.reasons().iter().any(|r| r.rule.as_str() == rule),
            "{country}: {:?}",
            d.reasons()
        );
    }
}
