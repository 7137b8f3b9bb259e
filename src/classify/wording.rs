//! The wording model: see [`WordingModel`].

use std::borrow::Cow;
use std::fmt;

use super::{MessageClass, TransactionalCategory};

/// How many body tokens the model reads.
pub const BODY_TOKENS: usize = 150;
/// How many of those count again as the body's opening.
pub const HEAD_TOKENS: usize = 60;
/// How many subject tokens the model reads.
pub const SUBJECT_TOKENS: usize = 64;
/// The most features a message has: every subject token and pair, every
/// body token, every opening token.
#[allow(dead_code)] // read by the assertion below, which rustc 1.85 does not count
const MAX_FEATURES: usize = 2 * SUBJECT_TOKENS + BODY_TOKENS + HEAD_TOKENS;
const _: () = assert!(MAX_FEATURES * 2 < SEEN_SLOTS);

/// Weights per bucket: promotional, transactional, undetermined, then the
/// five transactional categories in statutory order.
const LANES: usize = 8;
const CLASSES: usize = 3;
const MAGIC: &[u8; 4] = b"CWM1";
const HEADER: usize = 12;

/// Distinct salts so that the same word in the subject, the body and the
/// body's opening, alone or in a pair, are different features.
const SUBJECT_WORD: u64 = 0x5157_4f52_4400_0001;
const SUBJECT_PAIR: u64 = 0x5150_4149_5200_0002;
const BODY_WORD: u64 = 0x4257_4f52_4400_0003;
const HEAD_WORD: u64 = 0x4857_4f52_4400_0004;

/// The model shipped with the crate, trained on the tuning split of the
/// labelled corpus (`tests/data/corpus/`) by
/// `cargo run --release --example wording_model -- train`.
static BUILTIN: &[u8] = include_bytes!("wording.bin");

/// The subject-line model shipped with the crate, trained on the subjects
/// of the same split by the same command ([`SubjectModel::train`]; 2^13
/// buckets).
static BUILTIN_SUBJECT: &[u8] = include_bytes!("subject.bin");

/// The kind byte of a wording model's header (every file before the
/// subject-line model had 0 there).
const KIND_WORDING: u8 = 0;
/// The kind byte of a [`SubjectModel`]'s header.
const KIND_SUBJECT: u8 = 1;

/// Why bytes are not a wording model.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WordingModelError {
    /// The bytes do not start with the model's magic number and version.
    #[error("not a consentry wording model (bad magic number or version)")]
    Magic,
    /// The table size is outside 2^8 to 2^24 buckets.
    #[error("table of 2^{bits} buckets is outside 2^8 to 2^24")]
    Size {
        /// The table's size as a power of two.
        bits: u8,
    },
    /// The byte length does not match the header.
    #[error("expected {expected} bytes, found {found}")]
    Length {
        /// Bytes the header announces.
        expected: usize,
        /// Bytes given.
        found: usize,
    },
    /// The weight scale is not a positive finite number.
    #[error("the weight scale is not a positive finite number")]
    Scale,
    /// The bytes hold the other kind of model: a subject-line model where
    /// a wording model is wanted, or the reverse.
    #[error("the bytes hold the other kind of model (a subject-line model where a wording model is wanted, or the reverse)")]
    Kind,
}

/// What the wording model makes of a message: a probability for each class
/// and the likeliest transactional category.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WordingScore {
    /// Probability that the message is promotional.
    pub promotional: f32,
    /// Probability that the message is transactional.
    pub transactional: f32,
    /// Probability that it is neither (informational, personal, a survey).
    pub undetermined: f32,
    /// The likeliest transactional category, whatever the class.
    pub category: TransactionalCategory,
    /// How many body tokens were read (at most [`BODY_TOKENS`]): a score
    /// from a few words is a weak one.
    pub body_tokens: usize,
}

impl WordingScore {
    /// What this score makes of the lexicons' answer on an undeclared
    /// message, when it changes it; `None` keeps the lexicons' answer.
    ///
    /// - Promotional: never changed here (the two cases where the model
    ///   may speak on a promotional answer, a hint alone and the order
    ///   test with transactional content first, are
    ///   [`overrules_hint`](Self::overrules_hint) and
    ///   [`overrules_order_test`](Self::overrules_order_test)).
    /// - Transactional, but the wording gives it less than
    ///   [`WORDING_KEEPS_TRANSACTIONAL`](super::WORDING_KEEPS_TRANSACTIONAL):
    ///   promotional, or undetermined, whichever the wording favours.
    /// - Undetermined (no cue), and the wording at least
    ///   [`WORDING_DECIDES_UNDETERMINED`](super::WORDING_DECIDES_UNDETERMINED)
    ///   promotional or transactional: that class, with the wording's
    ///   category.
    /// - Any class, on a body of fewer than
    ///   [`WORDING_MIN_BODY_TOKENS`](super::WORDING_MIN_BODY_TOKENS) tokens:
    ///   never changed (a score from a line or two rests on a handful of
    ///   words).
    pub fn overrules(&self, lexicons: MessageClass) -> Option<MessageClass> {
        if self.body_tokens < super::WORDING_MIN_BODY_TOKENS {
            return None;
        }
        match lexicons {
            MessageClass::Transactional(_)
                if self.transactional < super::WORDING_KEEPS_TRANSACTIONAL =>
            {
                Some(if self.promotional >= self.undetermined {
                    MessageClass::Promotional
                } else {
                    MessageClass::Undetermined
                })
            }
            MessageClass::Undetermined
                if self.transactional >= super::WORDING_DECIDES_UNDETERMINED =>
            {
                Some(MessageClass::Transactional(self.category))
            }
            MessageClass::Undetermined
                if self.promotional >= super::WORDING_DECIDES_UNDETERMINED =>
            {
                Some(MessageClass::Promotional)
            }
            _ => None,
        }
    }

