//! The PostgreSQL store beside the raw tokio-postgres client running the
//! same statements, in the same run, on the same server: appends per
//! second (one at a time, and in batches of 500), reads per second (one
//! person's 10 events), and the campaign load (one streamed read into a
//! suppression index) beside building the same index from events already
//! in memory.
//!
//! Each round runs every contender once, in a rotated order; the figures
//! are the per-round ratios' min / median / max. The work is a database
//! round trip (the server runs in another process), so it is timed by the
//! wall clock.
//!
//! `cargo bench --bench postgres` with `CONSENTRY_TEST_PG` set to a server
//! URL (else a private server is started). `ROUNDS` (default 5), `CONTACTS`
//! for the campaign load (default 1,000,000).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

#[path = "../tests/pg/mod.rs"]
mod pg;

mod common;

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{TimeDelta, TimeZone, Utc};
use common::{median, rounds, stats, time};
use consentry::edge::postgres::PgStore;
use consentry::eligibility::SuppressionIndex;
use consentry::{
    Action, AsyncConsentStore, Basis, ConsentEvent, ConsentKey, ConsentState, EmailAddress,
    EventId, Evidence, LedgerPolicy, ListId, OptOutChannel, TenantId,
};
use sha2::{Digest, Sha256};

static NEXT: AtomicU64 = AtomicU64::new(0);

fn event(person: u64, n: u64) -> ConsentEvent {
    let address = EmailAddress::parse(&format!("person{person}@example.com")).unwrap();
    ConsentEvent {
        id: EventId::new(format!("bench-{n}")).unwrap(),
        at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
            + TimeDelta::minutes(n as i64 % 100_000),
        tenant: TenantId::new("acme").unwrap(),
        list: Some(ListId::new("news").unwrap()),
        address,
        action: match n % 10 {
            0 => Action::OptedIn {
                basis: Basis::ExpressForm,
            },
            9 => Action::OptedOut {
                via: OptOutChannel::OneClick,
            },
            _ => Action::Delivered,
        },
        evidence: Evidence::described("signup form, campaign spring-2026"),
    }
}

fn fresh_events(count: usize, people: u64) -> Vec<ConsentEvent> {
    (0..count)
        .map(|_| {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            event(n % people, n)
        })
        .collect()
}

/// The raw client's parameters for an event: what the store computes
/// (key, canonical, tenant, list, JSON body), computed outside the timing.
struct RawRow {
    key: Vec<u8>,
    canonical: String,
    tenant: String,
    list: Option<String>,
    body: String,
}

fn raw_row(e: &ConsentEvent) -> RawRow {
    let mut h = Sha256::new();
    h.update(b"raw\0");
    h.update(e.tenant.as_str().as_bytes());
    h.update(b"\0");
    h.update(e.id.as_str().as_bytes());
    RawRow {
        key: h.finalize().to_vec(),
        canonical: e.address.canonical().to_owned(),
        tenant: e.tenant.as_str().to_owned(),
        list: e.list.as_ref().map(|l| l.as_str().to_owned()),
        body: serde_json::to_string(e).unwrap(),
    }
}

const INSERT: &str = "INSERT INTO consentry_events (key, canonical, tenant, list, body)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING";
const INSERT_MANY: &str = "INSERT INTO consentry_events (key, canonical, tenant, list, body)
     SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[], $5::text[])
     ON CONFLICT (key) DO NOTHING RETURNING key";
const SELECT: &str = "SELECT body FROM consentry_events WHERE canonical = $1 ORDER BY seq";

fn report(name: &str, ours: &mut [f64], raw: &mut [f64], unit: &str, per: f64) {
    let mut ratios: Vec<f64> = ours.iter().zip(raw.iter()).map(|(o, r)| r / o).collect();
    let (lo, mid, hi) = stats(&mut ratios);
    let ours_rate = per / median(ours);
    let raw_rate = per / median(raw);
    println!(
        "{name:<34} consentry {ours_rate:>10.0} {unit}  raw {raw_rate:>10.0} {unit}  consentry/raw {lo:.2} / {mid:.2} / {hi:.2}"
    );
}

