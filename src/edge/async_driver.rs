//! The async driver (feature `async`): [`Driver`](crate::Driver)'s
//! operations over [`AsyncConsentStore`] and [`AsyncMailer`].
//!
//! Both drivers run the same code (the operations are written once, as
//! async functions over the ports; the sync driver runs them over futures
//! that are already complete), so a decision cannot differ between them.
//! The returned futures are `Send` whenever the store, the mailer and the
//! arguments are, so they can be awaited in an axum handler on a
//! multi-threaded runtime.

use chrono::{DateTime, Utc};

use crate::address::EmailAddress;
use crate::classify::Classifier;
use crate::consent::{ConsentEvent, ConsentKey, ConsentState, LedgerPolicy};
use crate::cookie::CookieConsent;
use crate::disclosure::DisclosureRecord;
use crate::edge::async_ports::{AsyncConsentStore, AsyncMailer, AsyncPorts};
use crate::edge::driver::{
    Campaign, ErasureReceipt, OneClickConfirmation, OneClickError, OneClickRequest, SendReport,
    ServiceError, SubjectExport, UnsubscribeSettings,
};
use crate::edge::engine::Engine;
use crate::edge::ports::AppendOutcome;
use crate::unsubscribe::{KeyRing, VerifiedToken};

/// The [`ServiceError`] of an async driver over store `S` and mailer `M`.
pub type AsyncDriverError<S, M> =
    ServiceError<<S as AsyncConsentStore>::Error, <M as AsyncMailer>::Error>;

/// The async driver over an [`AsyncConsentStore`] and an [`AsyncMailer`]:
/// the operations of [`Driver`](crate::Driver), awaited.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use consentry::{
///     Action, AppendOutcome, AsyncDriver, Basis, ConsentEvent, ConsentKey, EmailAddress,
///     EventId, Evidence, LedgerPolicy, ListId, MemoryStore, RecordingMailer, TenantId,
/// };
///
/// # let runtime = tokio::runtime::Builder::new_current_thread().build()?;
/// # runtime.block_on(async {
/// let driver = AsyncDriver::new(MemoryStore::new(), RecordingMailer::new(), LedgerPolicy::default());
/// let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
/// let key = ConsentKey::new(TenantId::new("acme")?, ListId::new("news")?, EmailAddress::parse("ann@example.com")?);
/// let event = ConsentEvent::new(EventId::new("evt-1")?, now, &key, Action::OptedIn { basis: Basis::ExpressForm });
/// assert_eq!(driver.record(&event).await?, AppendOutcome::Appended);
/// assert!(driver.state(&key, now).await?.permits_promotional());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct AsyncDriver<S, M> {
    store: S,
    mailer: M,
    engine: Engine,
}

impl<S: std::fmt::Debug, M: std::fmt::Debug> std::fmt::Debug for AsyncDriver<S, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncDriver")
            .field("store", &self.store)
            .field("mailer", &self.mailer)
            .field("policy", &self.engine.policy)
            .field(
                "erasure_salts",
                &format_args!("<{} redacted>", self.engine.erasure_salts.len()),
            )
            .finish()
    }
}

impl<S: AsyncConsentStore, M: AsyncMailer> AsyncDriver<S, M> {
    /// A driver over a store, a mailer and a ledger policy.
    pub fn new(store: S, mailer: M, policy: LedgerPolicy) -> Self {
        AsyncDriver {
            store,
            mailer,
            engine: Engine::new(policy),
        }
    }

    /// As [`Driver::with_erasure_salt`](crate::Driver::with_erasure_salt).
    ///
    /// # Errors
    ///
    /// [`ServiceError::Unsupported`] for a salt shorter than 16 bytes.
    pub fn with_erasure_salt(
        mut self,
        salt: impl Into<Vec<u8>>,
    ) -> Result<Self, AsyncDriverError<S, M>> {
        self.engine
            .add_current_salt(salt.into())
            .map_err(ServiceError::Unsupported)?;
        Ok(self)
    }

