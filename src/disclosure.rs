//! Disclosure: may we hand this data to this recipient, for this purpose?
//!
//! A [`DisclosurePolicy`] is data: rules with stable ids, an effect (permit
//! or forbid) and conditions over the recipient, the purpose, the data
//! categories, legal process, contract terms and cross-border transfer.
//! Evaluation is forbid-overrides with a default of deny, and every
//! decision names the rules that made it. Policies load from JSON or TOML
//! and are validated on load (unknown names, unreachable rules, duplicate
//! ids); rules are compiled to bit masks so a decision costs tens of
//! nanoseconds.
//!
//! [`DisclosurePolicy::default`] encodes the privacy statement: never sell,
//! rent or share personal data for a third party's own marketing; contracted
//! service providers get what the service needs; the partner who introduced
//! a customer gets limited account facts; legal process is permitted and
//! flagged for audit; ad partners get anonymous data only; payment card data
//! goes to the payment processor alone; credentials go to nobody; personal
//! data of people in the EU, EEA or Switzerland leaves only under a recorded
//! transfer mechanism.
//!
//! ```
//! use consentry::disclosure::{
//!     DataCategory, DataSet, DisclosurePolicy, DisclosureRequest, Effect, Purpose, Recipient,
//! };
//!
//! let policy = DisclosurePolicy::default();
//! let list_buyer = DisclosureRequest::new(
//!     Recipient::OtherThirdParty,
//!     Purpose::SaleOrRental,
//!     DataSet::from([DataCategory::Email, DataCategory::Name]),
//! );
//! let d = policy.decide(&list_buyer);
//! assert_eq!(d.effect, Effect::Deny);
//! assert_eq!(d.rules().next().map(|(id, _)| id.as_str()), Some("disclosure.never_sell"));
//! ```

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::address::EmailAddress;
use crate::decision::{ids, RuleId};

/// Who would receive the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Recipient {
    /// An employee or agent of the company, for business purposes only.
    Employee,
    /// A service provider, with the terms of its contract.
    ServiceProvider {
        /// The contract forbids the provider to use the data for itself.
        forbids_own_use: bool,
        /// The contract requires confidentiality.
        requires_confidentiality: bool,
    },
    /// The payment processor.
    PaymentProcessor,
    /// A referral partner.
    ReferralPartner {
        /// Whether this partner introduced the customer concerned.
        introduced_customer: bool,
    },
    /// A court.
    Court,
    /// A regulator.
    Regulator,
    /// Law enforcement.
    LawEnforcement,
    /// An advertising partner.
    AdPartner,
    /// Any other third party.
    OtherThirdParty,
    /// A public forum (publication).
    PublicForum,
}

/// The kinds of recipient, as policies name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientKind {
    /// [`Recipient::Employee`].
    Employee,
    /// [`Recipient::ServiceProvider`].
    ServiceProvider,
    /// [`Recipient::PaymentProcessor`].
    PaymentProcessor,
    /// [`Recipient::ReferralPartner`].
    ReferralPartner,
    /// [`Recipient::Court`].
    Court,
    /// [`Recipient::Regulator`].
    Regulator,
    /// [`Recipient::LawEnforcement`].
    LawEnforcement,
    /// [`Recipient::AdPartner`].
    AdPartner,
    /// [`Recipient::OtherThirdParty`].
    OtherThirdParty,
    /// [`Recipient::PublicForum`].
    PublicForum,
}

impl RecipientKind {
    /// Every kind.
    pub const ALL: [RecipientKind; 10] = [
        RecipientKind::Employee,
        RecipientKind::ServiceProvider,
        RecipientKind::PaymentProcessor,
        RecipientKind::ReferralPartner,
        RecipientKind::Court,
        RecipientKind::Regulator,
        RecipientKind::LawEnforcement,
        RecipientKind::AdPartner,
        RecipientKind::OtherThirdParty,
        RecipientKind::PublicForum,
    ];
    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl Recipient {
    /// The recipient's kind.
    pub fn kind(&self) -> RecipientKind {
        match self {
            Recipient::Employee => RecipientKind::Employee,
            Recipient::ServiceProvider { .. } => RecipientKind::ServiceProvider,
            Recipient::PaymentProcessor => RecipientKind::PaymentProcessor,
            Recipient::ReferralPartner { .. } => RecipientKind::ReferralPartner,
            Recipient::Court => RecipientKind::Court,
            Recipient::Regulator => RecipientKind::Regulator,
            Recipient::LawEnforcement => RecipientKind::LawEnforcement,
            Recipient::AdPartner => RecipientKind::AdPartner,
            Recipient::OtherThirdParty => RecipientKind::OtherThirdParty,
            Recipient::PublicForum => RecipientKind::PublicForum,
        }
    }
}

/// Why the data would be handed over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Providing the service the customer signed up for.
    ProvideService,
    /// Customer support.
    CustomerSupport,
    /// Taking a payment.
    Payment,
    /// Attributing a referral to the partner who made it.
    ReferralAttribution,
    /// Measuring advertising.
    AdMeasurement,
    /// The recipient's own marketing.
    RecipientOwnMarketing,
    /// Selling or renting the data.
    SaleOrRental,
    /// Complying with the law (legal process).
    LegalCompliance,
}

