//! Unsubscribe tokens: tenant, list, address and issue time sealed with
//! AES-SIV under a key derived from the signing key (`v2`), with key ids
//! for rotation; the signed-but-readable `v1` form is still verified.

use std::fmt;

use aes_siv::siv::Aes128Siv;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::address::EmailAddress;
use crate::consent::{Action, ConsentEvent, ConsentKey, Evidence, OptOutChannel};
use crate::ids::{EventId, ListId, TenantId};

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// The token format version this crate issues: the payload sealed with
/// AES-SIV, so the token reveals nothing about who it was sent to.
pub const TOKEN_VERSION: &str = "v2";
/// The signed-but-readable format earlier versions issued. Still verified,
/// so links in mail sent before an upgrade keep working for their 30 days
/// at least; never issued.
pub const LEGACY_TOKEN_VERSION: &str = "v1";
/// How far ahead of `now` a token's issue time may be (clock skew between
/// the servers that send and those that verify); beyond it the token is
/// refused.
pub const TOKEN_CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);
/// The shortest validity allowed: CAN-SPAM requires the opt-out mechanism
/// to work for at least 30 days after the message is sent (15 U.S.C.
/// 7704(a)(3)(A)(ii)).
pub const MIN_VALIDITY_DAYS: u32 = 30;
/// Shortest secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;
/// Longest token read, in bytes; longer input is malformed without further
/// work.
pub const MAX_TOKEN_BYTES: usize = 2048;

/// Domain separation for the MAC input.
const CONTEXT: &[u8] = b"consentry-unsubscribe";
/// Domain separation for the AES-SIV key derived from a token key.
const SIV_CONTEXT: &[u8] = b"consentry-unsubscribe-siv";
/// Separates payload fields; ids and addresses never hold control characters.
const SEP: char = '\u{1f}';

/// Why a key or key ring cannot be built.
///
/// A configuration error: fix the key material; do not start with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The secret is shorter than 32 bytes.
    #[error("the secret is {0} bytes long; at least 32 are required")]
    SecretTooShort(usize),
    /// The key id is empty, longer than 32 bytes or not `[A-Za-z0-9_-]`.
    #[error("`{0}` is not a valid key id (1 to 32 of A-Z a-z 0-9 _ -)")]
    BadKeyId(String),
    /// Two keys share an id.
    #[error("key id `{0}` is used twice")]
    DuplicateKeyId(String),
    /// The active key id names no key of the ring.
    #[error("no key has the id `{0}`")]
    UnknownActiveKey(String),
    /// The validity is shorter than 30 days.
    #[error("a token validity of {0} days is shorter than CAN-SPAM's 30")]
    ValidityTooShort(u32),
}

/// Why a token does not verify. Every variant means "change nothing":
/// answer 400 (or show a page asking the person to confirm their address).
/// No variant carries secret material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not the parts its version has (three for `v2`, four for `v1`), bad
    /// base64, an unparseable payload or an over-long input.
    #[error("the token is malformed")]
    Malformed,
    /// A version this crate does not issue.
    #[error("token version `{0}` is not supported")]
    UnsupportedVersion(String),
    /// The key id names no key in the ring (retired, or forged).
    #[error("the token's key `{0}` is unknown")]
    UnknownKey(String),
    /// The signature does not match (tampered or forged).
    #[error("the token's signature does not match")]
    BadSignature,
    /// Issued more than [`TOKEN_CLOCK_SKEW`] after `now`: no token is
    /// accepted before it was sent, and none lives for ever.
    #[error("the token claims to be issued at {issued_at}, after now")]
    FromTheFuture {
        /// When it claims to be issued.
        issued_at: DateTime<Utc>,
    },
    /// Older than the validity window.
    #[error("the token was issued at {issued_at} and expired at {expired_at}")]
    Expired {
        /// When it was issued.
        issued_at: DateTime<Utc>,
        /// When it stopped being valid.
        expired_at: DateTime<Utc>,
    },
}

