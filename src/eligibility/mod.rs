//! Send eligibility: may this message go to this address now?
//!
//! [`SendContext::decide`] answers for one recipient from their [`ConsentState`] and the
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
use std::fmt;

use chrono::{DateTime, Utc};
use enumset::{enum_set, EnumSet, EnumSetType};
use serde::{Deserialize, Serialize};

pub use lint::{check_requirements, lint, lint_for, PostalAddress, ProfileError, SenderProfile};
pub use plan::{
    plan, plan_each, AudienceMember, CampaignPlan, CampaignScope, PlanSummary, Planned,
    SuppressedRecipient, SuppressionIndex,
};

use crate::catalogue::ids;
use crate::classify::{Classification, MessageClass};
use crate::consent::{ConsentState, ImpliedGround, Permission, SuppressionKind};
use crate::decision::{Decision, Reason, Reasons};
use crate::ids::{ListId, Scope, TenantId};
use crate::jurisdiction::{ContentItem, Jurisdiction, OrgStance, PermissionModel, Regime};

/// The campaign a decision is made for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SendContext {
    /// The sending tenant.
    pub tenant: TenantId,
    /// The list (or transactional stream) the message goes out on.
    pub list: ListId,
    /// When the decision is made. The driver derives each recipient's
    /// state as of this moment; hosts calling [`SendContext::decide`] directly should
    /// pass a state replayed at the same `now`.
    pub now: DateTime<Utc>,
    /// Whether promotional mail may go out on a permission whose evidence is
    /// weak. Off by default: weak evidence fails closed.
    pub allow_weak_evidence: bool,
    /// How a message of [`MessageClass::Undetermined`] (no commercial
    /// content, no transactional category recognised, nothing declared) is
    /// sent. Default: as promotional mail, which needs permission. A message
    /// the sender declared transactional is never undetermined: the
    /// classifier honours the declaration when no commercial content is
    /// found.
    pub undetermined_as: UndeterminedAs,
    /// Whether the organisation is permission-based everywhere (the
    /// default) or uses CAN-SPAM's opt-out model for US recipients
    /// ([`SendContext::decide_for`]).
    #[serde(default)]
    pub stance: OrgStance,
    /// Whether the message is relevant to its recipients' business roles,
    /// which CASL requires of mail sent on consent implied by a published
    /// or disclosed address (s. 10(9)(b)-(c)). Off by default.
    #[serde(default)]
    pub business_relevant: bool,
}

/// How a send context treats a message the classifier could not place.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UndeterminedAs {
    /// Like promotional mail: permission needed, promotional requirements
    /// apply (the safe default).
    #[default]
    Promotional,
    /// Like transactional mail: a deliverable address and an open account
    /// suffice. For hosts that vouch for everything they send on this
    /// stream.
    Transactional,
}

impl SendContext {
    /// A context for mail from `tenant` on `list` at `now`.
    pub fn new(tenant: TenantId, list: ListId, now: DateTime<Utc>) -> Self {
        SendContext {
            tenant,
            list,
            now,
            allow_weak_evidence: false,
            undetermined_as: UndeterminedAs::Promotional,
            stance: OrgStance::PermissionBased,
            business_relevant: false,
        }
    }

    /// Mark the message as relevant to its recipients' business roles (see
    /// [`SendContext::business_relevant`]).
    pub fn with_business_relevance(mut self, relevant: bool) -> Self {
        self.business_relevant = relevant;
        self
    }

    /// Send undetermined messages as this (see [`UndeterminedAs`]).
    pub fn with_undetermined_as(mut self, treat_as: UndeterminedAs) -> Self {
        self.undetermined_as = treat_as;
        self
    }

    /// Whether a message of `class` is sent under the rules for promotional
    /// mail in this context.
    pub fn treats_as_promotional(&self, class: MessageClass) -> bool {
        match class {
            MessageClass::Promotional => true,
            MessageClass::Transactional(_) => false,
            MessageClass::Undetermined => self.undetermined_as == UndeterminedAs::Promotional,
        }
    }

