//! The lexicons' patterns, searched only where a match can begin.
//!
//! One lazy DFA holds every pattern (leftmost-first, in lexicon order) and
//! is only ever searched *anchored*: at a position where some pattern can
//! begin, it says whether one matches there, which, and where the match
//! ends. Where a pattern can begin is worked out once, when the classifier
//! is built: for each kind of byte before the position (none, a word byte,
//! another byte, a line break) and each byte at it, whether the DFA's
//! anchored start state survives that byte. Every shipped pattern begins
//! with a word boundary, so inside a word almost nothing can begin.
//!
//! Why not one unanchored pass of the alternation of every pattern, which
//! the `regex` crate would build: its lazy DFA tracks every pattern that
//! might have started at every earlier byte, so nearly every new text
//! reaches states no earlier text did, and building them costs far more
//! than the search. Over the corpus's 7,565 distinct messages, once each,
//! that pass spent nine tenths of its time building states (about 1.4 ms a
//! message of 485 bytes on average, with 64 MB of states never enough to
//! keep them); the anchored states are the prefixes of the patterns
//! themselves, few enough that they are built once and kept.
//!
//! The matches are exactly those of the alternation searched from the
//! start (`find_iter`): the alternation's next match starts at the first
//! position where some pattern matches, and at that position it is the
//! leftmost-first choice among the patterns, which is what the anchored
//! multi-pattern search picks. A unit test and the corpus test check it.

use std::fmt;
use std::panic::{RefUnwindSafe, UnwindSafe};

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::pool::Pool;
use regex_automata::util::start;
use regex_automata::{Anchored, Input, MatchKind};
use regex_syntax::hir::Hir;

/// What a byte before a position can be, as the DFA's start states tell
/// them apart: no byte (the start of the text), an ASCII word byte, a line
/// feed, a carriage return, any other byte.
const CONTEXTS: usize = 5;

/// A representative byte of each context (`None`: the start of the text).
const CONTEXT_BYTES: [Option<u8>; CONTEXTS] =
    [None, Some(b'a'), Some(b'\n'), Some(b'\r'), Some(b' ')];

fn context(before: Option<u8>) -> usize {
    match before {
        None => 0,
        Some(b) if b.is_ascii_alphanumeric() || b == b'_' => 1,
        Some(b'\n') => 2,
        Some(b'\r') => 3,
        Some(_) => 4,
    }
}

type MakeCache = Box<dyn Fn() -> Cache + Send + Sync + UnwindSafe + RefUnwindSafe>;

/// The lazy-DFA room for anchored states: a ceiling, filled only by the
/// states searches reach (the prefixes of the patterns, in practice a few
/// megabytes for the shipped lexicons).
const CACHE_CAPACITY: usize = 64 << 20;

/// A match: where it starts and ends, and the index of its pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    pub start: usize,
    pub end: usize,
    pub pattern: usize,
}

/// Every pattern, searched anchored where one can begin.
pub(crate) struct Matcher {
    dfa: DFA,
    caches: Pool<Cache, MakeCache>,
    /// `starts[context][byte]`: whether a match can begin with `byte`
    /// after a byte of `context`.
    starts: Box<[[bool; 256]; CONTEXTS]>,
}

impl Matcher {
    /// The patterns (case-sensitive: the text is normalised to lower case
    /// before it is searched), in priority order.
    pub(crate) fn new(patterns: &[Hir]) -> Result<Matcher, String> {
        let nfa = thompson::Compiler::new()
            .configure(thompson::Config::new().nfa_size_limit(Some(256 << 20)))
            .build_many_from_hir(patterns)
            .map_err(|e| e.to_string())?;
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::LeftmostFirst)
                    .cache_capacity(CACHE_CAPACITY),
            )
            .build_from_nfa(nfa)
            .map_err(|e| e.to_string())?;
        let mut cache = dfa.create_cache();
        let mut starts = Box::new([[false; 256]; CONTEXTS]);
        for (row, before) in starts.iter_mut().zip(CONTEXT_BYTES) {
            let config = start::Config::new()
                .anchored(Anchored::Yes)
                .look_behind(before);
            let sid = dfa
                .start_state(&mut cache, &config)
                .map_err(|e| e.to_string())?;
            for (byte, can) in (0..=255u8).zip(row.iter_mut()) {
                let next = dfa
                    .next_state(&mut cache, sid, byte)
                    .map_err(|e| e.to_string())?;
                *can = !next.is_dead();
            }
        }
        let caches = Self::pool(&dfa);
        Ok(Matcher {
            dfa,
            caches,
            starts,
        })
    }

    fn pool(dfa: &DFA) -> Pool<Cache, MakeCache> {
        let dfa = dfa.clone();
        Pool::new(Box::new(move || dfa.create_cache()))
    }

    /// Calls `f` with each match in `text`, left to right and not
    /// overlapping, as `find_iter` over the alternation of the patterns
    /// would find them, until `f` returns `false`.
    pub(crate) fn each(&self, text: &str, mut f: impl FnMut(Found) -> bool) {
        let bytes = text.as_bytes();
        let mut cache = self.caches.get();
        let mut input = Input::new(text).anchored(Anchored::Yes);
        let mut at = 0usize;
        let mut before: Option<u8> = None;
        while let Some(&byte) = bytes.get(at) {
            let can = self
                .starts
                .get(context(before))
                .and_then(|row| row.get(usize::from(byte)))
                .copied()
                .unwrap_or(true);
            if can {
                input.set_start(at);
                // Without quit bytes or a give-up threshold the search
                // cannot fail; were it to, the position is read as no match.
                if let Ok(Some(m)) = self.dfa.try_search_fwd(&mut cache, &input) {
                    let end = m.offset();
                    if end > at {
                        if !f(Found {
                            start: at,
                            end,
                            pattern: m.pattern().as_usize(),
                        }) {
                            return;
                        }
                        before = bytes.get(end - 1).copied();
                        at = end;
                        continue;
                    }
                }
            }
            before = Some(byte);
            at += 1;
        }
    }
}

