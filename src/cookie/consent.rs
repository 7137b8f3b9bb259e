//! The visitor's stored choice and its compact cookie encoding.

use std::collections::BTreeSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::policy::{Category, CookiePolicy};

/// The name consentry suggests for the consent cookie.
pub const CONSENT_COOKIE_NAME: &str = "consentry_choice";
/// The encoding version this crate writes.
pub const CONSENT_VALUE_VERSION: &str = "c1";
/// Longest cookie value read or written, in bytes.
pub const MAX_COOKIE_VALUE_BYTES: usize = 4096;

/// How the visitor's choice was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMethod {
    /// "Accept all" in the banner.
    AcceptAll,
    /// "Reject all" in the banner: a decision like any other.
    RejectAll,
    /// Categories chosen one by one.
    PerCategory,
    /// Derived from a Global Privacy Control signal.
    Gpc,
    /// Set by the site without asking (necessary only).
    Default,
}

impl ConsentMethod {
    fn code(self) -> char {
        match self {
            ConsentMethod::AcceptAll => 'a',
            ConsentMethod::RejectAll => 'r',
            ConsentMethod::PerCategory => 'p',
            ConsentMethod::Gpc => 'g',
            ConsentMethod::Default => 'd',
        }
    }
    fn from_code(c: &str) -> Option<Self> {
        Some(match c {
            "a" => ConsentMethod::AcceptAll,
            "r" => ConsentMethod::RejectAll,
            "p" => ConsentMethod::PerCategory,
            "g" => ConsentMethod::Gpc,
            "d" => ConsentMethod::Default,
            _ => return None,
        })
    }
}

/// A visitor's choice: which categories they granted, under which policy
/// revision, when and how. Strictly necessary is always granted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CookieConsent {
    granted: BTreeSet<Category>,
    /// The policy revision the choice was made under.
    pub revision: u32,
    /// When it was made (whole seconds).
    pub given_at: DateTime<Utc>,
    /// How it was made.
    pub method: ConsentMethod,
}

/// Why a consent cookie value was not read. Whatever the variant, treat the
/// visitor as having made no decision yet (only strictly necessary items).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConsentValueError {
    /// The value is empty.
    #[error("the consent value is empty")]
    Empty,
    /// Longer than 4096 bytes.
    #[error("the consent value is {0} bytes long; at most 4096 are read")]
    TooLong(usize),
    /// Not written by this crate, or by a version it does not read.
    #[error("the consent value is not a consentry value it can read")]
    Foreign,
    /// Truncated or not in the expected shape.
    #[error("the consent value is malformed")]
    Malformed,
    /// The checksum does not match: altered or corrupted.
    #[error("the consent value's checksum does not match")]
    Tampered,
}

/// Whether a stored choice still holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConsentStatus {
    /// The choice holds; do not ask again.
    Current,
    /// The policy changed since: ask again.
    RevisionChanged {
        /// The revision the choice was made under.
        given_under: u32,
        /// The policy's revision now.
        current: u32,
    },
    /// The choice is older than the validity window: ask again.
    Expired {
        /// When it stopped holding.
        valid_until: DateTime<Utc>,
    },
}

fn checksum(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.get(..6).unwrap_or_default())
}

impl CookieConsent {
    /// A choice. Strictly necessary is added if missing; `given_at` is cut
    /// to whole seconds (the precision the cookie keeps).
    pub fn new(
        granted: impl IntoIterator<Item = Category>,
        revision: u32,
        given_at: DateTime<Utc>,
        method: ConsentMethod,
    ) -> Self {
        let mut granted: BTreeSet<Category> = granted.into_iter().collect();
        granted.insert(Category::StrictlyNecessary);
        let given_at = DateTime::<Utc>::from_timestamp(given_at.timestamp(), 0).unwrap_or(given_at);
        CookieConsent {
            granted,
            revision,
            given_at,
            method,
        }
    }

    /// "Accept all" under `revision`.
    pub fn accept_all(revision: u32, at: DateTime<Utc>) -> Self {
        Self::new(Category::ALL, revision, at, ConsentMethod::AcceptAll)
    }

    /// "Reject all" under `revision`: recorded like any decision, so the
    /// visitor is not asked again sooner than one who accepted.
    pub fn reject_all(revision: u32, at: DateTime<Utc>) -> Self {
        Self::new([], revision, at, ConsentMethod::RejectAll)
    }

    /// Whether a category is granted.
    pub fn grants(&self, category: Category) -> bool {
        self.granted.contains(&category)
    }

