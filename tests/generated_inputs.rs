//! Generated hostile inputs for every parser and entry point that takes
//! outside input (issue 12 item 15): the stable, high-volume counterpart of
//! the cargo-fuzz targets in `fuzz/`, sharing their harness
//! (`tests/harness/mod.rs`). No input may panic, and the round-trip invariants
//! the harness checks must hold.
//!
//! CI runs `CONSENTRY_FUZZ_INPUTS` inputs per entry point (default 20,000);
//! the long run is
//! `CONSENTRY_FUZZ_INPUTS=1000000 cargo test --release --all-features --test generated_inputs -- --nocapture`.
#![cfg(all(feature = "toml", feature = "sqlite"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[allow(dead_code)]
mod harness;

/// A small deterministic generator (xorshift64*): the same inputs on every
/// run, so a failure reproduces.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Pieces hostile input is made of: delimiters of every format the crate
/// reads, encodings, invisible and look-alike characters, overlong runs.
const DICTIONARY: &[&str] = &[
    "@",
    "<",
    ">",
    ",",
    ";",
    ":",
    "=",
    "&",
    "?",
    "#",
    "%",
    "%0d%0a",
    "%FF",
    "\r\n",
    "\n",
    "\0",
    "\"",
    "'",
    "\\",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ".",
    "..",
    " ",
    "\t",
    "mailto:",
    "https://",
    "http://",
    "POST",
    "post",
    "PoSt",
    "GET",
    "List-Unsubscribe=One-Click",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "v1.",
    "v2.",
    "k1.",
    "c1.",
    "c2.",
    "site1.",
    "\u{ad}",
    "\u{200b}",
    "\u{202e}",
    "\u{feff}",
    "\u{41f}",
    "\u{212a}",
    "ａ",
    "é",
    "e\u{301}",
    "<div style=\"display:none\">",
    "</div>",
    "<!--",
    "-->",
    "<title>",
    "<script>",
    "<style>",
    ".x{display:none}",
    "&amp;",
    "&#x41;",
    "&#9999999999;",
    "30% off",
    "order #12345",
    "Thank you for your order",
    "{\"kind\":\"opted_out\"}",
    "\"id\":",
    "\"tenant\":\"acme\"",
    "\"address\":\"a@b.example\"",
    "\"at\":\"2026-01-01T00:00:00Z\"",
    "revision = 1",
    "[[cookies]]",
    "\"cookies\": [",
    "Set-Cookie: a=1",
    "Domain=evil.example",
    "9999999999999999999",
    "-1",
    "1e309",
    "[192.0.2.1]",
    "[IPv6:::1]",
    "xn--",
    "Bcc: x@y.example",
];

