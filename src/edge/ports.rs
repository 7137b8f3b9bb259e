//! Ports: the small traits a host implements for persistence and delivery.
//!
//! They are synchronous, take `&self`, are object-safe and have an
//! associated error type, like lettre's `Transport`. The pure core never
//! calls them; the [`Driver`](crate::Driver) reads through them, calls the
//! core and writes its effects back.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::address::EmailAddress;
use crate::consent::ConsentEvent;
use crate::message::OutboundMessage;
use crate::retention::{AddressHash, ErasedFact};
use crate::unsubscribe::KeptToken;

/// What an append did.
///
/// Event ids are scoped to their tenant: tenant B's event `2` and tenant
/// A's event `2` are different events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendOutcome {
    /// The event was new and is now stored.
    Appended,
    /// The same event (same tenant, id and content) was already stored, or
    /// an event with this tenant and id was stored and later erased;
    /// nothing changed. A retried webhook lands here.
    Duplicate,
    /// A different event with this tenant and id is stored; nothing
    /// changed. Two events were given one id: a bug in the host's id
    /// scheme, never silently dropped. [`Driver::record`](crate::Driver::record)
    /// reports it as [`ServiceError::IdConflict`](crate::ServiceError::IdConflict).
    Conflict,
}

/// What an erasure did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EraseOutcome {
    /// The person's events are gone and the plan's facts kept.
    Erased {
        /// How many events were deleted.
        events_deleted: usize,
    },
    /// The person's events changed since the plan was made (an event
    /// arrived meanwhile); nothing changed. Plan again and retry.
    HistoryChanged,
    /// The store cannot erase.
    Unsupported,
}

/// Persistence of consent events (suppressions are derived from them).
///
/// Implementations must pass
/// [`conformance::check_consent_store`](crate::edge::conformance::check_consent_store):
/// ids are scoped to the tenant; appending the same event twice stores it
/// once ([`AppendOutcome::Duplicate`]); another event under a stored
/// tenant and id is refused ([`AppendOutcome::Conflict`]) and changes
/// nothing; nothing appended is lost; `events_for` returns only that
/// person's events (matched by canonical address) in the order they were
/// appended.
pub trait ConsentStore {
    /// The store's error; the driver wraps it in
    /// [`ServiceError::Store`](crate::ServiceError::Store).
    type Error: std::error::Error + Send + Sync + 'static;

    /// Append one event unless an event with its tenant and id is already
    /// stored (then [`AppendOutcome::Duplicate`] if it is the same event,
    /// [`AppendOutcome::Conflict`] if not).
    ///
    /// # Errors
    ///
    /// The store's own failure (I/O, lock, constraint). On error nothing
    /// must have been stored.
    fn append(&self, event: &ConsentEvent) -> Result<AppendOutcome, Self::Error>;

    /// Every event about `address` (by canonical key), in append order.
    ///
    /// Any order is correct (the fold sorts), but a history already in the
    /// fold's order (time order, opt-outs after opt-ins at the same
    /// instant, then id), as a store that appends events as they happen
    /// usually holds it, is folded fastest: it is neither sorted nor
    /// checked for repeats. So is the exact reverse of that order (newest
    /// first).
    ///
    /// # Errors
    ///
    /// The store's own failure.
    fn events_for(&self, address: &EmailAddress) -> Result<Vec<ConsentEvent>, Self::Error>;

    /// The events of several addresses at once: one list per address, in
    /// the order given, each what [`events_for`](Self::events_for) gives
    /// (an address given twice gets its list twice). A campaign send reads
    /// its audience through [`lend_events_for_many`](Self::lend_events_for_many),
    /// whose default calls this, 32 addresses at a time (this, when erasure
    /// salts are configured). By default one
    /// `events_for` after another; the memory store answers under one
    /// lock, the SQLite store under one lock with one prepared statement,
    /// the PostgreSQL stores with one query.
    ///
    /// As with `events_for`, lists in the fold's order (time order) are
    /// folded fastest.
    ///
    /// # Errors
    ///
    /// The store's own failure.
    fn events_for_many(
        &self,
        addresses: &[&EmailAddress],
    ) -> Result<Vec<Vec<ConsentEvent>>, Self::Error> {
        addresses.iter().map(|a| self.events_for(a)).collect()
    }

