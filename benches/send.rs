//! `Driver::send` per recipient beside `plan` per recipient, same audience
//! and histories, mailer excluded (a mailer that drops every message).
//! 100,000 recipients in the memory store, each with an opt-in and one in
//! ten opted out; a promotional newsletter that passes the lint. Rounds
//! alternate the order; the figure is send ÷ plan per round, min / median /
//! max.
//!
//! `cargo bench --bench send` (`ROUNDS`, default 5; `AUDIENCE`, default
//! 100000).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::convert::Infallible;

use chrono::{TimeDelta, TimeZone, Utc};
use common::{alternate, median, rounds, stats};
use consentry::classify::{Classifier, DeclaredKind};
use consentry::eligibility::{
    plan, AudienceMember, PostalAddress, SendContext, SenderProfile, SuppressionIndex,
};
use consentry::{
    Action, Basis, Campaign, ConsentEvent, ConsentKey, ConsentState, Driver, EmailAddress, EventId,
    Evidence, LedgerPolicy, ListId, Mailer, MemoryStore, OptOutChannel, OutboundMessage, TenantId,
};

/// Delivery excluded from the measurement.
struct DropMailer;
impl Mailer for DropMailer {
    type Error = Infallible;
    fn deliver(&self, message: &OutboundMessage) -> Result<(), Infallible> {
        std::hint::black_box(message);
        Ok(())
    }
}

fn main() {
    let rounds = rounds(5);
    let n: usize = std::env::var("AUDIENCE")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(100_000);
    let tenant = TenantId::new("acme").unwrap();
    let list = ListId::new("news").unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let now = t0 + TimeDelta::days(30);
    let driver = Driver::new(MemoryStore::new(), DropMailer, LedgerPolicy::default());
    let audience: Vec<EmailAddress> = (0..n)
        .map(|i| {
            EmailAddress::parse(&format!("subscriber.{i:07}@mail{}.example.com", i % 97)).unwrap()
        })
        .collect();
    let evidence = Evidence::from_form("https://acme.example/signup".parse().unwrap(), "2026-01");
    let mut events = Vec::with_capacity(n + n / 10);
    for (i, a) in audience.iter().enumerate() {
        let key = ConsentKey::new(tenant.clone(), list.clone(), a.clone());
        events.push(
            ConsentEvent::new(
                EventId::new(format!("in-{i}")).unwrap(),
                t0,
                &key,
                Action::OptedIn {
                    basis: Basis::ExpressForm,
                },
            )
            .with_evidence(evidence.clone()),
        );
        if i % 10 == 3 {
            events.push(ConsentEvent::new(
                EventId::new(format!("out-{i}")).unwrap(),
                t0 + TimeDelta::days(1),
                &key,
                Action::OptedOut {
                    via: OptOutChannel::OneClick,
                },
            ));
        }
    }
    driver.record_batch(&events).unwrap();
    // The planner's inputs, built once (as a host building its index would).
    let states: Vec<ConsentState> = audience
        .iter()
        .map(|a| {
            driver
                .state(
                    &ConsentKey::new(tenant.clone(), list.clone(), a.clone()),
                    now,
                )
                .unwrap()
        })
        .collect();
    let mut index = SuppressionIndex::with_capacity(n / 10);
    for s in &states {
        index.insert_state(s);
    }
    index.shrink_to_fit();

    let profile = SenderProfile {
        domains: vec!["acme.example".into()],
        postal_address: PostalAddress {
            street: Some("100 Harbour Road".into()),
            po_box: None,
            city: "Portland".into(),
            region: Some("ME".into()),
            postal_code: "04101".into(),
            country: "US".into(),
        },
        unsubscribe_url_prefix: None,
        business_name: None,
        contact: None,
    };
    let template = OutboundMessage::builder(
        EmailAddress::parse("news@acme.example").unwrap(),
        EmailAddress::parse("x@acme.example").unwrap(),
    )
    .subject("This week's deals")
    .text("30% off sandals. Shop now.\n100 Harbour Road, Portland, ME 04101, US\nUnsubscribe: https://acme.example/u?t=1")
    .header("List-Unsubscribe", "<https://acme.example/u?t=1>")
    .header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    .build()
    .unwrap();
    let classifier = Classifier::default();
    let ctx = SendContext::new(tenant.clone(), list.clone(), now);
    let classification = classifier.classify(&consentry::classify::Message::from_outbound(
        &template,
        DeclaredKind::Promotional,
    ));
    let campaign = Campaign {
        template: &template,
        declared: DeclaredKind::Promotional,
        context: &ctx,
        profile: &profile,
        personalise: None,
        jurisdiction: None,
    };
    let check = driver.send(&campaign, &audience, &classifier).unwrap();
    assert!(!check.blocked, "{:?}", check.lint);
    let planned = plan(
        states.iter().map(AudienceMember::from_state),
        &index,
        &classification,
        &ctx,
    );
    assert_eq!(check.sent.len(), planned.sendable.len());

    let (mut s, mut p) = alternate(
        rounds,
        || {
            std::hint::black_box(
                driver
                    .send(&campaign, &audience, &classifier)
                    .unwrap()
                    .sent
                    .len(),
            );
        },
        || {
            std::hint::black_box(
                plan(
                    states.iter().map(AudienceMember::from_state),
                    &index,
                    &classification,
                    &ctx,
                )
                .sendable
                .len(),
            );
        },
    );
    let mut ratios: Vec<f64> = s.iter().zip(&p).map(|(a, b)| a / b).collect();
    let (lo, mid, hi) = stats(&mut ratios);
    println!(
        "{n} recipients: send {:.0} ns a recipient, plan {:.0} ns; send ÷ plan {lo:.0} / {mid:.0} / {hi:.0}",
        median(&mut s) / n as f64 * 1e9,
        median(&mut p) / n as f64 * 1e9,
    );
}
