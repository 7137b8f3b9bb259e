//! Async ports (feature `async`): the [`ConsentStore`] and [`Mailer`]
//! operations as `Send` futures, for services on tokio (axum, hyper,
//! tower) or any other executor.
//!
//! - [`AsyncConsentStore`] and [`AsyncMailer`] are the async counterparts
//!   of the sync ports, with the same contracts. Their futures are `Send`,
//!   so an [`AsyncDriver`](crate::edge::async_driver::AsyncDriver) built on
//!   them can be awaited inside an axum handler on a multi-threaded
//!   runtime. Implement them with `async fn`.
//! - [`MemoryStore`] and [`RecordingMailer`] implement them directly: their
//!   operations never wait (a lock held for a few microseconds).
//! - [`Blocking`] runs any synchronous port (the SQLite store, a lettre SMTP
//!   mailer, your own) on dedicated threads it owns, so its blocking calls
//!   never stall the runtime's worker threads.
//!
//! # Why dedicated threads, not `spawn_blocking`
//!
//! [`Blocking`] owns its threads instead of borrowing tokio's blocking
//! pool. That keeps the crate free of any runtime (it works under tokio,
//! async-std, smol or a hand-written executor), bounds the threads a store
//! can occupy (one by default: an SQLite connection serves one statement at
//! a time anyway, so more threads would only queue on its lock), and lets a
//! slow store back up its own queue instead of the runtime's shared pool.
//! The only runtime piece used is tokio's `oneshot` channel, which is
//! executor-agnostic (`tokio` with just its `sync` feature).
//!
//! Work is queued when the returned future is first polled; a future
//! dropped before that does nothing, one dropped while its call waits in
//! the queue is skipped when its turn comes, and one dropped while its call
//! runs lets it finish on the worker (an append is never half done).

use std::future::{ready, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};

use crate::address::EmailAddress;
use crate::consent::ConsentEvent;
use crate::edge::engine::{MailPort, StorePort};
use crate::edge::memory::{MemoryStore, RecordingMailer};
use crate::edge::ports::{AppendOutcome, ConsentStore, EraseOutcome, Mailer};
use crate::message::OutboundMessage;
use crate::retention::{AddressHash, ErasedFact};
use crate::unsubscribe::KeptToken;

/// Async persistence of consent events: [`ConsentStore`] with `Send`
/// futures. Same contract, checked by
/// [`conformance::check_async_consent_store`](crate::edge::conformance::check_async_consent_store).
pub trait AsyncConsentStore: Send + Sync {
    /// The store's error; the driver wraps it in
    /// [`ServiceError::Store`](crate::ServiceError::Store).
    type Error: std::error::Error + Send + Sync + 'static;

    /// As [`ConsentStore::append`].
    fn append(
        &self,
        event: &ConsentEvent,
    ) -> impl Future<Output = Result<AppendOutcome, Self::Error>> + Send;

    /// As [`ConsentStore::events_for`].
    fn events_for(
        &self,
        address: &EmailAddress,
    ) -> impl Future<Output = Result<Vec<ConsentEvent>, Self::Error>> + Send;

    /// As [`ConsentStore::events_for_many`]; by default one
    /// [`events_for`](Self::events_for) after another.
    fn events_for_many(
        &self,
        addresses: &[&EmailAddress],
    ) -> impl Future<Output = Result<Vec<Vec<ConsentEvent>>, Self::Error>> + Send {
        async move {
            let mut lists = Vec::with_capacity(addresses.len());
            for address in addresses {
                lists.push(self.events_for(address).await?);
            }
            Ok(lists)
        }
    }

    /// As [`ConsentStore::lend_events_for_many`]; by default
    /// [`events_for_many`](Self::events_for_many), each list lent in turn.
    fn lend_events_for_many(
        &self,
        addresses: &[&EmailAddress],
        each: &mut (dyn FnMut(usize, &[ConsentEvent]) + Send),
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        async move {
            let lists = self.events_for_many(addresses).await?;
            for (i, address) in addresses.iter().enumerate() {
                match lists.get(i) {
                    Some(events) => each(i, events),
                    None => each(i, &self.events_for(address).await?),
                }
            }
            Ok(())
        }
    }