    /// What this score makes of an undeclared message the lexicons called
    /// promotional on a commercial *hint* alone
    /// (`canspam.primary_purpose.commercial_hints`: no commercial cue, no
    /// transactional content in the body, but a price or a word such as
    /// "new collection" that suggests something is for sale), when it
    /// changes it; `None` keeps the lexicons' answer.
    ///
    /// - The wording at least
    ///   [`WORDING_OVERRULES_HINT`](super::WORDING_OVERRULES_HINT)
    ///   transactional: transactional, with the wording's category (a bill
    ///   or a tax notice lists amounts too).
    /// - Otherwise, the wording at least
    ///   [`WORDING_DECIDES_UNDETERMINED`](super::WORDING_DECIDES_UNDETERMINED)
    ///   neither: undetermined, as a message with no cue at all would be.
    /// - On a body of fewer than
    ///   [`WORDING_MIN_BODY_TOKENS`](super::WORDING_MIN_BODY_TOKENS)
    ///   tokens: never changed.
    ///
    /// A hint is not commercial content, so this cannot make a message
    /// with a commercial cue transactional either; the bar for the
    /// transactional side, the unsafe one, is set higher than for a
    /// message with no cue.
    pub fn overrules_hint(&self) -> Option<MessageClass> {
        if self.body_tokens < super::WORDING_MIN_BODY_TOKENS {
            None
        } else if self.transactional >= super::WORDING_OVERRULES_HINT {
            Some(MessageClass::Transactional(self.category))
        } else if self.undetermined >= super::WORDING_DECIDES_UNDETERMINED {
            Some(MessageClass::Undetermined)
        } else {
            None
        }
    }

    /// What this score makes of an undeclared message the 316.3 order
    /// test called promotional (`canspam.primary_purpose.transactional_not_first`)
    /// although its transactional content comes first: the subject line is
    /// neutral and a transactional cue in the body (not only an account
    /// reference, and within the beginning of the body) precedes every
    /// commercial one, but fewer than two transactional cues lead, or the
    /// commercial cues outnumber the transactional ones.
    /// From [`WORDING_OVERRULES_ORDER_TEST`](super::WORDING_OVERRULES_ORDER_TEST)
    /// transactional: transactional, with the wording's category; never on
    /// a body of fewer than
    /// [`WORDING_MIN_BODY_TOKENS`](super::WORDING_MIN_BODY_TOKENS) tokens.
    ///
    /// The lexicons name phrases, and on such mail they found the
    /// transaction first but recognised too little of it; the wording of
    /// the whole opening says whether it is, in substantial part, the
    /// transaction. (`cargo run --release --example wording_model --
    /// cross-validate` prints the highest transactional probability an
    /// advertisement in this position gets on the corpus's unseen sets 6
    /// to 16, each held out in turn: about 0.1 with the shipped data, and
    /// never above 0.36 over the retrainings measured, far below this
    /// rule's threshold.)
    pub fn overrules_order_test(&self) -> Option<MessageClass> {
        (self.body_tokens >= super::WORDING_MIN_BODY_TOKENS
            && self.transactional >= super::WORDING_OVERRULES_ORDER_TEST)
            .then_some(MessageClass::Transactional(self.category))
    }
}

