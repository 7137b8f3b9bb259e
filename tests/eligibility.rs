//! Send decisions, campaign planning, the lint and the driver's send.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::LazyLock;

use common::*;
use consentry::classify::{
    Classification, Classifier, DeclaredKind, Message, TransactionalCategory,
};
use consentry::eligibility::{
    lint, plan, AudienceMember, Requirement, SendContext, SendDecision, SenderProfile,
    SuppressionIndex,
};
use consentry::{
    Action, Campaign, ConsentEvent, ConsentKey, ConsentState, Driver, EmailAddress, Evidence,
    LedgerPolicy, ListId, Mailer, MemoryStore, OutboundMessage, RecordingMailer, Scope,
    SuppressionKind, TenantId,
};
use proptest::prelude::*;

static CLASSIFIER: LazyLock<Classifier> = LazyLock::new(Classifier::default);

fn newsletter() -> Classification {
    CLASSIFIER.classify(&Message::text("Summer sale", "30% off sandals. Shop now."))
}
fn receipt() -> Classification {
    CLASSIFIER.classify(&Message::text("Your receipt", "Thank you for your order."))
}
/// A campaign of `template` as declared by nobody, without personalising
/// or jurisdictions.
fn promotion<'a>(
    template: &'a OutboundMessage,
    ctx: &'a SendContext,
    profile: &'a SenderProfile,
) -> Campaign<'a> {
    Campaign {
        template,
        declared: DeclaredKind::Unspecified,
        context: ctx,
        profile,
        personalise: None,
        jurisdiction: None,
    }
}

fn ctx() -> SendContext {
    SendContext::new(
        TenantId::new("acme").unwrap(),
        ListId::new("news").unwrap(),
        at(1000),
    )
}
fn state(k: &ConsentKey, events: &[ConsentEvent]) -> ConsentState {
    ConsentState::replay(k, events, &LedgerPolicy::default(), at(1000))
}
fn rules(d: &SendDecision) -> Vec<&str> {
    d.reasons().iter().map(|r| r.rule.as_str()).collect()
}

#[test]
fn who_gets_the_newsletter_and_who_gets_the_receipt() {
    let k = key("acme", "news", "ann@example.com");
    let table: Vec<(&str, Vec<ConsentEvent>, bool, bool, &str)> = vec![
        (
            "subscribed",
            vec![ev(&k, "a", 0, form())],
            true,
            true,
            "eligibility.promotional.permitted",
        ),
        (
            "never subscribed",
            vec![],
            false,
            true,
            "eligibility.promotional.no_permission",
        ),
        (
            "opted out",
            vec![ev(&k, "a", 0, form()), ev(&k, "b", 1, opt_out())],
            false,
            true,
            "eligibility.promotional.opted_out",
        ),
        (
            "complained",
            vec![ev(&k, "a", 0, form()), ev(&k, "b", 1, Action::Complained)],
            false,
            true,
            "eligibility.promotional.complained",
        ),
        (
            "hard bounce",
            vec![ev(&k, "a", 0, form()), ev(&k, "b", 1, Action::HardBounced)],
            false,
            false,
            "eligibility.undeliverable",
        ),
        (
            "account cancelled",
            vec![
                ev(&k, "a", 0, form()),
                ev(&k, "b", 1, Action::AccountCancelled),
            ],
            false,
            false,
            "eligibility.account_cancelled",
        ),
    ];
    for (name, events, promo, trans, rule) in table {
        let s = state(&k, &events);
        let d = ctx().decide(&s, &newsletter());
        assert_eq!(d.is_send(), promo, "{name}: newsletter {d:?}");
        assert_eq!(rules(&d)[0], rule, "{name}");
        let d = ctx().decide(&s, &receipt());
        assert_eq!(d.is_send(), trans, "{name}: receipt {d:?}");
    }
}