    /// Append several events, with one outcome each, in order; an event
    /// repeating an earlier one of the batch (same tenant and id) is a
    /// `Duplicate` or a `Conflict` of it. By default, one
    /// [`append`](Self::append) after another: on error, a prefix may be
    /// stored (a retry is safe, appends being idempotent). Stores that can
    /// (PostgreSQL) do it in one statement, all or nothing.
    fn append_batch(
        &self,
        events: &[ConsentEvent],
    ) -> impl Future<Output = Result<Vec<AppendOutcome>, Self::Error>> + Send {
        async move {
            let mut out = Vec::with_capacity(events.len());
            for event in events {
                out.push(self.append(event).await?);
            }
            Ok(out)
        }
    }

    /// As [`ConsentStore::erased_facts`]; by default, none.
    fn erased_facts(
        &self,
        hash: &AddressHash,
    ) -> impl Future<Output = Result<Vec<ErasedFact>, Self::Error>> + Send {
        let _ = hash;
        ready(Ok(Vec::new()))
    }

    /// As [`ConsentStore::erased_facts_many`]; by default one
    /// [`erased_facts`](Self::erased_facts) after another.
    fn erased_facts_many(
        &self,
        hashes: &[AddressHash],
    ) -> impl Future<Output = Result<Vec<Vec<ErasedFact>>, Self::Error>> + Send {
        async move {
            let mut lists = Vec::with_capacity(hashes.len());
            for hash in hashes {
                lists.push(self.erased_facts(hash).await?);
            }
            Ok(lists)
        }
    }

    /// As [`ConsentStore::erasure_salt_ids`]; by default, none.
    fn erasure_salt_ids(&self) -> impl Future<Output = Result<Vec<String>, Self::Error>> + Send {
        ready(Ok(Vec::new()))
    }

    /// As [`ConsentStore::keep_token`]; by default `false` (not kept).
    fn keep_token(
        &self,
        kept: &KeptToken,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        let _ = kept;
        ready(Ok(false))
    }

    /// As [`ConsentStore::kept_token`]; by default, nothing.
    fn kept_token(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Option<KeptToken>, Self::Error>> + Send {
        let _ = token;
        ready(Ok(None))
    }

    /// As [`ConsentStore::kept_tokens_for`]; by default none.
    fn kept_tokens_for(
        &self,
        address: &EmailAddress,
    ) -> impl Future<Output = Result<Vec<KeptToken>, Self::Error>> + Send {
        let _ = address;
        ready(Ok(Vec::new()))
    }

    /// As [`ConsentStore::purge_kept_tokens`]; by default none.
    fn purge_kept_tokens(
        &self,
        issued_before: DateTime<Utc>,
    ) -> impl Future<Output = Result<usize, Self::Error>> + Send {
        let _ = issued_before;
        ready(Ok(0))
    }

    /// As [`ConsentStore::erase`]; by default [`EraseOutcome::Unsupported`].
    fn erase(
        &self,
        address: &EmailAddress,
        keep: &[ErasedFact],
        replaces: &[AddressHash],
        covered: usize,
    ) -> impl Future<Output = Result<EraseOutcome, Self::Error>> + Send {
        let _ = (address, keep, replaces, covered);
        ready(Ok(EraseOutcome::Unsupported))
    }
}

/// Async delivery of one message: [`Mailer`] with a `Send` future.
pub trait AsyncMailer: Send + Sync {
    /// The mailer's error; the driver wraps it in
    /// [`ServiceError::Mailer`](crate::ServiceError::Mailer).
    type Error: std::error::Error + Send + Sync + 'static;

