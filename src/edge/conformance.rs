//! A store-conformance suite a host runs against its own [`ConsentStore`].
//!
//! ```
//! use consentry::edge::conformance;
//! use consentry::MemoryStore;
//!
//! conformance::check_consent_store(MemoryStore::new)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Call it from a test of your crate with a factory that returns an empty
//! store each time (a fresh database, a fresh schema, a fresh tenant).

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use crate::address::EmailAddress;
use crate::consent::{Action, Basis, ConsentEvent, Evidence, OptOutChannel};
use crate::edge::engine::{run_ready, StorePort, SyncPorts};
use crate::edge::ports::{AppendOutcome, ConsentStore, EraseOutcome};
use crate::ids::EventId;
use crate::ids::{ListId, TenantId};

/// A conformance check that failed, with what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("store conformance check `{check}` failed: {detail}")]
pub struct ConformanceFailure {
    /// The check's name.
    pub check: &'static str,
    /// What went wrong.
    pub detail: String,
}

fn fail(check: &'static str, detail: impl Into<String>) -> ConformanceFailure {
    ConformanceFailure {
        check,
        detail: detail.into(),
    }
}

fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

fn fixture(
    id: &str,
    address: &str,
    minutes: i64,
    action: Action,
) -> Result<ConsentEvent, ConformanceFailure> {
    let err = |e: &dyn std::fmt::Display| fail("fixture", e.to_string());
    Ok(ConsentEvent {
        id: EventId::new(id).map_err(|e| err(&e))?,
        at: base_time() + TimeDelta::minutes(minutes),
        tenant: TenantId::new("conformance-tenant").map_err(|e| err(&e))?,
        list: Some(ListId::new("conformance-list").map_err(|e| err(&e))?),
        address: EmailAddress::parse(address).map_err(|e| err(&e))?,
        action,
        evidence: Evidence {
            text: Some(format!("conformance fixture {id}")),
            ..Evidence::default()
        },
    })
}

fn opt_in() -> Action {
    Action::OptedIn {
        basis: Basis::ExpressForm,
    }
}

fn store_err<E: std::error::Error>(check: &'static str) -> impl Fn(E) -> ConformanceFailure {
    move |e| fail(check, format!("store error: {e}"))
}

/// Run every check against stores made by `make` (one fresh store per check).
///
/// Checks: append is idempotent by event id and keeps the first event;
/// nothing appended is lost; `events_for` isolates addresses and matches by
/// canonical key; append order is kept per address; an unknown address has
/// no events; `events_for_many` gives each address, in the order asked
/// (repeats and unknown addresses included), what `events_for` gives, and
/// `lend_events_for_many` lends the same, each address once, in order;
/// and, for stores that support erasure, erasing one address deletes its
/// events, keeps its hashed suppressions findable (one by one and many at
/// once), reserves the erased ids and touches nobody else; and, for stores that keep reference
/// tokens, a kept token reads back as kept, keeping it twice is harmless,
/// purging deletes exactly the tokens issued before the given time, and
/// erasing its person deletes it (and nobody else's).
///
/// # Errors
///
/// The first [`ConformanceFailure`], naming the check.
pub fn check_consent_store<S, F>(mut make: F) -> Result<(), ConformanceFailure>
where
    S: ConsentStore,
    F: FnMut() -> S,
{
    run_ready(async {
        idempotent_append(&SyncPorts(&make())).await?;
        batch_append(&SyncPorts(&make())).await?;
        nothing_lost(&SyncPorts(&make())).await?;
        isolation(&SyncPorts(&make())).await?;
        order_kept(&SyncPorts(&make())).await?;
        many_at_once(&SyncPorts(&make())).await?;
        erasure(&SyncPorts(&make())).await?;
        kept_tokens(&SyncPorts(&make())).await?;
        Ok(())
    })
}

