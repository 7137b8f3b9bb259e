//! Send eligibility: may this message go to this address now?
//!
//! [`decide`] answers for one recipient from their [`ConsentState`] and the
//! message's [`Classification`]; [`plan`] answers for a whole audience in
//! one pass over a [`SuppressionIndex`]; [`lint`] checks a message for the
//! elements the law and the mailbox providers require before it is sent.
//!
//! Promotional mail needs a permission basis and no suppression at any
//! scope; transactional mail needs only a deliverable address and an open
//! account. Anything unknown or weak fails closed for promotional mail.

mod lint;
mod plan;

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use lint::{
    check_requirements, lint, ComplianceIssue, PostalAddress, ProfileError, SenderProfile, Severity,
};
pub use plan::{
    plan, plan_each, AudienceMember, CampaignPlan, CampaignScope, PlanSummary, Planned,
    SuppressedRecipient, SuppressionIndex, SuppressionKind,
};

use crate::address::{ListId, Scope, TenantId};
use crate::classify::{Classification, MessageClass};
use crate::consent::{ConsentState, Permission};
use crate::decision::{ids, Reason, RuleId};

/// The campaign a decision is made for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SendContext {
    /// The sending tenant.
    pub tenant: TenantId,
    /// The list (or transactional stream) the message goes out on.
    pub list: ListId,
    /// When the decision is made. The driver derives each recipient's
    /// state as of this moment; hosts calling [`decide`] directly should
    /// pass a state replayed at the same `now`.
    pub now: DateTime<Utc>,
    /// Whether promotional mail may go out on a permission whose evidence is
    /// weak. Off by default: weak evidence fails closed.
    pub allow_weak_evidence: bool,
}

impl SendContext {
    /// A context for mail from `tenant` on `list` at `now`.
    pub fn new(tenant: TenantId, list: ListId, now: DateTime<Utc>) -> Self {
        SendContext {
            tenant,
            list,
            now,
            allow_weak_evidence: false,
        }
    }

    /// Allow (or not) promotional mail on weak evidence.
    pub fn allow_weak_evidence(mut self, allow: bool) -> Self {
        self.allow_weak_evidence = allow;
        self
    }
}

/// Something a message must carry before it may be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// A working unsubscribe link in the body (15 U.S.C. 7704(a)(3)).
    UnsubscribeLink,
    /// The sender's valid postal address in the body (7704(a)(5)(A)(iii)).
    PostalAddress,
    /// A `List-Unsubscribe` header with an https URI (RFC 2369, RFC 8058).
    ListUnsubscribeHeader,
    /// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
    OneClickPost,
    /// A clear identification of the message as an advertisement, needed
    /// when the permission is not affirmative consent (7704(a)(5)(A)(i), (B)).
    AdvertisementLabel,
}

/// The promotional requirements every sendable recipient shares.
pub const PROMOTIONAL_REQUIREMENTS: [Requirement; 4] = [
    Requirement::UnsubscribeLink,
    Requirement::PostalAddress,
    Requirement::ListUnsubscribeHeader,
    Requirement::OneClickPost,
];

/// The answer for one recipient. Deliberately exhaustive: a new outcome is
/// a breaking change hosts must handle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SendDecision {
    /// Send, once the message meets every requirement.
    Send {
        /// What the message must carry.
        requirements: Vec<Requirement>,
        /// Why it may be sent.
        reasons: Vec<Reason>,
    },
    /// Do not send.
    Suppress {
        /// Why not, most severe first.
        reasons: Vec<Reason>,
    },
}

impl SendDecision {
    /// Whether the decision is to send.
    pub fn is_send(&self) -> bool {
        matches!(self, SendDecision::Send { .. })
    }

    /// The reasons, whatever the outcome.
    pub fn reasons(&self) -> &[Reason] {
        match self {
            SendDecision::Send { reasons, .. } | SendDecision::Suppress { reasons } => reasons,
        }
    }
}

/// What the planner needs to know of a permission, in two bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PermissionSummary {
    /// Whether the basis is an express act (affirmative consent).
    pub express: bool,
    /// Whether the evidence is weak.
    pub weak_evidence: bool,
}

impl PermissionSummary {
    /// The summary of a permission.
    pub fn of(permission: &Permission) -> Self {
        PermissionSummary {
            express: permission.basis.is_express(),
            weak_evidence: permission.weak_evidence,
        }
    }
}

/// Suppression causes as bits, shared by [`decide`] and [`plan`] so both
/// give the same answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Causes(u16);

