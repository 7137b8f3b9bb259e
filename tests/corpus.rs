//! The classifier against the labelled corpus in `tests/data/corpus/`
//! (format and labelling rules in its README).
//!
//! Only the **test** split is scored; the **tune** split is the only part
//! anyone may look at while changing a lexicon (`CORPUS_SHOW=tune cargo test
//! --test corpus -- --nocapture` lists its mistakes). The targets: no
//! promotional message classed transactional, at least 97% correct in
//! English and 95% in French, German and Spanish. A message is correct when
//! its class is (promotional, transactional, undetermined); the category of
//! transactional mail is reported beside it.
//!
//! The held-out set (`held-out/`, 220 messages of an eighteenth unseen set)
//! is scored whole against the same targets; nobody tunes on it either.
//!
//! `CONSENTRY_CORPUS_DIR=/path/to/dir` scores every `*.jsonl` file of another
//! directory (every message counted, whatever its split) against the same
//! targets: how an unseen set is checked. It also prints, unscored, the
//! matrices of the same classifier without the subject-line model and of
//! the lexicons alone.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use consentry::classify::{
    Classifier, Message, MessageClass, SubjectModel, TransactionalCategory, WordingModel,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Labelled {
    id: String,
    lang: String,
    split: String,
    subject: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    html: Option<String>,
    expect: String,
    category: Option<TransactionalCategory>,
    rule: String,
}

const CLASSES: [&str; 3] = ["promotional", "transactional", "undetermined"];

fn class_name(c: MessageClass) -> &'static str {
    match c {
        MessageClass::Promotional => "promotional",
        MessageClass::Transactional(_) => "transactional",
        MessageClass::Undetermined => "undetermined",
    }
}

fn load(dir: &Path) -> Vec<Labelled> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        for (n, line) in std::fs::read_to_string(&f).unwrap().lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let m: Labelled = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", f.display(), n + 1));
            assert!(m.text.is_some() != m.html.is_some(), "{}: one body", m.id);
            assert!(CLASSES.contains(&m.expect.as_str()), "{}", m.id);
            assert_eq!(
                m.expect == "transactional",
                m.category.is_some(),
                "{}",
                m.id
            );
            assert!(m.rule.starts_with("canspam.primary_purpose."), "{}", m.id);
            out.push(m);
        }
    }
    out
}

#[derive(Default)]
struct Score {
    /// expected -> predicted -> count
    matrix: BTreeMap<&'static str, BTreeMap<&'static str, usize>>,
    total: usize,
    correct: usize,
    transactional: usize,
    category_correct: usize,
    ad_as_transactional: Vec<String>,
}

impl Score {
    fn accuracy(&self) -> f64 {
        self.correct as f64 / self.total.max(1) as f64
    }
}

fn score<'a>(
    classifier: &Classifier,
    messages: impl Iterator<Item = &'a Labelled>,
    show: bool,
) -> BTreeMap<String, Score> {
    let mut by_lang: BTreeMap<String, Score> = BTreeMap::new();
    for m in messages {
        let message = match (&m.text, &m.html) {
            (Some(t), _) => Message::text(&m.subject, t),
            (None, Some(h)) => Message::html(&m.subject, h),
            (None, None) => unreachable!(),
        };
        let c = classifier.classify(&message);
        let got = class_name(*c.outcome());
        let expect = CLASSES.iter().find(|c| **c == m.expect).copied().unwrap();
        let s = by_lang.entry(m.lang.clone()).or_default();
        *s.matrix.entry(expect).or_default().entry(got).or_default() += 1;
        s.total += 1;
        s.correct += usize::from(got == expect);
        if expect == "transactional" && got == "transactional" {
            s.transactional += 1;
            if let MessageClass::Transactional(cat) = c.outcome() {
                s.category_correct += usize::from(Some(*cat) == m.category);
            }
        }
        if expect == "promotional" && got == "transactional" {
            s.ad_as_transactional.push(m.id.clone());
        }
        if show && expect != "transactional" {
            for r in c
                .reasons()
                .iter()
                .filter(|r| r.rule.as_str().starts_with("canspam.cue.transactional"))
            {
                println!("TCUE {} [{}] {}: {}", m.id, expect, got, r.sentence);
            }
        }
        if show && got != expect {
            println!(
                "MISS {} [{}] expected {} ({}), got {}",
                m.id,
                m.split,
                expect,
                m.rule,
                c.reasons()
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
        }
    }
    by_lang
}

fn print_matrix(title: &str, scores: &BTreeMap<String, Score>) {
    println!("\n{title}");
    for (lang, s) in scores {
        println!(
            "  {lang}: {}/{} correct ({:.1}%); transactional category right {}/{}",
            s.correct,
            s.total,
            100.0 * s.accuracy(),
            s.category_correct,
            s.transactional
        );
        println!(
            "    {:<14} {:>11} {:>13} {:>12}",
            "expected \\ got", "promotional", "transactional", "undetermined"
        );
        for expect in CLASSES {
            let row = s.matrix.get(expect);
            let cell = |c: &str| row.and_then(|r| r.get(c)).copied().unwrap_or(0);
            println!(
                "    {:<14} {:>11} {:>13} {:>12}",
                expect,
                cell("promotional"),
                cell("transactional"),
                cell("undetermined")
            );
        }
    }
}

fn check_targets(scores: &BTreeMap<String, Score>) {
    for (lang, s) in scores {
        assert!(
            s.ad_as_transactional.is_empty(),
            "{lang}: promotional mail classed transactional: {:?}",
            s.ad_as_transactional
        );
        let target = if lang == "en" { 0.97 } else { 0.95 };
        assert!(
            s.accuracy() >= target,
            "{lang}: {:.1}% correct, below the {:.0}% target",
            100.0 * s.accuracy(),
            100.0 * target
        );
    }
}

#[test]
fn the_corpus_test_split_meets_the_targets() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus");
    let all = load(&dir);
    assert!(all.len() >= 400, "{} messages", all.len());
    let count = |lang: &str| all.iter().filter(|m| m.lang == lang).count();
    assert!(count("en") >= 250);
    for lang in ["fr", "de", "es"] {
        assert!(count(lang) >= 50, "{lang}: {}", count(lang));
    }
    let classifier = Classifier::default();
    let show_tune = std::env::var("CORPUS_SHOW").is_ok_and(|v| v == "tune");
    let tune = score(
        &classifier,
        all.iter().filter(|m| m.split == "tune"),
        show_tune,
    );
    print_matrix("tune split (for tuning; not scored)", &tune);
    let test = score(&classifier, all.iter().filter(|m| m.split == "test"), false);
    print_matrix("test split (scored)", &test);
    check_targets(&test);
}

