//! The async ports and driver: the conformance suite in its async form,
//! `Send` futures on a multi-threaded runtime, `Blocking` keeping the
//! runtime free, and decisions identical to the sync driver's.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use chrono::TimeDelta;
use common::*;
use consentry::edge::conformance::{check_async_consent_store, check_consent_store};
use consentry::edge::sqlite::SqliteStore;
use consentry::unsubscribe::{BusinessCalendar, KeyRing, OptOutDeadlines, OptOutRule, TokenKey};
use consentry::{
    Action, AppendOutcome, AsyncDriver, Blocking, BlockingError, ConsentEvent, ConsentStore,
    Driver, EmailAddress, EraseOutcome, LedgerPolicy, ListId, MemoryStore, OneClickError,
    OneClickRequest, RecordingMailer, ServiceError, TenantId, UnsubscribeSettings,
};
use proptest::prelude::*;

fn settings() -> UnsubscribeSettings {
    UnsubscribeSettings {
        keys: KeyRing::new(TokenKey::new("k1", vec![7u8; 32]).unwrap()),
        deadlines: OptOutDeadlines::new(
            [OptOutRule::CanSpam],
            BusinessCalendar::us_federal(2026..=2027, 0).unwrap(),
        ),
    }
}

#[test]
fn the_async_conformance_suite_passes_for_memory_and_sqlite() {
    runtime().block_on(async {
        check_async_consent_store(|| async { MemoryStore::new() })
            .await
            .unwrap();
        check_async_consent_store(|| async {
            Blocking::new(SqliteStore::open_in_memory().unwrap()).unwrap()
        })
        .await
        .unwrap();
        // And through an Arc, as a service shares one store.
        check_async_consent_store(|| async { Arc::new(MemoryStore::new()) })
            .await
            .unwrap();
    });
    // The sync suite still runs the same checks.
    check_consent_store(MemoryStore::new).unwrap();
}

/// A store that loses every event: the async suite must catch it.
struct Forgetful;
impl ConsentStore for Forgetful {
    type Error = std::convert::Infallible;
    fn append(&self, _: &ConsentEvent) -> Result<AppendOutcome, Self::Error> {
        Ok(AppendOutcome::Appended)
    }
    fn events_for(&self, _: &EmailAddress) -> Result<Vec<ConsentEvent>, Self::Error> {
        Ok(Vec::new())
    }
}

#[test]
fn the_async_conformance_suite_fails_a_store_that_loses_events() {
    let failure = runtime()
        .block_on(check_async_consent_store(|| async {
            Blocking::new(Forgetful).unwrap()
        }))
        .unwrap_err();
    assert_eq!(failure.check, "idempotent_append");
    assert!(check_consent_store(|| Forgetful).is_err());
}

fn assert_send<T: Send>(t: T) -> T {
    t
}

#[test]
fn driver_futures_are_send_and_run_on_a_multi_threaded_runtime() {
    let rt = runtime();
    let store = Blocking::new(SqliteStore::open_in_memory().unwrap()).unwrap();
    let driver = Arc::new(
        AsyncDriver::new(store, RecordingMailer::new(), LedgerPolicy::default())
            .with_erasure_salt(vec![3u8; 32])
            .unwrap(),
    );
    let s = settings();
    let k = key("acme", "news", "ann@example.com");
    let token = s.keys.issue_sealed(&k.tenant, &k.list, &k.address, at(1));
    rt.block_on(async {
        let d = Arc::clone(&driver);
        let k2 = k.clone();
        // tokio::spawn requires a Send future: this is the axum case.
        tokio::spawn(async move {
            d.record(&ev(&k2, "in", 0, form())).await.unwrap();
            assert!(d.state(&k2, at(1)).await.unwrap().permits_promotional());
        })
        .await
        .unwrap();
        let d = Arc::clone(&driver);
        let (s2, t2) = (s.clone(), token.clone());
        let confirmation = tokio::spawn(async move {
            let request = OneClickRequest {
                method: "POST",
                content_type: Some("application/x-www-form-urlencoded"),
                body: b"List-Unsubscribe=One-Click",
                token: &t2,
            };
            assert_send(d.handle_one_click(&s2, &request, at(2))).await
        })
        .await
        .unwrap()
        .unwrap();
        assert!(confirmation.newly_recorded);
        assert!(!driver.state(&k, at(3)).await.unwrap().permits_promotional());
        let export = assert_send(driver.export(&k.address, at(3))).await.unwrap();
        assert_eq!(export.events.len(), 2);
        let receipt = assert_send(driver.erase(&k.address)).await.unwrap();
        assert_eq!(receipt.events_deleted, 2);
        // Erased, and still not mailable.
        assert!(!driver.state(&k, at(4)).await.unwrap().permits_promotional());
    });
}

