//! The PostgreSQL store against a real server: the conformance suite,
//! batches, several OS processes appending at once, erasure that leaves no
//! personal data in any row, and the campaign decided alike on PostgreSQL,
//! SQLite and memory.
//!
//! The server: `CONSENTRY_TEST_PG` (a URL; `.ci/run` starts one and sets
//! it), else a private server started by the test (see `tests/pg`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod pg;

use std::collections::BTreeMap;
use std::process::Command;

use common::*;
use consentry::classify::{Classifier, Message};
use consentry::edge::conformance::check_async_consent_store;
use consentry::edge::postgres::{PgPoolSettings, PgStore, PgStoreError, SCHEMA_VERSION};
use consentry::edge::sqlite::SqliteStore;
use consentry::eligibility::{plan, AudienceMember, SendContext, SuppressionIndex};
use consentry::unsubscribe::{IssuedToken, KeyRing, TokenKey};
use consentry::{
    AppendOutcome, AsyncConsentStore, AsyncDriver, ConsentEvent, ConsentKey, ConsentState, Driver,
    EmailAddress, Evidence, LedgerPolicy, MemoryStore, RecordingMailer,
};

#[path = "../examples/support/fixture.rs"]
#[allow(dead_code)]
mod fixture;

async fn empty_store(url: &str) -> PgStore {
    let store = PgStore::connect(url).await.unwrap();
    pg::truncate(url).await;
    store
}

#[test]
fn the_conformance_suite_passes_on_postgres() {
    let db = pg::TestDb::new();
    runtime().block_on(async {
        check_async_consent_store(|| empty_store(db.url()))
            .await
            .unwrap();
        let store = empty_store(db.url()).await;
        assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
        // Connecting again migrates nothing and keeps the data.
        let k = key("acme", "news", "ann@example.com");
        store.append(&ev(&k, "kept", 0, form())).await.unwrap();
        let again = PgStore::connect(db.url()).await.unwrap();
        assert_eq!(again.len().await.unwrap(), 1);
    });
}

#[test]
fn the_sync_store_passes_the_sync_conformance_suite_and_serves_the_sync_driver() {
    use consentry::edge::conformance::check_consent_store;
    use consentry::edge::postgres::SyncPgStore;
    let db = pg::TestDb::new();
    let url = db.url().to_owned();
    // Outside any runtime, as a worker thread or a CLI would be.
    check_consent_store(|| {
        let store = SyncPgStore::connect(&url).unwrap();
        store.block_on(pg::truncate(&url));
        store
    })
    .unwrap();
    let store = SyncPgStore::connect(&url).unwrap();
    // The suite's erasure left facts under its own salt.
    store.block_on(pg::truncate(&url));
    let driver = Driver::new(store, RecordingMailer::new(), LedgerPolicy::default())
        .with_erasure_salt(b"sixteen byte salt!".to_vec())
        .unwrap();
    let k = key("acme", "news", "sync@example.com");
    driver.record(&ev(&k, "s1", 0, form())).unwrap();
    assert!(driver.state(&k, at(1)).unwrap().permits_promotional());
    driver.record(&ev(&k, "s2", 2, opt_out())).unwrap();
    assert_eq!(driver.erase(&k.address).unwrap().events_deleted, 2);
    assert!(!driver.state(&k, at(3)).unwrap().permits_promotional());
}

#[test]
fn a_newer_schema_is_refused() {
    let db = pg::TestDb::new();
    runtime().block_on(async {
        PgStore::connect(db.url()).await.unwrap();
        let client = pg::raw_client(db.url()).await;
        client
            .batch_execute("INSERT INTO consentry_schema (version) VALUES (99)")
            .await
            .unwrap();
        match PgStore::connect(db.url()).await {
            Err(PgStoreError::SchemaTooNew {
                found: 99,
                known: SCHEMA_VERSION,
            }) => {}
            other => panic!("expected SchemaTooNew, got {other:?}"),
        }
    });
}