/// The wording model: a linear model of a message's words, a second
/// opinion beside the lexicons.
///
/// Lexicons name the phrases they know; mail written by other people uses
/// phrases they do not. The wording model scores the words of the subject
/// and of the start of the body, and the subject's word pairs (hashed into a fixed table
/// of small integer weights, learnt from the labelled corpus's tuning
/// split) into three classes, promotional, transactional and undetermined,
/// and a transactional category. [`Classifier`](super::Classifier) consults
/// it only on undeclared mail (see [`classify`](super) for the exact
/// rules): it can make a message promotional or undetermined, one with no
/// commercial cue transactional, and one whose transactional content comes
/// first transactional where the 316.3 order test alone said otherwise;
/// never a message whose subject line reads as an advertisement, or whose
/// commercial content comes before any transactional content.
///
/// The features, for text already [`normalize`](super::normalize)d:
///
/// - tokens are runs of letters, runs of digits (every run is the same
///   token, quoted in reasons as `<number>`: a number's value says nothing
///   about the message's kind) and the
///   signs `$ € £ ¥ ₹ %`, each a token of its own;
/// - every one of the first [`SUBJECT_TOKENS`] subject tokens and every pair
///   of neighbouring ones;
/// - every one of the first [`BODY_TOKENS`] body tokens, and again for the
///   first [`HEAD_TOKENS`] of them (the opening of a message says most about
///   its purpose); pairs of body tokens were measured and left out (no
///   better on held-out mail, twice the lookups);
/// - each feature counts once, however often it occurs.
///
/// Cheap to clone when built in; immutable once made.
#[derive(Clone, PartialEq)]
pub struct WordingModel {
    bits: u8,
    scale: f32,
    /// `LANES` signed weights per bucket, `1 << bits` buckets.
    weights: Cow<'static, [u8]>,
}

impl fmt::Debug for WordingModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WordingModel")
            .field("buckets", &(1usize << self.bits))
            .field("scale", &self.scale)
            .finish_non_exhaustive()
    }
}

impl WordingModel {
    /// The model shipped with the crate.
    #[allow(clippy::expect_used)] // constant bytes, checked by a unit test
    pub fn builtin() -> WordingModel {
        WordingModel::parse(Cow::Borrowed(BUILTIN), KIND_WORDING)
            .expect("the shipped wording model parses")
    }

    /// A model from the bytes [`to_bytes`](Self::to_bytes) wrote.
    ///
    /// # Errors
    ///
    /// A [`WordingModelError`] when the bytes are not a model.
    pub fn from_bytes(bytes: &[u8]) -> Result<WordingModel, WordingModelError> {
        WordingModel::parse(Cow::Owned(bytes.to_vec()), KIND_WORDING)
    }

    fn parse(bytes: Cow<'static, [u8]>, kind: u8) -> Result<WordingModel, WordingModelError> {
        let header = bytes.get(..HEADER).ok_or(WordingModelError::Length {
            expected: HEADER,
            found: bytes.len(),
        })?;
        if header.get(..4) != Some(MAGIC.as_slice()) || header.get(5) != Some(&(LANES as u8)) {
            return Err(WordingModelError::Magic);
        }
        if header.get(6) != Some(&kind) {
            return Err(WordingModelError::Kind);
        }
        let bits = header.get(4).copied().unwrap_or(0);
        if !(8..=24).contains(&bits) {
            return Err(WordingModelError::Size { bits });
        }
        let scale = header
            .get(8..12)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(f32::NAN, f32::from_le_bytes);
        if !(scale.is_finite() && scale > 0.0) {
            return Err(WordingModelError::Scale);
        }
        let expected = HEADER + (LANES << bits);
        if bytes.len() != expected {
            return Err(WordingModelError::Length {
                expected,
                found: bytes.len(),
            });
        }
        let weights = match bytes {
            Cow::Borrowed(b) => Cow::Borrowed(b.get(HEADER..).unwrap_or_default()),
            Cow::Owned(mut b) => {
                b.drain(..HEADER);
                Cow::Owned(b)
            }
        };
        Ok(WordingModel {
            bits,
            scale,
            weights,
        })
    }

