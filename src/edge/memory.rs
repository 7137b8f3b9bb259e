//! In-memory reference implementations of the ports, thread-safe, for tests
//! and small deployments.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::{Mutex, PoisonError, RwLock};

use chrono::{DateTime, Utc};

use crate::address::EmailAddress;
use crate::consent::ConsentEvent;
use crate::edge::ports::{AppendOutcome, ConsentStore, EraseOutcome, Mailer};
use crate::ids::{EventId, TenantId};
use crate::message::OutboundMessage;
use crate::retention::{AddressHash, ErasedFact};
use crate::unsubscribe::KeptToken;

/// The maps' hasher: foldhash, seeded per process (SipHash's cost showed
/// in every send).
type Hasher = foldhash::quality::RandomState;

/// What a tenant-scoped id holds: the event, or nothing once erased (the
/// id stays reserved so a replayed webhook cannot bring it back).
enum Slot {
    Live(Box<ConsentEvent>),
    Erased,
}

#[derive(Default)]
struct Inner {
    ids: HashMap<(TenantId, EventId), Slot, Hasher>,
    by_address: HashMap<String, Vec<ConsentEvent>, Hasher>,
    erased: HashMap<AddressHash, Vec<ErasedFact>, Hasher>,
    tokens: HashMap<String, KeptToken, Hasher>,
}

/// A thread-safe in-memory [`ConsentStore`], indexed by canonical address.
///
/// Its error type is [`Infallible`]. A panic in another thread while holding
/// its lock does not poison it: every append is applied whole or not at all.
#[derive(Default)]
pub struct MemoryStore {
    inner: RwLock<Inner>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many event ids were ever appended (an erased event keeps its id
    /// reserved, so a replayed webhook cannot bring it back).
    pub fn len(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .ids
            .len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The canonical addresses that have events, sorted.
    pub fn addresses(&self) -> Vec<String> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let mut out: Vec<String> = inner.by_address.keys().cloned().collect();
        out.sort();
        out
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("events", &self.len())
            .finish()
    }
}

impl ConsentStore for MemoryStore {
    type Error = Infallible;

    fn append(&self, event: &ConsentEvent) -> Result<AppendOutcome, Infallible> {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let id = (event.tenant.clone(), event.id.clone());
        match inner.ids.get(&id) {
            Some(Slot::Live(stored)) if **stored == *event => return Ok(AppendOutcome::Duplicate),
            Some(Slot::Live(_)) => return Ok(AppendOutcome::Conflict),
            Some(Slot::Erased) => return Ok(AppendOutcome::Duplicate),
            None => {}
        }
        let key = event.address.canonical().to_owned();
        inner.by_address.entry(key).or_default().push(event.clone());
        inner.ids.insert(id, Slot::Live(Box::new(event.clone())));
        Ok(AppendOutcome::Appended)
    }

    fn events_for(&self, address: &EmailAddress) -> Result<Vec<ConsentEvent>, Infallible> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Ok(inner
            .by_address
            .get(address.canonical())
            .cloned()
            .unwrap_or_default())
    }