    /// As [`Driver::with_retired_erasure_salt`](crate::Driver::with_retired_erasure_salt).
    ///
    /// # Errors
    ///
    /// [`ServiceError::Unsupported`] for a salt shorter than 16 bytes.
    pub fn with_retired_erasure_salt(
        mut self,
        salt: impl Into<Vec<u8>>,
    ) -> Result<Self, AsyncDriverError<S, M>> {
        self.engine
            .add_retired_salt(salt.into())
            .map_err(ServiceError::Unsupported)?;
        Ok(self)
    }

    /// As [`Driver::with_legacy_erasure_salt`](crate::Driver::with_legacy_erasure_salt).
    ///
    /// # Errors
    ///
    /// [`ServiceError::Unsupported`] for a salt shorter than 16 bytes.
    pub fn with_legacy_erasure_salt(
        mut self,
        salt: impl Into<Vec<u8>>,
    ) -> Result<Self, AsyncDriverError<S, M>> {
        self.engine
            .add_legacy_salt(salt.into())
            .map_err(ServiceError::Unsupported)?;
        Ok(self)
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
        &self.engine.policy
    }

    /// As [`Driver::record`](crate::Driver::record).
    ///
    /// # Errors
    ///
    /// [`ServiceError::InvalidEvent`], [`ServiceError::IdConflict`] or
    /// [`ServiceError::Store`]; nothing is stored in any of these cases.
    pub async fn record(
        &self,
        event: &ConsentEvent,
    ) -> Result<AppendOutcome, AsyncDriverError<S, M>> {
        self.engine
            .record::<_, AsyncPorts<'_, M>>(&AsyncPorts(&self.store), event)
            .await
    }

    /// Validate every event, then append them all with
    /// [`AsyncConsentStore::append_batch`] (one statement on PostgreSQL).
    /// One outcome per event, in order; unlike [`record`](Self::record), a
    /// [`AppendOutcome::Conflict`] is reported in the list, not as an
    /// error, so the rest of the batch is not lost to one bad id.
    ///
    /// # Errors
    ///
    /// [`ServiceError::InvalidEvent`] for the first invalid event (nothing
    /// is stored), [`ServiceError::Store`] when the store fails.
    pub async fn record_batch(
        &self,
        events: &[ConsentEvent],
    ) -> Result<Vec<AppendOutcome>, AsyncDriverError<S, M>> {
        for event in events {
            event.validate()?;
        }
        self.store
            .append_batch(events)
            .await
            .map_err(ServiceError::Store)
    }

    /// As [`Driver::state`](crate::Driver::state).
    ///
    /// # Errors
    ///
    /// [`ServiceError::Store`] or [`ServiceError::MissingErasureSalt`].
    pub async fn state(
        &self,
        key: &ConsentKey,
        now: DateTime<Utc>,
    ) -> Result<ConsentState, AsyncDriverError<S, M>> {
        self.engine
            .state::<_, AsyncPorts<'_, M>>(&AsyncPorts(&self.store), key, now)
            .await
    }

    /// As [`Driver::export`](crate::Driver::export).
    ///
    /// # Errors
    ///
    /// [`ServiceError::Store`] or [`ServiceError::MissingErasureSalt`].
    pub async fn export(
        &self,
        address: &EmailAddress,
        now: DateTime<Utc>,
    ) -> Result<SubjectExport, AsyncDriverError<S, M>> {
        self.export_with(address, now, &[], None).await
    }

