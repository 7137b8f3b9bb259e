//! The pre-send lint stays linear in time and memory on hostile bodies: a
//! 10 MiB one-line body with a URL every 20 bytes (half a million links).
//! Before the fix, rendering copied the whole line once per URL and
//! lowercased every copy: 320 KB of such a body peaked at 5 GB.
//!
//! This file holds one test so that the process's peak resident size
//! (`VmHWM`, Linux) measures it alone.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use consentry::classify::{Classifier, Message};
use consentry::eligibility::{lint, SenderProfile};
use consentry::{EmailAddress, OutboundMessage};

fn peak_resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[test]
fn lint_is_linear_on_a_ten_mebibyte_body_with_a_url_every_twenty_bytes() {
    let profile = SenderProfile {
        unsubscribe_url_prefix: None,
        business_name: None,
        contact: None,
        ..common::sender_profile()
    };
    let body = "https://a.example/x ".repeat(10 * 1024 * 1024 / 20);
    assert!(body.len() >= 10 * 1024 * 1024 - 20);
    let msg = OutboundMessage::builder(
        EmailAddress::parse("news@shop.example").unwrap(),
        EmailAddress::parse("ann@example.com").unwrap(),
    )
    .subject("Spring sale")
    .text(body)
    .build()
    .unwrap();
    let class = Classifier::default().classify(&Message::text("Spring sale", "40% off everything"));
    let before = peak_resident_kib();
    let issues = lint(&msg, &class, &profile);
    let after = peak_resident_kib();
    // No link is labelled unsubscribe and there is no postal address.
    assert!(issues
        .iter()
        .any(|r| r.rule.as_str() == "lint.unsubscribe_link"));
    assert!(issues
        .iter()
        .any(|r| r.rule.as_str() == "lint.postal_address"));
    if let (Some(before), Some(after)) = (before, after) {
        let grown_mib = after.saturating_sub(before) / 1024;
        // The body is 10 MiB; the lint copies it once into its text and
        // once normalised, and keeps 32 bytes per link: well under 12x.
        assert!(
            grown_mib < 120,
            "peak resident size grew by {grown_mib} MiB"
        );
    }
}
