//! The one shape of every answer: [`Decision`], with its [`Reason`]s and
//! their [`RuleId`]s.
//!
//! Every family of questions consentry answers (may this message go out,
//! may this cookie be set, may this data be disclosed, when must this
//! opt-out take effect, ...) answers with a [`Decision<O>`]: an outcome `O`
//! that is an exhaustive enum of that family, the reasons that produced it
//! (first the deciding one), and an audit flag for the families that have
//! one (disclosure under legal process). Each family has one verb, `decide`,
//! on the value that holds its rules; the classifier's verb is `classify`
//! and it answers in the same shape.
//!
//! A rule id is a stable, dotted string (`consent.opt_out.beats_opt_in`)
//! that hosts may log, index and show to an auditor; the sentence beside it
//! is for people and may be reworded between releases. Rule ids never change
//! meaning: a rule that changes gets a new id, and the CHANGELOG says so.
//! [`crate::catalogue`] lists every rule id with the source it comes from.
//!
//! Decisions own their data: rule ids and fixed sentences are `&'static str`
//! or shared [`Text`], so cloning a reason never allocates, and the hot
//! paths (disclosure, campaign planning) build decisions without touching
//! the heap.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

/// Immutable text that clones without allocating: a `&'static str` or a
/// shared, reference-counted string. Rule ids and reason sentences are made
/// of it. It is two words wide, so a [`Reason`] is four and a decision
/// with two reasons fits in 80 bytes.
#[derive(Clone)]
pub struct Text(Repr);

/// Two words: the shared text is a thin pointer (`Arc<String>`, not
/// `Arc<str>`), so it fits beside the static string's non-null pointer and
/// the enum needs no separate tag (24 bytes with `Arc<str>`; a decision's
/// reasons are copied on every decision, so the width shows in the
/// disclosure bench).
#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Shared(Arc<String>),
}

impl Text {
    /// Text from a static string; usable in `const` items.
    pub const fn from_static(text: &'static str) -> Self {
        Text(Repr::Static(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            Repr::Shared(s) => s.as_str(),
        }
    }

    /// The text as a `&'static str` when it was built from one.
    pub const fn as_static(&self) -> Option<&'static str> {
        match &self.0 {
            Repr::Static(s) => Some(s),
            Repr::Shared(_) => None,
        }
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&'static str> for Text {
    fn from(s: &'static str) -> Self {
        Text(Repr::Static(s))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(Repr::Shared(Arc::new(s)))
    }
}

impl From<Arc<String>> for Text {
    /// Shares the text without copying it.
    fn from(s: Arc<String>) -> Self {
        Text(Repr::Shared(s))
    }
}

impl From<Arc<str>> for Text {
    /// Copies the text once (clones of the result then share it).
    fn from(s: Arc<str>) -> Self {
        Text(Repr::Shared(Arc::new(String::from(&*s))))
    }
}

impl From<Cow<'static, str>> for Text {
    fn from(s: Cow<'static, str>) -> Self {
        match s {
            Cow::Borrowed(b) => Text(Repr::Static(b)),
            Cow::Owned(o) => o.into(),
        }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Text::from)
    }
}

/// A stable identifier of one rule, such as `consent.opt_out.beats_opt_in`.
///
/// The crate's own ids are constants (see [`crate::catalogue::ids`]); hosts
/// that load their own policies mint their own with [`RuleId::new`].
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RuleId(Text);

impl RuleId {
    /// A rule id from a static string; usable in `const` items.
    pub const fn from_static(id: &'static str) -> Self {
        RuleId(Text::from_static(id))
    }

