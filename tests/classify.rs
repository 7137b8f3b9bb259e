//! The primary-purpose test, case by case. Each case cites where its
//! expected answer comes from: the statute (15 U.S.C. 7702(17)), the FTC's
//! primary-purpose rule (16 CFR 316.3) or the FTC's "CAN-SPAM Act: A
//! Compliance Guide for Business" (the guide).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use consentry::classify::{
    Classifier, DeclaredKind, Lexicon, LexiconError, Message, MessageClass, SubjectModel,
    TransactionalCategory as Cat, WordingModel,
};
use proptest::prelude::*;

use MessageClass::{Promotional as Promo, Transactional as Trans};

struct Case {
    name: &'static str,
    message: Message,
    class: MessageClass,
    rule: &'static str,
}

fn text(subject: &str, body: &str) -> Message {
    Message::text(subject, body)
}

fn cases() -> Vec<Case> {
    let filler = "We have been thinking about how people garden in small spaces. ".repeat(40);
    vec![
        // 16 CFR 316.3(a)(2); the guide, "combined content": a receipt first,
        // a coupon at the end, a neutral subject -> transactional.
        Case {
            name: "receipt first, coupon at the end, neutral subject",
            message: text(
                "Your order #1042",
                "Thank you for your order. Order total: $31.00 for 2 items.\n\
                 It will ship on Monday.\n\nP.S. Here is a coupon: 10% off your next visit.",
            ),
            class: Trans(Cat::Transaction),
            rule: "canspam.primary_purpose.transactional_first",
        },
        // 16 CFR 316.3(a)(2)(i): the same receipt with an ad in the subject line.
        Case {
            name: "the same receipt with 20% off in the subject",
            message: text(
                "20% off your next order + your receipt",
                "Thank you for your order. Order total: $31.00.\nCoupon: 10% off next time.",
            ),
            class: Promo,
            rule: "canspam.primary_purpose.subject_line",
        },
        // 16 CFR 316.3(a)(2)(ii): the transactional part is not at the beginning.
        Case {
            name: "promotional banner before the receipt",
            message: text(
                "Thanks for shopping with us",
                "SPRING SALE: new arrivals, free shipping on everything!\n\n\
                 Your order #1042 has been received. Order total: $31.00.",
            ),
            class: Promo,
            rule: "canspam.primary_purpose.transactional_not_first",
        },
        // 15 U.S.C. 7702(17)(A)(ii): product recall information.
        Case {
            name: "recall notice",
            message: text(
                "Important: product recall of the KettlePro 2",
                "The KettlePro 2 you bought in March is being recalled because the handle \
                 can overheat. Stop using it and we will send a replacement.",
            ),
            class: Trans(Cat::WarrantyRecallSafetySecurity),
            rule: "canspam.primary_purpose.transactional_only",
        },
        // 15 U.S.C. 7702(17)(A)(iii): account balance / statement.
        Case {
            name: "monthly statement",
            message: text(
                "Your monthly statement is ready",
                "Your account statement for October is now available. Your balance is $12.40.",
            ),
            class: Trans(Cat::AccountNotice),
            rule: "canspam.primary_purpose.transactional_only",
        },
        // 15 U.S.C. 7702(17)(A)(iii): change in terms of a membership.
        Case {
            name: "changed membership terms",
            message: text(
                "Changes to your membership",
                "We are making changes to our membership agreement effective 1 January. \
                 Membership renewal will move to the anniversary of your signup.",
            ),
            class: Trans(Cat::AccountNotice),
            rule: "canspam.primary_purpose.transactional_only",
        },
        // 15 U.S.C. 7702(17)(A)(iv): employment-related benefit plan.
        Case {
            name: "benefits notice",
            message: text(
                "Open enrollment starts Monday",
                "Benefits enrollment for 2027 opens on Monday. Review your benefits plan \
                 and your 401(k) election before 30 November.",
            ),
            class: Trans(Cat::Employment),
            rule: "canspam.primary_purpose.transactional_only",
        },
        // 15 U.S.C. 7702(17)(A)(v): a product upgrade the recipient is entitled to.
        Case {
            name: "delivery of a software upgrade",
            message: text(
                "Version 4.2 for your licence",
                "The upgrade is now available to download for your licence. Your licence key \
                 is ready in your account.",
            ),
            class: Trans(Cat::Delivery),
            rule: "canspam.primary_purpose.transactional_only",
        },
        // The guide: "a message to former customers announcing a new product
        // line" is commercial and must comply.
        Case {
            name: "new product line announced to former customers",
            message: text(
                "Introducing the Trail line",
                "As a past customer, we thought you would like to see our new product line \
                 of trail shoes, in stores from Friday.",
            ),
            class: Promo,
            rule: "canspam.primary_purpose.commercial_only",
        },
        // The guide: the law makes no exception for business-to-business email.
        Case {
            name: "business-to-business promotion",
            message: text(
                "Cut your fleet's fuel bill",
                "Our fleet telematics suite helps logistics teams save up to 12% on fuel. \
                 Book a demo today: special pricing for teams of 50+ vehicles.",
            ),
            class: Promo,
            rule: "canspam.primary_purpose.commercial_only",
        },
        // 15 U.S.C. 7702(17)(A)(v): delivery of goods already bought.
        Case {
            name: "shipping notice",
            message: text(
                "On its way",
                "Good news: your parcel has been shipped. Tracking number: 1Z999AA10123456784.",
            ),
            class: Trans(Cat::Delivery),
            rule: "canspam.primary_purpose.transactional_only",
        },
        // 15 U.S.C. 7702(17)(A)(ii): security information.
        Case {
            name: "password reset",
            message: text(
                "Reset your password",
                "We received a password reset request for your account. The link expires \
                 in one hour.",
            ),
            class: Trans(Cat::WarrantyRecallSafetySecurity),
            rule: "canspam.primary_purpose.transactional_only",
        },
        // 15 U.S.C. 7702(17)(A)(i): confirming an agreed transaction.
        Case {
            name: "booking confirmation",
            message: text(
                "Booking confirmed: 12 May",
                "Your booking is confirmed for two nights from 12 May. Amount paid: €240.",
            ),
            class: Trans(Cat::Transaction),
            rule: "canspam.primary_purpose.transactional_only",
        },
        // 16 CFR 316.3; 15 U.S.C. 7704(a)(2): a label does not change the content.
        Case {
            name: "declared transactional, content is an advertisement",
            message: text(
                "Account update",
                "Flash sale! 40% off all jackets, shop now.",
            )
            .with_declared(DeclaredKind::Transactional(Cat::Transaction)),
            class: Promo,
            rule: "canspam.primary_purpose.commercial_only",
        },
        // 15 U.S.C. 7702(2)(A) and (17)(A): neither an advertisement nor a
        // recognised transactional category.
        Case {
            name: "no cue at all",
            message: text(
                "Thoughts from our team",
                "We have been thinking about how people garden in small spaces.",
            ),
            class: MessageClass::Undetermined,
            rule: "canspam.primary_purpose.undetermined",
        },
        // The sender's own promotional label is always honoured.
        Case {
            name: "declared promotional receipt",
            message: text("Your receipt", "Thank you for your order. Order total: $5.")
                .with_declared(DeclaredKind::Promotional),
            class: Promo,
            rule: "canspam.primary_purpose.declared_promotional",
        },
        // 16 CFR 316.3(a)(2): HTML is judged on its visible text, in order.
        Case {
            name: "HTML receipt with a coupon in the footer",
            message: Message::html(
                "Receipt for order 1042",
                "<html><body><h1>Thank you for your order</h1><table><tr><td>Order total</td>\
                 <td>$31.00</td></tr></table><footer><p>Coupon: <b>15% off</b> next time</p>\
                 </footer></body></html>",
            ),
            class: Trans(Cat::Transaction),
            rule: "canspam.primary_purpose.transactional_first",
        },
        // Script content is not shown to the recipient and does not count.
        Case {
            name: "HTML receipt with an ad only inside a script",
            message: Message::html(
                "Receipt",
                "<script>var banner='50% off sale';</script><p>Thank you for your purchase. \
                 Amount charged: $9.</p>",
            ),
            class: Trans(Cat::Transaction),
            rule: "canspam.primary_purpose.transactional_only",
        },
        // 16 CFR 316.3(a)(2)(i): warranty notice with an upsell in the subject.
        Case {
            name: "warranty notice with an upsell subject",
            message: text(
                "Upgrade now: your warranty expires soon",
                "Your warranty coverage expires on 1 June.",
            ),
            class: Promo,
            rule: "canspam.primary_purpose.subject_line",
        },
        // 15 U.S.C. 7702(17)(A)(iii): subscription notice.
        Case {
            name: "subscription renewal notice",
            message: text(
                "Your plan renews on 3 March",
                "Your subscription will renew on 3 March at $8 a month.",
            ),
            class: Trans(Cat::AccountNotice),
            rule: "canspam.primary_purpose.transactional_only",
        },
        // 15 U.S.C. 7702(17)(A)(iv): pay information.
        Case {
            name: "pay stub available",
            message: text(
                "October pay",
                "Your pay stub for October is available in the portal.",
            ),
            class: Trans(Cat::Employment),
            rule: "canspam.primary_purpose.transactional_only",
        },
        // 16 CFR 316.3(a)(2)(ii): a shop-now banner first, tracking second.
        Case {
            name: "tracking notice under a shop-now banner",
            message: text(
                "Shipping update",
                "Shop now: new arrivals for autumn!\nYour order has been shipped. \
                 Tracking number 1Z999.",
            ),
            class: Promo,
            rule: "canspam.primary_purpose.transactional_not_first",
        },
        // 16 CFR 316.3(a)(2)(ii): transactional content far from the beginning.
        Case {
            name: "receipt buried after a long editorial",
            message: text(
                "News from the shop",
                &format!("{filler}\nYour order #77 has been received. Coupon: 10% off."),
            ),
            class: Promo,
            rule: "canspam.primary_purpose.transactional_not_first",
        },
        // Real mail has curly quotes and symbols; classification is unchanged.
        Case {
            name: "receipt with non-ASCII characters",
            message: text(
                "Your order — “Café Léa”",
                "Thank you for your order at “Café Léa” © 2026. Order total: 18,50 €. \
                 Don’t miss our new collection next week.",
            ),
            class: Trans(Cat::Transaction),
            rule: "canspam.primary_purpose.transactional_first",
        },
        // 15 U.S.C. 7702(17)(A)(ii): security alert.
        Case {
            name: "suspicious sign-in alert",
            message: text(
                "Security alert",
                "We noticed suspicious activity: a new sign-in to your account from Lisbon.",
            ),
            class: Trans(Cat::WarrantyRecallSafetySecurity),
            rule: "canspam.primary_purpose.transactional_only",
        },
        // 15 U.S.C. 7702(17)(A)(iii): loan balance.
        Case {
            name: "loan statement",
            message: text(
                "Loan statement",
                "Your loan statement is ready. Payment due 5 December; interest rate 4.1%.",
            ),
            class: Trans(Cat::AccountNotice),
            rule: "canspam.primary_purpose.transactional_only",
        },
        // The guide: commercial content promoting an event is commercial.
        Case {
            name: "webinar invitation",
            message: text(
                "Join our webinar",
                "Register now for our webinar on inbox placement. Early access for the first 100.",
            ),
            class: Promo,
            rule: "canspam.primary_purpose.commercial_only",
        },
        // 16 CFR 316.3(a)(2): statement first, cross-sell after, neutral subject.
        Case {
            name: "statement with a cross-sell at the end",
            message: text(
                "Your account statement",
                "Your account statement for Q3 is now available.\n\nCheck out our new \
                 savings products.",
            ),
            class: Trans(Cat::AccountNotice),
            rule: "canspam.primary_purpose.transactional_first",
        },
        // 16 CFR 316.3(a)(2)(i): an abandoned-cart reminder reads as an ad.
        Case {
            name: "abandoned cart reminder",
            message: text(
                "Last chance: your order is waiting",
                "You left 2 items in your cart. Complete your order today!",
            ),
            class: Promo,
            rule: "canspam.primary_purpose.commercial_only",
        },
        // 15 U.S.C. 7702(17)(A)(ii) with 316.3(a)(2): recall first, goodwill offer after.
        Case {
            name: "recall with a goodwill discount after it",
            message: text(
                "Safety notice about your heater",
                "Safety notice: your heater model H2 is subject to a product recall. \
                 Unplug it now.\n\nAs an apology, take 15% off any replacement.",
            ),
            class: Trans(Cat::WarrantyRecallSafetySecurity),
            rule: "canspam.primary_purpose.transactional_first",
        },
    ]
}

