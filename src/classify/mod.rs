//! CAN-SPAM primary-purpose classification (16 CFR 316.3).
//!
//! A [`Classifier`] reads a [`Message`] as its recipient would: the visible
//! text of an HTML body ([`html_to_text`]: hidden elements, `<head>`,
//! `<title>`, `<style>`, `<script>` and comments never count), normalised
//! ([`normalize`]: NFKD without diacritics, invisible characters removed,
//! look-alike letters folded, lowercase). It then finds commercial cues and
//! transactional or relationship cues (the five categories of 15 U.S.C.
//! 7702(17)(A)) with [`Lexicon`]s compiled into one multi-pattern matcher —
//! English, French, German and Spanish ship with the crate and run together,
//! whatever the message's language (a lexicon's neutral patterns consume
//! figures that are neither, such as "rose 3.2%", so no cue is read inside
//! them: [`Lexicon::neutral`]) — and applies the primary-purpose test:
//!
//! - only commercial content: promotional
//!   (`canspam.primary_purpose.commercial_only`);
//! - only transactional content: transactional, with its category
//!   (`canspam.primary_purpose.transactional_only`);
//! - both, when every transactional cue is only a reference to the account
//!   (a customer, member or contract number, a reference code, a meter
//!   figure, a payment method: [`Lexicon::transactional_references`]):
//!   promotional (`commercial_only`): quoting the reader's customer number
//!   does not make an advertisement transactional (references also carry no
//!   weight when the two kinds of content are weighed below);
//! - both: promotional when the subject line would make a recipient think
//!   the message is an advertisement (`subject_line`), or when the
//!   transactional content is not at the beginning of the body or the
//!   commercial content after it outweighs it (more commercial cues than
//!   transactional ones among the first matches read, as everywhere)
//!   (`transactional_not_first`); otherwise transactional
//!   (`transactional_first`);
//! - neither: [`MessageClass::Undetermined`] — not an advertisement under
//!   7702(2), but not proven transactional either
//!   (`canspam.primary_purpose.undetermined`).
//!
//! The lexicons know phrases; mail written by other people uses phrases
//! they do not. So an undeclared message gets a second opinion from a
//! [`WordingModel`], in the cases listed below: a linear
//! model of the words of its subject and of the start of its body (and of
//! the subject's word pairs), learnt from the labelled corpus's tuning split and shipped with
//! the crate (`canspam.primary_purpose.wording`, quoting the words that
//! weighed most):
//!
//! - found transactional, but the wording makes that unlikely (probability
//!   of being transactional below [`WORDING_KEEPS_TRANSACTIONAL`]):
//!   promotional, or undetermined, whichever the wording favours;
//! - no cue at all, and the wording clearly promotional or
//!   transactional (at least [`WORDING_DECIDES_UNDETERMINED`]): that class,
//!   with the category the wording favours;
//! - promotional on a commercial hint alone (a price, "new collection": no
//!   commercial cue, `commercial_hints`), and the wording clearly
//!   transactional (at least [`WORDING_OVERRULES_HINT`]) or clearly
//!   neither (at least [`WORDING_DECIDES_UNDETERMINED`]): that class;
//! - promotional by the 316.3 order test although transactional content
//!   comes first (the subject line is neutral, and a transactional cue
//!   within the beginning of the body precedes every commercial one, but
//!   too few of them lead or the commercial cues outnumber them; a
//!   transactional subject line does not count), and the wording clearly transactional
//!   (at least [`WORDING_OVERRULES_ORDER_TEST`]): transactional. The
//!   lexicons name phrases; the wording says whether what comes first is,
//!   in substantial part, the transaction.
//!
//! Before those, where the lexicons found an undeclared message
//! transactional with transactional content in its body (alone, or first
//! with commercial content after it; no commercial cue in the subject), a
//! second model, of subject lines alone ([`SubjectModel`]), says whether
//! the subject reads as an advertisement anyway; from
//! [`SUBJECT_READS_AS_AD`] the message is promotional by the subject-line
//! test. And whatever the lexicons found, the wording model never makes
//! transactional a message whose subject the subject-line model reads as
//! an advertisement ([`Classifier::with_subject_model`]).
//!
//! The wording model is never consulted on a message whose subject line
//! the lexicons read as an advertisement, or whose commercial content comes before any
//! transactional content (on mixed content the 316.3 order test made
//! transactional it may only say promotional or undetermined), nor on a
//! declared one
//! (declarations are judged on the commercial content found in the text),
//! and it keeps quiet on a body of fewer than [`WORDING_MIN_BODY_TOKENS`]
//! words and numbers.
//! On mail from authors they had not seen (the corpus's unseen sets 6 to
//! 16, each held out in turn), the two models took the lexicons as they
//! first were on those sets from 93.3% to 97.8% correct in English and
//! 90.2% to 96.4% in French, German and Spanish, and from 39 to 3 of 932
//! ads classed transactional (`cargo run --release --example
//! wording_model -- cross-validate`; `BENCHMARKS.md`).
//! [`Classifier::with_wording_model`] and
//! [`Classifier::with_subject_model`] replace them or turn them off (both
//! off: the lexicons alone).
//!
//! A sender may declare a message transactional, with its category
//! ([`DeclaredKind::Transactional`] with a [`TransactionalCategory`]): the
//! declaration is honoured when no
//! commercial content is found (`canspam.primary_purpose.declared_transactional`
//! is then the deciding reason; a price alone, with no offer wording around
//! it, is not commercial content), and refused, naming the test that refused
//! it, when commercial content decides (`declared_mismatch`). Every cue found
//! is a reason of its own (`canspam.cue.*`) quoting the text that triggered
//! it.
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
//!
//! // A sign-in link with no lexicon cue at all, declared by the sender:
//! let link = Message::text("Hi", "Tap the button below to continue.")
//!     .with_declared(DeclaredKind::Transactional(TransactionalCategory::WarrantyRecallSafetySecurity));
//! let c = classifier.classify(&link);
//! assert!(c.outcome().is_transactional());
//! assert_eq!(c.rule().as_str(), "canspam.primary_purpose.declared_transactional");
//! ```

mod html;
mod lexicon;
mod matcher;
mod normalize;
mod wording;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use html::{html_to_text, HtmlText, Link};
pub use lexicon::{Lexicon, LexiconError, MAX_GROUP_REPEAT, MAX_REPEAT};
pub use normalize::{is_normal_char, normalize};
pub use wording::{
    SubjectModel, WordingModel, WordingModelError, WordingScore, BODY_TOKENS, HEAD_TOKENS,
    SUBJECT_TOKENS,
};

