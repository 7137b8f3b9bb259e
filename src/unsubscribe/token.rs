//! Unsubscribe tokens: tenant, list, address and issue time sealed with
//! AES-SIV under a key derived from the signing key (`v2`), with key ids
//! for rotation; when that would not fit in [`MAX_ISSUED_TOKEN_CHARS`], a
//! keyed reference whose meaning the store keeps (`v3`); the
//! signed-but-readable `v1` form is still verified.

use std::fmt;

use super::siv::Siv;
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
/// The token version of a keyed reference: `v3.<key id>.<22 characters>`,
/// issued when the sealed form would reach [`MAX_ISSUED_TOKEN_CHARS`]. The
/// store keeps what it stands for ([`KeptToken`]).
pub const KEPT_TOKEN_VERSION: &str = "v3";
/// [`KeyRing::issue`] returns tokens shorter than this, whatever the
/// inputs: a token sits in a URL, and long URLs are cut by mail clients
/// and logged by proxies.
pub const MAX_ISSUED_TOKEN_CHARS: usize = 200;
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
/// Domain separation for the reference of a kept token.
const KEPT_CONTEXT: &[u8] = b"consentry-unsubscribe-kept";
/// Bytes of the keyed reference in a kept token (128 bits).
const KEPT_REF_BYTES: usize = 16;
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
    /// Not the parts its version has (three for `v2` and `v3`, four for
    /// `v1`), bad base64, a reference of the wrong length, an unparseable
    /// payload or an over-long input.
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
    /// A well-formed reference (`v3`) under a known key: what it stands
    /// for is kept by the store. Verify it through the driver
    /// ([`Driver::verify_token`](crate::Driver::verify_token)) or with
    /// [`KeyRing::verify_kept`] and the store's [`KeptToken`].
    #[error("the token is a reference; its meaning is kept by the store")]
    KeptByStore,
    /// A reference (`v3`) the store does not keep: never issued (forged),
    /// or its person was erased since.
    #[error("the token is a reference the store does not keep")]
    NotKept,
}

/// A secret key, redacted in `Debug`.
#[derive(Clone)]
struct Secret {
    bytes: Vec<u8>,
    /// HMAC-SHA256 keyed with `bytes` (the key schedule done once; each
    /// use clones it).
    keyed: HmacSha256,
    /// The AES-128-SIV state derived from it, bound to the key id: key
    /// schedules and the key-only part of S2V done once, shared by clones.
    siv: std::sync::Arc<Siv>,
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
        let siv = match Siv::new(&derive.finalize().into_bytes(), id.as_bytes()) {
            Some(siv) => std::sync::Arc::new(siv),
            None => impossible("AES-128-SIV rejected a 32-byte key"),
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

    /// The AES-SIV (RFC 5297) state for sealing token payloads, keyed with
    /// 256 bits derived from this key by HMAC-SHA256, the key id its one
    /// associated-data item.
    fn siv(&self) -> &Siv {
        &self.secret.siv
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
            "RFC 8058 one-click POST; token verified with key `{}`, issued at {}",
            self.key_id, self.issued_at
        )))
    }
}

/// A token as [`KeyRing::issue`] returns it: shorter than
/// [`MAX_ISSUED_TOKEN_CHARS`] either way.
#[must_use = "a kept token verifies only once the store keeps it"]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssuedToken {
    /// Self-contained (`v2`): verifies with the key ring alone.
    Sealed(String),
    /// A reference (`v3`): the inputs were too long to seal into a short
    /// token. Keep it in the store
    /// ([`ConsentStore::keep_token`](crate::ConsentStore::keep_token))
    /// *before* the link is sent, or it will not verify.
    /// [`Driver::unsubscribe_token`](crate::Driver::unsubscribe_token) does
    /// both.
    Kept(KeptToken),
}

impl IssuedToken {
    /// The token text, for the URL.
    pub fn text(&self) -> &str {
        match self {
            IssuedToken::Sealed(text) => text,
            IssuedToken::Kept(kept) => &kept.token,
        }
    }
}

