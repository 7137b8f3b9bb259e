//! The synchronous driver: reads through the ports, calls the pure core and
//! writes its effects back.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::address::{EmailAddress, ListId, TenantId};
use crate::consent::{
    ConsentEvent, ConsentKey, ConsentState, EventError, LedgerPolicy, LedgerPolicyError,
};
use crate::ports::{AppendOutcome, ConsentStore, Mailer};

/// An error of a driver operation: the host's store or mailer failed, or the
/// caller's input was refused before anything was stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError<S, M>
where
    S: std::error::Error + 'static,
    M: std::error::Error + 'static,
{
    /// The consent store failed; retry according to the store's error.
    #[error("consent store failed")]
    Store(#[source] S),
    /// The mailer failed; the message may be retried.
    #[error("mailer failed")]
    Mailer(#[source] M),
    /// The event was refused (bad evidence); nothing was stored. Answer 400.
    #[error("event refused")]
    InvalidEvent(#[from] EventError),
    /// An export could not be rendered as JSON.
    #[error("export could not be serialised")]
    Export(#[source] serde_json::Error),
}

/// The [`ServiceError`] of a driver over store `S` and mailer `M`.
pub type DriverError<S, M> = ServiceError<<S as ConsentStore>::Error, <M as Mailer>::Error>;

/// One person's whole history, for a subject access request (GDPR Art. 15)
/// or an auditor. It holds that person's events and the states derived from
/// them, and nothing about anyone else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectExport {
    /// The canonical address of the person.
    pub address: String,
    /// When the export was made.
    pub exported_at: DateTime<Utc>,
    /// Every event about the person, in time order.
    pub events: Vec<ConsentEvent>,
    /// The state of every (tenant, list) the events mention.
    pub states: Vec<ConsentState>,
}

/// The sync driver over a [`ConsentStore`] and a [`Mailer`].
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use consentry::{
///     Action, AppendOutcome, Basis, ConsentEvent, ConsentKey, Driver, EmailAddress, EventId,
///     Evidence, LedgerPolicy, ListId, MemoryStore, RecordingMailer, TenantId,
/// };
///
/// let driver = Driver::new(MemoryStore::new(), RecordingMailer::new(), LedgerPolicy::default())?;
/// let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
/// let event = ConsentEvent {
///     id: EventId::new("evt-1")?,
///     at: now,
///     tenant: TenantId::new("acme")?,
///     list: Some(ListId::new("news")?),
///     address: EmailAddress::parse("Ann@Example.com")?,
///     action: Action::OptedIn { basis: Basis::ExpressForm },
///     evidence: Evidence::default(),
/// };
/// assert_eq!(driver.record(&event)?, AppendOutcome::Appended);
/// assert_eq!(driver.record(&event)?, AppendOutcome::Duplicate); // webhook retried
///
/// let key = ConsentKey::new(
///     TenantId::new("acme")?,
///     ListId::new("news")?,
///     EmailAddress::parse("ann@example.com")?,
/// );
/// assert!(driver.state(&key, now)?.permits_promotional());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Driver<S, M> {
    store: S,
    mailer: M,
    policy: LedgerPolicy,
}

impl<S: ConsentStore, M: Mailer> Driver<S, M> {
    /// A driver over a store, a mailer and a ledger policy.
    ///
    /// # Errors
    ///
    /// The policy's [`LedgerPolicyError`] if it is out of range.
    pub fn new(store: S, mailer: M, policy: LedgerPolicy) -> Result<Self, LedgerPolicyError> {
        policy.validate()?;
        Ok(Driver {
            store,
            mailer,
            policy,
        })
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The mailer.
    pub fn mailer(&self) -> &M {
        &self.mailer
    }

    /// The ledger policy.
    pub fn policy(&self) -> &LedgerPolicy {
        &self.policy
    }

    /// Validate an event and append it; a repeated id appends nothing.
    ///
    /// # Errors
    ///
    /// [`ServiceError::InvalidEvent`] when the event is refused (nothing is
    /// stored), [`ServiceError::Store`] when the store fails.
    pub fn record(&self, event: &ConsentEvent) -> Result<AppendOutcome, DriverError<S, M>> {
        event.validate()?;
        self.store.append(event).map_err(ServiceError::Store)
    }

    /// The current state of a key, as of `now`.
    ///
    /// # Errors
    ///
    /// [`ServiceError::Store`] when the store fails.
    pub fn state(
        &self,
        key: &ConsentKey,
        now: DateTime<Utc>,
    ) -> Result<ConsentState, DriverError<S, M>> {
        let events = self
            .store
            .events_for(&key.address)
            .map_err(ServiceError::Store)?;
        Ok(ConsentState::replay(key, &events, &self.policy, now))
    }

    /// One person's whole history and derived states.
    ///
    /// # Errors
    ///
    /// [`ServiceError::Store`] when the store fails.
    pub fn export(
        &self,
        address: &EmailAddress,
        now: DateTime<Utc>,
    ) -> Result<SubjectExport, DriverError<S, M>> {
        let mut events = self
            .store
            .events_for(address)
            .map_err(ServiceError::Store)?;
        // Defence in depth: a faulty store must not leak another person's data.
        events.retain(|e| e.address == *address);
        events.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
        let keys: BTreeSet<(TenantId, ListId)> = events
            .iter()
            .filter_map(|e| e.list.clone().map(|l| (e.tenant.clone(), l)))
            .collect();
        let states = keys
            .into_iter()
            .map(|(tenant, list)| {
                let key = ConsentKey::new(tenant, list, address.clone());
                ConsentState::replay(&key, &events, &self.policy, now)
            })
            .collect();
        Ok(SubjectExport {
            address: address.canonical().to_owned(),
            exported_at: now,
            events,
            states,
        })
    }

    /// [`Driver::export`] rendered as pretty JSON.
    ///
    /// # Errors
    ///
    /// As [`Driver::export`], and [`ServiceError::Export`] if rendering fails.
    pub fn export_json(
        &self,
        address: &EmailAddress,
        now: DateTime<Utc>,
    ) -> Result<String, DriverError<S, M>> {
        let export = self.export(address, now)?;
        serde_json::to_string_pretty(&export).map_err(ServiceError::Export)
    }
}