fn main() {
    let rounds = rounds(5);
    let contacts: u64 = std::env::var("CONTACTS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1_000_000);
    let db = pg::TestDb::new();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = PgStore::connect_with(
            db.url(),
            consentry::edge::postgres::PgPoolSettings {
                max_connections: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let raw = pg::raw_client(db.url()).await;
        let insert = raw.prepare(INSERT).await.unwrap();
        let insert_many = raw.prepare(INSERT_MANY).await.unwrap();
        let select = raw.prepare(SELECT).await.unwrap();

        const SINGLE: usize = 2_000;
        const BATCH: usize = 500;
        const BATCHES: usize = 10;
        const READS: u64 = 1_000;
        // Readers: 1,000 people with 10 events each.
        let people: Vec<ConsentEvent> = (0..10_000u64).map(|n| event(n % READS + 50_000_000, 900_000_000 + n)).collect();
        store.append_batch(&people).await.unwrap();

        let (mut s_ours, mut s_raw, mut b_ours, mut b_raw, mut r_ours, mut r_raw) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        // The same 1,000 people read 32 at a time (what a send does) beside
        // one at a time.
        let readers: Vec<EmailAddress> = (0..READS)
            .map(|p| EmailAddress::parse(&format!("person{}@example.com", p + 50_000_000)).unwrap())
            .collect();
        let (mut one_by_one, mut many) = (vec![], vec![]);
        for round in 0..rounds {
            let single = fresh_events(SINGLE, 100_000);
            let single_raw: Vec<RawRow> = fresh_events(SINGLE, 100_000).iter().map(raw_row).collect();
            let batches: Vec<Vec<ConsentEvent>> = (0..BATCHES).map(|_| fresh_events(BATCH, 100_000)).collect();
            let batches_raw: Vec<Vec<RawRow>> = (0..BATCHES)
                .map(|_| fresh_events(BATCH, 100_000).iter().map(raw_row).collect())
                .collect();
            for turn in 0..2 {
                let ours_first = (round + turn) % 2 == 0;
                for side in [ours_first, !ours_first] {
                    if side {
                        let t = timed(async {
                            match turn {
                                0 => {
                                    for e in &single {
                                        store.append(e).await.unwrap();
                                    }
                                }
                                _ => {
                                    for b in &batches {
                                        store.append_batch(b).await.unwrap();
                                    }
                                }
                            }
                        })
                        .await;
                        if turn == 0 { s_ours.push(t) } else { b_ours.push(t) }
                    } else {
                        let t = timed(async {
                            match turn {
                                0 => {
                                    for r in &single_raw {
                                        raw.execute(&insert, &[&r.key, &r.canonical, &r.tenant, &r.list, &r.body])
                                            .await
                                            .unwrap();
                                    }
                                }
                                _ => {
                                    for b in &batches_raw {
                                        let keys: Vec<&Vec<u8>> = b.iter().map(|r| &r.key).collect();
                                        let c: Vec<&str> = b.iter().map(|r| r.canonical.as_str()).collect();
                                        let t: Vec<&str> = b.iter().map(|r| r.tenant.as_str()).collect();
                                        let l: Vec<Option<&str>> = b.iter().map(|r| r.list.as_deref()).collect();
                                        let bo: Vec<&str> = b.iter().map(|r| r.body.as_str()).collect();
                                        raw.query(&insert_many, &[&keys, &c, &t, &l, &bo]).await.unwrap();
                                    }
                                }
                            }
                        })
                        .await;
                        if turn == 0 { s_raw.push(t) } else { b_raw.push(t) }
                    }
                }
            }
            // Reads: one person's 10 events, decoded (ours) or as text (raw).
            let ours_first = round % 2 == 0;
            for side in [ours_first, !ours_first] {
                if side {
                    let t = timed(async {
                        for p in 0..READS {
                            let a = EmailAddress::parse(&format!("person{}@example.com", p + 50_000_000)).unwrap();
                            let events = store.events_for(&a).await.unwrap();
                            assert_eq!(events.len(), 10);
                        }
                    })
                    .await;
                    r_ours.push(t);
                } else {
                    let t = timed(async {
                        for p in 0..READS {
                            let canonical = format!("person{}@example.com", p + 50_000_000);
                            let rows = raw.query(&select, &[&canonical]).await.unwrap();
                            let bodies: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
                            assert_eq!(bodies.len(), 10);
                        }
                    })
                    .await;
                    r_raw.push(t);
                }
            }
            let many_first = round % 2 == 1;
            for side in [many_first, !many_first] {
                if side {
                    let t = timed(async {
                        for chunk in readers.chunks(32) {
                            let refs: Vec<&EmailAddress> = chunk.iter().collect();
                            let lists = store.events_for_many(&refs).await.unwrap();
                            assert_eq!(lists.len(), chunk.len());
                            for (address, list) in chunk.iter().zip(&lists) {
                                assert_eq!(list.len(), 10);
                                assert!(list.iter().all(|e| e.address == *address));
                            }
                        }
                    })
                    .await;
                    many.push(t);
                } else {
                    let t = timed(async {
                        for a in &readers {
                            assert_eq!(store.events_for(a).await.unwrap().len(), 10);
                        }
                    })
                    .await;
                    one_by_one.push(t);
                }
            }
        }
        {
            let mut ratios: Vec<f64> = one_by_one.iter().zip(&many).map(|(o, m)| o / m).collect();
            let (lo, mid, hi) = stats(&mut ratios);
            println!(
                "read 1,000 people, 32 at a time: {:.0} people/s; one at a time: {:.0} people/s; 32 at a time ÷ one at a time (rate) {lo:.2} / {mid:.2} / {hi:.2}",
                READS as f64 / median(&mut many),
                READS as f64 / median(&mut one_by_one)
            );
        }
        println!("PostgreSQL {rounds} rounds; ratios are consentry's rate / raw's rate (min / median / max)");
        report("append, one at a time", &mut s_ours, &mut s_raw, "events/s", SINGLE as f64);
        report("append, batches of 500", &mut b_ours, &mut b_raw, "events/s", (BATCH * BATCHES) as f64);
        report("read one person's 10 events", &mut r_ours, &mut r_raw, "reads/s", READS as f64);

        // The campaign load: `contacts` people, ~1.1 events each.
        let load_db = pg::TestDb::new();
        let load_store = PgStore::connect(load_db.url()).await.unwrap();
        let tenant = TenantId::new("acme").unwrap();
        let list = ListId::new("news").unwrap();
        let mut all = Vec::new();
        for p in 0..contacts {
            let a = EmailAddress::parse(&format!("c{p}@example.com")).unwrap();
            let key = ConsentKey::new(tenant.clone(), list.clone(), a);
            let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
            all.push(ConsentEvent::new(EventId::new(format!("in-{p}")).unwrap(), at, &key, Action::OptedIn { basis: Basis::ExpressForm }));
            if p % 10 == 0 {
                all.push(ConsentEvent::new(EventId::new(format!("out-{p}")).unwrap(), at + TimeDelta::days(1), &key, Action::OptedOut { via: OptOutChannel::OneClick }));
            } else if p % 50 == 1 {
                all.push(ConsentEvent::new(EventId::new(format!("hb-{p}")).unwrap(), at + TimeDelta::days(2), &key, Action::HardBounced));
            }
        }
        let fill = timed(async {
            for chunk in all.chunks(5_000) {
                load_store.append_batch(chunk).await.unwrap();
            }
        })
        .await;
        println!("loaded {} events for {contacts} contacts in {fill:.1} s", all.len());
        let policy = LedgerPolicy::default();
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        let (mut from_db, mut from_memory) = (vec![], vec![]);
        let load_rounds = rounds.clamp(2, 3);
        for round in 0..load_rounds {
            let db_first = round % 2 == 0;
            for side in [db_first, !db_first] {
                if side {
                    let t = timed(async {
                        let load = load_store.load_campaign(&tenant, &list, &policy, now, &[]).await.unwrap();
                        assert_eq!(load.audience.len() as u64, contacts);
                    })
                    .await;
                    from_db.push(t);
                } else {
                    // The same index from events already in memory, in
                    // address order: the fold and the inserts, no I/O.
                    let t = time(|| {
                        let mut index = SuppressionIndex::new();
                        let mut i = 0;
                        while i < all.len() {
                            let mut j = i + 1;
                            while j < all.len() && all[j].address == all[i].address {
                                j += 1;
                            }
                            let key = ConsentKey::new(tenant.clone(), list.clone(), all[i].address.clone());
                            let state = ConsentState::replay(&key, &all[i..j], &policy, now);
                            index.insert_state(&state);
                            i = j;
                        }
                        std::hint::black_box(index.len());
                    });
                    from_memory.push(t);
                }
            }
        }
        let mut ratios: Vec<f64> = from_db.iter().zip(&from_memory).map(|(d, m)| m / d).collect();
        let (lo, mid, hi) = stats(&mut ratios);
        println!(
            "campaign load, {contacts} contacts: database {:.0} contacts/s, memory {:.0} contacts/s, database/memory {lo:.2} / {mid:.2} / {hi:.2}",
            contacts as f64 / median(&mut from_db.clone()),
            contacts as f64 / median(&mut from_memory.clone()),
        );
    });
}

async fn timed(f: impl std::future::Future<Output = ()>) -> f64 {
    #[allow(clippy::disallowed_methods)]
    let start = std::time::Instant::now();
    f.await;
    start.elapsed().as_secs_f64()
}
