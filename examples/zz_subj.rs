//! scratch
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
use consentry::classify::{Classifier, Message, WordingModel};
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let mut msgs = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    for f in files {
        for line in std::fs::read_to_string(&f).unwrap().lines() {
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let s = v["subject"].as_str().unwrap_or_default().to_owned();
            let m = match v["html"].as_str() {
                Some(h) => Message::html(s, h),
                None => Message::text(s, v["text"].as_str().unwrap_or_default()),
            };
            msgs.push((
                v["id"].as_str().unwrap().to_owned(),
                v["expect"].as_str().unwrap().to_owned(),
                m,
            ));
        }
    }
    let c = Classifier::default();
    let model = WordingModel::builtin();
    for (id, expect, m) in &msgs {
        let cl = c.classify(m);
        let got = format!("{}", cl.outcome());
        if !got.starts_with("transactional") {
            continue;
        }
        let rule = cl
            .reasons()
            .iter()
            .map(|r| r.rule.as_str())
            .find(|r| r.starts_with("canspam.primary_purpose.") && !r.ends_with("wording"))
            .unwrap_or("?")
            .trim_start_matches("canspam.primary_purpose.")
            .to_owned();
        let (subj, _) = m.reader_text();
        let s = model.score(&subj, "");
        println!("{:.3} {expect:13} {rule:20} {id} | {subj}", s.promotional);
    }
}
