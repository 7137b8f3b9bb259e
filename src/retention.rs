//! Retention: what to keep, for how long; and erasure that keeps the
//! suppression.
//!
//! [`RetentionPolicy::decide`] answers keep or purge for a record, with the
//! rule. [`erasure_plan`] turns a person's history into the facts, under a
//! salted hash of their address and stripped of everything personal, that
//! outlive the erasure of everything else, so every decision after it
//! equals the decision before (a re-import never mails them again).

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::address::EmailAddress;
use crate::catalogue::ids;
use crate::consent::{Action, Basis, ConsentEvent, Evidence, OptOutChannel, SuppressionKind};
use crate::decision::{Decision, Reason};
use crate::ids::EventId;
use crate::ids::{ListId, TenantId};
use crate::time::add;

/// How long each kind of record is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct RetentionPolicy {
    /// Days a referred friend's address is kept after its one-time invite
    /// was sent (the attribution window; default 30).
    pub referral_attribution_days: u32,
    /// Days a referred friend's address is kept when no invite went out
    /// (default 7).
    pub referral_unsent_days: u32,
    /// Days web server logs are kept (default 90).
    pub web_log_days: u32,
    /// Days consent evidence is kept after the relationship ends (default
    /// 1095, three years, to answer complaints and audits).
    pub consent_evidence_after_relationship_days: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            referral_attribution_days: 30,
            referral_unsent_days: 7,
            web_log_days: 90,
            consent_evidence_after_relationship_days: 1095,
        }
    }
}

/// A retained record, as far as retention cares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordKind {
    /// A friend's address given for a referral.
    ReferralAddress {
        /// When the one-time invite was sent, if it was.
        invite_sent_at: Option<DateTime<Utc>>,
    },
    /// A web server log line.
    WebLog,
    /// Evidence of consent (an event with its evidence).
    ConsentEvidence {
        /// When the relationship ended (account closed, last list left), if
        /// it has.
        relationship_ended_at: Option<DateTime<Utc>>,
    },
    /// A suppression entry: kept forever, so the person is never mailed
    /// again.
    Suppression,
}

/// A record to judge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetainedRecord {
    /// What it is.
    pub kind: RecordKind,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// Keep or purge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RetentionAction {
    /// Keep it, until the date given (`None`: indefinitely, or until an
    /// event such as the end of the relationship).
    Keep {
        /// When it becomes due.
        until: Option<DateTime<Utc>>,
    },
    /// Purge it now.
    Purge,
}

impl std::fmt::Display for RetentionAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RetentionAction::Keep { until: Some(at) } => write!(f, "keep until {at}"),
            RetentionAction::Keep { until: None } => f.write_str("keep"),
            RetentionAction::Purge => f.write_str("purge"),
        }
    }
}

/// A retention decision: keep (until when) or purge, with the rule.
pub type RetentionDecision = Decision<RetentionAction>;

fn days(n: u32) -> TimeDelta {
    TimeDelta::days(i64::from(n))
}

