//! `DisclosurePolicy::decide` (reasons written) and
//! `DisclosurePolicy::verdict` (reasons on demand) under the default policy,
//! beside a hand-written `match` of the same rules, on the same 1,024
//! requests.
//!
//! `cargo bench --bench disclosure`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;
#[path = "common/requests.rs"]
mod requests;

use std::hint::black_box;

use common::{median, time};
use consentry::disclosure::{
    DataCategory as D, DisclosurePolicy, DisclosureRequest, Purpose, Recipient, SubjectRegion,
    Transfer, TransferMechanism,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// The default policy written by hand: forbids first, then permits, else deny.
fn hand_written(r: &DisclosureRequest) -> bool {
    let personal = r.data.has_personal();
    let has = |c| r.data.contains(c);
    let only = |allowed: &[D]| r.data.iter().all(|c| allowed.contains(&c));
    if matches!(
        r.purpose,
        Purpose::SaleOrRental | Purpose::RecipientOwnMarketing
    ) && personal
    {
        return false;
    }
    if has(D::PaymentCard) && r.recipient != Recipient::PaymentProcessor {
        return false;
    }
    if has(D::AccountCredentials) {
        return false;
    }
    match r.recipient {
        Recipient::AdPartner if personal => return false,
        Recipient::ReferralPartner { .. }
            if has(D::PaymentCard)
                || has(D::AccountCredentials)
                || has(D::UsageLogs)
                || has(D::UploadedContacts) =>
        {
            return false
        }
        _ => {}
    }
    if let Some(t) = &r.transfer {
        if t.leaves_protected_region() && t.mechanism.is_none() && personal {
            return false;
        }
    }
    match (r.recipient, r.purpose) {
        (
            Recipient::ServiceProvider {
                forbids_own_use: true,
                requires_confidentiality: true,
            },
            Purpose::ProvideService | Purpose::CustomerSupport | Purpose::Payment,
        ) => true,
        (Recipient::PaymentProcessor, Purpose::Payment) => only(&[
            D::Name,
            D::Email,
            D::PostalAddress,
            D::Phone,
            D::PaymentCard,
        ]),
        (
            Recipient::ReferralPartner {
                introduced_customer: true,
            },
            Purpose::ReferralAttribution,
        ) => only(&[D::Name, D::Email, D::AnonymousAggregate]),
        (
            Recipient::Court | Recipient::Regulator | Recipient::LawEnforcement,
            Purpose::LegalCompliance,
        ) => r.legal_process.is_some(),
        (Recipient::AdPartner, Purpose::AdMeasurement) => only(&[D::AnonymousAggregate]),
        (
            Recipient::Employee,
            Purpose::ProvideService
            | Purpose::CustomerSupport
            | Purpose::Payment
            | Purpose::LegalCompliance,
        ) => true,
        _ => false,
    }
}

fn bench(c: &mut Criterion) {
    let policy = DisclosurePolicy::default();
    let reqs = requests::requests(1024, 0x9e37_79b9_7f4a_7c15);
    let permitted = reqs
        .iter()
        .filter(|r| policy.decide(r).is_permitted())
        .count();
    for r in &reqs {
        assert_eq!(policy.decide(r).is_permitted(), hand_written(r), "{r:?}");
    }
    eprintln!(
        "{permitted} of {} requests permitted; engine and hand-written agree on all",
        reqs.len()
    );

    let mut g = c.benchmark_group("disclosure_decide_1024_requests");
    g.throughput(Throughput::Elements(reqs.len() as u64));
    g.bench_function("baseline: hand-written match", |b| {
        b.iter(|| reqs.iter().filter(|r| hand_written(black_box(r))).count())
    });
    g.bench_function("consentry: DisclosurePolicy::decide", |b| {
        b.iter(|| {
            reqs.iter()
                .filter(|r| policy.decide(black_box(r)).is_permitted())
                .count()
        })
    });
    g.bench_function("consentry: DisclosurePolicy::verdict", |b| {
        b.iter(|| {
            reqs.iter()
                .filter(|r| policy.verdict(black_box(r)).is_permitted())
                .count()
        })
    });
    g.finish();

    interleaved("bench mix", &policy, &reqs);
    // A skewed mix: every request the heaviest kind, personal data of
    // someone in the EU sent to the United States under standard
    // contractual clauses (so permitted ones name their mechanism too).
    let skewed: Vec<DisclosureRequest> = reqs
        .iter()
        .cloned()
        .map(|r| {
            r.with_transfer(Transfer {
                recipient_country: "US".into(),
                subject_region: SubjectRegion::EuEea,
                mechanism: Some(TransferMechanism::StandardContractualClauses),
            })
        })
        .collect();
    for r in &skewed {
        assert_eq!(policy.decide(r).is_permitted(), hand_written(r), "{r:?}");
    }
    interleaved("skewed mix (all EU to US under SCCs)", &policy, &skewed);
}

/// The time of `reps` passes over `reqs`, counting the permitted ones with
/// `permitted` (generic, so each contender is inlined as when called
/// directly).
fn timed(
    reqs: &[DisclosureRequest],
    reps: usize,
    permitted: impl Fn(&DisclosureRequest) -> bool,
) -> f64 {
    time(|| {
        for _ in 0..reps {
            black_box(reqs.iter().filter(|r| permitted(black_box(r))).count());
        }
    })
}

/// Interleaved rounds, the order of the three contenders rotating each
/// round, reported as min / median / max of the per-round ratio to the
/// hand-written match and the median time a decision.
fn interleaved(name: &str, policy: &DisclosurePolicy, reqs: &[DisclosureRequest]) {
    let rounds = 31;
    let reps = 200;
    let base_once = || timed(reqs, reps, hand_written);
    let decide_once = || timed(reqs, reps, |r| policy.decide(r).is_permitted());
    let verdict_once = || timed(reqs, reps, |r| policy.verdict(r).is_permitted());
    let (mut r_decide, mut r_verdict, mut t_decide, mut t_verdict) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let mut t = [0.0f64; 3];
        for k in 0..3 {
            let which = (round + k) % 3;
            t[which] = match which {
                0 => base_once(),
                1 => decide_once(),
                _ => verdict_once(),
            };
        }
        let per = |x: f64| x / (reps as f64 * reqs.len() as f64) * 1e9;
        r_decide.push(t[1] / t[0]);
        r_verdict.push(t[2] / t[0]);
        t_decide.push(per(t[1]));
        t_verdict.push(per(t[2]));
    }
    for (label, ratio, per) in [
        ("decide", &mut r_decide, &mut t_decide),
        ("verdict", &mut r_verdict, &mut t_verdict),
    ] {
        let m = median(ratio);
        let pm = median(per);
        eprintln!(
            "{name}: {rounds} rounds, order rotating: {label} / hand-written = {:.2} / {m:.2} / {:.2}x (min / median / max); {pm:.1} ns a decision (min {:.1}, max {:.1})",
            ratio[0],
            ratio[ratio.len() - 1],
            per[0],
            per[per.len() - 1]
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