    /// A rule id from any string (for host-defined rules). Clones of it
    /// share one allocation.
    pub fn new(id: impl Into<String>) -> Self {
        RuleId(Text::from(id.into()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The id as a `&'static str` when it was built from one (every id of
    /// the crate's own catalogue); `None` for a host-minted id.
    pub const fn as_static(&self) -> Option<&'static str> {
        self.0.as_static()
    }
}

impl std::borrow::Borrow<str> for RuleId {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for RuleId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RuleId({})", self.as_str())
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of an explanation: the rule that applied and a sentence saying
/// what it did in this case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// The stable rule id; match on this, not on the sentence.
    pub rule: RuleId,
    /// A human sentence for logs and audit reports.
    pub sentence: Text,
}

impl Reason {
    /// A reason from a rule and a sentence (a `&'static str` costs no
    /// allocation).
    pub fn new(rule: RuleId, sentence: impl Into<Text>) -> Self {
        Reason {
            rule,
            sentence: sentence.into(),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.rule, self.sentence)
    }
}

/// The reasons of a decision: up to two are held inline, without a heap
/// allocation.
pub type Reasons = SmallVec<[Reason; 2]>;

/// The answer to one question: an outcome, the reasons that produced it
/// (the deciding one first) and whether it must go to the audit log.
///
/// `O` is the family's outcome, an exhaustive enum (or value) such as
/// [`crate::eligibility::SendOutcome`] or
/// [`crate::disclosure::DisclosureOutcome`]: a new outcome is a breaking
/// change that hosts' builds must notice. A decision always has at least
/// one reason; deserialising one without reasons fails.
///
/// ```
/// use consentry::catalogue::ids;
/// use consentry::decision::{Decision, Reason};
///
/// #[derive(Debug, PartialEq)]
/// enum Door { Open, Shut }
///
/// let d = Decision::new(Door::Shut, Reason::new(ids::DISCLOSURE_DEFAULT_DENY, "nothing permits it"));
/// assert_eq!(d.outcome(), &Door::Shut);
/// assert_eq!(d.rule().as_str(), "disclosure.default_deny");
/// assert!(!d.requires_audit());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Decision<O> {
    outcome: O,
    reasons: Reasons,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    audit: bool,
}

static NO_REASON: RuleId = RuleId::from_static("decision.no_reason");

impl<O> Decision<O> {
    /// A decision with its deciding reason.
    pub fn new(outcome: O, reason: Reason) -> Self {
        let mut reasons = Reasons::new();
        reasons.push(reason);
        Decision {
            outcome,
            reasons,
            audit: false,
        }
    }

    /// A decision with its deciding reason and, when there is one, a
    /// second: both written straight into the inline slots (no length
    /// checks of two pushes).
    #[inline]
    pub(crate) fn with_first_two(outcome: O, first: Reason, second: Option<Reason>) -> Self {
        let (second, len) = match second {
            Some(r) => (r, 2),
            // Past the length: never read, never dropped (static text,
            // so nothing leaks).
            None => (
                Reason {
                    rule: NO_REASON.clone(),
                    sentence: Text::from_static(""),
                },
                1,
            ),
        };
        Decision {
            outcome,
            reasons: Reasons::from_buf_and_len([first, second], len),
            audit: false,
        }
    }

    /// A decision with several reasons, the deciding one first; `None` when
    /// `reasons` is empty (a decision always explains itself).
    pub fn with_reasons(outcome: O, reasons: impl IntoIterator<Item = Reason>) -> Option<Self> {
        let reasons: Reasons = reasons.into_iter().collect();
        (!reasons.is_empty()).then_some(Decision {
            outcome,
            reasons,
            audit: false,
        })
    }

    /// Mark (or unmark) the decision for the audit log, in place.
    pub(crate) fn set_audit(&mut self, audit: bool) {
        self.audit = audit;
    }

    /// The outcome.
    pub fn outcome(&self) -> &O {
        &self.outcome
    }

    /// The outcome, giving up the reasons.
    pub fn into_outcome(self) -> O {
        self.outcome
    }

    /// The outcome and the reasons.
    pub fn into_parts(self) -> (O, Reasons) {
        (self.outcome, self.reasons)
    }

    /// Every reason, the deciding one first.
    pub fn reasons(&self) -> &[Reason] {
        &self.reasons
    }

    /// The deciding rule (the first reason's).
    pub fn rule(&self) -> &RuleId {
        self.reasons.first().map_or(&NO_REASON, |r| &r.rule)
    }

    /// Whether any reason cites `rule`.
    pub fn has_rule(&self, rule: &str) -> bool {
        self.reasons.iter().any(|r| r.rule.as_str() == rule)
    }

    /// Whether the decision must be written to the audit log (disclosure
    /// under legal process).
    pub fn requires_audit(&self) -> bool {
        self.audit
    }

    /// The same decision, flagged (or not) for the audit log.
    pub fn with_audit(mut self, audit: bool) -> Self {
        self.audit = audit;
        self
    }

    /// Add a reason after the others.
    pub fn push_reason(&mut self, reason: Reason) {
        self.reasons.push(reason);
    }

    /// Put a reason first: it becomes the deciding one.
    pub fn lead_with(&mut self, reason: Reason) {
        self.reasons.insert(0, reason);
    }

    /// The same reasons over another outcome.
    pub fn map<P>(self, f: impl FnOnce(O) -> P) -> Decision<P> {
        Decision {
            outcome: f(self.outcome),
            reasons: self.reasons,
            audit: self.audit,
        }
    }
}

impl<O: fmt::Display> fmt::Display for Decision<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.outcome)?;
        for r in &self.reasons {
            write!(f, "; {r}")?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDecision<O> {
    outcome: O,
    reasons: Vec<Reason>,
    #[serde(default)]
    audit: bool,
}

impl<'de, O: Deserialize<'de>> Deserialize<'de> for Decision<O> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawDecision::<O>::deserialize(deserializer)?;
        Decision::with_reasons(raw.outcome, raw.reasons)
            .map(|d| d.with_audit(raw.audit))
            .ok_or_else(|| serde::de::Error::custom("a decision needs at least one reason"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_id_round_trips_through_serde_as_a_plain_string() {
        let json = serde_json::to_string(&crate::catalogue::ids::HARD_BOUNCE).unwrap();
        assert_eq!(json, "\"consent.bounce.hard\"");
        let back: RuleId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, crate::catalogue::ids::HARD_BOUNCE);
    }

    /// The widths the hot paths rely on: a decision's reasons are copied
    /// with it, and two fit inline.
    #[test]
    fn text_is_two_words_and_a_reason_four() {
        use std::mem::size_of;
        assert_eq!(size_of::<Text>(), 2 * size_of::<usize>());
        assert_eq!(size_of::<Reason>(), 4 * size_of::<usize>());
        // Two reasons inline and a length; a decision with a one-byte
        // outcome and the audit flag beside them.
        assert_eq!(size_of::<Reasons>(), 9 * size_of::<usize>());
        assert_eq!(
            size_of::<Decision<crate::disclosure::DisclosureOutcome>>(),
            10 * size_of::<usize>()
        );
    }

    #[test]
    fn shared_text_reads_back_whatever_it_was_made_from() {
        let from_string = Text::from(String::from("a rule a host wrote"));
        let from_arc = Text::from(Arc::<str>::from("a rule a host wrote"));
        let from_static = Text::from_static("a rule a host wrote");
        assert_eq!(from_string, from_static);
        assert_eq!(from_arc.as_str(), "a rule a host wrote");
        assert_eq!(from_arc.as_static(), None);
        assert_eq!(from_static.as_static(), Some("a rule a host wrote"));
        let clone = from_string.clone();
        assert_eq!(clone.as_str(), from_string.as_str());
        assert!(
            matches!((&clone.0, &from_string.0), (Repr::Shared(a), Repr::Shared(b)) if Arc::ptr_eq(a, b))
        );
    }
}
