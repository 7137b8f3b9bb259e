//! The classifier's lexicon: regex cues, serde-loadable, validated on load.

use std::collections::BTreeMap;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::TransactionalCategory;

/// The cues the classifier looks for, as regex patterns (the `regex`
/// crate's syntax). Matching is case-insensitive; `\b` is an ASCII word
/// boundary, so a non-ASCII character in the message (a curly quote, ©)
/// does not slow matching down.
///
/// `promotional` cues mark commercial content; `transactional` cues mark
/// each statutory category of transactional or relationship content
/// (15 U.S.C. 7702(17)(A)). The default is an English lexicon.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lexicon {
    /// Cues of commercial advertisement or promotion.
    pub promotional: Vec<String>,
    /// Cues of transactional or relationship content, by category.
    pub transactional: BTreeMap<TransactionalCategory, Vec<String>>,
}

/// A lexicon that cannot be used.
///
/// A configuration error: fix the lexicon file; do not start with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LexiconError {
    /// A pattern does not compile.
    #[error("pattern `{pattern}` in `{group}` does not compile: {message}")]
    BadPattern {
        /// `promotional` or the transactional category.
        group: String,
        /// The pattern.
        pattern: String,
        /// The regex crate's message.
        message: String,
    },
    /// A pattern matches the empty string (it would match everywhere).
    #[error("pattern `{pattern}` in `{group}` matches the empty string")]
    MatchesEmpty {
        /// `promotional` or the transactional category.
        group: String,
        /// The pattern.
        pattern: String,
    },
    /// There are no promotional or no transactional patterns at all.
    #[error("the lexicon has no {0} patterns")]
    Empty(&'static str),
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|p| (*p).to_owned()).collect()
}

impl Default for Lexicon {
    fn default() -> Self {
        let mut transactional = BTreeMap::new();
        transactional.insert(
            TransactionalCategory::Transaction,
            s(&[
                r"\border (confirmation|confirmed|number|no\.?|#)",
                r"\byour (order|purchase|booking|reservation)\b",
                r"\b(receipt|invoice)\b",
                r"\bpayment (received|confirmation|processed|of \$?\d)",
                r"\bthank you for your (order|purchase|payment)\b",
                r"\border total\b",
                r"\bamount (paid|charged)\b",
                r"\b(booking|reservation) (is )?confirmed\b",
            ]),
        );
        transactional.insert(
            TransactionalCategory::WarrantyRecallSafetySecurity,
            s(&[
                r"\b(product )?recall(ed)?\b",
                r"\bwarranty (claim|information|registration|coverage|expires)",
                r"\bsafety (notice|alert|information|warning)\b",
                r"\bsecurity (alert|notice|update|warning)\b",
                r"\bpassword (reset|was changed|change request)\b",
                r"\bsuspicious (activity|log-?in|sign-?in)\b",
                r"\bnew (sign-?in|log-?in) (to|on) your account\b",
                r"\bverification code\b",
            ]),
        );
        transactional.insert(
            TransactionalCategory::AccountNotice,
            s(&[
                r"\b(account|monthly|annual|billing|loan) statement\b",
                r"\bstatement (is )?(now )?(available|ready)\b",
                r"\baccount (balance|status|standing)\b",
                r"\byour balance\b",
                r"\bchanges? to (our|your|the) (terms|membership|agreement|subscription|plan)\b",
                r"\b(terms|agreement) (have|has) changed\b",
                r"\bmembership (renewal|terms|status|expires|is expiring)\b",
                r"\bsubscription (renewal|expires|will renew|has been (renewed|cancelled|canceled))\b",
                r"\bpayment (is )?(due|overdue)\b",
                r"\binterest rate\b",
            ]),
        );
        transactional.insert(
            TransactionalCategory::Employment,
            s(&[
                r"\bbenefits? (enrol?lment|statement|plan|summary|election)",
                r"\bopen enrol?lment\b",
                r"\b(payroll|pay ?stub|pay ?slip)\b",
                r"\b401\(k\)",
                r"\bw-2\b",
                r"\byour (employment|benefits|pension)\b",
            ]),
        );
        transactional.insert(
            TransactionalCategory::Delivery,
            s(&[
                r"\b(has|have) (been )?(shipped|dispatched|delivered)\b",
                r"\btracking (number|#|link)\b",
                r"\bout for delivery\b",
                r"\bdelivery (confirmation|update|notice|scheduled)\b",
                r"\byour (download|licen[cs]e key|e-?tickets?|tickets?) (is|are) (ready|attached|available)\b",
                r"\b(software|firmware|security) update (is )?(now )?(available|ready|installed)\b",
                r"\bupgrade (is )?(now )?(available|ready) (to|for) (download|install)\b",
                r"\byou are entitled to\b",
            ]),
        );
        Lexicon {
            promotional: s(&[
                r"\d{1,2} ?% off\b",
                r"\b(sale|clearance|flash sale)\b",
                r"\b(discount|coupon|promo code|voucher code)s?\b",
                r"\bfree shipping\b",
                r"\blimited[- ]time\b",
                r"\b(shop|buy|order|book|upgrade|subscribe|register) (now|today)\b",
                r"\b(special|exclusive|introductory) (offer|pricing|price|deal)s?\b",
                r"\b(deal|offer)s? (of the|ends?|expires?)\b",
                r"\bsave (up to )?(\$|£|€)?\d",
                r"\bnew (arrivals|collection|product line|products|releases?)\b",
                r"\bintroducing\b",
                r"\b(don'?t miss|last chance|act now|hurry)\b",
                r"\bbuy one,? get one\b",
                r"\bbogo\b",
                r"\bearly access\b",
                r"\bfree (trial|gift)\b",
                r"\bcheck out our\b",
                r"\b(recommended|picked) for you\b",
                r"\bwhile supplies last\b",
            ]),
            transactional,
        }
    }
}