impl Causes {
    pub(crate) const KEY_MISMATCH: u16 = 1 << 0;
    pub(crate) const UNDELIVERABLE_HARD: u16 = 1 << 1;
    pub(crate) const UNDELIVERABLE_SOFT: u16 = 1 << 2;
    pub(crate) const ACCOUNT_CANCELLED: u16 = 1 << 3;
    pub(crate) const COMPLAINED: u16 = 1 << 4;
    pub(crate) const OPTED_OUT_TENANT: u16 = 1 << 5;
    pub(crate) const OPTED_OUT_LIST: u16 = 1 << 6;
    pub(crate) const NO_PERMISSION: u16 = 1 << 7;
    pub(crate) const WEAK_EVIDENCE: u16 = 1 << 8;
    pub(crate) const ALL: [u16; 9] = [
        Self::KEY_MISMATCH,
        Self::UNDELIVERABLE_HARD,
        Self::UNDELIVERABLE_SOFT,
        Self::ACCOUNT_CANCELLED,
        Self::COMPLAINED,
        Self::OPTED_OUT_TENANT,
        Self::OPTED_OUT_LIST,
        Self::NO_PERMISSION,
        Self::WEAK_EVIDENCE,
    ];
    pub(crate) const BLOCKS_TRANSACTIONAL: u16 = Self::KEY_MISMATCH
        | Self::UNDELIVERABLE_HARD
        | Self::UNDELIVERABLE_SOFT
        | Self::ACCOUNT_CANCELLED;

    #[inline]
    pub(crate) fn bits(self) -> u16 {
        self.0
    }

    /// How many distinct rule ids the cause bits map to.
    pub(crate) const RULE_SLOTS: usize = 7;

    /// The distinct rule of a cause bit, as a small index (two bits that
    /// share a rule id share a slot, so a recipient counts once per rule).
    pub(crate) fn rule_slot(bit: u16) -> usize {
        match bit {
            Self::KEY_MISMATCH => 0,
            Self::UNDELIVERABLE_HARD | Self::UNDELIVERABLE_SOFT => 1,
            Self::ACCOUNT_CANCELLED => 2,
            Self::COMPLAINED => 3,
            Self::OPTED_OUT_TENANT | Self::OPTED_OUT_LIST => 4,
            Self::NO_PERMISSION => 5,
            _ => 6,
        }
    }

    /// The rule and sentence of one cause bit.
    pub(crate) fn reason_of(bit: u16) -> (RuleId, &'static str) {
        match bit {
            Self::KEY_MISMATCH => (
                ids::SEND_KEY_MISMATCH,
                "the consent state belongs to another tenant or list",
            ),
            Self::UNDELIVERABLE_HARD => (
                ids::SEND_UNDELIVERABLE,
                "the address hard-bounced and is suppressed globally",
            ),
            Self::UNDELIVERABLE_SOFT => (
                ids::SEND_UNDELIVERABLE,
                "the address soft-bounced repeatedly and is suppressed globally",
            ),
            Self::ACCOUNT_CANCELLED => (
                ids::SEND_ACCOUNT_CANCELLED,
                "the person's account with this tenant is cancelled",
            ),
            Self::COMPLAINED => (
                ids::SEND_COMPLAINED,
                "the person complained about this tenant's mail",
            ),
            Self::OPTED_OUT_TENANT => (
                ids::SEND_OPTED_OUT,
                "the person opted out of every list of this tenant",
            ),
            Self::OPTED_OUT_LIST => (ids::SEND_OPTED_OUT, "the person opted out of this list"),
            Self::NO_PERMISSION => (
                ids::SEND_NO_PERMISSION,
                "no permission basis is recorded for promotional mail",
            ),
            _ => (
                ids::SEND_WEAK_EVIDENCE,
                "the permission's evidence is weak (no policy version or no source)",
            ),
        }
    }

    pub(crate) fn reasons(self) -> Vec<Reason> {
        let mut out = Vec::with_capacity(self.0.count_ones() as usize);
        for bit in Self::ALL {
            if self.0 & bit != 0 {
                let (rule, sentence) = Self::reason_of(bit);
                out.push(Reason::new(rule, sentence));
            }
        }
        out
    }
}

/// The cause bit of a suppression found for the campaign's key.
#[inline]
pub(crate) fn cause_of(kind: SuppressionKind, scope_is_list: bool) -> u16 {
    match kind {
        SuppressionKind::HardBounce => Causes::UNDELIVERABLE_HARD,
        SuppressionKind::SoftBounceStreak => Causes::UNDELIVERABLE_SOFT,
        SuppressionKind::AccountCancelled => Causes::ACCOUNT_CANCELLED,
        SuppressionKind::Complaint => Causes::COMPLAINED,
        SuppressionKind::OptedOut if scope_is_list => Causes::OPTED_OUT_LIST,
        SuppressionKind::OptedOut => Causes::OPTED_OUT_TENANT,
    }
}