/// [`check_consent_store`] for an [`AsyncConsentStore`](crate::edge::async_ports::AsyncConsentStore)
/// (feature `async`): the same checks, awaited on the caller's runtime.
/// `make` returns a future of a fresh, empty store each time.
///
/// ```
/// # #[cfg(feature = "async")] {
/// use consentry::edge::conformance;
/// use consentry::MemoryStore;
///
/// # let runtime = tokio::runtime::Builder::new_current_thread().build()?;
/// # runtime.block_on(async {
/// conformance::check_async_consent_store(|| async { MemoryStore::new() }).await?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// The first [`ConformanceFailure`], naming the check.
#[cfg(feature = "async")]
pub async fn check_async_consent_store<S, F, Fut>(mut make: F) -> Result<(), ConformanceFailure>
where
    S: crate::edge::async_ports::AsyncConsentStore,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = S>,
{
    use crate::edge::async_ports::AsyncPorts;
    idempotent_append(&AsyncPorts(&make().await)).await?;
    batch_append(&AsyncPorts(&make().await)).await?;
    nothing_lost(&AsyncPorts(&make().await)).await?;
    isolation(&AsyncPorts(&make().await)).await?;
    order_kept(&AsyncPorts(&make().await)).await?;
    many_at_once(&AsyncPorts(&make().await)).await?;
    erasure(&AsyncPorts(&make().await)).await?;
    kept_tokens(&AsyncPorts(&make().await)).await?;
    Ok(())
}

/// If the store supports erasure: erasing one address deletes its events,
/// keeps the given hashed suppressions findable, and touches nobody else.
async fn erasure<S: StorePort>(store: &S) -> Result<(), ConformanceFailure> {
    const CHECK: &str = "erasure";
    let gone = fixture("er-1", "gone@example.com", 0, opt_in())?;
    let out = fixture(
        "er-2",
        "gone@example.com",
        1,
        Action::OptedOut {
            via: OptOutChannel::FooterLink,
        },
    )?;
    let stays = fixture("er-3", "stays@example.com", 2, opt_in())?;
    for e in [&gone, &out, &stays] {
        store.append(e).await.map_err(store_err(CHECK))?;
    }
    let salt = b"conformance-salt-0123";
    let keep = crate::retention::erasure_plan(salt, &gone.address, &[gone.clone(), out.clone()]);
    let hash = crate::retention::AddressHash::new(salt, &gone.address);
    // A plan made from fewer events than the store holds is refused and
    // changes nothing: an event that arrived meanwhile is never lost.
    match store
        .erase(&gone.address, &keep, &[hash], 1)
        .await
        .map_err(store_err(CHECK))?
    {
        EraseOutcome::Unsupported => return Ok(()), // nothing to check
        EraseOutcome::HistoryChanged => {}
        other => {
            return Err(fail(
                CHECK,
                format!(
                "an erasure planned from 1 of 2 events returned {other:?}, expected HistoryChanged"
            ),
            ))
        }
    }
    if store
        .events_for(&gone.address)
        .await
        .map_err(store_err(CHECK))?
        .len()
        != 2
    {
        return Err(fail(CHECK, "a refused erasure changed the person's events"));
    }
    let EraseOutcome::Erased {
        events_deleted: deleted,
    } = store
        .erase(&gone.address, &keep, &[hash], 2)
        .await
        .map_err(store_err(CHECK))?
    else {
        return Err(fail(CHECK, "an erasure with a current plan was not done"));
    };
    if deleted != 2 {
        return Err(fail(
            CHECK,
            format!("erase reported {deleted} deleted events, expected 2"),
        ));
    }
    if !store
        .events_for(&gone.address)
        .await
        .map_err(store_err(CHECK))?
        .is_empty()
    {
        return Err(fail(
            CHECK,
            "events of the erased address are still returned",
        ));
    }
    let kept = store.erased_facts(&hash).await.map_err(store_err(CHECK))?;
    if kept != keep {
        return Err(fail(
            CHECK,
            format!("expected {} kept facts, found {}", keep.len(), kept.len()),
        ));
    }
    let other = crate::retention::AddressHash::new(salt, &stays.address);
    let many = store
        .erased_facts_many(&[hash, other, hash])
        .await
        .map_err(store_err(CHECK))?;
    if many != vec![keep.clone(), Vec::new(), keep.clone()] {
        return Err(fail(
            CHECK,
            format!(
                "erased_facts_many for (erased, never erased, erased) gave lists of {:?} facts, expected [{}, 0, {}]",
                many.iter().map(Vec::len).collect::<Vec<_>>(),
                keep.len(),
                keep.len()
            ),
        ));
    }
    let salt_ids = store.erasure_salt_ids().await.map_err(store_err(CHECK))?;
    if salt_ids != vec![crate::retention::salt_id(salt)] {
        return Err(fail(
            CHECK,
            format!("erasure_salt_ids returned {salt_ids:?}, expected the one salt used"),
        ));
    }
    // Erasing again replaces the kept facts instead of adding to them.
    store
        .erase(&gone.address, &keep, &[hash], 0)
        .await
        .map_err(store_err(CHECK))?;
    let again = store.erased_facts(&hash).await.map_err(store_err(CHECK))?;
    if again != keep {
        return Err(fail(
            CHECK,
            format!(
                "a second erasure left {} kept facts, expected {}",
                again.len(),
                keep.len()
            ),
        ));
    }
    if store
        .events_for(&stays.address)
        .await
        .map_err(store_err(CHECK))?
        != vec![stays.clone()]
    {
        return Err(fail(CHECK, "erasing one address changed another's events"));
    }
    if store.append(&gone).await.map_err(store_err(CHECK))? != AppendOutcome::Duplicate {
        return Err(fail(
            CHECK,
            "an erased event's id was accepted again (a replayed webhook would restore it)",
        ));
    }
    Ok(())
}

