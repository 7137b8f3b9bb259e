//! Consent events: the append-only facts the ledger is made of.

use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::address::EmailAddress;
use crate::ids::{check_id, EventId, IdError, ListId, TenantId};

/// The (tenant, list, address) a consent state is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ConsentKey {
    /// The sending account.
    pub tenant: TenantId,
    /// The list or topic.
    pub list: ListId,
    /// The recipient.
    pub address: EmailAddress,
}

impl ConsentKey {
    /// A key from its parts.
    pub fn new(tenant: TenantId, list: ListId, address: EmailAddress) -> Self {
        ConsentKey {
            tenant,
            list,
            address,
        }
    }
}

/// One fact about a person's consent or deliverability, as it happened.
///
/// Events are never edited or deleted (erasure aside): the current state is
/// a fold over them ([`ConsentState::replay`](crate::ConsentState::replay)).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawEvent")]
pub struct ConsentEvent {
    /// Host-supplied id; a repeated id is applied once.
    pub id: EventId,
    /// When it happened (not when it was recorded).
    pub at: DateTime<Utc>,
    /// The sending account the event concerns.
    pub tenant: TenantId,
    /// The list it concerns; `None` means every list of the tenant (an
    /// "unsubscribe from all" or an account-wide opt-in). Bounces, complaints
    /// and account events ignore it: their scope is fixed by the rules.
    #[serde(default)]
    pub list: Option<ListId>,
    /// The person.
    pub address: EmailAddress,
    /// What happened.
    pub action: Action,
    /// Proof of what happened.
    #[serde(default)]
    pub evidence: Evidence,
}

/// What happened, in the past tense.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// The person gave (or was recorded as giving) permission.
    OptedIn {
        /// On what basis.
        basis: Basis,
    },
    /// The person withdrew permission.
    OptedOut {
        /// Through which channel.
        via: OptOutChannel,
    },
    /// A permanent delivery failure (5xx). Suppresses the address globally.
    HardBounced,
    /// A temporary delivery failure (4xx). Enough in a row suppress globally.
    SoftBounced,
    /// A message was delivered; ends a run of soft bounces. Record it only
    /// after a soft bounce if you want to keep the ledger small.
    Delivered,
    /// The person reported a message as spam (feedback loop). Suppresses the
    /// address for the whole tenant.
    Complained,
    /// The person's account with the tenant was cancelled; all mail stops.
    AccountCancelled,
    /// The account was reopened; transactional mail may flow again.
    AccountReopened,
    /// An operator verified the address is deliverable again; lifts a bounce
    /// suppression (never an opt-out or a complaint).
    SuppressionCleared {
        /// Who cleared it (operator id or process name).
        by: String,
    },
}

impl Action {
    /// Whether the action withdraws or blocks mail. At equal timestamps
    /// these apply after opt-in-like actions, so the withdrawal wins.
    pub fn is_opt_out_like(&self) -> bool {
        matches!(
            self,
            Action::OptedOut { .. }
                | Action::HardBounced
                | Action::SoftBounced
                | Action::Complained
                | Action::AccountCancelled
        )
    }

    /// A short, stable name of the action for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Action::OptedIn { .. } => "opted_in",
            Action::OptedOut { .. } => "opted_out",
            Action::HardBounced => "hard_bounced",
            Action::SoftBounced => "soft_bounced",
            Action::Delivered => "delivered",
            Action::Complained => "complained",
            Action::AccountCancelled => "account_cancelled",
            Action::AccountReopened => "account_reopened",
            Action::SuppressionCleared { .. } => "suppression_cleared",
        }
    }
}

/// The basis of an opt-in.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Basis {
    /// The person ticked a box or submitted a form (single opt-in).
    ExpressForm,
    /// A confirmation email was sent; nothing is granted until it is confirmed.
    DoubleOptInRequested,
    /// The person clicked the confirmation link.
    DoubleOptInConfirmed,
    /// An existing customer (soft opt-in); counts only if the policy says so,
    /// and never after an opt-out.
    ExistingCustomer,
    /// The tenant imported the address with an attestation of permission;
    /// never resubscribes anyone who opted out.
    Imported {
        /// The tenant's statement of how permission was obtained.
        attestation: String,
    },
    /// Implied consent (CASL s. 10(9)): a fact of the relationship and its
    /// date. It lapses when its period runs out
    /// ([`ImpliedGround::lapses_at`]); counts only if the policy accepts
    /// non-express bases ([`LedgerPolicy::soft_opt_in_counts`](crate::LedgerPolicy::soft_opt_in_counts)),
    /// and never after an opt-out.
    Implied {
        /// The fact.
        ground: ImpliedGround,
        /// When it happened (the purchase, the inquiry, the publication).
        on: DateTime<Utc>,
    },
}