    /// Allow (or not) promotional mail on weak evidence.
    pub fn with_weak_evidence_allowed(mut self, allow: bool) -> Self {
        self.allow_weak_evidence = allow;
        self
    }

    /// The organisation's stance on regimes that need no prior consent.
    pub fn with_stance(mut self, stance: OrgStance) -> Self {
        self.stance = stance;
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
    /// The sender's name in the body (CASL s. 6(2)(a); ePrivacy Art.
    /// 13(4); PECR reg. 23(a)).
    SenderIdentification,
    /// The sender's mailing address and a telephone number, email address
    /// or web address in the body (CASL s. 6(2)(b); SOR/2012-36 s. 2).
    ContactInformation,
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
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SendOutcome {
    /// Send, once the message meets every requirement.
    Send {
        /// What the message must carry.
        requirements: Vec<Requirement>,
    },
    /// Do not send.
    Suppress,
}

impl fmt::Display for SendOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendOutcome::Send { .. } => "send",
            SendOutcome::Suppress => "suppress",
        })
    }
}

/// A send decision: [`SendOutcome`] with its reasons (most severe first).
pub type SendDecision = Decision<SendOutcome>;

impl Decision<SendOutcome> {
    /// Whether the decision is to send.
    pub fn is_send(&self) -> bool {
        matches!(self.outcome(), SendOutcome::Send { .. })
    }

    /// What the message must carry (empty when suppressed).
    pub fn requirements(&self) -> &[Requirement] {
        match self.outcome() {
            SendOutcome::Send { requirements } => requirements,
            SendOutcome::Suppress => &[],
        }
    }
}

/// What the planner needs to know of a permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PermissionSummary {
    /// Whether the basis is an express act (affirmative consent).
    pub express: bool,
    /// Whether the evidence is weak.
    pub weak_evidence: bool,
    /// What kind of basis it is (regimes treat them differently).
    pub kind: PermissionKind,
    /// When it lapses (implied consent), if it does: the planner treats it
    /// as gone from then on, as a replayed state would.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lapses_at: Option<DateTime<Utc>>,
}

/// The kind of a permission's basis, as the regimes see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionKind {
    /// An express act of the person (form opt-in, confirmed double opt-in).
    Express,
    /// The soft opt-in of an existing customer.
    SoftOptIn,
    /// Implied consent by a relationship (a purchase, a contract, a
    /// subscription, an inquiry), until it lapses.
    Implied,
    /// Implied consent by a conspicuously published or disclosed address:
    /// only for messages relevant to the person's business role (CASL s.
    /// 10(9)(b)-(c)).
    ImpliedByAddress,
    /// An imported list with the tenant's attestation: not the person's
    /// demonstrable consent.
    Imported,
}

impl PermissionSummary {
    /// The summary of a permission.
    pub fn of(permission: &Permission) -> Self {
        use crate::consent::Basis;
        PermissionSummary {
            express: permission.basis.is_express(),
            weak_evidence: permission.weak_evidence,
            kind: match permission.basis {
                Basis::ExpressForm | Basis::DoubleOptInConfirmed | Basis::DoubleOptInRequested => {
                    PermissionKind::Express
                }
                Basis::ExistingCustomer => PermissionKind::SoftOptIn,
                Basis::Implied {
                    ground: ImpliedGround::ConspicuousPublication | ImpliedGround::Disclosure,
                    ..
                } => PermissionKind::ImpliedByAddress,
                Basis::Implied { .. } => PermissionKind::Implied,
                Basis::Imported { .. } => PermissionKind::Imported,
            },
            lapses_at: permission.lapses_at,
        }
    }
}

