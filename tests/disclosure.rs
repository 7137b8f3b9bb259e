//! Disclosure decisions under the default policy and loaded policies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use consentry::disclosure::*;
use proptest::prelude::*;

use DataCategory as D;

fn ids(d: &DisclosureDecision) -> Vec<String> {
    d.reasons().iter().map(|r| r.rule.to_string()).collect()
}

fn sp(own: bool, conf: bool) -> Recipient {
    Recipient::ServiceProvider {
        forbids_own_use: own,
        requires_confidentiality: conf,
    }
}

#[test]
fn the_statements_promises_case_by_case() {
    let p = DisclosurePolicy::default();
    let personal = DataSet::from([D::Name, D::Email]);
    let cases: Vec<(&str, DisclosureRequest, DisclosureOutcome, &str)> = vec![
        (
            "list buyer",
            DisclosureRequest::new(Recipient::OtherThirdParty, Purpose::SaleOrRental, personal),
            DisclosureOutcome::Deny,
            "disclosure.never_sell",
        ),
        (
            "partner's own marketing",
            DisclosureRequest::new(
                Recipient::ReferralPartner {
                    introduced_customer: true,
                },
                Purpose::RecipientOwnMarketing,
                personal,
            ),
            DisclosureOutcome::Deny,
            "disclosure.never_sell",
        ),
        (
            "mail vendor under contract",
            DisclosureRequest::new(
                sp(true, true),
                Purpose::ProvideService,
                DataSet::from([D::Email, D::Name, D::UploadedContacts]),
            ),
            DisclosureOutcome::Permit,
            "disclosure.service_provider",
        ),
        (
            "vendor whose contract allows own use",
            DisclosureRequest::new(sp(false, true), Purpose::ProvideService, personal),
            DisclosureOutcome::Deny,
            "disclosure.default_deny",
        ),
        (
            "vendor without confidentiality",
            DisclosureRequest::new(sp(true, false), Purpose::ProvideService, personal),
            DisclosureOutcome::Deny,
            "disclosure.default_deny",
        ),
        (
            "payment processor",
            DisclosureRequest::new(
                Recipient::PaymentProcessor,
                Purpose::Payment,
                DataSet::from([D::Name, D::PaymentCard, D::PostalAddress]),
            ),
            DisclosureOutcome::Permit,
            "disclosure.payment_processor",
        ),
        (
            "card data to a mail vendor",
            DisclosureRequest::new(
                sp(true, true),
                Purpose::ProvideService,
                DataSet::from([D::PaymentCard]),
            ),
            DisclosureOutcome::Deny,
            "disclosure.payment_card.processor_only",
        ),
        (
            "introducing partner, attribution",
            DisclosureRequest::new(
                Recipient::ReferralPartner {
                    introduced_customer: true,
                },
                Purpose::ReferralAttribution,
                personal,
            ),
            DisclosureOutcome::Permit,
            "disclosure.referral_partner",
        ),
        (
            "another partner, attribution",
            DisclosureRequest::new(
                Recipient::ReferralPartner {
                    introduced_customer: false,
                },
                Purpose::ReferralAttribution,
                personal,
            ),
            DisclosureOutcome::Deny,
            "disclosure.default_deny",
        ),
        (
            "introducing partner asks for usage logs",
            DisclosureRequest::new(
                Recipient::ReferralPartner {
                    introduced_customer: true,
                },
                Purpose::ReferralAttribution,
                DataSet::from([D::Email, D::UsageLogs]),
            ),
            DisclosureOutcome::Deny,
            "disclosure.referral_partner.limited",
        ),
        (
            "subpoena",
            DisclosureRequest::new(
                Recipient::Court,
                Purpose::LegalCompliance,
                DataSet::from([D::Email, D::UsageLogs]),
            )
            .with_legal_process(LegalProcess::Subpoena),
            DisclosureOutcome::Permit,
            "disclosure.legal_process",
        ),
        (
            "police without legal process",
            DisclosureRequest::new(
                Recipient::LawEnforcement,
                Purpose::LegalCompliance,
                personal,
            ),
            DisclosureOutcome::Deny,
            "disclosure.default_deny",
        ),
        (
            "ad partner asks for emails",
            DisclosureRequest::new(
                Recipient::AdPartner,
                Purpose::AdMeasurement,
                DataSet::from([D::Email]),
            ),
            DisclosureOutcome::Deny,
            "disclosure.ad_partner.anonymous_only",
        ),
        (
            "ad partner gets aggregates",
            DisclosureRequest::new(
                Recipient::AdPartner,
                Purpose::AdMeasurement,
                DataSet::from([D::AnonymousAggregate]),
            ),
            DisclosureOutcome::Permit,
            "disclosure.ad_partner.aggregate",
        ),
        (
            "credentials to support staff",
            DisclosureRequest::new(
                Recipient::Employee,
                Purpose::CustomerSupport,
                DataSet::from([D::AccountCredentials]),
            ),
            DisclosureOutcome::Deny,
            "disclosure.credentials.nobody",
        ),
        (
            "support staff see the account",
            DisclosureRequest::new(Recipient::Employee, Purpose::CustomerSupport, personal),
            DisclosureOutcome::Permit,
            "disclosure.employee",
        ),
        (
            "staff for their own marketing",
            DisclosureRequest::new(
                Recipient::Employee,
                Purpose::RecipientOwnMarketing,
                personal,
            ),
            DisclosureOutcome::Deny,
            "disclosure.never_sell",
        ),
        (
            "public forum",
            DisclosureRequest::new(Recipient::PublicForum, Purpose::ProvideService, personal),
            DisclosureOutcome::Deny,
            "disclosure.default_deny",
        ),
    ];
    for (name, req, effect, rule) in cases {
        let d = p.decide(&req);
        assert_eq!(*d.outcome(), effect, "{name}: {d:?}");
        assert_eq!(ids(&d)[0], rule, "{name}");
    }
}