use crate::catalogue::ids;
use crate::decision::{Decision, Reason, RuleId};
use crate::message::OutboundMessage;
use crate::unicode::{ceil_boundary, floor_boundary};
use lexicon::Group;
use matcher::Matcher;

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

impl TransactionalCategory {
    /// Every category, in statutory order.
    pub const ALL: [TransactionalCategory; 5] = [
        TransactionalCategory::Transaction,
        TransactionalCategory::WarrantyRecallSafetySecurity,
        TransactionalCategory::AccountNotice,
        TransactionalCategory::Employment,
        TransactionalCategory::Delivery,
    ];

    fn index(self) -> usize {
        match self {
            TransactionalCategory::Transaction => 0,
            TransactionalCategory::WarrantyRecallSafetySecurity => 1,
            TransactionalCategory::AccountNotice => 2,
            TransactionalCategory::Employment => 3,
            TransactionalCategory::Delivery => 4,
        }
    }
}

/// The outcome of the primary-purpose test. Deliberately exhaustive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "category", rename_all = "snake_case")]
pub enum MessageClass {
    /// A transactional or relationship message of this category.
    Transactional(TransactionalCategory),
    /// A commercial (promotional) message.
    Promotional,
    /// No commercial content and no transactional category recognised: not
    /// an advertisement, not proven transactional. How it is sent is the
    /// send context's choice
    /// ([`SendContext::undetermined_as`](crate::eligibility::SendContext::undetermined_as)).
    Undetermined,
}

impl fmt::Display for MessageClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageClass::Transactional(c) => write!(f, "transactional ({c})"),
            MessageClass::Promotional => f.write_str("promotional"),
            MessageClass::Undetermined => f.write_str("undetermined"),
        }
    }
}

impl MessageClass {
    /// Whether the message is promotional.
    pub fn is_promotional(self) -> bool {
        self == MessageClass::Promotional
    }

    /// Whether the message is transactional (of any category).
    pub fn is_transactional(self) -> bool {
        matches!(self, MessageClass::Transactional(_))
    }
}

/// What the sender says the message is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "category", rename_all = "snake_case")]
pub enum DeclaredKind {
    /// The sender says nothing.
    #[default]
    Unspecified,
    /// The sender says it is transactional, of this category: honoured when
    /// the content has no commercial part, refused when commercial content
    /// decides.
    Transactional(TransactionalCategory),
    /// The sender says it is promotional (always honoured).
    Promotional,
}

/// A message body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "content", rename_all = "snake_case")]
pub enum Body {
    /// Plain text.
    Text(String),
    /// HTML; only its visible text is read.
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

    /// The subject and body as the classifier reads them: the subject and
    /// the body's visible text ([`html_to_text`] for HTML), each
    /// [`normalize`]d. What [`WordingModel::train`] and
    /// [`WordingModel::score`] take.
    pub fn reader_text(&self) -> (String, String) {
        let body = match &self.body {
            Body::Text(t) => normalize(t),
            Body::Html(h) => normalize(&html_to_text(h).text),
        };
        (normalize(&self.subject), body)
    }
}

/// The classifier's answer: the [`MessageClass`] with the rules that
/// decided it (the deciding one first) and then one reason per cue found
/// (`canspam.cue.*`), quoting the text that triggered it and where.
pub type Classification = Decision<MessageClass>;

/// Most cues kept as reasons in a [`Classification`].
pub const MAX_CUES: usize = 16;
/// The "beginning" of a body: its first third, or its first 500 bytes of
/// normalised text when that is more.
pub const BEGINNING_MIN_BYTES: usize = 500;
/// Most matches examined per text (subject or body), and the search stops
/// there: the class is decided on these first matches (where the first
/// commercial and transactional cues are, how many transactional cues lead,
/// and how many of each kind there are, for the outweighing test), and so
/// is the category vote. A message is decided on how it opens, as the
/// primary-purpose test reads it; a body reread in steps (HTML) gives the
/// same answer because the same first matches are examined.
pub const MAX_EXAMINED: usize = MAX_CUES;
/// Transactional cues (subject included) that must come before the first
/// commercial cue for mixed content to count as transactional first.
pub const MIN_LEADING_CUES: usize = 2;
/// How much visible text of an HTML body is read first (then at least
/// twice as much each step) before checking whether the answer is settled.
const FIRST_HTML_STEP: usize = 4096;

/// Below this probability of being transactional by its wording, a
/// message the lexicons found transactional (and not commercial) is not.
pub const WORDING_KEEPS_TRANSACTIONAL: f32 = 0.3;
/// From this probability by its wording, a message with no lexicon cue is
/// promotional or transactional rather than undetermined.
pub const WORDING_DECIDES_UNDETERMINED: f32 = 0.9;
/// From this probability of being transactional by its wording, a message
/// the lexicons called promotional on a commercial hint alone (a price, no
/// commercial cue) is transactional
/// ([`WordingScore::overrules_hint`]).
pub const WORDING_OVERRULES_HINT: f32 = 0.95;
/// From this probability of being transactional by its wording, a message
/// whose transactional content leads its body, but which the 316.3 order test
/// called promotional (too few transactional cues before the first
/// commercial one, or more commercial cues than transactional ones), is
/// transactional ([`WordingScore::overrules_order_test`]).
pub const WORDING_OVERRULES_ORDER_TEST: f32 = 0.95;
/// From this probability that its subject line sells
/// ([`SubjectModel::sells`]), an undeclared message the lexicons found
/// transactional, with transactional content in its body (alone, or first
/// with commercial content after it; no commercial cue in the subject), is
/// promotional by the subject-line test: a recipient reading the subject
/// would likely conclude the message advertises. And the wording model
/// never makes transactional any message whose subject scores this much.
/// See [`Classifier::with_subject_model`].
pub const SUBJECT_READS_AS_AD: f32 = 0.95;
/// The wording model speaks only on a body of at least this many tokens:
/// a score from a line or two rests on a handful of words (on the corpus's
/// unseen sets, requiring 30 changed one answer, for the better).
pub const WORDING_MIN_BODY_TOKENS: usize = 30;