/// A database written by schema 1 (before kept tokens) is upgraded in
/// place on connect, its events intact.
#[test]
fn a_schema_1_database_is_upgraded_keeping_its_events() {
    let db = pg::TestDb::new();
    runtime().block_on(async {
        let store = PgStore::connect(db.url()).await.unwrap();
        let k = key("acme", "news", "old@example.com");
        store.append(&ev(&k, "e1", 0, form())).await.unwrap();
        drop(store);
        // Back to schema 1, as an older build left it.
        let client = pg::raw_client(db.url()).await;
        client
            .batch_execute(
                "DROP TABLE consentry_kept_tokens; DELETE FROM consentry_schema WHERE version > 1;",
            )
            .await
            .unwrap();
        let store = PgStore::connect(db.url()).await.unwrap();
        assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
        assert_eq!(store.events_for(&k.address).await.unwrap().len(), 1);
        let long = format!(
            "{}@{}.{}.example",
            "l".repeat(64),
            "d".repeat(63),
            "e".repeat(60)
        );
        let keys = KeyRing::new(TokenKey::new("k1", vec![3u8; 32]).unwrap());
        let IssuedToken::Kept(kept) = keys.issue(&k.tenant, &k.list, &addr(&long), at(1)) else {
            panic!("sealed");
        };
        assert!(store.keep_token(&kept).await.unwrap());
        assert_eq!(store.kept_token(&kept.token).await.unwrap(), Some(kept));
    });
}

#[test]
fn a_hand_edited_row_is_a_typed_error_never_a_panic() {
    let db = pg::TestDb::new();
    runtime().block_on(async {
        let store = empty_store(db.url()).await;
        let k = key("acme", "news", "edited@example.com");
        let event = ev(&k, "e1", 0, form());
        store.append(&event).await.unwrap();
        let client = pg::raw_client(db.url()).await;
        let corrupt = |r: Result<(), PgStoreError>| {
            matches!(
                r,
                Err(PgStoreError::Corrupt {
                    what: "event row",
                    ..
                })
            )
        };
        // A body that is not an event.
        client
            .batch_execute("UPDATE consentry_events SET body = '{\"not\": \"an event\"}'")
            .await
            .unwrap();
        assert!(corrupt(store.events_for(&k.address).await.map(|_| ())));
        assert!(corrupt(store.append(&event).await.map(|_| ())));
        assert!(corrupt(
            store
                .append_batch(std::slice::from_ref(&event))
                .await
                .map(|_| ())
        ));
        // A column of another type than the schema's.
        client
            .batch_execute(
                "ALTER TABLE consentry_events ALTER COLUMN body TYPE bytea
                 USING convert_to(body, 'UTF8')",
            )
            .await
            .unwrap();
        // A fresh pool: the old one's prepared statements were planned for text.
        let store = PgStore::connect(db.url()).await.unwrap();
        assert!(corrupt(store.events_for(&k.address).await.map(|_| ())));
        let loaded = store
            .load_campaign(&k.tenant, &k.list, &LedgerPolicy::default(), at(1), &[])
            .await;
        assert!(corrupt(loaded.map(|_| ())));
        // Nothing was written meanwhile.
        assert_eq!(store.len().await.unwrap(), 1);
    });
}