    /// The model as bytes, for [`from_bytes`](Self::from_bytes): a 12-byte
    /// header (magic `CWM1`, the table size as a power of two, the number of
    /// weights per bucket, the kind of model (0 for a wording model, 1 for
    /// a [`SubjectModel`]), a reserved byte, the weight scale as a
    /// little-endian `f32`) and the weights, one signed byte each.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes_of_kind(KIND_WORDING)
    }

    fn bytes_of_kind(&self, kind: u8) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + self.weights.len());
        out.extend_from_slice(MAGIC);
        out.push(self.bits);
        out.push(LANES as u8);
        out.extend_from_slice(&[kind, 0]);
        out.extend_from_slice(&self.scale.to_le_bytes());
        out.extend_from_slice(&self.weights);
        out
    }

    /// Learn a model from labelled messages, each given as its normalised
    /// subject and normalised visible body text with its class (what
    /// [`Message::reader_text`](super::Message::reader_text)
    /// returns). Deterministic: the same examples in the same order give the
    /// same model. `bits` sets the table's size (2^`bits` buckets of eight
    /// one-byte weights; the shipped model has 15).
    ///
    /// Training holds `32 << bits` bytes of weights (1 MB at 15 bits) and
    /// the examples' features. It is multinomial logistic regression by stochastic gradient
    /// descent (eight passes, a fixed shuffle), one softmax over the three
    /// classes and one over the five categories (transactional examples
    /// only); the weights are then scaled to signed bytes.
    ///
    /// # Errors
    ///
    /// [`WordingModelError::Size`] when `bits` is outside 8 to 24.
    pub fn train<'a>(
        examples: impl IntoIterator<Item = (&'a str, &'a str, MessageClass)>,
        bits: u8,
    ) -> Result<WordingModel, WordingModelError> {
        if !(8..=24).contains(&bits) {
            return Err(WordingModelError::Size { bits });
        }
        let mut data: Vec<(Vec<u32>, usize, Option<usize>)> = Vec::new();
        for (subject, body, class) in examples {
            let mut buckets = Vec::new();
            features(subject, body, bits, |b, _| buckets.push(b));
            let (label, category) = match class {
                MessageClass::Promotional => (0, None),
                MessageClass::Transactional(c) => (1, Some(c.index())),
                MessageClass::Undetermined => (2, None),
            };
            data.push((buckets, label, category));
        }
        let mut w = vec![0f32; LANES << bits];
        let mut order: Vec<usize> = (0..data.len()).collect();
        let mut rng: u64 = 0x2545_F491_4F6C_DD1D;
        // Chosen by holding out each unseen set of the corpus in turn: a
        // higher rate (0.3, 0.1) fits the tuning split more tightly and is
        // overconfident on new authors; a lower one (0.03 over twelve
        // passes) does no better.
        const RATE: f32 = 0.05;
        for _ in 0..8 {
            for i in (1..order.len()).rev() {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                order.swap(i, (rng % (i as u64 + 1)) as usize);
            }
            for &i in &order {
                let Some((buckets, label, category)) = data.get(i) else {
                    continue;
                };
                let mut sums = [0f32; LANES];
                for &b in buckets {
                    let row = w.get(b as usize * LANES..(b as usize + 1) * LANES);
                    for (s, x) in sums.iter_mut().zip(row.unwrap_or_default()) {
                        *s += x;
                    }
                }
                let mut grad = [0f32; LANES];
                let p = softmax::<CLASSES>(sums.get(..CLASSES).unwrap_or_default());
                for (k, (g, p)) in grad.iter_mut().zip(p).enumerate() {
                    *g = p - f32::from(u8::from(k == *label));
                }
                if let Some(c) = category {
                    let p = softmax::<5>(sums.get(CLASSES..).unwrap_or_default());
                    for (k, (g, p)) in grad.iter_mut().skip(CLASSES).zip(p).enumerate() {
                        *g = p - f32::from(u8::from(k == *c));
                    }
                }
                for g in &mut grad {
                    if g.abs() < 1e-3 {
                        *g = 0.0;
                    }
                }
                for &b in buckets {
                    if let Some(row) = w.get_mut(b as usize * LANES..(b as usize + 1) * LANES) {
                        for (x, g) in row.iter_mut().zip(grad) {
                            *x -= RATE * g;
                        }
                    }
                }
            }
        }
        let max = w.iter().fold(0f32, |m, x| m.max(x.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        let weights = w
            .iter()
            // In range by the scale's choice; `as` saturates anyway.
            .map(|x| (x / scale).round() as i8 as u8)
            .collect();
        Ok(WordingModel {
            bits,
            scale,
            weights: Cow::Owned(weights),
        })
    }

    /// Score a message from its normalised subject and normalised visible
    /// body text (only the first [`BODY_TOKENS`] body tokens are read).
    pub fn score(&self, subject: &str, body: &str) -> WordingScore {
        let (sums, body_tokens) = self.sums(subject, body);
        let logits = sums.map(|s| f64::from(s) * f64::from(self.scale));
        let [promotional, transactional, undetermined] =
            softmax::<CLASSES>(logits.get(..CLASSES).unwrap_or_default());
        // The first of the highest, in statutory order.
        let category = TransactionalCategory::ALL
            .into_iter()
            .zip(sums.get(CLASSES..).unwrap_or_default())
            .rev()
            .max_by_key(|&(_, &s)| s)
            .map_or(TransactionalCategory::Transaction, |(c, _)| c);
        WordingScore {
            promotional,
            transactional,
            undetermined,
            category,
            body_tokens,
        }
    }

    fn sums(&self, subject: &str, body: &str) -> ([i32; LANES], usize) {
        let mut sums = [0i32; LANES];
        let body_tokens = features(subject, body, self.bits, |b, _| {
            if let Some(row) = self.row(b) {
                for (s, x) in sums.iter_mut().zip(row) {
                    *s += i32::from(x as i8);
                }
            }
        });
        (sums, body_tokens)
    }

    fn row(&self, bucket: u32) -> Option<[u8; LANES]> {
        let at = bucket as usize * LANES;
        self.weights.get(at..at + LANES)?.try_into().ok()
    }

    /// The words that pushed the message most towards `class` (0
    /// promotional, 1 transactional, 2 undetermined) against the other two
    /// classes, strongest first, at most `n`.
    pub(super) fn leading_words(
        &self,
        subject: &str,
        body: &str,
        class: usize,
        n: usize,
    ) -> Vec<String> {
        let mut found: Vec<(i32, String)> = Vec::new();
        features(subject, body, self.bits, |b, words| {
            let Some(row) = self.row(b) else { return };
            let w = |k: usize| i32::from(row.get(k).map_or(0, |&x| x as i8));
            let others = (0..CLASSES)
                .filter(|&k| k != class)
                .map(w)
                .max()
                .unwrap_or(0);
            let pull = w(class) - others;
            if pull > 0 {
                found.push((pull, words()));
            }
        });
        found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let mut out: Vec<String> = Vec::new();
        for (_, words) in found {
            if !out.contains(&words) {
                out.push(words);
            }
            if out.len() == n {
                break;
            }
        }
        out
    }

    /// Whether `body` holds more than [`BODY_TOKENS`] tokens: the model's
    /// answer on it is then its answer on any longer text that starts with
    /// it.
    pub(super) fn reads_past(body: &str) -> bool {
        let mut n = 0;
        tokens(body, |_, _| {
            n += 1;
            n <= BODY_TOKENS
        });
        n > BODY_TOKENS
    }
}

/// Whether a subject line reads as an advertisement, in words no lexicon
/// pattern need list: a linear model of a subject's words and word pairs
/// (the subject features of a [`WordingModel`], in a table of its own),
/// learnt from labelled subject lines. See
/// [`Classifier::with_subject_model`](super::Classifier::with_subject_model)
/// for when the classifier asks it, and
/// [`SUBJECT_READS_AS_AD`](super::SUBJECT_READS_AS_AD) for the answer it
/// takes as "yes".
///
/// ```
/// use consentry::classify::{normalize, SubjectModel};
///
/// let model = SubjectModel::builtin();
/// assert!(model.sells(&normalize("A little something for you, Sam")) > 0.9);
/// assert!(model.sells(&normalize("Reset your password")) < 0.1);
/// ```
#[derive(Clone)]
pub struct SubjectModel(WordingModel);

impl fmt::Debug for SubjectModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SubjectModel").field(&self.0).finish()
    }
}