impl Purpose {
    /// Every purpose.
    pub const ALL: [Purpose; 8] = [
        Purpose::ProvideService,
        Purpose::CustomerSupport,
        Purpose::Payment,
        Purpose::ReferralAttribution,
        Purpose::AdMeasurement,
        Purpose::RecipientOwnMarketing,
        Purpose::SaleOrRental,
        Purpose::LegalCompliance,
    ];
    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A category of data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataCategory {
    /// A person's name.
    Name,
    /// An email address.
    Email,
    /// A postal address.
    PostalAddress,
    /// A phone number.
    Phone,
    /// Payment card data.
    PaymentCard,
    /// Account credentials (passwords, API keys).
    AccountCredentials,
    /// Usage logs: IP address, browser, pages visited.
    UsageLogs,
    /// A cookie identifier.
    CookieId,
    /// Anonymous, aggregate, non-personal data.
    AnonymousAggregate,
    /// Contact lists a customer uploaded (other people's data).
    UploadedContacts,
}

impl DataCategory {
    /// Every category.
    pub const ALL: [DataCategory; 10] = [
        DataCategory::Name,
        DataCategory::Email,
        DataCategory::PostalAddress,
        DataCategory::Phone,
        DataCategory::PaymentCard,
        DataCategory::AccountCredentials,
        DataCategory::UsageLogs,
        DataCategory::CookieId,
        DataCategory::AnonymousAggregate,
        DataCategory::UploadedContacts,
    ];
    fn bit(self) -> u16 {
        1 << (self as u16)
    }
    /// Whether the category is personal data (everything but anonymous
    /// aggregates).
    pub fn is_personal(self) -> bool {
        self != DataCategory::AnonymousAggregate
    }
}

/// A set of data categories (a bit set; serde as a list of names).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DataSet(u16);

impl DataSet {
    /// The empty set.
    pub const EMPTY: DataSet = DataSet(0);

    /// Whether the set holds a category.
    pub fn contains(self, c: DataCategory) -> bool {
        self.0 & c.bit() != 0
    }
    /// The set with a category added.
    pub fn with(self, c: DataCategory) -> Self {
        DataSet(self.0 | c.bit())
    }
    /// Whether the set holds any personal category.
    pub fn has_personal(self) -> bool {
        self.0 & PERSONAL != 0
    }
    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The categories, in order.
    pub fn iter(self) -> impl Iterator<Item = DataCategory> {
        DataCategory::ALL
            .into_iter()
            .filter(move |c| self.contains(*c))
    }
}

const PERSONAL: u16 = !(1 << (DataCategory::AnonymousAggregate as u16)) & ALL_DATA;
const ALL_DATA: u16 = (1 << 10) - 1;
const ALL_RECIPIENTS: u16 = (1 << 10) - 1;
const ALL_PURPOSES: u16 = (1 << 8) - 1;

impl<const N: usize> From<[DataCategory; N]> for DataSet {
    fn from(cats: [DataCategory; N]) -> Self {
        cats.into_iter().collect()
    }
}

impl FromIterator<DataCategory> for DataSet {
    fn from_iter<I: IntoIterator<Item = DataCategory>>(iter: I) -> Self {
        DataSet(iter.into_iter().fold(0, |a, c| a | c.bit()))
    }
}

impl fmt::Debug for DataSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for DataSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for DataSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let cats: Vec<DataCategory> = Vec::deserialize(d)?;
        Ok(cats.into_iter().collect())
    }
}

