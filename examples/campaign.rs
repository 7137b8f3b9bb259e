//! The main job: who may get this newsletter, who may get this receipt, and why.
//!
//! Loads `examples/data/campaign.json` (a tenant, a list, the sender's
//! profile and 30 contacts whose histories cover every state), records the
//! events through the driver, plans a promotional newsletter and a
//! transactional receipt for the whole list, prints a per-reason summary and
//! every suppressed address with its reasons, then sends both through the
//! driver (to a recording mailer) and checks the send matches the plan.
//!
//! Run with `cargo run --example campaign`.

use std::collections::BTreeMap;

use consentry::classify::{Classifier, DeclaredKind, Message, TransactionalCategory};
use consentry::eligibility::{plan, AudienceMember, SendContext, SuppressionIndex};
use consentry::{
    Campaign, ConsentKey, ConsentState, Driver, EmailAddress, LedgerPolicy, MemoryStore,
    OutboundMessage, RecordingMailer,
};

#[path = "support/fixture.rs"]
mod fixture;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fixture = fixture::load()?;
    let (tenant, list) = fixture.ids()?;
    let now = fixture.now;

    // 1. Record every event through the driver (validated, deduplicated).
    let driver = Driver::new(
        MemoryStore::new(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    let mut audience = Vec::new();
    let mut notes = BTreeMap::new();
    for contact in &fixture.contacts {
        let (address, events) = contact.events(&tenant, &list)?;
        for event in &events {
            driver.record(event)?;
        }
        notes.insert(address.canonical().to_owned(), contact.note.clone());
        audience.push(address);
    }

    // 2. Derive each contact's state for this list, and the planner's index.
    let states: Vec<ConsentState> = audience
        .iter()
        .map(|a| {
            driver.state(
                &ConsentKey::new(tenant.clone(), list.clone(), a.clone()),
                now,
            )
        })
        .collect::<Result<_, _>>()?;
    let mut index = SuppressionIndex::new();
    for s in &states {
        index.insert_state(s);
    }
    let ctx = SendContext::new(tenant.clone(), list.clone(), now);
    let classifier = Classifier::default();

    // 3. The two messages.
    let from = EmailAddress::parse("deals@acme-shop.example")?;
    let placeholder = EmailAddress::parse("recipient@acme-shop.example")?;
    let newsletter = OutboundMessage::builder(from.clone(), placeholder.clone())
.subject("Summer sale: 30% off sandals")
.html(
            "<h1>Summer sale</h1><p>30% off all sandals until Sunday. Shop now!</p>\
             <footer><p>This is an advertisement from Acme Shop, 100 Harbour Road, Portland, ME 04101, USA.</p>\
             <p><a href=\"https://mail.acme-shop.example/unsubscribe?token=TOKEN\">Unsubscribe</a></p></footer>",
        )
.header("List-Unsubscribe", "<https://mail.acme-shop.example/unsubscribe?token=TOKEN>")
.header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
.build()?;
    let receipt = OutboundMessage::builder(from, placeholder)
.subject("Your order #58213")
.text(
        "Thank you for your order. Order total: $42.00. It has been shipped; tracking number 1Z58213.",
    )
.build()?;

    for (title, message, declared) in [
        ("NEWSLETTER", &newsletter, DeclaredKind::Unspecified),
        (
            "RECEIPT",
            &receipt,
            DeclaredKind::Transactional(TransactionalCategory::Transaction),
        ),
    ] {
        let classification = classifier.classify(&Message::from_outbound(message, declared));
        println!("== {title}: \"{}\"", message.subject());
        if let Some(reason) = classification.reasons().first() {
            println!("   classified {}: {reason}", classification.outcome());
        }

        let members = states.iter().map(AudienceMember::from_state);
        let p = plan(members, &index, &classification, &ctx);
        println!(
            "   {} of {} recipients may be sent to; requirements: {:?}",
            p.sendable.len(),
            audience.len(),
            p.requirements
        );
        println!("   suppressed, per reason:");
        for (rule, n) in &p.counts {
            println!("     {n:>3}  {rule}");
        }
        println!("   every suppressed address:");
        for s in &p.suppressed {
            let why: Vec<String> = s.reasons().iter().map(|r| r.to_string()).collect();
            println!(
                "     {:<26} ({})\n        {}",
                s.address.as_str(),
                notes.get(s.address.canonical()).map_or("", String::as_str),
                why.join("\n        ")
            );
        }

        // 4. The real send through the driver must match the plan.
        let campaign = Campaign {
            template: message,
            declared,
            context: &ctx,
            profile: &fixture.sender,
            personalise: None,
            jurisdiction: None,
        };
        let report = driver.send(&campaign, &audience, &classifier)?;
        if !report.lint.is_empty() {
            println!("   lint: {:?}", report.lint);
        }
        let planned: Vec<&str> = p.sendable.iter().map(|a| a.canonical()).collect();
        let sent: Vec<&str> = report.sent.iter().map(|a| a.canonical()).collect();
        if planned != sent {
            return Err(format!(
                "{title}: the send ({sent:?}) differs from the plan ({planned:?})"
            )
            .into());
        }
        println!(
            "   sent {} through the driver; matches the plan\n",
            report.sent.len()
        );
    }
    println!(
        "mailer recorded {} messages in all",
        driver.mailer().sent().len()
    );
    Ok(())
}
