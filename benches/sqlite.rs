//! The SQLite store beside raw rusqlite running the same statements on the
//! same schema and settings (WAL, `synchronous=NORMAL`, `secure_delete`),
//! in the same run: one append per transaction, batches of 500 in one
//! transaction, and reading one person's 10 events (the raw reads run on
//! the store's own file through a second connection). The raw side gets its
//! parameters (key, canonical address, JSON body) built outside the
//! timing; consentry builds them inside, checks the id's history and, on
//! reads, decodes the events. Rounds alternate the order; figures are the
//! per-round ratios (raw time ÷ consentry time, so 1.0 is parity and
//! higher is better), min / median / max.
//!
//! `cargo bench --bench sqlite --features sqlite` (`ROUNDS`, default 9).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::hint::black_box;

use chrono::{TimeDelta, TimeZone, Utc};
use common::{median, rounds, stats, time};
use consentry::edge::sqlite::SqliteStore;
use consentry::{
    Action, Basis, ConsentEvent, ConsentStore, EmailAddress, EventId, Evidence, ListId, TenantId,
};
use rusqlite::{params, Connection};
use sha2::{Digest, Sha256};

const SCHEMA: &str = "CREATE TABLE raw_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, key BLOB UNIQUE, canonical TEXT,
    tenant TEXT, list TEXT, body TEXT);
    CREATE INDEX raw_by_address ON raw_events (canonical, seq);";
const INSERT: &str = "INSERT INTO raw_events (key, canonical, tenant, list, body)
    VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key) DO NOTHING";
/// Reads run on the store's own file, through a second connection: the
/// same rows, the same index, no decoding.
const SELECT: &str =
    "SELECT body FROM consentry_events WHERE canonical = ?1 AND body IS NOT NULL ORDER BY seq";

fn event(person: u64, n: u64) -> ConsentEvent {
    ConsentEvent {
        id: EventId::new(format!("bench-{n}")).unwrap(),
        at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
            + TimeDelta::minutes(n as i64 % 100_000),
        tenant: TenantId::new("acme").unwrap(),
        list: Some(ListId::new("news").unwrap()),
        address: EmailAddress::parse(&format!("person{person}@example.com")).unwrap(),
        action: if n % 10 == 0 {
            Action::OptedIn {
                basis: Basis::ExpressForm,
            }
        } else {
            Action::Delivered
        },
        evidence: Evidence::described("signup form, spring campaign"),
    }
}

struct Row {
    key: Vec<u8>,
    canonical: String,
    body: String,
}

fn row(e: &ConsentEvent) -> Row {
    let mut h = Sha256::new();
    h.update(e.tenant.as_str().as_bytes());
    h.update(b"\0");
    h.update(e.id.as_str().as_bytes());
    Row {
        key: h.finalize().to_vec(),
        canonical: e.address.canonical().to_owned(),
        body: serde_json::to_string(e).unwrap(),
    }
}

