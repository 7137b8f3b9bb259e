//! Disclosure rules as data, validated and compiled to bit masks.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::vocabulary::{
    DataCategory, DisclosureRequest, Fact, Purpose, RecipientKind, TransferMechanism, ALL_DATA,
    ALL_PURPOSES, ALL_RECIPIENTS, PERSONAL,
};
use super::DisclosureOutcome;
use crate::catalogue::ids;
use crate::decision::{Decision, Reason, RuleId, Text};

/// What a rule does when it applies: permit or forbid. (A decision's
/// answer is a [`super::DisclosureOutcome`]: permit or deny.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Allow the disclosure.
    Permit,
    /// Forbid it, whatever else permits it.
    Forbid,
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
    pub description: Text,
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
    /// The condition tested directly: the reference the transposed index
    /// is checked against.
    #[cfg(test)]
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

/// Why a disclosure policy could not be loaded.
///
/// A configuration error: fix the policy file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DisclosureLoadError {
    /// The JSON does not parse.
    #[error("the disclosure policy does not parse as JSON")]
    Json(#[source] serde_json::Error),
    /// The TOML does not parse.
    #[cfg(feature = "toml")]
    #[error("the disclosure policy does not parse as TOML")]
    Toml(#[source] toml::de::Error),
    /// The policy parses but is invalid.
    #[error(transparent)]
    Invalid(#[from] DisclosurePolicyError),
}

/// A disclosure policy: rules compiled to bit masks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisclosurePolicy {
    rules: Vec<DisclosureRule>,
    compiled: Vec<Compiled>,
    forbid_mask: u64,
    audit_mask: u64,
    /// The rules transposed: for each value of each dimension, the set of
    /// rules (bit i: rule i) it satisfies, so a decision is a few ANDs.
    index: Box<Transposed>,
}

/// The decision when no rule decides (rare: kept out of `decide`'s body).
#[cold]
#[inline(never)]
fn default_deny() -> Decision<DisclosureOutcome> {
    Decision::new(
        DisclosureOutcome::Deny,
        Reason::new(
            ids::DISCLOSURE_DEFAULT_DENY,
            "no rule permits this disclosure",
        ),
    )
}

/// The compiled conditions turned on their side: one 64-bit rule set per
/// recipient kind, purpose, fact combination and data category.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Transposed {
    by_recipient: [u64; 16],
    by_purpose: [u64; 16],
    by_facts: [u64; 256],
    /// Rules with no "any of these data" condition.
    any_free: u64,
    /// The per-category rule sets combined over every value of each byte
    /// of a data set (low byte, then high byte), so a request's data costs
    /// four loads rather than a loop over its categories.
    data: Box<DataTables>,
}

/// A request's data set, one byte at a time: for each byte value, the
/// rules the categories of that byte satisfy or break (index 0 the low
/// byte, categories 0 to 7; index 1 the high byte, 8 to 15).
#[derive(Clone, Debug, PartialEq, Eq)]
struct DataTables {
    /// Rules whose "any of these data" includes a category of the byte.
    any: [[u64; 256]; 2],
    /// Rules whose "only these data" excludes a category of the byte: a
    /// request with it fails them.
    outside: [[u64; 256]; 2],
}