async fn idempotent_append<S: StorePort>(store: &S) -> Result<(), ConformanceFailure> {
    const CHECK: &str = "idempotent_append";
    let first = fixture("dup-1", "dup@example.com", 0, opt_in())?;
    let again = fixture(
        "dup-1",
        "dup@example.com",
        5,
        Action::OptedOut {
            via: OptOutChannel::Admin,
        },
    )?;
    let o1 = store.append(&first).await.map_err(store_err(CHECK))?;
    let o2 = store.append(&first).await.map_err(store_err(CHECK))?;
    let o3 = store.append(&again).await.map_err(store_err(CHECK))?;
    if o1 != AppendOutcome::Appended {
        return Err(fail(CHECK, format!("first append returned {o1:?}")));
    }
    if o2 != AppendOutcome::Duplicate {
        return Err(fail(
            CHECK,
            format!("the same event again returned {o2:?}, expected Duplicate"),
        ));
    }
    if o3 != AppendOutcome::Conflict {
        return Err(fail(
            CHECK,
            format!(
                "a different event under a stored tenant and id returned {o3:?}, expected Conflict"
            ),
        ));
    }
    // Ids are scoped to the tenant: another tenant's event with the same id
    // is a different event, and both are kept.
    let mut elsewhere = again.clone();
    elsewhere.tenant =
        TenantId::new("conformance-other-tenant").map_err(|e| fail(CHECK, e.to_string()))?;
    let o4 = store.append(&elsewhere).await.map_err(store_err(CHECK))?;
    if o4 != AppendOutcome::Appended {
        return Err(fail(
            CHECK,
            format!("the same id in another tenant returned {o4:?}, expected Appended"),
        ));
    }
    let events = store
        .events_for(&first.address)
        .await
        .map_err(store_err(CHECK))?;
    if events != vec![first, elsewhere] {
        return Err(fail(
            CHECK,
            format!(
                "expected exactly the first event, found {} events",
                events.len()
            ),
        ));
    }
    Ok(())
}

/// A batch answers event by event, in order, as single appends would
/// (a repeat inside the batch included), and stores what it says.
async fn batch_append<S: StorePort>(store: &S) -> Result<(), ConformanceFailure> {
    const CHECK: &str = "batch_append";
    let before = fixture("batch-0", "batch@example.com", 0, opt_in())?;
    store.append(&before).await.map_err(store_err(CHECK))?;
    let new = fixture("batch-1", "batch@example.com", 1, opt_in())?;
    let other = fixture(
        "batch-0",
        "batch@example.com",
        2,
        Action::OptedOut {
            via: OptOutChannel::Admin,
        },
    )?;
    let batch = [before.clone(), new.clone(), new.clone(), other];
    let outcomes = store.append_batch(&batch).await.map_err(store_err(CHECK))?;
    let expected = [
        AppendOutcome::Duplicate,
        AppendOutcome::Appended,
        AppendOutcome::Duplicate,
        AppendOutcome::Conflict,
    ];
    if outcomes != expected {
        return Err(fail(
            CHECK,
            format!("a batch answered {outcomes:?}, expected {expected:?}"),
        ));
    }
    let stored = store
        .events_for(&before.address)
        .await
        .map_err(store_err(CHECK))?;
    if stored != vec![before, new] {
        return Err(fail(
            CHECK,
            format!(
                "after the batch {} events are stored, expected 2",
                stored.len()
            ),
        ));
    }
    Ok(())
}

