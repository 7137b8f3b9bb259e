//! The classifier's lexicons: regex cues per language, serde-loadable,
//! validated on load.

use std::collections::BTreeMap;

use regex_syntax::hir::{Hir, HirKind, Look};
use serde::{Deserialize, Serialize};

use super::normalize::is_normal_char;
use super::TransactionalCategory;

/// The cues the classifier looks for, as regex patterns (the `regex`
/// crate's syntax), in one language.
///
/// Patterns match the *normalised* text of a message (see
/// [`normalize`](super::normalize)): lowercase, no diacritics, one space
/// between words, ASCII quotes and dashes. Write them that way
/// (`reinitialiser`, not `Réinitialiser`); [`Lexicon::validate`] refuses a
/// literal that normalised text can never contain. `\b` (and `\<`, `\>`,
/// `\b{start}` and their kind) is an ASCII word boundary, so a non-ASCII
/// character in the message does not slow matching down. A pattern that
/// can match the empty string anywhere, even only at a word boundary, is
/// refused ([`LexiconError::MatchesEmpty`]).
///
/// Begin every pattern (every top-level alternative) with `\b`: all
/// patterns run as one matcher that searches only where some pattern can
/// begin, and one that can begin on any character (`[!.:] upgrade …`)
/// makes every byte such a place; with a long gap after that start
/// (`.{0,200}sale`) a measurement was sixty times slower. Prefer ASCII
/// classes (`[a-z0-9]`, `[ ,.:-]`) to the Unicode shorthands (`\w`, `\W`,
/// `\s`, `\d`): each is hundreds of byte ranges, and one `\W{1,3}` in a
/// shipped pattern made a stream of new mail three times slower the
/// second time through (the matcher's states no longer fit its cache;
/// the shipped lexicons are tested to use none). Avoid two long
/// gaps in one pattern with a word between them that may repeat inside
/// the first (`seminar .{0,80}wird .{0,60}verschoben`): text written
/// against that shape makes the matcher build state after state. Anchors
/// (`^`, `$`) are refused ([`LexiconError::Anchored`]): normalised text
/// has no lines.
///
/// `promotional` cues mark commercial content; `transactional` cues mark
/// each statutory category of transactional or relationship content
/// (15 U.S.C. 7702(17)(A)). The crate ships English, French, German and
/// Spanish lexicons ([`Lexicon::builtin`]); a host can load its own from
/// JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lexicon {
    /// The language the cues are written in (a BCP 47 tag such as `en`), for
    /// people reading the file; matching ignores it.
    #[serde(default)]
    pub language: Option<String>,
    /// Cues of commercial advertisement or promotion.
    pub promotional: Vec<String>,
    /// Weak commercial evidence (prices, calls to buy, product launches),
    /// read only when a message has no other cue of either kind: a message
    /// that would otherwise be undetermined but shows these is promotional.
    #[serde(default)]
    pub promotional_hints: Vec<String>,
    /// Cues of transactional or relationship content, by category.
    pub transactional: BTreeMap<TransactionalCategory, Vec<String>>,
    /// References to an account rather than content about it (customer,
    /// member and contract numbers, reference codes, meter figures, a
    /// payment method), by category. They count as transactional cues when
    /// a message has no commercial content, but never make commercial
    /// content transactional: a message whose only transactional cues are
    /// references is commercial, and references carry no weight when the
    /// commercial part is weighed against the transactional one (an ad that
    /// quotes the reader's customer number is still an ad; 16 CFR 316.3
    /// weighs transactional *content*).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub transactional_references: BTreeMap<TransactionalCategory, Vec<String>>,
    /// Figures that are neither an offer nor a transaction: statistics
    /// reported in a bulletin ("rose 3.2%", "subió un 4,1 %", "progresse de
    /// 2,1 %"), and phrases that hold a cue's words without being one
    /// ("Admin-Zugang zum Shop"). A neutral match is consumed and is never a cue, so a
    /// commercial pattern cannot match inside it ("1 % en" in "subió un
    /// 4,1 % en marzo"). Neutral patterns come after every other pattern
    /// of the lexicon: where a cue starts at the same place, the cue wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub neutral: Vec<String>,
}