/// How much visible text to have read after the next step, given what the
/// last step's scan said and how much text (`read`, before normalising)
/// has been read. Always at least twice `read`: each step re-normalises
/// and re-scans what was read, so the steps together cost at most about
/// twice one reading of the whole text, however little of it survives
/// normalisation (zero-width characters, combining marks) and however
/// large one text node is.
fn next_step(early: Early, read: usize) -> usize {
    let doubled = read.max(FIRST_HTML_STEP / 2).saturating_mul(2);
    match early {
        Early::Never => usize::MAX,
        // Enough to see past the last match examined (normalised text is
        // rarely much shorter than the text it came from).
        Early::ReadTo(needed) => needed.saturating_add(needed / 4).max(doubled),
        Early::Settled | Early::ReadMore => doubled,
    }
}
/// Longest cue text quoted in a reason, in bytes.
const MAX_CUE_TEXT: usize = 80;

/// One lexicon match, kept for the explanation.
struct Cue {
    group: Group,
    in_subject: bool,
    offset: usize,
    end: usize,
}

/// Whether the scan of part of an HTML body gives the whole body's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Early {
    /// It does.
    Settled,
    /// Fewer matches than are examined so far: read more.
    ReadMore,
    /// Read until the normalised text is this long.
    ReadTo(usize),
    /// It never will before the end (the test needs the body's length, or
    /// a hint): read everything.
    Never,
}

/// What one pass over a text found.
#[derive(Default)]
struct Scan {
    /// How many matches were examined (at most [`MAX_EXAMINED`]), and where
    /// the last one ended.
    examined: usize,
    last_end: usize,
    cues: Vec<Cue>,
    /// How many transactional cues (account references included), and
    /// where; and how many are content rather than references.
    trans_cues: usize,
    content_cues: usize,
    trans_offsets: Vec<usize>,
    first_promo: Option<usize>,
    first_trans: Option<usize>,
    votes: [u32; 5],
    first_vote: [usize; 5],
}

impl Scan {
    fn has_promo(&self) -> bool {
        self.first_promo.is_some()
    }
    fn has_trans(&self) -> bool {
        self.first_trans.is_some()
    }
}

/// The primary-purpose classifier. Build it once (it compiles its lexicons
/// into one matcher) and share it: it is `Send + Sync` and classification
/// takes `&self`.
///
/// Matching finds exactly the matches of one regex holding every pattern
/// as an alternative (leftmost-first, as the `regex` crate runs it), but
/// it searches only where a pattern can begin (for the shipped lexicons,
/// at a word boundary before a letter or digit, or after a word before
/// `$`, `£`, `€`, `,` or `.`), with one lazy DFA of every pattern searched
/// anchored there, which also names the pattern. On ordinary mail its
/// states are the patterns' prefixes, built once and kept
/// (at most 32 MB per thread that classifies), so a message never seen
/// before costs about what a familiar one does (an unanchored pass of the
/// alternation builds new states for nearly every new text). At most [`MAX_EXAMINED`] matches per
/// text are examined: past that the class cannot change, so the search
/// stops there.
///
/// Every pattern's match is bounded in length (an open repetition such as
/// `[a-z]+` repeats at most [`MAX_REPEAT`] times, a repeated group
/// [`MAX_GROUP_REPEAT`] times). So an HTML body's visible text is read in
/// growing steps, and reading stops as soon as the matches examined are
/// followed by more text than any match can span and the test does not
/// need the body's length: the answer, reasons included, is the one the
/// whole text gives (a property test checks it), and a long newsletter is
/// decided on its first screens.
#[derive(Clone, Debug)]
pub struct Classifier {
    lexicons: Vec<Lexicon>,
    groups: Vec<Option<Group>>,
    /// Every pattern, searched anchored where one can begin.
    matcher: Matcher,
    /// The promotional hints in one alternation (`None` without any).
    hints: Option<regex::Regex>,
    /// The longest match any pattern makes, plus room for the word
    /// boundary after it: text this far past the last examined match
    /// cannot change any match before it.
    margin: usize,
    /// The second opinion on undeclared mail (see the module docs for when
    /// it is asked).
    wording: Option<WordingModel>,
    /// Whether a subject line reads as an advertisement in words no
    /// pattern knows (see [`Classifier::with_subject_model`]).
    subject_model: Option<SubjectModel>,
}

/// What the lexicons found in a body, for the models' second opinion.
#[derive(Clone, Copy, Debug)]
struct BodyFacts {
    /// A transactional cue (not only a reference) within the beginning of
    /// the body, before every commercial one.
    transactional_leads: bool,
    /// A transactional cue (not only a reference) anywhere in the body.
    transactional_content: bool,
}

impl Default for Classifier {
    /// The four shipped lexicons (English, French, German, Spanish).
    #[allow(clippy::expect_used)] // constant lexicons, tested to compile
    fn default() -> Self {
        Lexicon::builtin()
            .and_then(Classifier::from_lexicons)
            .expect("the shipped lexicons compile")
    }
}

impl Classifier {
    /// A classifier over one lexicon.
    ///
    /// # Errors
    ///
    /// A [`LexiconError`] naming the first bad pattern.
    pub fn from_lexicon(lexicon: Lexicon) -> Result<Self, LexiconError> {
        Classifier::from_lexicons(vec![lexicon])
    }

    /// A classifier over several lexicons, matched together
    /// (add your own to [`Lexicon::builtin`], or replace them). It starts
    /// with the shipped [`WordingModel`] and [`SubjectModel`], learnt from
    /// English, French, German and Spanish mail (they read related
    /// languages' receipts and sales fairly, from shared words, numbers and
    /// signs); for mail in other languages, train them on your own labelled
    /// mail ([`WordingModel::train`], [`SubjectModel::train`]) or turn them
    /// off ([`with_wording_model(None)`](Self::with_wording_model),
    /// [`with_subject_model(None)`](Self::with_subject_model)).
    ///
    /// # Errors
    ///
    /// A [`LexiconError`] naming the first bad pattern.
    pub fn from_lexicons(lexicons: Vec<Lexicon>) -> Result<Self, LexiconError> {
        let compiled = lexicon::compile(&lexicons)?;
        let hints = (!compiled.hints.is_empty())
            .then(|| {
                regex::RegexBuilder::new(
                    &compiled
                        .hints
                        .iter()
                        .map(|p| format!("(?i:{p})"))
                        .collect::<Vec<_>>()
                        .join("|"),
                )
                .size_limit(64 << 20)
                .build()
            })
            .transpose()
            .map_err(|e| LexiconError::Prefilter {
                reason: e.to_string(),
            })?;
        let matcher = Matcher::new(&compiled.patterns)
            .map_err(|reason| LexiconError::Prefilter { reason })?;
        Ok(Classifier {
            lexicons,
            groups: compiled.groups,
            matcher,
            hints,
            margin: compiled.max_match_len.saturating_add(4),
            wording: Some(WordingModel::builtin()),
            subject_model: Some(SubjectModel::builtin()),
        })
    }

