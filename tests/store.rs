//! The memory store against the conformance suite, and under concurrency.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::thread;

use common::*;
use consentry::{
    edge::conformance, Action, AppendOutcome, ConsentEvent, ConsentStore, EventId, MemoryStore,
};

#[test]
fn memory_store_passes_the_conformance_suite() {
    conformance::check_consent_store(MemoryStore::new).unwrap();
}

/// A store that forgets duplicates' idempotence: the suite must catch it.
struct Leaky(MemoryStore, std::sync::Mutex<Vec<ConsentEvent>>);

impl ConsentStore for Leaky {
    type Error = std::convert::Infallible;
    fn append(&self, event: &ConsentEvent) -> Result<AppendOutcome, Self::Error> {
        self.1.lock().unwrap().push(event.clone());
        self.0.append(event)
    }
    fn events_for(
        &self,
        address: &consentry::EmailAddress,
    ) -> Result<Vec<ConsentEvent>, Self::Error> {
        Ok(self
            .1
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.address == *address)
            .cloned()
            .collect())
    }
}

#[test]
fn the_conformance_suite_catches_a_store_that_keeps_duplicates() {
    let err = conformance::check_consent_store(|| Leaky(MemoryStore::new(), Default::default()))
        .unwrap_err();
    assert_eq!(err.check, "idempotent_append");
}

#[test]
fn eight_threads_appending_ten_thousand_events_each_lose_nothing() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 10_000;
    let store = Arc::new(MemoryStore::new());
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                let mut appended = 0;
                for i in 0..PER_THREAD {
                    let k = key("acme", "news", &format!("user{}@example.com", i % 97));
                    // Every thread also replays a shared id space: each shared
                    // id must be stored exactly once overall.
                    let id = if i % 10 == 0 {
                        format!("shared-{i}")
                    } else {
                        format!("t{t}-{i}")
                    };
                    let e = ev(&k, &id, i64::try_from(i).unwrap(), Action::SoftBounced);
                    if store.append(&e).unwrap() == AppendOutcome::Appended {
                        appended += 1;
                    }
                }
                appended
            })
        })
        .collect();
    let appended: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let shared = PER_THREAD / 10;
    let expected = THREADS * (PER_THREAD - shared) + shared;
    assert_eq!(appended, expected);
    assert_eq!(store.len(), expected);

    let mut ids = HashSet::new();
    for i in 0..97 {
        for e in store
            .events_for(&addr(&format!("user{i}@example.com")))
            .unwrap()
        {
            assert!(ids.insert(e.id.clone()), "duplicate {}", e.id);
        }
    }
    assert_eq!(ids.len(), expected);
    for t in 0..THREADS {
        for i in (1..PER_THREAD).filter(|i| i % 10 != 0).step_by(997) {
            assert!(ids.contains(&EventId::new(format!("t{t}-{i}")).unwrap()));
        }
    }
}