impl Transposed {
    fn new(compiled: &[Compiled]) -> Self {
        let mut x = Transposed {
            by_recipient: [0; 16],
            by_purpose: [0; 16],
            by_facts: [0; 256],
            any_free: 0,
            data: Box::new(DataTables {
                any: [[0; 256]; 2],
                outside: [[0; 256]; 2],
            }),
        };
        // Per data category first; combined per byte value at the end.
        let (mut by_any, mut outside) = ([0u64; 16], [0u64; 16]);
        for (i, c) in compiled.iter().enumerate() {
            let rule = 1u64 << i;
            let columns = x
                .by_recipient
                .iter_mut()
                .zip(x.by_purpose.iter_mut())
                .zip(by_any.iter_mut().zip(outside.iter_mut()));
            for (b, ((recipient, purpose), (any, outside))) in columns.enumerate() {
                let bit = 1u16 << b;
                if c.recipients & bit != 0 {
                    *recipient |= rule;
                }
                if c.purposes & bit != 0 {
                    *purpose |= rule;
                }
                if c.data_any & bit != 0 {
                    *any |= rule;
                }
                if c.data_within & bit == 0 {
                    *outside |= rule;
                }
            }
            if c.data_any == 0 {
                x.any_free |= rule;
            }
            for (facts, set) in x.by_facts.iter_mut().enumerate() {
                let facts = facts as u8;
                if facts & c.fact_care == c.fact_value {
                    *set |= rule;
                }
            }
        }
        let tables = &mut *x.data;
        for (half, (any, out)) in tables
            .any
            .iter_mut()
            .zip(tables.outside.iter_mut())
            .enumerate()
        {
            for (byte, (any, out)) in any.iter_mut().zip(out.iter_mut()).enumerate() {
                for bit in 0..8 {
                    if byte & (1 << bit) != 0 {
                        let c = half * 8 + bit;
                        *any |= by_any.get(c).copied().unwrap_or(0);
                        *out |= outside.get(c).copied().unwrap_or(0);
                    }
                }
            }
        }
        x
    }

    /// The rules a request satisfies: the same set as testing each
    /// compiled condition (a unit test says so on every request shape).
    #[inline]
    fn matched(&self, recipient: u16, purpose: u16, data: u16, facts: u8) -> u64 {
        let slot = |bits: u16| (bits.trailing_zeros() & 15) as usize;
        let set = self.by_recipient.get(slot(recipient)).copied().unwrap_or(0)
            & self.by_purpose.get(slot(purpose)).copied().unwrap_or(0)
            & self.by_facts.get(usize::from(facts)).copied().unwrap_or(0);
        let [lo, hi] = data.to_le_bytes().map(usize::from);
        let t = &*self.data;
        let byte = |table: &[[u64; 256]; 2]| {
            table.first().and_then(|l| l.get(lo)).copied().unwrap_or(0)
                | table.get(1).and_then(|h| h.get(hi)).copied().unwrap_or(0)
        };
        let any = self.any_free | byte(&t.any);
        set & !byte(&t.outside) & any
    }
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
        let mut seen = BTreeSet::new();
        for r in &rules {
            if !seen.insert(r.id.as_str()) {
                problems.push(DisclosurePolicyProblem::DuplicateId(r.id.to_string()));
            }
        }
        let compiled: Vec<Compiled> = rules.iter().map(|r| r.when.compile()).collect();
        for (r, c) in rules.iter().zip(&compiled) {
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
        let index = Box::new(Transposed::new(&compiled));
        Ok(DisclosurePolicy {
            rules,
            compiled,
            forbid_mask,
            audit_mask,
            index,
        })
    }

    /// Load a policy from JSON (`{"rules": [...]}`).
    ///
    /// # Errors
    ///
    /// A [`DisclosureLoadError`]: the text does not parse (the source names
    /// the unknown field or value), or the policy is invalid (every problem).
    pub fn from_json(text: &str) -> Result<Self, DisclosureLoadError> {
        let file: PolicyFile = serde_json::from_str(text).map_err(DisclosureLoadError::Json)?;
        Ok(Self::new(file.rules)?)
    }

