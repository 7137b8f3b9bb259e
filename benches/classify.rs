//! Classification beside one multi-pattern regex pass with the same
//! patterns, on four realistic bodies (committed in `benches/data/`):
//!
//! - a 10 KB receipt with dozens of matches (`receipt_10k.txt`),
//! - a 1 KB security notification (`notification_1k.txt`),
//! - a 100 KB HTML newsletter (`newsletter_100k.html`; the baseline runs
//!   over its visible text, extracted beforehand, while the classifier
//!   extracts it itself inside the timed call),
//! - the 10 KB mostly-ASCII body with typographic quotes, accents and a
//!   `©` that the previous version of this bench used.
//!
//! The baseline is the `regex` crate compiling every pattern of the four
//! shipped lexicons into one case-insensitive alternation (`(?i:p1)|(?i:p2)|…`,
//! ASCII word boundaries) and counting its matches: "one multi-pattern pass".
//! A second reference, `regex-automata`'s multi-pattern meta regex over the
//! same patterns (case-sensitive, on normalised text), is timed on the
//! smallest body only: it is the engine the classifier used before it had
//! a prefilter.
//!
//! Rounds are interleaved and the contenders' order rotates every round,
//! so the machine's load drift falls on both; min, median and max of the
//! per-round ratio are printed.
//!
//! The four bodies are each searched over and over, so both contenders'
//! lazy DFAs have built every state they need after the first call: the
//! figures are for a body seen before. A service sees mostly new text, so
//! the bench also classifies a stream of distinct messages (the labelled
//! corpus, `tests/data/corpus/`, `STREAM` messages a round, default
//! 1,500), each contender built afresh each round: every message once
//! ("first sight"), then the same messages again ("second sight"; the
//! baseline keeps up to 1 GB of states, the classifier 32 MB).
//!
//! `cargo bench --bench classify` (`ROUNDS`, default 15 for the bodies and
//! 3 for the stream; `ONLY=stream` or a body's name for one part)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::hint::black_box;

use consentry::classify::{html_to_text, normalize, Classifier, Lexicon, Message};
mod common;

use common::{in_turn, median, rounds, stats, time};

fn legacy_body() -> String {
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

struct Input {
    name: &'static str,
    message: Message,
    /// What the baseline searches: the body text (visible text for HTML).
    baseline_text: String,
}

fn inputs() -> Vec<Input> {
    let receipt = include_str!("data/receipt_10k.txt").to_owned();
    let notification = include_str!("data/notification_1k.txt").to_owned();
    let newsletter = include_str!("data/newsletter_100k.html").to_owned();
    let visible = html_to_text(&newsletter).text;
    vec![
        Input {
            name: "receipt 10 KB",
            message: Message::text("Your Acme Market receipt", receipt.clone()),
            baseline_text: receipt,
        },
        Input {
            name: "notification 1 KB",
            message: Message::text("New sign-in to your account", notification.clone()),
            baseline_text: notification,
        },
        Input {
            name: "HTML newsletter 100 KB",
            message: Message::html("The spring edit is here", newsletter),
            baseline_text: visible,
        },
        Input {
            name: "legacy 10 KB non-ASCII",
            message: Message::text("Your order #58213", legacy_body()),
            baseline_text: legacy_body(),
        },
    ]
}

fn main() {
    let lexicons = Lexicon::builtin().unwrap();
    let patterns: usize = lexicons
        .iter()
        .map(|l| {
            l.promotional.len()
                + l.transactional.values().map(Vec::len).sum::<usize>()
                + l.transactional_references
                    .values()
                    .map(Vec::len)
                    .sum::<usize>()
        })
        .sum();
    let classifier = Classifier::from_lexicons(lexicons.clone()).unwrap();
    let baseline = regex::RegexBuilder::new(&Lexicon::combined_pattern(&lexicons))
        .size_limit(1 << 30)
        .dfa_size_limit(1 << 30)
        .build()
        .unwrap();
    eprintln!("{patterns} patterns in the four shipped lexicons");
    let rounds = rounds(15);
    let only = std::env::var("ONLY").ok();
    for input in inputs() {
        if only.as_deref().is_some_and(|o| !input.name.contains(o)) {
            continue;
        }
        let bytes = input.baseline_text.len();
        let matches = baseline.find_iter(&input.baseline_text).count();
        let class = *classifier.classify(&input.message).outcome();
        // Repetitions per round: about 20 ms of the baseline.
        let one = time(|| {
            black_box(baseline.find_iter(black_box(&input.baseline_text)).count());
        });
        let reps = ((0.02 / one.max(1e-7)) as usize).clamp(1, 20_000);
        let mut ratios = Vec::with_capacity(rounds);
        let (mut ours_t, mut base_t) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            let run_base = || {
                time(|| {
                    for _ in 0..reps {
                        black_box(baseline.find_iter(black_box(&input.baseline_text)).count());
                    }
                })
            };
            let run_ours = || {
                time(|| {
                    for _ in 0..reps {
                        black_box(*classifier.classify(black_box(&input.message)).outcome());
                    }
                })
            };
            // Rotate the order every round.
            let (b, o) = in_turn(round, run_base, run_ours);
            ratios.push(b / o);
            base_t.push(b / reps as f64);
            ours_t.push(o / reps as f64);
        }
        let (lo, mid, hi) = stats(&mut ratios);
        let mb = |t: f64| bytes as f64 / t / 1e6;
        eprintln!(
            "{:<24} {:>7} B, {:>3} baseline matches, class {class}: baseline {:>8.1} us ({:>6.1} MB/s), classify {:>8.1} us ({:>6.1} MB/s); throughput ratio classify/baseline min {:.2} median {:.2} max {:.2}",
            input.name,
            bytes,
            matches,
            median(&mut base_t) * 1e6,
            mb(median(&mut base_t)),
            median(&mut ours_t) * 1e6,
            mb(median(&mut ours_t)),
            lo,
            mid,
            hi
        );
    }
    if only.as_deref().is_none_or(|o| "stream".contains(o)) {
        stream(&lexicons);
    }
    if only.is_some() {
        return;
    }
    // The engine before the prefilter: every pattern in one meta regex.
    let rewritten: Vec<String> = lexicons
        .iter()
        .flat_map(|l| {
            l.promotional
                .iter()
                .chain(l.transactional.values().flatten())
                .chain(l.transactional_references.values().flatten())
                .map(|p| p.replace(r"\b", r"(?-u:\b)"))
                .collect::<Vec<_>>()
        })
        .collect();
    let meta = regex_automata::meta::Regex::new_many(&rewritten).unwrap();
    let text = normalize(include_str!("data/notification_1k.txt"));
    let t_meta = time(|| {
        black_box(meta.find_iter(black_box(&text)).count());
    });
    let msg = Message::text(
        "New sign-in to your account",
        include_str!("data/notification_1k.txt"),
    );
    let t_ours = time(|| {
        black_box(*classifier.classify(black_box(&msg)).outcome());
    });
    eprintln!(
        "reference, 1 KB notification, first pass: one meta regex over all patterns {:.1} ms; classify {:.3} ms",
        t_meta * 1e3,
        t_ours * 1e3
    );
}