    /// The events of several addresses, lent rather than handed over:
    /// `each` gets the index of each address in `addresses` and its events
    /// (what [`events_for`](Self::events_for) gives), once per address, in
    /// order. A campaign send reads its audience this way, so a store that
    /// holds its events in memory can lend them without copying (the memory
    /// store does). By default [`events_for_many`](Self::events_for_many),
    /// each list lent in turn (an answer short of one list per address is
    /// completed with `events_for`; lists past the last address are
    /// ignored).
    ///
    /// The driver's `each` only folds the events it is lent: it calls no
    /// host code and never the store, so a store may hold a lock while it
    /// runs. Call it at most once per address: the driver ignores a repeat
    /// and reads an address that was not lent with `events_for`.
    ///
    /// # Errors
    ///
    /// The store's own failure; `each` may have seen some addresses.
    fn lend_events_for_many(
        &self,
        addresses: &[&EmailAddress],
        each: &mut dyn FnMut(usize, &[ConsentEvent]),
    ) -> Result<(), Self::Error> {
        let lists = self.events_for_many(addresses)?;
        for (i, address) in addresses.iter().enumerate() {
            match lists.get(i) {
                Some(events) => each(i, events),
                None => each(i, &self.events_for(address)?),
            }
        }
        Ok(())
    }

    /// Append several events, with one outcome each, in order (an event
    /// repeating an earlier one of the batch is its `Duplicate` or
    /// `Conflict`). By default one [`append`](Self::append) after another,
    /// so on error a prefix may be stored (a retry is safe: appends are
    /// idempotent); the SQLite store does it in one transaction, all or
    /// nothing.
    ///
    /// # Errors
    ///
    /// The store's own failure.
    fn append_batch(&self, events: &[ConsentEvent]) -> Result<Vec<AppendOutcome>, Self::Error> {
        events.iter().map(|e| self.append(e)).collect()
    }

    /// The facts kept, under a salted hash, for an erased address (see
    /// [`ErasedFact`]). Stores that do not support erasure keep the
    /// default: none.
    ///
    /// # Errors
    ///
    /// The store's own failure.
    fn erased_facts(&self, hash: &AddressHash) -> Result<Vec<ErasedFact>, Self::Error> {
        let _ = hash;
        Ok(Vec::new())
    }

    /// The kept facts of several hashes at once: one list per hash, in the
    /// order given, each what [`erased_facts`](Self::erased_facts) gives.
    /// A send with erasure salts reads its audience's kept facts this way,
    /// 32 at a time per salt. By default one `erased_facts` after another.
    ///
    /// # Errors
    ///
    /// The store's own failure.
    fn erased_facts_many(
        &self,
        hashes: &[AddressHash],
    ) -> Result<Vec<Vec<ErasedFact>>, Self::Error> {
        hashes.iter().map(|h| self.erased_facts(h)).collect()
    }

    /// Every salt id ([`salt_id`](crate::retention::salt_id)) among the
    /// kept facts, so a driver can refuse to run without a salt it needs
    /// (and an erased person is never resubscribed because of a driver's
    /// configuration). Stores that do not support erasure keep the
    /// default: none.
    ///
    /// # Errors
    ///
    /// The store's own failure.
    fn erasure_salt_ids(&self) -> Result<Vec<String>, Self::Error> {
        Ok(Vec::new())
    }

    /// Keep what a reference token stands for
    /// ([`IssuedToken::Kept`](crate::unsubscribe::IssuedToken::Kept)),
    /// keyed by its text, so the link verifies. Idempotent: keeping the
    /// same token again changes nothing. Returns `false` when the store
    /// cannot keep tokens (the default); then
    /// [`Driver::unsubscribe_token`](crate::Driver::unsubscribe_token)
    /// refuses the few addresses too long for a self-contained token under
    /// 200 characters. A kept token is personal data:
    /// [`erase`](Self::erase) must delete the person's kept tokens with
    /// their events, and [`purge_kept_tokens`](Self::purge_kept_tokens)
    /// the expired ones.
    ///
    /// # Errors
    ///
    /// The store's own failure; then nothing must have been stored.
    fn keep_token(&self, kept: &KeptToken) -> Result<bool, Self::Error> {
        let _ = kept;
        Ok(false)
    }

    /// What the store keeps for the reference token `token`, if anything
    /// (by default, nothing).
    ///
    /// # Errors
    ///
    /// The store's own failure.
    fn kept_token(&self, token: &str) -> Result<Option<KeptToken>, Self::Error> {
        let _ = token;
        Ok(None)
    }

    /// Every token kept for `address` (by canonical key), for the
    /// person's subject export (by default, none).
    ///
    /// # Errors
    ///
    /// The store's own failure.
    fn kept_tokens_for(&self, address: &EmailAddress) -> Result<Vec<KeptToken>, Self::Error> {
        let _ = address;
        Ok(Vec::new())
    }

