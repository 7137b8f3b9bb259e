//! Helpers shared by the benches: interleaved timing.

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
