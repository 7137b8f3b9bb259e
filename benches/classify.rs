//! Classification of a 10 KB body holding non-ASCII characters, beside one
//! multi-pattern regex pass over the same body with the same patterns.
//!
//! `cargo bench --bench classify`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::hint::black_box;

use consentry::classify::{Classifier, Lexicon, Message};
mod common;

use common::{median, time};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use regex::Regex;

fn body() -> String {
    let opening = "Thank you for your order #58213 at “Café Léa”. Order total: 42,00 €.\n";
    let paragraph = "We’re glad you chose us — every item is packed by hand in Portland, \
        and our team checks each parcel before it leaves the workshop. If anything is \
        not right, reply to this message and we’ll make it right © 2026 Acme Shop. ";
    let mut b = String::from(opening);
    while b.len() < 10 * 1024 - 200 {
        b.push_str(paragraph);
    }
    b.push_str("\nP.S. Don’t miss our new collection: 15% off with coupon SUMMER.");
    b
}

fn bench(c: &mut Criterion) {
    let body = body();
    assert!(body.len() >= 10 * 1024 - 300 && !body.is_ascii());
    let lexicon = Lexicon::default();
    let classifier = Classifier::from_lexicon(lexicon.clone()).unwrap();
    let message = Message::text("Your order #58213", body.clone());
    let baseline = Regex::new(&lexicon.combined_pattern()).unwrap();
    // The same patterns with the regex crate's default Unicode `\b`: the trap.
    let unicode = Regex::new(
        &lexicon
            .promotional
            .iter()
            .chain(lexicon.transactional.values().flatten())
            .map(|p| format!("(?i:{p})"))
            .collect::<Vec<_>>()
            .join("|"),
    )
    .unwrap();
    let expected = baseline.find_iter(&body).count();
    assert!(expected >= 3);
    let in_subject = baseline.find_iter(&message.subject).count();
    assert_eq!(
        classifier.classify(&message).reasons().len() - 1,
        expected + in_subject
    );

    let mut g = c.benchmark_group("classify_10kb_non_ascii");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("baseline: one multi-pattern regex pass", |b| {
        b.iter(|| black_box(baseline.find_iter(black_box(&body)).count()))
    });
    g.bench_function("consentry: classify", |b| {
        b.iter(|| black_box(*classifier.classify(black_box(&message)).outcome()))
    });
    g.bench_function("trap: same pass with Unicode word boundaries", |b| {
        b.iter(|| black_box(unicode.find_iter(black_box(&body)).count()))
    });
    g.finish();

    // Interleaved rounds, median of per-round ratios (see benches/campaign.rs).
    let rounds = 31;
    let reps = 200;
    let mut ratio = Vec::with_capacity(rounds);
    let mut trap = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let base = time(|| {
            for _ in 0..reps {
                black_box(baseline.find_iter(black_box(&body)).count());
            }
        });
        let ours = time(|| {
            for _ in 0..reps {
                black_box(*classifier.classify(black_box(&message)).outcome());
            }
        });
        let slow = time(|| {
            black_box(unicode.find_iter(black_box(&body)).count());
        }) * reps as f64;
        ratio.push(base / ours);
        trap.push(slow / base);
    }
    eprintln!(
        "interleaved, median of {rounds} rounds: classify throughput / baseline throughput = {:.2}; Unicode-boundary pass is {:.0}x slower than the baseline",
        median(&mut ratio),
        median(&mut trap)
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