/// A secret key, redacted in `Debug`.
#[derive(Clone)]
struct Secret {
    bytes: Vec<u8>,
    /// HMAC-SHA256 keyed with `bytes` (the key schedule done once; each
    /// use clones it).
    keyed: HmacSha256,
    /// The AES-128-SIV cipher derived from it, its key schedules done
    /// once (sealing and opening need it mutably, so it sits behind a lock
    /// held only for the call).
    siv: std::sync::Arc<std::sync::Mutex<Aes128Siv>>,
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{} bytes redacted>)", self.bytes.len())
    }
}

/// One signing key: an id (printed in tokens, so it can be rotated) and a
/// secret of at least 32 bytes. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TokenKey {
    id: String,
    secret: Secret,
}

impl TokenKey {
    /// A key from an id and a secret.
    ///
    /// # Errors
    ///
    /// [`KeyError::BadKeyId`] or [`KeyError::SecretTooShort`].
    pub fn new(id: impl Into<String>, secret: impl Into<Vec<u8>>) -> Result<Self, KeyError> {
        let id = id.into();
        let ok = !id.is_empty()
            && id.len() <= 32
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(KeyError::BadKeyId(id.escape_default().to_string()));
        }
        let secret = secret.into();
        if secret.len() < MIN_SECRET_BYTES {
            return Err(KeyError::SecretTooShort(secret.len()));
        }
        // HMAC accepts keys of any length; this cannot fail.
        let keyed = match <HmacSha256 as Mac>::new_from_slice(&secret) {
            Ok(m) => m,
            Err(_) => impossible("HMAC-SHA256 rejected a key"),
        };
        let mut derive = keyed.clone();
        for part in [SIV_CONTEXT, b"\0", id.as_bytes(), b"\0"] {
            derive.update(part);
        }
        let siv = match <Aes128Siv as aes_siv::KeyInit>::new_from_slice(
            &derive.finalize().into_bytes(),
        ) {
            Ok(siv) => std::sync::Arc::new(std::sync::Mutex::new(siv)),
            Err(_) => impossible("AES-128-SIV rejected a 32-byte key"),
        };
        Ok(TokenKey {
            id,
            secret: Secret {
                bytes: secret,
                keyed,
                siv,
            },
        })
    }

    /// The key id.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn mac(&self) -> HmacSha256 {
        self.mac_for(CONTEXT)
    }

    /// The AES-SIV (RFC 5297) cipher for sealing token payloads, keyed with
    /// 256 bits derived from this key by HMAC-SHA256.
    fn siv(&self) -> std::sync::MutexGuard<'_, Aes128Siv> {
        // A panic while sealing cannot leave the cipher half-keyed: its
        // state is its keys, set once.
        self.secret
            .siv
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An HMAC-SHA256 keyed with this key and bound to `context` and the
    /// key id, so a value signed for one use never verifies for another.
    pub(crate) fn mac_for(&self, context: &[u8]) -> HmacSha256 {
        let mut mac = self.secret.keyed.clone();
        mac.update(context);
        mac.update(b"\0");
        mac.update(self.id.as_bytes());
        mac.update(b"\0");
        mac
    }
}

/// A cryptographic call refused what it is documented to accept: HMAC
/// takes keys of any length, AES-128-SIV a 32-byte key (HMAC-SHA256's
/// output), and sealing refuses only more than 126 associated-data items
/// (one is passed). No input reaches it.
#[allow(clippy::panic)]
fn impossible(what: &str) -> ! {
    panic!("{what}")
}

/// Several keys, one of them active for signing; the others still verify
/// tokens issued before a rotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRing {
    active: TokenKey,
    others: Vec<TokenKey>,
    validity_days: u32,
}

/// What a verified token says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedToken {
    /// The tenant that sent the message.
    pub tenant: TenantId,
    /// The list it was sent on.
    pub list: ListId,
    /// The recipient.
    pub address: EmailAddress,
    /// When the token was issued (the send time).
    pub issued_at: DateTime<Utc>,
    /// The key that signed it.
    pub key_id: String,
}