/// The kind of legal process behind a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalProcess {
    /// A court order.
    CourtOrder,
    /// A subpoena.
    Subpoena,
    /// A search warrant.
    SearchWarrant,
    /// A law-enforcement request.
    LawEnforcementRequest,
    /// A regulator's request.
    RegulatorRequest,
}

/// Where the data subject lives, for transfer rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectRegion {
    /// The European Union or the European Economic Area.
    EuEea,
    /// Switzerland.
    Switzerland,
    /// Anywhere else.
    Other,
}

/// A recorded legal mechanism for a transfer out of the EU, EEA or
/// Switzerland.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferMechanism {
    /// An adequacy decision for the recipient's country (GDPR Art. 45).
    Adequacy,
    /// The recipient is certified under the EU-U.S. Data Privacy Framework
    /// (and its Swiss extension), the successor of the Safe Harbor
    /// framework.
    DataPrivacyFramework,
    /// Standard contractual clauses (GDPR Art. 46(2)(c)).
    StandardContractualClauses,
}

/// A cross-border transfer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Transfer {
    /// The recipient's country, ISO 3166-1 alpha-2 (`US`, `DE`).
    pub recipient_country: String,
    /// Where the data subject lives.
    pub subject_region: SubjectRegion,
    /// The recorded mechanism, if any.
    #[serde(default)]
    pub mechanism: Option<TransferMechanism>,
}

/// The EU and EEA member states and Switzerland (ISO 3166-1 alpha-2; Greece
/// also as `EL`).
const EEA_AND_CH: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "EL", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO", "CH",
];

impl Transfer {
    /// Whether the transfer takes the personal data of someone in the EU,
    /// EEA or Switzerland to a recipient outside them.
    pub fn leaves_protected_region(&self) -> bool {
        let protected = matches!(
            self.subject_region,
            SubjectRegion::EuEea | SubjectRegion::Switzerland
        );
        let inside = EEA_AND_CH
            .iter()
            .any(|c| c.eq_ignore_ascii_case(self.recipient_country.trim()));
        protected && !inside
    }
}

/// A request to disclose data.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DisclosureRequest {
    /// Who would receive it.
    pub recipient: Recipient,
    /// Why.
    pub purpose: Purpose,
    /// Which categories of data.
    pub data: DataSet,
    /// The legal process behind it, if any.
    #[serde(default)]
    pub legal_process: Option<LegalProcess>,
    /// The transfer abroad, if any.
    #[serde(default)]
    pub transfer: Option<Transfer>,
}

impl DisclosureRequest {
    /// A request with no legal process and no transfer.
    pub fn new(recipient: Recipient, purpose: Purpose, data: DataSet) -> Self {
        DisclosureRequest {
            recipient,
            purpose,
            data,
            legal_process: None,
            transfer: None,
        }
    }

    /// The same request under legal process.
    pub fn with_legal_process(mut self, process: LegalProcess) -> Self {
        self.legal_process = Some(process);
        self
    }

    /// The same request with a transfer abroad.
    pub fn with_transfer(mut self, transfer: Transfer) -> Self {
        self.transfer = Some(transfer);
        self
    }

    fn facts(&self) -> u8 {
        let mut f = 0u8;
        if self.legal_process.is_some() {
            f |= Fact::LegalProcess.bit();
        }
        match self.recipient {
            Recipient::ServiceProvider {
                forbids_own_use,
                requires_confidentiality,
            } => {
                if forbids_own_use {
                    f |= Fact::ForbidsOwnUse.bit();
                }
                if requires_confidentiality {
                    f |= Fact::RequiresConfidentiality.bit();
                }
            }
            Recipient::ReferralPartner {
                introduced_customer: true,
            } => f |= Fact::IntroducedCustomer.bit(),
            _ => {}
        }
        if let Some(t) = &self.transfer {
            if t.leaves_protected_region() {
                f |= Fact::LeavesProtectedRegion.bit();
            }
            if t.mechanism.is_some() {
                f |= Fact::HasTransferMechanism.bit();
            }
        }
        f
    }
}

#[derive(Clone, Copy)]
enum Fact {
    LegalProcess,
    ForbidsOwnUse,
    RequiresConfidentiality,
    IntroducedCustomer,
    LeavesProtectedRegion,
    HasTransferMechanism,
}

