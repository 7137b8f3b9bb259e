//! Helpers shared by the benches: interleaved timing and its summary.
#![allow(dead_code)] // each bench uses some of them

/// Wall time of one call, in seconds (benches may read the clock).
#[allow(clippy::disallowed_methods)]
pub fn time(f: impl FnOnce()) -> f64 {
    let start = std::time::Instant::now();
    f();
    start.elapsed().as_secs_f64()
}

/// The median of a sample (sorts it).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Min, median and max of a sample (sorts it).
pub fn stats(v: &mut [f64]) -> (f64, f64, f64) {
    let m = median(v);
    let first = v.first().copied().unwrap_or(f64::NAN);
    let last = v.last().copied().unwrap_or(f64::NAN);
    (first, m, last)
}

/// `ROUNDS` from the environment, else `default`.
pub fn rounds(default: usize) -> usize {
    std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(default)
}

/// Run two timed contenders once each, `a` first in even rounds and `b`
/// first in odd ones; their results as `(a, b)`.
pub fn in_turn<T>(round: usize, a: impl FnOnce() -> T, b: impl FnOnce() -> T) -> (T, T) {
    if round % 2 == 0 {
        let a = a();
        (a, b())
    } else {
        let b = b();
        (a(), b)
    }
}

/// Time `a` and `b` once each per round, the first to run alternating
/// between rounds; their times, round by round.
pub fn alternate(rounds: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> (Vec<f64>, Vec<f64>) {
    let (mut ta, mut tb) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for round in 0..rounds {
        if round % 2 == 0 {
            ta.push(time(&mut a));
            tb.push(time(&mut b));
        } else {
            tb.push(time(&mut b));
            ta.push(time(&mut a));
        }
    }
    (ta, tb)
}

/// File the `k`-th suppressed address of the campaign benches' mix: 40%
/// list opt-outs (`acme`/`news`), 20% tenant complaints, 20% hard bounces,
/// 10% soft-bounce streaks, 10% complaints at another tenant (`globex`:
/// in the index, never covering an `acme` campaign).
pub fn suppress_in_mix(
    index: &mut consentry::eligibility::SuppressionIndex,
    k: usize,
    address: &consentry::EmailAddress,
    (acme, news, globex): (
        &consentry::TenantId,
        &consentry::ListId,
        &consentry::TenantId,
    ),
) {
    use consentry::{Scope, SuppressionKind};
    match k % 10 {
        0..=3 => index.insert(
            address,
            &Scope::List(acme.clone(), news.clone()),
            SuppressionKind::OptedOut,
        ),
        4 | 5 => index.insert(
            address,
            &Scope::Tenant(acme.clone()),
            SuppressionKind::Complaint,
        ),
        6 | 7 => index.insert(address, &Scope::Global, SuppressionKind::HardBounce),
        8 => index.insert(address, &Scope::Global, SuppressionKind::SoftBounceStreak),
        _ => index.insert(
            address,
            &Scope::Tenant(globex.clone()),
            SuppressionKind::Complaint,
        ),
    }
}