/// What a reference token (`v3`) stands for, as the store keeps it. The
/// token text is a keyed hash of the rest (HMAC-SHA256 under the token key,
/// truncated to 128 bits), so it reveals nothing, and a row altered in the
/// store no longer verifies. It is personal data: stores delete it when
/// the person is erased.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptToken {
    /// The token text, `v3.<key id>.<reference>`: the store's key.
    pub token: String,
    /// The tenant that sent the message.
    pub tenant: TenantId,
    /// The list it was sent on.
    pub list: ListId,
    /// The recipient.
    pub address: EmailAddress,
    /// When the token was issued (the send time).
    pub issued_at: DateTime<Utc>,
}

/// The fields a token carries, in the order sealed and hashed.
fn payload(
    tenant: &TenantId,
    list: &ListId,
    address: &EmailAddress,
    issued_at: DateTime<Utc>,
) -> String {
    format!(
        "{}{SEP}{}{SEP}{}{SEP}{}",
        tenant,
        list,
        address.canonical(),
        issued_at.timestamp()
    )
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
    /// at `issued_at`, shorter than [`MAX_ISSUED_TOKEN_CHARS`] whatever the
    /// inputs. URL-safe (`A-Z a-z 0-9 - _ .`).
    ///
    /// Usually the payload (tenant, list, address, issue time) is sealed
    /// with AES-SIV under a key derived from the active key:
    /// [`IssuedToken::Sealed`], `v2.<key id>.<sealed>`, confidential and
    /// authenticated, so a token in a server or proxy log reveals nothing
    /// about its recipient. Sealing is deterministic (no randomness: the
    /// same inputs give the same token). A sealed token is 4 + key id +
    /// about 4/3 × (29 + tenant + list + address) characters; when that
    /// would reach 200 (long addresses, ids or key ids), the token is
    /// instead a keyed reference, [`IssuedToken::Kept`], whose meaning the
    /// store must keep before the link is sent:
    /// [`Driver::unsubscribe_token`](crate::Driver::unsubscribe_token) does
    /// that and returns the text.
    ///
    /// ```
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// use consentry::unsubscribe::{IssuedToken, KeyRing, TokenError, TokenKey};
    /// use consentry::{EmailAddress, ListId, TenantId};
    ///
    /// let ring = KeyRing::new(TokenKey::new("k2026", [7u8; 32].to_vec())?);
    /// let sent = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    /// let (acme, news) = (TenantId::new("acme")?, ListId::new("news")?);
    /// let token = ring.issue(&acme, &news, &EmailAddress::parse("Ann@Example.com")?, sent);
    /// let IssuedToken::Sealed(token) = token else { unreachable!() };
    /// let ok = ring.verify(&token, sent + TimeDelta::days(29))?;
    /// assert_eq!(ok.address.canonical(), "ann@example.com");
    /// assert!(matches!(ring.verify(&token, sent + TimeDelta::days(91)), Err(TokenError::Expired { .. })));
    ///
    /// // A 197-byte address cannot be sealed into 200 characters.
    /// let long = EmailAddress::parse(&format!("{}@{}.{}.example", "a".repeat(64), "b".repeat(63), "c".repeat(60)))?;
    /// let IssuedToken::Kept(kept) = ring.issue(&acme, &news, &long, sent) else { unreachable!() };
    /// assert!(kept.token.len() < 60);
    /// assert_eq!(ring.verify(&kept.token, sent), Err(TokenError::KeptByStore));
    /// assert_eq!(ring.verify_kept(&kept.token, Some(&kept), sent)?.address, long);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn issue(
        &self,
        tenant: &TenantId,
        list: &ListId,
        address: &EmailAddress,
        issued_at: DateTime<Utc>,
    ) -> IssuedToken {
        let payload = payload(tenant, list, address, issued_at);
        let key = &self.active;
        // "v2." + key id + "." + base64 of the 16-byte tag and the payload.
        let sealed_len = 4 + key.id.len() + (16 + payload.len()).div_ceil(3) * 4;
        if sealed_len < MAX_ISSUED_TOKEN_CHARS {
            return IssuedToken::Sealed(self.seal(&payload));
        }
        IssuedToken::Kept(KeptToken {
            token: format!(
                "{KEPT_TOKEN_VERSION}.{}.{}",
                key.id,
                URL_SAFE_NO_PAD.encode(kept_reference(key, &payload))
            ),
            tenant: tenant.clone(),
            list: list.clone(),
            address: address.clone(),
            issued_at,
        })
    }

    /// Issue a self-contained (`v2`) token whatever its length: it
    /// verifies with the key ring alone, but with long inputs it is longer
    /// than [`MAX_ISSUED_TOKEN_CHARS`] (about 730 characters with 128-byte
    /// ids and a 254-byte address). Prefer [`issue`](Self::issue).
    pub fn issue_sealed(
        &self,
        tenant: &TenantId,
        list: &ListId,
        address: &EmailAddress,
        issued_at: DateTime<Utc>,
    ) -> String {
        self.seal(&payload(tenant, list, address, issued_at))
    }

    fn seal(&self, payload: &str) -> String {
        let key = &self.active;
        let sealed = key.siv().seal(payload.as_bytes());
        format!(
            "{TOKEN_VERSION}.{}.{}",
            key.id,
            URL_SAFE_NO_PAD.encode(sealed)
        )
    }

    /// Verify a reference token (`v3`) at `now` against what the store
    /// keeps for it (`None` when it keeps nothing): the same checks as
    /// [`verify`](Self::verify), with the keyed reference recomputed from
    /// `kept` and compared in constant time. Sealed (`v2`) and legacy
    /// tokens are verified as by `verify`, and `kept` is ignored.
    ///
    /// # Errors
    ///
    /// A [`TokenError`]: [`TokenError::NotKept`] when `kept` is `None` or
    /// belongs to another token, [`TokenError::BadSignature`] when the
    /// kept row was altered.
    pub fn verify_kept(
        &self,
        token: &str,
        kept: Option<&KeptToken>,
        now: DateTime<Utc>,
    ) -> Result<VerifiedToken, TokenError> {
        match self.verify(token, now) {
            Err(TokenError::KeptByStore) => self.verify_reference(token, kept, now),
            other => other,
        }
    }

    /// The second half of [`verify_kept`](Self::verify_kept), for a token
    /// [`verify`](Self::verify) has already answered
    /// [`TokenError::KeptByStore`] for (the driver verifies first, then
    /// asks the store).
    pub(crate) fn verify_reference(
        &self,
        token: &str,
        kept: Option<&KeptToken>,
        now: DateTime<Utc>,
    ) -> Result<VerifiedToken, TokenError> {
        let Some(kept) = kept.filter(|k| k.token == token) else {
            return Err(TokenError::NotKept);
        };
        let (key, reference) = self.reference_parts(token)?;
        let payload = payload(&kept.tenant, &kept.list, &kept.address, kept.issued_at);
        kept_mac(key, &payload)
            .verify_truncated_left(&reference)
            .map_err(|_| TokenError::BadSignature)?;
        self.check_age(kept.issued_at, now)?;
        Ok(VerifiedToken {
            tenant: kept.tenant.clone(),
            list: kept.list.clone(),
            address: kept.address.clone(),
            issued_at: kept.issued_at,
            key_id: key.id.clone(),
        })
    }

    /// The key and decoded reference of a `v3` token, or why it is not one.
    fn reference_parts(&self, token: &str) -> Result<(&TokenKey, Vec<u8>), TokenError> {
        let mut parts = split_ascii(token, b'.');
        let (Some(KEPT_TOKEN_VERSION), Some(kid), Some(reference), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let key = self.key(kid)?;
        let reference = URL_SAFE_NO_PAD
            .decode(reference)
            .map_err(|_| TokenError::Malformed)?;
        if reference.len() != KEPT_REF_BYTES {
            return Err(TokenError::Malformed);
        }
        Ok((key, reference))
    }

    fn key(&self, kid: &str) -> Result<&TokenKey, TokenError> {
        self.keys().find(|k| k.id == kid).ok_or_else(|| {
            TokenError::UnknownKey(
                kid.chars()
                    .take(32)
                    .collect::<String>()
                    .escape_default()
                    .to_string(),
            )
        })
    }

    /// Refuse a token issued after `now` (beyond the clock skew) or older
    /// than the validity window.
    fn check_age(&self, issued_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), TokenError> {
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
        Ok(())
    }

    /// Verify a token at `now`: version, key id, signature (compared in
    /// constant time) and age. A reference token (`v3`) gives
    /// [`TokenError::KeptByStore`]: verify it with
    /// [`verify_kept`](Self::verify_kept) or through the driver.
    ///
    /// # Errors
    ///
    /// A [`TokenError`]; the only way to get `Ok` is a token this ring (or a
    /// ring sharing a key) issued within the validity window.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<VerifiedToken, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Malformed);
        }
        let mut parts = split_ascii(token, b'.');
        let (Some(version), Some(kid)) = (parts.next(), parts.next()) else {
            return Err(TokenError::Malformed);
        };
        if version == KEPT_TOKEN_VERSION {
            // Well-formed, under a known key: only the store can say more.
            self.reference_parts(token)?;
            return Err(TokenError::KeptByStore);
        }
        if version != TOKEN_VERSION && version != LEGACY_TOKEN_VERSION {
            let digits = version.strip_prefix('v').unwrap_or_default();
            if (1..=6).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(TokenError::UnsupportedVersion(version.to_owned()));
            }
            return Err(TokenError::Malformed);
        }
        let key = self.key(kid)?;
        // A sealed token is decoded and opened in a small buffer on the
        // stack (every token `issue` makes fits; a longer one, from
        // `issue_sealed`, gets a heap buffer).
        let mut small = [0u8; 384];
        let mut large: Vec<u8>;
        let legacy: Vec<u8>;
        let payload: &[u8] = if version == TOKEN_VERSION {
            let (Some(sealed_b64), None) = (parts.next(), parts.next()) else {
                return Err(TokenError::Malformed);
            };
            let buffer: &mut [u8] = if sealed_b64.len() <= 512 {
                &mut small
            } else {
                large = vec![0u8; sealed_b64.len()];
                &mut large
            };
            let len = URL_SAFE_NO_PAD
                .decode_slice(sealed_b64, &mut *buffer)
                .map_err(|_| TokenError::Malformed)?;
            let sealed = buffer.get_mut(..len).ok_or(TokenError::Malformed)?;
            key.siv().open(sealed).ok_or(TokenError::BadSignature)?
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
            legacy = payload;
            &legacy
        };
        // Authentic from here on: a parse failure is our own format's fault.
        let payload = std::str::from_utf8(payload).map_err(|_| TokenError::Malformed)?;
        let mut fields = split_ascii(payload, SEP as u8);
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
        self.check_age(issued_at, now)?;
        Ok(VerifiedToken {
            tenant: TenantId::new(tenant).map_err(|_| TokenError::Malformed)?,
            list: ListId::new(list).map_err(|_| TokenError::Malformed)?,
            address: EmailAddress::from_stored(address).map_err(|_| TokenError::Malformed)?,
            issued_at,
            key_id: key.id.clone(),
        })
    }
}

/// The keyed reference of a kept token: HMAC-SHA256 of the payload under
/// the key, bound to its own context, truncated to 128 bits.
fn kept_reference(key: &TokenKey, payload: &str) -> Vec<u8> {
    let full = kept_mac(key, payload).finalize().into_bytes();
    full.get(..KEPT_REF_BYTES).unwrap_or_default().to_vec()
}

/// The keyed MAC of a kept token's payload, in its own context.
fn kept_mac(key: &TokenKey, payload: &str) -> HmacSha256 {
    let mut mac = key.mac_for(KEPT_CONTEXT);
    mac.update(payload.as_bytes());
    mac
}

/// `s` split at every `sep` (an ASCII byte, so every cut is a character
/// boundary), as `str::split` would, byte by byte.
fn split_ascii(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.bytes().position(|b| b == sep) {
            Some(at) => {
                rest = current.get(at + 1..);
                current.get(..at)
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}