impl Fact {
    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Permit or forbid (for rules), permit or deny (for decisions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Allow the disclosure.
    Permit,
    /// Forbid it (for rules; a decision says [`Effect::Deny`]).
    Forbid,
    /// The decision: do not disclose.
    Deny,
}

/// When a rule applies. Every condition given must hold; a condition left
/// out holds always.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Condition {
    /// The recipient is one of these.
    pub recipients: Option<BTreeSet<RecipientKind>>,
    /// The recipient is none of these.
    pub recipients_except: Option<BTreeSet<RecipientKind>>,
    /// The purpose is one of these.
    pub purposes: Option<BTreeSet<Purpose>>,
    /// The data includes at least one of these.
    pub data_any: Option<BTreeSet<DataCategory>>,
    /// The data includes at least one personal category.
    pub data_any_personal: Option<bool>,
    /// The data is within these (nothing else).
    pub data_within: Option<BTreeSet<DataCategory>>,
    /// There is (or is not) legal process.
    pub legal_process: Option<bool>,
    /// The service contract forbids (or not) own use.
    pub contract_forbids_own_use: Option<bool>,
    /// The service contract requires (or not) confidentiality.
    pub contract_requires_confidentiality: Option<bool>,
    /// The referral partner introduced (or not) the customer.
    pub introduced_customer: Option<bool>,
    /// The transfer leaves (or not) the EU, EEA or Switzerland.
    pub leaves_protected_region: Option<bool>,
    /// A transfer mechanism is (or is not) recorded.
    pub transfer_mechanism: Option<bool>,
}

/// One rule of a disclosure policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureRule {
    /// A stable id, cited in decisions.
    pub id: RuleId,
    /// Permit or forbid.
    pub effect: Effect,
    /// The sentence decisions show.
    pub description: String,
    /// Whether a decision this rule takes part in must be logged for audit.
    #[serde(default)]
    pub audit: bool,
    /// When it applies.
    #[serde(default)]
    pub when: Condition,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Compiled {
    recipients: u16,
    purposes: u16,
    data_any: u16,
    data_within: u16,
    fact_care: u8,
    fact_value: u8,
}

impl Compiled {
    #[inline]
    fn matches(&self, recipient: u16, purpose: u16, data: u16, facts: u8) -> bool {
        self.recipients & recipient != 0
            && self.purposes & purpose != 0
            && (self.data_any == 0 || data & self.data_any != 0)
            && data & !self.data_within == 0
            && facts & self.fact_care == self.fact_value
    }
}

fn mask<T: Copy>(set: &Option<BTreeSet<T>>, all: u16, bit: impl Fn(T) -> u16) -> u16 {
    set.as_ref()
        .map_or(all, |s| s.iter().fold(0, |a, x| a | bit(*x)))
}

impl Condition {
    fn compile(&self) -> Compiled {
        let mut recipients = mask(&self.recipients, ALL_RECIPIENTS, RecipientKind::bit);
        if let Some(except) = &self.recipients_except {
            recipients &= !except.iter().fold(0, |a, r| a | r.bit());
        }
        let mut data_any = self
            .data_any
            .as_ref()
            .map_or(0, |s| s.iter().fold(0, |a, c| a | c.bit()));
        if self.data_any_personal == Some(true) {
            data_any = if data_any == 0 {
                PERSONAL
            } else {
                data_any & PERSONAL
            };
        }
        let mut care = 0u8;
        let mut value = 0u8;
        let mut fact = |cond: Option<bool>, f: Fact| {
            if let Some(v) = cond {
                care |= f.bit();
                if v {
                    value |= f.bit();
                }
            }
        };
        fact(self.legal_process, Fact::LegalProcess);
        fact(self.contract_forbids_own_use, Fact::ForbidsOwnUse);
        fact(
            self.contract_requires_confidentiality,
            Fact::RequiresConfidentiality,
        );
        fact(self.introduced_customer, Fact::IntroducedCustomer);
        fact(self.leaves_protected_region, Fact::LeavesProtectedRegion);
        fact(self.transfer_mechanism, Fact::HasTransferMechanism);
        let mut data_within = mask(&self.data_within, ALL_DATA, DataCategory::bit);
        if self.data_any_personal == Some(false) {
            data_within &= !PERSONAL;
        }
        Compiled {
            recipients,
            purposes: mask(&self.purposes, ALL_PURPOSES, Purpose::bit),
            data_any,
            data_within,
            fact_care: care,
            fact_value: value,
        }
    }
}

/// Most rules a policy may hold (decisions keep their matched rules as a
/// 64-bit set, so deciding allocates nothing).
pub const MAX_RULES: usize = 64;