    /// The same classifier with another wording model, or none (`None`: no
    /// second opinion from the wording; the subject-line model, if any,
    /// still reads subjects: turn both off for the lexicons alone). Every
    /// classifier starts with [`WordingModel::builtin`].
    #[must_use]
    pub fn with_wording_model(mut self, model: Option<WordingModel>) -> Self {
        self.wording = model;
        self
    }

    /// The wording model consulted, if any.
    pub fn wording_model(&self) -> Option<&WordingModel> {
        self.wording.as_ref()
    }

    /// The same classifier with another subject-line model, or none
    /// (`None`: only the lexicons read the subject line). Every
    /// classifier starts with [`SubjectModel::builtin`].
    ///
    /// The model is asked on undeclared mail only. When the lexicons find
    /// a message transactional, with transactional content in its body
    /// (alone, or first with commercial content after it) and no
    /// commercial cue in the subject: does the subject line read as an
    /// advertisement anyway? From [`SUBJECT_READS_AS_AD`] it does: the
    /// subject is commercial content beside the body's transaction, and
    /// the message is promotional by the subject-line test
    /// (`canspam.primary_purpose.subject_line`, quoting the words that
    /// weighed most; the lexicons' reason follows). And whenever the
    /// wording model would make a message transactional (a message with no
    /// cue, a price alone, the order test's promotional answer), a subject
    /// the model reads as an advertisement keeps it from doing so. Offers
    /// are worded in more ways than patterns list ("Something special for
    /// you, Maria", "Tus beneficios de diciembre"), and a notice with an
    /// offer in or after it is exactly the mail whose subject decides. A
    /// declared message is never changed by it, nor one whose body holds
    /// no transactional content (a transactional subject line or an
    /// account reference alone).
    ///
    /// The shipped model is learnt from English, French, German and
    /// Spanish subjects; for mail in other languages, train one
    /// ([`SubjectModel::train`]) or turn it off.
    ///
    /// ```
    /// use consentry::classify::{Classifier, Message, MessageClass};
    ///
    /// let classifier = Classifier::default();
    /// let bill = "Your bill for March is ready. Amount due: $48.20, collected on 4 April \
    ///             from the card ending 2206. Account 5530 1120.\n\
    ///             Members get 20% off phone cases this week.";
    /// let neutral = classifier.classify(&Message::text("Your March bill", bill));
    /// assert!(neutral.outcome().is_transactional());
    ///
    /// let selling = classifier.classify(&Message::text("A little something for you, Sam", bill));
    /// assert_eq!(selling.outcome(), &MessageClass::Promotional);
    /// assert_eq!(selling.rule().as_str(), "canspam.primary_purpose.subject_line");
    ///
    /// // The lexicons alone read no offer in that subject.
    /// let lexicons_only = classifier.with_wording_model(None).with_subject_model(None);
    /// let c = lexicons_only.classify(&Message::text("A little something for you, Sam", bill));
    /// assert!(c.outcome().is_transactional());
    /// ```
    #[must_use]
    pub fn with_subject_model(mut self, model: Option<SubjectModel>) -> Self {
        self.subject_model = model;
        self
    }

    /// The subject-line model consulted, if any.
    pub fn subject_model(&self) -> Option<&SubjectModel> {
        self.subject_model.as_ref()
    }

    /// The lexicons in use.
    pub fn lexicons(&self) -> &[Lexicon] {
        &self.lexicons
    }

    /// Whether every commercial hint of the subject and the body is a bare
    /// amount (false past [`MAX_EXAMINED`] hints in either: unknown is not
    /// proven).
    fn only_price_hints(&self, subject: &str, body: &str) -> bool {
        let Some(hints) = self.hints.as_ref() else {
            return true;
        };
        [subject, body].iter().all(|text| {
            let mut n = 0usize;
            hints.find_iter(text).all(|m| {
                n += 1;
                n <= MAX_EXAMINED && is_price(m.as_str())
            })
        })
    }

    /// The first promotional hint in `text`: where it is, and its text.
    fn hint(&self, text: &str, in_subject: bool) -> Option<(bool, String, usize)> {
        // A figure reported rather than a price asked is no offer: a sum of
        // a scale ("£1.5bn", "$40 million"), a market or unit price
        // ("258 $/t", "0,81 €/l"), an average or a median ("a median of
        // $58,000").
        self.hint_matching(text, in_subject, |h, before, after| {
            !(is_price(h)
                && (is_sum_of_scale(after) || is_unit_price(after) || is_reported_figure(before)))
        })
    }

    /// The first promotional hint in `text` whose text passes `keep`
    /// (given the hint, up to 24 bytes of text before it, and the text
    /// after it).
    fn hint_matching(
        &self,
        text: &str,
        in_subject: bool,
        keep: impl Fn(&str, &str, &str) -> bool,
    ) -> Option<(bool, String, usize)> {
        self.hints
            .as_ref()?
            .find_iter(text)
            .take(MAX_EXAMINED)
            .find(|m| {
                let from = ceil_boundary(text, m.start().saturating_sub(24));
                keep(
                    m.as_str(),
                    text.get(from..m.start()).unwrap_or_default(),
                    text.get(m.end()..).unwrap_or_default(),
                )
            })
            .and_then(|m| {
                let end = floor_boundary(text, m.end().min(m.start() + MAX_CUE_TEXT));
                Some((in_subject, text.get(m.start()..end)?.to_owned(), m.start()))
            })
    }

    fn scan(&self, text: &str, in_subject: bool, scan: &mut Scan) {
        let mut n = 0usize;
        self.matcher.each(text, |m| {
            if n >= MAX_EXAMINED {
                return false;
            }
            let (start, end) = (m.start, m.end);
            let found = self.groups.get(m.pattern).copied();
            // A neutral match (a reported statistic) is consumed and is
            // neither a cue nor examined.
            if found == Some(None) {
                return true;
            }
            n += 1;
            scan.examined = n;
            scan.last_end = end;
            let Some(Some(group)) = found else {
                return true;
            };
            match group {
                Group::Promotional => {
                    scan.first_promo.get_or_insert(start);
                }
                Group::Transactional(cat) | Group::Reference(cat) => {
                    scan.first_trans.get_or_insert(start);
                    scan.trans_cues += 1;
                    scan.content_cues += usize::from(matches!(group, Group::Transactional(_)));
                    if scan.trans_offsets.len() < 64 {
                        scan.trans_offsets.push(start);
                    }
                    let i = cat.index();
                    if let (Some(v), Some(f)) = (scan.votes.get_mut(i), scan.first_vote.get_mut(i))
                    {
                        if *v == 0 {
                            *f = start;
                        }
                        // A cue in the subject names the message's purpose:
                        // it weighs double.
                        *v += if in_subject { 2 } else { 1 };
                    }
                }
            }
            if scan.cues.len() < MAX_CUES {
                scan.cues.push(Cue {
                    group,
                    in_subject,
                    offset: start,
                    end,
                });
            }
            true
        });
    }

