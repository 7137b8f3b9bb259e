//! Quickstart: one person's consent, step by step.
//!
//! A signup asks for a double opt-in, the person confirms it, later opts out
//! through the one-click header, and then the tenant re-imports its old
//! contact list with the same address. After each step the example prints
//! the derived state and the rules that shaped it.
//!
//! Run with `cargo run --example quickstart`.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use consentry::{
    Action, Basis, ConsentEvent, ConsentKey, ConsentState, Driver, EmailAddress, EventId, Evidence,
    LedgerPolicy, ListId, MemoryStore, OptOutChannel, RecordingMailer, TenantId,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let driver = Driver::new(
        MemoryStore::new(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    let tenant = TenantId::new("acme-shop")?;
    let list = ListId::new("weekly-deals")?;
    // The person typed their address with capitals; every later event uses
    // another spelling, and all of them are one person.
    let typed = EmailAddress::parse("Ann.Lee@Example.COM")?;
    let key = ConsentKey::new(tenant.clone(), list.clone(), typed.clone());
    let start: DateTime<Utc> = Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 30, 0)
        .single()
        .ok_or("bad date")?;

    let event = |id: &str, at: DateTime<Utc>, action: Action, evidence: Evidence| {
        Ok::<_, Box<dyn std::error::Error>>(ConsentEvent {
            id: EventId::new(id)?,
            at,
            tenant: tenant.clone(),
            list: Some(list.clone()),
            address: EmailAddress::parse("ann.lee@example.com")?,
            action,
            evidence,
        })
    };
    let form = Evidence {
        source_url: Some("https://acme-shop.example/signup".parse()?),
        ip: Some("198.51.100.23".parse()?),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)".into()),
        policy_version: Some("2026-01".into()),
        text: None,
    };

    let steps = [
        (
            "1. signup form submitted; confirmation email sent",
            event(
                "signup-7f3a",
                start,
                Action::OptedIn {
                    basis: Basis::DoubleOptInRequested,
                },
                form.clone(),
            )?,
        ),
        (
            "2. confirmation link clicked the next morning",
            event(
                "confirm-7f3a",
                start + TimeDelta::hours(22),
                Action::OptedIn {
                    basis: Basis::DoubleOptInConfirmed,
                },
                Evidence {
                    source_url: Some("https://acme-shop.example/confirm".parse()?),
                    ..form.clone()
                },
            )?,
        ),
        (
            "3. one-click unsubscribe from the mailbox provider",
            event(
                "oneclick-91c2",
                start + TimeDelta::days(40),
                Action::OptedOut {
                    via: OptOutChannel::OneClick,
                },
                Evidence::default(),
            )?,
        ),
        (
            "4. the tenant re-imports its old CRM export with the same address",
            event(
                "import-2026-05-batch-3",
                start + TimeDelta::days(70),
                Action::OptedIn {
                    basis: Basis::Imported {
                        attestation: "CRM export, customers since 2019".into(),
                    },
                },
                Evidence {
                    text: Some("import batch 3".into()),
                    policy_version: Some("2026-01".into()),
                    ..Evidence::default()
                },
            )?,
        ),
    ];

    for (title, e) in &steps {
        let outcome = driver.record(e)?;
        let state = driver.state(&key, e.at + TimeDelta::minutes(1))?;
        println!("{title}  [{outcome:?}]");
        print_state(&state);
    }

    // A webhook delivered twice is applied once.
    let (_, replayed) = &steps[2];
    println!(
        "replaying the one-click webhook: {:?}",
        driver.record(replayed)?
    );

    println!("\nsubject export for {typed:?}:");
    println!(
        "{}",
        driver.export_json(&typed, start + TimeDelta::days(71))?
    );
    Ok(())
}

fn print_state(state: &ConsentState) {
    println!(
        "   promotional: {:<5}  transactional: {:<5}  pending confirmation: {}",
        state.permits_promotional(),
        state.permits_transactional(),
        state.pending_confirmation().is_some(),
    );
    if let Some(p) = state.permission() {
        println!("   permission: {:?} since {}", p.basis, p.since);
    }
    for s in state.suppressions() {
        println!(
            "   suppressed ({}): {:?} since {}",
            s.scope, s.kind, s.since
        );
    }
    for reason in state.explain() {
        println!("   - {reason}");
    }
    println!();
}