/// A problem found when a policy is loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DisclosurePolicyProblem {
    /// The text does not parse (this includes unknown names: an unknown
    /// recipient, purpose or field is named in the message).
    #[error("the policy does not parse: {0}")]
    Parse(String),
    /// Two rules share an id.
    #[error("rule id `{0}` is used twice")]
    DuplicateId(String),
    /// A rule that can never apply.
    #[error("rule `{id}` can never apply: {why}")]
    Unreachable {
        /// The rule.
        id: String,
        /// Why.
        why: String,
    },
    /// More than 64 rules.
    #[error("the policy has {0} rules; at most 64 are supported")]
    TooManyRules(usize),
}

/// Every problem of a policy, found in one pass.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the disclosure policy is invalid: {}", .problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
pub struct DisclosurePolicyError {
    /// The problems.
    pub problems: Vec<DisclosurePolicyProblem>,
}

/// A disclosure policy: rules compiled to bit masks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisclosurePolicy {
    rules: Vec<DisclosureRule>,
    compiled: Vec<Compiled>,
    forbid_mask: u64,
    audit_mask: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    rules: Vec<DisclosureRule>,
}

impl Serialize for DisclosurePolicy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            rules: &'a [DisclosureRule],
        }
        Out { rules: &self.rules }.serialize(s)
    }
}

impl<'de> Deserialize<'de> for DisclosurePolicy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let file = PolicyFile::deserialize(d)?;
        DisclosurePolicy::new(file.rules).map_err(serde::de::Error::custom)
    }
}

fn unreachable_reason(c: &Compiled) -> Option<&'static str> {
    if c.recipients == 0 {
        return Some("no recipient can match");
    }
    if c.purposes == 0 {
        return Some("no purpose can match");
    }
    if c.data_within == 0 {
        return Some("no data can match");
    }
    if c.data_any != 0 && c.data_any & c.data_within == 0 {
        return Some("the data must include a category it may not include");
    }
    let needs = |f: Fact| c.fact_care & f.bit() != 0 && c.fact_value & f.bit() != 0;
    let sp = RecipientKind::ServiceProvider.bit();
    if (needs(Fact::ForbidsOwnUse) || needs(Fact::RequiresConfidentiality))
        && c.recipients & sp == 0
    {
        return Some("contract terms are required but the recipient cannot be a service provider");
    }
    if needs(Fact::IntroducedCustomer) && c.recipients & RecipientKind::ReferralPartner.bit() == 0 {
        return Some(
            "an introducing partner is required but the recipient cannot be a referral partner",
        );
    }
    None
}

/// Whether every request the permit `p` matches is also matched by the
/// forbid `f` (so `p` can never decide). Sound, not complete.
fn shadows(f: &Compiled, p: &Compiled) -> bool {
    let recipients = p.recipients & !f.recipients == 0;
    let purposes = p.purposes & !f.purposes == 0;
    let facts = f.fact_care & !p.fact_care == 0 && (p.fact_value & f.fact_care) == f.fact_value;
    let within = p.data_within & !f.data_within == 0;
    // Every data set p accepts must meet f.data_any.
    let any = f.data_any == 0
        || (p.data_any != 0 && p.data_any & !f.data_any == 0)
        || p.data_within & !f.data_any == 0 && p.data_any != 0;
    recipients && purposes && facts && within && any
}