/// The labelled corpus as messages, and the text the baseline searches for
/// each (subject and visible body).
fn corpus() -> Vec<(Message, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        for line in std::fs::read_to_string(&f).unwrap().lines() {
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let subject = v["subject"].as_str().unwrap_or_default().to_owned();
            let (message, body) = match v["html"].as_str() {
                Some(h) => (Message::html(subject.clone(), h), html_to_text(h).text),
                None => {
                    let t = v["text"].as_str().unwrap_or_default();
                    (Message::text(subject.clone(), t), t.to_owned())
                }
            };
            out.push((message, format!("{subject}\n{body}")));
        }
    }
    out
}

/// Distinct messages, each contender built afresh each round.
fn stream(lexicons: &[Lexicon]) {
    let all = corpus();
    let per_round: usize = std::env::var("STREAM")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1_500)
        .min(all.len());
    let rounds = rounds(3);
    // [first sight, second sight]: per-round ratios, and each side's time
    // a message.
    let mut ratios = [Vec::new(), Vec::new()];
    let mut ours_t = [Vec::new(), Vec::new()];
    let mut base_t = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        // A different slice of the corpus each round (it wraps around).
        let take: Vec<&(Message, String)> = all
            .iter()
            .cycle()
            .skip(round * per_round % all.len())
            .take(per_round)
            .collect();
        let classifier = Classifier::from_lexicons(lexicons.to_vec()).unwrap();
        let baseline = regex::RegexBuilder::new(&Lexicon::combined_pattern(lexicons))
            .size_limit(1 << 30)
            .dfa_size_limit(1 << 30)
            .build()
            .unwrap();
        let run_ours = || {
            time(|| {
                for (m, _) in &take {
                    black_box(*classifier.classify(black_box(m)).outcome());
                }
            })
        };
        let run_base = || {
            time(|| {
                for (_, t) in &take {
                    black_box(baseline.find_iter(black_box(t)).count());
                }
            })
        };
        for sight in 0..2 {
            let (b, o) = in_turn(round, run_base, run_ours);
            ratios[sight].push(b / o);
            ours_t[sight].push(o / per_round as f64);
            base_t[sight].push(b / per_round as f64);
        }
    }
    let [first, second] = &mut ratios;
    let [ours_first, ours_second] = &mut ours_t;
    let [base_first, base_second] = &mut base_t;
    for (label, ratios, ours, base) in [
        ("stream, first sight", first, ours_first, base_first),
        ("stream, second sight", second, ours_second, base_second),
    ] {
        let (lo, mid, hi) = stats(ratios);
        eprintln!(
            "{label:<24} {per_round} messages a round: baseline {:>8.1} us a message, classify {:>8.1} us; throughput ratio classify/baseline min {lo:.2} median {mid:.2} max {hi:.2}",
            median(base) * 1e6,
            median(ours) * 1e6,
        );
    }
}
