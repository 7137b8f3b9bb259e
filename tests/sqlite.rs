//! The SQLite store (feature `sqlite`).
#![cfg(feature = "sqlite")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;
use std::thread;

use common::*;
use consentry::edge::sqlite::{SqliteStore, SqliteStoreError, SCHEMA_VERSION};
use consentry::{
    edge::conformance, Action, AppendOutcome, ConsentStore, Driver, LedgerPolicy, RecordingMailer,
};

struct TempDir(std::path::PathBuf);
impl TempDir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("consentry-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn file(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn sqlite_passes_the_conformance_suite_in_memory_and_on_file() {
    conformance::check_consent_store(|| SqliteStore::open_in_memory().unwrap()).unwrap();
    let dir = TempDir::new("conformance");
    let mut n = 0;
    conformance::check_consent_store(|| {
        n += 1;
        SqliteStore::open(dir.file(&format!("c{n}.sqlite3"))).unwrap()
    })
    .unwrap();
}

#[test]
fn closing_and_reopening_the_file_keeps_every_event() {
    let dir = TempDir::new("reopen");
    let path = dir.file("store.sqlite3");
    let k = key("acme", "news", "ann@example.com");
    {
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        for i in 0..50 {
            store
                .append(&ev(&k, &format!("e{i}"), i, Action::SoftBounced))
                .unwrap();
        }
        store.append(&ev(&k, "in", 0, form())).unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let events = store.events_for(&addr("ANN@example.com")).unwrap();
    assert_eq!(events.len(), 51);
    assert_eq!(events[0].id.as_str(), "e0");
    assert_eq!(
        store.append(&ev(&k, "e7", 7, Action::SoftBounced)).unwrap(),
        AppendOutcome::Duplicate
    );
    assert_eq!(
        store.audience(&k.tenant, &k.list).unwrap(),
        [addr("ann@example.com")]
    );
    // The driver over the reopened store derives the same state.
    let d = Driver::new(store, RecordingMailer::new(), LedgerPolicy::default());
    let s = d.state(&k, at(100)).unwrap();
    assert!(
        !s.permits_transactional(),
        "50 soft bounces in a row suppress"
    );
}

#[test]
fn several_threads_and_connections_writing_at_once_lose_nothing() {
    let dir = TempDir::new("threads");
    let path = dir.file("store.sqlite3");
    let shared = Arc::new(SqliteStore::open(&path).unwrap());
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let shared = Arc::clone(&shared);
            let path = path.clone();
            thread::spawn(move || {
                // Half the threads share one store; the others open their own
                // connection to the same file (WAL + busy timeout).
                let own = (t % 2 == 1).then(|| SqliteStore::open(&path).unwrap());
                let store: &SqliteStore = own.as_ref().unwrap_or(&shared);
                for i in 0..250 {
                    let k = key("acme", "news", &format!("u{}@example.com", i % 13));
                    let id = if i % 10 == 0 {
                        format!("shared-{i}")
                    } else {
                        format!("t{t}-{i}")
                    };
                    store.append(&ev(&k, &id, i, Action::Delivered)).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let expected = 4 * 225 + 25;
    assert_eq!(shared.len().unwrap(), expected);
    let total: usize = (0..13)
        .map(|i| {
            shared
                .events_for(&addr(&format!("u{i}@example.com")))
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(total, expected);
}

#[test]
fn a_corrupt_or_foreign_file_is_a_typed_error() {
    let dir = TempDir::new("bad");
    let junk = dir.file("junk.sqlite3");
    std::fs::write(&junk, vec![0x42u8; 8192]).unwrap();
    assert!(matches!(
        SqliteStore::open(&junk),
        Err(SqliteStoreError::NotADatabase)
    ));

    let text = dir.file("notes.txt");
    std::fs::write(
        &text,
        "SQLite format 3\0 but not really a database at all, just text that goes on",
    )
    .unwrap();
    assert!(SqliteStore::open(&text).is_err());

    let foreign = dir.file("other-app.sqlite3");
    {
        let conn = rusqlite::Connection::open(&foreign).unwrap();
        conn.execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);")
            .unwrap();
    }
    assert!(matches!(
        SqliteStore::open(&foreign),
        Err(SqliteStoreError::Foreign)
    ));

    let newer = dir.file("newer.sqlite3");
    drop(SqliteStore::open(&newer).unwrap());
    {
        let conn = rusqlite::Connection::open(&newer).unwrap();
        conn.execute(
            "UPDATE consentry_meta SET value = 99 WHERE key = 'schema_version'",
            [],
        )
        .unwrap();
    }
    assert!(matches!(
        SqliteStore::open(&newer),
        Err(SqliteStoreError::SchemaTooNew { found: 99, .. })
    ));

    let damaged = dir.file("damaged.sqlite3");
    let store = SqliteStore::open(&damaged).unwrap();
    let k = key("acme", "news", "ann@example.com");
    store.append(&ev(&k, "a", 0, form())).unwrap();
    drop(store);
    {
        let conn = rusqlite::Connection::open(&damaged).unwrap();
        conn.execute("UPDATE consentry_events SET body = '{not json'", [])
            .unwrap();
    }
    let store = SqliteStore::open(&damaged).unwrap();
    assert!(matches!(
        store.events_for(&k.address),
        Err(SqliteStoreError::Corrupt { .. })
    ));
}

#[test]
fn migrations_upgrade_an_older_schema() {
    let dir = TempDir::new("migrate");
    let path = dir.file("v1.sqlite3");
    {
        // A database as version 1 left it.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE consentry_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
             INSERT INTO consentry_meta VALUES ('schema_version', 1);
             CREATE TABLE consentry_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
                canonical TEXT, tenant TEXT, list TEXT, body TEXT);",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let salted = Driver::new(store, RecordingMailer::new(), LedgerPolicy::default())
        .with_erasure_salt(b"0123456789abcdef".to_vec())
        .unwrap();
    let k = key("acme", "news", "ann@example.com");
    salted.record(&ev(&k, "a", 0, form())).unwrap();
    salted.record(&ev(&k, "b", 1, opt_out())).unwrap();
    let receipt = salted.erase(&k.address).unwrap();
    assert_eq!(receipt.events_deleted, 2);
    salted.record(&ev(&k, "c", 2, imported())).unwrap();
    assert!(!salted.state(&k, at(3)).unwrap().permits_promotional());
}

#[test]
fn the_sqlite_store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SqliteStore>();
    assert_send_sync::<SqliteStoreError>();
}

#[test]
fn an_ip_literal_address_never_poisons_the_history() {
    use consentry::{
        AddressOptions, ConsentEvent, ConsentKey, EmailAddress, EventId, ListId, TenantId,
    };
    let store = SqliteStore::open_in_memory().unwrap();
    let ann = EmailAddress::parse_with(
        "ann@[192.0.2.1]",
        AddressOptions::default().with_ip_literal(true),
    )
    .unwrap();
    let k = ConsentKey::new(
        TenantId::new("acme").unwrap(),
        ListId::new("news").unwrap(),
        ann.clone(),
    );
    let e = ConsentEvent::new(EventId::new("o1").unwrap(), at(1), &k, opt_out());
    assert_eq!(store.append(&e).unwrap(), AppendOutcome::Appended);
    // Every read of that person still works.
    let back = store.events_for(&ann).unwrap();
    assert_eq!(back, vec![e]);
    let driver = Driver::new(store, RecordingMailer::new(), LedgerPolicy::default());
    assert!(driver.state(&k, at(2)).unwrap().has_opted_out());
    assert!(driver.export_json(&ann, at(2)).is_ok());
}

/// Issue 12 item 3: ids are scoped to their tenant; the same id with other
/// content is a conflict, never a silent drop of an opt-out.
#[test]
fn event_ids_are_scoped_to_the_tenant_and_conflicts_are_errors() {
    use consentry::ServiceError;
    let store = SqliteStore::open_in_memory().unwrap();
    let a = key("tenant-a", "news", "ann@example.com");
    let b = key("tenant-b", "news", "ann@example.com");
    // Tenant B's delivery with id 2 does not swallow tenant A's opt-out 2.
    assert_eq!(
        store.append(&ev(&b, "2", 0, Action::Delivered)).unwrap(),
        AppendOutcome::Appended
    );
    assert_eq!(
        store.append(&ev(&a, "2", 1, opt_out())).unwrap(),
        AppendOutcome::Appended
    );
    let d = Driver::new(store, RecordingMailer::new(), LedgerPolicy::default());
    assert!(d.state(&a, at(2)).unwrap().has_opted_out());
    // The same event again is a duplicate; a different one under the same
    // tenant and id is a typed conflict and stores nothing.
    assert_eq!(
        d.record(&ev(&a, "2", 1, opt_out())).unwrap(),
        AppendOutcome::Duplicate
    );
    let err = d.record(&ev(&a, "2", 3, form())).unwrap_err();
    assert!(
        matches!(&err, ServiceError::IdConflict { tenant, id } if tenant.as_str() == "tenant-a" && id.as_str() == "2"),
        "{err:?}"
    );
    assert_eq!(d.store().events_for(&a.address).unwrap().len(), 2);
    assert!(d.state(&a, at(4)).unwrap().has_opted_out());
}

#[test]
fn a_version_2_database_keeps_its_events_and_tombstones_after_migration() {
    let dir = TempDir::new("migrate-v2");
    let path = dir.file("v2.sqlite3");
    let k = key("acme", "news", "ann@example.com");
    let live = ev(&k, "live-1", 0, form());
    {
        let conn = schema_2_database(&path);
        conn.execute(
            "INSERT INTO consentry_events (id, canonical, tenant, list, body) VALUES (?1, ?2, 'acme', 'news', ?3)",
            rusqlite::params!["live-1", "ann@example.com", serde_json::to_string(&live).unwrap()],
        )
        .unwrap();
        // A tombstone left by an erasure under schema 2.
        conn.execute(
            "INSERT INTO consentry_events (id) VALUES ('oneclick-gone@example.com')",
            [],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.events_for(&k.address).unwrap(), vec![live.clone()]);
    assert_eq!(store.append(&live).unwrap(), AppendOutcome::Duplicate);
    let gone = key("acme", "news", "gone@example.com");
    assert_eq!(
        store
            .append(&ev(&gone, "oneclick-gone@example.com", 0, form()))
            .unwrap(),
        AppendOutcome::Duplicate,
        "an id erased before the upgrade stays reserved"
    );
    drop(store);
    let bytes = std::fs::read(&path).unwrap();
    assert!(
        !contains(&bytes, b"oneclick-gone@example.com"),
        "the old tombstone's id is gone from the file"
    );
}

/// An empty database as schema version 2 left it.
fn schema_2_database(path: &std::path::Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE consentry_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
         INSERT INTO consentry_meta VALUES ('schema_version', 2);
         CREATE TABLE consentry_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
            canonical TEXT, tenant TEXT, list TEXT, body TEXT);
         CREATE TABLE consentry_erased (hash TEXT NOT NULL, body TEXT NOT NULL, UNIQUE (hash, body));",
    )
    .unwrap();
    conn
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Issue 12 item 2: after `erase` returns, no byte of the person's data is
/// in any file of the store, while it is open and after it closes.
#[test]
fn erasure_leaves_no_byte_of_the_person_on_disk() {
    use consentry::{ConsentEvent, Evidence};
    let dir = TempDir::new("erase-bytes");
    let path = dir.file("store.sqlite3");
    // Long enough that her unsubscribe token is a reference the store keeps.
    let zelda_address = format!(
        "zelda.quinterro.{}@archive.{}.example.com",
        "z".repeat(40),
        "q".repeat(50)
    );
    let zelda = key("acme", "news", &zelda_address);
    let other = key("acme", "news", "olga.other@example.com");
    let evidence = Evidence::described("signed up at the Quinterro kiosk, booth 41")
        .with_ip("203.0.113.77".parse().unwrap())
        .with_user_agent("ZeldaBrowser/9.1 (QuinterroOS)");
    let mut events: Vec<ConsentEvent> = Vec::new();
    for i in 0..40 {
        events.push(
            ev(
                &zelda,
                &format!("oneclick-zelda.quinterro-{i}"),
                i,
                Action::Delivered,
            )
            .with_evidence(evidence.clone()),
        );
    }
    events.push(ev(&zelda, "signup-zelda.quinterro", 0, form()).with_evidence(evidence.clone()));
    events.push(ev(&zelda, "oneclick-zelda.quinterro", 50, opt_out()).with_evidence(evidence));
    let store = SqliteStore::open(&path).unwrap();
    let d = Driver::new(store, RecordingMailer::new(), LedgerPolicy::default())
        .with_erasure_salt(b"0123456789abcdef".to_vec())
        .unwrap();
    for e in &events {
        d.record(e).unwrap();
    }
    for i in 0..40 {
        d.record(&ev(&other, &format!("o{i}"), i, form())).unwrap();
    }
    let keys = consentry::unsubscribe::KeyRing::new(
        consentry::unsubscribe::TokenKey::new("k1", vec![5u8; 32]).unwrap(),
    );
    let token = d.unsubscribe_token(&keys, &zelda, at(1)).unwrap();
    assert!(token.starts_with("v3."), "{token}");
    assert!(d.store().kept_token(&token).unwrap().is_some());
    let needles: [&[u8]; 6] = [
        b"zelda.quinterro",
        b"203.0.113.77",
        b"ZeldaBrowser",
        b"Quinterro kiosk",
        b"oneclick-zelda",
        b"signup-zelda",
    ];
    let files = || {
        ["", "-wal", "-shm", "-journal"]
            .iter()
            .map(|suffix| {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                std::path::PathBuf::from(p)
            })
            .filter(|p| p.exists())
            .collect::<Vec<_>>()
    };
    // Before the erasure the data is there (the test can fail).
    let before: Vec<u8> = files()
        .iter()
        .flat_map(|f| std::fs::read(f).unwrap())
        .collect();
    assert!(contains(&before, b"zelda.quinterro"));
    let receipt = d.erase(&zelda.address).unwrap();
    assert_eq!(receipt.events_deleted, 42);
    let check = |when: &str| {
        for f in files() {
            let bytes = std::fs::read(&f).unwrap();
            for needle in needles {
                assert!(
                    !contains(&bytes, needle),
                    "{when}: {} still holds {:?}",
                    f.display(),
                    String::from_utf8_lossy(needle)
                );
            }
        }
    };
    check("store open");
    assert!(d.store().kept_token(&token).unwrap().is_none());
    // The person stays opted out (the suppression is kept as a hash) and
    // the other person's history is whole.
    assert!(d.state(&zelda, at(60)).unwrap().has_opted_out());
    assert_eq!(d.store().events_for(&other.address).unwrap().len(), 40);
    drop(d);
    check("store closed");
}

/// Facts kept before salt ids were recorded are refused until the host
/// names their salt (review finding: any salt used to satisfy them).
#[test]
fn unlabelled_erased_facts_need_their_salt_named() {
    use consentry::ServiceError;
    let dir = TempDir::new("legacy-salt");
    let path = dir.file("v2.sqlite3");
    let salt = b"the-old-salt-0123456".to_vec();
    let k = key("acme", "news", "ann@example.com");
    let hash = consentry::retention::AddressHash::new(&salt, &k.address);
    {
        let conn = schema_2_database(&path);
        let legacy = format!(
            r#"{{"hash":"{}","tenant":"acme","list":"news","kind":"opted_out","since":"2026-01-01T00:00:00Z"}}"#,
            hash.to_hex()
        );
        conn.execute(
            "INSERT INTO consentry_erased (hash, body) VALUES (?1, ?2)",
            rusqlite::params![hash.to_hex(), legacy],
        )
        .unwrap();
    }
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let other_salt = Driver::new(
        store.clone(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    )
    .with_erasure_salt(b"a-different-salt-012".to_vec())
    .unwrap();
    assert!(matches!(
        other_salt.state(&k, at(1)),
        Err(ServiceError::MissingErasureSalt { salt_id }) if salt_id == "unknown"
    ));
    let named = Driver::new(store, RecordingMailer::new(), LedgerPolicy::default())
        .with_erasure_salt(b"a-different-salt-012".to_vec())
        .unwrap()
        .with_legacy_erasure_salt(salt)
        .unwrap();
    named.record(&ev(&k, "import", 2, imported())).unwrap();
    assert!(!named.state(&k, at(3)).unwrap().permits_promotional());
}

/// Rows written before the address key changed are re-keyed, so they are
/// found and erased by the current key (review finding).
#[test]
fn migration_rekeys_addresses_written_under_the_old_key() {
    use consentry::{ConsentEvent, ConsentKey, EmailAddress, EventId, ListId, TenantId};
    let dir = TempDir::new("rekey");
    let path = dir.file("v2.sqlite3");
    let full_width = EmailAddress::parse("ｂｏｂ@example.com").unwrap();
    let k = ConsentKey::new(
        TenantId::new("acme").unwrap(),
        ListId::new("news").unwrap(),
        full_width.clone(),
    );
    let e = ConsentEvent::new(EventId::new("o1").unwrap(), at(1), &k, opt_out());
    {
        let conn = schema_2_database(&path);
        // The key as the old normalisation wrote it (full-width kept).
        conn.execute(
            "INSERT INTO consentry_events (id, canonical, tenant, list, body) VALUES ('o1', 'ｂｏｂ@example.com', 'acme', 'news', ?1)",
            rusqlite::params![serde_json::to_string(&e).unwrap()],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.events_for(&addr("bob@example.com")).unwrap().len(), 1);
    let d = Driver::new(store, RecordingMailer::new(), LedgerPolicy::default())
        .with_erasure_salt(b"0123456789abcdef".to_vec())
        .unwrap();
    assert_eq!(d.erase(&addr("bob@example.com")).unwrap().events_deleted, 1);
    drop(d);
    let bytes = std::fs::read(&path).unwrap();
    assert!(!contains(&bytes, "ｂｏｂ".as_bytes()));
}

/// A hand-edited kept-token row is a typed error, never a panic, and a
/// purge still works around it.
#[test]
fn a_hand_edited_kept_token_row_is_a_typed_error() {
    let dir = TempDir::new("kept-token-row");
    let path = dir.file("store.sqlite3");
    let store = SqliteStore::open(&path).unwrap();
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute(
        "INSERT INTO consentry_kept_tokens (token, canonical, issued_at, body)
         VALUES ('v3.k1.AAAAAAAAAAAAAAAAAAAAAA', 'x@example.com', 0, '{\"token\": 7}')",
        [],
    )
    .unwrap();
    assert!(matches!(
        store.kept_token("v3.k1.AAAAAAAAAAAAAAAAAAAAAA"),
        Err(SqliteStoreError::Corrupt { .. })
    ));
    assert_eq!(store.purge_kept_tokens(at(1)).unwrap(), 1);
    assert_eq!(
        store.kept_token("v3.k1.AAAAAAAAAAAAAAAAAAAAAA").unwrap(),
        None
    );
}