#[test]
fn a_batch_is_decided_event_by_event_and_stored_in_one_statement() {
    let db = pg::TestDb::new();
    runtime().block_on(async {
        let store = empty_store(db.url()).await;
        let ann = key("acme", "news", "ann@example.com");
        let bob = key("acme", "news", "bob@example.com");
        let first = ev(&ann, "b1", 0, form());
        store.append(&first).await.unwrap();
        let mut other_tenant = ev(&ann, "b1", 0, form());
        other_tenant.tenant = consentry::TenantId::new("other").unwrap();
        let batch = vec![
            first.clone(),                // stored before: Duplicate
            ev(&ann, "b1", 5, opt_out()), // same id, other content: Conflict
            ev(&bob, "b2", 1, form()),    // new
            ev(&bob, "b2", 1, form()),    // repeated in the batch: Duplicate
            ev(&bob, "b2", 2, opt_out()), // repeated with other content: Conflict
            other_tenant,                 // same id in another tenant: new
        ];
        let outcomes = store.append_batch(&batch).await.unwrap();
        use AppendOutcome::*;
        assert_eq!(
            outcomes,
            [Duplicate, Conflict, Appended, Duplicate, Conflict, Appended]
        );
        assert_eq!(store.len().await.unwrap(), 3);
        // Through the driver: invalid events refuse the whole batch.
        let driver = AsyncDriver::new(
            store.clone(),
            RecordingMailer::new(),
            LedgerPolicy::default(),
        );
        let mut bad = ev(&bob, "b9", 3, form());
        bad.evidence.user_agent = Some("u".repeat(600));
        assert!(driver
            .record_batch(&[ev(&bob, "b8", 3, form()), bad])
            .await
            .is_err());
        assert_eq!(store.len().await.unwrap(), 3);
        let many: Vec<ConsentEvent> = (0..2_000)
            .map(|i| {
                ev(
                    &key("acme", "news", &format!("p{i}@example.com")),
                    &format!("m{i}"),
                    1,
                    form(),
                )
            })
            .collect();
        let outcomes = driver.record_batch(&many).await.unwrap();
        assert!(outcomes.iter().all(|o| *o == Appended));
        assert_eq!(store.len().await.unwrap(), 2_003);
    });
}

/// The worker half of `several_processes_append_concurrently`: run in a
/// child process, it does nothing unless the parent set its environment.
#[test]
fn worker_process_entry() {
    let Ok(instance) = std::env::var("CONSENTRY_PG_WORKER") else {
        return;
    };
    let url = std::env::var("CONSENTRY_PG_WORKER_URL").unwrap();
    let per_task: usize = std::env::var("CONSENTRY_PG_WORKER_EVENTS")
        .unwrap()
        .parse()
        .unwrap();
    runtime().block_on(async {
        let store = PgStore::connect_with(
            &url,
            PgPoolSettings {
                max_connections: 4,
                ..PgPoolSettings::default()
            },
        )
        .await
        .unwrap();
        let mut tasks = Vec::new();
        for task in 0..4 {
            let store = store.clone();
            let instance = instance.clone();
            tasks.push(tokio::spawn(async move {
                // Every task of every instance sends the same event first.
                let shared = ev(
                    &key("acme", "news", "shared@example.com"),
                    "shared",
                    0,
                    form(),
                );
                let shared_appended =
                    usize::from(store.append(&shared).await.unwrap() == AppendOutcome::Appended);
                let mut appended = 0usize;
                for i in 0..per_task {
                    let k = key("acme", "news", &format!("p{}@example.com", i % 997));
                    let id = format!("w{instance}-t{task}-{i}");
                    let action = if i % 7 == 0 { opt_out() } else { form() };
                    if store
                        .append(&ev(&k, &id, i64::try_from(i).unwrap(), action))
                        .await
                        .unwrap()
                        == AppendOutcome::Appended
                    {
                        appended += 1;
                    }
                }
                (shared_appended, appended)
            }));
        }
        let (mut shared, mut appended) = (0, 0);
        for t in tasks {
            let (s, a) = t.await.unwrap();
            shared += s;
            appended += a;
        }
        println!("WORKER-RESULT shared={shared} appended={appended}");
    });
}