    #[cfg(feature = "toml")]
    /// Load a policy from TOML (`[[rules]]` tables).
    ///
    /// # Errors
    ///
    /// As [`DisclosurePolicy::from_json`].
    pub fn from_toml(text: &str) -> Result<Self, DisclosureLoadError> {
        let file: PolicyFile = toml::from_str(text).map_err(DisclosureLoadError::Toml)?;
        Ok(Self::new(file.rules)?)
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
    /// permit rule applies, else deny (no rule permits it). Infallible and
    /// deterministic. The reasons are the deciding rules (the forbids that
    /// applied for a deny, the permits for a permit, or
    /// `disclosure.default_deny`); the decision requires audit when a
    /// deciding rule is flagged `audit` (legal process). It allocates only
    /// when more than two rules decide at once.
    ///
    /// To decide many requests and explain only some, use
    /// [`DisclosurePolicy::verdict`]: the same answer, reasons written when
    /// asked.
    #[inline]
    pub fn decide(&self, request: &DisclosureRequest) -> Decision<DisclosureOutcome> {
        self.verdict(request).decision()
    }

    /// Decide a request as [`DisclosurePolicy::decide`] does, without
    /// writing the reasons: the verdict holds the outcome, the audit flag,
    /// which rules decided (a 64-bit set) and the transfer mechanism a
    /// permit names, allocates nothing, and
    /// writes the full [`Decision`] on demand
    /// ([`DisclosureVerdict::decision`]), identical to `decide`'s.
    ///
    /// ```
    /// use consentry::disclosure::{
    ///     DataCategory, DataSet, DisclosurePolicy, DisclosureRequest, Purpose, Recipient,
    /// };
    ///
    /// let policy = DisclosurePolicy::default();
    /// let request = DisclosureRequest::new(
    ///     Recipient::OtherThirdParty,
    ///     Purpose::SaleOrRental,
    ///     DataSet::from([DataCategory::Email]),
    /// );
    /// let verdict = policy.verdict(&request);
    /// assert!(!verdict.is_permitted());
    /// assert_eq!(verdict.rules().next().map(|r| r.as_str()), Some("disclosure.never_sell"));
    /// // The explanation, written only when it is shown or logged:
    /// assert_eq!(verdict.decision(), policy.decide(&request));
    /// ```
    #[inline]
    pub fn verdict(&self, request: &DisclosureRequest) -> DisclosureVerdict<'_> {
        let recipient = request.recipient.kind().bit();
        let purpose = request.purpose.bit();
        let data = request.data.0;
        let facts = request.facts();
        let matched = self.index.matched(recipient, purpose, data, facts);
        let forbids = matched & self.forbid_mask;
        let (outcome, deciding) = if forbids != 0 {
            (DisclosureOutcome::Deny, forbids)
        } else if matched != 0 {
            (DisclosureOutcome::Permit, matched)
        } else {
            // No rule at all: the default deny.
            (DisclosureOutcome::Deny, 0)
        };
        // A permitted transfer out of the EU, EEA or Switzerland names its
        // mechanism, for the record of processing.
        let mechanism = if outcome == DisclosureOutcome::Permit
            && facts & Fact::LeavesProtectedRegion.bit() != 0
        {
            request.transfer.as_ref().and_then(|t| t.mechanism)
        } else {
            None
        };
        DisclosureVerdict {
            policy: self,
            outcome,
            deciding,
            mechanism,
            audit: deciding & self.audit_mask != 0,
        }
    }
}

/// A disclosure decision with its reasons not yet written
/// ([`DisclosurePolicy::verdict`]): the outcome, the audit flag and the
/// deciding rules as a bit set. `Copy`, allocation-free, and tied to the
/// policy that made it, which names the rules when
/// [`decision`](DisclosureVerdict::decision) is asked for.
#[derive(Clone, Copy)]
pub struct DisclosureVerdict<'p> {
    policy: &'p DisclosurePolicy,
    outcome: DisclosureOutcome,
    /// The deciding rules (bit i: the policy's rule i); empty for the
    /// default deny.
    deciding: u64,
    /// The transfer mechanism a permitted transfer names.
    mechanism: Option<TransferMechanism>,
    audit: bool,
}

impl<'p> DisclosureVerdict<'p> {
    /// Permit or deny.
    pub fn outcome(&self) -> DisclosureOutcome {
        self.outcome
    }

    /// Whether the disclosure is permitted.
    pub fn is_permitted(&self) -> bool {
        self.outcome == DisclosureOutcome::Permit
    }

    /// Whether a deciding rule is flagged for audit (legal process).
    pub fn requires_audit(&self) -> bool {
        self.audit
    }

    /// The transfer mechanism a permitted transfer out of the EU, EEA or
    /// Switzerland names (the decision's last reason then says so).
    pub fn mechanism(&self) -> Option<TransferMechanism> {
        self.mechanism
    }

    /// The ids of the deciding rules, in policy order (none for the default
    /// deny, whose rule is `disclosure.default_deny`; see
    /// [`decision`](Self::decision)).
    pub fn rules(&self) -> impl Iterator<Item = &'p RuleId> + 'p {
        let rules = &self.policy.rules;
        let mut bits = self.deciding;
        std::iter::from_fn(move || {
            while bits != 0 {
                let i = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if let Some(rule) = rules.get(i) {
                    return Some(&rule.id);
                }
            }
            None
        })
    }