/// Why a send is stopped, one flag each, shared by [`SendContext::decide`]
/// and [`plan`] so both give the same answer. Every match over it is
/// exhaustive: a new cause cannot be silently mislabelled.
#[derive(Debug, Hash, EnumSetType)]
pub(crate) enum Cause {
    KeyMismatch,
    StateOutOfDate,
    HardBounce,
    SoftBounceStreak,
    AccountCancelled,
    Complaint,
    OptedOutTenant,
    OptedOutList,
    NoPermission,
    WeakEvidence,
    CaslNoConsent,
    CaslUndated,
    CaslNotRelevant,
    CaslEvidence,
    EuNoConsent,
    EuEvidence,
    UkNoConsent,
    UkEvidence,
}

/// A set of [`Cause`]s: empty means send.
pub(crate) type Causes = EnumSet<Cause>;

/// The causes that stop transactional mail too.
pub(crate) const BLOCKS_TRANSACTIONAL: Causes = enum_set!(
    Cause::KeyMismatch
        | Cause::StateOutOfDate
        | Cause::HardBounce
        | Cause::SoftBounceStreak
        | Cause::AccountCancelled
);

/// How many distinct rule ids the causes map to.
pub(crate) const RULE_SLOTS: usize = 15;

impl Cause {
    /// The cause of a suppression found for the campaign's key.
    #[inline]
    pub(crate) fn of(kind: SuppressionKind, list_scope: bool) -> Cause {
        match kind {
            SuppressionKind::HardBounce => Cause::HardBounce,
            SuppressionKind::SoftBounceStreak => Cause::SoftBounceStreak,
            SuppressionKind::AccountCancelled => Cause::AccountCancelled,
            SuppressionKind::Complaint => Cause::Complaint,
            SuppressionKind::OptedOut if list_scope => Cause::OptedOutList,
            SuppressionKind::OptedOut => Cause::OptedOutTenant,
        }
    }

    /// The distinct rule of a cause, as a small index (two causes that
    /// share a rule id share a slot, so a recipient counts once per rule).
    pub(crate) fn rule_slot(self) -> usize {
        match self {
            Cause::KeyMismatch => 0,
            Cause::HardBounce | Cause::SoftBounceStreak => 1,
            Cause::AccountCancelled => 2,
            Cause::Complaint => 3,
            Cause::OptedOutTenant | Cause::OptedOutList => 4,
            Cause::NoPermission => 5,
            Cause::WeakEvidence => 6,
            Cause::StateOutOfDate => 7,
            // The three share the CASL consent rule: one slot, one count.
            Cause::CaslNoConsent | Cause::CaslUndated | Cause::CaslNotRelevant => 8,
            Cause::CaslEvidence => 10,
            Cause::EuNoConsent => 11,
            Cause::EuEvidence => 12,
            Cause::UkNoConsent => 13,
            Cause::UkEvidence => 14,
        }
    }