#[test]
fn several_processes_append_concurrently_and_lose_nothing() {
    const PROCESSES: usize = 4;
    const PER_TASK: usize = 5_000;
    let db = pg::TestDb::new();
    runtime().block_on(async {
        empty_store(db.url()).await;
    });
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|n| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "worker_process_entry",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("CONSENTRY_PG_WORKER", n.to_string())
                .env("CONSENTRY_PG_WORKER_URL", db.url())
                .env("CONSENTRY_PG_WORKER_EVENTS", PER_TASK.to_string())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let (mut shared, mut appended) = (0usize, 0usize);
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "a worker failed");
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find_map(|l| l.split_once("WORKER-RESULT").map(|(_, r)| r.to_owned()))
            .unwrap_or_else(|| panic!("no result from a worker: {text}"));
        for part in line.split_whitespace() {
            let (name, value) = part.split_once('=').unwrap();
            let value: usize = value.parse().unwrap();
            match name {
                "shared" => shared += value,
                "appended" => appended += value,
                _ => {}
            }
        }
    }
    let total = PROCESSES * 4 * PER_TASK;
    assert_eq!(
        appended, total,
        "every distinct event was acknowledged as appended"
    );
    assert_eq!(shared, 1, "the event every instance sent is stored once");
    runtime().block_on(async {
        let store = PgStore::connect(db.url()).await.unwrap();
        assert_eq!(
            store.len().await.unwrap(),
            u64::try_from(total + 1).unwrap()
        );
        // Every person's history holds exactly their events, nothing twice.
        let mut found = 0;
        for p in 0..997 {
            let events = store
                .events_for(&addr(&format!("p{p}@example.com")))
                .await
                .unwrap();
            let mut ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
            let n = ids.len();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), n);
            found += n;
        }
        assert_eq!(found, total);
    });
}

#[test]
fn erasure_leaves_no_personal_data_in_any_row() {
    let db = pg::TestDb::new();
    runtime().block_on(async {
        let store = empty_store(db.url()).await;
        let driver = AsyncDriver::new(
            store.clone(),
            RecordingMailer::new(),
            LedgerPolicy::default(),
        )
        .with_erasure_salt(b"a salt of sixteen+ bytes".to_vec())
        .unwrap();
        let k = key("acme", "news", "zelda.quinterro@example.com");
        let evidence = Evidence {
            ip: Some("203.0.113.77".parse().unwrap()),
            user_agent: Some("ZeldaBrowser/9.1".into()),
            text: Some("signed up at the Quinterro booth".into()),
            ..Evidence::default()
        };
        driver
            .record(&ev(&k, "signup-zelda.quinterro", 0, form()).with_evidence(evidence))
            .await
            .unwrap();
        driver
            .record(&ev(&k, "oneclick-zelda.quinterro", 1, opt_out()))
            .await
            .unwrap();
        let other = key("acme", "news", "someone.else@example.com");
        driver
            .record(&ev(&other, "keep-1", 0, form()))
            .await
            .unwrap();
        let receipt = driver.erase(&k.address).await.unwrap();
        assert_eq!(receipt.events_deleted, 2);

        let client = pg::raw_client(db.url()).await;
        let mut text = String::new();
        for table in ["consentry_events", "consentry_erased"] {
            for row in client
                .query(&format!("SELECT t::text FROM {table} t"), &[])
                .await
                .unwrap()
            {
                text.push_str(row.get::<_, &str>(0));
                text.push('\n');
            }
        }
        for secret in [
            "zelda",
            "quinterro",
            "203.0.113.77",
            "ZeldaBrowser",
            "Quinterro booth",
            "signup-zelda",
            "oneclick-zelda",
        ] {
            assert!(
                !text.to_lowercase().contains(&secret.to_lowercase()),
                "`{secret}` is still in a row"
            );
        }
        assert!(text.contains("someone.else"), "other people are untouched");
        // The erased person stays unsubscribed, and a replayed webhook
        // cannot bring the event back.
        assert!(!driver.state(&k, at(2)).await.unwrap().permits_promotional());
        assert_eq!(
            store
                .append(&ev(&k, "oneclick-zelda.quinterro", 1, opt_out()))
                .await
                .unwrap(),
            AppendOutcome::Duplicate
        );
    });
}

/// A campaign's outcome, as comparable text: who may be mailed, and every
/// suppressed recipient with its reasons.
fn plan_outcome(
    states: &[ConsentState],
    fixture: &fixture::Fixture,
) -> (Vec<String>, BTreeMap<String, Vec<String>>) {
    let (tenant, list) = fixture.ids().unwrap();
    let mut index = SuppressionIndex::new();
    for s in states {
        index.insert_state(s);
    }
    let newsletter =
        Classifier::default().classify(&Message::text("Summer sale", "30% off sandals. Shop now."));
    let ctx = SendContext::new(tenant, list, fixture.now);
    let p = plan(
        states.iter().map(AudienceMember::from_state),
        &index,
        &newsletter,
        &ctx,
    );
    let mut sendable: Vec<String> = p
        .sendable
        .iter()
        .map(|a| a.canonical().to_owned())
        .collect();
    sendable.sort();
    let suppressed = p
        .suppressed
        .iter()
        .map(|s| {
            (
                s.address.canonical().to_owned(),
                s.reasons().iter().map(|r| r.to_string()).collect(),
            )
        })
        .collect();
    (sendable, suppressed)
}