    /// Apply the primary-purpose test to a message. Infallible and
    /// deterministic: the same message always gets the same answer.
    pub fn classify(&self, message: &Message) -> Classification {
        let subject_text = normalize(&message.subject);
        let mut subject = Scan::default();
        self.scan(&subject_text, true, &mut subject);
        match &message.body {
            Body::Text(t) => {
                let body_text = normalize(t);
                let mut body = Scan::default();
                self.scan(&body_text, false, &mut body);
                let len = body_text.len();
                self.decide(message, &subject_text, &subject, &body_text, &body, len)
            }
            Body::Html(h) => {
                // The visible text is read in growing steps. Each step's
                // normalised text is a prefix of the whole body's, so once
                // the first matches are settled (all examined, the last
                // ending a match's length before the text read so far ends)
                // and the decision does not need the body's length, the
                // rest of the document cannot change the answer.
                let mut walker = html::TextWalker::new(h);
                let mut step = FIRST_HTML_STEP;
                loop {
                    let done = walker.advance(step);
                    let body_text = normalize(walker.text());
                    let mut body = Scan::default();
                    self.scan(&body_text, false, &mut body);
                    // Done: this is the whole text (normalising drops the
                    // trailing white space `html_to_text` trims).
                    let early = if done {
                        Early::Settled
                    } else {
                        self.settled(&subject, &body, body_text.len())
                    };
                    step = next_step(early, walker.text().len());
                    // The wording model reads the body's first tokens: a
                    // prefix holding more than those answers as the whole
                    // body would.
                    let early = if early == Early::Settled
                        && !done
                        && self.wording.is_some()
                        && !WordingModel::reads_past(&body_text)
                    {
                        step = usize::MAX;
                        Early::Never
                    } else {
                        early
                    };
                    if early == Early::Settled {
                        // When not done, the length is the part read: the
                        // test does not need it (`settled` checked).
                        let len = body_text.len();
                        return self.decide(
                            message,
                            &subject_text,
                            &subject,
                            &body_text,
                            &body,
                            len,
                        );
                    }
                }
            }
        }
    }