/// A lexicon that cannot be used.
///
/// A configuration error: fix the lexicon file; do not start with it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LexiconError {
    /// A pattern does not compile.
    #[error("pattern `{pattern}` in `{group}` does not compile")]
    BadPattern {
        /// `promotional` or `transactional.<category>`.
        group: String,
        /// The pattern.
        pattern: String,
        /// The regex engine's error.
        #[source]
        source: Box<regex_automata::meta::BuildError>,
    },
    /// A pattern can match the empty string, anywhere or in some context
    /// (`x*`, `\b`, `\bx*\b`): a match of nothing is no cue.
    #[error("pattern `{pattern}` in `{group}` matches the empty string")]
    MatchesEmpty {
        /// `promotional` or `transactional.<category>`.
        group: String,
        /// The pattern.
        pattern: String,
    },
    /// A pattern has a literal that normalised text never contains (an
    /// uppercase letter, an accent, `ß`, a typographic quote).
    #[error("pattern `{pattern}` in `{group}` uses `{found}`, which normalised text never contains: write it lowercase, without diacritics")]
    NotNormalised {
        /// `promotional` or `transactional.<category>`.
        group: String,
        /// The pattern.
        pattern: String,
        /// The offending character.
        found: char,
    },
    /// A pattern uses a start or end anchor (`^`, `$`, `\A`, `\z`). Cues
    /// are found anywhere in the subject and the body, and normalised text
    /// has no lines for an anchor to mean.
    #[error("pattern `{pattern}` in `{group}` is anchored (`^`, `$`): cues are matched anywhere in the text")]
    Anchored {
        /// `promotional` or `transactional.<category>`.
        group: String,
        /// The pattern.
        pattern: String,
    },
    /// There are no promotional or no transactional patterns at all.
    #[error("the lexicons have no {0} patterns")]
    Empty(&'static str),
    /// The matcher over the patterns could not be built (the patterns
    /// together exceed the automaton's size limits).
    #[error("the lexicons' matcher could not be built: {reason}")]
    Prefilter {
        /// The builder's message.
        reason: String,
    },
    /// A built-in lexicon file does not parse (a build defect).
    #[error("the built-in `{language}` lexicon does not parse")]
    Builtin {
        /// The language.
        language: &'static str,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}

/// Which group a compiled pattern belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Group {
    Promotional,
    Transactional(TransactionalCategory),
    /// An account reference ([`Lexicon::transactional_references`]).
    Reference(TransactionalCategory),
}

impl Group {
    fn name(self) -> String {
        match self {
            Group::Promotional => "promotional".to_owned(),
            Group::Transactional(c) => format!("transactional.{}", c.as_str()),
            Group::Reference(c) => format!("transactional_references.{}", c.as_str()),
        }
    }

    /// The name of an entry's group (`None`: a neutral pattern).
    fn name_of(group: Option<Group>) -> String {
        group.map_or_else(|| "neutral".to_owned(), Group::name)
    }
}

/// Rewrite `\b` and `\B` to their ASCII forms. A Unicode word boundary makes
/// the lazy DFA give up on any non-ASCII byte and fall back to a far slower
/// engine; normalised text is ASCII for the four shipped languages.
pub(crate) fn ascii_boundaries(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                // `\b{start}` and its kind stay as written (the matcher
                // reads them in ASCII form, see `ascii_look`).
                Some('b') if chars.clone().next() == Some('{') => out.push_str(r"\b"),
                Some('b') => out.push_str(r"(?-u:\b)"),
                Some('B') => out.push_str(r"(?-u:\B)"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The first literal character of `hir` that normalisation never produces.
fn unnormal_literal(hir: &Hir) -> Option<char> {
    match hir.kind() {
        HirKind::Literal(lit) => std::str::from_utf8(&lit.0)
            .ok()?
            .chars()
            .find(|&c| !is_normal_char(c)),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => hs.iter().find_map(unnormal_literal),
        HirKind::Repetition(r) => unnormal_literal(&r.sub),
        HirKind::Capture(c) => unnormal_literal(&c.sub),
        HirKind::Empty | HirKind::Class(_) | HirKind::Look(_) => None,
    }
}

const BUILTIN: [(&str, &str); 4] = [
    ("en", include_str!("lexicons/en.json")),
    ("fr", include_str!("lexicons/fr.json")),
    ("de", include_str!("lexicons/de.json")),
    ("es", include_str!("lexicons/es.json")),
];

impl Lexicon {
    /// A shipped lexicon by language: `en`, `fr`, `de` or `es`.
    ///
    /// # Errors
    ///
    /// [`LexiconError::Builtin`] if the shipped file does not parse (a test
    /// guards against it); `None` inside for an unknown language.
    pub fn builtin_language(language: &str) -> Result<Option<Lexicon>, LexiconError> {
        BUILTIN
            .iter()
            .find(|(l, _)| *l == language)
            .map(|(l, text)| {
                serde_json::from_str(text).map_err(|source| LexiconError::Builtin {
                    language: l,
                    source,
                })
            })
            .transpose()
    }

    /// The four shipped lexicons: English, French, German and Spanish.
    ///
    /// # Errors
    ///
    /// As [`Lexicon::builtin_language`].
    pub fn builtin() -> Result<Vec<Lexicon>, LexiconError> {
        BUILTIN
            .iter()
            .map(|(l, text)| {
                serde_json::from_str(text).map_err(|source| LexiconError::Builtin {
                    language: l,
                    source,
                })
            })
            .collect()
    }

    /// Check every pattern of this lexicon, and build the matcher a
    /// [`Classifier`](super::Classifier) would run over it, so that what
    /// passes here also loads there.
    ///
    /// # Errors
    ///
    /// The first [`LexiconError`] found.
    pub fn validate(&self) -> Result<(), LexiconError> {
        let compiled = compile(std::slice::from_ref(self))?;
        super::matcher::Matcher::new(&compiled.patterns)
            .map(|_| ())
            .map_err(|reason| LexiconError::Prefilter { reason })
    }

    /// Every pattern with its group (`None`: neutral), neutral ones last.
    fn entries(&self) -> impl Iterator<Item = (Option<Group>, &String)> {
        let promo = self
            .promotional
            .iter()
            .map(|p| (Some(Group::Promotional), p));
        let trans = self.transactional.iter().flat_map(|(cat, ps)| {
            ps.iter()
                .map(move |p| (Some(Group::Transactional(*cat)), p))
        });
        let refs = self
            .transactional_references
            .iter()
            .flat_map(|(cat, ps)| ps.iter().map(move |p| (Some(Group::Reference(*cat)), p)));
        let neutral = self.neutral.iter().map(|p| (None, p));
        promo.chain(trans).chain(refs).chain(neutral)
    }

    /// Every pattern rewritten for matching, joined into one
    /// ASCII-case-insensitive alternation: what a single multi-pattern
    /// `regex` pass over a message would use (the classification bench
    /// uses it as its baseline).
    pub fn combined_pattern(lexicons: &[Lexicon]) -> String {
        lexicons
            .iter()
            .flat_map(Lexicon::entries)
            .map(|(_, p)| format!("(?i:{})", ascii_boundaries(p)))
            .collect::<Vec<_>>()
            .join("|")
    }
}

/// The most times an open-ended repetition (`+`, `*`, `{n,}`) of one
/// character repeats in a lexicon pattern: `[a-z]+` matches words of up to
/// 64 letters. Bounding every pattern's match length is what lets the
/// classifier stop reading a long body once its first cues are settled.
pub const MAX_REPEAT: u32 = 64;
/// The most times an open-ended repetition of a group repeats:
/// `(?:\.[0-9]+)+` matches up to 8 parts.
pub const MAX_GROUP_REPEAT: u32 = 8;

/// `hir` with every open-ended repetition bounded ([`MAX_REPEAT`] for one
/// character, [`MAX_GROUP_REPEAT`] for a group, or the minimum when that
/// is more).
fn bounded(hir: Hir) -> Hir {
    use regex_syntax::hir::{Capture, Repetition};
    match hir.into_kind() {
        HirKind::Repetition(r) => {
            let one_char = matches!(r.sub.kind(), HirKind::Class(_))
                || matches!(r.sub.kind(), HirKind::Literal(l) if std::str::from_utf8(&l.0).is_ok_and(|s| s.chars().count() == 1));
            let cap = if one_char {
                MAX_REPEAT
            } else {
                MAX_GROUP_REPEAT
            };
            Hir::repetition(Repetition {
                min: r.min,
                max: Some(r.max.unwrap_or(cap.max(r.min))),
                greedy: r.greedy,
                sub: Box::new(bounded(*r.sub)),
            })
        }
        HirKind::Capture(c) => Hir::capture(Capture {
            index: c.index,
            name: c.name,
            sub: Box::new(bounded(*c.sub)),
        }),
        HirKind::Concat(hs) => Hir::concat(hs.into_iter().map(bounded).collect()),
        HirKind::Alternation(hs) => Hir::alternation(hs.into_iter().map(bounded).collect()),
        HirKind::Empty => Hir::empty(),
        HirKind::Literal(l) => Hir::literal(l.0),
        HirKind::Class(c) => Hir::class(c),
        HirKind::Look(l) => Hir::look(ascii_look(l)),
    }
}

/// A word-boundary assertion in its ASCII form (`\<`, `\>`, `\b{start}`
/// and the like included): the lazy DFA the matcher runs cannot read
/// Unicode word boundaries on non-ASCII text, and normalised text is ASCII
/// wherever the shipped languages' words are.
fn ascii_look(look: Look) -> Look {
    match look {
        Look::WordUnicode => Look::WordAscii,
        Look::WordUnicodeNegate => Look::WordAsciiNegate,
        Look::WordStartUnicode => Look::WordStartAscii,
        Look::WordEndUnicode => Look::WordEndAscii,
        Look::WordStartHalfUnicode => Look::WordStartHalfAscii,
        Look::WordEndHalfUnicode => Look::WordEndHalfAscii,
        other => other,
    }
}

/// `hir` without U+017F (long s) and U+212A (Kelvin sign) in its classes:
/// case-insensitive matching adds them to `s` and `k`, and normalised text
/// never holds them (compatibility decomposition maps them to `s` and
/// `k`). Used only to measure the longest match.
fn without_ascii_folds(hir: Hir) -> Hir {
    use regex_syntax::hir::{Capture, Class, ClassUnicode, ClassUnicodeRange, Repetition};
    match hir.into_kind() {
        HirKind::Class(Class::Unicode(mut c)) => {
            c.difference(&ClassUnicode::new([
                ClassUnicodeRange::new('\u{17f}', '\u{17f}'),
                ClassUnicodeRange::new('\u{212a}', '\u{212a}'),
            ]));
            Hir::class(Class::Unicode(c))
        }
        HirKind::Class(c) => Hir::class(c),
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            sub: Box::new(without_ascii_folds(*r.sub)),
            ..r
        }),
        HirKind::Capture(c) => Hir::capture(Capture {
            sub: Box::new(without_ascii_folds(*c.sub)),
            ..c
        }),
        HirKind::Concat(hs) => Hir::concat(hs.into_iter().map(without_ascii_folds).collect()),
        HirKind::Alternation(hs) => {
            Hir::alternation(hs.into_iter().map(without_ascii_folds).collect())
        }
        HirKind::Empty => Hir::empty(),
        HirKind::Literal(l) => Hir::literal(l.0),
        HirKind::Look(l) => Hir::look(l),
    }
}

/// Every pattern of several lexicons, checked and compiled.
pub(crate) struct Compiled {
    /// The promotional hints, rewritten for matching.
    pub(crate) hints: Vec<String>,
    /// Each pattern's group.
    /// Each pattern's group, by pattern id (`None`: neutral).
    pub(crate) groups: Vec<Option<Group>>,
    /// Each pattern, rewritten for matching (ASCII word boundaries, open
    /// repetitions bounded), as written: it is matched against normalised
    /// text, which is in lower case.
    pub(crate) patterns: Vec<Hir>,
    /// The longest match any pattern can make on normalised text, in
    /// bytes, matched case-insensitively.
    pub(crate) max_match_len: usize,
}

/// One lexicon pattern, checked and ready to match.
struct Checked {
    /// As written, with ASCII word boundaries (open repetitions kept).
    rewritten: String,
    /// Bounded, as written.
    hir: Hir,
    /// The longest match it can make on normalised text, in bytes.
    max_len: usize,
}

/// Check one pattern (it compiles, cannot match the empty string, and its
/// literals are in normalised form) and return it ready to match; `group`
/// names where it came from in the error.
fn checked_pattern(pattern: &str, group: impl Fn() -> String) -> Result<Checked, LexiconError> {
    let rewritten = ascii_boundaries(pattern);
    let single = regex_automata::meta::Regex::new(&rewritten).map_err(|source| {
        LexiconError::BadPattern {
            group: group(),
            pattern: pattern.to_owned(),
            source: Box::new(source),
        }
    })?;
    if single.is_match("") {
        return Err(LexiconError::MatchesEmpty {
            group: group(),
            pattern: pattern.to_owned(),
        });
    }
    if let Some(found) = regex_syntax::parse(&rewritten)
        .ok()
        .as_ref()
        .and_then(unnormal_literal)
    {
        return Err(LexiconError::NotNormalised {
            group: group(),
            pattern: pattern.to_owned(),
            found,
        });
    }
    // Bounded, and measured as matched: case-insensitively (a class of
    // two-byte letters may match three-byte case partners that
    // normalisation keeps, such as U+2C65), leaving out only the two case
    // partners of ASCII letters that normalised text never holds (the long
    // s and the Kelvin sign), which would otherwise triple every `k`.
    let parse = |case_insensitive: bool| {
        regex_syntax::ParserBuilder::new()
            .case_insensitive(case_insensitive)
            .build()
            .parse(&rewritten)
            .map(bounded)
            .map_err(|e| LexiconError::Prefilter {
                reason: format!("{}: {e}", group()),
            })
    };
    let (hir, hir_ci) = (parse(false)?, parse(true)?);
    // Empty in some context (`\b`, `\bx*\b`) is refused as well as empty
    // everywhere: a match of nothing is no cue.
    if hir.properties().minimum_len() == Some(0) {
        return Err(LexiconError::MatchesEmpty {
            group: group(),
            pattern: pattern.to_owned(),
        });
    }
    if hir.properties().look_set().contains_anchor() {
        return Err(LexiconError::Anchored {
            group: group(),
            pattern: pattern.to_owned(),
        });
    }
    let max_len = without_ascii_folds(hir_ci)
        .properties()
        .maximum_len()
        .unwrap_or(usize::MAX)
        .max(hir.properties().maximum_len().unwrap_or(usize::MAX));
    Ok(Checked {
        rewritten,
        hir,
        max_len,
    })
}

/// Check and compile every pattern of several lexicons.
pub(crate) fn compile(lexicons: &[Lexicon]) -> Result<Compiled, LexiconError> {
    let mut groups = Vec::new();
    let mut patterns = Vec::new();
    let mut max_match_len = 0;
    for (group, pattern) in lexicons.iter().flat_map(Lexicon::entries) {
        let checked = checked_pattern(pattern, || Group::name_of(group))?;
        patterns.push(checked.hir);
        max_match_len = checked.max_len.max(max_match_len);
        groups.push(group);
    }
    // Hints are read over whole texts only: they keep their open
    // repetitions.
    let hints = lexicons
        .iter()
        .flat_map(|l| l.promotional_hints.iter())
        .map(|pattern| {
            checked_pattern(pattern, || "promotional_hints".to_owned()).map(|c| c.rewritten)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !groups.contains(&Some(Group::Promotional)) {
        return Err(LexiconError::Empty("promotional"));
    }
    if !groups
        .iter()
        .any(|g| matches!(g, Some(Group::Transactional(_))))
    {
        return Err(LexiconError::Empty("transactional"));
    }
    Ok(Compiled {
        hints,
        groups,
        patterns,
        max_match_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_are_rewritten_but_escapes_kept() {
        assert_eq!(ascii_boundaries(r"\bsale\b"), r"(?-u:\b)sale(?-u:\b)");
        assert_eq!(ascii_boundaries(r"a\\b\d"), r"a\\b\d");
    }

    #[test]
    fn the_shipped_lexicons_parse_and_validate() {
        let all = Lexicon::builtin().unwrap();
        assert_eq!(all.len(), 4);
        for l in &all {
            l.validate().unwrap();
        }
        let compiled = compile(&all).unwrap();
        assert!(compiled.patterns.len() > 1000);
        assert_eq!(compiled.patterns.len(), compiled.groups.len());
        assert!(!compiled.hints.is_empty());
        // Every match is bounded, and the longest is short, so a long
        // HTML body is read only as far as its first cues need.
        for hir in &compiled.patterns {
            assert!(hir.properties().maximum_len().is_some(), "{hir}");
        }
        assert!(compiled.max_match_len <= 1024, "{}", compiled.max_match_len);
    }

    #[test]
    fn open_repetitions_are_bounded_and_lengths_are_measured_as_matched() {
        let Checked { hir, max_len, .. } =
            checked_pattern(r"\bversion [0-9]+(?:\.[0-9]+)+\b", String::new).unwrap();
        assert_eq!(max_len, "version ".len() + 64 + 8 * 65);
        let re = regex_automata::meta::Regex::builder()
            .build_from_hir(&hir)
            .unwrap();
        assert!(re.is_match("version 10.2.3"));
        // A class matched case-insensitively may match longer case
        // partners that normalised text keeps: U+2C65 (3 bytes) is the
        // partner of U+023A (2 bytes).
        let longest = checked_pattern("\\bq[\u{23a}-\u{23e}]+z\\b", String::new)
            .unwrap()
            .max_len;
        assert_eq!(longest, 1 + 64 * 3 + 1);
        // Past the bound, no match (a 65-digit part).
        assert!(!re.is_match(&format!("version {}.1", "9".repeat(65))));
        let Checked { hir, .. } =
            checked_pattern(r"\b(?:save|take) [0-9]{1,3} ?% off\b", String::new).unwrap();
        let re = regex_automata::meta::Regex::builder()
            .build_from_hir(&hir)
            .unwrap();
        assert!(re.is_match("take 20% off"));
        // An optional group stays optional (printing and re-parsing a
        // pattern once made `(?:[0-9]{2,4})?` read `[0-9]{2,4}?`).
        let Checked { hir, .. } =
            checked_pattern(r"\bzum [0-9]\.(?:[0-9]{2,4})? x\b", String::new).unwrap();
        let re = regex_automata::meta::Regex::builder()
            .build_from_hir(&hir)
            .unwrap();
        assert!(re.is_match("zum 1. x"));
    }

    /// Every shipped cue pattern, and every top-level alternative of one,
    /// starts at a word boundary: the matcher searches only where a match
    /// can begin, and a single pattern that can begin on any character
    /// makes every byte such a place.
    #[test]
    fn every_shipped_pattern_starts_at_a_word_boundary() {
        use regex_syntax::hir::Look;
        fn starts_at_boundary(h: &Hir) -> bool {
            match h.kind() {
                HirKind::Look(l) => matches!(
                    l,
                    Look::WordAscii
                        | Look::WordUnicode
                        | Look::WordStartAscii
                        | Look::WordStartUnicode
                ),
                HirKind::Concat(parts) => parts.first().is_some_and(starts_at_boundary),
                HirKind::Capture(c) => starts_at_boundary(&c.sub),
                HirKind::Alternation(alts) => alts.iter().all(starts_at_boundary),
                _ => false,
            }
        }
        for lx in Lexicon::builtin().unwrap() {
            // The hints are a separate, smaller matcher, read only when a
            // message has no cue: a price may start it.
            let cues = lx
                .promotional
                .iter()
                .chain(lx.transactional.values().flatten())
                .chain(lx.transactional_references.values().flatten());
            let loose: Vec<&String> = cues
                .filter(|p| {
                    !starts_at_boundary(&regex_syntax::parse(&ascii_boundaries(p)).unwrap())
                })
                .collect();
            assert!(loose.is_empty(), "{:?}: {loose:#?}", lx.language);
        }
    }

    /// The Unicode class shorthands (`\W`, `\S`, `\d` …) are hundreds of
    /// byte ranges each: one `\W{1,3}` in a German pattern tripled the
    /// time a stream of 1,500 corpus messages took the second time through
    /// (its states no longer fit the matcher's cache).
    #[test]
    fn no_shipped_pattern_uses_a_unicode_class_shorthand() {
        for lx in Lexicon::builtin().unwrap() {
            let wide: Vec<&String> = lx
                .entries()
                .map(|(_, p)| p)
                .chain(&lx.promotional_hints)
                .filter(|p| {
                    ["\\w", "\\W", "\\s", "\\S", "\\d", "\\D"]
                        .iter()
                        .any(|c| p.contains(c))
                })
                .collect();
            assert!(wide.is_empty(), "{:?}: {wide:#?}", lx.language);
        }
    }

    #[test]
    fn bad_patterns_are_named() {
        let mut lx = Lexicon::builtin_language("en").unwrap().unwrap();
        lx.promotional.push("(unclosed".into());
        match lx.validate() {
            Err(LexiconError::BadPattern { group, pattern, .. }) => {
                assert_eq!(group, "promotional");
                assert_eq!(pattern, "(unclosed");
            }
            other => panic!("{other:?}"),
        }
        for empty in ["x*", r"\b", r"\bx*\b", r"(?:\bsale|)\b"] {
            let mut lx = Lexicon::builtin_language("en").unwrap().unwrap();
            lx.promotional.push(empty.into());
            assert!(
                matches!(lx.validate(), Err(LexiconError::MatchesEmpty { .. })),
                "{empty}"
            );
        }
        let mut lx = Lexicon::builtin_language("fr").unwrap().unwrap();
        lx.promotional.push("Réduction".into());
        assert!(matches!(
            lx.validate(),
            Err(LexiconError::NotNormalised { found: 'R', .. })
        ));
        for anchored in ["^sale now", "(?:^|\\. )get 5% off", "last chance$"] {
            let mut lx = Lexicon::builtin_language("en").unwrap().unwrap();
            lx.promotional.push(anchored.into());
            assert!(
                matches!(lx.validate(), Err(LexiconError::Anchored { .. })),
                "{anchored}"
            );
        }
    }
}