impl DisclosurePolicy {
    /// A policy from rules, validated and compiled.
    ///
    /// # Errors
    ///
    /// A [`DisclosurePolicyError`] listing every problem: duplicate ids,
    /// unreachable rules (a condition no request can meet, or a permit that
    /// a forbid always overrides), more than 64 rules.
    pub fn new(rules: Vec<DisclosureRule>) -> Result<Self, DisclosurePolicyError> {
        let mut problems = Vec::new();
        if rules.len() > MAX_RULES {
            problems.push(DisclosurePolicyProblem::TooManyRules(rules.len()));
        }
        let mut ids = BTreeSet::new();
        for r in &rules {
            if !ids.insert(r.id.as_str()) {
                problems.push(DisclosurePolicyProblem::DuplicateId(r.id.to_string()));
            }
        }
        let compiled: Vec<Compiled> = rules.iter().map(|r| r.when.compile()).collect();
        for (r, c) in rules.iter().zip(&compiled) {
            if r.effect == Effect::Deny {
                problems.push(DisclosurePolicyProblem::Unreachable {
                    id: r.id.to_string(),
                    why: "a rule's effect is `permit` or `forbid`; `deny` is for decisions".into(),
                });
                continue;
            }
            if let Some(why) = unreachable_reason(c) {
                problems.push(DisclosurePolicyProblem::Unreachable {
                    id: r.id.to_string(),
                    why: why.into(),
                });
                continue;
            }
            if r.effect == Effect::Permit {
                if let Some((f, _)) = rules
                    .iter()
                    .zip(&compiled)
                    .find(|(f, fc)| f.effect == Effect::Forbid && shadows(fc, c))
                {
                    problems.push(DisclosurePolicyProblem::Unreachable {
                        id: r.id.to_string(),
                        why: format!("forbid rule `{}` overrides it for every request", f.id),
                    });
                }
            }
        }
        if !problems.is_empty() {
            return Err(DisclosurePolicyError { problems });
        }
        let mut forbid_mask = 0u64;
        let mut audit_mask = 0u64;
        for (i, r) in rules.iter().enumerate() {
            if r.effect == Effect::Forbid {
                forbid_mask |= 1 << i;
            }
            if r.audit {
                audit_mask |= 1 << i;
            }
        }
        Ok(DisclosurePolicy {
            rules,
            compiled,
            forbid_mask,
            audit_mask,
        })
    }

    /// Load a policy from JSON (`{"rules": [...]}`).
    ///
    /// # Errors
    ///
    /// A [`DisclosurePolicyError`]; a parse error names the unknown field or
    /// value.
    pub fn from_json(text: &str) -> Result<Self, DisclosurePolicyError> {
        let file: PolicyFile = serde_json::from_str(text).map_err(|e| DisclosurePolicyError {
            problems: vec![DisclosurePolicyProblem::Parse(e.to_string())],
        })?;
        Self::new(file.rules)
    }

    #[cfg(feature = "toml")]
    /// Load a policy from TOML (`[[rules]]` tables).
    ///
    /// # Errors
    ///
    /// As [`DisclosurePolicy::from_json`].
    pub fn from_toml(text: &str) -> Result<Self, DisclosurePolicyError> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| DisclosurePolicyError {
            problems: vec![DisclosurePolicyProblem::Parse(e.to_string())],
        })?;
        Self::new(file.rules)
    }

    #[cfg(feature = "toml")]
    /// The policy as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string(&PolicyFile {
            rules: self.rules.clone(),
        })
        .unwrap_or_default()
    }

    /// The rules.
    pub fn rules(&self) -> &[DisclosureRule] {
        &self.rules
    }

    /// Decide a request: deny if any forbid rule applies, else permit if any
    /// permit rule applies, else deny (no rule permits it). Infallible,
    /// deterministic, allocation-free.
    #[inline]
    pub fn decide(&self, request: &DisclosureRequest) -> DisclosureDecision<'_> {
        let recipient = request.recipient.kind().bit();
        let purpose = request.purpose.bit();
        let data = request.data.0;
        let facts = request.facts();
        let mut matched = 0u64;
        for (i, c) in self.compiled.iter().enumerate() {
            if c.matches(recipient, purpose, data, facts) {
                matched |= 1 << i;
            }
        }
        let forbids = matched & self.forbid_mask;
        let (effect, deciding) = if forbids != 0 {
            (Effect::Deny, forbids)
        } else if matched != 0 {
            (Effect::Permit, matched)
        } else {
            (Effect::Deny, 0)
        };
        let transfer = request.transfer.as_ref().and_then(|t| {
            t.leaves_protected_region().then_some(
                t.mechanism
                    .map_or(TransferNote::Missing, TransferNote::Under),
            )
        });
        DisclosureDecision {
            effect,
            audit: deciding & self.audit_mask != 0,
            transfer,
            deciding,
            policy: self,
        }
    }
}

/// What a decision says of a transfer out of the EU, EEA or Switzerland.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferNote {
    /// Under this recorded mechanism.
    Under(TransferMechanism),
    /// No mechanism is recorded.
    Missing,
}

/// The rule id of the default deny (no rule permits the request).
pub const DEFAULT_DENY: RuleId = ids::DISCLOSURE_DEFAULT_DENY;
static DEFAULT_DENY_RULE: RuleId = DEFAULT_DENY;