impl VerifiedToken {
    /// The opt-out a one-click POST with this token records: via one-click,
    /// at `now`, for the token's tenant, list and address. Its id is derived
    /// from the token text (`one-click-` and 32 hex digits of its SHA-256),
    /// so a replayed POST appends nothing.
    pub fn opt_out_event(&self, token: &str, now: DateTime<Utc>) -> ConsentEvent {
        let digest = Sha256::digest(token.as_bytes());
        let id = EventId::from_checked(format!(
            "one-click-{}",
            hex::encode(digest.get(..16).unwrap_or_default())
        ));
        ConsentEvent::new(
            id,
            now,
            &ConsentKey::new(self.tenant.clone(), self.list.clone(), self.address.clone()),
            Action::OptedOut {
                via: OptOutChannel::OneClick,
            },
        )
        .with_evidence(Evidence::described(format!(
            "RFC 8058 one-click POST; token sealed with key `{}` at {}",
            self.key_id, self.issued_at
        )))
    }
}

impl KeyRing {
    /// A ring with one key, active, and the default validity of 90 days.
    pub fn new(active: TokenKey) -> Self {
        KeyRing {
            active,
            others: Vec::new(),
            validity_days: 90,
        }
    }

    fn keys(&self) -> impl Iterator<Item = &TokenKey> {
        std::iter::once(&self.active).chain(&self.others)
    }

    /// Add a verify-only key (a key being retired, or one not yet active).
    ///
    /// # Errors
    ///
    /// [`KeyError::DuplicateKeyId`] if its id is taken.
    pub fn with_key(mut self, key: TokenKey) -> Result<Self, KeyError> {
        if self.keys().any(|k| k.id == key.id) {
            return Err(KeyError::DuplicateKeyId(key.id));
        }
        self.others.push(key);
        Ok(self)
    }

    /// Make the key with this id the one that signs.
    ///
    /// # Errors
    ///
    /// [`KeyError::UnknownActiveKey`].
    pub fn with_active(mut self, id: &str) -> Result<Self, KeyError> {
        if self.active.id == id {
            return Ok(self);
        }
        let at = self
            .others
            .iter()
            .position(|k| k.id == id)
            .ok_or_else(|| KeyError::UnknownActiveKey(id.to_owned()))?;
        let next = self.others.swap_remove(at);
        let previous = std::mem::replace(&mut self.active, next);
        self.others.push(previous);
        Ok(self)
    }

    /// Set how long tokens stay valid after issue: at least 30 days.
    ///
    /// # Errors
    ///
    /// [`KeyError::ValidityTooShort`] below 30 days.
    pub fn with_validity_days(mut self, days: u32) -> Result<Self, KeyError> {
        if days < MIN_VALIDITY_DAYS {
            return Err(KeyError::ValidityTooShort(days));
        }
        self.validity_days = days;
        Ok(self)
    }

    /// How long tokens stay valid.
    pub fn validity(&self) -> TimeDelta {
        TimeDelta::days(i64::from(self.validity_days))
    }

