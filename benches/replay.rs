//! `ConsentState::replay` beside a minimal fold over the same events (the
//! opt-in / opt-out / bounce logic alone, no explanation, no evidence
//! checks), for one person with 10, 100 and 10,000 state-changing events,
//! and for a campaign's stream of 1,000,000 events over 100,000 people
//! (each person's history in time order as built, the same copied person
//! by person, and copied newest first, which the fold must sort), and for
//! one person again with the explanation's sentences written
//! (`explain()`), the cost the fold no longer pays up front.
//! Rounds alternate the order; figures are events per second and the
//! per-round ratio (minimal fold time ÷ replay time), min / median / max.
//!
//! `cargo bench --bench replay` (`ROUNDS`, default 5).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::hint::black_box;

use chrono::{TimeDelta, TimeZone, Utc};
use common::{alternate, median, rounds, stats};
use consentry::{
    Action, Basis, ConsentEvent, ConsentKey, ConsentState, EmailAddress, EventId, Evidence,
    LedgerPolicy, ListId, OptOutChannel, TenantId,
};

fn action(n: u64) -> Action {
    match n % 6 {
        0 | 3 => Action::OptedIn {
            basis: Basis::ExpressForm,
        },
        1 => Action::OptedOut {
            via: OptOutChannel::FooterLink,
        },
        2 => Action::SoftBounced,
        4 => Action::Delivered,
        _ => Action::SuppressionCleared { by: "ops".into() },
    }
}

fn history(key: &ConsentKey, n: usize, offset: u64) -> Vec<ConsentEvent> {
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let evidence = Evidence::from_form("https://acme.example/signup".parse().unwrap(), "2026-01");
    (0..n as u64)
        .map(|i| {
            ConsentEvent::new(
                EventId::new(format!("e{}", offset + i)).unwrap(),
                t0 + TimeDelta::minutes(i as i64),
                key,
                action(i),
            )
            .with_evidence(evidence.clone())
        })
        .collect()
}

/// The fold without the ledger: permission and opt-out only.
fn minimal(events: &[ConsentEvent]) -> bool {
    let (mut permitted, mut out, mut soft) = (false, false, 0u32);
    for e in events {
        match &e.action {
            Action::OptedIn { .. } => {
                permitted = true;
                out = false;
            }
            Action::OptedOut { .. } | Action::Complained => {
                permitted = false;
                out = true;
            }
            Action::SoftBounced => soft += 1,
            Action::SuppressionCleared { .. } | Action::Delivered => soft = 0,
            _ => {}
        }
    }
    permitted && !out && soft < 3
}

fn main() {
    let rounds = rounds(5);
    let policy = LedgerPolicy::default();
    let now = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    let tenant = TenantId::new("acme").unwrap();
    let list = ListId::new("news").unwrap();
    // A campaign: 100,000 people, 10 events each, folded person by person.
    // The fold reads each event's address (one cache miss an event at this
    // size), so where the events sit in memory moves the figure: it is
    // measured as built here (each person's events among the temporaries
    // that built them), copied person by person (packed, as a store that
    // decodes one person's rows at a time hands them over), and copied
    // newest first.
    let people: Vec<(ConsentKey, Vec<ConsentEvent>)> = (0..100_000u64)
        .map(|p| {
            let key = ConsentKey::new(
                tenant.clone(),
                list.clone(),
                EmailAddress::parse(&format!("p{p}@example.com")).unwrap(),
            );
            let events = history(&key, 10, p * 10);
            (key, events)
        })
        .collect();
    let copied: Vec<(ConsentKey, Vec<ConsentEvent>)> = people.clone();
    let reversed: Vec<(ConsentKey, Vec<ConsentEvent>)> = people
        .iter()
        .map(|(k, e)| (k.clone(), e.iter().rev().cloned().collect()))
        .collect();
    println!("events            replay events/s   minimal fold events/s   minimal ÷ replay time (min / median / max)");
    let ann = ConsentKey::new(
        tenant.clone(),
        list.clone(),
        EmailAddress::parse("ann@example.com").unwrap(),
    );
    // One person's history: "may we send?" only, then (what the lazy
    // explanation moves out of the fold) with its sentences written, as an
    // audit view asks for them.
    let cases: [(&str, usize, usize, bool); 5] = [
        ("one person,", 10, 1_000_000, false),
        ("one person,", 100, 1_000_000, false),
        ("one person,", 10_000, 1_000_000, false),
        ("explained, ", 10, 200_000, true),
        ("explained, ", 100, 200_000, true),
    ];
    for (label, n, budget, explained) in cases {
        let events = history(&ann, n, 0);
        let repeat = (budget / n).max(1);
        let (ours, base) = alternate(
            rounds,
            || {
                for _ in 0..repeat {
                    let state = ConsentState::replay(&ann, &events, &policy, now);
                    if explained {
                        black_box(state.explain().len());
                    } else {
                        black_box(state.permits_promotional());
                    }
                }
            },
            || {
                for _ in 0..repeat {
                    black_box(minimal(black_box(&events)));
                }
            },
        );
        let mut ratio: Vec<f64> = base.iter().zip(&ours).map(|(b, o)| b / o).collect();
        let (lo, mid, hi) = stats(&mut ratio);
        let total = (n * repeat) as f64;
        println!(
            "{label} {n:>6}   {:>14.0}   {:>20.0}   {lo:.3} / {mid:.3} / {hi:.3}",
            total / median(&mut ours.clone()),
            total / median(&mut base.clone())
        );
    }
    for (label, people) in [
        ("campaign, as built  ", &people),
        ("campaign, copied    ", &copied),
        // The fold sorts these; the minimal fold does not, so this row's
        // ratio also prices the sort.
        ("campaign, reversed  ", &reversed),
    ] {
        let (ours, base) = alternate(
            rounds,
            || {
                for (k, e) in people {
                    black_box(ConsentState::replay(k, e, &policy, now).permits_promotional());
                }
            },
            || {
                for (_, e) in people {
                    black_box(minimal(black_box(e)));
                }
            },
        );
        let mut ratio: Vec<f64> = base.iter().zip(&ours).map(|(b, o)| b / o).collect();
        let (lo, mid, hi) = stats(&mut ratio);
        println!(
            "{label} {:>14.0}   {:>20.0}   {lo:.3} / {mid:.3} / {hi:.3}",
            1e6 / median(&mut ours.clone()),
            1e6 / median(&mut base.clone())
        );
    }
}