/// Which group a compiled pattern belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Group {
    Promotional,
    Transactional(TransactionalCategory),
}

/// A checked lexicon: each pattern rewritten for matching, with its group.
#[derive(Clone, Debug)]
pub(crate) struct Compiled {
    pub(crate) patterns: Vec<String>,
    pub(crate) groups: Vec<Group>,
    /// Capture slots of each pattern (`Regex::captures_len`, group 0 included).
    pub(crate) captures: Vec<usize>,
}

/// Rewrite `\b` and `\B` to their ASCII forms. A Unicode word boundary makes
/// the lazy DFA give up on any non-ASCII byte and fall back to a far slower
/// engine; the cues are English words, for which ASCII boundaries are right.
pub(crate) fn ascii_boundaries(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
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

impl Lexicon {
    /// Check every pattern and compile the lexicon.
    ///
    /// # Errors
    ///
    /// [`LexiconError::BadPattern`] naming the first pattern that does not
    /// compile, [`LexiconError::MatchesEmpty`] for a pattern that matches
    /// the empty string, [`LexiconError::Empty`] for an empty group.
    pub fn validate(&self) -> Result<(), LexiconError> {
        self.compile().map(|_| ())
    }

    pub(crate) fn compile(&self) -> Result<Compiled, LexiconError> {
        if self.promotional.is_empty() {
            return Err(LexiconError::Empty("promotional"));
        }
        if self.transactional.values().all(Vec::is_empty) {
            return Err(LexiconError::Empty("transactional"));
        }
        let mut entries: Vec<(Group, String, usize)> = Vec::new();
        let promo = self.promotional.iter().map(|p| (Group::Promotional, p));
        let trans = self
            .transactional
            .iter()
            .flat_map(|(cat, ps)| ps.iter().map(move |p| (Group::Transactional(*cat), p)));
        for (group, pattern) in promo.chain(trans) {
            let group_name = match group {
                Group::Promotional => "promotional".to_owned(),
                Group::Transactional(c) => format!("transactional.{}", c.as_str()),
            };
            let rewritten = format!("(?i:{})", ascii_boundaries(pattern));
            let single = Regex::new(&rewritten).map_err(|e| LexiconError::BadPattern {
                group: group_name.clone(),
                pattern: pattern.clone(),
                message: e.to_string(),
            })?;
            if single.is_match("") {
                return Err(LexiconError::MatchesEmpty {
                    group: group_name,
                    pattern: pattern.clone(),
                });
            }
            entries.push((group, rewritten, single.captures_len()));
        }
        Ok(Compiled {
            groups: entries.iter().map(|(g, _, _)| *g).collect(),
            captures: entries.iter().map(|(_, _, n)| *n).collect(),
            patterns: entries.into_iter().map(|(_, p, _)| p).collect(),
        })
    }

    /// Every pattern rewritten for matching, joined into one alternation:
    /// what a single multi-pattern pass over a message would use (the
    /// classification bench uses it as its baseline).
    pub fn combined_pattern(&self) -> String {
        self.promotional
            .iter()
            .chain(self.transactional.values().flatten())
            .map(|p| format!("(?i:{})", ascii_boundaries(p)))
            .collect::<Vec<_>>()
            .join("|")
    }
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
    fn default_lexicon_compiles() {
        Lexicon::default().validate().unwrap();
    }

    #[test]
    fn bad_patterns_are_named() {
        let mut lx = Lexicon::default();
        lx.promotional.push("(unclosed".into());
        match lx.validate() {
            Err(LexiconError::BadPattern { group, pattern, .. }) => {
                assert_eq!(group, "promotional");
                assert_eq!(pattern, "(unclosed");
            }
            other => panic!("{other:?}"),
        }
        let mut lx = Lexicon::default();
        lx.promotional.push("x*".into());
        assert!(matches!(
            lx.validate(),
            Err(LexiconError::MatchesEmpty { .. })
        ));
    }
}