/// The fact an implied consent rests on (CASL s. 10(9), (10), (13), (14)).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ImpliedGround {
    /// A purchase or lease of a product, good, service, land or interest,
    /// or the acceptance of a business, investment or gaming opportunity,
    /// or a barter (s. 10(10)(a)-(c)): two years.
    Purchase,
    /// A written contract (s. 10(10)(d)): while it is in force, and two
    /// years after it ends.
    Contract {
        /// When it ended or ends; `None` while it runs with no end date.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ends: Option<DateTime<Utc>>,
    },
    /// A subscription, account, loan, membership or similar ongoing
    /// relationship (s. 10(13), (14)): two years from its end.
    Subscription {
        /// When it ended or ends; `None` while it runs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ends: Option<DateTime<Utc>>,
    },
    /// An inquiry or application (s. 10(10)(e)): six months.
    Inquiry,
    /// The address was conspicuously published without a statement
    /// refusing commercial messages (s. 10(9)(b)): no period, but only
    /// messages relevant to the person's business role.
    ConspicuousPublication,
    /// The person gave the address to the sender without refusing
    /// commercial messages (s. 10(9)(c)): no period, relevance as above.
    Disclosure,
}

impl ImpliedGround {
    /// When an implied consent on this ground, from `on`, lapses: two years
    /// after a purchase, or after a contract's or subscription's end (from
    /// the end, whenever it was recorded; CASL s. 10(10)(d), 10(14)), six
    /// months after an inquiry, never (`None`) for publication and
    /// disclosure or while a contract or subscription runs. Calendar months
    /// to the second: consent given at 2024-03-01T10:00:00Z on a purchase
    /// holds until 2026-03-01T09:59:59Z and has lapsed at 10:00:00.
    pub fn lapses_at(&self, on: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let after = |from: DateTime<Utc>, months: u32| {
            from.checked_add_months(chrono::Months::new(months))
                .unwrap_or(DateTime::<Utc>::MAX_UTC)
        };
        match self {
            ImpliedGround::Purchase => Some(after(on, 24)),
            ImpliedGround::Contract { ends } | ImpliedGround::Subscription { ends } => {
                ends.map(|end| after(end, 24))
            }
            ImpliedGround::Inquiry => Some(after(on, 6)),
            ImpliedGround::ConspicuousPublication | ImpliedGround::Disclosure => None,
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            ImpliedGround::Purchase => "a purchase",
            ImpliedGround::Contract { .. } => "a written contract",
            ImpliedGround::Subscription { .. } => "a subscription or account",
            ImpliedGround::Inquiry => "an inquiry or application",
            ImpliedGround::ConspicuousPublication => "a conspicuous publication",
            ImpliedGround::Disclosure => "a disclosure of the address",
        }
    }
}

impl fmt::Display for ImpliedGround {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Basis {
    /// Whether the basis is an express act of the person (a form opt-in or a
    /// confirmed double opt-in): the only kinds that restore permission after
    /// an opt-out or a complaint.
    pub fn is_express(&self) -> bool {
        matches!(self, Basis::ExpressForm | Basis::DoubleOptInConfirmed)
    }
}

/// How an opt-out reached us.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum OptOutChannel {
    /// The unsubscribe link in a message footer.
    FooterLink,
    /// An RFC 8058 one-click POST from the mailbox provider.
    OneClick,
    /// A reply asking to be removed.
    Reply,
    /// An administrator acting on the person's request.
    Admin,
    /// The preference centre.
    PreferenceCentre,
}

impl fmt::Display for OptOutChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OptOutChannel::FooterLink => "footer link",
            OptOutChannel::OneClick => "one-click header",
            OptOutChannel::Reply => "reply",
            OptOutChannel::Admin => "admin",
            OptOutChannel::PreferenceCentre => "preference centre",
        })
    }
}