impl SubjectModel {
    /// The subject-line model shipped with the crate, trained on the
    /// labelled corpus's tuning split
    /// (`cargo run --release --example wording_model -- train`): the
    /// subject of every advertisement sells, the subjects of the
    /// advertisements the 316.3 order test decides are left out (neutral
    /// by that test's terms, yet ads), and no other subject sells.
    #[allow(clippy::expect_used)] // constant bytes, checked by a unit test
    pub fn builtin() -> SubjectModel {
        WordingModel::parse(Cow::Borrowed(BUILTIN_SUBJECT), KIND_SUBJECT)
            .map(SubjectModel)
            .expect("the shipped subject-line model parses")
    }

    /// Learn a model from normalised subject lines
    /// ([`normalize`](super::normalize)), each with whether it reads as an
    /// advertisement. Deterministic, as [`WordingModel::train`] is (it is
    /// that training over subjects alone); `bits` sets the table's size
    /// (2^`bits` buckets; the shipped model has 13).
    ///
    /// # Errors
    ///
    /// [`WordingModelError::Size`] when `bits` is outside 8 to 24.
    pub fn train<'a>(
        examples: impl IntoIterator<Item = (&'a str, bool)>,
        bits: u8,
    ) -> Result<SubjectModel, WordingModelError> {
        WordingModel::train(
            examples.into_iter().map(|(subject, sells)| {
                let class = if sells {
                    MessageClass::Promotional
                } else {
                    MessageClass::Undetermined
                };
                (subject, "", class)
            }),
            bits,
        )
        .map(SubjectModel)
    }

    /// A model from the bytes [`to_bytes`](Self::to_bytes) wrote.
    ///
    /// # Errors
    ///
    /// A [`WordingModelError`] when the bytes are not a subject-line model
    /// ([`WordingModelError::Kind`] for a wording model's bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<SubjectModel, WordingModelError> {
        WordingModel::parse(Cow::Owned(bytes.to_vec()), KIND_SUBJECT).map(SubjectModel)
    }

    /// The model as bytes, for [`from_bytes`](Self::from_bytes): the layout
    /// of [`WordingModel::to_bytes`], marked as a subject-line model.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.bytes_of_kind(KIND_SUBJECT)
    }

    /// The probability that a normalised subject line reads as an
    /// advertisement (its first [`SUBJECT_TOKENS`] tokens are read).
    pub fn sells(&self, subject: &str) -> f32 {
        self.0.score(subject, "").promotional
    }

    /// The words and word pairs that pushed the subject most towards
    /// selling, strongest first, at most `n`; single words of fewer than
    /// four characters ("you", "for") are left out of what a reason quotes.
    pub(super) fn leading_words(&self, subject: &str, n: usize) -> Vec<String> {
        let mut words = self.0.leading_words(subject, "", 0, n.saturating_mul(4));
        words.retain(|w| w.contains(' ') || w.chars().count() >= 4);
        words.truncate(n);
        words
    }
}