    /// The full decision, reasons written: exactly what
    /// [`DisclosurePolicy::decide`] answers for the same request.
    #[inline]
    pub fn decision(&self) -> Decision<DisclosureOutcome> {
        let rules = &self.policy.rules;
        // The next deciding rule's reason, in policy order.
        let next = |bits: &mut u64| {
            while *bits != 0 {
                let i = bits.trailing_zeros() as usize;
                *bits &= *bits - 1;
                if let Some(rule) = rules.get(i) {
                    return Some(Reason {
                        rule: rule.id.clone(),
                        sentence: rule.description.clone(),
                    });
                }
            }
            None
        };
        // Built in place: the first two reasons (the second may be the
        // mechanism's) go straight into the decision's inline slots, any
        // others are pushed onto it.
        let mut bits = self.deciding;
        let Some(first) = next(&mut bits) else {
            return default_deny();
        };
        let mut mechanism = self
            .mechanism
            .map(|m| Reason::new(ids::DISCLOSURE_TRANSFER_MECHANISM, m.sentence()));
        let second = match next(&mut bits) {
            Some(r) => Some(r),
            None => mechanism.take(),
        };
        let mut decision = Decision::with_first_two(self.outcome, first, second);
        while let Some(r) = next(&mut bits) {
            decision.push_reason(r);
        }
        if let Some(m) = mechanism {
            decision.push_reason(m);
        }
        // Set in place: `with_audit` takes and returns the decision, one
        // more move of it, which measured 0.4 ns slower.
        decision.set_audit(self.audit);
        decision
    }
}

impl fmt::Debug for DisclosureVerdict<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DisclosureVerdict")
            .field("outcome", &self.outcome)
            .field("rules", &self.rules().collect::<Vec<_>>())
            .field("mechanism", &self.mechanism)
            .field("audit", &self.audit)
            .finish()
    }
}

#[cfg(test)]
mod transposed_tests {
    use super::*;