    /// The wording model's second opinion on what the lexicons made of an
    /// undeclared message, with its reason, when it changes the answer
    /// ([`WordingScore::overrules`]; [`WordingScore::overrules_hint`] when
    /// a commercial hint alone decided; [`WordingScore::overrules_order_test`]
    /// when the order test decided promotional although transactional
    /// content leads the body, `transactional_leads`), given the lexicons'
    /// class and deciding rule; and the subject-line model's, when the
    /// lexicons found it transactional
    /// ([`Classifier::with_subject_model`]). A declared message is judged
    /// on the commercial content found, not on its wording.
    fn second_opinion(
        &self,
        message: &Message,
        subject_text: &str,
        body_text: &str,
        class: MessageClass,
        rule: &RuleId,
        body: BodyFacts,
    ) -> Option<(MessageClass, Reason)> {
        let hinted = *rule == ids::CLASSIFY_COMMERCIAL_HINTS;
        // Promotional by the order test, with transactional content first.
        let order_test = *rule == ids::CLASSIFY_NOT_FIRST && body.transactional_leads;
        if message.declared != DeclaredKind::Unspecified {
            return None;
        }
        // Transactional content in the body, and a subject that sells: both
        // kinds of content, and the subject line decides. (The model is
        // asked at most once a message: below, only about answers the
        // wording would make transactional, which a transactional answer
        // of the lexicons never becomes.)
        let transactional_rule =
            *rule == ids::CLASSIFY_TRANSACTIONAL_FIRST || *rule == ids::CLASSIFY_TRANSACTIONAL_ONLY;
        if transactional_rule && body.transactional_content {
            if let Some((model, p)) = self.subject_sells(subject_text) {
                let words = model
                    .leading_words(subject_text, 4)
                    .iter()
                    .map(|w| format!("`{w}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let what = if *rule == ids::CLASSIFY_TRANSACTIONAL_FIRST {
                    "the body carries commercial content after the transactional part"
                } else {
                    "the body carries transactional content and no commercial cue"
                };
                return Some((
                    MessageClass::Promotional,
                    Reason::new(
                        ids::CLASSIFY_SUBJECT_LINE,
                        format!(
                            "{what}, but the subject line reads as an advertisement by its wording (probability {p:.3}), most of all {words}: a recipient reading it would likely conclude the message advertises"
                        ),
                    ),
                ));
            }
        }
        let model = self.wording.as_ref()?;
        if class == MessageClass::Promotional && !hinted && !order_test {
            return None;
        }
        let score = model.score(subject_text, body_text);
        let new = if hinted {
            score.overrules_hint()?
        } else if order_test {
            score.overrules_order_test()?
        } else {
            score.overrules(class)?
        };
        // The wording never makes transactional a message whose subject
        // line reads as an advertisement.
        if new.is_transactional() && self.subject_sells(subject_text).is_some() {
            return None;
        }
        let (lane, p) = match new {
            MessageClass::Promotional => (0, score.promotional),
            MessageClass::Transactional(_) => (1, score.transactional),
            MessageClass::Undetermined => (2, score.undetermined),
        };
        let words = model
            .leading_words(subject_text, body_text, lane, 4)
            .iter()
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let sentence = match (class, new) {
            (MessageClass::Promotional, MessageClass::Transactional(category)) if order_test => format!(
                "transactional content comes first and the subject is neutral, and the wording reads as a transactional message ({category}; probability {p:.3}), most of all {words}: the beginning is, in substantial part, the transaction, though the lexicons recognised too little of it to say so"
            ),
            (MessageClass::Promotional, MessageClass::Transactional(category)) => format!(
                "the lexicons found no commercial content, only a commercial hint, and the wording reads as a transactional message ({category}; probability {p:.3}), most of all {words}"
            ),
            (MessageClass::Promotional, _) => format!(
                "the lexicons found no commercial content, only a commercial hint, and the wording reads as neither an advertisement nor a transactional message (probability {p:.3}), most of all {words}"
            ),
            (MessageClass::Transactional(found), _) => format!(
                "the lexicons found transactional content ({found}) {}, but the wording reads as {} (probability {p:.3}; transactional {:.3}), most of all {words}",
                if *rule == ids::CLASSIFY_TRANSACTIONAL_FIRST {
                    "first and commercial content after it"
                } else {
                    "and no commercial content"
                },
                if new == MessageClass::Promotional { "an advertisement" } else { "neither an advertisement nor a transactional message" },
                score.transactional,
            ),
            (_, MessageClass::Transactional(category)) => format!(
                "no lexicon cue, but the wording reads as a transactional message ({category}; probability {p:.3}), most of all {words}"
            ),
            _ => format!(
                "no lexicon cue, but the wording reads as an advertisement (probability {p:.3}), most of all {words}"
            ),
        };
        Some((new, Reason::new(ids::CLASSIFY_WORDING, sentence)))
    }

    /// The subject-line model and its score of `subject`, when it reads
    /// the subject as an advertisement ([`SUBJECT_READS_AS_AD`]).
    fn subject_sells(&self, subject: &str) -> Option<(&SubjectModel, f32)> {
        let model = self.subject_model.as_ref()?;
        let p = model.sells(subject);
        (p >= SUBJECT_READS_AS_AD).then_some((model, p))
    }

    /// Whether a scan of a prefix of the body already gives the whole
    /// body's answer: every match examined lies a full match length before
    /// the prefix ends (so the whole text has the same first matches), the
    /// body has a cue (so no hint is needed), and the primary-purpose test
    /// does not need the body's length (see `decide`).
    fn settled(&self, subject: &Scan, body: &Scan, read: usize) -> Early {
        if body.examined < MAX_EXAMINED {
            return Early::ReadMore;
        }
        let needed = body.last_end.saturating_add(self.margin);
        if needed > read {
            return Early::ReadTo(needed);
        }
        // From here the examined matches are the whole body's: what they
        // say no longer changes.
        if !(body.has_promo() || body.has_trans()) {
            return Early::Never;
        }
        let mixed = (subject.has_promo() || body.has_promo())
            && (subject.has_trans() || body.has_trans())
            && !subject.has_promo();
        let needs_length = mixed
            && match body.first_trans {
                Some(t) => t < body.first_promo.unwrap_or(usize::MAX) && t > BEGINNING_MIN_BYTES,
                None => false,
            };
        if needs_length {
            Early::Never
        } else {
            Early::Settled
        }
    }

    /// The primary-purpose test over the scans of the subject and the
    /// body; `body_len` is the whole body's normalised length.
    fn decide(
        &self,
        message: &Message,
        subject_text: &str,
        subject: &Scan,
        body_text: &str,
        body: &Scan,
        body_len: usize,
    ) -> Classification {
        let any_promo = subject.has_promo() || body.has_promo();
        let any_trans = subject.has_trans() || body.has_trans();
        let category = best_category(subject, body);
        let beginning = BEGINNING_MIN_BYTES.max(body_len / 3);
        let quote = |scan: &Scan, text: &str, promo: bool| -> String {
            scan.cues
                .iter()
                .find(|c| (c.group == Group::Promotional) == promo)
                .map(|c| format!("`{}`", cue_text(text, c)))
                .unwrap_or_default()
        };
        // The first commercial (or transactional) cue, the subject's first.
        let first_quote = |promo: bool| {
            let q = quote(subject, subject_text, promo);
            if q.is_empty() {
                quote(body, body_text, promo)
            } else {
                q
            }
        };

        // Without any cue, the weaker commercial hints decide; they also
        // outweigh transactional words found in the subject alone (the body
        // is where a transaction is completed or confirmed).
        let subject_only = any_trans && !body.has_trans();
        let hint = if any_promo {
            None
        } else if subject_only {
            // A price alone is no offer: receipts list prices too.
            self.hint_matching(body_text, false, |h, _, _| !is_price(h))
        } else if any_trans {
            None
        } else {
            self.hint(subject_text, true)
                .or_else(|| self.hint(body_text, false))
        };
        // Set where both kinds of content are weighed (see below).
        let mut transactional_leads = false;
        let (class, reason) = match (any_promo, any_trans) {
            (false, true) if subject_only && hint.is_some() => (
                MessageClass::Promotional,
                Reason::new(
                    ids::CLASSIFY_COMMERCIAL_HINTS,
                    format!(
                        "only the subject line reads as transactional; the body offers something for sale (`{}`)",
                        hint.as_ref().map_or("", |h| h.1.as_str())
                    ),
                ),
            ),
            (false, false) => match &hint {
                Some(h) => (
                    MessageClass::Promotional,
                    Reason::new(
                        ids::CLASSIFY_COMMERCIAL_HINTS,
                        format!(
                            "no transactional content, and the message offers something for sale (`{}`)",
                            h.1
                        ),
                    ),
                ),
                None => (
                    MessageClass::Undetermined,
                    Reason::new(
                        ids::CLASSIFY_UNDETERMINED,
                        "no commercial content and no transactional category recognised",
                    ),
                ),
            },
            (true, false) => (
                MessageClass::Promotional,
                Reason::new(
                    ids::CLASSIFY_COMMERCIAL_ONLY,
                    format!(
                        "only commercial content (first cue {})",
                        first_quote(true)
                    ),
                ),
            ),
            (false, true) => (
                MessageClass::Transactional(category),
                Reason::new(
                    ids::CLASSIFY_TRANSACTIONAL_ONLY,
                    format!("only transactional content ({category})"),
                ),
            ),
            (true, true) if subject.has_promo() => (
                MessageClass::Promotional,
                Reason::new(
                    ids::CLASSIFY_SUBJECT_LINE,
                    format!(
                        "the subject line reads as an advertisement ({})",
                        quote(subject, subject_text, true)
                    ),
                ),
            ),
            // The transactional side is only references to the account (a
            // customer number quoted above an ad): no transactional
            // content, so the commercial content decides.
            (true, true) if subject.content_cues + body.content_cues == 0 => (
                MessageClass::Promotional,
                Reason::new(
                    ids::CLASSIFY_COMMERCIAL_ONLY,
                    format!(
                        "only commercial content (first cue {}); the transactional cues only refer to the account ({}), which does not make an advertisement transactional",
                        first_quote(true),
                        first_quote(false)
                    ),
                ),
            ),
            (true, true) => {
                let first_promo = body.first_promo.unwrap_or(usize::MAX);
                // Transactional content "in substantial part" at the
                // beginning: at least two transactional cues (the subject's
                // count) before the first commercial one. A lone phrase such
                // as "thanks for your purchase" in front of an ad is not a
                // transaction the message completes.
                let leading = subject.trans_cues
                    + body
                        .trans_offsets
                        .iter()
                        .filter(|&&o| o < first_promo)
                        .count();
                // And the commercial part does not outweigh it (16 CFR
                // 316.3(a)(3): the amount of each kind of content): more
                // commercial cues than transactional ones is an ad with a
                // notice attached, not a notice with an ad.
                let promo_cues = subject
                    .cues
                    .iter()
                    .chain(&body.cues)
                    .filter(|c| c.group == Group::Promotional)
                    .count();
                // Account references weigh nothing here: they never make
                // commercial content transactional.
                let trans_cues = subject.content_cues + body.content_cues;
                let first = body
                    .first_trans
                    .is_some_and(|t| t < first_promo && t <= beginning)
                    && leading >= MIN_LEADING_CUES;
                // Transactional content (not only a reference) in the body,
                // at its beginning and before any commercial cue: what the
                // wording model may weigh when the order test says
                // promotional. (A transactional subject line does not
                // count: the test is about how the body begins.)
                transactional_leads = body.cues.iter().any(|c| {
                    matches!(c.group, Group::Transactional(_))
                        && c.offset < first_promo
                        && c.offset <= beginning
                });
                match (first, promo_cues <= trans_cues) {
                    (true, true) => {
                        (
                            MessageClass::Transactional(category),
                            Reason::new(
                                ids::CLASSIFY_TRANSACTIONAL_FIRST,
                                format!(
                                    "transactional content ({category}) comes first and the subject is neutral; the commercial part ({}) follows it",
                                    quote(body, body_text, true)
                                ),
                            ),
                        )
                    }
                    (true, false) => {
                        (
                            MessageClass::Promotional,
                            Reason::new(
                                ids::CLASSIFY_NOT_FIRST,
                                format!(
                                    "transactional content comes first, but the commercial content after it ({}) outweighs it: {promo_cues} commercial cues against {trans_cues} transactional",
                                    quote(body, body_text, true)
                                ),
                            ),
                        )
                    }
                    _ => (
                        MessageClass::Promotional,
                        Reason::new(
                            ids::CLASSIFY_NOT_FIRST,
                            format!(
                                "commercial content ({}) comes before the transactional content, or the transactional content is not at the beginning of the body",
                                quote(body, body_text, true)
                            ),
                        ),
                    ),
                }
            }
        };
        // The wording model's second opinion, where it may change the
        // answer: the deciding reason is then its own, the lexicons' follows.
        let (class, reason, lexicons_reason) = match self.second_opinion(
            message,
            subject_text,
            body_text,
            class,
            &reason.rule,
            BodyFacts {
                transactional_leads,
                transactional_content: body.content_cues > 0,
            },
        ) {
            Some((wording_class, wording_reason)) => (wording_class, wording_reason, Some(reason)),
            None => (class, reason, None),
        };
        let deciding_rule: RuleId = reason.rule.clone();
        let mut decision = Decision::new(class, reason);
        if let Some(r) = lexicons_reason {
            decision.push_reason(r);
        }
        let class = match (message.declared, class) {
            (DeclaredKind::Transactional(declared), MessageClass::Undetermined) => {
                decision.lead_with(Reason::new(
                    ids::CLASSIFY_DECLARED_TRANSACTIONAL,
                    format!(
                        "the sender declared this message transactional ({declared}) and it has no commercial content: the declaration is honoured"
                    ),
                ));
                MessageClass::Transactional(declared)
            }
            (DeclaredKind::Transactional(_), MessageClass::Transactional(found)) => {
                decision.push_reason(Reason::new(
                    ids::CLASSIFY_DECLARED_TRANSACTIONAL,
                    format!("the sender declared this message transactional; its content agrees ({found})"),
                ));
                class
            }
            // The only sign of commerce is a price, which a receipt or an
            // invoice carries too: not commercial content that refuses a
            // declaration (undeclared, such a message is still classed
            // promotional, as most are ads).
            (DeclaredKind::Transactional(declared), MessageClass::Promotional)
                if !any_promo
                    && hint.is_some()
                    && self.only_price_hints(subject_text, body_text) =>
            {
                decision.lead_with(Reason::new(
                    ids::CLASSIFY_DECLARED_TRANSACTIONAL,
                    format!(
                        "the sender declared this message transactional ({declared}) and its only commercial sign is a price (`{}`), which receipts and invoices carry too: the declaration is honoured",
                        hint.as_ref().map_or("", |h| h.1.as_str())
                    ),
                ));
                MessageClass::Transactional(declared)
            }
            (DeclaredKind::Transactional(_), MessageClass::Promotional) => {
                decision.push_reason(Reason::new(
                    ids::CLASSIFY_DECLARED_MISMATCH,
                    format!(
                        "the sender declared this message transactional, but commercial content decides under `{deciding_rule}`; the declaration is refused"
                    ),
                ));
                MessageClass::Promotional
            }
            (
                DeclaredKind::Promotional,
                MessageClass::Transactional(_) | MessageClass::Undetermined,
            ) => {
                decision.lead_with(Reason::new(
                    ids::CLASSIFY_DECLARED_PROMOTIONAL,
                    "the sender declared this message promotional",
                ));
                MessageClass::Promotional
            }
            (DeclaredKind::Promotional | DeclaredKind::Unspecified, class) => class,
        };
        let mut decision = decision.map(|_| class);
        let cues = subject
            .cues
            .iter()
            .map(|c| (c, subject_text))
            .chain(body.cues.iter().map(|c| (c, body_text)))
            .take(MAX_CUES);
        for (cue, text) in cues {
            decision.push_reason(cue_reason(cue, text));
        }
        if let Some((in_subject, quote, offset)) = hint {
            let place = if in_subject { "subject" } else { "body" };
            decision.push_reason(Reason::new(
                if in_subject {
                    ids::CUE_COMMERCIAL_SUBJECT
                } else {
                    ids::CUE_COMMERCIAL_BODY
                },
                format!("commercial hint `{quote}` in the {place} at byte {offset}"),
            ));
        }
        decision
    }
}

/// Whether a commercial hint is a bare amount and nothing else (`$12.00`,
/// `96,47 €`, `150 usd`): no offer in itself, since receipts list prices
/// too. `15-minute demo` or `a partir de 12` are not.
fn is_price(hint: &str) -> bool {
    const SIGNS: [char; 4] = ['$', '\u{a3}', '\u{20ac}', '\u{20b9}'];
    const WORDS: [&str; 7] = ["euros", "euro", "eur", "usd", "gbp", "chf", "dollars"];
    let mut amount = hint.trim();
    amount = amount.trim_start_matches(SIGNS).trim_start();
    amount = amount.trim_end_matches(SIGNS).trim_end();
    if let Some(rest) = WORDS.iter().find_map(|w| amount.strip_suffix(w)) {
        amount = rest.trim_end();
    }
    amount.starts_with(|c: char| c.is_ascii_digit())
        && amount
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | ' '))
}