fn softmax<const N: usize>(sums: &[impl Copy + Into<f64>]) -> [f32; N] {
    let mut out = [0f32; N];
    let max = sums
        .iter()
        .map(|&s| s.into())
        .fold(f64::NEG_INFINITY, f64::max);
    let mut total = 0.0;
    for (o, &s) in out.iter_mut().zip(sums) {
        let e = (s.into() - max).exp();
        total += e;
        *o = e as f32;
    }
    for o in &mut out {
        *o = (f64::from(*o) / total) as f32;
    }
    out
}

/// The features seen so far, so each counts once: a small open-addressing
/// set of buckets on the stack (at most [`MAX_FEATURES`] go in, a third
/// of its slots, so probes stay short and always end).
struct Seen {
    slots: [u32; SEEN_SLOTS],
}

const SEEN_SLOTS: usize = 1024;
const EMPTY: u32 = u32::MAX;

impl Seen {
    fn new() -> Seen {
        Seen {
            slots: [EMPTY; SEEN_SLOTS],
        }
    }

    fn first(&mut self, bucket: u32) -> bool {
        let mut i = (bucket.wrapping_mul(0x9E37_79B1) >> 22) as usize;
        loop {
            match self.slots.get_mut(i) {
                Some(slot) if *slot == EMPTY => {
                    *slot = bucket;
                    return true;
                }
                Some(slot) if *slot == bucket => return false,
                Some(_) => i = (i + 1) % SEEN_SLOTS,
                None => return false,
            }
        }
    }
}

fn bucket(hash: u64, salt: u64, bits: u8) -> u32 {
    ((hash ^ salt).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - u32::from(bits))) as u32
}

fn pair(a: u64, b: u64) -> u64 {
    a.rotate_left(23) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
}

/// Calls `f` with each distinct feature's bucket and a way to write its
/// words (a word, or two separated by a space), which only reasons need;
/// returns how many body tokens were read.
fn features(
    subject: &str,
    body: &str,
    bits: u8,
    mut f: impl FnMut(u32, &dyn Fn() -> String),
) -> usize {
    let mut seen = Seen::new();
    let mut emit = |hash: u64, salt: u64, words: &dyn Fn() -> String| {
        let b = bucket(hash, salt, bits);
        if seen.first(b) {
            f(b, words);
        }
    };
    let mut prev: Option<(u64, &str)> = None;
    let mut n = 0;
    tokens(subject, |h, t| {
        if n == SUBJECT_TOKENS {
            return false;
        }
        n += 1;
        emit(h, SUBJECT_WORD, &|| t.to_string());
        if let Some((ph, pt)) = prev {
            emit(pair(ph, h), SUBJECT_PAIR, &|| format!("{pt} {t}"));
        }
        prev = Some((h, t));
        true
    });
    let mut n = 0;
    tokens(body, |h, t| {
        if n == BODY_TOKENS {
            return false;
        }
        emit(h, BODY_WORD, &|| t.to_string());
        if n < HEAD_TOKENS {
            emit(h, HEAD_WORD, &|| t.to_string());
        }
        n += 1;
        true
    });
    n
}

/// A token's hash: its bytes eight at a time (the last word padded with
/// zeros), each word mixed in by a multiply (fixed constants, little-endian
/// words, so the same on every platform: the shipped weights depend on it).
fn token_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = 0x243F_6A88_85A3_08D3 ^ (bytes.len() as u64);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        h = (h ^ word).wrapping_mul(K);
        h ^= h >> 29;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        // Assembled in a register: a copy into a buffer read back as one
        // word stalls on every token.
        let word = rest
            .iter()
            .rev()
            .fold(0u64, |w, &b| (w << 8) | u64::from(b));
        h = (h ^ word).wrapping_mul(K);
        h ^= h >> 29;
    }
    h
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Letter,
    Digit,
    Sign,
    Space,
}

/// The kind of each ASCII byte.
#[allow(clippy::indexing_slicing)] // `b < 128` in a const block
const ASCII_KIND: [Kind; 128] = {
    let mut table = [Kind::Space; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = if c.is_ascii_alphabetic() {
            Kind::Letter
        } else if c.is_ascii_digit() {
            Kind::Digit
        } else if c == b'$' || c == b'%' {
            Kind::Sign
        } else {
            Kind::Space
        };
        b += 1;
    }
    table
};

fn kind(c: char) -> Kind {
    match ASCII_KIND.get(c as usize) {
        Some(&k) => k,
        None if c.is_alphabetic() => Kind::Letter,
        None if matches!(c, '€' | '£' | '¥' | '₹') => Kind::Sign,
        None => Kind::Space,
    }
}