#[test]
fn primary_purpose_cases() {
    let classifier = Classifier::default();
    let cases = cases();
    assert!(cases.len() >= 25);
    let mut failures = Vec::new();
    for case in &cases {
        let c = classifier.classify(&case.message);
        if *c.outcome() != case.class || c.reasons()[0].rule.as_str() != case.rule {
            failures.push(format!(
                "{}: got {:?} by {} ({}), expected {:?} by {}\n  cues: {:?}",
                case.name,
                *c.outcome(),
                c.reasons()[0].rule,
                c.reasons()[0].sentence,
                case.class,
                case.rule,
                c.reasons()
                    .iter()
                    .skip(1)
                    .map(|r| r.sentence.to_string())
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_transactional_declaration_never_downgrades_and_says_so() {
    let c = Classifier::default().classify(
        &Message::text("Your account", "Flash sale! 40% off, shop now.")
            .with_declared(DeclaredKind::Transactional(Cat::Transaction)),
    );
    assert_eq!(*c.outcome(), Promo);
    assert!(c
        .reasons()
        .iter()
        .any(|r| r.rule.as_str() == "canspam.primary_purpose.declared_mismatch"));
}

#[test]
fn custom_lexicons_load_from_json_and_bad_patterns_are_named() {
    let json = r#"{
        "promotional": ["\\bangebot\\b", "\\brabatt\\b"],
        "transactional": { "transaction": ["\\bbestellbestatigung\\b"] }
    }"#;
    let lexicon: Lexicon = serde_json::from_str(json).unwrap();
    let classifier = Classifier::from_lexicon(lexicon).unwrap();
    let c = classifier.classify(&Message::text("Bestellbestätigung", "Danke."));
    assert_eq!(*c.outcome(), Trans(Cat::Transaction));
    let c = classifier.classify(&Message::text("Angebot", "20 Rabatt"));
    assert_eq!(*c.outcome(), Promo);

    let bad: Lexicon = serde_json::from_str(
        r#"{ "promotional": ["ok", "[unclosed"], "transactional": { "delivery": ["x"] } }"#,
    )
    .unwrap();
    match Classifier::from_lexicon(bad) {
        Err(LexiconError::BadPattern { pattern, .. }) => assert_eq!(pattern, "[unclosed"),
        other => panic!("{other:?}"),
    }
    let unknown = r#"{ "promotional": ["x"], "transactional": { "gifts": ["y"] } }"#;
    assert!(serde_json::from_str::<Lexicon>(unknown).is_err());
}

#[test]
fn neutral_patterns_consume_statistics_and_are_never_cues() {
    // A host lexicon: a discount pattern that a statistic's decimal part
    // would match ("1 % en" in "4,1 % en"), and a neutral pattern for
    // reported rises.
    let json = r#"{
        "promotional": ["\\b[0-9]{1,3} ?% en\\b", "\\bsubio un [0-9]{1,3} ?% en toda\\b"],
        "transactional": { "transaction": ["\\btu pedido\\b"] },
        "neutral": ["\\bsubio (?:un )?[0-9]{1,3}(?:[.,][0-9]{1,2})? ?%"]
    }"#;
    let lexicon: Lexicon = serde_json::from_str(json).unwrap();
    let classifier = Classifier::from_lexicon(lexicon)
        .unwrap()
        .with_wording_model(None);
    // The statistic is consumed whole: no discount read from its decimal
    // part, no cue at all.
    let bulletin = classifier.classify(&Message::text(
        "Boletín",
        "La harina subió un 4,1 % en marzo.",
    ));
    assert_eq!(
        *bulletin.outcome(),
        MessageClass::Undetermined,
        "{bulletin:?}"
    );
    assert!(bulletin
        .reasons()
        .iter()
        .all(|r| !r.rule.as_str().starts_with("canspam.cue.")));
    // An offer elsewhere in the same text is still read.
    let offer = classifier.classify(&Message::text(
        "Boletín",
        "La harina subió un 4,1 % en marzo. 20 % en toda la tienda.",
    ));
    assert_eq!(*offer.outcome(), Promo, "{offer:?}");
    // Where a cue starts at the same place, the cue wins.
    let cue = classifier.classify(&Message::text(
        "Oferta",
        "Todo subio un 10 % en toda la tienda? No: bajó.",
    ));
    assert_eq!(*cue.outcome(), Promo, "{cue:?}");
    // The shipped lexicons carry neutral patterns in the four languages.
    assert_lexicons_undetermined(&[
        (
            "Freight brief",
            "Average diesel rose 3.2% week-on-week to 118.6p a litre.",
        ),
        (
            "Lettre d'information",
            "L'indice progresse de 2,1 % sur un an.",
        ),
        (
            "Mieterinfo",
            "Die Mieten sind um durchschnittlich 5,1 % auf 7,84 € pro Quadratmeter gestiegen.",
        ),
        (
            "Boletín",
            "El galón de gasolina subió 3,5 % en lo corrido del año.",
        ),
    ]);
}

#[test]
fn shipped_lexicons_round_trip_through_serde() {
    for lx in Lexicon::builtin().unwrap() {
        let json = serde_json::to_string(&lx).unwrap();
        assert_eq!(serde_json::from_str::<Lexicon>(&json).unwrap(), lx);
    }
}

static CLASSIFIER: std::sync::LazyLock<Classifier> = std::sync::LazyLock::new(Classifier::default);
/// Each (subject, body) is undetermined for the lexicons alone: no cue and
/// no hint of either kind.
fn assert_lexicons_undetermined(cases: &[(&str, &str)]) {
    for &(subject, body) in cases {
        let c = LEXICONS_ONLY.classify(&text(subject, body));
        assert_eq!(*c.outcome(), MessageClass::Undetermined, "{c:?}");
    }
}

/// The lexicons without the wording model, for tests of a lexicon rule.
static LEXICONS_ONLY: std::sync::LazyLock<Classifier> = std::sync::LazyLock::new(|| {
    Classifier::default()
        .with_wording_model(None)
        .with_subject_model(None)
});

proptest! {
    #[test]
    fn classification_never_panics_and_is_deterministic(subject in ".{0,80}", body in ".{0,600}", html in any::<bool>()) {
        let classifier = &*CLASSIFIER;
        let m = if html { Message::html(subject, body) } else { Message::text(subject, body) };
        let a = classifier.classify(&m);
        let b = classifier.classify(&m);
        prop_assert_eq!(&a, &b);
        prop_assert!(!a.reasons().is_empty());
        let json = serde_json::to_string(&a).unwrap();
        prop_assert_eq!(serde_json::from_str::<consentry::classify::Classification>(&json).unwrap(), a);
    }

    #[test]
    fn a_promotional_subject_always_makes_mixed_mail_promotional(extra in "[a-z ]{0,40}") {
        let m = Message::text(
            format!("Flash sale {extra}"),
            format!("Thank you for your order. Order total: $3. {extra}"),
        );
        prop_assert_eq!(*CLASSIFIER.classify(&m).outcome(), Promo);
    }
}

proptest! {
    #[test]
    fn html_stripping_never_panics_and_keeps_no_tags(html in "(<[a-z/!-]{0,8}( [a-z]+=(\"[^\"]{0,10}\"|'[^']{0,10}'|[a-z]{0,5}))?>|&[#a-z0-9]{0,8};?|[^<&]{0,20}){0,30}") {
        let t = consentry::classify::html_to_text(&html);
        // Tags vanish, entities shrink, whitespace collapses: never longer.
        prop_assert!(t.text.chars().count() <= html.chars().count());
        let _ = CLASSIFIER.classify(&Message::html("s", html));
    }
}

// ---------------------------------------------------------------------------
// Declarations (16 CFR 316.3(a)): honoured without commercial content,
// refused, naming the test, with it.

#[test]
fn declared_transactional_mail_without_commercial_content_is_sent_to_everyone() {
    use chrono::{TimeZone, Utc};
    use consentry::eligibility::SendContext;
    use consentry::{ConsentKey, ConsentState, EmailAddress, LedgerPolicy, ListId, TenantId};

    let now = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
    let key = ConsentKey::new(
        TenantId::new("acme").unwrap(),
        ListId::new("account").unwrap(),
        EmailAddress::parse("ann@example.com").unwrap(),
    );
    // Ann never gave marketing consent.
    let state = ConsentState::replay(&key, [], &LedgerPolicy::default(), now);
    let ctx = SendContext::new(key.tenant.clone(), key.list.clone(), now);
    let mails = [
        (
            Message::text(
                "Reset your Acme password",
                "Someone asked to reset the password for this account. Use this link within 30 minutes: https://acme.example/r/8Hq2",
            ),
            Cat::WarrantyRecallSafetySecurity,
        ),
        (
            Message::text("Your sign-in link", "Tap to continue: https://acme.example/l/Zx91"),
            Cat::WarrantyRecallSafetySecurity,
        ),
        (
            Message::text(
                "Receipt",
                "Trip with Sam, Tuesday 6:12 PM. Base 8.40, time 3.15, booking 2.30, tip 2.00. Visa 4471.",
            ),
            Cat::Transaction,
        ),
    ];
    for (message, category) in mails {
        let declared = message.with_declared(DeclaredKind::Transactional(category));
        let c = CLASSIFIER.classify(&declared);
        assert!(c.outcome().is_transactional(), "{c:?}");
        let d = ctx.decide(&state, &c);
        assert!(d.is_send(), "{d:?}");
        assert!(d.requirements().is_empty());
    }
    // Undeclared, a message the classifier cannot place is not sent without
    // consent by default, and says why.
    let plain = CLASSIFIER.classify(&Message::text(
        "Hi",
        "Tap to continue: https://acme.example/l/Zx91",
    ));
    assert_eq!(*plain.outcome(), MessageClass::Undetermined);
    let d = ctx.decide(&state, &plain);
    assert!(!d.is_send());
    assert!(
        d.has_rule("eligibility.undetermined.as_promotional"),
        "{d:?}"
    );
    let lenient = ctx
        .clone()
        .with_undetermined_as(consentry::eligibility::UndeterminedAs::Transactional);
    let d = lenient.decide(&state, &plain);
    assert!(d.is_send(), "{d:?}");
    assert!(d.has_rule("eligibility.undetermined.as_transactional"));
}

#[test]
fn a_price_alone_does_not_refuse_a_declaration() {
    // No word the lexicons know, only amounts: undeclared, the amounts read
    // as an offer; declared transactional, they are what a receipt carries.
    let body = "Salut Noa, pour la séance de mardi : 2 heures de mur, 18,00 €, location de chaussons 4,50 €. À bientôt au Bloc !";
    let plain = CLASSIFIER.classify(&Message::text("Mardi", body));
    assert_eq!(*plain.outcome(), Promo, "{plain:?}");
    assert_eq!(
        plain.rule().as_str(),
        "canspam.primary_purpose.commercial_hints"
    );
    let declared = CLASSIFIER.classify(
        &Message::text("Mardi", body).with_declared(DeclaredKind::Transactional(Cat::Transaction)),
    );
    assert_eq!(
        *declared.outcome(),
        MessageClass::Transactional(Cat::Transaction),
        "{declared:?}"
    );
    assert_eq!(
        declared.rule().as_str(),
        "canspam.primary_purpose.declared_transactional"
    );
    // A price followed by offer wording, or a hint that starts with a
    // number but is no amount: commercial content, the declaration refused.
    for (subject, body) in [
        (
            "Jacket",
            "Hi Ana, the Trailblazer jacket is $129. Available now in stores and online. Browse jackets.",
        ),
        (
            "Quick question",
            "Hi Sam, do you have time for a 15-minute demo of our tool on Thursday?",
        ),
    ] {
        let c = CLASSIFIER.classify(
            &Message::text(subject, body)
                .with_declared(DeclaredKind::Transactional(Cat::Transaction)),
        );
        assert_eq!(*c.outcome(), Promo, "{body}: {c:?}");
        assert!(c
            .reasons()
            .iter()
            .any(|r| r.rule.as_str() == "canspam.primary_purpose.declared_mismatch"));
    }
    // An offer phrase is commercial content: the declaration is refused.
    let offer = CLASSIFIER.classify(
        &Message::text(
            "Mardi",
            "Salut Noa, des séances à partir de 12 € la semaine prochaine. À bientôt au Bloc !",
        )
        .with_declared(DeclaredKind::Transactional(Cat::Transaction)),
    );
    assert_eq!(*offer.outcome(), Promo, "{offer:?}");
}

/// A notice at the top does not make a message transactional when the
/// commercial content after it outweighs it (16 CFR 316.3(a)(3)).
#[test]
fn a_notice_outweighed_by_the_ad_after_it_is_promotional() {
    let notice = "We noticed a new sign-in to your account from Chrome on Windows. If this was you, no action is needed.";
    let short_ad = "Flash sale: 30% off all plans this week.";
    let long_ad = "Flash sale: 30% off all plans this week. Shop now and get free shipping on every order. Use code SAVE30 at checkout. Limited time offer, ends Sunday.";
    let light = CLASSIFIER.classify(&Message::text(
        "Account notice",
        format!("{notice} {short_ad}"),
    ));
    assert!(light.outcome().is_transactional(), "{light:?}");
    let heavy = CLASSIFIER.classify(&Message::text(
        "Account notice",
        format!("{notice} {long_ad}"),
    ));
    assert_eq!(*heavy.outcome(), Promo, "{heavy:?}");
    assert_eq!(
        heavy.rule().as_str(),
        "canspam.primary_purpose.transactional_not_first"
    );
    assert!(
        heavy.reasons()[0].sentence.contains("outweighs"),
        "{heavy:?}"
    );
}

/// Notices that quote a rate, a free period or coupon terms are not ads
/// for it: commercial cues need the wording of an offer.
#[test]
fn notices_quoting_offer_terms_are_not_promotional() {
    let notices = [
        ("Draft", "Could we find 30 minutes next week to go over the draft? Would it be crazy to move our call to Friday? Ticket #4471."),
        ("Ihre Reklamation", "Für Ihre Reklamation 55012 erhalten Sie eine Gutschrift von 12,50 €. Kundennummer 8841."),
        ("Your savings rate", "From 1 March your Easy Access Saver will earn 3.75% AER variable. You do not need to do anything."),
        ("Your stay", "Make the most of your stay: check-in from 3pm, breakfast is served 7-10am. Booking reference HX-22871."),
        ("Ihr Abo", "Die ersten 6 Monate zum halben Preis enden am 30.04. Ab dem 1.5. zahlen Sie den regulären Preis. Kundennummer 4471."),
        ("Ihr Gutschein", "Ihre Bestellung 88213: Der Gutschein ist nicht bar auszahlbar und bis 31.12. gültig."),
        ("Votre livret", "Votre livret bénéficie d'un taux promotionnel de 4 % jusqu'au 31/03. Votre relevé est disponible."),
        ("Flug LH 123 annulliert", "Ihr Flug LH 123 wurde annulliert. Buchungsnummer X7Y2Z9. Sie können jetzt online eine Erstattung beantragen."),
        ("Buchungsbestätigung", "Buchungsnummer 44120, Ankunft 12.08. Buchung verwalten: Sitzplatz reservieren, Gepäck und Extras dazubuchen."),
        ("Entretien annuel", "Bonjour Léa, auriez-vous un créneau jeudi pour votre entretien annuel ? Votre bulletin de paie de mars est disponible."),
        ("Ihr Resturlaub", "Ihr Resturlaub aus 2025 ist nur bis zum 31.03. übertragbar. Personalnummer 4471."),
        ("Ihr Abo", "Ihre 3 Monate Klangwelt gratis enden am 14.05. Kundennummer 5521."),
        ("Tu suscripción", "Tus 3 meses de Pantalla+ gratis terminan el 5 de mayo. Número de cliente 44812."),
        ("Your card has arrived", "Your new card has arrived. You'll earn 2% cash back on every purchase. Card ending in 4471."),
        ("Plan change", "Your upgrade to Family from $10.99 to $16.99 takes effect on 1 May. Account number 88213."),
        ("Confirm your email", "Confirm your email address to activate your free trial. Your verification code is 482911."),
        ("Sign in to Acme", "Use 482913 to finish signing in. It may only be used once."),
        ("Hi Sam", "Your one-time code is 482913. This code may only be used once and expires in 10 minutes."),
        ("Your order", "Thanks for your order. Sale items may only be returned for store credit. Order total: $31.00."),
        ("Your Acme receipt", "Receipt 5521. Gift cards may only be redeemed online. Total charged: $40.00."),
        ("Votre reçu", "Votre commande n° 5521 a été annulée. Le remboursement des 45 € de caution sera fait sous 10 jours."),
        ("Votre facture", "Votre facture n° 8812 est disponible. Le prélèvement des 30 € sera effectué le 5 mai."),
        ("Your March rewards statement is ready", "Your rewards statement for March is ready. Points balance: 1,240. Account ending 2206."),
    ];
    for (subject, body) in notices {
        let c = CLASSIFIER.classify(&Message::text(subject, body));
        assert_ne!(*c.outcome(), Promo, "{body}: {c:?}");
    }
}

/// Ads that use the words of account mail (a start date, a delivery slot,
/// a maintenance contract, a rent, a next appointment) are never
/// transactional: those words are evidence only in the phrasing a notice
/// uses.
#[test]
fn ads_in_account_words_are_not_transactional() {
    let ads = [
        (
            "Neu bei uns",
            "Ihr neuer Wagen wartet: der Kompakte ab 299 € im Monat.",
        ),
        (
            "Reisende aufgepasst",
            "Reisende aufgepasst: Mallorca ab 499 € mit Flug und Hotel.",
        ),
        (
            "Yoga",
            "Yoga für Einsteiger im Studio Mitte. Nächster Termin: 12. März, 18 Uhr.",
        ),
        (
            "Now enrolling",
            "Courses for every level. Start date may vary by campus, apply today.",
        ),
        (
            "Own your home",
            "Own your home for less than your current rent. Mortgages from our partners.",
        ),
        (
            "Christmas",
            "Book a delivery slot today. Our festive range is in store and online.",
        ),
        (
            "¿Tu alarma no funciona?",
            "¿Tu alarma no funciona? Cámbiate a SegurHogar: 29,90 € al mes.",
        ),
        (
            "Mantenimiento",
            "¿Tienes contrato de mantenimiento? Revisión de caldera por 79 €.",
        ),
        (
            "Appartement à louer",
            "T2 lumineux, loyer mensuel 890 €, dépôt de garantie un mois, libre de suite.",
        ),
        (
            "Your next visit",
            "Your next visit is on us: bring a friend this month.",
        ),
        (
            "Drive it home",
            "The new SUV for a monthly payment of $299. Visit a dealer near you.",
        ),
        (
            "Óptica Sol",
            "Pide cita previa en tu óptica y hazte la revisión visual gratis.",
        ),
        (
            "¡Nuevo horario de verano!",
            "Nuevo horario de verano: ven a entrenar de 6 a 23 h.",
        ),
        (
            "Tarife",
            "Unser neuer Tarif Magenta Mobil M: mehr Daten, gleicher Preis.",
        ),
        (
            "Préstamos",
            "Tu primera cuota vence el 10 de julio. Pedí tu préstamo hoy.",
        ),
        (
            "Seguro de hogar",
            "Denuncia de siniestro online las 24 h. Contrata tu seguro de hogar.",
        ),
        (
            "Wechseln",
            "Schadenmeldung ganz einfach per App. Jetzt wechseln.",
        ),
        (
            "Ventes privées",
            "Votre prochain rendez-vous shopping : les ventes privées commencent bientôt.",
        ),
        (
            "Punkte",
            "Ihr Punktekonto: 1.234 Punkte. Jetzt bei unseren Partnern punkten.",
        ),
        ("Verano", "Congelación de tu membresía gratis este verano."),
        ("Fibra", "Fibra 600 Mb, sin permanencia: puedes darte de baja sin penalización cuando quieras."),
        ("¿Fin de mes?", "¿Fondos insuficientes a fin de mes? Tenemos la solución para ti."),
        ("Cabify", "Gracias por viajar con Rodar. Conoce las novedades de este verano."),
        ("Mutuelle", "Votre mutuelle vous coûte trop cher ? Changez de mutuelle en 2 minutes, dès 19 €/mois."),
        ("Noviembre", "Campaña noviembre: 30% de descuento en neumáticos."),
        ("Reunifica", "Reunifica tus préstamos. Cuota actual: 620 €. Nueva cuota desde 310 €/mes."),
    ];
    for (subject, body) in ads {
        let c = CLASSIFIER.classify(&Message::text(subject, body));
        assert!(!c.outcome().is_transactional(), "{body}: {c:?}");
    }
}

#[test]
fn a_declaration_is_refused_naming_the_test_that_refused_it() {
    let c = CLASSIFIER.classify(
        &Message::text("Your receipt", "Flash sale! 40% off everything, shop now.")
            .with_declared(DeclaredKind::Transactional(Cat::Transaction)),
    );
    assert_eq!(*c.outcome(), Promo);
    let mismatch = c
        .reasons()
        .iter()
        .find(|r| r.rule.as_str() == "canspam.primary_purpose.declared_mismatch")
        .unwrap();
    assert!(
        mismatch.sentence.contains("canspam.primary_purpose."),
        "{mismatch}"
    );
}

// ---------------------------------------------------------------------------
// What a reader sees: disguises never make an ad transactional.

#[test]
fn disguised_ads_are_judged_by_what_the_reader_sees() {
    let ad = "<p>Spring sale: 50% off everything this weekend. Shop now.</p>";
    let fake = "Thank you for your order. Order #58213 confirmed, total charged $42.00.";
    let bodies = [
        format!(r#"<div style="display:none">{fake}</div>{ad}"#),
        format!(r#"<span style="visibility:hidden">{fake}</span>{ad}"#),
        format!(r#"<span style="font-size:0">{fake}</span>{ad}"#),
        format!(r#"<span style="opacity:0">{fake}</span>{ad}"#),
        format!(r#"<title>{fake}</title>{ad}"#),
        format!(r#"<head><title>{fake}</title></head>{ad}"#),
        format!(r#"<!-- {fake} -->{ad}"#),
        format!(r#"<p>Thank you for your order.</p><div style="color:#333>{ad}"#),
        format!(r#"<style>.x{{display:none}}</style><div class="x">{fake}</div>{ad}"#),
    ];
    for body in bodies {
        let c = CLASSIFIER.classify(&Message::html("Hello", body.clone()));
        assert_eq!(*c.outcome(), Promo, "{body}: {c:?}");
    }
    for subject in [
        "S\u{ad}ALE: 70% off",
        "SALE: 70\u{200b}% off",
        "S\u{410}LE: 70% \u{43e}ff",
        "ＳＡＬＥ ７０％ ＯＦＦ",
        "\u{202e}SALE 70% OFF",
        // Letter-shaped symbols with no decomposition.
        "🅢🅐🅛🅔: 70% 🅞🅕🅕",
        "🆂🅰🅻🅴: 70% 🅾🅵🅵",
        "🇸🇦🇱🇪: 70% 🇴🇫🇫",
    ] {
        let c = CLASSIFIER.classify(&Message::text(
            subject,
            "Thank you for your order. Order #58213 confirmed, total charged $42.00.",
        ));
        assert_eq!(*c.outcome(), Promo, "{subject:?}: {c:?}");
        assert_eq!(c.rule().as_str(), "canspam.primary_purpose.subject_line");
    }
}

#[test]
fn french_german_and_spanish_mail_is_read_too() {
    let cases = [
        (
            "Réinitialisation de votre mot de passe",
            "Bonjour, cliquez sur le lien ci-dessous pour réinitialiser votre mot de passe.",
            MessageClass::Transactional(Cat::WarrantyRecallSafetySecurity),
        ),
        (
            "Ihre Bestellung 4711 wurde versandt",
            "Guten Tag, Ihre Bestellung ist unterwegs. Sendungsnummer: 00340434161234567890.",
            MessageClass::Transactional(Cat::Delivery),
        ),
        (
            "Rebajas de verano",
            "Hasta un 50 % de descuento en toda la tienda. ¡Compra ya!",
            Promo,
        ),
        (
            "Soldes d'été",
            "Jusqu'à -40 % sur toute la collection, livraison offerte.",
            Promo,
        ),
    ];
    for (subject, body, class) in cases {
        let c = CLASSIFIER.classify(&Message::text(subject, body));
        assert_eq!(*c.outcome(), class, "{subject}: {c:?}");
    }
}

proptest! {
    #[test]
    fn normalisation_is_idempotent(s in "\\PC{0,200}") {
        let once = consentry::classify::normalize(&s);
        prop_assert_eq!(consentry::classify::normalize(&once), once.clone());
    }

    #[test]
    fn hidden_transactional_text_never_makes_an_ad_transactional(
        style in prop::sample::select(vec!["display:none", "visibility:hidden", "font-size:0px", "opacity:0", "max-height:0;overflow:hidden", "text-indent:-9999px"]),
        filler in "[a-z ]{0,60}",
    ) {
        let body = format!(
            r#"<div style="{style}">Thank you for your order #58213. Order total: $42.00. {filler}</div><p>Flash sale: 30% off all sandals this weekend only. {filler}</p>"#
        );
        let c = CLASSIFIER.classify(&Message::html("This weekend", body));
        prop_assert_eq!(*c.outcome(), Promo);
    }
}

/// Paragraphs that long HTML bodies are built from: commercial and
/// transactional cues, neutral text, and hidden copies of cues.
const PARAGRAPHS: [&str; 18] = [
    "<p>Save 20% off everything this weekend only.</p>",
    "<div class=\"card\"><s>$91.00</s> <strong>$77.35</strong> <a href=\"https://shop.example/1\">Shop now</a></div>",
    "<p style=\"font-size:14px;color:#555\">Made from recycled materials and tested on the trail by our team.</p>",
    "<p>Your order #58213 has shipped. Tracking number 1Z999AA10123456784.</p>",
    "<td>Order total: $45.00 charged to your Visa ending 4242.</td>",
    "<p>Your password was changed on 3 March at 09:12 UTC.</p>",
    "<div style=\"display:none\">Thank you for your order</div>",
    "<h3 style=\"margin:12px 0 4px\">Trail runner</h3>",
    "<p>Members get double points on every purchase until Sunday.</p>",
    "<p>We have been thinking about how people garden in small spaces, and what they need most.</p>",
    "<table><tr><td>Qty 2</td><td>$12.50</td></tr></table>",
    "<p>Your appointment is confirmed for Tuesday at 10:30.</p>",
    "<!-- Thank you for your purchase -->",
    "<p>Version 2.4.1 is available for download.</p>",
    // A cue split across text nodes, so a step can end inside it.
    "<p><span>Version 2.4</span>.1<span> is</span> available for download.</p>",
    "<p>Your <b>order</b> <i>#77120</i> <b>has</b> shipped.</p>",
    // Text that normalises to far less than it reads: zero-width spaces,
    // combining marks, a soft hyphen inside a cue.
    "<p><b>\u{200b}\u{200b}</b><b>\u{200b}\u{200d}\u{200b}</b><i>\u{301}\u{301}\u{301}</i></p>",
    "<p>S\u{ad}ave 20\u{200b}% off c\u{301}afe\u{301} items.</p>",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The classifier reads a long HTML body only as far as its first cues
    /// need; its answer (class and every reason) is always the one it
    /// gives on the body's whole visible text.
    #[test]
    fn reading_html_in_steps_gives_the_whole_bodys_answer(
        lead in 0usize..2000,
        picks in prop::collection::vec((0usize..PARAGRAPHS.len(), 0usize..120), 1..400),
        subject in prop::sample::select(vec!["The spring edit is here", "Your order #58213", "Weekly update", "50% off today"]),
    ) {
        // Neutral text first (the test's "beginning" depends on the body's
        // length), then paragraphs, each after neutral words of a random
        // length (so steps end at every place in them).
        let words = |n: usize| "lorem ".repeat(n / 6);
        let mut html = format!("<p>{}</p>", words(lead));
        for &(i, pad) in &picks {
            html.push_str(&format!("<p>{}</p>\n{}", words(pad), PARAGRAPHS[i]));
        }
        let classifier = classifier();
        let stepped = classifier.classify(&Message::html(subject, html.as_str()));
        let whole = classifier.classify(&Message::text(subject, consentry::classify::html_to_text(&html).text));
        prop_assert_eq!(stepped, whole);
    }
}

fn classifier() -> &'static Classifier {
    static C: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
    C.get_or_init(Classifier::default)
}

/// The same on the committed newsletter (about 4 KB of its 26 KB of
/// visible text decide it; the stepped reading is what the bench times).
#[test]
fn the_newsletter_gets_its_whole_texts_answer() {
    let html = include_str!("../benches/data/newsletter_100k.html");
    let c = classifier();
    let stepped = c.classify(&Message::html("The spring edit is here", html));
    let whole = c.classify(&Message::text(
        "The spring edit is here",
        consentry::classify::html_to_text(html).text,
    ));
    assert_eq!(stepped, whole);
}

/// A cue that a step cuts in two (`version 2.4` read, `.1` not yet) is
/// never taken for the whole one: the first sixteen matches are settled
/// only once a full match length of text follows them. The cut is swept
/// across the cue.
#[test]
fn a_cue_cut_by_a_step_is_read_whole() {
    let c = classifier();
    let cue = "<p>Save 20% off everything this weekend only.</p>";
    let cue_reasons = |html: &str| {
        c.classify(&Message::text(
            "Weekly update",
            consentry::classify::html_to_text(html).text,
        ))
        .reasons()
        .iter()
        .filter(|r| r.rule.as_str().starts_with("canspam.cue."))
        .count()
    };
    // Enough cue paragraphs for fifteen matches: the split cue is the
    // sixteenth.
    let single = "<p>Shop now</p>";
    let head = (0..16)
        .flat_map(|a| (0..16).map(move |b| (a, b)))
        .map(|(a, b)| format!("{}{}", cue.repeat(a), single.repeat(b)))
        .find(|h| cue_reasons(h) == 15)
        .expect("some mix of paragraphs gives fifteen cues");
    let head_text = consentry::classify::html_to_text(&head).text.len();
    let split = "<p><span>Version 2.4</span>.1<span> is</span> available for download.</p>";
    let tail = format!("<p>{}</p>", "zz ".repeat(2000));
    let mut checked = 0;
    for fill in 4096usize.saturating_sub(head_text + 40)..4096usize.saturating_sub(head_text - 10) {
        let html = format!("{head}<p>{}</p>{split}{tail}", "z".repeat(fill));
        let stepped = c.classify(&Message::html("Weekly update", html.as_str()));
        let whole = c.classify(&Message::text(
            "Weekly update",
            consentry::classify::html_to_text(&html).text,
        ));
        assert_eq!(stepped, whole, "fill {fill}");
        checked += 1;
    }
    assert!(checked >= 40);
}

/// A customer, member or contract number (an account *reference*) quoted
/// above an ad does not make the ad transactional: the commercial content
/// decides. The same reference in a notice with transactional content, or
/// alone, still counts.
#[test]
fn an_ad_quoting_the_readers_account_number_is_promotional() {
    for (subject, body) in [
        (
            "Kundennummer 20034519: Ihr Vorteil",
            "Sehr geehrter Herr Roth, Kundennummer: 20034519. Als Dankeschön: 5 % Rabatt auf eine Wallbox aus unserem Shop. Angebot gültig bis 15.04.",
        ),
        (
            "A note for member 88120",
            "Hi Priya, membership number 88120. Bring a friend this month and you both get 30% off your next class pack. Offer ends Sunday.",
        ),
        (
            "Votre espace client",
            "Bonjour, numéro de client 4471-22. Profitez de 20 % de réduction sur l'assurance habitation : offre valable jusqu'au 31 mai.",
        ),
        (
            "Información para tu cuenta",
            "Hola Marta, número de cliente 55120. Este mes, 20% de descuento en fibra si contratas antes del viernes.",
        ),
    ] {
        let c = CLASSIFIER.classify(&text(subject, body));
        assert_eq!(*c.outcome(), Promo, "{subject}: {c:?}");
        assert_eq!(
            c.rule().as_str(),
            "canspam.primary_purpose.commercial_only",
            "{subject}: {c:?}"
        );
        assert!(
            c.reasons()[0].sentence.contains("only refer to the account"),
            "{subject}: {c:?}"
        );
    }
    // A voucher dressed as a credit note: two lines of account wording and
    // a reference number against three commercial cues. The reference
    // weighs nothing against the offer, so the offer outweighs the rest.
    let voucher = CLASSIFIER.classify(&text(
        "Your credit of $50 is ready",
        "Dear customer, a credit was added to your account. Voucher CN-2025-7781. Amount: $50.00. Status: ready to redeem. Redeem it on your next purchase of $250 or more. Cannot be combined with other offers. Shop now: garden furniture at our lowest prices ever.",
    ));
    assert_eq!(*voucher.outcome(), Promo, "{voucher:?}");
    // A reference alone, or beside transactional content, still counts.
    let alone = CLASSIFIER.classify(&text(
        "Ihre Zählerstandsmeldung",
        "Guten Tag, Kundennummer 20034519, Zählernummer 1ESY1160. Bitte melden Sie uns Ihren Zählerstand.",
    ));
    assert!(alone.outcome().is_transactional(), "{alone:?}");
    let statement = CLASSIFIER.classify(&text(
        "Your statement is ready",
        "Account number 4471-2290. Your statement for March is ready: balance due $84.20, payment due date 12 April. Direct debit will collect it. PS: refer a friend and get $20 off.",
    ));
    assert!(statement.outcome().is_transactional(), "{statement:?}");
}

/// A sum of money reported in an article ("£1.5bn", "$40 million") is not a
/// price on offer for the lexicons' hints; a price is. (The wording model,
/// which weighs currency signs, reads this editorial as an advertisement:
/// the safe side for mail nobody declared.)
#[test]
fn a_sum_of_money_reported_is_no_offer() {
    let editorial = LEXICONS_ONLY.classify(&text(
        "The Ledger #112",
        "Good morning. Banks say the new payment rails cost them £1.5bn to build; fintechs raised $40 million last quarter. More next week.",
    ));
    assert_eq!(
        *editorial.outcome(),
        MessageClass::Undetermined,
        "{editorial:?}"
    );
    let price = LEXICONS_ONLY.classify(&text(
        "The Ledger shop",
        "Good morning. Our new notebook is £15, in three colours.",
    ));
    assert_eq!(*price.outcome(), Promo, "{price:?}");
    // Nor is a market or unit price quoted in a bulletin, nor an average
    // or a median, in any of the four languages.
    assert_lexicons_undetermined(&[
        (
            "Bulletin agroclimatique",
            "Marchés de la semaine : maïs-grain 258 $/t, soya 512 $ / t, blé 318 $ la tonne.",
        ),
        (
            "Boletín del sector",
            "El gasóleo pesquero se sitúa en 0,81 €/l de media en los puertos.",
        ),
        (
            "Mieterinfo",
            "Die Angebotsmieten liegen bei 7,84 € pro Quadratmeter.",
        ),
        (
            "The Brief",
            "Junior designer salaries rose 4.2% to a median of $58,000 this year.",
        ),
        // Statutory rates a trade bulletin reminds its readers of.
        (
            "Handwerk im Münsterland",
            "Zur Erinnerung: Seit 1. Januar gilt ein gesetzlicher Mindestlohn von 12,82 € pro Stunde.",
        ),
        (
            "Members' update",
            "From April the national minimum wage of £12.21 an hour applies across the UK.",
        ),
        (
            "Infos du réseau",
            "Le salaire minimum de 24,50 CHF de l'heure s'applique dans tout le canton.",
        ),
        (
            "Boletín gremial",
            "El salario mínimo de 1.184 € sigue vigente este año.",
        ),
    ]);
    // A unit price with the words of an offer around it is still one.
    let offer = LEXICONS_ONLY.classify(&text(
        "Wochenangebot",
        "Frische Erdbeeren jetzt nur 3,99 €/kg, solange der Vorrat reicht.",
    ));
    assert_eq!(*offer.outcome(), Promo, "{offer:?}");
}

proptest! {
    /// Account references never make an advertisement transactional,
    /// whatever references are quoted, how many, in what order, and
    /// wherever the offer sits: a message whose only transactional words
    /// are customer, member or contract numbers, reference codes, meter
    /// figures or a payment method is promotional once it carries an
    /// offer, and is not promotional without one.
    #[test]
    fn account_references_never_make_an_ad_transactional(
        refs in prop::collection::vec(prop::sample::select(vec![
            "Customer number 4471-2290.",
            "Membership number 88120.",
            "Kundennummer 20034519.",
            "Numéro de client 4471-22.",
            "Número de cliente 55120.",
            "Ref AB-260203-117.",
            "Dossier 2025-ZH-18824.",
            "Estimated use 2,900 kWh.",
            "Paid by Direct Debit.",
        ]), 1..4),
        offers in prop::collection::vec(prop::sample::select(vec![
            "Get 30% off your next order.",
            "Shop now.",
            "Jetzt 20 % Rabatt sichern.",
            "Profitez de 20 % de réduction.",
            "Aprovecha un 20% de descuento.",
            "Offer ends Sunday.",
        ]), 1..3),
        filler in prop::collection::vec(prop::sample::select(vec!["Zorp quib flen.", "Mirtle vosh.", "Pell dunk orra."]), 0..4),
        offer_first in any::<bool>(),
        in_subject in any::<bool>(),
    ) {
        let refs_text = refs.join(" ");
        let offers_text = offers.join(" ");
        let filler_text = filler.join(" ");
        let body = if offer_first {
            format!("{offers_text} {filler_text} {refs_text}")
        } else {
            format!("{refs_text} {filler_text} {offers_text}")
        };
        let subject = if in_subject { refs.first().copied().unwrap_or("Hello") } else { "Hello" };
        let ad = CLASSIFIER.classify(&text(subject, &body));
        prop_assert_eq!(*ad.outcome(), Promo, "{}: {:?}", body, ad);
        let notice = CLASSIFIER.classify(&text(subject, &format!("{refs_text} {filler_text}")));
        prop_assert!(notice.outcome().is_transactional(), "{}: {:?}", refs_text, notice);
    }
}

// ---------------------------------------------------------------------------
// The wording model: a second opinion where the lexicons found no
// commercial content, never on a declaration.

/// A small wording model that knows a courier's collection wording, which
/// the shipped lexicons do not.
fn courier_model() -> WordingModel {
    let examples = [
        (
            "your friday pickup",
            "the driver will collect the two boxes between 8 and 12 leave them by the door",
            MessageClass::Transactional(Cat::Delivery),
        ),
        (
            "collection tomorrow",
            "our driver will collect your boxes tomorrow leave them by the door",
            MessageClass::Transactional(Cat::Delivery),
        ),
        (
            "spring sale",
            "everything must go shop now and save big",
            Promo,
        ),
        (
            "our newsletter",
            "stories from the team this season",
            MessageClass::Undetermined,
        ),
    ];
    WordingModel::train(examples.iter().copied(), 12).unwrap()
}

/// The shipped lexicons with [`courier_model`] as the wording model.
fn with_courier() -> Classifier {
    Classifier::default().with_wording_model(Some(courier_model()))
}

/// `m` classified by the lexicons alone, which must decide it by `rule`.
fn lexicons_decide(m: &Message, rule: &str) -> consentry::classify::Classification {
    let c = LEXICONS_ONLY.classify(m);
    assert_eq!(c.rule().as_str(), rule, "{c:?}");
    c
}

/// `m` classified with [`courier_model`], which must decide it (the
/// wording rule leading) as `class`.
fn courier_decides(m: &Message, class: MessageClass) -> consentry::classify::Classification {
    let c = with_courier().classify(m);
    assert_eq!(*c.outcome(), class, "{c:?}");
    assert_eq!(c.rule().as_str(), "canspam.primary_purpose.wording");
    c
}

#[test]
fn a_wording_model_places_mail_no_lexicon_cue_reaches() {
    let pickup = text(
        "Your Friday pickup",
        "Hi Tom, the driver will collect the two boxes on Friday between 8 and 12. Please leave them by the door, with the label facing out, and keep the printed slip until they have arrived.",
    );
    let lexicons = LEXICONS_ONLY.classify(&pickup);
    assert_eq!(
        *lexicons.outcome(),
        MessageClass::Undetermined,
        "{lexicons:?}"
    );
    let with_model = courier_decides(&pickup, Trans(Cat::Delivery));
    let sentence = &with_model.reasons()[0].sentence;
    assert!(
        ["driver", "collect", "boxes", "door", "pickup"]
            .iter()
            .any(|w| sentence.as_str().contains(&format!("`{w}"))
                || sentence.as_str().contains(&format!(" {w}`"))),
        "{sentence}"
    );
    // The lexicons' own answer follows, for the record.
    assert_eq!(
        with_model.reasons()[1].rule.as_str(),
        "canspam.primary_purpose.undetermined"
    );
    // Declared, the message is judged on its content alone: the wording
    // model does not speak.
    let declared = pickup.with_declared(DeclaredKind::Transactional(Cat::Transaction));
    let c = with_courier().classify(&declared);
    assert_eq!(c, LEXICONS_ONLY.classify(&declared));
    assert_eq!(*c.outcome(), Trans(Cat::Transaction));
}

#[test]
fn a_commercial_hint_alone_yields_to_clear_wording() {
    // A club's notices: a membership fee, or "les membres", is a hint that
    // something is for sale, and nothing else in them is a cue; the shipped
    // model reads them, clearly, as neither an ad nor a transaction.
    for notice in [
        text(
            "Assemblée générale du club le 14 mars",
            "Bonjour à toutes et à tous,\n\nL'assemblée générale annuelle du club de randonnée aura lieu le samedi 14 mars à 10 h à la salle polyvalente de Saint-Martin. Les membres y trouveront le bilan de la saison, le calendrier des sorties du printemps et l'élection de deux nouveaux membres du bureau.\n\nMerci de nous dire si vous venez, pour prévoir le café et les croissants. Les personnes qui ne peuvent pas venir peuvent donner procuration à un autre membre.\n\nÀ bientôt sur les sentiers,\nMarie-Claude, secrétaire",
        ),
        text(
            "Vereinsnachrichten März",
            "Liebe Mitglieder,\n\nder Vorstand trifft sich am 12. März im Vereinsheim. Auf der Tagesordnung stehen die Pflege der Laufstrecke am Fluss, die Planung des Sommerfests und die Wahl eines neuen Kassenwarts. Wer Vorschläge hat, schickt sie bitte bis Ende Februar an den Vorstand.\n\nDer Mitgliedsbeitrag bleibt unverändert bei 5 € im Monat. Danke an alle, die im Winter beim Schneeräumen geholfen haben!\n\nSportliche Grüße\nEuer Vorstand des LC Rheinauen",
        ),
    ] {
        let lexicons = LEXICONS_ONLY.classify(&notice);
        assert_eq!(*lexicons.outcome(), Promo, "{lexicons:?}");
        assert_eq!(
            lexicons.rule().as_str(),
            "canspam.primary_purpose.commercial_hints"
        );
        let both = CLASSIFIER.classify(&notice);
        assert_eq!(*both.outcome(), MessageClass::Undetermined, "{both:?}");
        assert_eq!(both.rule().as_str(), "canspam.primary_purpose.wording");
        assert!(
            both.reasons()[0].sentence.contains("only a commercial hint"),
            "{both:?}"
        );
        assert_eq!(both.reasons()[1], lexicons.reasons()[0]);
    }
    // A courier's collection notice with its fee: a price is the only cue
    // the lexicons find; a model that knows the wording makes it
    // transactional, with the wording's category.
    let pickup = text(
        "Your Friday pickup",
        "Hi Tom, the driver will collect the two boxes on Friday between 8 and 12. Please leave them by the door, with the label facing out. The collection costs €4.50.",
    );
    lexicons_decide(&pickup, "canspam.primary_purpose.commercial_hints");
    courier_decides(&pickup, Trans(Cat::Delivery));
    // Declared, the hint is judged as the lexicons judge it: the model
    // does not speak.
    let declared = pickup.with_declared(DeclaredKind::Transactional(Cat::Delivery));
    assert_eq!(
        with_courier().classify(&declared),
        LEXICONS_ONLY.classify(&declared)
    );
}

#[test]
fn clear_wording_settles_the_order_test_when_the_transaction_comes_first() {
    // One transactional cue leads, then an offer with two commercial cues:
    // the order test alone says promotional (too few transactional cues
    // lead, and the commercial ones outnumber them).
    let pickup = text(
        "Your Friday pickup",
        "Thank you for your order. Hi Tom, the driver will collect the two boxes on Friday between 8 and 12. Please leave them by the door, with the label facing out, and keep the slip. Next time, get 20% off your collection: book now.",
    );
    let lexicons = lexicons_decide(&pickup, "canspam.primary_purpose.transactional_not_first");
    let model = with_courier();
    let with_model = courier_decides(&pickup, Trans(Cat::Delivery));
    assert!(
        with_model.reasons()[0]
            .sentence
            .contains("transactional content comes first"),
        "{with_model:?}"
    );
    assert_eq!(with_model.reasons()[1], lexicons.reasons()[0]);
    // Where the model is not asked, however transactional the rest reads:
    for (subject, body) in [
        // the same offer before the transaction (commercial content first);
        (
            "Your Friday pickup",
            "Get 20% off your next collection: book now. Thank you for your order. Hi Tom, the driver will collect the two boxes on Friday between 8 and 12. Please leave them by the door, with the label facing out, and keep the slip.",
        ),
        // a transactional subject line over a body that opens with the
        // offer (the subject does not make the body's beginning
        // transactional);
        (
            "Your order #58213: Friday pickup",
            "Get 20% off your next collection: book now. Hi Tom, the driver will collect the two boxes on Friday between 8 and 12. Please leave them by the door, with the label facing out, and keep the slip.",
        ),
        // an ad-like subject line, which decides whatever the body says.
        (
            "20% off your next pickup",
            "Thank you for your order. Hi Tom, the driver will collect the two boxes on Friday between 8 and 12. Please leave them by the door, with the label facing out, and keep the slip. Next time, get 20% off your collection: book now.",
        ),
    ] {
        let m = text(subject, body);
        let c = model.classify(&m);
        assert_eq!(c, LEXICONS_ONLY.classify(&m), "{subject}");
        assert_eq!(*c.outcome(), Promo, "{subject}");
    }
}

/// Snippets in the four languages: offers, transactional lines, account
/// references and plain prose, for the property below.
const SNIPPETS: &[&str] = &[
    "20% off everything this weekend.",
    "Shop now before it's gone.",
    "Upgrade to Premium for $4.99.",
    "Jetzt 30 % sparen!",
    "Profitez de -40 % sur tout le site.",
    "¡Compra ya con envío gratis!",
    "Refer a friend and get $20.",
    "Thank you for your order.",
    "Order total: $31.00.",
    "Your code is 482913.",
    "Your password was changed.",
    "Tracking number 1Z999AA10123456784.",
    "Ihre Bestellung wurde versandt.",
    "Votre facture est disponible.",
    "Tu cita es el jueves a las 10:30.",
    "Customer number 20034519.",
    "Kundennummer 4471-2290.",
    "Hi Sam,",
    "See you soon.",
    "The weather was lovely this week.",
    "Questions? Reply to this email.",
];

proptest! {
    /// Whatever the message, the wording model never changes the answer
    /// on a declared message, nor on one the lexicons found promotional on
    /// commercial content that leads (an ad-like subject line, or a
    /// commercial cue before any transactional content); where it decides,
    /// its reason leads and the lexicons' follows.
    #[test]
    fn the_wording_model_never_overrules_leading_commercial_content_or_a_declaration(
        subject in prop::sample::select(SNIPPETS),
        parts in prop::collection::vec(prop::sample::select(SNIPPETS), 1..7),
        declared in prop_oneof![
            Just(DeclaredKind::Unspecified),
            Just(DeclaredKind::Promotional),
            Just(DeclaredKind::Transactional(Cat::Transaction)),
        ],
    ) {
        let m = text(subject, &parts.join(" ")).with_declared(declared);
        let lexicons = LEXICONS_ONLY.classify(&m);
        let both = CLASSIFIER.classify(&m);
        // Promotional on a commercial hint alone (a price, no offer
        // wording) is not commercial content, and promotional by the order
        // test with transactional content first is a judgement on how much
        // of each leads: the model may speak there, nowhere else on a
        // promotional answer.
        let hinted = lexicons.rule().as_str() == "canspam.primary_purpose.commercial_hints";
        let order_test = lexicons.rule().as_str() == "canspam.primary_purpose.transactional_not_first"
            && transactional_leads(&lexicons, m.reader_text().1.len());
        if (*lexicons.outcome() == Promo && !hinted && !order_test)
            || declared != DeclaredKind::Unspecified
        {
            prop_assert_eq!(&both, &lexicons);
        }
        if both.rule().as_str() == "canspam.primary_purpose.wording" {
            if *lexicons.outcome() == Promo {
                prop_assert!(hinted || order_test);
            }
            if order_test {
                prop_assert!(matches!(both.outcome(), Trans(_)));
            }
            prop_assert_ne!(both.outcome(), lexicons.outcome());
            prop_assert_eq!(&both.reasons()[1], &lexicons.reasons()[0]);
        } else {
            prop_assert_eq!(&both, &lexicons);
        }
    }
}

/// Whether a transactional cue in the body (not an account reference) comes
/// within the beginning of the body and before every commercial cue, by the
/// cue reasons of a lexicons-only answer (`body_len`: the normalised body's
/// length, `Message::reader_text`).
fn transactional_leads(c: &consentry::classify::Classification, body_len: usize) -> bool {
    let at = |sentence: &str| {
        sentence
            .rsplit("at byte ")
            .next()
            .and_then(|n| n.parse::<usize>().ok())
    };
    let beginning = consentry::classify::BEGINNING_MIN_BYTES.max(body_len / 3);
    let first_promo = c
        .reasons()
        .iter()
        .filter(|r| {
            r.rule.as_str() == "canspam.cue.commercial.body" && !r.sentence.contains("hint")
        })
        .filter_map(|r| at(&r.sentence))
        .min()
        .unwrap_or(usize::MAX);
    c.reasons().iter().any(|r| {
        r.rule.as_str() == "canspam.cue.transactional.body"
            && !r.sentence.contains("reference cue")
            && at(&r.sentence).is_some_and(|o| o < first_promo && o <= beginning)
    })
}

/// A bill with an offer after it, in each shipped language, and subject
/// lines that sell in words no lexicon pattern lists: the subject-line
/// test makes them promotional (an ad to people who opted out, otherwise);
/// the same bill under its own subject stays transactional, and so does a
/// declared one (declarations are judged on the commercial content found).
#[test]
fn a_subject_that_sells_in_unlisted_words_makes_a_notice_with_an_offer_promotional() {
    let cases = [
        (
            "Your bill for March is ready. Amount due: $48.20, collected on 4 April from the card ending 2206. Account 5530 1120.\nMembers get 20% off phone cases this week.",
            "Your March bill",
            ["A little something for you, Sam", "Your spring treat is waiting", "A gift for you inside"],
        ),
        (
            "Votre facture de mars est disponible. Montant : 48,20 €, prélevé le 4 avril sur le compte se terminant par 2206.\nLes abonnés profitent de 20 % de réduction sur les coques cette semaine.",
            "Votre facture de mars",
            ["Un petit cadeau pour vous, Sam", "Une surprise vous attend", "Rien que pour vous ce mois-ci"],
        ),
        (
            "Ihre Rechnung für März ist da. Betrag: 48,20 €, abgebucht am 4. April vom Konto mit der Endnummer 2206.\nAbonnenten erhalten diese Woche 20 % Rabatt auf Handyhüllen.",
            "Ihre Rechnung für März",
            ["Eine kleine Überraschung für Sie", "Ein Geschenk wartet auf Sie", "Nur für Sie, Sam"],
        ),
        (
            "Tu factura de marzo ya está disponible. Importe: 48,20 €, se cargará el 4 de abril en la cuenta terminada en 2206.\nLos clientes tienen un 20 % de descuento en fundas esta semana.",
            "Tu factura de marzo",
            ["Un detalle para ti, Sam", "Tenemos una sorpresa para ti", "Solo para ti este mes"],
        ),
    ];
    for (body, neutral, selling) in cases {
        let c = CLASSIFIER.classify(&Message::text(neutral, body));
        assert!(c.outcome().is_transactional(), "{neutral}: {c:?}");
        for subject in selling {
            // The lexicons alone make it transactional by the order test.
            let l = lexicons_decide(
                &Message::text(subject, body),
                "canspam.primary_purpose.transactional_first",
            );
            let c = CLASSIFIER.classify(&Message::text(subject, body));
            assert_eq!(*c.outcome(), Promo, "{subject}: {c:?}");
            assert_eq!(c.rule().as_str(), "canspam.primary_purpose.subject_line");
            let why = &c.reasons()[0].sentence;
            assert!(why.contains("by its wording") && why.contains('`'), "{why}");
            // The lexicons' reason follows the deciding one.
            assert!(c
                .reasons()
                .iter()
                .any(|r| r.rule.as_str() == "canspam.primary_purpose.transactional_first"));
            let declared = CLASSIFIER.classify(
                &Message::text(subject, body)
                    .with_declared(DeclaredKind::Transactional(Cat::AccountNotice)),
            );
            assert!(
                declared.outcome().is_transactional(),
                "{subject}: {declared:?}"
            );
            // With both models off (the lexicons alone) it stays transactional.
            assert!(l.outcome().is_transactional(), "{subject}: {l:?}");
        }
    }
}

/// The subject-line model speaks on transactional answers only: a notice
/// under a subject that sells is promotional by the subject-line test
/// (both kinds of content, and the subject decides), but a declared one is
/// not, nor a message with no transactional content; and ordinary account
/// subjects over a notice with an offer after it do not read as ads.
#[test]
fn the_subject_line_model_speaks_only_on_transactional_answers() {
    let plain = "Your password was changed on 3 March at 09:14 from a new device. If this wasn't you, reset your password now and contact support.";
    let subject_only = Classifier::default().with_wording_model(None);
    let c = subject_only.classify(&Message::text("A gift for you inside", plain));
    assert_eq!(*c.outcome(), Promo, "{c:?}");
    assert_eq!(c.rule().as_str(), "canspam.primary_purpose.subject_line");
    assert!(
        c.reasons()[0].sentence.contains("no commercial cue"),
        "{c:?}"
    );
    let declared = subject_only.classify(
        &Message::text("A gift for you inside", plain).with_declared(DeclaredKind::Transactional(
            Cat::WarrantyRecallSafetySecurity,
        )),
    );
    assert!(declared.outcome().is_transactional(), "{declared:?}");
    let c = subject_only.classify(&Message::text("Reset your password", plain));
    assert!(c.outcome().is_transactional(), "{c:?}");
    // No transactional content in the body (none at all, a transactional
    // subject over it, or only an account reference): the subject-line
    // model has nothing to weigh it against.
    let note = "Hi all, the garden club meets on Thursday in the church hall. Bring gloves.";
    for (subject, body) in [
        ("A gift for you inside", note),
        ("Order confirmation: a gift for you inside", note),
        ("A gift for you inside", "Customer number: 55123-991"),
    ] {
        let c = subject_only.classify(&Message::text(subject, body));
        assert_ne!(
            c.rule().as_str(),
            "canspam.primary_purpose.subject_line",
            "{subject}: {c:?}"
        );
    }
    let with_offer = "Thank you for your order #40211. Order total: $61.40, charged to the card ending 2206. It ships on Monday.\nMembers get 20% off running socks this week.";
    for subject in [
        "Your order #40211",
        "Thanks for your order, Marcus",
        "Order confirmation",
        "Your receipt from Trailhead",
        "We got your order!",
    ] {
        let c = CLASSIFIER.classify(&Message::text(subject, with_offer));
        assert!(c.outcome().is_transactional(), "{subject}: {c:?}");
    }
}

/// A classifier whose wording model reads `body` under the subject
/// "Update" as transactional for certain, and whose subject-line model reads
/// "A treat is waiting" as an advertisement (small models trained here, so
/// that each speaks for certain).
fn certain_models(body: &str) -> Classifier {
    let wording = WordingModel::train(
        (0..50)
            .map(|_| ("update", body, Trans(Cat::Transaction)))
            .chain((0..50).map(|_| {
                (
                    "sale",
                    "everything must go, huge sale, buy more, new arrivals",
                    Promo,
                )
            })),
        10,
    )
    .unwrap();
    let subjects = SubjectModel::train(
        (0..50)
            .map(|_| ("a treat is waiting", true))
            .chain((0..50).map(|_| ("update", false))),
        10,
    )
    .unwrap();
    Classifier::default()
        .with_wording_model(Some(wording))
        .with_subject_model(Some(subjects))
}

/// The wording model may make transactional a message the order test
/// called promotional although its transaction comes first, a message the
/// lexicons found no cue in, or one they found promotional on a price
/// alone; never when the subject line reads as an advertisement to the
/// subject-line model.
#[test]
fn the_wording_never_makes_transactional_mail_whose_subject_sells() {
    let filler = "Alder birch cedar dogwood elm fir ginkgo hazel ilex juniper kauri larch maple nutmeg oak pine \
                  quince rowan spruce teak umbrella viburnum willow yew zelkova acacia banyan catalpa \
                  date elder fig guava hawthorn.";
    for (body, lexicons_rule) in [
        (
            format!("Your order #40211 has shipped. 20% off everything this week. Shop now and save 30% on boots. {filler}"),
            "canspam.primary_purpose.transactional_not_first",
        ),
        (filler.to_owned(), "canspam.primary_purpose.undetermined"),
        (
            format!("{filler} $45.00"),
            "canspam.primary_purpose.commercial_hints",
        ),
    ] {
        lexicons_decide(&Message::text("Update", &body), lexicons_rule);
        let classifier = certain_models(&body);
        let neutral = classifier.classify(&Message::text("Update", &body));
        assert!(neutral.outcome().is_transactional(), "{neutral:?}");
        assert_eq!(neutral.rule().as_str(), "canspam.primary_purpose.wording");
        let selling = classifier.classify(&Message::text("A treat is waiting", &body));
        assert!(!selling.outcome().is_transactional(), "{selling:?}");
        assert_eq!(selling.rule().as_str(), lexicons_rule, "{selling:?}");
    }
}
