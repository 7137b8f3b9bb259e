//! Address parsing and token verification, each beside its baseline in the
//! same run: parsing 2,000 realistic ASCII addresses
//! (`benches/data/addresses.txt`) beside lowercasing the same strings, and
//! verifying 2,000 unsubscribe tokens beside one raw HMAC-SHA256 of each
//! token's bytes. Rounds alternate which contender runs first; the figure
//! is the per-round ratio, min / median / max.
//!
//! `cargo bench --bench primitives` (`ROUNDS`, default 15).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use common::{median, rounds, stats, time};
use consentry::unsubscribe::{KeyRing, TokenKey};
use consentry::{EmailAddress, ListId, TenantId};
use hmac::{Hmac, Mac};
use sha2::Sha256;

fn main() {
    let rounds = rounds(15);
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/data/addresses.txt"
    ))
    .unwrap();
    let addresses: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    assert!(addresses.iter().all(|a| EmailAddress::parse(a).is_ok()));

    let parse = || {
        for a in &addresses {
            black_box(EmailAddress::parse(black_box(a)).ok());
        }
    };
    let lower = || {
        for a in &addresses {
            black_box(black_box(a).to_lowercase());
        }
    };

    let ring = KeyRing::new(TokenKey::new("k2026", vec![7u8; 32]).unwrap());
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
    let (tenant, list) = (
        TenantId::new("acme-shop").unwrap(),
        ListId::new("weekly-deals").unwrap(),
    );
    let tokens: Vec<String> = addresses
        .iter()
        .map(|a| ring.issue_sealed(&tenant, &list, &EmailAddress::parse(a).unwrap(), now))
        .collect();
    let raw_key = [7u8; 32];
    let verify = || {
        for t in &tokens {
            black_box(ring.verify(black_box(t), now).ok());
        }
    };
    let hmac = || {
        for t in &tokens {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&raw_key).unwrap();
            mac.update(black_box(t).as_bytes());
            black_box(mac.finalize().into_bytes());
        }
    };

    // Warm up.
    parse();
    lower();
    verify();
    hmac();
    let (mut p, mut l, mut v, mut h) = (vec![], vec![], vec![], vec![]);
    for round in 0..rounds {
        if round % 2 == 0 {
            p.push(time(parse));
            l.push(time(lower));
            v.push(time(verify));
            h.push(time(hmac));
        } else {
            l.push(time(lower));
            p.push(time(parse));
            h.push(time(hmac));
            v.push(time(verify));
        }
    }
    let n = addresses.len() as f64;
    let mut ratios: Vec<f64> = p.iter().zip(&l).map(|(a, b)| a / b).collect();
    let (lo, mid, hi) = stats(&mut ratios);
    println!(
        "EmailAddress::parse, {} ASCII addresses: {:.0} ns each; lowercasing {:.0} ns; parse ÷ lowercase {lo:.2} / {mid:.2} / {hi:.2}",
        addresses.len(),
        median(&mut p.clone()) / n * 1e9,
        median(&mut l.clone()) / n * 1e9,
    );
    let mut ratios: Vec<f64> = v.iter().zip(&h).map(|(a, b)| a / b).collect();
    let (lo, mid, hi) = stats(&mut ratios);
    println!(
        "KeyRing::verify, {} tokens ({} chars on average): {:.0} ns each; raw HMAC-SHA256 {:.0} ns; verify ÷ HMAC {lo:.2} / {mid:.2} / {hi:.2}",
        tokens.len(),
        tokens.iter().map(String::len).sum::<usize>() / tokens.len(),
        median(&mut v.clone()) / n * 1e9,
        median(&mut h.clone()) / n * 1e9,
    );
}