/// Whether the text after an amount makes it a sum of a scale no offer is
/// priced in: more digits, then `bn`, `billion`, `million`, `mn`, `m`,
/// `trillion` or `tn` as a word ("£1.5bn", "$40 million").
fn is_sum_of_scale(after: &str) -> bool {
    let rest = after.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ',');
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    ["bn", "billion", "million", "mn", "m", "trillion", "tn"]
        .iter()
        .any(|scale| {
            rest.strip_prefix(scale)
                .is_some_and(|r| !r.starts_with(|c: char| c.is_ascii_alphanumeric()))
        })
}

/// Whether the text after an amount makes it a price per unit quoted in a
/// report ("258 $/t", "0,81 €/l", "7,84 € pro Quadratmeter"): a slash or
/// "per" and a unit of quantity.
fn is_unit_price(after: &str) -> bool {
    const UNITS: [&str; 17] = [
        "t",
        "kg",
        "g",
        "l",
        "lt",
        "litre",
        "liter",
        "litro",
        "kilo",
        "tonne",
        "ton",
        "m2",
        "m3",
        "kwh",
        "mwh",
        "hl",
        "quadratmeter",
    ];
    let rest = after.trim_start();
    let rest = match rest.strip_prefix('/') {
        Some(r) => r.trim_start(),
        None => match [
            "per ", "par ", "pro ", "je ", "por ", "le ", "la ", "el ", "a ",
        ]
        .iter()
        .find_map(|w| rest.strip_prefix(w))
        {
            Some(r) => r,
            None => return false,
        },
    };
    UNITS.iter().any(|u| {
        rest.strip_prefix(u)
            .is_some_and(|r| !r.starts_with(|c: char| c.is_alphanumeric()))
    })
}

