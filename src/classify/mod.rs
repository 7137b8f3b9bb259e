//! CAN-SPAM primary-purpose classification (16 CFR 316.3).
//!
//! A [`Classifier`] splits a [`Message`]'s subject and body into commercial
//! cues and transactional or relationship cues (the five categories of
//! 15 U.S.C. 7702(17)(A)) with a [`Lexicon`] of regexes compiled once, then
//! applies the primary-purpose test:
//!
//! - only commercial content: promotional;
//! - only transactional content: transactional, with its category;
//! - both: promotional when the subject line would make a recipient think
//!   the message is an advertisement, or when the transactional content is
//!   not at the beginning of the body; otherwise transactional;
//! - no cue at all: promotional (fail closed).
//!
//! A sender declaring a message transactional never downgrades a
//! promotional finding; the mismatch is itself a reason.
//!
//! ```
//! use consentry::classify::{Classifier, DeclaredKind, Message, MessageClass, TransactionalCategory};
//!
//! let classifier = Classifier::default();
//! let receipt = Message::text(
//!     "Your order #1042",
//!     "Thank you for your order. Order total: $31.00. Ships Monday.\n\
//!      P.S. Use coupon SPRING for 10% off your next order.",
//! );
//! let c = classifier.classify(&receipt);
//! assert_eq!(c.outcome(), &MessageClass::Transactional(TransactionalCategory::Transaction));
//!
//! let same_with_ad_subject = Message::text(
//!     "20% off everything + your receipt",
//!     "Thank you for your order. Order total: $31.00.\nUse coupon SPRING for 10% off.",
//! );
//! let c = classifier.classify(&same_with_ad_subject);
//! assert_eq!(c.outcome(), &MessageClass::Promotional);
//! assert_eq!(c.rule().as_str(), "canspam.primary_purpose.subject_line");
//! ```

mod html;
mod lexicon;

use std::fmt;

use regex::CaptureLocations;
use serde::{Deserialize, Serialize};

pub use html::{html_to_text, HtmlText, Link};
pub use lexicon::{Lexicon, LexiconError};

use crate::catalogue::ids;
use crate::decision::{Decision, Reason};
use crate::message::OutboundMessage;
use lexicon::Group;

/// The statutory categories of transactional or relationship messages,
/// 15 U.S.C. 7702(17)(A)(i)-(v).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionalCategory {
    /// (i) Facilitate, complete or confirm a commercial transaction the
    /// recipient agreed to.
    Transaction,
    /// (ii) Warranty, product recall, safety or security information about a
    /// product or service the recipient uses or bought.
    WarrantyRecallSafetySecurity,
    /// (iii) Notice of a change in terms or features of, or of the
    /// recipient's standing or balance in, a subscription, membership,
    /// account, loan or comparable ongoing relationship (statements).
    AccountNotice,
    /// (iv) Information about an employment relationship or related benefit
    /// plan.
    Employment,
    /// (v) Delivery of goods or services, including product updates or
    /// upgrades, the recipient is entitled to under an agreed transaction.
    Delivery,
}

impl TransactionalCategory {
    /// The category's stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionalCategory::Transaction => "transaction",
            TransactionalCategory::WarrantyRecallSafetySecurity => {
                "warranty_recall_safety_security"
            }
            TransactionalCategory::AccountNotice => "account_notice",
            TransactionalCategory::Employment => "employment",
            TransactionalCategory::Delivery => "delivery",
        }
    }
}

impl fmt::Display for TransactionalCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of the primary-purpose test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "category", rename_all = "snake_case")]
pub enum MessageClass {
    /// A transactional or relationship message of this category.
    Transactional(TransactionalCategory),
    /// A commercial (promotional) message.
    Promotional,
}

impl fmt::Display for MessageClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageClass::Transactional(c) => write!(f, "transactional ({c})"),
            MessageClass::Promotional => f.write_str("promotional"),
        }
    }
}

impl MessageClass {
    /// Whether the message is promotional.
    pub fn is_promotional(self) -> bool {
        self == MessageClass::Promotional
    }
}

/// What the sender says the message is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclaredKind {
    /// The sender says nothing.
    #[default]
    Unspecified,
    /// The sender says it is transactional (never trusted over the content).
    Transactional,
    /// The sender says it is promotional (always honoured).
    Promotional,
}

/// A message body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "content", rename_all = "snake_case")]
pub enum Body {
    /// Plain text.
    Text(String),
    /// HTML; tags are stripped before matching and the text kept in order.
    Html(String),
}

/// A message to classify.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The subject line.
    pub subject: String,
    /// The body.
    pub body: Body,
    /// What the sender declares.
    #[serde(default)]
    pub declared: DeclaredKind,
}

impl Message {
    /// A plain-text message with nothing declared.
    pub fn text(subject: impl Into<String>, body: impl Into<String>) -> Self {
        Message {
            subject: subject.into(),
            body: Body::Text(body.into()),
            declared: DeclaredKind::Unspecified,
        }
    }

