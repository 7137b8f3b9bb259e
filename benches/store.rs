//! Appends and state reads per second on the SQLite store, with the memory
//! store beside it in the same run.
//!
//! `cargo bench --bench store --features sqlite`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{TimeDelta, TimeZone, Utc};
use common::{median, time};
use consentry::edge::sqlite::SqliteStore;
use consentry::{
    Action, Basis, ConsentEvent, ConsentKey, ConsentStore, Driver, EmailAddress, EventId, Evidence,
    LedgerPolicy, ListId, MemoryStore, RecordingMailer, TenantId,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

static NEXT: AtomicU64 = AtomicU64::new(0);

fn event(address: &EmailAddress, n: u64) -> ConsentEvent {
    ConsentEvent {
        id: EventId::new(format!("bench-{n}")).unwrap(),
        at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + TimeDelta::minutes(n as i64),
        tenant: TenantId::new("acme").unwrap(),
        list: Some(ListId::new("news").unwrap()),
        address: address.clone(),
        action: if n % 5 == 0 {
            Action::OptedIn {
                basis: Basis::ExpressForm,
            }
        } else {
            Action::Delivered
        },
        evidence: Evidence::default(),
    }
}

fn fresh(store: &impl ConsentStore) {
    let a = EmailAddress::parse(&format!(
        "u{}@example.com",
        NEXT.load(Ordering::Relaxed) % 1000
    ))
    .unwrap();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    store.append(&event(&a, n)).unwrap();
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("consentry-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = SqliteStore::open(dir.join("bench.sqlite3")).unwrap();
    let memory = MemoryStore::new();

    let mut g = c.benchmark_group("append_one_event");
    g.throughput(Throughput::Elements(1));
    g.bench_function("memory store", |b| b.iter(|| fresh(&memory)));
    g.bench_function(
        "sqlite store (file, WAL, one transaction per append)",
        |b| b.iter(|| fresh(&sqlite)),
    );
    g.finish();

    // State reads: 1,000 people with 10 events each, read one person's state.
    let people: Vec<EmailAddress> = (0..1000)
        .map(|i| EmailAddress::parse(&format!("p{i}@example.com")).unwrap())
        .collect();
    let dm = Driver::new(
        MemoryStore::new(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    let ds = Driver::new(
        SqliteStore::open(dir.join("reads.sqlite3")).unwrap(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    for (i, p) in people.iter().enumerate() {
        for k in 0..10u64 {
            let e = event(p, 1_000_000 + i as u64 * 10 + k);
            dm.record(&e).unwrap();
            ds.record(&e).unwrap();
        }
    }
    let key = |i: usize| {
        ConsentKey::new(
            TenantId::new("acme").unwrap(),
            ListId::new("news").unwrap(),
            people[i % 1000].clone(),
        )
    };
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let mut g = c.benchmark_group("read_one_state_10_events");
    g.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    g.bench_function("memory store", |b| {
        b.iter(|| {
            i += 1;
            black_box(dm.state(&key(i), now).unwrap().permits_promotional())
        })
    });
    g.bench_function("sqlite store", |b| {
        b.iter(|| {
            i += 1;
            black_box(ds.state(&key(i), now).unwrap().permits_promotional())
        })
    });
    g.finish();

    let rounds = 15;
    let (mut app_m, mut app_s, mut rd_m, mut rd_s) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        app_m.push(2000.0 / time(|| (0..2000).for_each(|_| fresh(&memory))));
        app_s.push(500.0 / time(|| (0..500).for_each(|_| fresh(&sqlite))));
        rd_m.push(
            2000.0
                / time(|| {
                    (0..2000).for_each(|j| {
                        black_box(dm.state(&key(j), now).unwrap());
                    })
                }),
        );
        rd_s.push(
            2000.0
                / time(|| {
                    (0..2000).for_each(|j| {
                        black_box(ds.state(&key(j), now).unwrap());
                    })
                }),
        );
    }
    let (am, asq, rm, rs) = (
        median(&mut app_m),
        median(&mut app_s),
        median(&mut rd_m),
        median(&mut rd_s),
    );
    eprintln!("interleaved, median of {rounds} rounds:");
    eprintln!(
        "  appends/s: memory {am:.0}, sqlite {asq:.0} (memory / sqlite = {:.0}x)",
        am / asq
    );
    eprintln!("  state reads/s (10 events each): memory {rm:.0}, sqlite {rs:.0} (memory / sqlite = {:.1}x)", rm / rs);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