impl RetentionPolicy {
    /// Keep or purge `record` at `now`, with the rule.
    ///
    /// ```
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// use consentry::retention::{RecordKind, RetainedRecord, RetentionAction, RetentionPolicy};
    ///
    /// let p = RetentionPolicy::default();
    /// let sent = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    /// let friend = RetainedRecord {
    ///     kind: RecordKind::ReferralAddress { invite_sent_at: Some(sent) },
    ///     created_at: sent,
    /// };
    /// assert!(matches!(p.decide(&friend, sent + TimeDelta::days(10)).outcome(), RetentionAction::Keep { .. }));
    /// assert_eq!(p.decide(&friend, sent + TimeDelta::days(31)).outcome(), &RetentionAction::Purge);
    /// ```
    pub fn decide(&self, record: &RetainedRecord, now: DateTime<Utc>) -> RetentionDecision {
        let until = |at: DateTime<Utc>| {
            if now > at {
                RetentionAction::Purge
            } else {
                RetentionAction::Keep { until: Some(at) }
            }
        };
        let (action, rule, sentence) = match &record.kind {
            RecordKind::ReferralAddress {
                invite_sent_at: Some(sent),
            } => (
                until(add(*sent, days(self.referral_attribution_days))),
                ids::RETAIN_REFERRAL,
                format!(
                    "a referred address is kept {} days after its one-time invite, for attribution",
                    self.referral_attribution_days
                ),
            ),
            RecordKind::ReferralAddress {
                invite_sent_at: None,
            } => (
                until(add(record.created_at, days(self.referral_unsent_days))),
                ids::RETAIN_REFERRAL,
                format!(
                    "a referred address whose invite never went out is kept {} days",
                    self.referral_unsent_days
                ),
            ),
            RecordKind::WebLog => (
                until(add(record.created_at, days(self.web_log_days))),
                ids::RETAIN_WEB_LOG,
                format!("web logs are kept {} days", self.web_log_days),
            ),
            RecordKind::ConsentEvidence {
                relationship_ended_at: None,
            } => (
                RetentionAction::Keep { until: None },
                ids::RETAIN_CONSENT_EVIDENCE,
                "consent evidence is kept while the relationship lasts".to_owned(),
            ),
            RecordKind::ConsentEvidence {
                relationship_ended_at: Some(end),
            } => (
                until(add(*end, days(self.consent_evidence_after_relationship_days))),
                ids::RETAIN_CONSENT_EVIDENCE,
                format!(
                    "consent evidence is kept {} days after the relationship ends",
                    self.consent_evidence_after_relationship_days
                ),
            ),
            RecordKind::Suppression => (
                RetentionAction::Keep { until: None },
                ids::RETAIN_SUPPRESSION,
                "suppression entries are kept forever (as a salted hash after erasure) so the person is never mailed again".to_owned(),
            ),
        };
        Decision::new(action, Reason::new(rule, sentence))
    }
}

/// A salted SHA-256 of a canonical address: finds a suppression again by
/// address without keeping the address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AddressHash([u8; 32]);

impl AddressHash {
    /// The salted hash of `address`'s canonical form. Keep the salt secret
    /// and stable: a new salt makes every stored hash unfindable.
    pub fn new(salt: &[u8], address: &EmailAddress) -> Self {
        let mut h = Sha256::new();
        h.update(b"consentry-suppression\0");
        h.update((salt.len() as u64).to_be_bytes());
        h.update(salt);
        h.update(address.canonical().as_bytes());
        AddressHash(h.finalize().into())
    }

    /// The hash as lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for AddressHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AddressHash({})", self.to_hex())
    }
}

impl Serialize for AddressHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for AddressHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(&s, &mut out)
            .map_err(|_| serde::de::Error::custom("an address hash is 64 hex digits"))?;
        Ok(AddressHash(out))
    }
}

/// A short public fingerprint of an erasure salt (16 hex digits of a
/// SHA-256 over it): stored with each kept fact so a store can tell which
/// salt it needs, without holding the salt.
pub fn salt_id(salt: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"consentry-salt-id\0");
    h.update(salt);
    hex::encode(h.finalize().get(..8).unwrap_or_default())
}

/// One fact of an erased person's history, kept so that every decision
/// after the erasure equals the decision before it: what happened, where
/// and when, under the salted hash of their address, with nothing personal
/// (no address, event id, IP, user agent, evidence text, attestation or
/// operator name; only whether the evidence was weak).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "FactRepr")]
pub struct ErasedFact {
    /// The salted hash of the address.
    pub hash: AddressHash,
    /// The fingerprint of the salt the hash was made with ([`salt_id`]).
    pub salt_id: String,
    /// The tenant.
    pub tenant: TenantId,
    /// The list, or `None` for every list of the tenant.
    pub list: Option<ListId>,
    /// What happened, with any free text replaced by `"erased"`.
    pub action: Action,
    /// When.
    pub at: DateTime<Utc>,
    /// Whether the erased evidence was weak ([`Evidence::is_weak`]).
    pub weak_evidence: bool,
    /// Its place in the person's history as the fold orders it (0 first),
    /// so two alike facts stay two and the order of same-time events is
    /// kept.
    pub seq: u32,
}

/// The stored forms: the current one, and the suppression-only form
/// schema 3 and earlier kept (`kind`, `since`, no salt id).
#[derive(Deserialize)]
#[serde(untagged)]
enum FactRepr {
    Fact {
        hash: AddressHash,
        salt_id: String,
        tenant: TenantId,
        list: Option<ListId>,
        action: Action,
        at: DateTime<Utc>,
        weak_evidence: bool,
        seq: u32,
    },
    Legacy {
        hash: AddressHash,
        tenant: TenantId,
        list: Option<ListId>,
        kind: SuppressionKind,
        since: DateTime<Utc>,
    },
}