impl Clone for Matcher {
    fn clone(&self) -> Self {
        Matcher {
            dfa: self.dfa.clone(),
            caches: Self::pool(&self.dfa),
            starts: self.starts.clone(),
        }
    }
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Matcher")
            .field("patterns", &self.dfa.pattern_len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::lexicon::{compile, Lexicon};
    use crate::classify::normalize;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    /// The shipped patterns three ways: this matcher, the `regex` crate's
    /// alternation of them (what the matches must equal), and a
    /// multi-pattern meta regex searched anchored (which pattern each is).
    struct Three {
        matcher: Matcher,
        alternation: regex::Regex,
        which: regex_automata::meta::Regex,
    }

    fn three() -> &'static Three {
        static THREE: OnceLock<Three> = OnceLock::new();
        THREE.get_or_init(|| {
            let lexicons = Lexicon::builtin().unwrap();
            let compiled = compile(&lexicons).unwrap();
            Three {
                matcher: Matcher::new(&compiled.patterns).unwrap(),
                alternation: regex::RegexBuilder::new(&Lexicon::combined_pattern(&lexicons))
                    .size_limit(1 << 30)
                    .dfa_size_limit(1 << 30)
                    .build()
                    .unwrap(),
                which: regex_automata::meta::Builder::new()
                    .configure(regex_automata::meta::Config::new().nfa_size_limit(Some(256 << 20)))
                    .build_many_from_hir(&compiled.patterns)
                    .unwrap(),
            }
        })
    }

    fn check_same(text: &str) -> Result<usize, TestCaseError> {
        let t = three();
        let mut ours = Vec::new();
        t.matcher.each(text, |m| {
            ours.push(m);
            true
        });
        let spans: Vec<(usize, usize)> = ours.iter().map(|m| (m.start, m.end)).collect();
        let theirs: Vec<(usize, usize)> = t
            .alternation
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
        prop_assert_eq!(&spans, &theirs, "in {:?}", text);
        for m in &ours {
            let input = Input::new(text).range(m.start..).anchored(Anchored::Yes);
            let named = t
                .which
                .search(&input)
                .map(|w| (w.end(), w.pattern().as_usize()));
            prop_assert_eq!(
                named,
                Some((m.end, m.pattern)),
                "at {} in {:?}",
                m.start,
                text
            );
        }
        Ok(ours.len())
    }

    #[test]
    fn finds_what_the_alternation_finds_in_the_bench_bodies() {
        let mut found = 0;
        for body in [
            include_str!("../../benches/data/receipt_10k.txt"),
            include_str!("../../benches/data/notification_1k.txt"),
            &crate::classify::html_to_text(include_str!("../../benches/data/newsletter_100k.html"))
                .text,
            "Thank you for your order #58213 at “Café Léa”. Order total: 42,00 €. \
             Don’t miss our new collection: 15% off with coupon SUMMER. \
             Votre commande est confirmée. Ihre Bestellung wurde versandt. \
             Tu pedido ya salió. 3 + 1 gratis, 10 % Naturalrabatt ab 12 Stück.",
            // A match that begins with a sign right after a word (`\b$`),
            // after an earlier match that ends on that word.
            "Shop now$5 a month for you. Shop now$5 a month for you. sale$9 per week until",
        ] {
            found += check_same(&normalize(body)).unwrap();
        }
        // The bodies hold hundreds of matches: the comparison is not empty.
        assert!(found > 300, "{found}");
    }

    #[test]
    fn stops_when_asked() {
        let text = normalize("20% off. 30% off. 40% off. Shop now.");
        let mut seen = 0;
        three().matcher.each(&text, |_| {
            seen += 1;
            seen < 2
        });
        assert_eq!(seen, 2);
    }

    /// Words from every shipped language's cues and around them, digits,
    /// signs and punctuation: texts where matches start and end at every
    /// kind of place.
    fn text() -> impl Strategy<Value = String> {
        let words = prop::sample::select(vec![
            "your",
            "order",
            "has",
            "shipped",
            "off",
            "%",
            "20",
            "15,99",
            "€",
            "$",
            "save",
            "now",
            "shop",
            "password",
            "reset",
            "code",
            "is",
            "votre",
            "commande",
            "est",
            "confirmee",
            "ihre",
            "bestellung",
            "wurde",
            "versandt",
            "rabatt",
            "tu",
            "pedido",
            "descuento",
            "de",
            "la",
            "und",
            "the",
            "a",
            "-",
            ".",
            ",",
            ":",
            "!",
            "#",
            "\n",
            "free",
            "shipping",
            "on",
            "orders",
            "over",
            "sale",
            "ends",
            "today",
            "account",
            "statement",
            "invoice",
            "n°",
            "12345",
            "x",
            "_",
            "é",
            "ß",
            "naturalrabatt",
            "gratis",
            "+",
            "3",
            "1",
            "points",
            "double",
            "millas",
            "el",
            "doble",
            "month",
            "per",
            "for",
            "week",
            "£",
        ]);
        prop::collection::vec(
            (words, prop::sample::select(vec!["", " ", " ", " ", "  "])),
            0..60,
        )
        .prop_map(|ws| ws.into_iter().map(|(w, s)| format!("{w}{s}")).collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn finds_what_the_alternation_finds(text in text()) {
            check_same(&text)?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn finds_what_the_alternation_finds_in_any_text(text in "\\PC{0,120}") {
            check_same(&text)?;
        }
    }
}