#[test]
fn promotional_requirements_include_the_ad_label_without_affirmative_consent() {
    let k = key("acme", "news", "ann@example.com");
    let d = ctx().decide(&state(&k, &[ev(&k, "a", 0, form())]), &newsletter());
    let requirements = d.requirements().to_vec();
    assert!(d.is_send(), "{d:?}");
    assert_eq!(
        requirements,
        [
            Requirement::UnsubscribeLink,
            Requirement::PostalAddress,
            Requirement::ListUnsubscribeHeader,
            Requirement::OneClickPost
        ]
    );
    let d = ctx().decide(&state(&k, &[ev(&k, "a", 0, customer())]), &newsletter());
    let requirements = d.requirements().to_vec();
    assert!(d.is_send(), "{d:?}");
    assert!(requirements.contains(&Requirement::AdvertisementLabel));
    let d = ctx().decide(&state(&k, &[ev(&k, "a", 0, form())]), &receipt());
    let requirements = d.requirements().to_vec();
    assert!(d.is_send(), "{d:?}");
    assert!(requirements.is_empty());
}

#[test]
fn weak_evidence_fails_closed_unless_the_host_allows_it() {
    let k = key("acme", "news", "ann@example.com");
    let mut e = ev(&k, "a", 0, form());
    e.evidence = Evidence::default();
    let s = state(&k, &[e]);
    let d = ctx().decide(&s, &newsletter());
    assert_eq!(rules(&d), ["eligibility.promotional.weak_evidence"]);
    assert!(ctx()
        .with_weak_evidence_allowed(true)
        .decide(&s, &newsletter())
        .is_send());
    assert!(ctx().decide(&s, &receipt()).is_send());
}

#[test]
fn a_state_for_another_list_never_authorises_a_send() {
    let other = key("acme", "offers", "ann@example.com");
    let s = state(&other, &[ev(&other, "a", 0, form())]);
    let d = ctx().decide(&s, &newsletter());
    assert_eq!(rules(&d)[0], "eligibility.key_mismatch");
    assert!(!ctx().decide(&s, &receipt()).is_send());
}

#[test]
fn plan_counts_each_rule_once_per_recipient() {
    let ann = addr("ann@example.com");
    let mut index = SuppressionIndex::new();
    index.insert(&ann, &Scope::Global, SuppressionKind::HardBounce);
    index.insert(&ann, &Scope::Global, SuppressionKind::SoftBounceStreak);
    index.insert(&ann, &Scope::Global, SuppressionKind::HardBounce); // duplicate
    let permission = Some(consentry::eligibility::PermissionSummary {
        express: true,
        weak_evidence: false,
        kind: consentry::eligibility::PermissionKind::Express,
        lapses_at: None,
    });
    let members = [AudienceMember {
        address: &ann,
        permission,
        regime: None,
    }];
    let p = plan(members, &index, &newsletter(), &ctx());
    assert_eq!(p.counts.get("eligibility.undeliverable"), Some(&1));
    assert_eq!(p.suppressed[0].reasons().len(), 2);
    assert_eq!(index.lookup(&ann, &ctx().tenant, &ctx().list).len(), 2);
}

#[test]
fn plan_scopes_are_respected() {
    let ann = addr("ann@example.com");
    let (acme, news, offers) = (
        TenantId::new("acme").unwrap(),
        ListId::new("news").unwrap(),
        ListId::new("offers").unwrap(),
    );
    let globex = TenantId::new("globex").unwrap();
    let permitted = Some(consentry::eligibility::PermissionSummary {
        express: true,
        weak_evidence: false,
        kind: consentry::eligibility::PermissionKind::Express,
        lapses_at: None,
    });
    let member = || {
        [AudienceMember {
            address: &ann,
            permission: permitted,
            regime: None,
        }]
    };
    let mut index = SuppressionIndex::new();
    index.insert(
        &ann,
        &Scope::List(acme.clone(), offers.clone()),
        SuppressionKind::OptedOut,
    );
    index.insert(
        &ann,
        &Scope::Tenant(globex.clone()),
        SuppressionKind::Complaint,
    );
    assert_eq!(
        plan(member(), &index, &newsletter(), &ctx()).sendable.len(),
        1
    );
    let offers_ctx = SendContext::new(acme.clone(), offers, at(1000));
    assert!(plan(member(), &index, &newsletter(), &offers_ctx)
        .sendable
        .is_empty());
    let globex_ctx = SendContext::new(globex, news, at(1000));
    assert!(plan(member(), &index, &newsletter(), &globex_ctx)
        .sendable
        .is_empty());
    assert_eq!(
        plan(member(), &index, &receipt(), &globex_ctx)
            .sendable
            .len(),
        1
    );
}

// ---------------------------------------------------------------------------
// plan == decide, and opted-out addresses never get promotional mail