    /// The rule and sentence of one cause.
    pub(crate) fn reason(self) -> Reason {
        let (rule, sentence) = match self {
            Cause::KeyMismatch => (
                ids::SEND_KEY_MISMATCH,
                "the consent state belongs to another tenant or list",
            ),
            Cause::StateOutOfDate => (
                ids::SEND_STATE_OUT_OF_DATE,
                "the consent state was derived at another instant than the decision; replay it at the decision's `now`",
            ),
            Cause::HardBounce => (
                ids::SEND_UNDELIVERABLE,
                "the address hard-bounced and is suppressed globally",
            ),
            Cause::SoftBounceStreak => (
                ids::SEND_UNDELIVERABLE,
                "the address soft-bounced repeatedly and is suppressed globally",
            ),
            Cause::AccountCancelled => (
                ids::SEND_ACCOUNT_CANCELLED,
                "the person's account with this tenant is cancelled",
            ),
            Cause::Complaint => (
                ids::SEND_COMPLAINED,
                "the person complained about this tenant's mail",
            ),
            Cause::OptedOutTenant => (
                ids::SEND_OPTED_OUT,
                "the person opted out of every list of this tenant",
            ),
            Cause::OptedOutList => (ids::SEND_OPTED_OUT, "the person opted out of this list"),
            Cause::NoPermission => (
                ids::SEND_NO_PERMISSION,
                "no permission basis is recorded for promotional mail",
            ),
            Cause::WeakEvidence => (
                ids::SEND_WEAK_EVIDENCE,
                "the permission's evidence is weak (no policy version or no source)",
            ),
            Cause::CaslNoConsent => (
                ids::JUR_CASL_CONSENT_REQUIRED,
                "CASL: a Canadian recipient needs express consent or implied consent that has not lapsed",
            ),
            Cause::CaslUndated => (
                ids::JUR_CASL_CONSENT_REQUIRED,
                "CASL: an existing-customer opt-in carries no purchase date, so it cannot show that implied consent still holds (s. 10(10)(a)); record the purchase as implied consent with its date",
            ),
            Cause::CaslNotRelevant => (
                ids::JUR_CASL_CONSENT_REQUIRED,
                "CASL: consent implied by a published or disclosed address covers only messages relevant to the person's business role, and this campaign is not marked so (s. 10(9)(b)-(c))",
            ),
            Cause::CaslEvidence => (
                ids::JUR_CASL_CONSENT_EVIDENCE,
                "CASL: the sender must prove consent; an imported list's attestation, or evidence without a source or policy version, does not (s. 13)",
            ),
            Cause::EuNoConsent => (
                ids::JUR_EU_PRIOR_CONSENT,
                "GDPR/ePrivacy: an EU recipient needs prior consent or the soft opt-in of an existing customer",
            ),
            Cause::EuEvidence => (
                ids::JUR_EU_CONSENT_EVIDENCE,
                "GDPR: consent must be demonstrable; an imported list's attestation, or evidence without a source or policy version, is not (Art. 7(1))",
            ),
            Cause::UkNoConsent => (
                ids::JUR_UK_PRIOR_CONSENT,
                "PECR: a UK recipient needs prior consent or the soft opt-in of an existing customer (reg. 22)",
            ),
            Cause::UkEvidence => (
                ids::JUR_UK_CONSENT_EVIDENCE,
                "UK GDPR: consent must be demonstrable; an imported list's attestation, or evidence without a source or policy version, is not (Art. 7(1))",
            ),
        };
        Reason::new(rule, sentence)
    }
}

/// The reasons of a set of causes, most severe first.
pub(crate) fn reasons_of(causes: Causes) -> Reasons {
    causes.iter().map(Cause::reason).collect()
}

/// The core both [`SendContext::decide`] and [`plan`] use: which causes
/// stop this send, under the organisation's policy and, when given, the
/// recipient's regime (which only adds causes, except the opt-out model the
/// organisation itself may choose for CAN-SPAM).
#[inline]
pub(crate) fn evaluate(
    class: MessageClass,
    permission: Option<PermissionSummary>,
    suppressed: Causes,
    ctx: &SendContext,
    regime: Option<Regime>,
) -> Causes {
    if !ctx.treats_as_promotional(class) {
        return suppressed & BLOCKS_TRANSACTIONAL;
    }
    evaluate_promotional(permission, suppressed, ctx, regime)
}