/// A sync store whose append waits for a signal that only another task on
/// the same runtime sends: if the store ran on the runtime's thread, the
/// signal could never be sent.
struct Gated {
    inner: MemoryStore,
    gate: Mutex<mpsc::Receiver<()>>,
}
impl ConsentStore for Gated {
    type Error = std::convert::Infallible;
    fn append(&self, e: &ConsentEvent) -> Result<AppendOutcome, Self::Error> {
        self.gate.lock().unwrap().recv().unwrap();
        ConsentStore::append(&self.inner, e)
    }
    fn events_for(&self, a: &EmailAddress) -> Result<Vec<ConsentEvent>, Self::Error> {
        ConsentStore::events_for(&self.inner, a)
    }
}

#[test]
fn blocking_keeps_a_slow_store_off_the_runtime_threads() {
    // One runtime thread only: a blocked worker would stop everything.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (open, gate) = mpsc::channel();
    let store = Blocking::new(Gated {
        inner: MemoryStore::new(),
        gate: Mutex::new(gate),
    })
    .unwrap();
    let driver = AsyncDriver::new(store, RecordingMailer::new(), LedgerPolicy::default());
    let k = key("acme", "news", "ann@example.com");
    let outcome = rt.block_on(async {
        let opener = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            open.send(()).unwrap();
        };
        let event = ev(&k, "in", 0, form());
        let record = driver.record(&event);
        tokio::time::timeout(Duration::from_secs(20), async {
            tokio::join!(record, opener).0
        })
        .await
    });
    assert_eq!(
        outcome
            .expect("the runtime was blocked by the store")
            .unwrap(),
        AppendOutcome::Appended
    );
}

/// A store that panics on one address.
struct Panicky(MemoryStore);
impl ConsentStore for Panicky {
    type Error = std::convert::Infallible;
    fn append(&self, e: &ConsentEvent) -> Result<AppendOutcome, Self::Error> {
        if e.address.canonical().starts_with("boom") {
            panic!("the store fell over");
        }
        ConsentStore::append(&self.0, e)
    }
    fn events_for(&self, a: &EmailAddress) -> Result<Vec<ConsentEvent>, Self::Error> {
        ConsentStore::events_for(&self.0, a)
    }
}