    /// An HTML message with nothing declared.
    pub fn html(subject: impl Into<String>, body: impl Into<String>) -> Self {
        Message {
            subject: subject.into(),
            body: Body::Html(body.into()),
            declared: DeclaredKind::Unspecified,
        }
    }

    /// The same message with a declared kind.
    pub fn with_declared(mut self, declared: DeclaredKind) -> Self {
        self.declared = declared;
        self
    }

    /// The message an [`OutboundMessage`] shows its recipient: its HTML body
    /// when it has one (what most mail clients render), else its text body.
    pub fn from_outbound(message: &OutboundMessage, declared: DeclaredKind) -> Self {
        let body = match (message.html(), message.text()) {
            (Some(html), _) => Body::Html(html.to_owned()),
            (None, Some(text)) => Body::Text(text.to_owned()),
            (None, None) => Body::Text(String::new()),
        };
        Message {
            subject: message.subject().to_owned(),
            body,
            declared,
        }
    }
}

/// What a cue is evidence of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum CueKind {
    Promotional,
    Transactional(TransactionalCategory),
}

/// The classifier's answer: the [`MessageClass`] with the rules that
/// decided it (first the deciding one) and then one reason per cue found
/// (`canspam.cue.*`, quoting the text that triggered it and where).
pub type Classification = Decision<MessageClass>;

/// One lexicon match, kept for the explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Cue {
    kind: CueKind,
    text: String,
    in_subject: bool,
    offset: usize,
}

impl Cue {
    fn reason(&self) -> Reason {
        let rule = match (self.kind, self.in_subject) {
            (CueKind::Promotional, true) => ids::CUE_COMMERCIAL_SUBJECT,
            (CueKind::Promotional, false) => ids::CUE_COMMERCIAL_BODY,
            (CueKind::Transactional(_), true) => ids::CUE_TRANSACTIONAL_SUBJECT,
            (CueKind::Transactional(_), false) => ids::CUE_TRANSACTIONAL_BODY,
        };
        let what = match self.kind {
            CueKind::Promotional => "commercial".to_owned(),
            CueKind::Transactional(cat) => format!("transactional ({cat})"),
        };
        let place = if self.in_subject { "subject" } else { "body" };
        Reason::new(
            rule,
            format!(
                "{what} cue `{}` in the {place} at byte {}",
                self.text, self.offset
            ),
        )
    }
}

/// Most cues kept in a [`Classification`].
pub const MAX_CUES: usize = 16;
/// The "beginning" of a body: its first third, or its first 500 bytes of
/// text when that is more.
pub const BEGINNING_MIN_BYTES: usize = 500;

/// The primary-purpose classifier. Build it once (it compiles its lexicon)
/// and share it: it is `Send + Sync` and classification takes `&self`.
#[derive(Clone, Debug)]
pub struct Classifier {
    lexicon: Lexicon,
    groups: Vec<Group>,
    /// Capture-group index of each pattern's outer group in `combined`.
    outer: Vec<usize>,
    wrapped: regex::Regex,
}

impl Default for Classifier {
    /// The English default lexicon.
    #[allow(clippy::expect_used)] // a constant lexicon, tested to compile
    fn default() -> Self {
        Classifier::from_lexicon(Lexicon::default()).expect("the default lexicon compiles")
    }
}

#[derive(Default)]
struct Scan {
    first_promo: Option<usize>,
    first_trans: Option<(usize, TransactionalCategory)>,
    cues: Vec<Cue>,
}

impl Classifier {
    /// A classifier over a custom lexicon.
    ///
    /// # Errors
    ///
    /// A [`LexiconError`] naming the first bad pattern.
    pub fn from_lexicon(lexicon: Lexicon) -> Result<Self, LexiconError> {
        let compiled = lexicon.compile()?;
        // One capture group around each pattern, so one pass finds a match
        // and tells which pattern made it.
        let mut outer = Vec::with_capacity(compiled.groups.len());
        let mut next = 1usize;
        let mut parts = Vec::with_capacity(compiled.groups.len());
        for (pattern, captures) in compiled.patterns.iter().zip(&compiled.captures) {
            outer.push(next);
            next += captures;
            parts.push(format!("({pattern})"));
        }
        let wrapped =
            regex::Regex::new(&parts.join("|")).map_err(|e| LexiconError::BadPattern {
                group: "combined".into(),
                pattern: "(all patterns)".into(),
                message: e.to_string(),
            })?;
        Ok(Classifier {
            lexicon,
            groups: compiled.groups,
            outer,
            wrapped,
        })
    }

    /// The lexicon in use.
    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    fn group_for(&self, locs: &CaptureLocations) -> Group {
        for (k, &gi) in self.outer.iter().enumerate() {
            if locs.get(gi).is_some() {
                return self.groups.get(k).copied().unwrap_or(Group::Promotional);
            }
        }
        Group::Promotional
    }