async fn nothing_lost<S: StorePort>(store: &S) -> Result<(), ConformanceFailure> {
    const CHECK: &str = "nothing_lost";
    let mut appended = Vec::new();
    for i in 0..200 {
        let address = format!("user{}@example.com", i % 17);
        let action = if i % 5 == 0 {
            Action::SoftBounced
        } else {
            opt_in()
        };
        let e = fixture(&format!("lost-{i}"), &address, i, action)?;
        store.append(&e).await.map_err(store_err(CHECK))?;
        appended.push(e);
    }
    let mut found = 0usize;
    for i in 0..17 {
        let address = EmailAddress::parse(&format!("user{i}@example.com"))
            .map_err(|e| fail(CHECK, e.to_string()))?;
        let events = store.events_for(&address).await.map_err(store_err(CHECK))?;
        for e in &events {
            if !appended.contains(e) {
                return Err(fail(CHECK, format!("event `{}` was altered", e.id)));
            }
        }
        found += events.len();
    }
    if found != appended.len() {
        return Err(fail(
            CHECK,
            format!("appended {} events, found {found}", appended.len()),
        ));
    }
    Ok(())
}

async fn isolation<S: StorePort>(store: &S) -> Result<(), ConformanceFailure> {
    const CHECK: &str = "isolation";
    let ann = fixture("iso-1", "Ann@Example.COM", 0, opt_in())?;
    let bob = fixture("iso-2", "bob@example.com", 1, opt_in())?;
    let ann_plus = fixture("iso-3", "ann+news@example.com", 2, opt_in())?;
    for e in [&ann, &bob, &ann_plus] {
        store.append(e).await.map_err(store_err(CHECK))?;
    }
    let lookup = EmailAddress::parse("ann@example.com").map_err(|e| fail(CHECK, e.to_string()))?;
    let events = store.events_for(&lookup).await.map_err(store_err(CHECK))?;
    if events != vec![ann] {
        return Err(fail(
            CHECK,
            format!(
                "lookup by canonical address must return exactly its one event, found {:?}",
                events.iter().map(|e| e.id.as_str()).collect::<Vec<_>>()
            ),
        ));
    }
    let nobody =
        EmailAddress::parse("nobody@example.com").map_err(|e| fail(CHECK, e.to_string()))?;
    let none = store.events_for(&nobody).await.map_err(store_err(CHECK))?;
    if !none.is_empty() {
        return Err(fail(CHECK, "an unknown address returned events"));
    }
    Ok(())
}

