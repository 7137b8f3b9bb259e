//! The visitor's stored choice and its compact cookie encoding.

use std::collections::BTreeSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::Mac;
use serde::{Deserialize, Serialize};

use super::policy::{Category, CookiePolicy};
use crate::unsubscribe::{KeyError, TokenKey};

/// The name consentry suggests for the consent cookie. The `__Host-`
/// prefix makes browsers accept it only with `Secure`, `Path=/` and no
/// `Domain`, so a sibling subdomain (`evil.shop.example`) cannot set it
/// for `shop.example`; set it with exactly those attributes.
pub const CONSENT_COOKIE_NAME: &str = "__Host-consentry_choice";
/// The encoding version this crate writes: signed with a site key.
pub const CONSENT_VALUE_VERSION: &str = "c2";
/// The unsigned encoding earlier versions wrote; refused
/// ([`ConsentValueError::Unsigned`]).
const UNSIGNED_VERSION: &str = "c1";
/// How far in the future a choice's time may be and still be read (clock
/// skew between the servers that write and read it).
pub const CONSENT_CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);
/// Bytes of the HMAC-SHA256 tag kept in the value (128 bits).
const TAG_BYTES: usize = 16;
const CONTEXT: &[u8] = b"consentry-consent-cookie";
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
    /// The signature does not match: altered, corrupted or made by hand.
    #[error("the consent value's signature does not match")]
    Tampered,
    /// An unsigned value (the `c1` encoding, whose checksum anyone can
    /// compute).
    #[error("the consent value is not signed")]
    Unsigned,
    /// Signed with a key id the site's [`ConsentKeys`] does not hold
    /// (retired and dropped, or never the site's).
    #[error("the consent value is signed with an unknown key")]
    UnknownKey,
    /// The choice is dated more than [`CONSENT_CLOCK_SKEW`] after now.
    #[error("the consent value is dated in the future")]
    FromTheFuture,
    /// The choice is older than the policy's validity window.
    #[error("the consent value expired at {valid_until}")]
    Expired {
        /// When it stopped holding.
        valid_until: DateTime<Utc>,
    },
}

/// The site keys that sign consent cookies: one active key signs, retired
/// keys still verify values signed before a rotation. `Debug` never shows
/// a secret.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use consentry::cookie::{ConsentKeys, CookieConsent, CookiePolicy};
/// use consentry::unsubscribe::TokenKey;
///
/// let old = TokenKey::new("s1", [7u8; 32])?;
/// let new = TokenKey::new("s2", [9u8; 32])?;
/// let (policy, _warnings) = CookiePolicy::from_json(r#"{"revision": 1, "cookies": []}"#)?;
/// let at = Utc.with_ymd_and_hms(2026, 5, 1, 10, 0, 0).unwrap();
///
/// let value = CookieConsent::accept_all(1, at).to_cookie_value(&ConsentKeys::new(old.clone()));
/// // After a rotation, values signed with the old key still read...
/// let keys = ConsentKeys::new(new).with_retired(old)?;
/// assert!(CookieConsent::from_cookie_value(&value, &keys, &policy, at).is_ok());
/// // ...and a value signed by anyone else does not.
/// let forged = CookieConsent::accept_all(1, at).to_cookie_value(&ConsentKeys::new(TokenKey::new("s2", [1u8; 32])?));
/// assert!(CookieConsent::from_cookie_value(&forged, &keys, &policy, at).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentKeys {
    active: TokenKey,
    retired: Vec<TokenKey>,
}

impl ConsentKeys {
    /// Keys with `active` signing every new value.
    pub fn new(active: TokenKey) -> Self {
        ConsentKeys {
            active,
            retired: Vec::new(),
        }
    }

    /// Keep verifying values signed with `key` (a rotated-out key).
    ///
    /// # Errors
    ///
    /// [`KeyError::DuplicateKeyId`] when a key already has its id.
    pub fn with_retired(mut self, key: TokenKey) -> Result<Self, KeyError> {
        if key.id() == self.active.id() || self.retired.iter().any(|k| k.id() == key.id()) {
            return Err(KeyError::DuplicateKeyId(key.id().to_owned()));
        }
        self.retired.push(key);
        Ok(self)
    }

