//! A PostgreSQL restart in the middle of a run: typed errors while the
//! server is down, no acknowledged append lost, and the store reconnects
//! by itself. Under `.ci/run` it restarts the server CI started (cargo runs
//! one test binary at a time, and this binary has this one test); without
//! it, a private server it starts on 127.0.0.1 and removes afterwards.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod pg;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use consentry::edge::postgres::{PgPoolSettings, PgStore};
use consentry::{AppendOutcome, AsyncConsentStore};

#[test]
fn a_restart_mid_run_loses_no_acknowledged_append_and_reconnects() {
    let server = pg::Restartable::new();
    let rt = runtime();
    rt.block_on(async {
        // A table of our own, so a shared server's other data is untouched.
        let url = server.url();
        let name = format!("consentry_restart_{}", std::process::id());
        let admin = pg::raw_client(&url).await;
        for sql in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ] {
            admin.batch_execute(&sql).await.unwrap();
        }
        drop(admin);
        let url = pg::with_database(&url, &name);
        let store = PgStore::connect_with(
            &url,
            PgPoolSettings {
                max_connections: 4,
                timeout: Duration::from_secs(2),
            },
        )
        .await
        .unwrap();
        let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
        let failures = Arc::new(Mutex::new(Vec::<bool>::new()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut writers = Vec::new();
        for w in 0..4 {
            let (store, acknowledged, failures, stop) = (
                store.clone(),
                Arc::clone(&acknowledged),
                Arc::clone(&failures),
                Arc::clone(&stop),
            );
            writers.push(tokio::spawn(async move {
                let mut i = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let id = format!("w{w}-{i}");
                    let k = key("acme", "news", &format!("p{}@example.com", i % 50));
                    let event = ev(&k, &id, 0, form());
                    match store.append(&event).await {
                        Ok(AppendOutcome::Appended) => acknowledged.lock().unwrap().push(id),
                        // A retry of an append that committed just before
                        // its connection was cut: stored once.
                        Ok(AppendOutcome::Duplicate) => acknowledged.lock().unwrap().push(id),
                        Ok(AppendOutcome::Conflict) => panic!("a fresh id conflicted"),
                        Err(e) => {
                            failures.lock().unwrap().push(e.is_transient());
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue; // the same id is retried: idempotent
                        }
                    }
                    i += 1;
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
        let before = acknowledged.lock().unwrap().len();
        assert!(before > 0, "appends were running before the restart");

        // Down: every call fails, typed and transient.
        tokio::task::block_in_place(|| server.stop());
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let down_errors = failures.lock().unwrap().len();
        assert!(down_errors > 0, "appends failed while the server was down");
        assert!(
            failures.lock().unwrap().iter().all(|transient| *transient),
            "every failure while down is transient"
        );
        let probe = store.events_for(&addr("p1@example.com")).await;
        assert!(probe.is_err());

        // Up again: the store reconnects by itself and appends go on.
        tokio::task::block_in_place(|| server.start_again());
        let resumed_at = acknowledged.lock().unwrap().len();
        let mut waited = 0;
        while acknowledged.lock().unwrap().len() < resumed_at + 50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            waited += 1;
            assert!(waited < 300, "appends did not resume after the restart");
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for w in writers {
            w.await.unwrap();
        }

        // Nothing acknowledged is missing.
        let acknowledged = acknowledged.lock().unwrap().clone();
        let client = pg::raw_client(&url).await;
        let stored = client
            .query_one("SELECT count(*) FROM consentry_events", &[])
            .await
            .unwrap()
            .get::<_, i64>(0);
        assert_eq!(usize::try_from(stored).unwrap(), acknowledged.len());
        let mut found = 0;
        for p in 0..50 {
            found += store
                .events_for(&addr(&format!("p{p}@example.com")))
                .await
                .unwrap()
                .len();
        }
        assert_eq!(found, acknowledged.len());
    });
    drop(server);
}