    fn scan(&self, text: &str, in_subject: bool, scan: &mut Scan) {
        let re = &self.wrapped;
        let mut locs = re.capture_locations();
        let mut at = 0usize;
        while at <= text.len() {
            let Some(m) = re.captures_read_at(&mut locs, text, at) else {
                break;
            };
            let group = self.group_for(&locs);
            let kind = match group {
                Group::Promotional => {
                    scan.first_promo.get_or_insert(m.start());
                    CueKind::Promotional
                }
                Group::Transactional(cat) => {
                    scan.first_trans.get_or_insert((m.start(), cat));
                    CueKind::Transactional(cat)
                }
            };
            if scan.cues.len() < MAX_CUES {
                let mut cue_text = m.as_str().to_owned();
                truncate_at_char(&mut cue_text, 80);
                scan.cues.push(Cue {
                    kind,
                    text: cue_text,
                    in_subject,
                    offset: m.start(),
                });
            }
            at = if m.end() > m.start() {
                m.end()
            } else {
                next_char_boundary(text, m.end())
            };
        }
    }

    /// Apply the primary-purpose test to a message. Infallible and
    /// deterministic: the same message always gets the same answer.
    pub fn classify(&self, message: &Message) -> Classification {
        let stripped;
        let body: &str = match &message.body {
            Body::Text(t) => t,
            Body::Html(h) => {
                stripped = html_to_text(h).text;
                &stripped
            }
        };
        let mut subject = Scan::default();
        self.scan(&message.subject, true, &mut subject);
        let mut scan = Scan::default();
        self.scan(body, false, &mut scan);

        let subject_promotional = subject.first_promo.is_some();

        let any_promo = subject_promotional || scan.first_promo.is_some();
        let transactional = scan.first_trans.or(subject.first_trans);
        let beginning = BEGINNING_MIN_BYTES.max(body.len() / 3);

        let cue_text = |s: &Scan, promo: bool| -> String {
            s.cues
                .iter()
                .find(|c| (c.kind == CueKind::Promotional) == promo)
                .map(|c| format!("`{}`", c.text))
                .unwrap_or_default()
        };

        let (class, reason) = match (any_promo, transactional) {
            (false, None) => (
                MessageClass::Promotional,
                Reason::new(
                    ids::CLASSIFY_NO_CUE,
                    "no transactional or commercial cue found; treated as promotional",
                ),
            ),
            (true, None) => (
                MessageClass::Promotional,
                Reason::new(
                    ids::CLASSIFY_COMMERCIAL_ONLY,
                    format!("only commercial content (first cue {})", {
                        let in_subject = cue_text(&subject, true);
                        if in_subject.is_empty() {
                            cue_text(&scan, true)
                        } else {
                            in_subject
                        }
                    }),
                ),
            ),
            (false, Some((_, cat))) => (
                MessageClass::Transactional(cat),
                Reason::new(
                    ids::CLASSIFY_TRANSACTIONAL_ONLY,
                    format!("only transactional content ({cat})"),
                ),
            ),
            (true, Some((_, cat))) => {
                if subject_promotional {
                    (
                        MessageClass::Promotional,
                        Reason::new(
                            ids::CLASSIFY_SUBJECT_LINE,
                            format!(
                                "the subject line reads as an advertisement ({})",
                                cue_text(&subject, true)
                            ),
                        ),
                    )
                } else {
                    let first_trans = scan.first_trans.map(|(p, _)| p);
                    let first_promo = scan.first_promo.unwrap_or(usize::MAX);
                    match first_trans {
                        Some(t) if t < first_promo && t <= beginning => (
                            MessageClass::Transactional(cat),
                            Reason::new(
                                ids::CLASSIFY_TRANSACTIONAL_FIRST,
                                format!(
                                    "transactional content ({cat}) comes first and the subject is neutral; the commercial part ({}) follows it",
                                    cue_text(&scan, true)
                                ),
                            ),
                        ),
                        _ => (
                            MessageClass::Promotional,
                            Reason::new(
                                ids::CLASSIFY_NOT_FIRST,
                                format!(
                                    "commercial content ({}) comes before the transactional content, or the transactional content is not at the beginning of the body",
                                    cue_text(&scan, true)
                                ),
                            ),
                        ),
                    }
                }
            }
        };
        let mut decision = Decision::new(class, reason);
        let class = match (message.declared, class) {
            (DeclaredKind::Transactional, MessageClass::Promotional) => {
                decision.push_reason(Reason::new(
                    ids::CLASSIFY_DECLARED_MISMATCH,
                    "the sender declared this message transactional, but its content is promotional; the declaration is ignored",
                ));
                MessageClass::Promotional
            }
            (DeclaredKind::Promotional, MessageClass::Transactional(_)) => {
                decision.lead_with(Reason::new(
                    ids::CLASSIFY_DECLARED_PROMOTIONAL,
                    "the sender declared this message promotional",
                ));
                MessageClass::Promotional
            }
            (_, class) => class,
        };
        let mut decision = decision.map(|_| class);
        for cue in subject.cues.iter().chain(&scan.cues).take(MAX_CUES) {
            decision.push_reason(cue.reason());
        }
        decision
    }
}

fn truncate_at_char(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
}

fn next_char_boundary(s: &str, i: usize) -> usize {
    let mut j = i + 1;
    while j < s.len() && !s.is_char_boundary(j) {
        j += 1;
    }
    j
}