#[test]
fn legal_process_is_flagged_for_audit() {
    let p = DisclosurePolicy::default();
    let req = DisclosureRequest::new(
        Recipient::Regulator,
        Purpose::LegalCompliance,
        DataSet::from([D::Email]),
    )
    .with_legal_process(LegalProcess::RegulatorRequest);
    let d = p.decide(&req);
    assert!(d.is_permitted() && d.requires_audit());
    let plain = p.decide(&DisclosureRequest::new(
        Recipient::Employee,
        Purpose::CustomerSupport,
        DataSet::from([D::Email]),
    ));
    assert!(plain.is_permitted() && !plain.requires_audit());
}

#[test]
fn transfers_out_of_the_eu_need_a_mechanism_and_the_decision_names_it() {
    let p = DisclosurePolicy::default();
    let base = DisclosureRequest::new(
        sp(true, true),
        Purpose::ProvideService,
        DataSet::from([D::Email]),
    );
    let to_us = |m| Transfer {
        recipient_country: "US".into(),
        subject_region: SubjectRegion::EuEea,
        mechanism: m,
    };
    let d = p.decide(&base.clone().with_transfer(to_us(None)));
    assert_eq!(*d.outcome(), DisclosureOutcome::Deny);
    assert_eq!(ids(&d), ["disclosure.transfer.mechanism_required"]);
    let d = p.decide(
        &base
            .clone()
            .with_transfer(to_us(Some(TransferMechanism::DataPrivacyFramework))),
    );
    assert!(d.is_permitted());
    let named = d.reasons().last().unwrap();
    assert_eq!(
        named.rule.as_str(),
        "disclosure.transfer.mechanism_required"
    );
    assert!(named.sentence.contains("Data Privacy Framework"), "{named}");
    let within = Transfer {
        recipient_country: "de".into(),
        subject_region: SubjectRegion::Switzerland,
        mechanism: None,
    };
    let d = p.decide(&base.clone().with_transfer(within));
    assert!(d.is_permitted());
    assert!(!d.has_rule("disclosure.transfer.mechanism_required"));
    let us_subject = Transfer {
        recipient_country: "US".into(),
        subject_region: SubjectRegion::Other,
        mechanism: None,
    };
    assert!(p.decide(&base.with_transfer(us_subject)).is_permitted());
}

#[test]
fn collection_points_for_cards_and_credentials_must_be_https() {
    let https = url::Url::parse("https://shop.example/checkout").unwrap();
    let http = url::Url::parse("http://shop.example/checkout").unwrap();
    let card = DataSet::from([D::PaymentCard, D::Name]);
    let policy = CollectionPolicy::default();
    assert!(policy.decide(&https, card).outcome() == &CollectionOutcome::Allow);
    assert!((policy.decide(&http, card).outcome() == &CollectionOutcome::Refuse));
    assert!(
        (policy
            .decide(&http, DataSet::from([D::AccountCredentials]))
            .outcome()
            == &CollectionOutcome::Refuse)
    );
    assert!(policy.decide(&http, DataSet::from([D::Email])).outcome() == &CollectionOutcome::Allow);
}