/// Mail nobody has tuned on: an unseen set kept out of the tuning data
/// (`tests/data/corpus/held-out/`, see the corpus README), every message
/// scored against the same targets.
#[test]
fn the_held_out_set_meets_the_targets() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus/held-out");
    let all = load(&dir);
    assert!(all.len() >= 200, "{} messages", all.len());
    let scores = score(&Classifier::default(), all.iter(), false);
    print_matrix("held-out set (never tuned on)", &scores);
    check_targets(&scores);
}

#[test]
fn an_unseen_corpus_meets_the_same_targets() {
    let Some(dir) = std::env::var_os("CONSENTRY_CORPUS_DIR") else {
        return;
    };
    let all = load(Path::new(&dir));
    assert!(
        !all.is_empty(),
        "no messages in {}",
        Path::new(&dir).display()
    );
    let show = std::env::var("CORPUS_SHOW").is_ok_and(|v| v == "unseen");
    let scores = score(&Classifier::default(), all.iter(), show);
    print_matrix("unseen corpus", &scores);
    // For comparison only: what the classifier makes of it without the
    // subject-line model, and the lexicons alone.
    print_matrix(
        "unseen corpus, without the subject-line model (not scored)",
        &score(
            &Classifier::default().with_subject_model(None),
            all.iter(),
            false,
        ),
    );
    let lexicons = Classifier::default()
        .with_wording_model(None)
        .with_subject_model(None);
    print_matrix(
        "unseen corpus, lexicons alone (not scored)",
        &score(&lexicons, all.iter(), false),
    );
    check_targets(&scores);
}

/// The shipped wording and subject-line models are what the tuning split
/// trains, and nothing else: retraining gives the same weights (to one step
/// of a weight's rounding, which a different platform's `exp` could move).
#[test]
fn the_shipped_models_are_the_tuning_splits() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus");
    let all = load(&dir);
    let texts: Vec<(String, String, MessageClass)> = all
        .iter()
        .filter(|m| m.split == "tune")
        .map(|m| {
            let message = match (&m.text, &m.html) {
                (Some(t), _) => Message::text(&m.subject, t),
                (None, Some(h)) => Message::html(&m.subject, h),
                (None, None) => unreachable!(),
            };
            let (subject, body) = message.reader_text();
            let class = match (m.expect.as_str(), m.category) {
                ("promotional", _) => MessageClass::Promotional,
                ("transactional", Some(c)) => MessageClass::Transactional(c),
                _ => MessageClass::Undetermined,
            };
            (subject, body, class)
        })
        .collect();
    let trained = WordingModel::train(
        texts.iter().map(|(s, b, c)| (s.as_str(), b.as_str(), *c)),
        15,
    )
    .unwrap()
    .to_bytes();
    assert_same_weights(&trained, &WordingModel::builtin().to_bytes());
    // The subject-line model: every ad's subject sells, those of the ads
    // the order test decides are left out, no other subject sells.
    let subjects: Vec<(&str, bool)> = all
        .iter()
        .filter(|m| m.split == "tune")
        .zip(&texts)
        .filter(|(m, _)| m.rule != "canspam.primary_purpose.transactional_not_first")
        .map(|(m, (subject, _, _))| (subject.as_str(), m.expect == "promotional"))
        .collect();
    let trained = SubjectModel::train(subjects, 13).unwrap().to_bytes();
    assert_same_weights(&trained, &SubjectModel::builtin().to_bytes());
}

/// Two models' weights agree to one step of a weight's rounding (which a
/// different platform's `exp` could move), on all but one in a thousand.
fn assert_same_weights(trained: &[u8], shipped: &[u8]) {
    assert_eq!(trained.len(), shipped.len());
    assert_eq!(trained[..8], shipped[..8], "header");
    let weights = |b: &[u8]| b[12..].iter().map(|&x| x as i8).collect::<Vec<_>>();
    let (t, s) = (weights(trained), weights(shipped));
    let off = t.iter().zip(&s).filter(|(a, b)| a != b).count();
    let far = t
        .iter()
        .zip(&s)
        .filter(|(a, b)| (i16::from(**a) - i16::from(**b)).abs() > 1)
        .count();
    assert!(
        far == 0 && off * 1000 <= t.len(),
        "{off} weights differ, {far} by more than one step: run `cargo run --release --example wording_model -- train`"
    );
}