/// Proof recorded with an event. Every field is optional.
///
/// An opt-in is *weak* (see [`Evidence::is_weak`]) without a policy version
/// or without a source (a source URL or a free-text description).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(default)]
pub struct Evidence {
    /// The page or endpoint where it happened (http or https).
    pub source_url: Option<Url>,
    /// The client's IP address.
    pub ip: Option<IpAddr>,
    /// The client's user agent (at most 512 bytes).
    pub user_agent: Option<String>,
    /// The version of the privacy policy shown (at most 128 bytes).
    pub policy_version: Option<String>,
    /// Free text: an import batch, a support ticket (at most 4096 bytes).
    pub text: Option<String>,
}

impl Evidence {
    /// Evidence of a web form: where it was and which policy it showed.
    pub fn from_form(source_url: Url, policy_version: impl Into<String>) -> Self {
        Evidence {
            source_url: Some(source_url),
            policy_version: Some(policy_version.into()),
            ..Evidence::default()
        }
    }

    /// Evidence described in words (an import batch, a support ticket).
    pub fn described(text: impl Into<String>) -> Self {
        Evidence {
            text: Some(text.into()),
            ..Evidence::default()
        }
    }

    /// The same evidence with the client's IP address.
    pub fn with_ip(mut self, ip: IpAddr) -> Self {
        self.ip = Some(ip);
        self
    }

    /// The same evidence with the client's user agent.
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The same evidence with the policy version shown.
    pub fn with_policy_version(mut self, version: impl Into<String>) -> Self {
        self.policy_version = Some(version.into());
        self
    }

    /// The same evidence with a description.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Whether this evidence is too thin to demonstrate consent (GDPR Art.
    /// 7(1)): no policy version, or neither a source URL nor a description.
    pub fn is_weak(&self) -> bool {
        self.policy_version.is_none() || (self.source_url.is_none() && self.text.is_none())
    }
}

/// Longest user agent kept in evidence, in bytes.
pub const MAX_USER_AGENT_BYTES: usize = 512;
/// Longest free text kept in evidence or an attestation, in bytes.
pub const MAX_TEXT_BYTES: usize = 4096;

/// Why an event was refused before it reached the store.
///
/// The caller's data is wrong: answer 400 / 422 and do not retry; nothing
/// was stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// An evidence field or attestation is too long.
    #[error("`{field}` is {len} bytes long; at most {max} are allowed")]
    FieldTooLong {
        /// The field's name.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A field holds a control character where none is allowed.
    #[error("`{field}` holds a control character")]
    ControlCharacter {
        /// The field's name.
        field: &'static str,
    },
    /// A required text is empty (an import attestation, a clearing operator).
    #[error("`{field}` is empty")]
    EmptyField {
        /// The field's name.
        field: &'static str,
    },
    /// The source URL is not http or https.
    #[error("the source URL scheme `{scheme}` is not http or https")]
    SourceUrlScheme {
        /// The scheme found.
        scheme: String,
    },
    /// The operator id in a suppression-cleared event is not a valid id.
    #[error("`by` is not a valid operator id: {0}")]
    Operator(#[from] IdError),
}

fn check_text(
    field: &'static str,
    value: &str,
    max: usize,
    allow_newlines: bool,
) -> Result<(), EventError> {
    if value.len() > max {
        return Err(EventError::FieldTooLong {
            field,
            len: value.len(),
            max,
        });
    }
    let bad = value
        .chars()
        .any(|c| c.is_control() && !(allow_newlines && (c == '\n' || c == '\r' || c == '\t')));
    if bad {
        return Err(EventError::ControlCharacter { field });
    }
    Ok(())
}

/// The stored form, read leniently: events written before 0.2 tagged their
/// action with `"type"`; they are upcast to `"kind"` on read (see the
/// crate docs on the compatibility of stored events).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    id: EventId,
    at: DateTime<Utc>,
    tenant: TenantId,
    #[serde(default)]
    list: Option<ListId>,
    address: EmailAddress,
    action: serde_json::Value,
    #[serde(default)]
    evidence: Evidence,
}

impl TryFrom<RawEvent> for ConsentEvent {
    type Error = serde_json::Error;
    fn try_from(raw: RawEvent) -> Result<Self, Self::Error> {
        let mut action = raw.action;
        if let Some(map) = action.as_object_mut() {
            if !map.contains_key("kind") {
                if let Some(legacy) = map.remove("type") {
                    map.insert("kind".to_owned(), legacy);
                }
            }
        }
        Ok(ConsentEvent {
            id: raw.id,
            at: raw.at,
            tenant: raw.tenant,
            list: raw.list,
            address: raw.address,
            action: serde_json::from_value(action)?,
            evidence: raw.evidence,
        })
    }
}