/// A decision with the rules that made it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DisclosureDecision<'p> {
    /// Permit or deny.
    pub effect: Effect,
    /// Whether the decision must be logged for audit (legal process).
    pub audit: bool,
    /// The transfer mechanism, or its absence, for a transfer out of the
    /// EU, EEA or Switzerland.
    pub transfer: Option<TransferNote>,
    deciding: u64,
    policy: &'p DisclosurePolicy,
}

impl<'p> DisclosureDecision<'p> {
    /// Whether the disclosure is permitted.
    pub fn is_permitted(&self) -> bool {
        self.effect == Effect::Permit
    }

    /// The deciding rules, id and sentence: the forbids that applied for a
    /// deny, the permits that applied for a permit, or the default deny.
    pub fn rules(&self) -> impl Iterator<Item = (&'p RuleId, &'p str)> + '_ {
        let policy = self.policy;
        let deciding = self.deciding;
        let default =
            (deciding == 0).then_some((&DEFAULT_DENY_RULE, "no rule permits this disclosure"));
        policy
            .rules
            .iter()
            .enumerate()
            .filter(move |(i, _)| deciding & (1 << i) != 0)
            .map(|(_, r)| (&r.id, r.description.as_str()))
            .chain(default)
    }

    /// The deciding rule ids, owned (for a log record).
    pub fn rule_ids(&self) -> Vec<RuleId> {
        self.rules().map(|(id, _)| id.clone()).collect()
    }

    /// A log record of this decision about a person, for the audit trail
    /// and subject access.
    pub fn record(
        &self,
        subject: &EmailAddress,
        request: &DisclosureRequest,
        at: DateTime<Utc>,
    ) -> DisclosureRecord {
        DisclosureRecord {
            subject: subject.clone(),
            at,
            request: request.clone(),
            effect: self.effect,
            rules: self.rule_ids(),
            audit: self.audit,
        }
    }
}

impl fmt::Debug for DisclosureDecision<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DisclosureDecision")
            .field("effect", &self.effect)
            .field("audit", &self.audit)
            .field("transfer", &self.transfer)
            .field("rules", &self.rules().map(|(id, _)| id).collect::<Vec<_>>())
            .finish()
    }
}

impl Serialize for DisclosureDecision<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Rule<'a> {
            id: &'a RuleId,
            sentence: &'a str,
        }
        #[derive(Serialize)]
        struct Out<'a> {
            effect: Effect,
            audit: bool,
            transfer: Option<TransferNote>,
            rules: Vec<Rule<'a>>,
        }
        Out {
            effect: self.effect,
            audit: self.audit,
            transfer: self.transfer,
            rules: self
                .rules()
                .map(|(id, sentence)| Rule { id, sentence })
                .collect(),
        }
        .serialize(s)
    }
}

/// A logged disclosure decision about one person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisclosureRecord {
    /// Whose data.
    pub subject: EmailAddress,
    /// When.
    pub at: DateTime<Utc>,
    /// What was asked.
    pub request: DisclosureRequest,
    /// What was decided.
    pub effect: Effect,
    /// The deciding rules.
    pub rules: Vec<RuleId>,
    /// Whether it was flagged for audit.
    pub audit: bool,
}

fn rule(
    id: RuleId,
    effect: Effect,
    description: &str,
    audit: bool,
    when: Condition,
) -> DisclosureRule {
    DisclosureRule {
        id,
        effect,
        description: description.to_owned(),
        audit,
        when,
    }
}

fn set<T: Ord, const N: usize>(items: [T; N]) -> Option<BTreeSet<T>> {
    Some(BTreeSet::from(items))
}