    /// Issue a token for a message sent to `address` on `list` of `tenant`
    /// at `issued_at`. URL-safe: `v2.<key id>.<sealed>`, the last part
    /// base64url without padding.
    ///
    /// The payload (tenant, list, address, issue time) is sealed with
    /// AES-SIV under a key derived from the active key: confidential and
    /// authenticated, so a token in a server or proxy log reveals nothing
    /// about its recipient. Sealing is deterministic (no randomness: the
    /// same inputs give the same token). A token is 4 + key id + about
    /// 4/3 × (29 + tenant + list + address) characters: under 200 whenever
    /// the key id is at most 16 characters and tenant, list and address
    /// together are at most 100 bytes. Longer inputs give longer tokens
    /// (about 400 characters at the limits).
    ///
    /// ```
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// use consentry::unsubscribe::{KeyRing, TokenError, TokenKey};
    /// use consentry::{EmailAddress, ListId, TenantId};
    ///
    /// let ring = KeyRing::new(TokenKey::new("k2026", [7u8; 32].to_vec())?);
    /// let sent = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    /// let token = ring.issue(
    ///     &TenantId::new("acme")?,
    ///     &ListId::new("news")?,
    ///     &EmailAddress::parse("Ann@Example.com")?,
    ///     sent,
    /// );
    /// let ok = ring.verify(&token, sent + TimeDelta::days(29))?;
    /// assert_eq!(ok.address.canonical(), "ann@example.com");
    /// assert!(matches!(ring.verify(&token, sent + TimeDelta::days(91)), Err(TokenError::Expired { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn issue(
        &self,
        tenant: &TenantId,
        list: &ListId,
        address: &EmailAddress,
        issued_at: DateTime<Utc>,
    ) -> String {
        let payload = format!(
            "{}{SEP}{}{SEP}{}{SEP}{}",
            tenant,
            list,
            address.canonical(),
            issued_at.timestamp()
        );
        let key = &self.active;
        let sealed = key
            .siv()
            .encrypt([key.id.as_bytes()], payload.as_bytes())
            .unwrap_or_else(|_| impossible("AES-SIV refused to seal a token payload"));
        format!(
            "{TOKEN_VERSION}.{}.{}",
            key.id,
            URL_SAFE_NO_PAD.encode(sealed)
        )
    }

    /// Verify a token at `now`: version, key id, signature (compared in
    /// constant time) and age.
    ///
    /// # Errors
    ///
    /// A [`TokenError`]; the only way to get `Ok` is a token this ring (or a
    /// ring sharing a key) issued within the validity window.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<VerifiedToken, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(version), Some(kid)) = (parts.next(), parts.next()) else {
            return Err(TokenError::Malformed);
        };
        if version != TOKEN_VERSION && version != LEGACY_TOKEN_VERSION {
            let digits = version.strip_prefix('v').unwrap_or_default();
            if (1..=6).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(TokenError::UnsupportedVersion(version.to_owned()));
            }
            return Err(TokenError::Malformed);
        }
        let key = self.keys().find(|k| k.id == kid).ok_or_else(|| {
            TokenError::UnknownKey(
                kid.chars()
                    .take(32)
                    .collect::<String>()
                    .escape_default()
                    .to_string(),
            )
        })?;
        let payload = if version == TOKEN_VERSION {
            let (Some(sealed_b64), None) = (parts.next(), parts.next()) else {
                return Err(TokenError::Malformed);
            };
            let mut sealed = URL_SAFE_NO_PAD
                .decode(sealed_b64)
                .map_err(|_| TokenError::Malformed)?;
            // Opened in place: the decoded buffer becomes the payload.
            key.siv()
                .decrypt_in_place([key.id.as_bytes()], &mut sealed)
                .map_err(|_| TokenError::BadSignature)?;
            sealed
        } else {
            let (Some(payload_b64), Some(sig_b64), None) =
                (parts.next(), parts.next(), parts.next())
            else {
                return Err(TokenError::Malformed);
            };
            let payload = URL_SAFE_NO_PAD
                .decode(payload_b64)
                .map_err(|_| TokenError::Malformed)?;
            let signature = URL_SAFE_NO_PAD
                .decode(sig_b64)
                .map_err(|_| TokenError::Malformed)?;
            let mut mac = key.mac();
            mac.update(&payload);
            mac.verify_slice(&signature)
                .map_err(|_| TokenError::BadSignature)?;
            payload
        };
        // Authentic from here on: a parse failure is our own format's fault.
        let payload = String::from_utf8(payload).map_err(|_| TokenError::Malformed)?;
        let mut fields = payload.split(SEP);
        let (Some(tenant), Some(list), Some(address), Some(issued), None) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return Err(TokenError::Malformed);
        };
        let issued_at = issued
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
            .ok_or(TokenError::Malformed)?;
        if issued_at > crate::time::add(now, TOKEN_CLOCK_SKEW) {
            return Err(TokenError::FromTheFuture { issued_at });
        }
        let expired_at = crate::time::add(issued_at, self.validity());
        if now > expired_at {
            return Err(TokenError::Expired {
                issued_at,
                expired_at,
            });
        }
        Ok(VerifiedToken {
            tenant: TenantId::new(tenant).map_err(|_| TokenError::Malformed)?,
            list: ListId::new(list).map_err(|_| TokenError::Malformed)?,
            address: EmailAddress::from_stored(address).map_err(|_| TokenError::Malformed)?,
            issued_at,
            key_id: key.id.clone(),
        })
    }
}