#[test]
fn a_panicking_port_is_a_typed_error_and_the_worker_survives() {
    let rt = runtime();
    let driver = AsyncDriver::new(
        Blocking::new(Panicky(MemoryStore::new())).unwrap(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    rt.block_on(async {
        let boom = key("acme", "news", "boom@example.com");
        let err = driver.record(&ev(&boom, "b", 0, form())).await.unwrap_err();
        assert!(matches!(
            err,
            ServiceError::Store(BlockingError::WorkerStopped)
        ));
        let ann = key("acme", "news", "ann@example.com");
        assert_eq!(
            driver.record(&ev(&ann, "a", 0, form())).await.unwrap(),
            AppendOutcome::Appended
        );
        assert_eq!(driver.store().get_ref().0.len(), 1);
    });
}

#[test]
fn the_async_driver_refuses_what_the_sync_one_refuses() {
    let rt = runtime();
    let driver = AsyncDriver::new(
        MemoryStore::new(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );
    let s = settings();
    let k = key("acme", "news", "ann@example.com");
    let token = s.keys.issue_sealed(&k.tenant, &k.list, &k.address, at(1));
    rt.block_on(async {
        let get = OneClickRequest {
            method: "GET",
            content_type: None,
            body: b"",
            token: &token,
        };
        assert!(matches!(
            driver.handle_one_click(&s, &get, at(2)).await,
            Err(OneClickError::Refused(_))
        ));
        let mut bad = ev(&k, "x", 0, form());
        bad.evidence.user_agent = Some("u".repeat(600));
        assert!(matches!(
            driver.record(&bad).await,
            Err(ServiceError::InvalidEvent(_))
        ));
        assert!(matches!(
            driver.erase(&k.address).await,
            Err(ServiceError::Unsupported(_))
        ));
        assert!(driver.store().is_empty());
    });
}

fn action(code: u8) -> Action {
    match code % 5 {
        0 => form(),
        1 => opt_out(),
        2 => Action::SoftBounced,
        3 => imported(),
        _ => confirmed(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever the events, the async driver's answers equal the sync
    /// driver's: same append outcomes, states, exports and one-click
    /// confirmations.
    #[test]
    fn async_and_sync_drivers_decide_alike(
        events in proptest::collection::vec((0u8..3, 0u8..2, any::<u8>(), 0i64..200, 0u8..40), 1..40),
        click_at in 0i64..250,
    ) {
        let people = ["ann@example.com", "bob@example.com", "cy@example.com"];
        let lists = ["news", "offers"];
        let sync = Driver::new(MemoryStore::new(), RecordingMailer::new(), LedgerPolicy::default());
        let asy = AsyncDriver::new(MemoryStore::new(), RecordingMailer::new(), LedgerPolicy::default());
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let s = settings();
        for (p, l, a, h, id) in &events {
            let k = key("acme", lists[usize::from(*l)], people[usize::from(*p)]);
            let e = ev(&k, &format!("e{id}"), *h, action(*a));
            let left = sync.record(&e).map_err(|e| e.to_string());
            let right = rt.block_on(asy.record(&e)).map_err(|e| e.to_string());
            prop_assert_eq!(left, right);
        }
        let token = s.keys.issue_sealed(&TenantId::new("acme").unwrap(), &ListId::new("news").unwrap(), &addr(people[0]), at(0));
        let post = OneClickRequest { method: "POST", content_type: Some("application/x-www-form-urlencoded"), body: b"List-Unsubscribe=One-Click", token: &token };
        let now = at(click_at).min(at(0) + TimeDelta::days(80));
        let left = sync.handle_one_click(&s, &post, now).map_err(|e| e.to_string());
        let right = rt.block_on(asy.handle_one_click(&s, &post, now)).map_err(|e| e.to_string());
        prop_assert_eq!(left, right);
        for p in people {
            for l in lists {
                let k = key("acme", l, p);
                let left = sync.state(&k, at(300)).unwrap();
                let right = rt.block_on(asy.state(&k, at(300))).unwrap();
                prop_assert_eq!(left, right);
            }
            let left = sync.export(&addr(p), at(300)).unwrap();
            let right = rt.block_on(asy.export(&addr(p), at(300))).unwrap();
            prop_assert_eq!(left, right);
        }
    }
}

#[test]
fn erasure_outcomes_match_between_the_ports() {
    // The Blocking adapter passes erase through unchanged.
    let rt = runtime();
    let store = Blocking::new(MemoryStore::new()).unwrap();
    rt.block_on(async {
        use consentry::AsyncConsentStore;
        let k = key("acme", "news", "ann@example.com");
        store.append(&ev(&k, "a", 0, form())).await.unwrap();
        let outcome = store.erase(&k.address, &[], &[], 0).await.unwrap();
        assert_eq!(outcome, EraseOutcome::HistoryChanged);
        let outcome = store.erase(&k.address, &[], &[], 1).await.unwrap();
        assert_eq!(outcome, EraseOutcome::Erased { events_deleted: 1 });
    });
}

/// `send` is awaited in request handlers too: its future must be `Send`.
#[allow(dead_code)]
fn send_future_is_send(
    driver: &AsyncDriver<Blocking<SqliteStore>, Blocking<RecordingMailer>>,
    campaign: &consentry::Campaign<'_>,
    audience: &[EmailAddress],
    classifier: &consentry::classify::Classifier,
) {
    drop(assert_send(driver.send(
        campaign,
        audience.iter(),
        classifier,
    )));
    drop(assert_send(driver.record_batch(&[])));
}

/// A store whose append says when it starts, then waits at a gate.
struct Announcing {
    inner: MemoryStore,
    entered: Mutex<mpsc::Sender<()>>,
    gate: Mutex<mpsc::Receiver<()>>,
}
impl ConsentStore for Announcing {
    type Error = std::convert::Infallible;
    fn append(&self, e: &ConsentEvent) -> Result<AppendOutcome, Self::Error> {
        self.entered.lock().unwrap().send(()).unwrap();
        self.gate.lock().unwrap().recv().unwrap();
        ConsentStore::append(&self.inner, e)
    }
    fn events_for(&self, a: &EmailAddress) -> Result<Vec<ConsentEvent>, Self::Error> {
        ConsentStore::events_for(&self.inner, a)
    }
}

/// Poll a future once (queuing its call), without waiting for it.
async fn poll_once<F: std::future::Future + Unpin>(future: &mut F) {
    std::future::poll_fn(|cx| {
        let _ = std::pin::Pin::new(&mut *future).poll(cx);
        std::task::Poll::Ready(())
    })
    .await;
}

#[test]
fn a_bounded_queue_refuses_calls_beyond_its_backlog() {
    use consentry::AsyncConsentStore;
    let rt = runtime();
    let (open, gate) = mpsc::channel();
    let (entered_tx, entered) = mpsc::channel();
    let store = Blocking::bounded(
        Announcing {
            inner: MemoryStore::new(),
            entered: Mutex::new(entered_tx),
            gate: Mutex::new(gate),
        },
        1,
        1,
    )
    .unwrap();
    rt.block_on(async {
        let k = key("acme", "news", "ann@example.com");
        let (a, b, c) = (
            ev(&k, "a", 0, form()),
            ev(&k, "b", 0, form()),
            ev(&k, "c", 0, form()),
        );
        // The first call holds the worker at the gate…
        let mut first = Box::pin(store.append(&a));
        poll_once(&mut first).await;
        tokio::task::block_in_place(|| entered.recv()).unwrap();
        // …the second waits in the queue; the third finds it full.
        let mut second = Box::pin(store.append(&b));
        poll_once(&mut second).await;
        let third = store.append(&c).await;
        assert!(matches!(third, Err(BlockingError::Busy)), "{third:?}");
        open.send(()).unwrap();
        open.send(()).unwrap();
        assert_eq!(first.await.unwrap(), AppendOutcome::Appended);
        assert_eq!(second.await.unwrap(), AppendOutcome::Appended);
        assert_eq!(
            store.get_ref().inner.len(),
            2,
            "the refused call did nothing"
        );
    });
}

/// A send of more recipients than one read holds, with an erasure salt,
/// through `Blocking` (whose many-at-once reads copy their addresses to
/// the worker): the async driver sends to and suppresses exactly whom the
/// sync driver does, in the same order.
#[test]
fn a_large_send_with_erasure_decides_alike_on_both_drivers() {
    use consentry::classify::{Classifier, DeclaredKind};
    use consentry::eligibility::SendContext;
    use consentry::Campaign;
    let salt = b"a-secret-salt-of-16+".to_vec();
    let sync = Driver::new(
        MemoryStore::new(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    )
    .with_erasure_salt(salt.clone())
    .unwrap();
    let asy = AsyncDriver::new(
        Blocking::new(MemoryStore::new()).unwrap(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    )
    .with_erasure_salt(SALT.to_vec())
    .unwrap();
    let rt = runtime();
    let n = 90;
    for i in 0..n {
        let k = key("acme", "news", &format!("p{i}@example.com"));
        let mut events = vec![ev(&k, &format!("in{i}"), 0, form())];
        if i % 7 == 2 {
            events.push(ev(&k, &format!("out{i}"), 1, opt_out()));
        }
        if i % 11 == 5 {
            events.push(ev(&k, &format!("hb{i}"), 1, Action::HardBounced));
        }
        for e in &events {
            sync.record(e).unwrap();
            rt.block_on(asy.record(e)).unwrap();
        }
        if i % 13 == 0 {
            sync.erase(&k.address).unwrap();
            rt.block_on(asy.erase(&k.address)).unwrap();
        }
    }
    let audience: Vec<EmailAddress> = (0..n)
        .flat_map(|i| {
            [
                addr(&format!("p{i}@example.com")),
                addr(&format!("P{i}@example.com")),
            ]
        })
        .collect();
    let template = good_promo();
    let ctx = SendContext::new(
        TenantId::new("acme").unwrap(),
        ListId::new("news").unwrap(),
        at(100),
    );
    let profile = sender_profile();
    let campaign = Campaign {
        template: &template,
        declared: DeclaredKind::Unspecified,
        context: &ctx,
        profile: &profile,
        personalise: None,
        jurisdiction: None,
    };
    let classifier = Classifier::default();
    let left = sync.send(&campaign, &audience, &classifier).unwrap();
    let right = rt
        .block_on(asy.send(&campaign, &audience, &classifier))
        .unwrap();
    assert!(!left.blocked, "{:?}", left.lint);
    assert_eq!(left.sent, right.sent);
    assert_eq!(left.suppressed, right.suppressed);
    assert!(
        left.sent.len() > 40 && left.suppressed.len() > 15,
        "{} / {}",
        left.sent.len(),
        left.suppressed.len()
    );
    assert_eq!(left.sent.len() + left.suppressed.len(), n);
}
