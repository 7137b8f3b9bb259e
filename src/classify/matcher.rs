//! The lexicons' patterns, searched only where a match can begin.
//!
//! One lazy DFA holds every pattern (leftmost-first, in lexicon order) and
//! is only ever searched *anchored*: at a position where some pattern can
//! begin, it says whether one matches there, which, and where the match
//! ends. Where a pattern can begin is worked out once, when the classifier
//! is built: for each kind of byte before the position (none, an ASCII
//! word byte, a line feed, a carriage return, any other byte: the five
//! start states the DFA tells apart) and each byte at it, whether the
//! DFA's anchored start state survives that byte. Every shipped pattern
//! begins with a word boundary, so inside a word almost nothing can begin
//! (for the shipped lexicons, 36 bytes after a space or at the start, 5
//! after a word byte).
//!
//! Why not one unanchored pass of the alternation of every pattern, which
//! the `regex` crate would build: its lazy DFA tracks every pattern that
//! might have started at every earlier byte, so nearly every new text
//! reaches states no earlier text did, and building them costs far more
//! than the search. Over the corpus's 7,565 distinct messages, once each,
//! that pass spent nine tenths of its time building states (about 1.4 ms a
//! message of 485 bytes on average, with 64 MB of states never enough to
//! keep them); on ordinary text the anchored states are the prefixes of
//! the patterns themselves, built once and kept, growing slowly with the
//! variety of the text (12 MB after 1,500 corpus messages, a one-off
//! measurement with 1,739 patterns). (Text
//! written against one pattern's shape can still make many states: a
//! pattern with two long gaps, the second after a word that may repeat
//! inside the first, made a megabyte of such text take two seconds, and
//! the shipped lexicons have none left; the cache is a ceiling, and a
//! full cache is cleared and refilled, never a wrong answer.)
//!
//! The matches are exactly those of the alternation searched from the
//! start (`find_iter`), for patterns that cannot match the empty string
//! (the lexicon refuses those): the alternation's next match starts at the
//! first position where some pattern matches, and at that position it is
//! the leftmost-first choice among the patterns, which is what the
//! anchored multi-pattern search picks. The unit tests below compare the
//! two on the bench bodies, on chosen strings and on random texts, with a
//! cache small enough to be cleared during the search.

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

/// The lazy-DFA room for anchored states, per thread that classifies: a
/// ceiling, filled only by the states searches reach (for the shipped
/// lexicons, 12 MB after 1,500 of the corpus's messages and 44 MB after
/// all 9,065, a one-off measurement with 1,739 patterns: each new message
/// adds a little). A full cache is cleared
/// and refilled; at 16 MB a stream of 1,500 messages cleared it on every
/// pass and took two and a half times as long the second time.
const CACHE_CAPACITY: usize = 32 << 20;

