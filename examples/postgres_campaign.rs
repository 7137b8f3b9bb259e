//! The campaign on PostgreSQL, as one of several application instances
//! would run it.
//!
//! Records the fixture's 30 histories (`examples/data/campaign.json`) in
//! one batch (re-running appends nothing), loads the campaign's audience
//! and suppression index in one streamed read, plans the newsletter, then
//! records a one-click unsubscribe from the first recipient, so the next run
//! has one recipient fewer.
//!
//! Run against a local server with
//! `CONSENTRY_PG_URL=postgres://user@127.0.0.1:5432/db cargo run --example postgres_campaign`
//! (`DATABASE_URL` is read too). `.ci/run` runs it against the server it
//! starts.

use chrono::TimeDelta;
use consentry::classify::{Classifier, Message};
use consentry::edge::postgres::PgStore;
use consentry::eligibility::{plan, SendContext};
use consentry::{
    Action, AppendOutcome, AsyncDriver, ConsentEvent, ConsentKey, EventId, LedgerPolicy,
    OptOutChannel, RecordingMailer,
};

#[path = "support/fixture.rs"]
#[allow(dead_code)] // the notes are printed by the in-memory campaign example
mod fixture;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(url) = std::env::var("CONSENTRY_PG_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .ok()
    else {
        eprintln!(
            "set CONSENTRY_PG_URL (or DATABASE_URL) to a PostgreSQL URL, \
             e.g. postgres://postgres@127.0.0.1:5432/postgres"
        );
        std::process::exit(2);
    };
    let store = PgStore::connect(&url).await?;
    println!(
        "store: PostgreSQL (schema v{})",
        store.schema_version().await?
    );
    let driver = AsyncDriver::new(
        store.clone(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );

    let fixture = fixture::load()?;
    let (tenant, list) = fixture.ids()?;
    let now = fixture.now;
    let mut events = Vec::new();
    for contact in &fixture.contacts {
        events.extend(contact.events(&tenant, &list)?.1);
    }
    let outcomes = driver.record_batch(&events).await?;
    let appended = outcomes
        .iter()
        .filter(|o| **o == AppendOutcome::Appended)
        .count();
    println!(
        "fixture events appended this run: {appended} of {}; event ids in the database: {}",
        events.len(),
        store.len().await?
    );

    // One streamed read: the audience and every suppression, folded as the
    // rows arrive.
    let load = store
        .load_campaign(&tenant, &list, driver.policy(), now, &[])
        .await?;
    let newsletter =
        Classifier::default().classify(&Message::text("Summer sale", "30% off sandals. Shop now."));
    let ctx = SendContext::new(tenant.clone(), list.clone(), now);
    let p = plan(load.members(), &load.index, &newsletter, &ctx);
    println!(
        "newsletter: {} of {} may be sent to ({} events read)",
        p.sendable.len(),
        load.audience.len(),
        load.events_read
    );
    for (rule, n) in &p.counts {
        println!("  {n:>3}  {rule}");
    }

    // The planner and the driver agree, recipient by recipient.
    for member in load.members() {
        let key = ConsentKey::new(tenant.clone(), list.clone(), member.address.clone());
        let state = driver.state(&key, now).await?;
        let by_driver = ctx.decide(&state, &newsletter).is_send();
        let by_plan = p.sendable.contains(&member.address);
        if by_driver != by_plan {
            return Err(
                format!("plan and driver disagree on {}", member.address.canonical()).into(),
            );
        }
    }

    // The first recipient unsubscribes in one click; the database remembers.
    if let Some(first) = p.sendable.first() {
        let event = ConsentEvent::new(
            EventId::new(format!("one-click-{}", first.canonical()))?,
            now + TimeDelta::hours(1),
            &ConsentKey::new(tenant.clone(), list.clone(), (*first).clone()),
            Action::OptedOut {
                via: OptOutChannel::OneClick,
            },
        );
        driver.record(&event).await?;
        println!(
            "{} unsubscribed; run again to see one recipient fewer",
            first.canonical()
        );
    } else {
        println!("nobody left to mail; drop the consentry_* tables to start over");
    }
    Ok(())
}