/// `events_for_many` answers each address, in the order asked, exactly as
/// `events_for` does: repeated and unknown addresses included; and
/// `lend_events_for_many` lends the same lists, each address once, in order.
async fn many_at_once<S: StorePort>(store: &S) -> Result<(), ConformanceFailure> {
    const CHECK: &str = "many_at_once";
    let events = [
        fixture("many-1", "ann@example.com", 0, opt_in())?,
        fixture("many-2", "bob@example.com", 1, opt_in())?,
        fixture("many-3", "Ann@Example.COM", 2, opt_in())?,
        fixture("many-4", "cy@example.com", 3, opt_in())?,
    ];
    for e in &events {
        store.append(e).await.map_err(store_err(CHECK))?;
    }
    let parse = |s: &str| EmailAddress::parse(s).map_err(|e| fail(CHECK, e.to_string()));
    let asked = [
        parse("cy@example.com")?,
        parse("nobody@example.com")?,
        parse("ANN@example.com")?,
        parse("bob@example.com")?,
        parse("cy@example.com")?,
    ];
    let refs: Vec<&EmailAddress> = asked.iter().collect();
    let many = store
        .events_for_many(&refs)
        .await
        .map_err(store_err(CHECK))?;
    if many.len() != asked.len() {
        return Err(fail(
            CHECK,
            format!(
                "asked for {} addresses, got {} lists",
                asked.len(),
                many.len()
            ),
        ));
    }
    for (address, list) in asked.iter().zip(&many) {
        let one = store.events_for(address).await.map_err(store_err(CHECK))?;
        if *list != one {
            return Err(fail(
                CHECK,
                format!(
                    "for {address}: events_for_many gave {:?}, events_for gave {:?}",
                    list.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
                    one.iter().map(|e| e.id.as_str()).collect::<Vec<_>>()
                ),
            ));
        }
    }
    let none = store.events_for_many(&[]).await.map_err(store_err(CHECK))?;
    if !none.is_empty() {
        return Err(fail(CHECK, "no addresses asked, yet lists returned"));
    }
    let mut called = false;
    store
        .lend_events_for_many(&[], &mut |_, _| called = true)
        .await
        .map_err(store_err(CHECK))?;
    if called {
        return Err(fail(
            CHECK,
            "no addresses asked, yet lend_events_for_many lent a list",
        ));
    }
    // Lent: each address once, in order, what `events_for` gives.
    let mut lent: Vec<(usize, Vec<ConsentEvent>)> = Vec::new();
    store
        .lend_events_for_many(&refs, &mut |i, events| lent.push((i, events.to_vec())))
        .await
        .map_err(store_err(CHECK))?;
    let order: Vec<usize> = lent.iter().map(|(i, _)| *i).collect();
    if order != (0..asked.len()).collect::<Vec<_>>() {
        return Err(fail(
            CHECK,
            format!("lend_events_for_many lent the addresses {order:?}, not each once in order"),
        ));
    }
    for ((_, list), one) in lent.iter().zip(&many) {
        if list != one {
            return Err(fail(
                CHECK,
                format!(
                    "lend_events_for_many lent {:?} where events_for gave {:?}",
                    list.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
                    one.iter().map(|e| e.id.as_str()).collect::<Vec<_>>()
                ),
            ));
        }
    }
    Ok(())
}

async fn order_kept<S: StorePort>(store: &S) -> Result<(), ConformanceFailure> {
    const CHECK: &str = "order_kept";
    // Appended out of time order on purpose: the store keeps append order;
    // the fold does the sorting.
    let ids = ["ord-c", "ord-a", "ord-b", "ord-e", "ord-d"];
    let mut expected = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let minutes = 100 - i64::try_from(i).unwrap_or(0) * 10;
        let e = fixture(id, "order@example.com", minutes, opt_in())?;
        store.append(&e).await.map_err(store_err(CHECK))?;
        expected.push(e);
    }
    let address =
        EmailAddress::parse("order@example.com").map_err(|e| fail(CHECK, e.to_string()))?;
    let events = store.events_for(&address).await.map_err(store_err(CHECK))?;
    if events != expected {
        return Err(fail(
            CHECK,
            format!(
                "expected append order {:?}, found {:?}",
                ids,
                events.iter().map(|e| e.id.as_str()).collect::<Vec<_>>()
            ),
        ));
    }
    Ok(())
}

/// A reference token kept for `address` by a fixed conformance key.
fn kept_for(address: &str) -> Result<crate::unsubscribe::KeptToken, ConformanceFailure> {
    use crate::unsubscribe::{IssuedToken, KeyRing, TokenKey};
    let err = |e: &dyn std::fmt::Display| fail("fixture", e.to_string());
    let key = TokenKey::new("conformance", [7u8; 32].to_vec()).map_err(|e| err(&e))?;
    let issued = KeyRing::new(key).issue(
        &TenantId::new("conformance-tenant").map_err(|e| err(&e))?,
        &ListId::new("conformance-list").map_err(|e| err(&e))?,
        &EmailAddress::parse(address).map_err(|e| err(&e))?,
        base_time(),
    );
    match issued {
        IssuedToken::Kept(kept) => Ok(kept),
        IssuedToken::Sealed(_) => Err(fail("fixture", "a long address gave a sealed token")),
    }
}

