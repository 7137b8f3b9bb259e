//! Campaign planning at every audience size, each beside its baseline in
//! the same run: `plan` over the audience beside a bare loop of set lookups
//! (`HashSet<Box<str>>` with foldhash) on the same keys, and building the
//! `SuppressionIndex` beside inserting the same keys into that set. One
//! recipient in ten is suppressed (the `benches/campaign.rs` mix of
//! scopes). Rounds alternate the order; figures are per-round ratios, min /
//! median / max.
//!
//! `cargo bench --bench plan_sizes` (`SIZES`, default
//! `10000,100000,1000000,10000000`; `ROUNDS`, default 5).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::collections::HashSet;
use std::hint::black_box;

use chrono::{TimeZone, Utc};
use common::{rounds, stats, time};
use consentry::classify::{Classifier, Message};
use consentry::eligibility::{
    plan, AudienceMember, PermissionKind, PermissionSummary, SendContext, SuppressionIndex,
};
use consentry::{EmailAddress, ListId, TenantId};

fn main() {
    let sizes: Vec<usize> = std::env::var("SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000,10000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let rounds = rounds(5);
    let acme = TenantId::new("acme").unwrap();
    let news = ListId::new("news").unwrap();
    let globex = TenantId::new("globex").unwrap();
    let newsletter =
        Classifier::default().classify(&Message::text("Summer sale", "30% off. Shop now."));
    let permission = Some(PermissionSummary {
        express: true,
        weak_evidence: false,
        kind: PermissionKind::Express,
        lapses_at: None,
    });
    let ctx = SendContext::new(
        acme.clone(),
        news.clone(),
        Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap(),
    );
    println!("size        plan ÷ lookup loop (min / median / max)   index build ÷ set inserts   bytes/entry   ns/recipient plan / lookup (medians)");
    for &n in &sizes {
        let audience: Vec<EmailAddress> = (0..n)
            .map(|i| {
                EmailAddress::parse(&format!("Subscriber.{i:08}@Mail{}.Example.com", i % 97))
                    .unwrap()
            })
            .collect();
        let suppressed: Vec<usize> = (0..n / 10).map(|k| k * 10 + 3).collect();
        let build_index = || {
            let mut index = SuppressionIndex::with_capacity(suppressed.len());
            for (k, &i) in suppressed.iter().enumerate() {
                common::suppress_in_mix(&mut index, k, &audience[i], (&acme, &news, &globex));
            }
            index.shrink_to_fit();
            index
        };
        let build_set = || {
            let mut set: HashSet<Box<str>, foldhash::fast::RandomState> =
                HashSet::with_capacity_and_hasher(suppressed.len(), Default::default());
            for &i in &suppressed {
                set.insert(audience[i].canonical().into());
            }
            set
        };
        let (mut build_ratio, mut plan_ratio) = (vec![], vec![]);
        let (mut plan_ns, mut lookup_ns) = (vec![], vec![]);
        let index = build_index();
        let set = build_set();
        for round in 0..rounds {
            let (tb_index, tb_set) = if round % 2 == 0 {
                let a = time(|| drop(black_box(build_index())));
                (a, time(|| drop(black_box(build_set()))))
            } else {
                let b = time(|| drop(black_box(build_set())));
                (time(|| drop(black_box(build_index()))), b)
            };
            build_ratio.push(tb_index / tb_set);
            let planned = || {
                let members = audience.iter().map(|a| AudienceMember {
                    address: a,
                    permission,
                    regime: None,
                });
                black_box(plan(members, &index, &newsletter, &ctx).sendable.len());
            };
            let baseline = || {
                let mut hits = 0usize;
                for a in &audience {
                    hits += usize::from(set.contains(a.canonical()));
                }
                black_box(hits);
            };
            let (tp, tl) = if round % 2 == 0 {
                let p = time(planned);
                (p, time(baseline))
            } else {
                let l = time(baseline);
                (time(planned), l)
            };
            plan_ratio.push(tp / tl);
            plan_ns.push(tp * 1e9 / n as f64);
            lookup_ns.push(tl * 1e9 / n as f64);
        }
        let (pl, pm, ph) = stats(&mut plan_ratio);
        let (bl, bm, bh) = stats(&mut build_ratio);
        println!(
            "{n:>10}  {pl:.2} / {pm:.2} / {ph:.2}                        {bl:.2} / {bm:.2} / {bh:.2}         {:.1}         {:.1} / {:.1}",
            index.heap_bytes() as f64 / index.len().max(1) as f64,
            common::median(&mut plan_ns),
            common::median(&mut lookup_ns),
        );
    }
}