/// Calls `f` with each token's hash and text until it returns `false`.
fn tokens<'t>(text: &'t str, mut f: impl FnMut(u64, &'t str) -> bool) {
    let digits = token_hash(b"0");
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // The kind and UTF-8 length of the character at `i`.
        let at = |i: usize| -> (Kind, usize) {
            match bytes.get(i) {
                Some(&b) if b < 0x80 => (kind(char::from(b)), 1),
                _ => text
                    .get(i..)
                    .and_then(|rest| rest.chars().next())
                    .map_or((Kind::Space, 1), |c| (kind(c), c.len_utf8())),
            }
        };
        let (k, n) = at(i);
        if k == Kind::Space {
            i += n;
            continue;
        }
        let start = i;
        i += n;
        if k != Kind::Sign {
            loop {
                // Past the end, `at` reads a space.
                let (next, n) = at(i);
                if next != k {
                    break;
                }
                i += n;
            }
        }
        let t = text.get(start..i).unwrap_or_default();
        let (h, t) = if k == Kind::Digit {
            (digits, "<number>")
        } else {
            (token_hash(t.as_bytes()), t)
        };
        if !f(h, t) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::MessageClass;

    fn collect(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        tokens(text, |_, t| {
            out.push(t.to_string());
            true
        });
        out
    }

    #[test]
    fn tokens_are_words_numbers_and_signs() {
        assert_eq!(
            collect("your order #1042: $31.00 (10% off) — größe"),
            [
                "your", "order", "<number>", "$", "<number>", "<number>", "<number>", "%", "off",
                "größe"
            ]
        );
        assert_eq!(collect(""), Vec::<String>::new());
        assert_eq!(collect("$$"), ["$", "$"]);
    }

    #[test]
    fn the_shipped_subject_model_parses_and_reads_subjects() {
        let m = SubjectModel::builtin();
        assert_eq!(
            SubjectModel::from_bytes(&m.to_bytes()).unwrap().to_bytes(),
            m.to_bytes()
        );
        assert!(m.sells("reset your password") < 0.5);
        assert!(m.sells("a little something for you, sam") > 0.9);
        // One kind of model is never read as the other.
        assert_eq!(
            WordingModel::from_bytes(&m.to_bytes()).unwrap_err(),
            WordingModelError::Kind
        );
        assert_eq!(
            SubjectModel::from_bytes(&WordingModel::builtin().to_bytes()).unwrap_err(),
            WordingModelError::Kind
        );
        // Quoted words are not stop-words.
        let words = m.leading_words("a little something for you, sam", 4);
        assert!(
            !words.is_empty() && words.iter().all(|w| w.contains(' ') || w.len() >= 4),
            "{words:?}"
        );
    }

    #[test]
    fn the_shipped_model_parses_and_round_trips() {
        let m = WordingModel::builtin();
        assert_eq!(m.bits, 15);
        let again = WordingModel::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn bad_bytes_are_refused() {
        let good = WordingModel::builtin().to_bytes();
        assert_eq!(
            WordingModel::from_bytes(b"CWM"),
            Err(WordingModelError::Length {
                expected: HEADER,
                found: 3
            })
        );
        let mut bad = good.clone();
        bad[0] = b'X';
        assert_eq!(
            WordingModel::from_bytes(&bad),
            Err(WordingModelError::Magic)
        );
        let mut bad = good.clone();
        bad[4] = 40;
        assert_eq!(
            WordingModel::from_bytes(&bad),
            Err(WordingModelError::Size { bits: 40 })
        );
        let mut bad = good.clone();
        bad[8..12].copy_from_slice(&f32::NAN.to_le_bytes());
        assert_eq!(
            WordingModel::from_bytes(&bad),
            Err(WordingModelError::Scale)
        );
        assert!(matches!(
            WordingModel::from_bytes(&good[..good.len() - 1]),
            Err(WordingModelError::Length { .. })
        ));
    }

    #[test]
    fn a_small_model_learns_its_examples() {
        let examples = [
            (
                "your order has shipped",
                "tracking number 0 arrives tuesday",
                MessageClass::Transactional(TransactionalCategory::Delivery),
            ),
            (
                "big summer sale",
                "shop now and save 0 % on everything",
                MessageClass::Promotional,
            ),
            (
                "our quarterly newsletter",
                "stories from the team this season",
                MessageClass::Undetermined,
            ),
        ];
        let m = WordingModel::train(examples.iter().copied(), 10).unwrap();
        let s = m.score("summer sale", "shop now");
        assert!(s.promotional > s.transactional && s.promotional > s.undetermined);
        let s = m.score("your order", "tracking number");
        assert!(s.transactional > 0.5);
        assert_eq!(s.category, TransactionalCategory::Delivery);
        assert!(m
            .leading_words("your order has shipped", "", 1, 3)
            .iter()
            .any(|w| w.contains("order") || w.contains("shipped")));
        assert!(WordingModel::train(examples.iter().copied(), 7).is_err());
    }

    proptest::proptest! {
        /// Bytes that are not a model are refused with a typed error, never
        /// a panic; any text gets probabilities that sum to one.
        #[test]
        fn hostile_bytes_and_text_never_panic(
            tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            bits in 0u8..32,
            subject in ".{0,80}",
            body in ".{0,400}",
        ) {
            let mut bytes = MAGIC.to_vec();
            bytes.extend_from_slice(&[bits, LANES as u8, 0, 0]);
            bytes.extend_from_slice(&tail);
            let _ = WordingModel::from_bytes(&bytes);
            let _ = WordingModel::from_bytes(&tail);
            let s = WordingModel::builtin().score(&subject, &body);
            let total = s.promotional + s.transactional + s.undetermined;
            proptest::prop_assert!((total - 1.0).abs() < 1e-4, "{total}");
            proptest::prop_assert!(s.body_tokens <= BODY_TOKENS);
        }
    }

    #[test]
    fn a_score_overrules_only_where_the_rule_says() {
        let receipt = MessageClass::Transactional(TransactionalCategory::Transaction);
        let score = |p: f32, t: f32, u: f32, body_tokens: usize| WordingScore {
            promotional: p,
            transactional: t,
            undetermined: u,
            category: TransactionalCategory::Delivery,
            body_tokens,
        };
        // Commercial content found: never changed, however sure the model.
        assert_eq!(
            score(0.0, 1.0, 0.0, 150).overrules(MessageClass::Promotional),
            None
        );
        // Found transactional: kept at 0.3, changed below it, to the class
        // the wording favours.
        assert_eq!(score(0.5, 0.3, 0.2, 150).overrules(receipt), None);
        assert_eq!(
            score(0.6, 0.29, 0.11, 150).overrules(receipt),
            Some(MessageClass::Promotional)
        );
        assert_eq!(
            score(0.1, 0.2, 0.7, 150).overrules(receipt),
            Some(MessageClass::Undetermined)
        );
        // No cue: decided from 0.9, with the wording's category.
        assert_eq!(
            score(0.05, 0.9, 0.05, 150).overrules(MessageClass::Undetermined),
            Some(MessageClass::Transactional(TransactionalCategory::Delivery))
        );
        assert_eq!(
            score(0.95, 0.0, 0.05, 150).overrules(MessageClass::Undetermined),
            Some(MessageClass::Promotional)
        );
        assert_eq!(
            score(0.85, 0.1, 0.05, 150).overrules(MessageClass::Undetermined),
            None
        );
        // Too few words: never changed.
        assert_eq!(score(1.0, 0.0, 0.0, 29).overrules(receipt), None);
        assert_eq!(
            score(0.0, 1.0, 0.0, 29).overrules(MessageClass::Undetermined),
            None
        );
        // Promotional on a hint alone: transactional from 0.95, undetermined
        // from 0.9, never promotional-to-promotional, never on few words.
        assert_eq!(
            score(0.03, 0.95, 0.02, 150).overrules_hint(),
            Some(MessageClass::Transactional(TransactionalCategory::Delivery))
        );
        assert_eq!(score(0.06, 0.94, 0.0, 150).overrules_hint(), None);
        assert_eq!(
            score(0.05, 0.05, 0.9, 150).overrules_hint(),
            Some(MessageClass::Undetermined)
        );
        assert_eq!(score(0.11, 0.0, 0.89, 150).overrules_hint(), None);
        assert_eq!(score(1.0, 0.0, 0.0, 150).overrules_hint(), None);
        assert_eq!(score(0.0, 1.0, 0.0, 29).overrules_hint(), None);
        // Promotional by the order test, transactional content first:
        // transactional from 0.95 only.
        assert_eq!(
            score(0.04, 0.95, 0.01, 150).overrules_order_test(),
            Some(MessageClass::Transactional(TransactionalCategory::Delivery))
        );
        assert_eq!(score(0.06, 0.94, 0.0, 150).overrules_order_test(), None);
        assert_eq!(score(0.0, 0.0, 1.0, 150).overrules_order_test(), None);
        assert_eq!(score(0.0, 1.0, 0.0, 29).overrules_order_test(), None);
    }

    #[test]
    fn reading_stops_after_the_body_tokens() {
        let long = "word ".repeat(BODY_TOKENS);
        assert!(!WordingModel::reads_past(&long));
        assert!(WordingModel::reads_past(&format!("{long} more")));
        let m = WordingModel::builtin();
        let tail_a = format!("{long} sale sale sale");
        let tail_b = format!("{long} order receipt");
        assert_eq!(m.score("hi", &tail_a), m.score("hi", &tail_b));
    }
}