    /// As [`Mailer::deliver`].
    fn deliver(
        &self,
        message: &OutboundMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

impl AsyncConsentStore for MemoryStore {
    type Error = std::convert::Infallible;
    fn append(
        &self,
        event: &ConsentEvent,
    ) -> impl Future<Output = Result<AppendOutcome, Self::Error>> + Send {
        ready(ConsentStore::append(self, event))
    }
    fn events_for(
        &self,
        address: &EmailAddress,
    ) -> impl Future<Output = Result<Vec<ConsentEvent>, Self::Error>> + Send {
        ready(ConsentStore::events_for(self, address))
    }
    fn events_for_many(
        &self,
        addresses: &[&EmailAddress],
    ) -> impl Future<Output = Result<Vec<Vec<ConsentEvent>>, Self::Error>> + Send {
        ready(ConsentStore::events_for_many(self, addresses))
    }
    fn lend_events_for_many(
        &self,
        addresses: &[&EmailAddress],
        each: &mut (dyn FnMut(usize, &[ConsentEvent]) + Send),
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        ready(ConsentStore::lend_events_for_many(self, addresses, each))
    }
    fn erased_facts(
        &self,
        hash: &AddressHash,
    ) -> impl Future<Output = Result<Vec<ErasedFact>, Self::Error>> + Send {
        ready(ConsentStore::erased_facts(self, hash))
    }
    fn erased_facts_many(
        &self,
        hashes: &[AddressHash],
    ) -> impl Future<Output = Result<Vec<Vec<ErasedFact>>, Self::Error>> + Send {
        ready(ConsentStore::erased_facts_many(self, hashes))
    }
    fn erasure_salt_ids(&self) -> impl Future<Output = Result<Vec<String>, Self::Error>> + Send {
        ready(ConsentStore::erasure_salt_ids(self))
    }
    fn keep_token(
        &self,
        kept: &KeptToken,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        ready(ConsentStore::keep_token(self, kept))
    }
    fn kept_token(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Option<KeptToken>, Self::Error>> + Send {
        ready(ConsentStore::kept_token(self, token))
    }
    fn purge_kept_tokens(
        &self,
        issued_before: DateTime<Utc>,
    ) -> impl Future<Output = Result<usize, Self::Error>> + Send {
        ready(ConsentStore::purge_kept_tokens(self, issued_before))
    }
    fn kept_tokens_for(
        &self,
        address: &EmailAddress,
    ) -> impl Future<Output = Result<Vec<KeptToken>, Self::Error>> + Send {
        ready(ConsentStore::kept_tokens_for(self, address))
    }
    fn erase(
        &self,
        address: &EmailAddress,
        keep: &[ErasedFact],
        replaces: &[AddressHash],
        covered: usize,
    ) -> impl Future<Output = Result<EraseOutcome, Self::Error>> + Send {
        ready(ConsentStore::erase(self, address, keep, replaces, covered))
    }
}

impl AsyncMailer for RecordingMailer {
    type Error = <RecordingMailer as Mailer>::Error;
    fn deliver(
        &self,
        message: &OutboundMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        ready(Mailer::deliver(self, message))
    }
}

/// The async ports through a reference or an `Arc`, so one store or mailer
/// can serve several drivers (an `Arc<AsyncDriver>` in axum state, say).
macro_rules! forward_async_ports {
    ($($wrapper:ty),*) => {$(
        impl<T: AsyncConsentStore + ?Sized> AsyncConsentStore for $wrapper {
            type Error = T::Error;
            fn append(
                &self,
                event: &ConsentEvent,
            ) -> impl Future<Output = Result<AppendOutcome, Self::Error>> + Send {
                (**self).append(event)
            }
            fn append_batch(
                &self,
                events: &[ConsentEvent],
            ) -> impl Future<Output = Result<Vec<AppendOutcome>, Self::Error>> + Send {
                (**self).append_batch(events)
            }
            fn events_for(
                &self,
                address: &EmailAddress,
            ) -> impl Future<Output = Result<Vec<ConsentEvent>, Self::Error>> + Send {
                (**self).events_for(address)
            }
            fn events_for_many(
                &self,
                addresses: &[&EmailAddress],
            ) -> impl Future<Output = Result<Vec<Vec<ConsentEvent>>, Self::Error>> + Send {
                (**self).events_for_many(addresses)
            }
            fn lend_events_for_many(
                &self,
                addresses: &[&EmailAddress],
                each: &mut (dyn FnMut(usize, &[ConsentEvent]) + Send),
            ) -> impl Future<Output = Result<(), Self::Error>> + Send {
                (**self).lend_events_for_many(addresses, each)
            }
            fn erased_facts(
                &self,
                hash: &AddressHash,
            ) -> impl Future<Output = Result<Vec<ErasedFact>, Self::Error>> + Send {
                (**self).erased_facts(hash)
            }
            fn erased_facts_many(
                &self,
                hashes: &[AddressHash],
            ) -> impl Future<Output = Result<Vec<Vec<ErasedFact>>, Self::Error>> + Send {
                (**self).erased_facts_many(hashes)
            }
            fn erasure_salt_ids(
                &self,
            ) -> impl Future<Output = Result<Vec<String>, Self::Error>> + Send {
                (**self).erasure_salt_ids()
            }
            fn keep_token(
                &self,
                kept: &KeptToken,
            ) -> impl Future<Output = Result<bool, Self::Error>> + Send {
                (**self).keep_token(kept)
            }
            fn kept_token(
                &self,
                token: &str,
            ) -> impl Future<Output = Result<Option<KeptToken>, Self::Error>> + Send {
                (**self).kept_token(token)
            }
            fn purge_kept_tokens(
                &self,
                issued_before: DateTime<Utc>,
            ) -> impl Future<Output = Result<usize, Self::Error>> + Send {
                (**self).purge_kept_tokens(issued_before)
            }
            fn kept_tokens_for(
                &self,
                address: &EmailAddress,
            ) -> impl Future<Output = Result<Vec<KeptToken>, Self::Error>> + Send {
                (**self).kept_tokens_for(address)
            }
            fn erase(
                &self,
                address: &EmailAddress,
                keep: &[ErasedFact],
                replaces: &[AddressHash],
                covered: usize,
            ) -> impl Future<Output = Result<EraseOutcome, Self::Error>> + Send {
                (**self).erase(address, keep, replaces, covered)
            }
        }

        impl<T: AsyncMailer + ?Sized> AsyncMailer for $wrapper {
            type Error = T::Error;
            fn deliver(
                &self,
                message: &OutboundMessage,
            ) -> impl Future<Output = Result<(), Self::Error>> + Send {
                (**self).deliver(message)
            }
        }
    )*};
}

forward_async_ports!(&T, Arc<T>);

/// The error of a port run by [`Blocking`]: the port's own, or the worker
/// thread running it stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlockingError<E> {
    /// The port failed.
    #[error(transparent)]
    Port(E),
    /// The call could not be run: the port panicked while running it (the
    /// worker survives and takes the next call), or every worker thread
    /// is gone. Nothing is known about the call's effect beyond the
    /// port's own atomicity (an append is stored whole or not at all).
    #[error("the worker thread running the port stopped before answering")]
    WorkerStopped,
    /// The queue of a bounded [`Blocking`] is full: the call was not
    /// queued and nothing was done. Shed load (answer `503`) or retry.
    #[error("the port's queue is full; the call was not run")]
    Busy,
}

type Job<T> = Box<dyn FnOnce(&T) + Send>;

/// A synchronous port run on dedicated worker threads, seen as an async
/// port: [`AsyncConsentStore`] for a [`ConsentStore`], [`AsyncMailer`] for
/// a [`Mailer`]. Cheap to clone (every clone shares the threads); the
/// threads end when the last clone is dropped and their queue is empty.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use consentry::edge::async_ports::Blocking;
/// use consentry::edge::sqlite::SqliteStore;
/// use consentry::{AsyncDriver, LedgerPolicy, RecordingMailer};
///
/// // One thread owns the SQLite connection; the runtime's workers never block on it.
/// let store = Blocking::new(SqliteStore::open_in_memory()?)?;
/// let driver = AsyncDriver::new(store, RecordingMailer::new(), LedgerPolicy::default());
/// # let _ = driver;
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Blocking<T> {
    port: Arc<T>,
    jobs: Jobs<T>,
}

/// The sending end of the workers' queue: unbounded, or bounded (a full
/// queue refuses the call with [`BlockingError::Busy`]).
enum Jobs<T> {
    Unbounded(mpsc::Sender<Job<T>>),
    Bounded(mpsc::SyncSender<Job<T>>),
}

impl<T> Clone for Jobs<T> {
    fn clone(&self) -> Self {
        match self {
            Jobs::Unbounded(s) => Jobs::Unbounded(s.clone()),
            Jobs::Bounded(s) => Jobs::Bounded(s.clone()),
        }
    }
}

impl<T> Jobs<T> {
    fn send<E>(&self, job: Job<T>) -> Result<(), BlockingError<E>> {
        match self {
            Jobs::Unbounded(s) => s.send(job).map_err(|_| BlockingError::WorkerStopped),
            Jobs::Bounded(s) => s.try_send(job).map_err(|e| match e {
                mpsc::TrySendError::Full(_) => BlockingError::Busy,
                mpsc::TrySendError::Disconnected(_) => BlockingError::WorkerStopped,
            }),
        }
    }
}

impl<T> Clone for Blocking<T> {
    fn clone(&self) -> Self {
        Blocking {
            port: Arc::clone(&self.port),
            jobs: self.jobs.clone(),
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Blocking<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blocking")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl<T: Send + Sync + 'static> Blocking<T> {
    /// Run `port` on one dedicated thread.
    ///
    /// # Errors
    ///
    /// The operating system refused to start the thread.
    pub fn new(port: T) -> std::io::Result<Self> {
        Self::with_threads(port, 1)
    }

    /// Run `port` on `threads` dedicated threads (at least one), sharing
    /// one queue. More than one only helps a port that serves calls in
    /// parallel (a connection pool); the SQLite store serialises on its
    /// connection.
    ///
    /// # Errors
    ///
    /// The operating system refused to start a thread.
    pub fn with_threads(port: T, threads: usize) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job<T>>();
        Self::start(port, threads, Jobs::Unbounded(jobs), queue)
    }

    /// Run `port` on `threads` dedicated threads with at most `queued`
    /// calls waiting (at least one); a call beyond that is refused at once
    /// with [`BlockingError::Busy`] instead of waiting behind a backlog a
    /// slow store cannot drain.
    ///
    /// # Errors
    ///
    /// The operating system refused to start a thread.
    pub fn bounded(port: T, threads: usize, queued: usize) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::sync_channel::<Job<T>>(queued.max(1));
        Self::start(port, threads, Jobs::Bounded(jobs), queue)
    }

    fn start(
        port: T,
        threads: usize,
        jobs: Jobs<T>,
        queue: mpsc::Receiver<Job<T>>,
    ) -> std::io::Result<Self> {
        let port = Arc::new(port);
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let port = Arc::clone(&port);
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("consentry-port-{n}"))
                .spawn(move || loop {
                    // The lock is held only while taking the next job.
                    let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok(job) = next else { break };
                    // A panicking port drops the call's answer channel (the
                    // caller gets WorkerStopped); the worker goes on.
                    let _ = catch_unwind(AssertUnwindSafe(|| job(&port)));
                })?;
        }
        Ok(Blocking { port, jobs })
    }