/// A match: where it starts and ends, and the index of its pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    /// Byte offset of the match's first byte.
    pub start: usize,
    /// Byte offset just past the match.
    pub end: usize,
    /// Index of the pattern, in the order the patterns were given.
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
        Self::with_capacity(patterns, CACHE_CAPACITY)
    }

    /// [`new`](Self::new) with another cache ceiling (tests use the
    /// smallest the DFA allows, so that searches clear it).
    pub(crate) fn with_capacity(patterns: &[Hir], capacity: usize) -> Result<Matcher, String> {
        let nfa = thompson::Compiler::new()
            .configure(thompson::Config::new().nfa_size_limit(Some(256 << 20)))
            .build_many_from_hir(patterns)
            .map_err(|e| e.to_string())?;
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::LeftmostFirst)
                    .cache_capacity(capacity)
                    // Below the least the DFA needs, it uses that least
                    // (what the tests ask for), rather than refusing.
                    .skip_cache_capacity_check(true),
            )
            .build_from_nfa(nfa)
            .map_err(|e| e.to_string())?;
        // What makes a search error impossible (no byte that stops the
        // search, no giving up on a full cache): checked, not assumed, so
        // that a change of configuration cannot make `each` skip a place
        // silently.
        let config = dfa.get_config();
        if config.get_minimum_cache_clear_count().is_some()
            || (0..=255u8).any(|b| config.get_quit(b))
        {
            return Err("the matcher's lazy DFA could give up on a search".to_owned());
        }
        let mut cache = dfa.create_cache();
        let mut starts = Box::new([[false; 256]; CONTEXTS]);
        for (row, before) in starts.iter_mut().zip(CONTEXT_BYTES) {
            let config = start::Config::new()
                .anchored(Anchored::Yes)
                .look_behind(before);
            for (byte, can) in (0..=255u8).zip(row.iter_mut()) {
                // Asked again for every byte: a state id is valid only
                // until the cache is next cleared, which any step may do.
                let sid = dfa
                    .start_state(&mut cache, &config)
                    .map_err(|e| e.to_string())?;
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
    pub(crate) fn each(&self, text: &str, f: impl FnMut(Found) -> bool) {
        self.each_in(&mut self.caches.get(), text, f);
    }

    /// [`each`](Self::each) with a given cache.
    fn each_in(&self, cache: &mut Cache, text: &str, mut f: impl FnMut(Found) -> bool) {
        let bytes = text.as_bytes();
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
                // Cannot fail as built (see `with_capacity`).
                let found = self
                    .dfa
                    .try_search_fwd(cache, &input)
                    .ok()
                    .flatten()
                    .map(|m| (m.offset(), m.pattern().as_usize()));
                if let Some((end, pattern)) = found {
                    if end > at {
                        if !f(Found {
                            start: at,
                            end,
                            pattern,
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

    /// The shipped patterns three ways: this matcher (with its usual cache,
    /// and with the smallest cache the DFA allows, cleared again and again
    /// while searching), the alternation of the same patterns as the
    /// classifier compiles them (what the matches must equal), and a
    /// multi-pattern regex searched anchored (which pattern each is).
    struct Oracles {
        matcher: Matcher,
        small: Matcher,
        alternation: regex_automata::meta::Regex,
        which: regex_automata::meta::Regex,
    }

    fn oracles() -> &'static Oracles {
        static ORACLES: OnceLock<Oracles> = OnceLock::new();
        ORACLES.get_or_init(|| {
            let compiled = compile(&Lexicon::builtin().unwrap()).unwrap();
            let mut meta = regex_automata::meta::Builder::new();
            meta.configure(
                regex_automata::meta::Config::new()
                    .nfa_size_limit(Some(256 << 20))
                    .hybrid_cache_capacity(256 << 20),
            );
            Oracles {
                matcher: Matcher::new(&compiled.patterns).unwrap(),
                small: Matcher::with_capacity(&compiled.patterns, 0).unwrap(),
                alternation: meta
                    .build_from_hir(&Hir::alternation(compiled.patterns.clone()))
                    .unwrap(),
                which: meta.build_many_from_hir(&compiled.patterns).unwrap(),
            }
        })
    }

    fn matches(matcher: &Matcher, text: &str) -> Vec<Found> {
        let mut out = Vec::new();
        matcher.each(text, |m| {
            out.push(m);
            true
        });
        out
    }

    /// The matcher's matches in `text` are the alternation's, each named
    /// as the anchored search names it; returns how many there were.
    fn check_same(text: &str) -> Result<usize, TestCaseError> {
        let o = oracles();
        let ours = matches(&o.matcher, text);
        let spans: Vec<(usize, usize)> = ours.iter().map(|m| (m.start, m.end)).collect();
        let theirs: Vec<(usize, usize)> = o
            .alternation
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
        prop_assert_eq!(&spans, &theirs, "in {:?}", text);
        for m in &ours {
            let input = Input::new(text).range(m.start..).anchored(Anchored::Yes);
            let named = o
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
        ] {
            let text = normalize(body);
            found += check_same(&text).unwrap();
            // A cache cleared during the search changes nothing.
            assert_eq!(
                matches(&oracles().small, &text),
                matches(&oracles().matcher, &text)
            );
        }
        // The bodies hold hundreds of matches: the comparison is not empty.
        assert!(found > 300, "{found}");
    }

    /// Places where the byte before a match decides whether it can begin.
    #[test]
    fn finds_what_the_alternation_finds_at_chosen_places() {
        let long_version = format!("version 1.{}", "7".repeat(70));
        let long_word = format!("{}ing sale", "a".repeat(65));
        for text in [
            // A non-ASCII byte, a word byte, the start and the end of the
            // text right before or after a cue.
            "€20% off", "°20% off", "ü20% off", "中20% off", "_20% off", "x20% off",
            "20% off", "it is 20% off",
            // A match that begins with a sign right after a word (`\b$`),
            // after an earlier match that ends on that word.
            "shop now$5 a month for you. shop now$5 a month for you. sale$9 per week until",
            "20% off$5 a month for you",
            // Repetitions at and past their bound.
            &long_version, &long_word,
            "thank you for your order #58213 at \"cafe lea\". order total: 42,00 €. don't miss our new collection: 15% off with coupon summer.",
            "votre commande est confirmee. ihre bestellung wurde versandt. tu pedido ya salio. 3 + 1 gratis, 10 % naturalrabatt ab 12 stuck.",
        ] {
            check_same(text).unwrap();
            assert_eq!(matches(&oracles().small, text), matches(&oracles().matcher, text), "{text}");
        }
        assert!(check_same("it is 20% off").unwrap() > 0);
        assert!(check_same("shop now$5 a month for you").unwrap() > 1);
    }

    /// Text written against a pattern with two long gaps makes state
    /// after state; with the smallest cache, searches clear it over and
    /// over, and the matches stay the alternation's.
    #[test]
    fn a_cache_cleared_while_searching_changes_nothing() {
        let mut lx = Lexicon::builtin_language("en").unwrap().unwrap();
        lx.promotional = vec![
            r"\b[a-z]*seminar .{0,80}\bwird .{0,60}\bverschoben\b".into(),
            r"\b[0-9]+ ?% off\b".into(),
        ];
        let compiled = compile(&[lx]).unwrap();
        let small = Matcher::with_capacity(&compiled.patterns, 0).unwrap();
        let alternation = regex_automata::meta::Regex::builder()
            .build_from_hir(&Hir::alternation(compiled.patterns.clone()))
            .unwrap();
        let words = ["seminar ", "wird ", "x ", "ab ", "verschoben ", "20% off "];
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let text: String = (0..6_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                words[(x % words.len() as u64) as usize]
            })
            .collect();
        let mut cache = small.dfa.create_cache();
        let mut ours = Vec::new();
        small.each_in(&mut cache, &text, |m| {
            ours.push((m.start, m.end));
            true
        });
        assert!(cache.clear_count() > 0, "the cache was never cleared");
        let theirs: Vec<(usize, usize)> = alternation
            .find_iter(&text)
            .map(|m| (m.start(), m.end()))
            .collect();
        assert!(ours.len() > 100);
        assert_eq!(ours, theirs);
    }

    #[test]
    fn stops_when_asked() {
        let text = normalize("20% off. 30% off. 40% off. Shop now.");
        let mut seen = 0;
        oracles().matcher.each(&text, |_| {
            seen += 1;
            seen < 2
        });
        assert_eq!(seen, 2);
    }

    /// A host's own patterns may use Unicode word boundaries (`\<`, `\>`,
    /// `\b{start}`): they are read in ASCII form and load.
    #[test]
    fn unicode_word_boundaries_are_read_as_ascii() {
        for pattern in [r"\<zorblat\>", r"\bzorblat\>", r"\b{start}zorblat\b{end}"] {
            let mut lx = Lexicon::builtin_language("en").unwrap().unwrap();
            lx.promotional.push(pattern.into());
            lx.validate().unwrap();
            let compiled = compile(&[lx]).unwrap();
            let matcher = Matcher::new(&compiled.patterns).unwrap();
            assert_eq!(
                matches(&matcher, "a zorblat, not azorblat")
                    .iter()
                    .map(|m| (m.start, m.end))
                    .collect::<Vec<_>>(),
                [(2, 9)],
                "{pattern}"
            );
        }
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
            "ü",
            "中",
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
            check_same(&normalize(&text))?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn finds_what_the_alternation_finds_in_any_text(text in "\\PC{0,120}") {
            check_same(&normalize(&text))?;
        }
    }
}