    /// The granted categories.
    pub fn granted(&self) -> impl Iterator<Item = Category> + '_ {
        self.granted.iter().copied()
    }

    /// The compact cookie value: `c1.<revision>.<categories>.<seconds>.<method>.<checksum>`,
    /// cookie-safe characters only.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use consentry::cookie::{Category, ConsentMethod, CookieConsent};
    ///
    /// let at = Utc.with_ymd_and_hms(2026, 5, 1, 10, 0, 0).unwrap();
    /// let choice = CookieConsent::new([Category::Analytics], 7, at, ConsentMethod::PerCategory);
    /// let value = choice.to_cookie_value();
    /// assert!(value.starts_with("c1.7.5."));
    /// assert_eq!(CookieConsent::from_cookie_value(&value)?, choice);
    /// assert!(CookieConsent::from_cookie_value(&value.replace(".5.", ".f.")).is_err()); // tampered
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_cookie_value(&self) -> String {
        let bits: u8 = self.granted.iter().map(|c| c.bit()).fold(0, |a, b| a | b);
        let body = format!(
            "{CONSENT_VALUE_VERSION}.{}.{:x}.{}.{}",
            self.revision,
            bits,
            self.given_at.timestamp(),
            self.method.code()
        );
        let sum = checksum(&body);
        format!("{body}.{sum}")
    }

    /// Read a cookie value written by [`CookieConsent::to_cookie_value`].
    ///
    /// # Errors
    ///
    /// A [`ConsentValueError`]: treat the visitor as undecided.
    pub fn from_cookie_value(value: &str) -> Result<Self, ConsentValueError> {
        if value.is_empty() {
            return Err(ConsentValueError::Empty);
        }
        if value.len() > MAX_COOKIE_VALUE_BYTES {
            return Err(ConsentValueError::TooLong(value.len()));
        }
        let value = value.trim_matches('"');
        let parts: Vec<&str> = value.splitn(7, '.').collect();
        let [version, revision, bits, seconds, method, sum] = parts.as_slice() else {
            return match parts.first() {
                Some(&v) if v == CONSENT_VALUE_VERSION => Err(ConsentValueError::Malformed),
                _ => Err(ConsentValueError::Foreign),
            };
        };
        if *version != CONSENT_VALUE_VERSION {
            return Err(ConsentValueError::Foreign);
        }
        let body_len = value.len().saturating_sub(sum.len() + 1);
        let body = value.get(..body_len).ok_or(ConsentValueError::Malformed)?;
        if checksum(body) != *sum {
            return Err(ConsentValueError::Tampered);
        }
        let revision: u32 = revision.parse().map_err(|_| ConsentValueError::Malformed)?;
        let bits = u8::from_str_radix(bits, 16).map_err(|_| ConsentValueError::Malformed)?;
        if bits & !0x0f != 0 || bits & 1 == 0 {
            return Err(ConsentValueError::Malformed);
        }
        let seconds: i64 = seconds.parse().map_err(|_| ConsentValueError::Malformed)?;
        let given_at =
            DateTime::<Utc>::from_timestamp(seconds, 0).ok_or(ConsentValueError::Malformed)?;
        let method = ConsentMethod::from_code(method).ok_or(ConsentValueError::Malformed)?;
        let granted = Category::ALL.into_iter().filter(|c| bits & c.bit() != 0);
        Ok(CookieConsent::new(granted, revision, given_at, method))
    }

    /// Read an optional cookie value: `None` for no cookie or any bad value
    /// ("no decision yet").
    pub fn read(value: Option<&str>) -> Option<Self> {
        value.and_then(|v| Self::from_cookie_value(v).ok())
    }

    /// Whether the choice still holds under `policy` at `now`.
    pub fn status(&self, policy: &CookiePolicy, now: DateTime<Utc>) -> ConsentStatus {
        if self.revision != policy.revision {
            return ConsentStatus::RevisionChanged {
                given_under: self.revision,
                current: policy.revision,
            };
        }
        let valid_until = crate::time::add(
            self.given_at,
            TimeDelta::days(i64::from(policy.consent_validity_days)),
        );
        if now > valid_until {
            return ConsentStatus::Expired { valid_until };
        }
        ConsentStatus::Current
    }
}

/// Whether the site must ask the visitor (no choice, or a stale one).
pub fn needs_prompt(
    consent: Option<&CookieConsent>,
    policy: &CookiePolicy,
    now: DateTime<Utc>,
) -> bool {
    consent.is_none_or(|c| c.status(policy, now) != ConsentStatus::Current)
}