    /// The transposed index picks exactly the rules that testing each
    /// compiled condition picks, on 300,000 request shapes.
    #[test]
    fn the_index_matches_the_conditions() {
        let policy = DisclosurePolicy::default();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..300_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let recipient = 1u16 << (x % 16);
            let purpose = 1u16 << ((x >> 8) % 16);
            let data = (x >> 16) as u16;
            let facts = (x >> 32) as u8;
            let direct = policy
                .compiled
                .iter()
                .enumerate()
                .filter(|(_, c)| c.matches(recipient, purpose, data, facts))
                .fold(0u64, |a, (i, _)| a | 1 << i);
            assert_eq!(
                policy.index.matched(recipient, purpose, data, facts),
                direct
            );
        }
    }

    /// `decide` as it was written before verdicts (reasons built in place
    /// from the matched rules), kept as the reference the verdict's
    /// decision must equal.
    fn decide_reference(
        policy: &DisclosurePolicy,
        request: &DisclosureRequest,
    ) -> Decision<DisclosureOutcome> {
        let facts = request.facts();
        let matched = policy.index.matched(
            request.recipient.kind().bit(),
            request.purpose.bit(),
            request.data.0,
            facts,
        );
        let forbids = matched & policy.forbid_mask;
        let (outcome, deciding) = if forbids != 0 {
            (DisclosureOutcome::Deny, forbids)
        } else if matched != 0 {
            (DisclosureOutcome::Permit, matched)
        } else {
            return default_deny();
        };
        let reasons: Vec<Reason> = (0..64)
            .filter(|i| deciding & (1u64 << i) != 0)
            .map(|i| Reason {
                rule: policy.rules[i].id.clone(),
                sentence: policy.rules[i].description.clone(),
            })
            .collect();
        let mut decision = Decision::new(outcome, reasons[0].clone());
        for r in reasons.into_iter().skip(1) {
            decision.push_reason(r);
        }
        if outcome == DisclosureOutcome::Permit && facts & Fact::LeavesProtectedRegion.bit() != 0 {
            if let Some(m) = request.transfer.as_ref().and_then(|t| t.mechanism) {
                decision.push_reason(Reason::new(
                    ids::DISCLOSURE_TRANSFER_MECHANISM,
                    m.sentence(),
                ));
            }
        }
        decision.set_audit(deciding & policy.audit_mask != 0);
        decision
    }

    /// The verdict's decision (and so `decide`) equals the reference on
    /// every recipient, purpose, legal process and transfer, with random
    /// data sets, under the default policy and random subsets of its rules.
    #[test]
    fn the_verdict_decides_as_the_reference_does() {
        use super::super::vocabulary::{LegalProcess, Recipient, SubjectRegion, Transfer};
        let recipients = [
            Recipient::Employee,
            Recipient::ServiceProvider {
                forbids_own_use: true,
                requires_confidentiality: true,
            },
            Recipient::ServiceProvider {
                forbids_own_use: false,
                requires_confidentiality: true,
            },
            Recipient::PaymentProcessor,
            Recipient::ReferralPartner {
                introduced_customer: true,
            },
            Recipient::ReferralPartner {
                introduced_customer: false,
            },
            Recipient::Court,
            Recipient::Regulator,
            Recipient::LawEnforcement,
            Recipient::AdPartner,
            Recipient::OtherThirdParty,
            Recipient::PublicForum,
        ];
        let transfers = [
            None,
            Some(("US", SubjectRegion::EuEea, None)),
            Some((
                "US",
                SubjectRegion::EuEea,
                Some(TransferMechanism::StandardContractualClauses),
            )),
            Some((
                "CH",
                SubjectRegion::Switzerland,
                Some(TransferMechanism::Adequacy),
            )),
            Some(("IN", SubjectRegion::Other, None)),
        ];
        let mut x: u64 = 0x0123_4567_89AB_CDEF;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut policies = vec![DisclosurePolicy::default()];
        for _ in 0..20 {
            let keep = next();
            let rules: Vec<DisclosureRule> = super::super::default_rules()
                .into_iter()
                .enumerate()
                .filter(|(i, _)| keep & (1 << i) != 0)
                .map(|(_, r)| r)
                .collect();
            policies.extend(DisclosurePolicy::new(rules));
        }
        let mut checked = 0;
        for policy in &policies {
            for recipient in recipients {
                for purpose in Purpose::ALL {
                    for legal in [None, Some(LegalProcess::CourtOrder)] {
                        for transfer in &transfers {
                            let bits = next();
                            let data = DataCategory::ALL
                                .into_iter()
                                .enumerate()
                                .filter(|(i, _)| bits & (1 << i) != 0)
                                .map(|(_, c)| c)
                                .collect();
                            let mut request = DisclosureRequest::new(recipient, purpose, data);
                            request.legal_process = legal;
                            request.transfer = transfer.map(|(c, s, m)| Transfer {
                                recipient_country: c.into(),
                                subject_region: s,
                                mechanism: m,
                            });
                            let want = decide_reference(policy, &request);
                            let verdict = policy.verdict(&request);
                            assert_eq!(verdict.decision(), want, "{request:?}");
                            assert_eq!(verdict.outcome(), *want.outcome());
                            assert_eq!(verdict.requires_audit(), want.requires_audit());
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 10_000);
    }

    /// The same on arbitrary rule sets (up to 64 rules, any masks), not
    /// just the default policy's.
    #[test]
    fn the_index_matches_arbitrary_conditions() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..200 {
            let n = (next() % 64) as usize + 1;
            let compiled: Vec<Compiled> = (0..n)
                .map(|_| {
                    let care = next() as u8;
                    Compiled {
                        recipients: next() as u16,
                        purposes: next() as u16,
                        data_any: if next() % 3 == 0 { 0 } else { next() as u16 },
                        data_within: next() as u16 | next() as u16,
                        fact_care: care,
                        fact_value: next() as u8 & care,
                    }
                })
                .collect();
            let index = Transposed::new(&compiled);
            for _ in 0..500 {
                let recipient = 1u16 << (next() % 16);
                let purpose = 1u16 << (next() % 16);
                let data = next() as u16;
                let facts = next() as u8;
                let direct = compiled
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.matches(recipient, purpose, data, facts))
                    .fold(0u64, |a, (i, _)| a | 1 << i);
                assert_eq!(index.matched(recipient, purpose, data, facts), direct);
            }
        }
    }
}