    fn events_for_many(
        &self,
        addresses: &[&EmailAddress],
    ) -> Result<Vec<Vec<ConsentEvent>>, Infallible> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Ok(addresses
            .iter()
            .map(|a| {
                inner
                    .by_address
                    .get(a.canonical())
                    .cloned()
                    .unwrap_or_default()
            })
            .collect())
    }

    /// Lent under the read lock, without copying an event.
    fn lend_events_for_many(
        &self,
        addresses: &[&EmailAddress],
        each: &mut dyn FnMut(usize, &[ConsentEvent]),
    ) -> Result<(), Infallible> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        for (i, a) in addresses.iter().enumerate() {
            each(
                i,
                inner
                    .by_address
                    .get(a.canonical())
                    .map_or(&[][..], Vec::as_slice),
            );
        }
        Ok(())
    }

    fn erased_facts(&self, hash: &AddressHash) -> Result<Vec<ErasedFact>, Infallible> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Ok(inner.erased.get(hash).cloned().unwrap_or_default())
    }

    fn erased_facts_many(
        &self,
        hashes: &[AddressHash],
    ) -> Result<Vec<Vec<ErasedFact>>, Infallible> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Ok(hashes
            .iter()
            .map(|h| inner.erased.get(h).cloned().unwrap_or_default())
            .collect())
    }

    fn keep_token(&self, kept: &KeptToken) -> Result<bool, Infallible> {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        inner
            .tokens
            .entry(kept.token.clone())
            .or_insert_with(|| kept.clone());
        Ok(true)
    }

    fn kept_token(&self, token: &str) -> Result<Option<KeptToken>, Infallible> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        Ok(inner.tokens.get(token).cloned())
    }

    fn kept_tokens_for(&self, address: &EmailAddress) -> Result<Vec<KeptToken>, Infallible> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let mut out: Vec<KeptToken> = inner
            .tokens
            .values()
            .filter(|k| k.address.canonical() == address.canonical())
            .cloned()
            .collect();
        out.sort_by(|a, b| (a.issued_at, &a.token).cmp(&(b.issued_at, &b.token)));
        Ok(out)
    }

    fn purge_kept_tokens(&self, issued_before: DateTime<Utc>) -> Result<usize, Infallible> {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let before = inner.tokens.len();
        inner
            .tokens
            .retain(|_, kept| kept.issued_at >= issued_before);
        Ok(before - inner.tokens.len())
    }

    fn erasure_salt_ids(&self) -> Result<Vec<String>, Infallible> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let mut ids: Vec<String> = inner
            .erased
            .values()
            .flatten()
            .map(|f| f.salt_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    fn erase(
        &self,
        address: &EmailAddress,
        keep: &[ErasedFact],
        replaces: &[AddressHash],
        covered: usize,
    ) -> Result<EraseOutcome, Infallible> {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let live = inner
            .by_address
            .get(address.canonical())
            .map_or(0, Vec::len);
        if live != covered {
            return Ok(EraseOutcome::HistoryChanged);
        }
        let removed = inner
            .by_address
            .remove(address.canonical())
            .unwrap_or_default();
        // The ids stay reserved (their events dropped): a replayed webhook
        // of an erased event must not bring it back.
        for e in &removed {
            if let Some(slot) = inner.ids.get_mut(&(e.tenant.clone(), e.id.clone())) {
                *slot = Slot::Erased;
            }
        }
        for hash in replaces {
            inner.erased.remove(hash);
        }
        inner
            .tokens
            .retain(|_, kept| kept.address.canonical() != address.canonical());
        for s in keep {
            let kept = inner.erased.entry(s.hash).or_default();
            if !kept.contains(s) {
                kept.push(s.clone());
            }
        }
        Ok(EraseOutcome::Erased {
            events_deleted: removed.len(),
        })
    }
}

/// A [`Mailer`] that records every message instead of sending it, like
/// lettre's `StubTransport`; it can also be told to fail (every delivery, or
/// the deliveries to some addresses), so tests need not hand-write a broken
/// mailer.
#[derive(Default)]
pub struct RecordingMailer {
    sent: Mutex<Vec<OutboundMessage>>,
    refuse: Refuse,
}

#[derive(Default)]
enum Refuse {
    #[default]
    Nothing,
    Everything,
    Addresses(HashSet<String>),
}

/// The error of a [`RecordingMailer`] told to fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the recording mailer refused the delivery to `{address}`, as it was told to")]
pub struct RefusedDelivery {
    /// The recipient's canonical address.
    pub address: String,
}

impl RecordingMailer {
    /// A mailer that has sent nothing and delivers everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// A mailer whose every delivery fails with [`RefusedDelivery`].
    pub fn failing() -> Self {
        RecordingMailer {
            sent: Mutex::default(),
            refuse: Refuse::Everything,
        }
    }

    /// A mailer whose deliveries to these addresses fail (by canonical
    /// key); the others are recorded.
    pub fn failing_for<'a>(addresses: impl IntoIterator<Item = &'a EmailAddress>) -> Self {
        RecordingMailer {
            sent: Mutex::default(),
            refuse: Refuse::Addresses(
                addresses
                    .into_iter()
                    .map(|a| a.canonical().to_owned())
                    .collect(),
            ),
        }
    }

    /// Every message delivered so far, in order.
    pub fn sent(&self) -> Vec<OutboundMessage> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl std::fmt::Debug for RecordingMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self
            .sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("RecordingMailer").field("sent", &n).finish()
    }
}

impl Mailer for RecordingMailer {
    type Error = RefusedDelivery;

    fn deliver(&self, message: &OutboundMessage) -> Result<(), RefusedDelivery> {
        let canonical = message.to().canonical();
        let refused = match &self.refuse {
            Refuse::Nothing => false,
            Refuse::Everything => true,
            Refuse::Addresses(set) => set.contains(canonical),
        };
        if refused {
            return Err(RefusedDelivery {
                address: canonical.to_owned(),
            });
        }
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(message.clone());
        Ok(())
    }
}