/// The rules of [`DisclosurePolicy::default`], as data.
pub fn default_rules() -> Vec<DisclosureRule> {
    use DataCategory as D;
    use Purpose as P;
    use RecipientKind as R;
    vec![
        rule(
            ids::DISCLOSURE_NEVER_SELL,
            Effect::Forbid,
            "personal data is never sold, rented or shared for a third party's own promotional use",
            false,
            Condition {
                purposes: set([P::SaleOrRental, P::RecipientOwnMarketing]),
                data_any_personal: Some(true),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_CARD_PROCESSOR_ONLY,
            Effect::Forbid,
            "payment card data goes to the payment processor alone",
            false,
            Condition {
                recipients_except: set([R::PaymentProcessor]),
                data_any: set([D::PaymentCard]),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_CREDENTIALS,
            Effect::Forbid,
            "account credentials go to nobody",
            false,
            Condition {
                data_any: set([D::AccountCredentials]),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_AD_ANONYMOUS_ONLY,
            Effect::Forbid,
            "ad partners get anonymous, non-personal data only",
            false,
            Condition {
                recipients: set([R::AdPartner]),
                data_any_personal: Some(true),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_REFERRAL_LIMITED,
            Effect::Forbid,
            "a referral partner never gets payment data, credentials, usage logs or uploaded contacts",
            false,
            Condition {
                recipients: set([R::ReferralPartner]),
                data_any: set([D::PaymentCard, D::AccountCredentials, D::UsageLogs, D::UploadedContacts]),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_TRANSFER_MECHANISM,
            Effect::Forbid,
            "personal data of people in the EU, EEA or Switzerland leaves them only under a recorded transfer mechanism",
            false,
            Condition {
                leaves_protected_region: Some(true),
                transfer_mechanism: Some(false),
                data_any_personal: Some(true),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_SERVICE_PROVIDER,
            Effect::Permit,
            "a contracted service provider whose contract forbids own use and requires confidentiality gets what the service needs",
            false,
            Condition {
                recipients: set([R::ServiceProvider]),
                purposes: set([P::ProvideService, P::CustomerSupport, P::Payment]),
                contract_forbids_own_use: Some(true),
                contract_requires_confidentiality: Some(true),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_PAYMENT_PROCESSOR,
            Effect::Permit,
            "the payment processor gets what a payment needs",
            false,
            Condition {
                recipients: set([R::PaymentProcessor]),
                purposes: set([P::Payment]),
                data_within: set([D::Name, D::Email, D::PostalAddress, D::Phone, D::PaymentCard]),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_REFERRAL_PARTNER,
            Effect::Permit,
            "the partner who introduced a customer gets limited account facts for attribution",
            false,
            Condition {
                recipients: set([R::ReferralPartner]),
                purposes: set([P::ReferralAttribution]),
                introduced_customer: Some(true),
                data_within: set([D::Name, D::Email, D::AnonymousAggregate]),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_LEGAL_PROCESS,
            Effect::Permit,
            "disclosure under legal process (court order, subpoena, search warrant, law-enforcement or regulator request) is permitted and logged for audit",
            true,
            Condition {
                recipients: set([R::Court, R::Regulator, R::LawEnforcement]),
                purposes: set([P::LegalCompliance]),
                legal_process: Some(true),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_AD_AGGREGATE,
            Effect::Permit,
            "ad partners may get anonymous aggregate data to measure advertising",
            false,
            Condition {
                recipients: set([R::AdPartner]),
                purposes: set([P::AdMeasurement]),
                data_within: set([D::AnonymousAggregate]),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_EMPLOYEE,
            Effect::Permit,
            "employees and agents see data for business purposes only",
            false,
            Condition {
                recipients: set([R::Employee]),
                purposes: set([P::ProvideService, P::CustomerSupport, P::Payment, P::LegalCompliance]),
                ..Condition::default()
            },
        ),
    ]
}

impl Default for DisclosurePolicy {
    /// The privacy statement's rules ([`default_rules`]).
    #[allow(clippy::expect_used)] // constant rules, tested to validate
    fn default() -> Self {
        DisclosurePolicy::new(default_rules()).expect("the default disclosure rules validate")
    }
}

/// Whether a collection point may ask for the given data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionDecision {
    /// Allowed or not.
    pub allowed: bool,
    /// The rule.
    pub rule: RuleId,
    /// Why.
    pub sentence: String,
}

/// The rule id of [`check_collection_point`].
pub const COLLECTION_HTTPS: RuleId = ids::DISCLOSURE_COLLECTION_HTTPS;

/// Check that a form asking for payment card data or credentials is served
/// and posted over https, as the statement promises encrypted transmission
/// of sensitive account information.
pub fn check_collection_point(form: &Url, fields: DataSet) -> CollectionDecision {
    let sensitive = fields.contains(DataCategory::PaymentCard)
        || fields.contains(DataCategory::AccountCredentials);
    let https = form.scheme() == "https";
    let allowed = !sensitive || https;
    CollectionDecision {
        allowed,
        rule: COLLECTION_HTTPS,
        sentence: if allowed {
            "the collection point may ask for these fields".to_owned()
        } else {
            format!(
                "`{}` asks for payment card data or credentials over {}, not https",
                form.as_str(),
                form.scheme()
            )
        },
    }
}