#[test]
fn policies_load_from_json_and_toml_and_validate() {
    let json = r#"{"rules": [
        {"id": "x.forbid_ads", "effect": "forbid", "description": "no ad partners", "when": {"recipients": ["ad_partner"]}},
        {"id": "x.support", "effect": "permit", "description": "support", "when": {"recipients": ["employee"], "purposes": ["customer_support"]}}
    ]}"#;
    let p = DisclosurePolicy::from_json(json).unwrap();
    let toml = p.to_toml();
    let back = DisclosurePolicy::from_toml(&toml).unwrap();
    assert_eq!(p, back);
    assert!(toml.contains("[[rules]]"), "{toml}");

    let unknown = r#"{"rules": [{"id": "a", "effect": "permit", "description": "d", "when": {"recipients": ["astrologer"]}}]}"#;
    let e = DisclosurePolicy::from_json(unknown).unwrap_err();
    assert!(matches!(e, DisclosureLoadError::Json(_)), "{e:?}");
    // The parser's own error, naming the unknown value, is kept as the source.
    let source = std::error::Error::source(&e).unwrap().to_string();
    assert!(source.contains("astrologer"), "{source}");
    let bad_field = r#"{"rules": [{"id": "a", "effect": "permit", "description": "d", "when": {"recipient": ["employee"]}}]}"#;
    assert!(DisclosurePolicy::from_json(bad_field).is_err());

    let problems = DisclosurePolicy::from_json(r#"{"rules": [
        {"id": "dup", "effect": "permit", "description": "d", "when": {"recipients": ["employee"]}},
        {"id": "dup", "effect": "permit", "description": "d", "when": {"recipients": ["court"]}},
        {"id": "never", "effect": "permit", "description": "d", "when": {"recipients": []}},
        {"id": "contradiction", "effect": "permit", "description": "d", "when": {"data_any": ["email"], "data_within": ["name"]}},
        {"id": "no-sp", "effect": "permit", "description": "d", "when": {"recipients": ["court"], "contract_forbids_own_use": true}},
        {"id": "all-ads", "effect": "forbid", "description": "d", "when": {"recipients": ["ad_partner"]}},
        {"id": "shadowed", "effect": "permit", "description": "d", "when": {"recipients": ["ad_partner"], "purposes": ["ad_measurement"]}}
    ]}"#)
    .unwrap_err();
    let DisclosureLoadError::Invalid(DisclosurePolicyError { problems }) = problems else {
        panic!("{problems:?}")
    };
    assert!(problems.contains(&DisclosurePolicyProblem::DuplicateId("dup".into())));
    let unreachable: Vec<&str> = problems
        .iter()
        .filter_map(|p| match p {
            DisclosurePolicyProblem::Unreachable { id, .. } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(unreachable, ["never", "contradiction", "no-sp", "shadowed"]);
}

#[test]
fn the_default_policy_round_trips_through_json_and_toml() {
    let p = DisclosurePolicy::default();
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(DisclosurePolicy::from_json(&json).unwrap(), p);
    assert_eq!(DisclosurePolicy::from_toml(&p.to_toml()).unwrap(), p);
}

fn arb_recipient() -> impl Strategy<Value = Recipient> {
    prop_oneof![
        Just(Recipient::Employee),
        (any::<bool>(), any::<bool>()).prop_map(|(a, b)| sp(a, b)),
        Just(Recipient::PaymentProcessor),
        any::<bool>().prop_map(|i| Recipient::ReferralPartner {
            introduced_customer: i
        }),
        Just(Recipient::Court),
        Just(Recipient::Regulator),
        Just(Recipient::LawEnforcement),
        Just(Recipient::AdPartner),
        Just(Recipient::OtherThirdParty),
        Just(Recipient::PublicForum),
    ]
}

prop_compose! {
    fn arb_request()(
        recipient in arb_recipient(),
        purpose in prop::sample::select(Purpose::ALL.to_vec()),
        data in prop::collection::vec(prop::sample::select(DataCategory::ALL.to_vec()), 0..5),
        legal in prop::option::of(prop::sample::select(vec![LegalProcess::CourtOrder, LegalProcess::Subpoena, LegalProcess::SearchWarrant, LegalProcess::LawEnforcementRequest, LegalProcess::RegulatorRequest])),
        transfer in prop::option::of((prop::sample::select(vec!["US", "DE", "CH", "IN", "no"]), prop::sample::select(vec![SubjectRegion::EuEea, SubjectRegion::Switzerland, SubjectRegion::Other]), prop::option::of(prop::sample::select(vec![TransferMechanism::Adequacy, TransferMechanism::DataPrivacyFramework, TransferMechanism::StandardContractualClauses])))),
    ) -> DisclosureRequest {
        let mut r = DisclosureRequest::new(recipient, purpose, data.into_iter().collect());
        r.legal_process = legal;
        r.transfer = transfer.map(|(c, s, m)| Transfer { recipient_country: c.into(), subject_region: s, mechanism: m });
        r
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn personal_data_is_never_sold_or_given_for_a_recipients_own_marketing(req in arb_request()) {
        let p = DisclosurePolicy::default();
        let d = p.decide(&req);
        if matches!(req.purpose, Purpose::RecipientOwnMarketing | Purpose::SaleOrRental) && req.data.has_personal() {
            prop_assert!(!d.is_permitted(), "{:?} -> {:?}", req, d);
        }
    }

    #[test]
    fn payment_card_data_goes_to_the_processor_alone(req in arb_request()) {
        let p = DisclosurePolicy::default();
        let d = p.decide(&req);
        if req.data.contains(DataCategory::PaymentCard) && d.is_permitted() {
            prop_assert_eq!(req.recipient, Recipient::PaymentProcessor);
        }
        if req.data.contains(DataCategory::AccountCredentials) {
            prop_assert!(!d.is_permitted());
        }
    }

    #[test]
    fn decisions_are_deterministic_and_always_cite_a_rule(req in arb_request()) {
        let p = DisclosurePolicy::default();
        let a = p.decide(&req);
        let b = p.decide(&req);
        prop_assert_eq!(&a, &b);
        prop_assert!(!a.reasons().is_empty());
        let json = serde_json::to_string(&req).unwrap();
        prop_assert_eq!(serde_json::from_str::<DisclosureRequest>(&json).unwrap(), req);
    }

    /// A verdict names the decision's reasons without writing them: its
    /// deciding rules are the decision's first reasons, in order, and its
    /// transfer mechanism is the one reason after them; no deciding rule is
    /// the default deny. Under the default policy and under policies made
    /// of any subset of its rules. (That `decide` is `verdict().decision()`
    /// and equals the former `decide` is checked in the crate's unit tests.)
    #[test]
    fn a_verdict_names_the_decisions_reasons(
        req in arb_request(),
        keep in prop::collection::vec(any::<bool>(), 12),
    ) {
        let subset: Vec<DisclosureRule> = default_rules().into_iter().zip(keep).filter(|(_, k)| *k).map(|(r, _)| r).collect();
        let mut policies = vec![DisclosurePolicy::default()];
        policies.extend(DisclosurePolicy::new(subset));
        for p in &policies {
            let d = p.decide(&req);
            let v = p.verdict(&req);
            let rules: Vec<&str> = v.rules().map(|r| r.as_str()).collect();
            let reasons: Vec<&str> = d.reasons().iter().map(|r| r.rule.as_str()).collect();
            if rules.is_empty() {
                prop_assert_eq!(reasons, vec!["disclosure.default_deny"]);
                prop_assert!(v.mechanism().is_none());
            } else {
                prop_assert_eq!(&reasons[..rules.len()], &rules[..]);
                let rest = &reasons[rules.len()..];
                if v.mechanism().is_some() {
                    prop_assert!(d.is_permitted());
                    prop_assert_eq!(rest, ["disclosure.transfer.mechanism_required"]);
                } else {
                    prop_assert!(rest.is_empty(), "{:?}", rest);
                }
            }
        }
    }

    #[test]
    fn a_policy_round_trips_through_serde_unchanged(keep in prop::collection::vec(any::<bool>(), 12)) {
        let rules: Vec<DisclosureRule> = default_rules().into_iter().zip(keep).filter(|(_, k)| *k).map(|(r, _)| r).collect();
        if let Ok(p) = DisclosurePolicy::new(rules) {
            let json = serde_json::to_string(&p).unwrap();
            prop_assert_eq!(&DisclosurePolicy::from_json(&json).unwrap(), &p);
            prop_assert_eq!(&DisclosurePolicy::from_toml(&p.to_toml()).unwrap(), &p);
        }
    }
}