/// The salt id of facts kept before salt ids were recorded.
pub const UNKNOWN_SALT_ID: &str = "unknown";

impl From<FactRepr> for ErasedFact {
    fn from(r: FactRepr) -> Self {
        match r {
            FactRepr::Fact {
                hash,
                salt_id,
                tenant,
                list,
                action,
                at,
                weak_evidence,
                seq,
            } => ErasedFact {
                hash,
                salt_id,
                tenant,
                list,
                action,
                at,
                weak_evidence,
                seq,
            },
            FactRepr::Legacy {
                hash,
                tenant,
                list,
                kind,
                since,
            } => ErasedFact {
                hash,
                salt_id: UNKNOWN_SALT_ID.to_owned(),
                tenant,
                list,
                action: match kind {
                    SuppressionKind::OptedOut => Action::OptedOut {
                        via: OptOutChannel::Admin,
                    },
                    SuppressionKind::Complaint => Action::Complained,
                    SuppressionKind::HardBounce | SuppressionKind::SoftBounceStreak => {
                        Action::HardBounced
                    }
                    SuppressionKind::AccountCancelled => Action::AccountCancelled,
                },
                at: since,
                weak_evidence: true,
                seq: 0,
            },
        }
    }
}

const ERASED: &str = "erased";

fn strip(action: &Action) -> Action {
    match action {
        Action::OptedIn {
            basis: Basis::Imported { .. },
        } => Action::OptedIn {
            basis: Basis::Imported {
                attestation: ERASED.to_owned(),
            },
        },
        Action::SuppressionCleared { .. } => Action::SuppressionCleared {
            by: ERASED.to_owned(),
        },
        other => other.clone(),
    }
}

impl ErasedFact {
    /// The event the fold sees in place of the erased one: the same action,
    /// tenant, list and time, evidence as strong or weak as it was, and an
    /// id derived from the hash and `seq` (so the fold orders alike facts
    /// as it ordered the events).
    pub fn as_event(&self, address: &EmailAddress) -> Option<ConsentEvent> {
        let hex = self.hash.to_hex();
        let id = EventId::new(format!(
            "erased-{}-{:010}",
            hex.get(..16).unwrap_or(&hex),
            self.seq
        ))
        .ok()?;
        let text = Some("erased; kept as a fact under a salted hash".to_owned());
        let evidence = if self.weak_evidence {
            Evidence {
                text,
                ..Evidence::default()
            }
        } else {
            Evidence {
                text,
                policy_version: Some(ERASED.to_owned()),
                ..Evidence::default()
            }
        };
        Some(ConsentEvent {
            id,
            at: self.at,
            tenant: self.tenant.clone(),
            list: self.list.clone(),
            address: address.clone(),
            action: self.action.clone(),
            evidence,
        })
    }
}

/// The facts to keep when erasing everything about `address`: every event
/// of theirs, stripped of everything personal (see [`ErasedFact`]), so the
/// fold over the kept facts reaches the same state as over the history
/// (an opt-out stays, a cleared bounce stays cleared, a cancelled account
/// stays cancelled, a run of soft bounces keeps counting). A repeated
/// event (same id and content) is kept once, as the fold applies it once.
pub fn erasure_plan(
    salt: &[u8],
    address: &EmailAddress,
    events: &[ConsentEvent],
) -> Vec<ErasedFact> {
    let hash = AddressHash::new(salt, address);
    let salt_id = salt_id(salt);
    let mut mine: Vec<&ConsentEvent> = events.iter().filter(|e| e.address == *address).collect();
    mine.sort_by(|a, b| crate::consent::state::fold_order(a, b));
    mine.dedup_by(|a, b| a == b);
    mine.into_iter()
        .enumerate()
        .map(|(n, e)| ErasedFact {
            hash,
            salt_id: salt_id.clone(),
            tenant: e.tenant.clone(),
            list: e.list.clone(),
            action: strip(&e.action),
            at: e.at,
            weak_evidence: e.evidence.is_weak(),
            seq: u32::try_from(n).unwrap_or(u32::MAX),
        })
        .collect()
}