    fn key(&self, id: &str) -> Option<&TokenKey> {
        std::iter::once(&self.active)
            .chain(&self.retired)
            .find(|k| k.id() == id)
    }
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

fn tag(key: &TokenKey, body: &str) -> crate::unsubscribe::token::HmacSha256 {
    let mut mac = key.mac_for(CONTEXT);
    mac.update(body.as_bytes());
    mac
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

    /// The compact cookie value, signed with the site's active key:
    /// `c2.<key id>.<revision>.<categories>.<seconds>.<method>.<tag>`, where
    /// the tag is 128 bits of HMAC-SHA256 over everything before it;
    /// cookie-safe characters only. Set it as [`CONSENT_COOKIE_NAME`]
    /// (`__Host-` prefixed: `Secure`, `Path=/`, no `Domain`).
    ///
    /// ```
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// use consentry::cookie::{Category, ConsentKeys, ConsentMethod, ConsentValueError, CookieConsent, CookiePolicy};
    /// use consentry::unsubscribe::TokenKey;
    ///
    /// let keys = ConsentKeys::new(TokenKey::new("site1", [42u8; 32])?);
    /// let (policy, _warnings) = CookiePolicy::from_json(r#"{"revision": 7, "cookies": []}"#)?;
    /// let at = Utc.with_ymd_and_hms(2026, 5, 1, 10, 0, 0).unwrap();
    /// let choice = CookieConsent::new([Category::Analytics], 7, at, ConsentMethod::PerCategory);
    /// let value = choice.to_cookie_value(&keys);
    /// assert!(value.starts_with("c2.site1.7.5."));
    /// assert_eq!(CookieConsent::from_cookie_value(&value, &keys, &policy, at)?, choice);
    /// // Granting advertising by editing the bits is caught.
    /// let edited = value.replace(".5.", ".f.");
    /// assert_eq!(CookieConsent::from_cookie_value(&edited, &keys, &policy, at), Err(ConsentValueError::Tampered));
    /// // A choice older than the policy's validity is refused.
    /// let later = at + TimeDelta::days(400);
    /// assert!(matches!(CookieConsent::from_cookie_value(&value, &keys, &policy, later), Err(ConsentValueError::Expired { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_cookie_value(&self, keys: &ConsentKeys) -> String {
        let bits: u8 = self.granted.iter().map(|c| c.bit()).fold(0, |a, b| a | b);
        let body = format!(
            "{CONSENT_VALUE_VERSION}.{}.{}.{:x}.{}.{}",
            keys.active.id(),
            self.revision,
            bits,
            self.given_at.timestamp(),
            self.method.code()
        );
        let mac = tag(&keys.active, &body).finalize().into_bytes();
        let sum = URL_SAFE_NO_PAD.encode(mac.get(..TAG_BYTES).unwrap_or_default());
        format!("{body}.{sum}")
    }

    /// Read a cookie value written by [`CookieConsent::to_cookie_value`],
    /// checking its signature against `keys`, and that at `now` it is
    /// neither dated in the future (beyond [`CONSENT_CLOCK_SKEW`]) nor older
    /// than `policy`'s consent validity. A choice made under another
    /// policy revision reads (its [`status`](Self::status) says so).
    ///
    /// # Errors
    ///
    /// A [`ConsentValueError`]: treat the visitor as undecided.
    pub fn from_cookie_value(
        value: &str,
        keys: &ConsentKeys,
        policy: &CookiePolicy,
        now: DateTime<Utc>,
    ) -> Result<Self, ConsentValueError> {
        if value.is_empty() {
            return Err(ConsentValueError::Empty);
        }
        if value.len() > MAX_COOKIE_VALUE_BYTES {
            return Err(ConsentValueError::TooLong(value.len()));
        }
        let value = value.trim_matches('"');
        let parts: Vec<&str> = value.splitn(8, '.').collect();
        let [version, key_id, revision, bits, seconds, method, sum] = parts.as_slice() else {
            return match parts.first() {
                Some(&v) if v == CONSENT_VALUE_VERSION => Err(ConsentValueError::Malformed),
                Some(&v) if v == UNSIGNED_VERSION => Err(ConsentValueError::Unsigned),
                _ => Err(ConsentValueError::Foreign),
            };
        };
        if *version != CONSENT_VALUE_VERSION {
            return Err(ConsentValueError::Foreign);
        }
        let key = keys.key(key_id).ok_or(ConsentValueError::UnknownKey)?;
        let body_len = value.len().saturating_sub(sum.len() + 1);
        let body = value.get(..body_len).ok_or(ConsentValueError::Malformed)?;
        let claimed = URL_SAFE_NO_PAD
            .decode(sum)
            .map_err(|_| ConsentValueError::Tampered)?;
        if claimed.len() != TAG_BYTES || tag(key, body).verify_truncated_left(&claimed).is_err() {
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
        if given_at > crate::time::add(now, CONSENT_CLOCK_SKEW) {
            return Err(ConsentValueError::FromTheFuture);
        }
        let valid_until = crate::time::add(
            given_at,
            TimeDelta::days(i64::from(policy.consent_validity_days)),
        );
        if now > valid_until {
            return Err(ConsentValueError::Expired { valid_until });
        }
        let granted = Category::ALL.into_iter().filter(|c| bits & c.bit() != 0);
        Ok(CookieConsent::new(granted, revision, given_at, method))
    }

    /// Read an optional cookie value: `None` for no cookie or any bad,
    /// unsigned, forged, future or expired value ("no decision yet").
    pub fn read(
        value: Option<&str>,
        keys: &ConsentKeys,
        policy: &CookiePolicy,
        now: DateTime<Utc>,
    ) -> Option<Self> {
        value.and_then(|v| Self::from_cookie_value(v, keys, policy, now).ok())
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
