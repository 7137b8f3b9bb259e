//! One campaign, four countries: how and why the law of the recipient
//! changes the answer.
//!
//! Seven people live in the US, Canada, Germany and the UK; all but one
//! have a history a permission-based organisation accepts. The same newsletter goes to
//! all of them through the driver twice: once permission-based (the
//! default), once with the organisation choosing CAN-SPAM's opt-out model
//! where it is lawful. Each recipient's outcome is printed with the rules
//! that decided it, then each regime's opt-out deadline for an unsubscribe
//! received now.
//!
//! Run with `cargo run --example jurisdictions`.

use chrono::{Months, TimeZone, Utc};
use consentry::classify::{Classifier, DeclaredKind};
use consentry::eligibility::{PostalAddress, SendContext, SenderProfile};
use consentry::jurisdiction::{opt_out_deadlines, Jurisdiction, OrgStance, Regime};
use consentry::{
    Action, Basis, Campaign, ConsentEvent, ConsentKey, Driver, EmailAddress, EventId, Evidence,
    ImpliedGround, LedgerPolicy, ListId, MemoryStore, OutboundMessage, RecordingMailer, TenantId,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now = Utc
        .with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
        .single()
        .ok_or("date")?;
    let tenant = TenantId::new("acme-shop")?;
    let list = ListId::new("weekly-deals")?;
    // This organisation uses CASL's implied consent (off by default).
    let policy = LedgerPolicy::builder()
        .implied_consent_counts(true)
        .build()?;
    let driver = Driver::new(MemoryStore::new(), RecordingMailer::new(), policy);
    let evidence = Evidence::from_form("https://acme-shop.example/signup".parse()?, "2026-01");
    let months_ago = |m: u32| now.checked_sub_months(Months::new(m)).unwrap_or(now);

    // Who, where, and what their history holds.
    let people: [(&str, &str, Option<Basis>, &str); 7] = [
        (
            "ana@example.com",
            "US",
            Some(Basis::ExpressForm),
            "signed up with the form",
        ),
        (
            "gus@example.com",
            "US",
            None,
            "a customer with no opt-in on record",
        ),
        (
            "ben@example.com",
            "US",
            Some(Basis::Imported {
                attestation: "trade-show badge scans".into(),
            }),
            "imported from a trade show",
        ),
        (
            "chloe@example.ca",
            "CA",
            Some(Basis::Implied {
                ground: ImpliedGround::Purchase,
                on: months_ago(14),
            }),
            "bought 14 months ago (implied consent)",
        ),
        (
            "dan@example.ca",
            "CA",
            Some(Basis::Implied {
                ground: ImpliedGround::Inquiry,
                on: months_ago(8),
            }),
            "asked a question 8 months ago (implied consent)",
        ),
        (
            "erik@example.de",
            "DE",
            Some(Basis::Imported {
                attestation: "partner list".into(),
            }),
            "imported from a partner list",
        ),
        (
            "fay@example.co.uk",
            "GB",
            Some(Basis::ExistingCustomer),
            "existing customer (soft opt-in)",
        ),
    ];
    let mut audience = Vec::new();
    let mut wheres = Vec::new();
    for (i, (address, country, basis, _)) in people.iter().enumerate() {
        let address = EmailAddress::parse(address)?;
        let key = ConsentKey::new(tenant.clone(), list.clone(), address.clone());
        if let Some(basis) = basis {
            driver.record(
                &ConsentEvent::new(
                    EventId::new(format!("in-{i}"))?,
                    months_ago(3),
                    &key,
                    Action::OptedIn {
                        basis: basis.clone(),
                    },
                )
                .with_evidence(evidence.clone()),
            )?;
        }
        wheres.push((address.clone(), Jurisdiction::new(country)?));
        audience.push(address);
    }
    let jurisdiction_of =
        |a: &EmailAddress| wheres.iter().find(|(w, _)| w == a).map(|(_, j)| j.clone());

    let profile = SenderProfile {
        domains: vec!["acme-shop.example".into()],
        postal_address: PostalAddress {
            street: Some("100 Harbour Road".into()),
            po_box: None,
            city: "Portland".into(),
            region: Some("ME".into()),
            postal_code: "04101".into(),
            country: "US".into(),
        },
        unsubscribe_url_prefix: None,
        business_name: Some("Acme Shop Inc.".into()),
        contact: Some("help@acme-shop.example".into()),
    };
    let newsletter = OutboundMessage::builder(
        EmailAddress::parse("deals@acme-shop.example")?,
        EmailAddress::parse("placeholder@acme-shop.example")?,
    )
    .subject("Advertisement: this week's deals")
    .text(
        "30% off sandals this week. Shop now: https://acme-shop.example/deals\n\
         Acme Shop Inc., 100 Harbour Road, Portland, ME 04101, US. Questions: help@acme-shop.example\n\
         Unsubscribe: https://acme-shop.example/unsubscribe?t=1",
    )
    .header(
        "List-Unsubscribe",
        "<https://acme-shop.example/unsubscribe?t=1>",
    )
    .header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    .build()?;
    let classifier = Classifier::default();

    for stance in [OrgStance::PermissionBased, OrgStance::OptOutWhereLawful] {
        let ctx = SendContext::new(tenant.clone(), list.clone(), now)
            .with_weak_evidence_allowed(true)
            .with_stance(stance);
        let campaign = Campaign {
            template: &newsletter,
            declared: DeclaredKind::Promotional,
            context: &ctx,
            profile: &profile,
            personalise: None,
            jurisdiction: Some(&jurisdiction_of),
        };
        let report = driver.send(&campaign, &audience, &classifier)?;
        println!("== organisation stance: {stance:?}");
        for (address, country, _, history) in &people {
            let sent = report.sent.iter().any(|a| a.as_str() == *address);
            println!(
                "{} {address} ({country}, {history})",
                if sent { "SENT      " } else { "SUPPRESSED" }
            );
            if let Some((_, reasons)) = report
                .suppressed
                .iter()
                .find(|(a, _)| a.as_str() == *address)
            {
                for r in reasons {
                    println!("             {r}");
                }
            }
        }
        println!();
    }

    println!("== an unsubscribe received {now} takes effect by");
    for regime in Regime::ALL {
        let d = opt_out_deadlines(regime, 2026..=2027)?.decide(now);
        println!(
            "   {:<40} {}  [{}]",
            regime.to_string(),
            d.outcome().at,
            d.rule()
        );
    }
    Ok(())
}