impl ConsentEvent {
    /// An event about one (tenant, list, address), with no evidence yet
    /// (add it with [`ConsentEvent::with_evidence`]).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use consentry::{Action, Basis, ConsentEvent, ConsentKey, EmailAddress, EventId, Evidence, ListId, TenantId};
    ///
    /// let key = ConsentKey::new(TenantId::new("acme")?, ListId::new("news")?, EmailAddress::parse("ann@example.com")?);
    /// let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap();
    /// let event = ConsentEvent::new(EventId::new("signup-1")?, at, &key, Action::OptedIn { basis: Basis::ExpressForm })
    ///     .with_evidence(Evidence::from_form("https://acme.example/join".parse()?, "2026-01"));
    /// assert_eq!(event.list.as_ref(), Some(&key.list));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(id: EventId, at: DateTime<Utc>, key: &ConsentKey, action: Action) -> Self {
        ConsentEvent {
            id,
            at,
            tenant: key.tenant.clone(),
            list: Some(key.list.clone()),
            address: key.address.clone(),
            action,
            evidence: Evidence::default(),
        }
    }

    /// An event about every list of a tenant (an "unsubscribe from all", a
    /// bounce, a complaint, an account event).
    pub fn tenant_wide(
        id: EventId,
        at: DateTime<Utc>,
        tenant: TenantId,
        address: EmailAddress,
        action: Action,
    ) -> Self {
        ConsentEvent {
            id,
            at,
            tenant,
            list: None,
            address,
            action,
            evidence: Evidence::default(),
        }
    }

    /// The same event with this evidence.
    pub fn with_evidence(mut self, evidence: Evidence) -> Self {
        self.evidence = evidence;
        self
    }

    /// Check the free-form parts of the event (ids and addresses were checked
    /// when they were built). The driver calls this before appending.
    ///
    /// # Errors
    ///
    /// An [`EventError`] for an over-long or control-character-laden evidence
    /// field, an empty attestation or operator, or a non-web source URL.
    pub fn validate(&self) -> Result<(), EventError> {
        let e = &self.evidence;
        if let Some(url) = &e.source_url {
            if url.scheme() != "https" && url.scheme() != "http" {
                return Err(EventError::SourceUrlScheme {
                    scheme: url.scheme().to_owned(),
                });
            }
        }
        if let Some(ua) = &e.user_agent {
            check_text("user_agent", ua, MAX_USER_AGENT_BYTES, false)?;
        }
        if let Some(v) = &e.policy_version {
            check_text("policy_version", v, 128, false)?;
        }
        if let Some(t) = &e.text {
            check_text("text", t, MAX_TEXT_BYTES, true)?;
        }
        match &self.action {
            Action::OptedIn {
                basis: Basis::Imported { attestation },
            } => {
                if attestation.trim().is_empty() {
                    return Err(EventError::EmptyField {
                        field: "attestation",
                    });
                }
                check_text("attestation", attestation, MAX_TEXT_BYTES, true)?;
            }
            Action::SuppressionCleared { by } => {
                check_id(by)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether this event shapes the state of `key`: same address, and
    /// bounces and deliveries from any tenant (they are global), complaints
    /// and account events of the same tenant, opt-ins and opt-outs of the
    /// same tenant for the key's list or for every list.
    pub fn concerns(&self, key: &ConsentKey) -> bool {
        let same = |a: &str, b: &str| crate::unicode::same_bytes(a.as_bytes(), b.as_bytes());
        if self.address != key.address {
            return false;
        }
        match self.action {
            Action::HardBounced
            | Action::SoftBounced
            | Action::Delivered
            | Action::SuppressionCleared { .. } => true,
            Action::Complained | Action::AccountCancelled | Action::AccountReopened => {
                same(self.tenant.as_str(), key.tenant.as_str())
            }
            Action::OptedIn { .. } | Action::OptedOut { .. } => {
                same(self.tenant.as_str(), key.tenant.as_str())
                    && self
                        .list
                        .as_ref()
                        .is_none_or(|l| same(l.as_str(), key.list.as_str()))
            }
        }
    }
}
