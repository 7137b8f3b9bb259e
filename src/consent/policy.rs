//! The organisation's ledger rules as data.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

/// How the consent fold treats opt-ins and bounces.
///
/// Loadable from JSON or TOML (unknown fields are refused, missing ones take
/// their defaults); call [`LedgerPolicy::validate`] before use. The defaults
/// mirror the privacy statement: single opt-in and soft opt-in accepted,
/// double opt-in confirmations valid for 7 days, 3 soft bounces in a row
/// suppress.
///
/// ```
/// use consentry::LedgerPolicy;
///
/// let policy: LedgerPolicy = serde_json::from_str(r#"{ "soft_opt_in_counts": false }"#)?;
/// policy.validate()?;
/// assert_eq!(policy.soft_bounce_threshold, 3);
/// assert!(!policy.soft_opt_in_counts);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct LedgerPolicy {
    /// Days a double opt-in request may wait for its confirmation (1 to 365).
    pub double_opt_in_window_days: u32,
    /// Soft bounces in a row that suppress the address globally (1 to 100).
    pub soft_bounce_threshold: u32,
    /// Whether an existing-customer (soft) opt-in counts as permission.
    pub soft_opt_in_counts: bool,
    /// Whether a single (form) opt-in counts as permission; when `false`
    /// only a confirmed double opt-in does (among express acts).
    pub single_opt_in_allowed: bool,
}

impl Default for LedgerPolicy {
    fn default() -> Self {
        LedgerPolicy {
            double_opt_in_window_days: 7,
            soft_bounce_threshold: 3,
            soft_opt_in_counts: true,
            single_opt_in_allowed: true,
        }
    }
}

/// A [`LedgerPolicy`] value outside its allowed range.
///
/// A configuration error: fix the policy file; do not start with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerPolicyError {
    /// The double opt-in window is not between 1 and 365 days.
    #[error("double_opt_in_window_days is {0}; it must be between 1 and 365")]
    Window(u32),
    /// The soft-bounce threshold is not between 1 and 100.
    #[error("soft_bounce_threshold is {0}; it must be between 1 and 100")]
    SoftBounceThreshold(u32),
}

impl LedgerPolicy {
    /// Set the double opt-in window in days.
    pub fn with_double_opt_in_window_days(mut self, days: u32) -> Self {
        self.double_opt_in_window_days = days;
        self
    }

    /// Set the soft-bounce threshold.
    pub fn with_soft_bounce_threshold(mut self, n: u32) -> Self {
        self.soft_bounce_threshold = n;
        self
    }

    /// Set whether soft opt-in counts as permission.
    pub fn with_soft_opt_in_counts(mut self, counts: bool) -> Self {
        self.soft_opt_in_counts = counts;
        self
    }

    /// Set whether single opt-in counts as permission.
    pub fn with_single_opt_in_allowed(mut self, allowed: bool) -> Self {
        self.single_opt_in_allowed = allowed;
        self
    }

    /// Check every value is in range.
    ///
    /// # Errors
    ///
    /// The first [`LedgerPolicyError`] found.
    pub fn validate(&self) -> Result<(), LedgerPolicyError> {
        if !(1..=365).contains(&self.double_opt_in_window_days) {
            return Err(LedgerPolicyError::Window(self.double_opt_in_window_days));
        }
        if !(1..=100).contains(&self.soft_bounce_threshold) {
            return Err(LedgerPolicyError::SoftBounceThreshold(
                self.soft_bounce_threshold,
            ));
        }
        Ok(())
    }

    /// The double opt-in window as a duration (clamped to the valid range,
    /// so an unvalidated policy still gives a sane answer).
    pub fn double_opt_in_window(&self) -> TimeDelta {
        TimeDelta::days(i64::from(self.double_opt_in_window_days.clamp(1, 365)))
    }

    /// The soft-bounce threshold, clamped to the valid range.
    pub fn soft_bounce_threshold(&self) -> u32 {
        self.soft_bounce_threshold.clamp(1, 100)
    }
}