fn main() {
    let rounds = rounds(9);
    let dir = std::env::temp_dir().join(format!("consentry-sqlite-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::open(dir.join("store.sqlite3")).unwrap();
    let raw = Connection::open(dir.join("raw.sqlite3")).unwrap();
    let _: String = raw
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .unwrap();
    raw.pragma_update(None, "synchronous", "NORMAL").unwrap();
    raw.pragma_update(None, "secure_delete", "ON").unwrap();
    raw.execute_batch(SCHEMA).unwrap();
    let raw_reader = Connection::open(dir.join("store.sqlite3")).unwrap();

    // Readers: 1,000 people with 10 events each, in both.
    let readers: Vec<ConsentEvent> = (0..10_000u64)
        .map(|n| event(5_000_000 + n % 1000, 900_000_000 + n))
        .collect();
    store.append_batch(&readers).unwrap();
    {
        let tx = raw.unchecked_transaction().unwrap();
        for e in &readers {
            let r = row(e);
            tx.prepare_cached(INSERT)
                .unwrap()
                .execute(params![r.key, r.canonical, "acme", "news", r.body])
                .unwrap();
        }
        tx.commit().unwrap();
    }

    let mut next = 0u64;
    let mut fresh = |n: usize| -> Vec<ConsentEvent> {
        (0..n)
            .map(|_| {
                next += 1;
                event(next % 50_000, next)
            })
            .collect()
    };
    const SINGLE: usize = 300;
    const BATCH: usize = 500;
    const BATCHES: usize = 4;
    const READS: usize = 1000;
    let (mut single, mut batch, mut read) = (vec![], vec![], vec![]);
    let (mut s_rate, mut b_rate, mut r_rate) = (vec![], vec![], vec![]);
    for round in 0..rounds {
        let ours_single = fresh(SINGLE);
        let raw_single: Vec<Row> = fresh(SINGLE).iter().map(row).collect();
        let ours_batches: Vec<Vec<ConsentEvent>> = (0..BATCHES).map(|_| fresh(BATCH)).collect();
        let raw_batches: Vec<Vec<Row>> = (0..BATCHES)
            .map(|_| fresh(BATCH).iter().map(row).collect())
            .collect();
        let people: Vec<EmailAddress> = (0..READS as u64)
            .map(|p| EmailAddress::parse(&format!("person{}@example.com", 5_000_000 + p)).unwrap())
            .collect();

        let mut t_ours = [0.0f64; 3];
        let mut t_raw = [0.0f64; 3];
        let ours_first = round % 2 == 0;
        for side in [ours_first, !ours_first] {
            if side {
                t_ours[0] = time(|| {
                    for e in &ours_single {
                        black_box(store.append(e).unwrap());
                    }
                });
                t_ours[1] = time(|| {
                    for b in &ours_batches {
                        black_box(store.append_batch(b).unwrap());
                    }
                });
                t_ours[2] = time(|| {
                    for p in &people {
                        assert_eq!(store.events_for(p).unwrap().len(), 10);
                    }
                });
            } else {
                t_raw[0] = time(|| {
                    for r in &raw_single {
                        let tx = raw.unchecked_transaction().unwrap();
                        tx.prepare_cached(INSERT)
                            .unwrap()
                            .execute(params![r.key, r.canonical, "acme", "news", r.body])
                            .unwrap();
                        tx.commit().unwrap();
                    }
                });
                t_raw[1] = time(|| {
                    for b in &raw_batches {
                        let tx = raw.unchecked_transaction().unwrap();
                        for r in b {
                            tx.prepare_cached(INSERT)
                                .unwrap()
                                .execute(params![r.key, r.canonical, "acme", "news", r.body])
                                .unwrap();
                        }
                        tx.commit().unwrap();
                    }
                });
                t_raw[2] = time(|| {
                    let mut stmt = raw_reader.prepare_cached(SELECT).unwrap();
                    for p in &people {
                        let bodies: Vec<String> = stmt
                            .query_map(params![p.canonical()], |r| r.get(0))
                            .unwrap()
                            .collect::<Result<_, _>>()
                            .unwrap();
                        assert_eq!(bodies.len(), 10);
                    }
                });
            }
        }
        single.push(t_raw[0] / t_ours[0]);
        batch.push(t_raw[1] / t_ours[1]);
        read.push(t_raw[2] / t_ours[2]);
        s_rate.push((SINGLE as f64 / t_ours[0], SINGLE as f64 / t_raw[0]));
        b_rate.push((
            (BATCH * BATCHES) as f64 / t_ours[1],
            (BATCH * BATCHES) as f64 / t_raw[1],
        ));
        r_rate.push((READS as f64 / t_ours[2], READS as f64 / t_raw[2]));
    }
    let med = |v: &[(f64, f64)], i: usize| {
        let mut x: Vec<f64> = v.iter().map(|p| if i == 0 { p.0 } else { p.1 }).collect();
        median(&mut x)
    };
    println!("SQLite, {rounds} rounds; raw ÷ consentry time (1.0 = parity), min / median / max");
    for (name, ratios, rates, unit) in [
        (
            "append, one per transaction",
            &mut single,
            &s_rate,
            "events/s",
        ),
        ("append, batches of 500", &mut batch, &b_rate, "events/s"),
        ("read one person's 10 events", &mut read, &r_rate, "reads/s"),
    ] {
        let (lo, mid, hi) = stats(ratios);
        println!(
            "{name:<30} consentry {:>9.0} {unit}  raw {:>9.0} {unit}  {lo:.2} / {mid:.2} / {hi:.2}",
            med(rates, 0),
            med(rates, 1)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