/// [`evaluate`] for a message the context treats as promotional (a
/// campaign works that out once, not per recipient).
#[inline]
pub(crate) fn evaluate_promotional(
    permission: Option<PermissionSummary>,
    suppressed: Causes,
    ctx: &SendContext,
    regime: Option<Regime>,
) -> Causes {
    // The common case, decided at once: nothing suppressed, no regime, a
    // strong permission that does not lapse.
    if suppressed.is_empty()
        && regime.is_none()
        && permission.is_some_and(|p| !p.weak_evidence && p.lapses_at.is_none())
    {
        return Causes::empty();
    }
    let mut causes = suppressed;
    // A permission past its lapse (a stale summary) is no permission.
    let permission = permission.filter(|p| p.lapses_at.is_none_or(|at| at > ctx.now));
    // An opt-out or complaint already says why there is no permission;
    // "no permission" is reported only on its own.
    let explained = Cause::Complaint | Cause::OptedOutTenant | Cause::OptedOutList;
    let opt_out_model = regime.is_some_and(|r| r.rules().permission == PermissionModel::OptOut)
        && ctx.stance == OrgStance::OptOutWhereLawful;
    if !opt_out_model {
        match permission {
            None if !causes.is_disjoint(explained) => {}
            None => causes |= Cause::NoPermission,
            Some(p) if p.weak_evidence && !ctx.allow_weak_evidence => {
                causes |= Cause::WeakEvidence;
            }
            Some(_) => {}
        }
    }
    let (no_consent, evidence) = match regime {
        Some(Regime::Casl) => (Cause::CaslNoConsent, Cause::CaslEvidence),
        Some(Regime::EuGdpr) => (Cause::EuNoConsent, Cause::EuEvidence),
        Some(Regime::UkPecr) => (Cause::UkNoConsent, Cause::UkEvidence),
        Some(Regime::CanSpam) | None => return causes,
    };
    let casl = regime == Some(Regime::Casl);
    match permission {
        None if !causes.is_disjoint(explained) => {}
        None => causes |= no_consent,
        Some(p) => {
            // These regimes put the proof of consent on the sender: weak
            // evidence does not carry it, whatever the context allows.
            if p.weak_evidence {
                causes |= evidence;
            }
            match p.kind {
                PermissionKind::Express => {}
                PermissionKind::Imported => causes |= evidence,
                // CASL's implied consent is no consent under GDPR or PECR.
                PermissionKind::Implied | PermissionKind::ImpliedByAddress if !casl => {
                    causes |= no_consent;
                }
                PermissionKind::Implied => {}
                PermissionKind::ImpliedByAddress if !ctx.business_relevant => {
                    causes |= Cause::CaslNotRelevant;
                }
                PermissionKind::ImpliedByAddress => {}
                // An existing customer: the soft opt-in under GDPR and
                // PECR; under CASL, implied consent by a purchase whose date
                // the basis does not record.
                PermissionKind::SoftOptIn if casl => causes |= Cause::CaslUndated,
                PermissionKind::SoftOptIn => {}
            }
        }
    }
    causes
}

pub(crate) fn requirements_for(
    promotional: bool,
    express: bool,
    regimes: impl IntoIterator<Item = Regime>,
) -> Vec<Requirement> {
    if !promotional {
        // CASL s. 6(6) lifts only the consent requirement from receipts,
        // confirmations and account notices: they still identify the
        // sender and carry an unsubscribe (s. 6(1)(b), 6(2)).
        let mut r = Vec::new();
        if regimes.into_iter().any(|x| x == Regime::Casl) {
            r.extend([
                Requirement::SenderIdentification,
                Requirement::ContactInformation,
                Requirement::UnsubscribeLink,
            ]);
        }
        return r;
    }
    let mut r = PROMOTIONAL_REQUIREMENTS.to_vec();
    if !express {
        r.push(Requirement::AdvertisementLabel);
    }
    for regime in regimes {
        for item in regime.rules().content {
            let needed = match item {
                // The ad label is needed only without affirmative consent
                // (15 U.S.C. 7704(a)(5)(B)), decided above.
                ContentItem::AdvertisementLabel | ContentItem::OptOut => None,
                ContentItem::PostalAddress => Some(Requirement::PostalAddress),
                ContentItem::SenderIdentification => Some(Requirement::SenderIdentification),
                ContentItem::ContactInformation => Some(Requirement::ContactInformation),
            };
            if let Some(req) = needed {
                if !r.contains(&req) {
                    r.push(req);
                }
            }
        }
    }
    r
}