    /// Delete every kept token issued before `issued_before` (expired
    /// ones: [`Driver::purge_expired_tokens`](crate::Driver::purge_expired_tokens)
    /// passes `now` minus the key ring's validity) and return how many were
    /// deleted. By default none.
    ///
    /// # Errors
    ///
    /// The store's own failure.
    fn purge_kept_tokens(&self, issued_before: DateTime<Utc>) -> Result<usize, Self::Error> {
        let _ = issued_before;
        Ok(0)
    }

    /// Delete every event about `address`, drop every fact kept under the
    /// hashes in `replaces` (earlier erasures of the same person, under
    /// any salt), and keep `keep` (the facts of its whole history, under
    /// the current salt's hash), and delete every token kept for
    /// `address` ([`keep_token`](Self::keep_token)), atomically, provided
    /// the store holds exactly `covered` events about `address` (else
    /// [`EraseOutcome::HistoryChanged`] and nothing changes). Returns how
    /// many events were deleted, or [`EraseOutcome::Unsupported`] when the
    /// store does not support erasure (the default).
    ///
    /// # Errors
    ///
    /// The store's own failure; then nothing must have changed.
    fn erase(
        &self,
        address: &EmailAddress,
        keep: &[ErasedFact],
        replaces: &[AddressHash],
        covered: usize,
    ) -> Result<EraseOutcome, Self::Error> {
        let _ = (address, keep, replaces, covered);
        Ok(EraseOutcome::Unsupported)
    }
}

/// Delivery of one message.
pub trait Mailer {
    /// The mailer's error; the driver wraps it in
    /// [`ServiceError::Mailer`](crate::ServiceError::Mailer).
    type Error: std::error::Error + Send + Sync + 'static;

    /// Hand one message over for delivery.
    ///
    /// # Errors
    ///
    /// The transport's failure; the message may be retried.
    fn deliver(&self, message: &OutboundMessage) -> Result<(), Self::Error>;
}

/// The ports through a reference or an `Arc`, so one store or mailer can
/// serve several drivers.
macro_rules! forward_ports {
    ($($wrapper:ty),*) => {$(
        impl<T: ConsentStore + ?Sized> ConsentStore for $wrapper {
            type Error = T::Error;
            fn append(&self, event: &ConsentEvent) -> Result<AppendOutcome, Self::Error> {
                (**self).append(event)
            }
            fn events_for(&self, address: &EmailAddress) -> Result<Vec<ConsentEvent>, Self::Error> {
                (**self).events_for(address)
            }
            fn events_for_many(
                &self,
                addresses: &[&EmailAddress],
            ) -> Result<Vec<Vec<ConsentEvent>>, Self::Error> {
                (**self).events_for_many(addresses)
            }
            fn lend_events_for_many(
                &self,
                addresses: &[&EmailAddress],
                each: &mut dyn FnMut(usize, &[ConsentEvent]),
            ) -> Result<(), Self::Error> {
                (**self).lend_events_for_many(addresses, each)
            }
            fn append_batch(
                &self,
                events: &[ConsentEvent],
            ) -> Result<Vec<AppendOutcome>, Self::Error> {
                (**self).append_batch(events)
            }
            fn erased_facts(
                &self,
                hash: &AddressHash,
            ) -> Result<Vec<ErasedFact>, Self::Error> {
                (**self).erased_facts(hash)
            }
            fn erased_facts_many(
                &self,
                hashes: &[AddressHash],
            ) -> Result<Vec<Vec<ErasedFact>>, Self::Error> {
                (**self).erased_facts_many(hashes)
            }
            fn erasure_salt_ids(&self) -> Result<Vec<String>, Self::Error> {
                (**self).erasure_salt_ids()
            }
            fn keep_token(&self, kept: &KeptToken) -> Result<bool, Self::Error> {
                (**self).keep_token(kept)
            }
            fn kept_token(&self, token: &str) -> Result<Option<KeptToken>, Self::Error> {
                (**self).kept_token(token)
            }
            fn purge_kept_tokens(
                &self,
                issued_before: DateTime<Utc>,
            ) -> Result<usize, Self::Error> {
                (**self).purge_kept_tokens(issued_before)
            }
            fn kept_tokens_for(
                &self,
                address: &EmailAddress,
            ) -> Result<Vec<KeptToken>, Self::Error> {
                (**self).kept_tokens_for(address)
            }
            fn erase(
                &self,
                address: &EmailAddress,
                keep: &[ErasedFact],
                replaces: &[AddressHash],
                covered: usize,
            ) -> Result<EraseOutcome, Self::Error> {
                (**self).erase(address, keep, replaces, covered)
            }
        }

        impl<T: Mailer + ?Sized> Mailer for $wrapper {
            type Error = T::Error;
            fn deliver(&self, message: &OutboundMessage) -> Result<(), Self::Error> {
                (**self).deliver(message)
            }
        }
    )*};
}

forward_ports!(&T, Arc<T>);