fn arb_actions() -> impl Strategy<Value = Vec<(u8, i64, bool)>> {
    prop::collection::vec((0u8..12, 0i64..300, any::<bool>()), 0..8)
}

fn action(code: u8) -> Action {
    match code {
        0 | 1 => form(),
        2 => requested(),
        3 => confirmed(),
        4 => customer(),
        5 => imported(),
        6 => opt_out(),
        7 => Action::Complained,
        8 => Action::HardBounced,
        9 => Action::SoftBounced,
        10 => Action::AccountCancelled,
        _ => Action::AccountReopened,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_planner_agrees_with_decide_for_every_recipient(
        people in prop::collection::vec(arb_actions(), 1..25),
        promotional in any::<bool>(),
    ) {
        let mut states = Vec::new();
        for (i, actions) in people.iter().enumerate() {
            let k = key("acme", "news", &format!("p{i}@example.com"));
            let other = key("acme", "offers", &format!("p{i}@example.com"));
            let events: Vec<ConsentEvent> = actions
                .iter()
                .enumerate()
                .map(|(j, (code, h, elsewhere))| {
                    ev(if *elsewhere { &other } else { &k }, &format!("e{i}-{j}"), *h, action(*code))
                })
                .collect();
            states.push(state(&k, &events));
        }
        let mut index = SuppressionIndex::new();
        for s in &states {
            index.insert_state(s);
        }
        let class = if promotional { newsletter() } else { receipt() };
        let p = plan(states.iter().map(AudienceMember::from_state), &index, &class, &ctx());
        for s in &states {
            let d = ctx().decide(s, &class);
            let planned = p.sendable.contains(&&s.key().address);
            prop_assert_eq!(d.is_send(), planned, "{:?} vs plan for {:?}", d, s.key().address);
            if !planned {
                let sup = p.suppressed.iter().find(|x| x.address == &s.key().address).unwrap();
                prop_assert_eq!(&sup.reasons(), &d.reasons().to_vec());
            }
        }
        let total: usize = p.suppressed.len() + p.sendable.len();
        prop_assert_eq!(total, states.len());
    }

    #[test]
    fn an_opted_out_address_never_gets_promotional_mail(
        before in arb_actions(),
        after in prop::collection::vec((0u8..12, any::<bool>()), 0..6),
        out_at in 0i64..300,
    ) {
        let k = key("acme", "news", "ann@example.com");
        let mut events: Vec<ConsentEvent> = before
            .iter()
            .enumerate()
            .map(|(j, (code, h, _))| ev(&k, &format!("b{j}"), (*h).min(out_at), action(*code)))
            .collect();
        events.push(ev(&k, "out", out_at, opt_out()));
        // After the opt-out: anything but an express act of the person.
        for (j, (code, _)) in after.iter().enumerate() {
            let a = action(*code);
            if matches!(&a, Action::OptedIn { basis } if basis.is_express()) {
                continue;
            }
            events.push(ev(&k, &format!("a{j}"), out_at + 1 + j as i64, a));
        }
        let s = state(&k, &events);
        prop_assert!(!ctx().decide(&s, &newsletter()).is_send());
        let mut index = SuppressionIndex::new();
        index.insert_state(&s);
        let p = plan([AudienceMember::from_state(&s)], &index, &newsletter(), &ctx());
        prop_assert!(p.sendable.is_empty());
    }
}

// ---------------------------------------------------------------------------
// The lint

/// Finish a message with the sender's one-click unsubscribe headers.
trait WithOneClick {
    fn with_one_click(self) -> OutboundMessage;
}

impl WithOneClick for consentry::MessageBuilder {
    fn with_one_click(self) -> OutboundMessage {
        self.header(
            "List-Unsubscribe",
            "<https://mail.shop.example/u?token=abc>",
        )
        .header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
        .build()
        .unwrap()
    }
}

fn lint_rules(msg: &OutboundMessage, p: &SenderProfile) -> Vec<String> {
    let c = CLASSIFIER.classify(&Message::from_outbound(msg, DeclaredKind::Unspecified));
    lint(msg, &c, p)
        .into_iter()
        .map(|i| i.rule.to_string())
        .collect()
}

#[test]
fn a_compliant_promotional_message_passes() {
    assert!(lint_rules(&good_promo(), &sender_profile()).is_empty());
    sender_profile().validate().unwrap();
}

#[test]
fn each_missing_element_is_reported() {
    let p = sender_profile();
    let base = || {
        OutboundMessage::builder(addr("deals@shop.example"), addr("ann@example.com"))
            .subject("Summer sale")
    };

    let no_footer = base().html("<p>30% off sandals.</p>").with_one_click();
    assert_eq!(
        lint_rules(&no_footer, &p),
        ["lint.unsubscribe_link", "lint.postal_address"]
    );

    let no_headers = base()
        .html(format!("<p>30% off.</p>{FOOTER}"))
        .build()
        .unwrap();
    assert_eq!(
        lint_rules(&no_headers, &p),
        ["lint.list_unsubscribe", "lint.list_unsubscribe_post"]
    );

    let http_only = base()
        .html(format!("<p>30% off.</p>{FOOTER}"))
        .header(
            "List-Unsubscribe",
            "<http://mail.shop.example/u?token=abc>, <mailto:u@shop.example>",
        )
        .header("List-Unsubscribe-Post", "List-Unsubscribe=one-click")
        .build()
        .unwrap();
    assert_eq!(
        lint_rules(&http_only, &p),
        ["lint.list_unsubscribe", "lint.list_unsubscribe_post"]
    );

    let foreign_link = base()
.html("<p>30% off.</p><p>Shop Inc, 100 Harbour Road, Portland 04101</p><a href=\"https://evil.example/unsubscribe\">Unsubscribe</a>")
.header("List-Unsubscribe", "<https://mail.shop.example/u?token=abc>")
.header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
.build().unwrap();
    assert_eq!(lint_rules(&foreign_link, &p), ["lint.unsubscribe_link"]);
}

#[test]
fn a_po_box_counts_as_a_postal_address() {
    let mut p = sender_profile();
    p.postal_address.street = None;
    p.postal_address.po_box = Some("PO Box 1234".into());
    let msg = OutboundMessage::builder(addr("deals@shop.example"), addr("ann@example.com"))
.subject("Summer sale")
.text("30% off.\nUnsubscribe: https://mail.shop.example/u?token=abc\nShop Inc., P.O. Box 1234, Portland, ME 04101")
.header("List-Unsubscribe", "<https://mail.shop.example/u?token=abc>")
.header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
.build().unwrap();
    assert!(
        lint_rules(&msg, &p).is_empty(),
        "{:?}",
        lint_rules(&msg, &p)
    );
}

#[test]
fn subjects_posing_as_transactional_and_foreign_senders_are_reported() {
    let p = sender_profile();
    let fake_reply = OutboundMessage::builder(addr("deals@shop.example"), addr("ann@example.com"))
        .subject("RE: our call")
        .html(format!("<p>Flash sale, 40% off.</p>{FOOTER}"))
        .with_one_click();
    assert_eq!(lint_rules(&fake_reply, &p), ["lint.deceptive_subject"]);

    let spoofed = good_promo().to_recipient(addr("ann@example.com"));
    let spoofed = OutboundMessage::builder(
        addr("deals@shop.example.evil.example"),
        addr("ann@example.com"),
    )
    .subject(spoofed.subject())
    .reply_to(addr("replies@elsewhere.example"))
    .html(spoofed.html().unwrap())
    .header(
        "List-Unsubscribe",
        "<https://mail.shop.example/u?token=abc>",
    )
    .header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    .build()
    .unwrap();
    assert_eq!(
        lint_rules(&spoofed, &p),
        ["lint.from_domain", "lint.reply_to_domain"]
    );

    let receipt = OutboundMessage::builder(addr("orders@other.example"), addr("ann@example.com"))
        .subject("Your receipt")
        .text("Thank you for your order.")
        .build()
        .unwrap();
    assert_eq!(lint_rules(&receipt, &p), ["lint.from_domain"]);
}

#[test]
fn incomplete_profiles_are_refused() {
    let mut p = sender_profile();
    p.postal_address.street = None;
    assert!(p.validate().is_err());
    let mut p = sender_profile();
    p.domains = vec!["not a domain".into()];
    assert!(p.validate().is_err());
}

// ---------------------------------------------------------------------------
// The driver's send

fn seeded<M: Mailer>(mailer: M) -> Driver<MemoryStore, M> {
    let d = Driver::new(MemoryStore::new(), mailer, LedgerPolicy::default());
    let ann = key("acme", "news", "ann@example.com");
    let bob = key("acme", "news", "bob@example.com");
    d.record(&ev(&ann, "a1", 0, form())).unwrap();
    d.record(&ev(&bob, "b1", 0, form())).unwrap();
    d.record(&ev(&bob, "b2", 1, opt_out())).unwrap();
    d
}

#[test]
fn the_driver_sends_only_to_eligible_recipients_and_dedups() {
    let d = seeded(RecordingMailer::new());
    let p = sender_profile();
    let ctx = ctx();
    let audience = [
        addr("ann@example.com"),
        addr("ANN@example.com"),
        addr("bob@example.com"),
    ];
    let promo = good_promo();
    let campaign = promotion(&promo, &ctx, &p);
    let report = d.send(&campaign, &audience, &CLASSIFIER).unwrap();
    assert!(!report.blocked);
    assert_eq!(report.sent, [addr("ann@example.com")]);
    assert_eq!(report.suppressed.len(), 1);
    assert_eq!(d.mailer().sent().len(), 1);
    assert_eq!(d.mailer().sent()[0].to().as_str(), "ann@example.com");

    // The opted-out person still gets the receipt.
    let receipt = OutboundMessage::builder(addr("orders@shop.example"), addr("x@shop.example"))
        .subject("Your receipt")
        .text("Thank you for your order. Order total: $3.")
        .build()
        .unwrap();
    let campaign = Campaign {
        template: &receipt,
        declared: DeclaredKind::Transactional(TransactionalCategory::Transaction),
        ..campaign
    };
    let report = d.send(&campaign, &audience, &CLASSIFIER).unwrap();
    assert_eq!(report.sent.len(), 2);
}

/// A store that counts its reads, to see how a send reads its audience.
struct CountingStore {
    inner: MemoryStore,
    reads: std::sync::atomic::AtomicUsize,
}

impl consentry::ConsentStore for CountingStore {
    type Error = std::convert::Infallible;
    fn append(&self, event: &ConsentEvent) -> Result<consentry::AppendOutcome, Self::Error> {
        self.inner.append(event)
    }
    fn events_for(&self, address: &EmailAddress) -> Result<Vec<ConsentEvent>, Self::Error> {
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.events_for(address)
    }
    fn events_for_many(
        &self,
        addresses: &[&EmailAddress],
    ) -> Result<Vec<Vec<ConsentEvent>>, Self::Error> {
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.events_for_many(addresses)
    }
}

#[test]
fn a_large_audience_is_read_in_chunks_and_decided_alike() {
    use consentry::ConsentStore as _;
    let store = CountingStore {
        inner: MemoryStore::new(),
        reads: std::sync::atomic::AtomicUsize::new(0),
    };
    let d = Driver::new(store, RecordingMailer::new(), LedgerPolicy::default());
    let n = 300;
    let mut expected_sent = Vec::new();
    for i in 0..n {
        let a = format!("p{i}@example.com");
        let k = key("acme", "news", &a);
        if i % 5 != 0 {
            d.record(&ev(&k, &format!("in{i}"), 0, form())).unwrap();
        }
        if i % 7 == 0 {
            d.record(&ev(&k, &format!("out{i}"), 1, opt_out())).unwrap();
        }
        if i % 11 == 0 {
            d.record(&ev(&k, &format!("hb{i}"), 1, Action::HardBounced))
                .unwrap();
        }
        if i % 5 != 0 && i % 7 != 0 && i % 11 != 0 {
            expected_sent.push(addr(&a));
        }
    }
    // Every address twice: the second time in capitals, a hundred or so
    // places later, across the chunk boundaries.
    let mut audience: Vec<EmailAddress> = Vec::new();
    for i in 0..n + 100 {
        if i < n {
            audience.push(addr(&format!("p{i}@example.com")));
        }
        if i >= 100 {
            audience.push(addr(&format!("P{}@EXAMPLE.com", i - 100)));
        }
    }
    let p = sender_profile();
    let ctx = ctx();
    let promo = good_promo();
    let campaign = promotion(&promo, &ctx, &p);
    let before = d.store().reads.load(std::sync::atomic::Ordering::Relaxed);
    let report = d.send(&campaign, &audience, &CLASSIFIER).unwrap();
    let reads = d.store().reads.load(std::sync::atomic::Ordering::Relaxed) - before;
    assert_eq!(report.sent, expected_sent);
    assert_eq!(report.sent.len() + report.suppressed.len(), n);
    assert_eq!(d.mailer().sent().len(), expected_sent.len());
    // Each recipient decided as its own state decides it.
    for (a, _) in &report.suppressed {
        let state = d.state(&key("acme", "news", a.as_str()), ctx.now).unwrap();
        assert!(!state.permits_promotional(), "{a} was suppressed");
    }
    assert!(reads * 10 < n, "{reads} store reads for {n} recipients");
    // The store's many-at-once answer is what one-at-a-time gives.
    let refs: Vec<&EmailAddress> = audience.iter().collect();
    let many = d.store().events_for_many(&refs).unwrap();
    for (a, list) in audience.iter().zip(many) {
        assert_eq!(list, d.store().events_for(a).unwrap());
    }
}

/// A store that breaks the lending contract: it lends a chunk backwards,
/// lends its first address twice (the second time with no events) and
/// never lends its last.
struct SloppyLender(MemoryStore);

impl consentry::ConsentStore for SloppyLender {
    type Error = std::convert::Infallible;
    fn append(&self, event: &ConsentEvent) -> Result<consentry::AppendOutcome, Self::Error> {
        self.0.append(event)
    }
    fn events_for(&self, address: &EmailAddress) -> Result<Vec<ConsentEvent>, Self::Error> {
        self.0.events_for(address)
    }
    fn lend_events_for_many(
        &self,
        addresses: &[&EmailAddress],
        each: &mut dyn FnMut(usize, &[ConsentEvent]),
    ) -> Result<(), Self::Error> {
        let n = addresses.len();
        for i in (0..n.saturating_sub(1)).rev() {
            each(i, &self.0.events_for(addresses[i])?);
        }
        if n > 0 {
            each(0, &[]);
        }
        Ok(())
    }
}

#[test]
fn a_store_that_lends_out_of_order_still_gets_one_decision_per_recipient() {
    let honest = Driver::new(
        MemoryStore::new(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    let sloppy = Driver::new(
        SloppyLender(MemoryStore::new()),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    let n = 70;
    for i in 0..n {
        let k = key("acme", "news", &format!("p{i}@example.com"));
        let mut events = vec![ev(&k, &format!("in{i}"), 0, form())];
        if i % 3 == 0 {
            events.push(ev(&k, &format!("out{i}"), 1, opt_out()));
        }
        for e in &events {
            honest.record(e).unwrap();
            sloppy.record(e).unwrap();
        }
    }
    let audience: Vec<EmailAddress> = (0..n).map(|i| addr(&format!("p{i}@example.com"))).collect();
    let p = sender_profile();
    let ctx = ctx();
    let promo = good_promo();
    let campaign = promotion(&promo, &ctx, &p);
    let want = honest.send(&campaign, &audience, &CLASSIFIER).unwrap();
    let got = sloppy.send(&campaign, &audience, &CLASSIFIER).unwrap();
    assert_eq!(got.sent, want.sent);
    assert_eq!(got.suppressed, want.suppressed);
    assert_eq!(want.sent.len() + want.suppressed.len(), n);
    assert_eq!(sloppy.mailer().sent().len(), want.sent.len());
}

#[test]
fn erased_people_stay_suppressed_in_a_large_send() {
    let d = salted_driver(LedgerPolicy::default());
    let n = 100;
    for i in 0..n {
        let k = key("acme", "news", &format!("p{i}@example.com"));
        d.record(&ev(&k, &format!("in{i}"), 0, form())).unwrap();
        if i % 9 == 4 {
            // Opted out, erased, then re-imported by the tenant: the kept
            // opt-out must still win in every chunk of the send.
            d.record(&ev(&k, &format!("out{i}"), 1, opt_out())).unwrap();
            d.erase(&k.address).unwrap();
            d.record(&ev(&k, &format!("re{i}"), 2, imported())).unwrap();
        }
    }
    let audience: Vec<EmailAddress> = (0..n).map(|i| addr(&format!("p{i}@example.com"))).collect();
    let p = sender_profile();
    let ctx = ctx();
    let promo = good_promo();
    let campaign = promotion(&promo, &ctx, &p);
    let report = d.send(&campaign, &audience, &CLASSIFIER).unwrap();
    let erased: Vec<EmailAddress> = (0..n)
        .filter(|i| i % 9 == 4)
        .map(|i| addr(&format!("p{i}@example.com")))
        .collect();
    let suppressed: Vec<EmailAddress> = report.suppressed.iter().map(|(a, _)| a.clone()).collect();
    assert_eq!(suppressed, erased);
    // Suppressed because the kept opt-out is read back, not for any other
    // reason (the re-import alone would fail only the advertisement label).
    for (a, reasons) in &report.suppressed {
        assert!(
            reasons
                .iter()
                .any(|r| r.rule.as_str() == "eligibility.promotional.opted_out"),
            "{a}: {reasons:?}"
        );
    }
    assert_eq!(report.sent.len(), n - erased.len());
}

#[test]
fn a_promotional_message_with_lint_errors_is_not_sent_at_all() {
    let d = seeded(RecordingMailer::new());
    let p = sender_profile();
    let ctx = ctx();
    let bad = OutboundMessage::builder(addr("deals@shop.example"), addr("x@shop.example"))
        .subject("Summer sale")
        .text("30% off sandals.")
        .build()
        .unwrap();
    let campaign = Campaign {
        template: &bad,
        declared: DeclaredKind::Unspecified,
        context: &ctx,
        profile: &p,
        personalise: None,
        jurisdiction: None,
    };
    let report = d
        .send(&campaign, &[addr("ann@example.com")], &CLASSIFIER)
        .unwrap();
    assert!(report.blocked);
    assert!(report.sent.is_empty());
    assert!(d.mailer().sent().is_empty());
    assert!(report.lint.len() >= 4);
}

#[test]
fn mailer_failures_are_reported_per_recipient() {
    let d = seeded(RecordingMailer::failing());
    let p = sender_profile();
    let ctx = ctx();
    let promo = good_promo();
    let campaign = promotion(&promo, &ctx, &p);
    let report = d
        .send(&campaign, &[addr("ann@example.com")], &CLASSIFIER)
        .unwrap();
    assert!(report.sent.is_empty());
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].1.address, "ann@example.com");

    // One recipient's failure does not stop the others.
    let d = seeded(RecordingMailer::failing_for([&addr("Ann@Example.com")]));
    d.record(&ev(&key("acme", "news", "cy@example.com"), "c1", 0, form()))
        .unwrap();
    let report = d
        .send(
            &campaign,
            &[addr("ann@example.com"), addr("cy@example.com")],
            &CLASSIFIER,
        )
        .unwrap();
    assert_eq!(report.sent, [addr("cy@example.com")]);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(d.mailer().sent().len(), 1);
}

#[test]
fn a_state_derived_at_another_instant_is_refused_for_every_class() {
    let k = key("acme", "news", "ann@example.com");
    let events = [ev(&k, "a", 0, form())];
    let stale = ConsentState::replay(&k, &events, &LedgerPolicy::default(), at(900));
    for class in [newsletter(), receipt()] {
        let d = ctx().decide(&stale, &class);
        assert!(!d.is_send(), "{d:?}");
        assert!(d.has_rule("eligibility.state_out_of_date"), "{d:?}");
    }
    // Replayed at the decision's own instant, the same history sends.
    assert!(ctx().decide(&state(&k, &events), &newsletter()).is_send());
}

#[test]
fn a_recipient_whose_personalised_copy_fails_gets_its_own_rule() {
    let d = seeded(RecordingMailer::new());
    let p = sender_profile();
    let ctx = ctx();
    let personalise = |m: &OutboundMessage, _: &EmailAddress| {
        m.to_builder()
            .header("X-Note", "line\r\nBcc: all@example.com")
            .build()
    };
    let campaign = Campaign {
        template: &good_promo(),
        declared: DeclaredKind::Unspecified,
        context: &ctx,
        profile: &p,
        personalise: Some(&personalise),
        jurisdiction: None,
    };
    let report = d
        .send(&campaign, &[addr("ann@example.com")], &CLASSIFIER)
        .unwrap();
    assert!(report.sent.is_empty());
    let (who, reasons) = &report.suppressed[0];
    assert_eq!(who, &addr("ann@example.com"));
    assert_eq!(
        reasons[0].rule.as_str(),
        "eligibility.personalisation_failed"
    );
}

#[test]
fn implied_consent_recipients_need_an_ad_label() {
    let d = Driver::new(
        MemoryStore::new(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    let k = key("acme", "news", "quinn@example.com");
    d.record(&ev(&k, "q1", 0, customer())).unwrap();
    let p = sender_profile();
    let ctx = ctx();
    let promo = good_promo();
    let campaign = promotion(&promo, &ctx, &p);
    let report = d
        .send(&campaign, std::slice::from_ref(&k.address), &CLASSIFIER)
        .unwrap();
    assert!(report.sent.is_empty());
    assert_eq!(
        report.suppressed[0].1[0].rule.as_str(),
        "lint.advertisement_label"
    );

    let labelled = OutboundMessage::builder(addr("deals@shop.example"), addr("x@shop.example"))
        .subject("Summer sale")
        .html(format!("<p>Advertisement. 30% off sandals.</p>{FOOTER}"))
        .with_one_click();
    let campaign = Campaign {
        template: &labelled,
        ..campaign
    };
    let report = d
        .send(&campaign, std::slice::from_ref(&k.address), &CLASSIFIER)
        .unwrap();
    assert_eq!(report.sent.len(), 1);
}

#[test]
fn personalisation_gives_each_recipient_their_own_message() {
    let d = seeded(RecordingMailer::new());
    let p = sender_profile();
    let ctx = ctx();
    let personalise = |m: &OutboundMessage, to: &EmailAddress| {
        m.to_builder()
            .header("X-Recipient-Token", format!("tok-{}", to.local_part()))
            .build()
    };
    let campaign = Campaign {
        template: &good_promo(),
        declared: DeclaredKind::Unspecified,
        context: &ctx,
        profile: &p,
        personalise: Some(&personalise),
        jurisdiction: None,
    };
    d.send(&campaign, &[addr("ann@example.com")], &CLASSIFIER)
        .unwrap();
    assert_eq!(
        d.mailer().sent()[0].header("X-Recipient-Token"),
        Some("tok-ann")
    );
}

proptest! {
    #[test]
    fn lint_never_panics_on_arbitrary_bodies(text in ".{0,300}", html in ".{0,300}", lu in ".{0,80}") {
        let mut m = OutboundMessage::builder(addr("deals@shop.example"), addr("ann@example.com"))
.subject("Summer sale")
.build().unwrap();
        if let Ok(with) = m.to_builder().text(text).build() { m = with; }
        if let Ok(with) = m.to_builder().html(html).build() { m = with; }
        if let Ok(with) = m.to_builder().header("List-Unsubscribe", lu).build() { m = with; }
        let c = CLASSIFIER.classify(&Message::from_outbound(&m, DeclaredKind::Unspecified));
        let _ = lint(&m, &c, &sender_profile());
    }
}

/// `Driver::send` checks requirements once per template when nothing is
/// personalised: that is only right while no requirement looks at the
/// recipient. This pins it for every requirement, on a compliant message
/// and on a bare one.
#[test]
fn no_requirement_depends_on_the_recipient() {
    use consentry::eligibility::{check_requirements, Requirement};
    let mut p = sender_profile();
    p.business_name = Some("Shop Example".into());
    p.contact = Some("help@shop.example".into());
    let every = [
        Requirement::UnsubscribeLink,
        Requirement::PostalAddress,
        Requirement::ListUnsubscribeHeader,
        Requirement::OneClickPost,
        Requirement::AdvertisementLabel,
        Requirement::SenderIdentification,
        Requirement::ContactInformation,
    ];
    let bare = OutboundMessage::builder(addr("deals@news.shop.example"), addr("ann@example.com"))
        .subject("Hello")
        .text("Hi there.")
        .build()
        .unwrap();
    for template in [good_promo(), bare] {
        let on_template = check_requirements(&template, &every, &p);
        for to in [
            "bob@example.com",
            "Shop.Example@help.shop.example",
            "x@100-harbour-road.example",
        ] {
            let copy = template.to_recipient(addr(to));
            assert_eq!(check_requirements(&copy, &every, &p), on_template, "{to}");
        }
    }
}
