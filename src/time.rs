//! Date arithmetic that cannot panic on hostile input.

use chrono::{DateTime, TimeDelta, Utc};

/// `at + delta`, saturating at the ends of chrono's range instead of
/// panicking (a webhook or cookie can carry a date in the year 262143).
pub(crate) fn add(at: DateTime<Utc>, delta: TimeDelta) -> DateTime<Utc> {
    at.checked_add_signed(delta)
        .unwrap_or(if delta < TimeDelta::zero() {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturates_instead_of_panicking() {
        assert_eq!(
            add(DateTime::<Utc>::MAX_UTC, TimeDelta::days(7)),
            DateTime::<Utc>::MAX_UTC
        );
        assert_eq!(
            add(DateTime::<Utc>::MIN_UTC, TimeDelta::days(-7)),
            DateTime::<Utc>::MIN_UTC
        );
        let t = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(add(t, TimeDelta::days(1)).timestamp(), 86_400);
    }
}