/// If the store keeps reference tokens: they read back, keeping one twice
/// changes nothing, a purge deletes exactly those issued before its time
/// (when the store purges), and erasing the person deletes theirs only.
async fn kept_tokens<S: StorePort>(store: &S) -> Result<(), ConformanceFailure> {
    const CHECK: &str = "kept_tokens";
    let long = |name: &str| {
        format!(
            "{name}.{}@{}.{}.example",
            "x".repeat(50),
            "d".repeat(60),
            "e".repeat(60)
        )
    };
    let gone = kept_for(&long("gone"))?;
    let stays = kept_for(&long("stays"))?;
    if store
        .kept_token(&gone.token)
        .await
        .map_err(store_err(CHECK))?
        .is_some()
    {
        return Err(fail(CHECK, "an empty store returned a kept token"));
    }
    if !store.keep_token(&gone).await.map_err(store_err(CHECK))? {
        return Ok(()); // the store does not keep tokens: nothing more to check
    }
    for kept in [&gone, &stays, &gone] {
        if !store.keep_token(kept).await.map_err(store_err(CHECK))? {
            return Err(fail(CHECK, "keep_token said true once, then false"));
        }
    }
    for kept in [&gone, &stays] {
        let back = store
            .kept_token(&kept.token)
            .await
            .map_err(store_err(CHECK))?;
        if back.as_ref() != Some(kept) {
            return Err(fail(
                CHECK,
                format!("kept_token returned {back:?}, expected what was kept"),
            ));
        }
        // Listed for the person's export: a store that keeps tokens must
        // say whose they are (an access request covers them).
        let listed = store
            .kept_tokens_for(&kept.address)
            .await
            .map_err(store_err(CHECK))?;
        if listed != vec![kept.clone()] {
            return Err(fail(
                CHECK,
                format!("kept_tokens_for listed {listed:?}, expected exactly the one kept"),
            ));
        }
    }
    // Purging by issue time deletes the older and keeps the newer.
    let later = {
        use crate::unsubscribe::{IssuedToken, KeyRing, TokenKey};
        let key = TokenKey::new("conformance", [7u8; 32].to_vec())
            .map_err(|e| fail("fixture", e.to_string()))?;
        match KeyRing::new(key).issue(
            &stays.tenant,
            &stays.list,
            &stays.address,
            base_time() + TimeDelta::days(40),
        ) {
            IssuedToken::Kept(kept) => kept,
            IssuedToken::Sealed(_) => {
                return Err(fail("fixture", "a long address gave a sealed token"))
            }
        }
    };
    store.keep_token(&later).await.map_err(store_err(CHECK))?;
    let purged = store
        .purge_kept_tokens(base_time() + TimeDelta::days(30))
        .await
        .map_err(store_err(CHECK))?;
    let later_back = store
        .kept_token(&later.token)
        .await
        .map_err(store_err(CHECK))?;
    let stays_back = store
        .kept_token(&stays.token)
        .await
        .map_err(store_err(CHECK))?;
    let purges = !(purged == 0 && later_back.is_some() && stays_back.is_some());
    if purges {
        // A store that purges must delete exactly the tokens issued before.
        if purged != 2 || later_back.as_ref() != Some(&later) || stays_back.is_some() {
            return Err(fail(
                CHECK,
                format!(
                    "purging tokens issued before day 30 deleted {purged} (expected 2) and left {} of the 1 newer",
                    usize::from(later_back.is_some())
                ),
            ));
        }
        // Put the purged ones back for the erasure check.
        for kept in [&gone, &stays] {
            store.keep_token(kept).await.map_err(store_err(CHECK))?;
        }
    }
    match store
        .erase(&gone.address, &[], &[], 0)
        .await
        .map_err(store_err(CHECK))?
    {
        EraseOutcome::Unsupported => return Ok(()),
        EraseOutcome::Erased { .. } => {}
        EraseOutcome::HistoryChanged => {
            return Err(fail(
                CHECK,
                "erasing a person with no events said HistoryChanged",
            ))
        }
    }
    if store
        .kept_token(&gone.token)
        .await
        .map_err(store_err(CHECK))?
        .is_some()
    {
        return Err(fail(
            CHECK,
            "an erased person's kept token is still there (it holds their address)",
        ));
    }
    if store
        .kept_token(&stays.token)
        .await
        .map_err(store_err(CHECK))?
        .as_ref()
        != Some(&stays)
    {
        return Err(fail(
            CHECK,
            "erasing one person deleted another's kept token",
        ));
    }
    Ok(())
}