/// Seeds: one valid input per entry point, so mutations start from deep
/// inside each format.
fn seeds(target: &str) -> Vec<&'static [u8]> {
    let s: &[&str] = match target {
        "address" => &["ann@example.com", "\"john doe\"@example.com", "ann@[192.0.2.1]", "josé@café.example"],
        "list_unsubscribe" => &["<mailto:u@l.example?subject=unsubscribe>, <https://l.example/u/abc>\0List-Unsubscribe=One-Click"],
        "mailto" => &["a@example.org,b@example.org?subject=caf%C3%A9&body=x", "%22not%40me%22@example.org"],
        "one_click_request" => &["POST application/x-www-form-urlencoded\0List-Unsubscribe=One-Click"],
        "token" => &["v2.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "v1.k1.YWNtZR9uZXdz.AAAA"],
        "consent_cookie" => &["c2.site1.3.5.1777629600.p.AAAAAAAAAAAAAAAAAAAAAA", "c1.3.f.1.a.AAAAAAAA"],
        "privacy_signals" => &["1\x001", " 1 \x00 0"],
        "ad_opt_out_cookie" => &["sid=abc; consentry_ad_opt_out=1; lang=fr"],
        "cookie_policy" => &[r#"{"revision": 1, "cookies": [{"name": "sid", "domain": "shop.example", "category": "strictly_necessary", "lifetime": "session"}]}"#,
            "revision = 1\n[[cookies]]\nname = \"sid\"\ndomain = \"shop.example\"\ncategory = \"analytics\"\nlifetime = { days = 30 }\n"],
        "disclosure_policy" => &["{}", "{\"rules\": []}"],
        "consent_event" => &[r#"{"id":"e1","at":"2026-01-01T00:00:00Z","tenant":"acme","list":"news","address":"ann@example.com","action":{"kind":"opted_out","via":"one_click"}}"#],
        "classify" => &["Your receipt\0Order #12345 total $42.00 charged to Visa", "Spring sale\0<p>30% off everything</p><div style=\"display:none\">Thank you for your order</div>"],
        "lint" => &["30% off https://shop.example/x unsubscribe https://mail.shop.example/u?t=1\0<a href=\"https://mail.shop.example/u\">Unsubscribe</a>"],
        "message_headers" => &["X-Campaign\0spring-2026"],
        _ => &[""],
    };
    s.iter().map(|x| x.as_bytes()).collect()
}

fn mutate(g: &mut Gen, seed: &[u8], max_len: usize) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..1 + g.below(8) {
        let at = g.below(out.len() + 1);
        match g.below(7) {
            0 => {
                let piece = DICTIONARY[g.below(DICTIONARY.len())].as_bytes();
                out.splice(at..at, piece.iter().copied());
            }
            1 if !out.is_empty() => {
                let i = g.below(out.len());
                out[i] = g.next() as u8;
            }
            2 if !out.is_empty() => {
                let end = (at + g.below(16)).min(out.len());
                out.drain(at..end);
            }
            3 => {
                let n = g.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| g.next() as u8).collect();
                out.splice(at..at, bytes);
            }
            4 if !out.is_empty() => {
                // Repeat a slice: long runs find quadratic paths.
                let start = g.below(out.len());
                let end = (start + 1 + g.below(8)).min(out.len());
                let piece = out[start..end].to_vec();
                for _ in 0..g.below(64) {
                    out.splice(at..at, piece.iter().copied());
                }
            }
            5 => {
                let piece = DICTIONARY[g.below(DICTIONARY.len())].as_bytes();
                out = piece.to_vec();
            }
            _ => {
                let i = g.below(out.len() + 1);
                out.truncate(i);
            }
        }
    }
    out.truncate(max_len);
    out
}

fn inputs_per_target() -> usize {
    std::env::var("CONSENTRY_FUZZ_INPUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

#[test]
fn no_generated_input_panics_any_entry_point() {
    let n = inputs_per_target();
    for (i, (name, run)) in harness::TARGETS.iter().enumerate() {
        let mut g = Gen(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1));
        let seeds = seeds(name);
        for k in 0..n {
            let seed = seeds[k % seeds.len()];
            let input = mutate(&mut g, seed, 4096);
            let outcome = std::panic::catch_unwind(|| run(&input));
            assert!(
                outcome.is_ok(),
                "{name} panicked on input {k}: {:?}",
                String::from_utf8_lossy(&input)
            );
        }
        println!("{name:<20} {n} inputs, no panic");
    }
}

#[test]
fn large_inputs_are_refused_or_handled_without_panicking() {
    // 1 KB, 100 KB and 1 MB of the kind of input each parser meets: they
    // must return (time is measured in `benches/parsers.rs`, not here).
    for (name, run) in harness::TARGETS {
        for size in [1 << 10, 100 << 10, 1 << 20] {
            let mut input = seeds(name)[0].to_vec();
            while input.len() < size {
                input.extend_from_slice(b" https://a.example/x <a href=\"#\">x</a> 30% off ;,=&@");
            }
            input.truncate(size);
            run(&input);
        }
    }
}
