//! The organisation's ledger rules as data.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

/// How the consent fold treats opt-ins and bounces.
///
/// Always valid: built through [`LedgerPolicy::builder`] or deserialised
/// (unknown fields are refused, missing ones take their defaults), and both
/// check every value, reporting every problem at once. The defaults mirror
/// the privacy statement: single opt-in and soft opt-in accepted, double
/// opt-in confirmations valid for 7 days, 3 soft bounces in a row suppress.
///
/// ```
/// use consentry::LedgerPolicy;
///
/// let policy: LedgerPolicy = serde_json::from_str(r#"{ "soft_opt_in_counts": false }"#)?;
/// assert_eq!(policy.soft_bounce_threshold(), 3);
/// assert!(!policy.soft_opt_in_counts());
///
/// let strict = LedgerPolicy::builder().single_opt_in_allowed(false).build()?;
/// assert!(!strict.single_opt_in_allowed());
///
/// let bad = LedgerPolicy::builder().double_opt_in_window_days(0).soft_bounce_threshold(0).build();
/// assert_eq!(bad.unwrap_err().problems.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "LedgerPolicyBuilder", try_from = "LedgerPolicyBuilder")]
pub struct LedgerPolicy {
    double_opt_in_window_days: u32,
    soft_bounce_threshold: u32,
    soft_opt_in_counts: bool,
    single_opt_in_allowed: bool,
    implied_consent_counts: bool,
}

impl Default for LedgerPolicy {
    fn default() -> Self {
        LedgerPolicy {
            double_opt_in_window_days: 7,
            soft_bounce_threshold: 3,
            soft_opt_in_counts: true,
            single_opt_in_allowed: true,
            implied_consent_counts: false,
        }
    }
}

/// The settings of a [`LedgerPolicy`] before they are checked; also its
/// serialised form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct LedgerPolicyBuilder {
    double_opt_in_window_days: u32,
    soft_bounce_threshold: u32,
    soft_opt_in_counts: bool,
    single_opt_in_allowed: bool,
    implied_consent_counts: bool,
}

impl Default for LedgerPolicyBuilder {
    fn default() -> Self {
        LedgerPolicy::default().into()
    }
}

impl From<LedgerPolicy> for LedgerPolicyBuilder {
    fn from(p: LedgerPolicy) -> Self {
        LedgerPolicyBuilder {
            double_opt_in_window_days: p.double_opt_in_window_days,
            soft_bounce_threshold: p.soft_bounce_threshold,
            soft_opt_in_counts: p.soft_opt_in_counts,
            single_opt_in_allowed: p.single_opt_in_allowed,
            implied_consent_counts: p.implied_consent_counts,
        }
    }
}

impl TryFrom<LedgerPolicyBuilder> for LedgerPolicy {
    type Error = LedgerPolicyError;
    fn try_from(b: LedgerPolicyBuilder) -> Result<Self, Self::Error> {
        b.build()
    }
}

/// One [`LedgerPolicy`] value outside its allowed range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerPolicyProblem {
    /// The double opt-in window is not between 1 and 365 days.
    #[error("double_opt_in_window_days is {0}; it must be between 1 and 365")]
    Window(u32),
    /// The soft-bounce threshold is not between 1 and 100.
    #[error("soft_bounce_threshold is {0}; it must be between 1 and 100")]
    SoftBounceThreshold(u32),
}

/// Every problem of a ledger policy, found in one pass.
///
/// A configuration error: fix the policy file; do not start with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the ledger policy is invalid: {}", .problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
pub struct LedgerPolicyError {
    /// The problems.
    pub problems: Vec<LedgerPolicyProblem>,
}

impl LedgerPolicyBuilder {
    /// Days a double opt-in request may wait for its confirmation (1 to 365).
    pub fn double_opt_in_window_days(mut self, days: u32) -> Self {
        self.double_opt_in_window_days = days;
        self
    }

    /// Soft bounces in a row that suppress the address globally (1 to 100).
    pub fn soft_bounce_threshold(mut self, n: u32) -> Self {
        self.soft_bounce_threshold = n;
        self
    }

    /// Whether an existing-customer (soft) opt-in counts as permission.
    pub fn soft_opt_in_counts(mut self, counts: bool) -> Self {
        self.soft_opt_in_counts = counts;
        self
    }

    /// Whether a single (form) opt-in counts as permission; when `false`
    /// only a confirmed double opt-in does (among express acts).
    pub fn single_opt_in_allowed(mut self, allowed: bool) -> Self {
        self.single_opt_in_allowed = allowed;
        self
    }

    /// Whether implied consent ([`Basis::Implied`](crate::Basis::Implied):
    /// a purchase, a contract, an inquiry, a published or disclosed
    /// address, until it lapses) counts as permission. Off by default: a
    /// permission-based organisation mails only people who opted in; turn
    /// it on to use CASL's implied consent.
    pub fn implied_consent_counts(mut self, counts: bool) -> Self {
        self.implied_consent_counts = counts;
        self
    }

    /// The policy, or every value out of range.
    ///
    /// # Errors
    ///
    /// A [`LedgerPolicyError`] listing each problem.
    pub fn build(self) -> Result<LedgerPolicy, LedgerPolicyError> {
        let mut problems = Vec::new();
        if !(1..=365).contains(&self.double_opt_in_window_days) {
            problems.push(LedgerPolicyProblem::Window(self.double_opt_in_window_days));
        }
        if !(1..=100).contains(&self.soft_bounce_threshold) {
            problems.push(LedgerPolicyProblem::SoftBounceThreshold(
                self.soft_bounce_threshold,
            ));
        }
        if !problems.is_empty() {
            return Err(LedgerPolicyError { problems });
        }
        Ok(LedgerPolicy {
            double_opt_in_window_days: self.double_opt_in_window_days,
            soft_bounce_threshold: self.soft_bounce_threshold,
            soft_opt_in_counts: self.soft_opt_in_counts,
            single_opt_in_allowed: self.single_opt_in_allowed,
            implied_consent_counts: self.implied_consent_counts,
        })
    }
}

impl LedgerPolicy {
    /// A builder starting from the defaults.
    pub fn builder() -> LedgerPolicyBuilder {
        LedgerPolicyBuilder::default()
    }

    /// Days a double opt-in request may wait for its confirmation.
    pub fn double_opt_in_window_days(&self) -> u32 {
        self.double_opt_in_window_days
    }

    /// The double opt-in window as a duration.
    pub fn double_opt_in_window(&self) -> TimeDelta {
        TimeDelta::days(i64::from(self.double_opt_in_window_days))
    }

    /// Soft bounces in a row that suppress the address globally.
    pub fn soft_bounce_threshold(&self) -> u32 {
        self.soft_bounce_threshold
    }

    /// Whether an existing-customer (soft) opt-in counts as permission.
    pub fn soft_opt_in_counts(&self) -> bool {
        self.soft_opt_in_counts
    }

    /// Whether a single (form) opt-in counts as permission.
    pub fn single_opt_in_allowed(&self) -> bool {
        self.single_opt_in_allowed
    }

    /// Whether implied consent counts as permission (off by default).
    pub fn implied_consent_counts(&self) -> bool {
        self.implied_consent_counts
    }
}