fn permitted_reason(
    class: MessageClass,
    promotional: bool,
    permission: Option<&Permission>,
) -> Reason {
    match (class, promotional, permission) {
        (MessageClass::Transactional(cat), _, _) => Reason::new(
            ids::SEND_TRANSACTIONAL_PERMITTED,
            format!("transactional ({cat}) mail to a deliverable address with an open account"),
        ),
        (_, false, _) => Reason::new(
            ids::SEND_TRANSACTIONAL_PERMITTED,
            "sent under the rules for transactional mail: a deliverable address with an open account",
        ),
        (_, true, Some(p)) => Reason::new(
            ids::SEND_PROMOTIONAL_PERMITTED,
            Cow::Owned(format!(
                "permission on a {} basis since {} and no suppression at any scope",
                basis_word(p),
                p.since
            )),
        ),
        (_, true, None) => Reason::new(
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
        Basis::Implied { .. } => "implied consent",
    }
}

/// The suppression causes a state holds for its own key.
pub(crate) fn state_causes(state: &ConsentState) -> Causes {
    let mut causes = Causes::empty();
    for s in state.suppressions() {
        causes |= Cause::of(s.kind, matches!(s.scope, Scope::List(..)));
    }
    if !state.account_open() {
        causes |= Cause::AccountCancelled;
    }
    causes
}

impl SendContext {
    /// Decide whether a classified message may go to the person `state` is
    /// about, for the campaign this context describes.
    ///
    /// Infallible and deterministic. Fails closed: a state for another
    /// tenant or list, or derived at another instant than this context's
    /// `now`, suppresses everything; a missing permission or weak evidence
    /// (unless allowed) suppresses promotional mail; only bounces, a
    /// cancelled account or one of those mismatches stop transactional
    /// mail.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use consentry::classify::{Classifier, Message};
    /// use consentry::eligibility::SendContext;
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
    /// let d = ctx.decide(&state, &ad);
    /// assert!(!d.is_send()); // no permission recorded
    /// assert_eq!(d.rule().as_str(), "eligibility.promotional.no_permission");
    ///
    /// let receipt = classifier.classify(&Message::text("Your receipt", "Thank you for your order #5521. Total charged: $18.00."));
    /// assert!(ctx.decide(&state, &receipt).is_send()); // receipts need no opt-in
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decide(&self, state: &ConsentState, classification: &Classification) -> SendDecision {
        self.decide_for(state, classification, None)
    }

    /// [`decide`](Self::decide) for a recipient in `jurisdiction`: the
    /// organisation's policy and the recipient's [`Regime`] both apply, and
    /// the stricter decides. A regime only adds causes (CASL: express or
    /// unlapsed implied consent, provable; GDPR and PECR: prior consent or
    /// soft opt-in, demonstrable) and content requirements; the one
    /// exception is the organisation's own choice of
    /// [`OrgStance::OptOutWhereLawful`], under which a US recipient may get
    /// promotional mail without prior consent while no opt-out is in force,
    /// labelled as an advertisement. Every reason names the regime's rule.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use consentry::classify::{Classifier, Message};
    /// use consentry::eligibility::SendContext;
    /// use consentry::jurisdiction::{Jurisdiction, OrgStance};
    /// use consentry::{Action, Basis, ConsentEvent, ConsentKey, ConsentState, EmailAddress, EventId, ListId, TenantId};
    ///
    /// let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    /// let key = ConsentKey::new(TenantId::new("acme")?, ListId::new("news")?, EmailAddress::parse("ann@example.com")?);
    /// let imported = ConsentEvent::new(EventId::new("i1")?, now, &key, Action::OptedIn {
    ///     basis: Basis::Imported { attestation: "trade-show list".into() },
    /// });
    /// let state = ConsentState::replay(&key, [&imported], &Default::default(), now);
    /// let ad = Classifier::default().classify(&Message::text("Spring sale", "40% off everything"));
    /// let ctx = SendContext::new(key.tenant.clone(), key.list.clone(), now).with_weak_evidence_allowed(true);
    ///
    /// // The organisation's policy accepts the import; GDPR does not.
    /// assert!(ctx.decide_for(&state, &ad, Some(&Jurisdiction::new("US")?)).is_send());
    /// let de = ctx.decide_for(&state, &ad, Some(&Jurisdiction::new("DE")?));
    /// assert!(!de.is_send());
    /// assert_eq!(de.rule().as_str(), "jurisdiction.eu.consent_evidence");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decide_for(
        &self,
        state: &ConsentState,
        classification: &Classification,
        jurisdiction: Option<&Jurisdiction>,
    ) -> SendDecision {
        let regime = jurisdiction.and_then(Jurisdiction::regime);
        let mut suppressed = state_causes(state);
        if state.key().tenant != self.tenant || state.key().list != self.list {
            suppressed |= Cause::KeyMismatch;
        }
        if state.as_of() != self.now {
            suppressed |= Cause::StateOutOfDate;
        }
        let class = *classification.outcome();
        let promotional = self.treats_as_promotional(class);
        let permission = state.permission();
        let causes = evaluate(
            class,
            permission.map(PermissionSummary::of),
            suppressed,
            self,
            regime,
        );
        let mut decision = match Decision::with_reasons(SendOutcome::Suppress, reasons_of(causes)) {
            Some(mut suppress) => {
                // An opt-out or complaint under a regime: name the regime's
                // rule on objections too.
                let objected = Cause::Complaint | Cause::OptedOutTenant | Cause::OptedOutList;
                if let Some(r) = regime.filter(|_| promotional && !causes.is_disjoint(objected)) {
                    let rules = r.rules();
                    suppress.push_reason(Reason::new(
                        rules.opt_out_rule.clone(),
                        format!("{}: an objection stops commercial mail (by the deadline of its rule at the latest)", rules.name),
                    ));
                }
                suppress
            }
            None => {
                // Affirmative consent, provable: only then may the ad label go
                // (15 U.S.C. 7704(a)(5)(B)).
                let express = permission.is_some_and(|p| p.basis.is_express() && !p.weak_evidence);
                let mut d = Decision::new(
                    SendOutcome::Send {
                        requirements: requirements_for(promotional, express, regime),
                    },
                    permitted_reason(class, promotional, permission),
                );
                if promotional {
                    if let Some(r) = regime {
                        let rules = r.rules();
                        let sentence = if permission.is_none() {
                            format!("{}: no prior consent needed while no opt-out is in force; the organisation chose the opt-out model; labelled as an advertisement", rules.name)
                        } else {
                            format!("{}: the permission held satisfies it; the message must carry what it requires", rules.name)
                        };
                        d.push_reason(Reason::new(rules.permission_rule.clone(), sentence));
                        d.push_reason(Reason::new(
                            rules.content_rule.clone(),
                            format!("{}: required content", rules.name),
                        ));
                    } else if jurisdiction.is_some() {
                        d.push_reason(Reason::new(
                            ids::JUR_NONE,
                            "the recipient's country has no modelled regime: the organisation's policy alone decided",
                        ));
                    }
                }
                d
            }
        };
        if class == MessageClass::Undetermined {
            decision.push_reason(match self.undetermined_as {
                UndeterminedAs::Promotional => Reason::new(
                    ids::SEND_UNDETERMINED_AS_PROMOTIONAL,
                    "the message is neither shown commercial nor shown transactional; this context sends such mail as promotional",
                ),
                UndeterminedAs::Transactional => Reason::new(
                    ids::SEND_UNDETERMINED_AS_TRANSACTIONAL,
                    "the message is neither shown commercial nor shown transactional; this context sends such mail as transactional",
                ),
            });
        }
        decision
    }
}