    /// As [`Driver::export_with`](crate::Driver::export_with).
    ///
    /// # Errors
    ///
    /// [`ServiceError::Store`] or [`ServiceError::MissingErasureSalt`].
    pub async fn export_with(
        &self,
        address: &EmailAddress,
        now: DateTime<Utc>,
        disclosures: &[DisclosureRecord],
        cookie_consent: Option<&CookieConsent>,
    ) -> Result<SubjectExport, AsyncDriverError<S, M>> {
        self.engine
            .export_with::<_, AsyncPorts<'_, M>>(
                &AsyncPorts(&self.store),
                address,
                now,
                disclosures,
                cookie_consent,
            )
            .await
    }

    /// As [`Driver::export_json`](crate::Driver::export_json).
    ///
    /// # Errors
    ///
    /// As [`AsyncDriver::export`], and [`ServiceError::Export`].
    pub async fn export_json(
        &self,
        address: &EmailAddress,
        now: DateTime<Utc>,
    ) -> Result<String, AsyncDriverError<S, M>> {
        let export = self.export(address, now).await?;
        serde_json::to_string_pretty(&export).map_err(ServiceError::Export)
    }

    /// As [`Driver::send`](crate::Driver::send). Histories are read 32
    /// recipients at a time; recipients are handled one after another,
    /// each message handed to the mailer before the next one is built.
    ///
    /// # Errors
    ///
    /// [`ServiceError::Store`] if the store fails (recipients handled before
    /// the failure were sent); mailer failures are listed in
    /// [`SendReport::failed`].
    pub async fn send<'b, I>(
        &self,
        campaign: &Campaign<'_>,
        audience: I,
        classifier: &Classifier,
    ) -> Result<SendReport<M::Error>, AsyncDriverError<S, M>>
    where
        I: IntoIterator<Item = &'b EmailAddress>,
    {
        self.engine
            .send(
                &AsyncPorts(&self.store),
                &AsyncPorts(&self.mailer),
                campaign,
                audience,
                classifier,
            )
            .await
    }

    /// As [`Driver::unsubscribe_token`](crate::Driver::unsubscribe_token).
    ///
    /// # Errors
    ///
    /// As [`Driver::unsubscribe_token`](crate::Driver::unsubscribe_token).
    pub async fn unsubscribe_token(
        &self,
        keys: &KeyRing,
        key: &ConsentKey,
        issued_at: DateTime<Utc>,
    ) -> Result<String, AsyncDriverError<S, M>> {
        self.engine
            .unsubscribe_token::<_, AsyncPorts<'_, M>>(
                &AsyncPorts(&self.store),
                keys,
                key,
                issued_at,
            )
            .await
    }

    /// As [`Driver::purge_expired_tokens`](crate::Driver::purge_expired_tokens).
    ///
    /// # Errors
    ///
    /// As [`Driver::purge_expired_tokens`](crate::Driver::purge_expired_tokens).
    pub async fn purge_expired_tokens(
        &self,
        keys: &KeyRing,
        now: DateTime<Utc>,
    ) -> Result<usize, AsyncDriverError<S, M>> {
        self.engine
            .purge_expired_tokens::<_, AsyncPorts<'_, M>>(&AsyncPorts(&self.store), keys, now)
            .await
    }

    /// As [`Driver::verify_token`](crate::Driver::verify_token).
    ///
    /// # Errors
    ///
    /// As [`Driver::verify_token`](crate::Driver::verify_token).
    pub async fn verify_token(
        &self,
        keys: &KeyRing,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<VerifiedToken, AsyncDriverError<S, M>> {
        self.engine
            .verify_token(&AsyncPorts(&self.store), keys, token, now)
            .await
            .map_err(ServiceError::Store)?
            .map_err(ServiceError::Token)
    }

    /// As [`Driver::handle_one_click`](crate::Driver::handle_one_click).
    ///
    /// # Errors
    ///
    /// [`OneClickError`]; in every error case nothing was recorded.
    pub async fn handle_one_click(
        &self,
        settings: &UnsubscribeSettings,
        request: &OneClickRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<OneClickConfirmation, OneClickError<S::Error>> {
        self.engine
            .handle_one_click::<_, AsyncPorts<'_, M>>(
                &AsyncPorts(&self.store),
                settings,
                request,
                now,
            )
            .await
    }

    /// As [`Driver::erase`](crate::Driver::erase).
    ///
    /// # Errors
    ///
    /// As [`Driver::erase`](crate::Driver::erase).
    pub async fn erase(
        &self,
        address: &EmailAddress,
    ) -> Result<ErasureReceipt, AsyncDriverError<S, M>> {
        self.engine
            .erase::<_, AsyncPorts<'_, M>>(&AsyncPorts(&self.store), address)
            .await
    }
}