#[test]
fn the_campaign_is_decided_alike_on_postgres_sqlite_and_memory() {
    let fixture = fixture::load().unwrap();
    let (tenant, list) = fixture.ids().unwrap();
    let mut events = Vec::new();
    let mut addresses: Vec<EmailAddress> = Vec::new();
    for contact in &fixture.contacts {
        let (address, evs) = contact.events(&tenant, &list).unwrap();
        addresses.push(address);
        events.extend(evs);
    }
    let keys: Vec<ConsentKey> = addresses
        .iter()
        .map(|a| ConsentKey::new(tenant.clone(), list.clone(), a.clone()))
        .collect();

    // SQLite and memory through the sync driver.
    let sqlite = Driver::new(
        SqliteStore::open_in_memory().unwrap(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    let memory = Driver::new(
        MemoryStore::new(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    for e in &events {
        sqlite.record(e).unwrap();
        memory.record(e).unwrap();
    }
    let sqlite_states: Vec<ConsentState> = keys
        .iter()
        .map(|k| sqlite.state(k, fixture.now).unwrap())
        .collect();
    let memory_states: Vec<ConsentState> = keys
        .iter()
        .map(|k| memory.state(k, fixture.now).unwrap())
        .collect();

    let db = pg::TestDb::new();
    let (pg_states, loaded) = runtime().block_on(async {
        let store = empty_store(db.url()).await;
        let driver = AsyncDriver::new(
            store.clone(),
            RecordingMailer::new(),
            LedgerPolicy::default(),
        );
        driver.record_batch(&events).await.unwrap();
        let mut states = Vec::new();
        for k in &keys {
            states.push(driver.state(k, fixture.now).await.unwrap());
        }
        let loaded = store
            .load_campaign(&tenant, &list, &LedgerPolicy::default(), fixture.now, &[])
            .await
            .unwrap();
        (states, loaded)
    });
    assert_eq!(pg_states, sqlite_states);
    assert_eq!(pg_states, memory_states);
    let expected = plan_outcome(&memory_states, &fixture);
    assert_eq!(plan_outcome(&sqlite_states, &fixture), expected);
    assert_eq!(plan_outcome(&pg_states, &fixture), expected);
    assert!(!expected.0.is_empty() && !expected.1.is_empty());

    // The streamed load decides the same recipients the same way.
    let newsletter =
        Classifier::default().classify(&Message::text("Summer sale", "30% off sandals. Shop now."));
    let ctx = SendContext::new(tenant.clone(), list.clone(), fixture.now);
    let p = plan(loaded.members(), &loaded.index, &newsletter, &ctx);
    let mut sendable: Vec<String> = p
        .sendable
        .iter()
        .map(|a| a.canonical().to_owned())
        .collect();
    sendable.sort();
    assert_eq!(sendable, expected.0);
    for s in &p.suppressed {
        assert_eq!(
            expected.1.get(s.address.canonical()),
            Some(
                &s.reasons()
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
            ),
            "{}",
            s.address.canonical()
        );
    }
}

#[test]
fn a_missing_server_is_a_typed_transient_error() {
    runtime().block_on(async {
        // A loopback port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = PgStore::connect_with(
            &format!("postgres://consentry@127.0.0.1:{port}/postgres"),
            PgPoolSettings {
                max_connections: 1,
                timeout: std::time::Duration::from_secs(2),
            },
        )
        .await
        .unwrap_err();
        assert!(err.is_transient(), "{err:?}");
        assert!(matches!(
            PgStore::connect("not a url = = =").await,
            Err(PgStoreError::Config(_))
        ));
    });
}