/// The core both [`decide`] and [`plan`] use: which causes stop this send.
#[inline]
pub(crate) fn evaluate(
    class: MessageClass,
    permission: Option<PermissionSummary>,
    suppressed: u16,
    ctx: &SendContext,
) -> Causes {
    match class {
        MessageClass::Transactional(_) => Causes(suppressed & Causes::BLOCKS_TRANSACTIONAL),
        MessageClass::Promotional => {
            let mut bits = suppressed;
            // An opt-out or complaint already says why there is no
            // permission; "no permission" is reported only on its own.
            let explained = Causes::COMPLAINED | Causes::OPTED_OUT_TENANT | Causes::OPTED_OUT_LIST;
            match permission {
                None if bits & explained != 0 => {}
                None => bits |= Causes::NO_PERMISSION,
                Some(p) if p.weak_evidence && !ctx.allow_weak_evidence => {
                    bits |= Causes::WEAK_EVIDENCE;
                }
                Some(_) => {}
            }
            Causes(bits)
        }
    }
}

pub(crate) fn requirements_for(class: MessageClass, express: bool) -> Vec<Requirement> {
    match class {
        MessageClass::Transactional(_) => Vec::new(),
        MessageClass::Promotional => {
            let mut r = PROMOTIONAL_REQUIREMENTS.to_vec();
            if !express {
                r.push(Requirement::AdvertisementLabel);
            }
            r
        }
    }
}

fn permitted_reason(class: MessageClass, permission: Option<&Permission>) -> Reason {
    match (class, permission) {
        (MessageClass::Transactional(cat), _) => Reason::new(
            ids::SEND_TRANSACTIONAL_PERMITTED,
            format!("transactional ({cat}) mail to a deliverable address with an open account"),
        ),
        (MessageClass::Promotional, Some(p)) => Reason::new(
            ids::SEND_PROMOTIONAL_PERMITTED,
            Cow::Owned(format!(
                "permission on a {} basis since {} and no suppression at any scope",
                basis_word(p),
                p.since
            )),
        ),
        (MessageClass::Promotional, None) => Reason::new(
            ids::SEND_PROMOTIONAL_PERMITTED,
            "permission and no suppression at any scope",
        ),
    }
}

fn basis_word(p: &Permission) -> &'static str {
    use crate::consent::Basis;
    match p.basis {
        Basis::ExpressForm => "form opt-in",
        Basis::DoubleOptInConfirmed => "confirmed double opt-in",
        Basis::DoubleOptInRequested => "pending double opt-in",
        Basis::ExistingCustomer => "existing-customer (soft opt-in)",
        Basis::Imported { .. } => "imported",
    }
}

/// The suppression cause bits a state holds for its own key.
pub(crate) fn state_causes(state: &ConsentState) -> u16 {
    let mut bits = 0u16;
    for s in state.suppressions() {
        let kind = SuppressionKind::of(&s.reason);
        bits |= cause_of(kind, matches!(s.scope, Scope::List(..)));
    }
    if !state.account_open() {
        bits |= Causes::ACCOUNT_CANCELLED;
    }
    bits
}

/// Decide whether a classified message may go to the person `state` is
/// about, for the campaign in `ctx`.
///
/// Infallible and deterministic. Fails closed: a state for another tenant or
/// list, a missing permission or weak evidence (unless allowed) suppresses
/// promotional mail; only bounces, a cancelled account or a key mismatch
/// stop transactional mail.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use consentry::classify::{Classifier, Message};
/// use consentry::eligibility::{decide, SendContext, SendDecision};
/// use consentry::{ConsentKey, ConsentState, EmailAddress, ListId, TenantId};
///
/// let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
/// let key = ConsentKey::new(
///     TenantId::new("acme")?,
///     ListId::new("news")?,
///     EmailAddress::parse("ann@example.com")?,
/// );
/// let state = ConsentState::replay(&key, [], &Default::default(), now);
/// let ctx = SendContext::new(key.tenant.clone(), key.list.clone(), now);
/// let classifier = Classifier::default();
///
/// let ad = classifier.classify(&Message::text("Spring sale", "40% off everything"));
/// assert!(!decide(&state, &ad, &ctx).is_send()); // no permission recorded
///
/// let receipt = classifier.classify(&Message::text("Receipt", "Thank you for your order."));
/// assert!(decide(&state, &receipt, &ctx).is_send()); // receipts need no opt-in
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decide(
    state: &ConsentState,
    classification: &Classification,
    ctx: &SendContext,
) -> SendDecision {
    let mut suppressed = state_causes(state);
    if state.key().tenant != ctx.tenant || state.key().list != ctx.list {
        suppressed |= Causes::KEY_MISMATCH;
    }
    let permission = state.permission();
    let causes = evaluate(
        classification.class,
        permission.map(PermissionSummary::of),
        suppressed,
        ctx,
    );
    if causes.bits() != 0 {
        return SendDecision::Suppress {
            reasons: causes.reasons(),
        };
    }
    let express = permission.is_some_and(|p| p.basis.is_express());
    SendDecision::Send {
        requirements: requirements_for(classification.class, express),
        reasons: vec![permitted_reason(classification.class, permission)],
    }
}
