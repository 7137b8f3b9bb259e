//! Does any parser take super-linear time? Each entry point of the fuzz
//! harness (`tests/harness/mod.rs`) runs on hostile inputs of 1 KB, 100 KB
//! and 1 MB, beside a baseline in the same round: a bare loop counting one
//! byte over the same input. Reported per entry point: ns per byte at each
//! size, and the growth from 1 KB to 1 MB (1.0 is linear; a quadratic path
//! would show about 1000).
//!
//! `cargo bench --all-features --bench parsers` (`ROUNDS`, default 5).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Instant;

#[allow(dead_code)]
#[path = "../tests/harness/mod.rs"]
mod harness;

/// A hostile input of `size` bytes for an entry point: its seed, then
/// delimiters, links, markup and percent signs repeated.
fn input(size: usize) -> Vec<u8> {
    let unit: &[u8] = b"ann@example.com <https://a.example/x?t=1&u=%41> \"q\" <div style=\"display:none\">Thank you for your order</div> 30% off; c2.k1.AAAA, =&@\0";
    unit.iter().copied().cycle().take(size).collect()
}

/// An HTML body (after the harness's subject half) whose first screen has
/// twenty commercial cues and whose rest is zero-width spaces in small
/// elements: text that normalises to nothing, so reading it in steps never
/// settles early.
fn zero_width(size: usize) -> Vec<u8> {
    // The harness splits subject and body at the first NUL.
    let mut s = String::from("Weekly news\0<p>");
    s.push_str(&"Save 20% off everything this weekend only. ".repeat(20));
    while s.len() < size {
        s.push_str("<b>\u{200b}\u{200b}\u{200b}\u{200b}</b>");
    }
    s.push_str("</p>");
    s.into_bytes()
}

/// Thousands of `<script>` start tags and no end tag.
fn unterminated_scripts(size: usize) -> Vec<u8> {
    let mut s = b"Weekly news\0".to_vec();
    s.extend(b"<script>x ".iter().copied().cycle().take(size));
    s
}

/// Words in random order that one shape of pattern turns into state after
/// state: a word, a long gap, a second word that repeats inside the gap,
/// a second gap (`seminar .{0,80}wird .{0,60}verschoben`; the shipped
/// lexicons no longer have that shape, and this input checks it stays so).
fn nested_gaps(size: usize) -> Vec<u8> {
    const WORDS: [&[u8]; 4] = [b"seminar ", b"wird ", b"x ", b"ab "];
    let mut s = b"Hallo\0".to_vec();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    while s.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.extend_from_slice(WORDS[(x % 4) as usize]);
    }
    s
}

/// The entry points, each with the hostile input it is measured on.
type Case = (&'static str, fn(&[u8]), fn(usize) -> Vec<u8>);

fn cases() -> Vec<Case> {
    let mut all: Vec<Case> = harness::TARGETS
        .iter()
        .map(|(name, run)| (*name, *run, input as fn(usize) -> Vec<u8>))
        .collect();
    all.push(("classify zero-width", harness::classify, zero_width));
    all.push((
        "classify <script>s",
        harness::classify,
        unterminated_scripts,
    ));
    all.push(("classify nested gaps", harness::classify, nested_gaps));
    all
}

#[allow(clippy::disallowed_methods)] // benches may read the clock
fn time(mut f: impl FnMut(), budget_ns: u128) -> f64 {
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed().as_nanos() < budget_ns || n < 3 {
        f();
        n += 1;
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let only = std::env::var("ONLY").ok();
    let sizes = [1usize << 10, 100 << 10, 1 << 20];
    println!(
        "{:<20} {:>22} {:>22} {:>22} {:>16}",
        "entry point",
        "1 KB ns/B (base)",
        "100 KB ns/B (base)",
        "1 MB ns/B (base)",
        "growth min/med/max"
    );
    for (name, run, input) in cases() {
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        // Warm up: the first call builds what the entry point caches (the
        // classifier compiles its lexicons once).
        run(&input(1 << 10));
        let mut per_size: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); sizes.len()];
        for round in 0..rounds {
            for (i, size) in sizes.iter().enumerate() {
                let data = input(*size);
                let budget = 20_000_000;
                let base = || {
                    black_box(black_box(&data).iter().filter(|b| **b == b'<').count());
                };
                let entry = || run(black_box(&data));
                // Rotate which runs first each round.
                let (b, e) = if round % 2 == 0 {
                    let b = time(base, budget);
                    (b, time(entry, budget))
                } else {
                    let e = time(entry, budget);
                    (time(base, budget), e)
                };
                per_size[i].0.push(e / *size as f64);
                per_size[i].1.push(b / *size as f64);
            }
        }
        let small: Vec<f64> = per_size[0].0.clone();
        let large: Vec<f64> = per_size[2].0.clone();
        let mut growth: Vec<f64> = large.iter().zip(&small).map(|(l, s)| l / s).collect();
        growth.sort_by(f64::total_cmp);
        let cells: Vec<String> = per_size
            .iter_mut()
            .map(|(e, b)| format!("{:>9.2} ({:>6.3})", median(e), median(b)))
            .collect();
        println!(
            "{name:<20} {:>22} {:>22} {:>22} {:>5.2}/{:.2}/{:.2}",
            cells[0],
            cells[1],
            cells[2],
            growth[0],
            median(&mut growth.clone()),
            growth[growth.len() - 1]
        );
    }
}
