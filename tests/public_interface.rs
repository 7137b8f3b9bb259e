//! Properties of the public types that hosts rely on.
#![allow(clippy::unwrap_used)]

use consentry::{
    ConsentEvent, ConsentState, ConsentStore, Driver, EmailAddress, LedgerPolicy, Mailer,
    MemoryStore, OutboundMessage, Reason, RecordingMailer, ServiceError,
};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn main_types_are_send_and_sync() {
    assert_send_sync::<EmailAddress>();
    assert_send_sync::<ConsentEvent>();
    assert_send_sync::<ConsentState>();
    assert_send_sync::<LedgerPolicy>();
    assert_send_sync::<Reason>();
    assert_send_sync::<OutboundMessage>();
    assert_send_sync::<MemoryStore>();
    assert_send_sync::<RecordingMailer>();
    assert_send_sync::<Driver<MemoryStore, RecordingMailer>>();
    assert_send_sync::<ServiceError<std::io::Error, std::io::Error>>();
    assert_send_sync::<consentry::classify::Classifier>();
    assert_send_sync::<consentry::eligibility::SuppressionIndex>();
    assert_send_sync::<consentry::disclosure::DisclosurePolicy>();
    assert_send_sync::<consentry::cookie::CookiePolicy>();
    assert_send_sync::<consentry::unsubscribe::KeyRing>();
    assert_send_sync::<consentry::UnsubscribeSettings>();
}

#[test]
fn ports_are_object_safe() {
    let store: Box<dyn ConsentStore<Error = std::convert::Infallible>> =
        Box::new(MemoryStore::new());
    let mailer: Box<dyn Mailer<Error = consentry::RefusedDelivery>> =
        Box::new(RecordingMailer::new());
    assert!(store
        .events_for(&EmailAddress::parse("a@example.com").unwrap())
        .unwrap()
        .is_empty());
    let msg = OutboundMessage::builder(
        EmailAddress::parse("news@shop.example").unwrap(),
        EmailAddress::parse("a@example.com").unwrap(),
    )
    .subject("Receipt")
    .build()
    .unwrap();
    mailer.deliver(&msg).unwrap();
}

#[test]
fn errors_are_std_errors() {
    fn is_error<E: std::error::Error + Send + Sync + 'static>() {}
    is_error::<consentry::AddressError>();
    is_error::<consentry::IdError>();
    is_error::<consentry::EventError>();
    is_error::<consentry::LedgerPolicyError>();
    is_error::<consentry::MessageError>();
    is_error::<ServiceError<std::io::Error, std::io::Error>>();
}

#[test]
fn every_rule_id_the_crate_emits_is_in_the_catalogue() {
    use consentry::CATALOGUE;
    let known = |id: &str| CATALOGUE.iter().any(|r| r.id == id);
    // The crate's own rule ids are catalogue constants by construction; the
    // ids that are data (the default disclosure rules, the deadline rules)
    // must be in the catalogue too.
    let mut emitted: Vec<String> = consentry::disclosure::default_rules()
        .iter()
        .map(|r| r.id.to_string())
        .collect();
    emitted.extend(
        [
            consentry::unsubscribe::OptOutRule::CanSpam,
            consentry::unsubscribe::OptOutRule::BulkSender,
        ]
        .iter()
        .map(|r| r.rule().to_string()),
    );
    for id in emitted {
        assert!(known(&id), "`{id}` is not in catalogue::CATALOGUE");
    }
}

#[test]
fn rules_md_is_the_catalogue() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/RULES.md")).unwrap();
    assert_eq!(
        committed,
        consentry::catalogue::markdown(),
        "RULES.md is stale: run `cargo run --example rules > RULES.md`"
    );
}

#[test]
fn the_core_never_imports_the_edge() {
    // ARCHITECTURE.md: the edge imports the core, never the other way.
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    assert!(files.len() > 20);
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        if rel.starts_with("edge") || rel == std::path::Path::new("lib.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            assert!(
                !code.contains("crate::edge"),
                "{}:{}: the core imports the edge",
                rel.display(),
                n + 1
            );
        }
    }
}