/// Whether the text just before an amount reports it as a statistic (an
/// average or a median) or a statutory rate (a minimum wage): "to a median
/// of", "en moyenne a", "promedio de", "Mindestlohn von" ("median" also
/// finds the Spanish "mediana", "durchschnitt" the German
/// "durchschnittlich", "mindestlohn" "Mindestlohns").
fn is_reported_figure(before: &str) -> bool {
    [
        "median",
        "average",
        "moyenne",
        "promedio",
        "durchschnitt",
        "minimum wage",
        "salaire minimum",
        "smic",
        "salario minimo",
        "mindestlohn",
    ]
    .iter()
    .any(|w| before.contains(w))
}

/// The category with the most cues (subject cues weigh double); ties go to
/// the one seen first in the body.
fn best_category(subject: &Scan, body: &Scan) -> TransactionalCategory {
    let mut best = TransactionalCategory::Transaction;
    let mut best_key = (0u32, std::cmp::Reverse(usize::MAX));
    for cat in TransactionalCategory::ALL {
        let i = cat.index();
        let votes =
            subject.votes.get(i).copied().unwrap_or(0) + body.votes.get(i).copied().unwrap_or(0);
        let first = if body.votes.get(i).copied().unwrap_or(0) > 0 {
            body.first_vote.get(i).copied().unwrap_or(usize::MAX)
        } else {
            usize::MAX
        };
        let key = (votes, std::cmp::Reverse(first));
        if votes > 0 && key > best_key {
            best = cat;
            best_key = key;
        }
    }
    best
}

fn cue_text<'t>(text: &'t str, cue: &Cue) -> &'t str {
    let end = floor_boundary(text, cue.end.min(cue.offset + MAX_CUE_TEXT));
    text.get(cue.offset..end).unwrap_or_default()
}

fn cue_reason(cue: &Cue, text: &str) -> Reason {
    let rule = match (cue.group, cue.in_subject) {
        (Group::Promotional, true) => ids::CUE_COMMERCIAL_SUBJECT,
        (Group::Promotional, false) => ids::CUE_COMMERCIAL_BODY,
        (Group::Transactional(_) | Group::Reference(_), true) => ids::CUE_TRANSACTIONAL_SUBJECT,
        (Group::Transactional(_) | Group::Reference(_), false) => ids::CUE_TRANSACTIONAL_BODY,
    };
    use std::fmt::Write as _;
    let quoted = cue_text(text, cue);
    let place = if cue.in_subject { "subject" } else { "body" };
    // One string, sized once.
    let mut sentence = String::with_capacity(quoted.len() + 80);
    let _ = match cue.group {
        Group::Promotional => write!(sentence, "commercial"),
        Group::Transactional(cat) => write!(sentence, "transactional ({cat})"),
        Group::Reference(cat) => write!(sentence, "transactional ({cat}) reference"),
    };
    let _ = write!(
        sentence,
        " cue `{quoted}` in the {place} at byte {}",
        cue.offset
    );
    Reason::new(rule, sentence)
}

#[cfg(test)]
mod step_tests {
    use super::*;

    /// Every step at least doubles what has been read (or reads it all),
    /// whatever the scan said: the steps cost at most about twice one
    /// reading of the whole body.
    #[test]
    fn every_step_at_least_doubles_the_text_read() {
        for read in [0, 1, 100, 4096, 5000, 1 << 20, usize::MAX / 3, usize::MAX] {
            for early in [
                Early::ReadMore,
                Early::Never,
                Early::Settled,
                Early::ReadTo(0),
                Early::ReadTo(read / 2),
                Early::ReadTo(read.saturating_mul(3)),
            ] {
                let next = next_step(early, read);
                assert!(
                    next == usize::MAX || next >= read.saturating_mul(2),
                    "{early:?} after {read}: {next}"
                );
                assert!(next >= FIRST_HTML_STEP.min(read.max(1)));
            }
        }
    }
}
