//! The campaign on an SQLite file that keeps its state between runs.
//!
//! The first run records the fixture's 30 histories into the file; later
//! runs find them there (re-recording appends nothing). Each run plans the
//! newsletter, "sends" it, and then records a one-click unsubscribe from
//! the first recipient, so the next run has one recipient fewer: run it
//! twice and watch the numbers move.
//!
//! Run with `cargo run --example sqlite_campaign --features sqlite [PATH]`
//! (default path: `consentry-campaign.sqlite3` in the temp directory).

use chrono::TimeDelta;
use consentry::classify::{Classifier, Message};
use consentry::edge::sqlite::SqliteStore;
use consentry::eligibility::{plan, AudienceMember, SendContext, SuppressionIndex};
use consentry::{
    Action, AppendOutcome, ConsentEvent, ConsentKey, ConsentState, Driver, EventId, Evidence,
    LedgerPolicy, OptOutChannel, RecordingMailer,
};

#[path = "support/fixture.rs"]
#[allow(dead_code)] // the notes are printed by the in-memory campaign example
mod fixture;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("consentry-campaign.sqlite3"));
    let fixture = fixture::load()?;
    let (tenant, list) = fixture.ids()?;
    let store = SqliteStore::open(&path)?;
    println!(
        "store: {} (schema v{})",
        path.display(),
        store.schema_version()?
    );
    let driver = Driver::new(store, RecordingMailer::new(), LedgerPolicy::default());

    let mut appended = 0;
    for contact in &fixture.contacts {
        let (_, events) = contact.events(&tenant, &list)?;
        for event in &events {
            if driver.record(event)? == AppendOutcome::Appended {
                appended += 1;
            }
        }
    }
    println!(
        "fixture events appended this run: {appended}; events in the file: {}",
        driver.store().len()?
    );

    let now = fixture.now;

    let audience = driver.store().audience(&tenant, &list)?;
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
    let newsletter =
        Classifier::default().classify(&Message::text("Summer sale", "30% off sandals. Shop now."));
    let ctx = SendContext::new(tenant.clone(), list.clone(), now);
    let p = plan(
        states.iter().map(AudienceMember::from_state),
        &index,
        &newsletter,
        &ctx,
    );
    println!(
        "newsletter: {} of {} may be sent to",
        p.sendable.len(),
        audience.len()
    );
    for (rule, n) in &p.counts {
        println!("  {n:>3}  {rule}");
    }

    // The first recipient unsubscribes in one click; the file remembers.
    if let Some(first) = p.sendable.first() {
        let event = ConsentEvent {
            id: EventId::new(format!("one-click-{}", first.canonical()))?,
            at: now + TimeDelta::hours(1),
            tenant: tenant.clone(),
            list: Some(list.clone()),
            address: (*first).clone(),
            action: Action::OptedOut {
                via: OptOutChannel::OneClick,
            },
            evidence: Evidence::default(),
        };
        driver.record(&event)?;
        println!(
            "{:?} unsubscribed; run again to see one recipient fewer",
            first
        );
    } else {
        println!(
            "nobody left to mail; delete {} to start over",
            path.display()
        );
    }
    Ok(())
}