    /// The port, for calls that need no thread (reading its configuration).
    pub fn get_ref(&self) -> &T {
        &self.port
    }

    /// Run `call` on a worker thread and await its answer.
    pub fn run<R, E, F>(&self, call: F) -> impl Future<Output = Result<R, BlockingError<E>>> + Send
    where
        F: FnOnce(&T) -> Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: Send + 'static,
    {
        let jobs = self.jobs.clone();
        async move {
            let (answer, answered) = tokio::sync::oneshot::channel();
            let job: Job<T> = Box::new(move |port: &T| {
                // A caller that went away before its turn came wants
                // nothing done (and was told nothing): skip the call.
                if answer.is_closed() {
                    return;
                }
                let _ = answer.send(call(port));
            });
            jobs.send(job)?;
            match answered.await {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(e)) => Err(BlockingError::Port(e)),
                Err(_) => Err(BlockingError::WorkerStopped),
            }
        }
    }
}

impl<T> AsyncConsentStore for Blocking<T>
where
    T: ConsentStore + Send + Sync + 'static,
{
    type Error = BlockingError<T::Error>;
    fn append(
        &self,
        event: &ConsentEvent,
    ) -> impl Future<Output = Result<AppendOutcome, Self::Error>> + Send {
        let event = event.clone();
        self.run(move |store| store.append(&event))
    }
    fn append_batch(
        &self,
        events: &[ConsentEvent],
    ) -> impl Future<Output = Result<Vec<AppendOutcome>, Self::Error>> + Send {
        // One job: the store's own batch (one SQLite transaction).
        let events = events.to_vec();
        self.run(move |store| store.append_batch(&events))
    }
    fn events_for(
        &self,
        address: &EmailAddress,
    ) -> impl Future<Output = Result<Vec<ConsentEvent>, Self::Error>> + Send {
        let address = address.clone();
        self.run(move |store| store.events_for(&address))
    }
    fn events_for_many(
        &self,
        addresses: &[&EmailAddress],
    ) -> impl Future<Output = Result<Vec<Vec<ConsentEvent>>, Self::Error>> + Send {
        let addresses: Vec<EmailAddress> = addresses.iter().map(|a| (*a).clone()).collect();
        self.run(move |store| {
            let borrowed: Vec<&EmailAddress> = addresses.iter().collect();
            store.events_for_many(&borrowed)
        })
    }
    fn erased_facts(
        &self,
        hash: &AddressHash,
    ) -> impl Future<Output = Result<Vec<ErasedFact>, Self::Error>> + Send {
        let hash = *hash;
        self.run(move |store| store.erased_facts(&hash))
    }
    fn erased_facts_many(
        &self,
        hashes: &[AddressHash],
    ) -> impl Future<Output = Result<Vec<Vec<ErasedFact>>, Self::Error>> + Send {
        let hashes = hashes.to_vec();
        self.run(move |store| store.erased_facts_many(&hashes))
    }
    fn erasure_salt_ids(&self) -> impl Future<Output = Result<Vec<String>, Self::Error>> + Send {
        self.run(|store| store.erasure_salt_ids())
    }
    fn keep_token(
        &self,
        kept: &KeptToken,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        let kept = kept.clone();
        self.run(move |store| store.keep_token(&kept))
    }
    fn kept_token(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Option<KeptToken>, Self::Error>> + Send {
        let token = token.to_owned();
        self.run(move |store| store.kept_token(&token))
    }
    fn purge_kept_tokens(
        &self,
        issued_before: DateTime<Utc>,
    ) -> impl Future<Output = Result<usize, Self::Error>> + Send {
        self.run(move |store| store.purge_kept_tokens(issued_before))
    }
    fn kept_tokens_for(
        &self,
        address: &EmailAddress,
    ) -> impl Future<Output = Result<Vec<KeptToken>, Self::Error>> + Send {
        let address = address.clone();
        self.run(move |store| store.kept_tokens_for(&address))
    }
    fn erase(
        &self,
        address: &EmailAddress,
        keep: &[ErasedFact],
        replaces: &[AddressHash],
        covered: usize,
    ) -> impl Future<Output = Result<EraseOutcome, Self::Error>> + Send {
        let (address, keep, replaces) = (address.clone(), keep.to_vec(), replaces.to_vec());
        self.run(move |store| store.erase(&address, &keep, &replaces, covered))
    }
}

impl<T> AsyncMailer for Blocking<T>
where
    T: Mailer + Send + Sync + 'static,
{
    type Error = BlockingError<T::Error>;
    fn deliver(
        &self,
        message: &OutboundMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        let message = message.clone();
        self.run(move |mailer| mailer.deliver(&message))
    }
}

/// An async store or mailer seen as one of the engine's ports.
pub(crate) struct AsyncPorts<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: AsyncConsentStore + ?Sized> StorePort for AsyncPorts<'_, T> {
    type Error = T::Error;
    fn append(
        &self,
        event: &ConsentEvent,
    ) -> impl Future<Output = Result<AppendOutcome, Self::Error>> + Send {
        self.0.append(event)
    }
    fn events_for(
        &self,
        address: &EmailAddress,
    ) -> impl Future<Output = Result<Vec<ConsentEvent>, Self::Error>> + Send {
        self.0.events_for(address)
    }
    fn events_for_many(
        &self,
        addresses: &[&EmailAddress],
    ) -> impl Future<Output = Result<Vec<Vec<ConsentEvent>>, Self::Error>> + Send {
        self.0.events_for_many(addresses)
    }
    fn lend_events_for_many(
        &self,
        addresses: &[&EmailAddress],
        each: &mut (dyn FnMut(usize, &[ConsentEvent]) + Send),
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.0.lend_events_for_many(addresses, each)
    }
    fn append_batch(
        &self,
        events: &[ConsentEvent],
    ) -> impl Future<Output = Result<Vec<AppendOutcome>, Self::Error>> + Send {
        self.0.append_batch(events)
    }
    fn erased_facts(
        &self,
        hash: &AddressHash,
    ) -> impl Future<Output = Result<Vec<ErasedFact>, Self::Error>> + Send {
        self.0.erased_facts(hash)
    }
    fn erased_facts_many(
        &self,
        hashes: &[AddressHash],
    ) -> impl Future<Output = Result<Vec<Vec<ErasedFact>>, Self::Error>> + Send {
        self.0.erased_facts_many(hashes)
    }
    fn erasure_salt_ids(&self) -> impl Future<Output = Result<Vec<String>, Self::Error>> + Send {
        self.0.erasure_salt_ids()
    }
    fn keep_token(
        &self,
        kept: &KeptToken,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        self.0.keep_token(kept)
    }
    fn kept_token(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Option<KeptToken>, Self::Error>> + Send {
        self.0.kept_token(token)
    }
    fn purge_kept_tokens(
        &self,
        issued_before: DateTime<Utc>,
    ) -> impl Future<Output = Result<usize, Self::Error>> + Send {
        self.0.purge_kept_tokens(issued_before)
    }
    fn kept_tokens_for(
        &self,
        address: &EmailAddress,
    ) -> impl Future<Output = Result<Vec<KeptToken>, Self::Error>> + Send {
        self.0.kept_tokens_for(address)
    }
    fn erase(
        &self,
        address: &EmailAddress,
        keep: &[ErasedFact],
        replaces: &[AddressHash],
        covered: usize,
    ) -> impl Future<Output = Result<EraseOutcome, Self::Error>> + Send {
        self.0.erase(address, keep, replaces, covered)
    }
}

impl<T: AsyncMailer + ?Sized> MailPort for AsyncPorts<'_, T> {
    type Error = T::Error;
    fn deliver(
        &self,
        message: &OutboundMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.0.deliver(message)
    }
}
