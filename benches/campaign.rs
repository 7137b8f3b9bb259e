//! Campaign planning over 1,000,000 recipients with 100,000 suppressed at
//! mixed scopes, beside a bare loop doing the same hash lookups on the same
//! pre-normalised keys with the same fast hasher.
//!
//! `cargo bench --bench campaign`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::collections::HashSet;
use std::hint::black_box;

use chrono::{TimeZone, Utc};
use consentry::classify::{Classifier, Message};
use consentry::eligibility::{
    plan, plan_each, AudienceMember, PermissionSummary, Planned, SendContext, SuppressionIndex,
};
use consentry::{EmailAddress, ListId, TenantId};
mod common;

use common::{median, time};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Resident memory of this process, from /proc (Linux); 0 elsewhere.
fn resident_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

const AUDIENCE: usize = 1_000_000;
const SUPPRESSED: usize = 100_000;

fn address(i: usize) -> EmailAddress {
    EmailAddress::parse(&format!("Subscriber.{i:07}@Mail{}.Example.com", i % 97)).unwrap()
}

fn bench(c: &mut Criterion) {
    let acme = TenantId::new("acme").unwrap();
    let news = ListId::new("news").unwrap();
    let globex = TenantId::new("globex").unwrap();
    let audience: Vec<EmailAddress> = (0..AUDIENCE).map(address).collect();
    let permission = Some(PermissionSummary {
        express: true,
        weak_evidence: false,
        kind: consentry::eligibility::PermissionKind::Express,
        lapses_at: None,
    });

    // Every tenth subscriber is suppressed somewhere: 40% list opt-outs,
    // 20% tenant complaints, 20% hard bounces, 10% soft-bounce streaks,
    // 10% complaints at another tenant (in the index, not covering).
    let suppressed: Vec<usize> = (0..SUPPRESSED).map(|k| k * 10 + 3).collect();
    let before = resident_bytes();
    let mut index = SuppressionIndex::with_capacity(SUPPRESSED);
    for (k, &i) in suppressed.iter().enumerate() {
        common::suppress_in_mix(&mut index, k, &audience[i], (&acme, &news, &globex));
    }
    index.shrink_to_fit();
    let index_rss = resident_bytes().saturating_sub(before);

    let before = resident_bytes();
    let mut set: HashSet<Box<str>, foldhash::fast::RandomState> =
        HashSet::with_capacity_and_hasher(SUPPRESSED, Default::default());
    for &i in &suppressed {
        set.insert(audience[i].canonical().into());
    }
    let set_rss = resident_bytes().saturating_sub(before);
    eprintln!(
        "suppression index: {} entries; heap estimate {:.1} bytes/entry; resident growth {:.1} bytes/entry \
         (a bare HashSet<Box<str>> of the same keys: resident growth {:.1} bytes/entry)",
        index.len(),
        index.heap_bytes() as f64 / index.len() as f64,
        index_rss as f64 / index.len() as f64,
        set_rss as f64 / set.len() as f64,
    );

    let newsletter =
        Classifier::default().classify(&Message::text("Summer sale", "30% off. Shop now."));
    let ctx = SendContext::new(
        acme,
        news,
        Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap(),
    );
    let check = plan(
        audience.iter().map(|a| AudienceMember {
            address: a,
            permission,
            regime: None,
        }),
        &index,
        &newsletter,
        &ctx,
    );
    assert_eq!(check.suppressed.len(), 90_000);
    assert_eq!(check.sendable.len(), AUDIENCE - 90_000);
    drop(check);

    // The three contenders, each one full pass over the audience.
    let baseline = || {
        let mut hits = 0usize;
        for a in &audience {
            if set.contains(a.canonical()) {
                hits += 1;
            }
        }
        black_box(hits)
    };
    let members = || {
        audience.iter().map(|a| AudienceMember {
            address: a,
            permission,
            regime: None,
        })
    };
    let collect = || black_box(plan(members(), &index, &newsletter, &ctx).sendable.len());
    let stream = || {
        let mut sendable = 0usize;
        plan_each(members(), &index, &newsletter, &ctx, |p| {
            if let Planned::Send(_) = p {
                sendable += 1;
            }
        });
        black_box(sendable)
    };

    let mut g = c.benchmark_group("campaign_1m_recipients_100k_suppressed");
    g.sample_size(20);
    g.throughput(Throughput::Elements(AUDIENCE as u64));
    g.bench_function("baseline: bare loop, same lookups, foldhash set", |b| {
        b.iter(baseline)
    });
    g.bench_function("consentry: plan", |b| b.iter(collect));
    g.bench_function("consentry: plan_each (streaming, no collection)", |b| {
        b.iter(stream)
    });
    g.finish();

    // Criterion times each function in its own stretch; on a shared machine
    // the load changes between stretches. Interleave the rounds too and
    // report the median of per-round ratios, which cancels that drift.
    let rounds = 31;
    let mut plan_ratio = Vec::with_capacity(rounds);
    let mut each_ratio = Vec::with_capacity(rounds);
    for round in 0..rounds {
        // The three contenders in a rotated order each round.
        let mut t = [0.0f64; 3];
        for k in 0..3 {
            let which = (round + k) % 3;
            t[which] = match which {
                0 => time(|| {
                    baseline();
                }),
                1 => time(|| {
                    collect();
                }),
                _ => time(|| {
                    stream();
                }),
            };
        }
        plan_ratio.push(t[1] / t[0]);
        each_ratio.push(t[2] / t[0]);
    }
    let pm = median(&mut plan_ratio);
    let em = median(&mut each_ratio);
    eprintln!(
        "interleaved, {rounds} rounds, order rotating (min / median / max): plan / baseline = {:.2} / {pm:.2} / {:.2}x; plan_each / baseline = {:.2} / {em:.2} / {:.2}x",
        plan_ratio[0],
        plan_ratio[rounds - 1],
        each_ratio[0],
        each_ratio[rounds - 1]
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
